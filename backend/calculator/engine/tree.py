"""Expression tree produced by the parser and walked by the evaluator."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Number:
    value: Fraction
    position: int


@dataclass(frozen=True)
class Constant:
    name: str
    position: int


@dataclass(frozen=True)
class Negate:
    operand: Node
    position: int


@dataclass(frozen=True)
class Chain:
    """A left-associative run such as a + b - c: evaluated in a loop, not by recursion."""

    first: Node
    rest: tuple[tuple[str, Node, int], ...]  # (operator, operand, position)


@dataclass(frozen=True)
class Power:
    base: Node
    exponent: Node
    position: int


@dataclass(frozen=True)
class Factorial:
    operand: Node
    position: int


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    position: int


Node = Number | Constant | Negate | Chain | Power | Factorial | Call
