"""Correct rounding to significant digits, of exact fractions and of proven enclosures."""

from __future__ import annotations

import decimal
import math
from decimal import Decimal
from fractions import Fraction

from ..limits import MAX_DIGITS
from .numbers import power_of_ten

LOG10_2 = math.log10(2)


def context(digits: int) -> decimal.Context:
    """A decimal context with `digits` significant digits and room for any allowed value."""
    return decimal.Context(
        prec=digits,
        Emax=4 * MAX_DIGITS,
        Emin=-4 * MAX_DIGITS,
        traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
    )


def round_fraction(value: Fraction, digits: int) -> tuple[Decimal, bool]:
    """value correctly rounded (half to even) to `digits` significant digits, and
    whether that lost nothing.

    Works on the leading digits only: integer division yields digits + 3 of them plus a
    sticky digit for any remainder, which decides every rounding case correctly. Turning
    a 10,000-digit integer into a Decimal instead would cost milliseconds each time.
    """
    numerator, denominator = abs(value.numerator), value.denominator
    if numerator == 0:
        return Decimal(0), True
    # floor(log10(value)) to within one, from the bit lengths.
    magnitude = int((numerator.bit_length() - denominator.bit_length()) * LOG10_2)
    shift = digits + 3 - magnitude
    if shift >= 0:
        quotient, remainder = divmod(numerator * power_of_ten(shift), denominator)
    else:
        quotient, remainder = divmod(numerator, denominator * power_of_ten(-shift))
    leading = quotient * 10 + (1 if remainder else 0)
    ctx = context(digits)
    digit_tuple = Decimal(leading).as_tuple().digits
    rounded = ctx.plus(Decimal((int(value < 0), digit_tuple, -shift - 1)))
    return rounded, not remainder and not ctx.flags[decimal.Inexact]


def round_enclosure(low: Fraction, high: Fraction, digits: int) -> tuple[Decimal, Decimal]:
    """The correct roundings of low and high. Rounding is monotonic, so when they agree
    every value in [low, high] rounds alike: the digits are proven for the enclosure.
    When they differ (by one unit in the last place, for a narrow enclosure), the
    rounding boundary between them is their midpoint."""
    return round_fraction(low, digits)[0], round_fraction(high, digits)[0]
