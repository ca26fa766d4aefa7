"""Irrational functions computed with the decimal module at a chosen working precision.

Each function takes exact Fractions and returns the Fraction of a decimal approximation
good to `digits` significant digits. The evaluator calls them at two precisions and
compares (see evaluator.py), so cancellation in later steps cannot go unnoticed.
"""

from __future__ import annotations

import decimal
import math
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from ..limits import MAX_DIGITS, MAX_TRIG_ARGUMENT_DIGITS
from .errors import InsufficientPrecisionError, MathError, domain_error, too_large
from .numbers import power_of_ten

# exp(x) stays below 10**MAX_DIGITS for x below this.
MAX_EXP_ARGUMENT = Fraction(math.floor(MAX_DIGITS * math.log(10)))


def context(digits: int) -> decimal.Context:
    """A decimal context with `digits` significant digits and room for any allowed value."""
    return decimal.Context(
        prec=digits,
        Emax=4 * MAX_DIGITS,
        Emin=-4 * MAX_DIGITS,
        traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
    )


LOG10_2 = math.log10(2)


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
    rounded = ctx.plus(Decimal((int(value < 0), tuple(map(int, str(leading))), -shift - 1)))
    return rounded, not remainder and not ctx.flags[decimal.Inexact]


def to_decimal(value: Fraction, digits: int) -> Decimal:
    """value rounded to `digits` significant digits."""
    return round_fraction(value, digits)[0]


@lru_cache(maxsize=16)
def pi(_unused: Fraction | int, digits: int) -> Fraction:
    """pi to `digits` digits by Machin's formula in integer fixed point (fast and exact).

    The unused argument gives constants the signature of the functions."""
    guard = 10
    unit = 10 ** (digits + guard)

    def arctan_inverse(x: int) -> int:
        total: int = unit // x
        term = total
        square, n, sign = x * x, 1, 1
        while term:
            term //= square
            n += 2
            sign = -sign
            total += sign * (term // n)
        return total

    return Fraction(4 * (4 * arctan_inverse(5) - arctan_inverse(239)), unit)


def e(_unused: Fraction, digits: int) -> Fraction:
    return Fraction(context(digits).exp(Decimal(1)))


def sqrt(x: Fraction, digits: int) -> Fraction:
    return Fraction(context(digits).sqrt(to_decimal(x, digits + 5)))


def ln(x: Fraction, digits: int) -> Fraction:
    if x <= 0:
        raise domain_error("ln(x) is defined for x > 0 only")
    return Fraction(context(digits).ln(to_decimal(x, digits + 5)))


def log10(x: Fraction, digits: int) -> Fraction:
    if x <= 0:
        raise domain_error("log(x) is defined for x > 0 only")
    return Fraction(context(digits).log10(to_decimal(x, digits + 5)))


def exp(x: Fraction, digits: int) -> Fraction:
    if abs(x) > MAX_EXP_ARGUMENT:
        raise too_large(f"exp(x) for |x| > {MAX_EXP_ARGUMENT} is beyond {MAX_DIGITS:,} digits")
    return Fraction(context(digits).exp(to_decimal(x, digits + 5)))


def log10_estimate(x: Fraction) -> float:
    """log10(|x|) as a float for any size of x (float(x) itself would overflow)."""
    return math.log10(abs(x.numerator)) - math.log10(x.denominator)


def power(base: Fraction, exponent: Fraction, digits: int) -> Fraction:
    """base ** exponent for base > 0 and a non-integer exponent."""
    try:
        magnitude = float(exponent) * log10_estimate(base)
    except OverflowError as exc:
        raise too_large(f"The power is beyond {MAX_DIGITS:,} digits") from exc
    if abs(magnitude) > MAX_DIGITS:
        raise too_large(f"The power is beyond {MAX_DIGITS:,} digits")
    extra = len(str(int(abs(magnitude)))) + 5
    ctx = context(digits)
    try:
        return Fraction(
            ctx.power(to_decimal(base, digits + extra), to_decimal(exponent, digits + extra))
        )
    except decimal.Overflow as exc:
        raise too_large(f"The power is beyond {MAX_DIGITS:,} digits") from exc


def _reduce(x: Fraction, digits: int) -> Decimal:
    """x modulo 2*pi, in (-pi, pi], with enough digits of pi for the size of x."""
    whole_digits = math.ceil(abs(math.trunc(x)).bit_length() * math.log10(2))
    if whole_digits > MAX_TRIG_ARGUMENT_DIGITS:
        raise MathError(
            f"Trigonometric functions accept |x| < 1e{MAX_TRIG_ARGUMENT_DIGITS}",
            code="argument_too_large",
        )
    work = digits + whole_digits + 5
    two_pi = 2 * pi(0, work)
    turns = round(x / two_pi)
    return to_decimal(x - turns * two_pi, work)


def _sin_cos(x: Fraction, digits: int) -> tuple[Decimal, Decimal]:
    """sin and cos by their Taylor series on the reduced argument."""
    ctx = context(digits + 5)
    r = _reduce(x, digits)
    square = ctx.multiply(r, r)
    sin_sum = sin_term = r
    cos_sum = cos_term = Decimal(1)
    n = 1
    while True:
        # ctx.minus, not unary '-': operators on Decimal round to the thread's context.
        cos_term = ctx.minus(ctx.divide(ctx.multiply(cos_term, square), Decimal(n * (n + 1))))
        sin_term = ctx.minus(ctx.divide(ctx.multiply(sin_term, square), Decimal((n + 1) * (n + 2))))
        new_cos, new_sin = ctx.add(cos_sum, cos_term), ctx.add(sin_sum, sin_term)
        if new_cos == cos_sum and new_sin == sin_sum:
            return sin_sum, cos_sum
        cos_sum, sin_sum, n = new_cos, new_sin, n + 2


def sin(x: Fraction, digits: int) -> Fraction:
    return Fraction(_sin_cos(x, digits)[0])


def cos(x: Fraction, digits: int) -> Fraction:
    return Fraction(_sin_cos(x, digits)[1])


def tan(x: Fraction, digits: int) -> Fraction:
    s, c = _sin_cos(x, digits)
    if abs(c) < Decimal(10) ** -digits:  # cos(x) is 0 as far as these digits can tell
        raise InsufficientPrecisionError("tan(x) is undefined where cos(x) is 0")
    return Fraction(context(digits).divide(s, c))
