"""Rounding to significant digits and the text and JSON forms of a result."""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from ..limits import MAX_DIGITS
from .rounding import context, round_fraction

# Plain notation between 1e-7 and 10**precision; scientific notation outside.
SMALLEST_PLAIN_EXPONENT = -7
LOG2_5 = math.log2(5)
LOG10_2 = math.log10(2)
# A double holds integers exactly up to 2**53; beyond that `value` is a float.
MAX_SAFE_INTEGER = 2**53


@dataclass(frozen=True)
class Result:
    """What a calculation returns: the decimal text is the answer."""

    result: str
    value: int | float | None
    exact: bool
    precision: int
    # "p/q" for every rational result (integers too, as "n/1"); None for irrational ones.
    fraction: str | None = None


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


def terminating(value: Fraction) -> Decimal | None:
    """value's finite decimal form, exactly, or None if it has none (the denominator
    has a prime factor other than 2 and 5) or it has more than MAX_DIGITS digits."""
    denominator = value.denominator
    twos = (denominator & -denominator).bit_length() - 1
    denominator >>= twos
    # The rest must be 5**fives: found from its size, not by thousands of divisions.
    fives = round(denominator.bit_length() / LOG2_5)
    fives = next((k for k in (fives - 1, fives, fives + 1) if k >= 0 and 5**k == denominator), -1)
    if fives < 0:
        return None
    places = max(twos, fives)  # value * 10**places is an integer
    if abs(value.numerator).bit_length() * LOG10_2 + places > MAX_DIGITS + 1:
        return None
    scaled = abs(value.numerator) * 2 ** (places - twos) * 5 ** (places - fives)
    # Built from its digits: no context, so nothing is rounded however long it is.
    digits = Decimal(scaled).as_tuple().digits
    number = Decimal((int(value < 0), digits, -places))
    return number.normalize(decimal.Context(prec=len(digits), Emin=-places - 1))


def integer_text(number: int) -> str:
    """Decimal digits of an integer of any size (str() refuses over 4,300 digits and
    takes quadratic time; the decimal module does neither)."""
    return str(Decimal(number))


def exact_text(number: Decimal) -> str:
    """An exact decimal in full. Integers are written out, every digit (10^29 is a 1 and 29
    zeros, 3248! all 9,998 digits; terminating() bounds them to the digit limit); other
    values are plain from 1e-7 up and keep their exponent below (1E-30), as people write."""
    if number.is_zero():
        return "0"
    if number == number.to_integral_value() or number.adjusted() >= SMALLEST_PLAIN_EXPONENT:
        return format(number, "f")
    return str(number)


def make_result(value: Fraction, exact: bool, precision: int) -> Result:
    """The Result for a value: an exact one with a finite decimal form in full whatever
    `precision` says, anything else rounded to `precision` significant digits."""
    fraction = (
        f"{integer_text(value.numerator)}/{integer_text(value.denominator)}" if exact else None
    )
    number = terminating(value) if exact else None
    if number is not None:
        return Result(exact_text(number), to_json_number(number), True, precision, fraction)
    rounded, _ = round_fraction(value, precision)
    return Result(to_text(rounded, precision), to_json_number(rounded), False, precision, fraction)


def approximate_result(rounded: Decimal, precision: int) -> Result:
    """The Result for a value proven to round to `rounded` at `precision` digits."""
    return Result(to_text(rounded, precision), to_json_number(rounded), False, precision)
