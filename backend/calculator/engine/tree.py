"""Expression tree produced by the parser and walked by the evaluator.

Positions do not take part in equality: equal subtrees (sin(pi) typed twice) are equal
keys for the evaluator's caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class Number:
    value: Fraction
    position: int = field(compare=False)


@dataclass(frozen=True)
class Constant:
    name: str
    position: int = field(compare=False)


@dataclass(frozen=True)
class Negate:
    operand: Node
    position: int = field(compare=False)


@dataclass(frozen=True)
class Chain:
    """A left-associative run such as a + b - c: evaluated in a loop, not by recursion."""

    first: Node
    rest: tuple[tuple[str, Node], ...]  # (operator, operand)


@dataclass(frozen=True)
class Power:
    base: Node
    exponent: Node
    position: int = field(compare=False)


@dataclass(frozen=True)
class Factorial:
    operand: Node
    position: int = field(compare=False)


@dataclass(frozen=True)
class Degrees:
    """x deg: an angle in degrees, x * pi / 180 (exact inside sin, cos and tan)."""

    operand: Node
    position: int = field(compare=False)


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    position: int = field(compare=False)


Node = Number | Constant | Negate | Chain | Power | Factorial | Degrees | Call
