"""Tokenizer for expressions: numbers, names and operators, each with its position."""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from .errors import syntax_error

# Typographic operators people paste from documents, mapped to the ASCII ones.
ALIASES = {"×": "*", "÷": "/", "−": "-", "**": "^", "π": "pi"}

_TOKEN_RE = re.compile(
    r"""
    (?P<space>[ \t\r\n]+)
  | (?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*|π)
  | (?P<op>\*\*|[-+*/%^!(),×÷−√])
    """,
    re.VERBOSE,
)


class Token(NamedTuple):
    kind: str  # "number", "name", "op" or "end"
    text: str
    position: int  # 1-based


def describe_char(char: str) -> str:
    """Name a character so that look-alikes and invisible ones are recognisable."""
    name = unicodedata.name(char, "unnamed character")
    return f"'{char}' (U+{ord(char):04X} {name})" if char.isprintable() else f"U+{ord(char):04X}"


def tokenize(expression: str) -> list[Token]:
    """Split an expression into tokens; unknown characters are a syntax error."""
    tokens: list[Token] = []
    index = 0
    while index < len(expression):
        match = _TOKEN_RE.match(expression, index)
        if match is None:
            raise syntax_error(
                f"Unexpected character {describe_char(expression[index])}", index + 1
            )
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "number" and match.end() < len(expression):
            follower = expression[match.end()]
            if follower == "." or (
                follower in "eE" and expression[match.end() + 1 : match.end() + 2].isdigit()
            ):
                raise syntax_error(f"Malformed number '{text}{follower}'", index + 1)
        if kind != "space":
            tokens.append(Token(kind, ALIASES.get(text, text), index + 1))
        index = match.end()
    tokens.append(Token("end", "", len(expression) + 1))
    return tokens
