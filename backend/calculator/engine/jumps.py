"""Decisions at jump points (zero, an integer, a half, a rounding boundary), taken only
when the enclosure proves them.

Below the working-precision cap an undecided case raises Undecided and the precision
loop (precision.py) retries with more bits. At the cap, an enclosure narrower than
10^-CAP_RULE_DIGITS around the jump point counts as the jump point (so sin(pi) is 0
and floor(sqrt(2)^2) is 2); anything wider is refused as precision_exhausted.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import TypeAlias, TypeVar

from flint import arb

from ..limits import CAP_RULE_DIGITS, MAX_WORKING_BITS
from .errors import MathError

T = TypeVar("T")
Value: TypeAlias = Fraction | arb

# Half the width an enclosure may have at the cap and still count as its jump point.
CAP_RADIUS = Fraction(1, 10**CAP_RULE_DIGITS)


# See ends(): radii more than this many bits below the midpoint's last bit are widened.
RADIUS_FLOOR_BITS = 4 * MAX_WORKING_BITS


class Undecided(Exception):  # noqa: N818 - a signal to the precision loop, not an error
    """The enclosure straddles a jump point: more working precision may decide it."""


def dyadic(numerator: int, exponent: int) -> Fraction:
    """numerator * 2**exponent as a Fraction, built without a gcd: after removing its
    factors of two the numerator is coprime to the power-of-two denominator, and a gcd
    of two 40,000-bit numbers is what made every decision at the cap slow."""
    if numerator == 0:
        return Fraction(0)
    zeros = (numerator & -numerator).bit_length() - 1
    numerator >>= zeros
    exponent += zeros
    if exponent >= 0:
        return Fraction(numerator << exponent)
    value = object.__new__(Fraction)
    value._numerator = numerator  # type: ignore[attr-defined]
    value._denominator = 1 << -exponent  # type: ignore[attr-defined]
    return value


def to_fraction(x: arb) -> Fraction:
    """The exact value of a ball's midpoint or radius (a binary fraction)."""
    mantissa, exponent = x.man_exp()
    return dyadic(int(mantissa), int(exponent))


def ends(x: Value) -> tuple[Fraction, Fraction]:
    """The lower and upper end of the enclosure, exactly."""
    if isinstance(x, Fraction):
        return x, x
    (mantissa, exponent), (radius, radius_exponent) = x.mid().man_exp(), x.rad().man_exp()
    mantissa, exponent, radius, radius_exponent = (
        int(mantissa),
        int(exponent),
        int(radius),
        int(radius_exponent),
    )
    if radius and radius_exponent < exponent - RADIUS_FLOOR_BITS:
        # A radius far below the midpoint's last bit (tanh(7e239) is 1 within
        # 2^-10^240) is widened to one that is cheap to represent: still an enclosure.
        radius, radius_exponent = 1, exponent - RADIUS_FLOOR_BITS
    if radius and mantissa and exponent < radius_exponent - RADIUS_FLOOR_BITS:
        # A midpoint negligible next to the radius: [-2r, 2r] encloses the value.
        mantissa, radius = 0, 2 * radius
    base = min(exponent, radius_exponent)
    middle = mantissa << (exponent - base)
    spread = radius << (radius_exponent - base)
    return dyadic(middle - spread, base), dyadic(middle + spread, base)


class Jumps:
    """Takes the decisions of one evaluation; `assumed` records any use of the cap rule."""

    def __init__(self, at_cap: bool) -> None:
        self.at_cap = at_cap
        self.assumed = False

    def point(self, low: Fraction, high: Fraction, point: Fraction, what: str) -> Fraction:
        """[low, high] straddles `point`: at the cap and narrow enough it counts as the
        point; otherwise more precision is needed, or at the cap the answer is refused."""
        if not self.at_cap:
            raise Undecided
        if low <= point <= high and high - point < CAP_RADIUS * max(Fraction(1), abs(point)):
            self.assumed = True
            return point
        raise MathError(
            f"{what} cannot be decided: the value stays too close to the point where "
            "the result jumps at the highest working precision",
            code="precision_exhausted",
        )

    def step(
        self,
        x: Value,
        function: Callable[[Fraction], T],
        nearest: Callable[[Fraction], Fraction],
        what: str,
    ) -> tuple[T, bool]:
        """function(x) for a piecewise-constant, monotonic function (floor, round) and
        whether it is proven; `nearest` gives the jump point nearest a value."""
        if isinstance(x, Fraction):
            return function(x), True
        low, high = ends(x)
        first = function(low)
        if first == function(high):
            return first, True
        return function(self.point(low, high, nearest((low + high) / 2), what)), False

    def sign(self, x: Value, what: str) -> int:
        """-1, 0 or 1: the sign of x, proven, or 0 by the cap rule."""
        if isinstance(x, Fraction):
            return (x > 0) - (x < 0)
        if x > 0:
            return 1
        if x < 0:
            return -1
        if not x.is_zero():
            self.point(*ends(x), Fraction(0), what)
        return 0

    def integer(self, x: Value, what: str) -> int | None:
        """x as an integer when it is one (proven, or by the cap rule); None when x is
        proven not to be an integer."""
        if isinstance(x, Fraction):
            return int(x) if x.denominator == 1 else None
        low, high = ends(x)
        if low == high:
            return int(low) if low.denominator == 1 else None
        if math.ceil(low) > math.floor(high):
            return None  # the enclosure holds no integer
        return int(self.point(low, high, Fraction(round((low + high) / 2)), what))
