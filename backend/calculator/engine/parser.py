"""Recursive-descent parser for calculator expressions.

Grammar, loosest binding first:

    expression := term (("+" | "-") term)*
    term       := unary (("*" | "/" | "%") unary)*
    unary      := ("-" | "+") unary | power
    power      := root ("^" unary)?             right-associative; -2^2 is -(2^2)
    root       := "√" root | postfix            √x is sqrt(x): √4^2 is (√4)^2
    postfix    := primary "!"*
    primary    := NUMBER | CONSTANT | FUNCTION "(" expression ("," expression)* ")"
                | "(" expression ")"

Our own parser over numbers (never eval, never a Python AST) so that the language is
exactly this grammar and every construct is bounded: nesting depth is counted, and
left-associative runs are loops rather than recursion.
"""

from __future__ import annotations

from ..limits import MAX_DEPTH, MAX_EXPRESSION_CHARS
from .errors import InputError, syntax_error
from .lexer import Token, tokenize
from .numbers import parse_literal
from .tree import Call, Chain, Constant, Factorial, Negate, Node, Number, Power

CONSTANTS = frozenset({"pi", "e"})
# name -> (minimum, maximum) number of arguments
FUNCTIONS: dict[str, tuple[int, int]] = {
    "sqrt": (1, 1),
    "abs": (1, 1),
    "round": (1, 2),
    "floor": (1, 1),
    "ceil": (1, 1),
    "ln": (1, 1),
    "log": (1, 2),
    "exp": (1, 1),
    "sin": (1, 1),
    "cos": (1, 1),
    "tan": (1, 1),
}


def _describe(token: Token) -> str:
    return "the end of the expression" if token.kind == "end" else f"'{token.text}'"


class Parser:
    """Parses one expression; use parse()."""

    def __init__(self, expression: str) -> None:
        self.tokens = tokenize(expression)
        self.index = 0
        self.depth = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def accept(self, text: str) -> Token | None:
        if self.current.kind == "op" and self.current.text == text:
            return self.advance()
        return None

    def expect(self, text: str, expected: str) -> Token:
        token = self.accept(text)
        if token is None:
            raise syntax_error(
                f"Expected {expected} but found {_describe(self.current)}", self.current.position
            )
        return token

    def enter(self, position: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InputError(
                f"The expression nests deeper than {MAX_DEPTH} levels at position {position}",
                code="too_deep",
                position=position,
            )

    def parse(self) -> Node:
        node = self.expression()
        token = self.current
        if token.kind != "end":
            hint = ""
            if token.kind == "number":
                hint = " (an operator is missing between two numbers)"
            elif token.kind == "name" or token.text in ("(", "√"):
                hint = " (multiplication needs an explicit '*', as in 2*(3))"
            elif token.text == ")":
                hint = " (it closes no '(')"
            raise syntax_error(
                f"Expected an operator or the end of the expression but found "
                f"{_describe(token)}{hint}",
                token.position,
            )
        return node

    def chain(self, operators: str, operand: str) -> Node:
        first = self.term() if operand == "term" else self.unary()
        rest: list[tuple[str, Node, int]] = []
        while self.current.kind == "op" and self.current.text in operators:
            op = self.advance()
            node = self.term() if operand == "term" else self.unary()
            rest.append((op.text, node, op.position))
        return Chain(first, tuple(rest)) if rest else first

    def expression(self) -> Node:
        return self.chain("+-", "term")

    def term(self) -> Node:
        return self.chain("*/%", "unary")

    def unary(self) -> Node:
        token = self.current
        if token.kind == "op" and token.text in "+-":
            self.advance()
            self.enter(token.position)
            operand = self.unary()
            self.depth -= 1
            return Negate(operand, token.position) if token.text == "-" else operand
        return self.power()

    def power(self) -> Node:
        base = self.root()
        caret = self.accept("^")
        if caret is None:
            return base
        self.enter(caret.position)
        exponent = self.unary()
        self.depth -= 1
        return Power(base, exponent, caret.position)

    def root(self) -> Node:
        radical = self.accept("√")
        if radical is None:
            return self.postfix()
        self.enter(radical.position)
        operand = self.root()
        self.depth -= 1
        return Call("sqrt", (operand,), radical.position)

    def postfix(self) -> Node:
        node = self.primary()
        while (bang := self.accept("!")) is not None:
            node = Factorial(node, bang.position)
        return node

    def primary(self) -> Node:
        token = self.advance()
        if token.kind == "number":
            return Number(parse_literal(token.text), token.position)
        if token.kind == "name":
            return self.name(token)
        if token.kind == "op" and token.text == "(":
            self.enter(token.position)
            node = self.expression()
            self.expect(")", "')' to close the '(' at position " + str(token.position))
            self.depth -= 1
            return node
        raise syntax_error(
            f"Expected a number, a function, a constant or '(' but found {_describe(token)}",
            token.position,
        )

    def name(self, token: Token) -> Node:
        name = token.text.lower()
        if name in CONSTANTS:
            return Constant(name, token.position)
        if name not in FUNCTIONS:
            known = ", ".join(sorted(FUNCTIONS) + sorted(CONSTANTS))
            raise syntax_error(f"Unknown name '{token.text}' (known: {known})", token.position)
        self.expect("(", f"'(' after {name}")
        self.enter(token.position)
        args = [self.expression()]
        while self.accept(","):
            args.append(self.expression())
        self.expect(")", f"')' to close {name}(")
        self.depth -= 1
        low, high = FUNCTIONS[name]
        if not low <= len(args) <= high:
            wanted = str(low) if low == high else f"{low} or {high}"
            raise syntax_error(
                f"{name}() takes {wanted} argument(s), got {len(args)}", token.position
            )
        return Call(name, tuple(args), token.position)


def parse(expression: str) -> Node:
    """Parse an expression into a tree, enforcing the length and depth limits."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise InputError(
            f"The expression is {len(expression):,} characters long; the limit is "
            f"{MAX_EXPRESSION_CHARS:,}",
            code="expression_too_long",
        )
    if not expression.strip():
        raise InputError("The expression is empty", code="syntax_error", position=1)
    return Parser(expression).parse()
