"""Recursive-descent parser for calculator expressions.

Grammar, loosest binding first (mathjs is the reference):

    expression := term (("+" | "-") term)*
    term       := unary ((("*" | "/" | "%" | "mod") unary) | implicit)*
    implicit   := power                        when it starts with a name, "(" or "√":
                                               2pi, 2(3), (1+2)(3+4), 2sqrt(2), 3e
    unary      := ("-" | "+") unary | power
    power      := root ("^" unary)?             right-associative; -2^2 is -(2^2)
    root       := "√" root | postfix            √x is sqrt(x): √4^2 is (√4)^2
    postfix    := primary ("!" | "%" | "deg")*  "%" here is percent (50% is 0.5)
    primary    := NUMBER | CONSTANT | FUNCTION "(" expression ("," expression)* ")"
                | "(" expression ")"

Implicit multiplication has the precedence of "*" (left to right), as in mathjs: 1/2pi
is (1/2)*pi, and 2pi^2 is 2*(pi^2). A "%" is percent when what follows cannot start an
operand (the end, ")", ",", an operator); otherwise it is modulo, like "mod": 50%+1 is
1.5, 7 % 3 is 1, 10 % -3 is 0.1-3 (write 10 mod -3 for the modulo).

Our own parser over numbers (never eval, never a Python AST) so that the language is
exactly this grammar and every construct is bounded: nesting depth is counted, and
left-associative runs are loops rather than recursion.
"""

from __future__ import annotations

from fractions import Fraction

from ..limits import MAX_DEPTH, MAX_EXPRESSION_CHARS
from .errors import InputError, syntax_error
from .functions import CONSTANTS, FUNCTIONS
from .lexer import Token, tokenize
from .numbers import parse_literal
from .tree import Call, Chain, Constant, Degrees, Factorial, Negate, Node, Number, Power

# Words that are operators: binary modulo and the postfix unit of angles.
MODULO_WORD = "mod"
DEGREES_WORD = "deg"
KEYWORDS = (MODULO_WORD, DEGREES_WORD)


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
                hint = " (an operator is missing before this number)"
            elif token.text == ")":
                hint = " (it closes no '(')"
            raise syntax_error(
                f"Expected an operator or the end of the expression but found "
                f"{_describe(token)}{hint}",
                token.position,
            )
        return node

    def starts_operand(self, token: Token) -> bool:
        """Whether the token can begin an operand of an implicit multiplication."""
        if token.kind == "name":
            return token.text.lower() not in KEYWORDS
        return token.kind == "op" and token.text in ("(", "√")

    def expression(self) -> Node:
        first = self.term()
        rest: list[tuple[str, Node]] = []
        while self.current.kind == "op" and self.current.text in "+-":
            op = self.advance()
            rest.append((op.text, self.term()))
        return Chain(first, tuple(rest)) if rest else first

    def term(self) -> Node:
        first = self.unary()
        rest: list[tuple[str, Node]] = []
        while True:
            token = self.current
            if token.kind == "op" and token.text in "*/%":
                self.advance()
                rest.append((token.text, self.unary()))
            elif token.kind == "name" and token.text.lower() == MODULO_WORD:
                self.advance()
                rest.append(("%", self.unary()))
            elif self.starts_operand(token):
                rest.append(("*", self.power()))
            else:
                return Chain(first, tuple(rest)) if rest else first

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
        while True:
            token = self.current
            if token.kind == "op" and token.text == "!":
                node = Factorial(node, self.advance().position)
            elif token.kind == "name" and token.text.lower() == DEGREES_WORD:
                node = Degrees(node, self.advance().position)
            elif token.kind == "op" and token.text == "%" and not self.operand_follows():
                self.advance()
                node = Chain(node, (("/", Number(Fraction(100), token.position)),))
            else:
                return node

    def operand_follows(self) -> bool:
        """Whether the token after the current one begins an operand (then a '%' is
        modulo, else percent)."""
        following = self.tokens[self.index + 1]
        return following.kind == "number" or self.starts_operand(following)

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
            if name in KEYWORDS:
                raise syntax_error(f"'{token.text}' needs an operand before it", token.position)
            known = ", ".join(sorted(FUNCTIONS) + sorted(CONSTANTS) + sorted(KEYWORDS))
            raise syntax_error(f"Unknown name '{token.text}' (known: {known})", token.position)
        self.expect("(", f"'(' after {name}")
        self.enter(token.position)
        args = [self.expression()]
        while self.accept(","):
            args.append(self.expression())
        self.expect(")", f"')' to close {name}(")
        self.depth -= 1
        low, high = FUNCTIONS[name].arity
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
