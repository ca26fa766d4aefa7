"""Rounding to significant digits and the text and JSON forms of a result."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .transcendental import context, round_fraction

# Plain notation between 1e-7 and 10**precision; scientific notation outside.
SMALLEST_PLAIN_EXPONENT = -7
# A double holds integers exactly up to 2**53; beyond that `value` is a float.
MAX_SAFE_INTEGER = 2**53


@dataclass(frozen=True)
class Result:
    """What a calculation returns: the decimal text is the answer."""

    result: str
    value: int | float | None
    exact: bool
    precision: int


def to_text(number: Decimal, precision: int) -> str:
    """'0.3', '18446744073709551616', '1.5E+40': no trailing zeros, no '-0'."""
    if number.is_zero():
        return "0"
    number = number.normalize(context(precision))
    if SMALLEST_PLAIN_EXPONENT <= number.adjusted() < precision:
        return format(number, "f")
    return str(number)


def to_json_number(number: Decimal) -> int | float | None:
    """The nearest JSON number, or None where a double cannot hold the value."""
    if number == number.to_integral_value() and abs(number) <= MAX_SAFE_INTEGER:
        return int(number)
    as_float = float(number)
    if math.isinf(as_float) or (as_float == 0 and not number.is_zero()):
        return None
    return as_float


def make_result(value: Fraction, exact: bool, precision: int) -> Result:
    rounded, lossless = round_fraction(value, precision)
    return Result(
        to_text(rounded, precision), to_json_number(rounded), exact and lossless, precision
    )
