"""Exact rational operations with size checks made before the work is done."""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

from ..limits import MAX_DIGITS
from .errors import division_by_zero, domain_error, too_large
from .numbers import MAX_BITS, check_bits, check_size

# The largest n whose n! has at most MAX_DIGITS digits (3249! has 10,001).
MAX_FACTORIAL = next(
    n for n in range(1, 100_000) if math.lgamma(n + 2) / math.log(10) >= MAX_DIGITS
)


def _bits(value: Fraction) -> tuple[int, int]:
    return value.numerator.bit_length(), value.denominator.bit_length()


def add(a: Fraction, b: Fraction) -> Fraction:
    (an, ad), (bn, bd) = _bits(a), _bits(b)
    check_bits(max(an + bd, bn + ad, ad + bd))
    return check_size(a + b)


def subtract(a: Fraction, b: Fraction) -> Fraction:
    return add(a, -b)


def multiply(a: Fraction, b: Fraction) -> Fraction:
    (an, ad), (bn, bd) = _bits(a), _bits(b)
    check_bits(max(an + bn, ad + bd))
    return check_size(a * b)


def divide(a: Fraction, b: Fraction) -> Fraction:
    if b == 0:
        raise division_by_zero()
    return multiply(a, 1 / b)


def modulo(a: Fraction, b: Fraction) -> Fraction:
    """Floored modulo: the result has the sign of b, so -7 % 3 is 2."""
    if b == 0:
        raise division_by_zero("Modulo by zero is undefined")
    quotient = divide(a, b)
    return subtract(a, multiply(b, Fraction(math.floor(quotient))))


def integer_power(base: Fraction, exponent: int) -> Fraction:
    """base ** exponent for an integer exponent, refused before computing if too large."""
    if base == 0:
        if exponent < 0:
            raise division_by_zero("0 raised to a negative power is undefined")
        return Fraction(int(exponent == 0))
    if abs(base.numerator) == 1 and base.denominator == 1:
        return Fraction(base.numerator ** (exponent % 2))
    # log2 of the larger of numerator and denominator, times the exponent.
    largest = max(abs(base.numerator), base.denominator)  # at least 2 here
    if abs(exponent) > MAX_BITS or math.log2(largest) * abs(exponent) > MAX_BITS:
        raise too_large(f"The power needs more than {MAX_DIGITS:,} digits")
    return check_size(base**exponent)


def integer_root(value: int, degree: int) -> int | None:
    """The exact degree-th root of a non-negative integer, or None if it is not a power."""
    if value < 2 or degree == 1:
        return value
    bits = value.bit_length()
    if degree >= bits:  # the root would lie strictly between 1 and 2
        return None
    if degree == 2:
        root = math.isqrt(value)
        return root if root * root == value else None
    # Newton's method on integers from a float estimate good to ~50 bits, so it
    # converges in a handful of steps even for a 33,000-bit value and degree 997
    # (started from a power of two it would need about degree * ln 2 steps).
    shift = max(0, -(-(bits - 60) // degree))  # ceil((bits - 60) / degree)
    estimate = (value >> (shift * degree)) ** (1.0 / degree)
    guess = (int(estimate * 2**40) << shift >> 40) + (1 << max(shift - 30, 0)) + 1
    while True:
        better = ((degree - 1) * guess + value // guess ** (degree - 1)) // degree
        if better >= guess:
            break
        guess = better
    return guess if guess**degree == value else None


@lru_cache(maxsize=256)
def rational_root(value: Fraction, degree: int) -> Fraction | None:
    """The exact degree-th root of a non-negative rational, or None."""
    numerator = integer_root(value.numerator, degree)
    denominator = integer_root(value.denominator, degree)
    if numerator is None or denominator is None:
        return None
    return Fraction(numerator, denominator)


def factorial(value: Fraction) -> Fraction:
    if value.denominator != 1 or value < 0:
        raise domain_error("Factorial is defined for non-negative integers only")
    if value > MAX_FACTORIAL:
        # The operand itself is not printed: it may have thousands of digits.
        raise too_large(
            f"n! is limited to n <= {MAX_FACTORIAL} (larger factorials have more than "
            f"{MAX_DIGITS:,} digits)"
        )
    return Fraction(_factorial(int(value)))


@lru_cache(maxsize=64)
def _factorial(n: int) -> int:
    return math.factorial(n)


def round_half_away(value: Fraction, places: int = 0) -> Fraction:
    """Round to `places` decimal places, halves away from zero (as people round)."""
    if abs(places) > MAX_DIGITS:
        raise too_large(f"round() places must be within ±{MAX_DIGITS:,}")
    scale = Fraction(10) ** places
    scaled = abs(value) * scale
    rounded = math.floor(scaled + Fraction(1, 2))
    return check_size(Fraction(rounded) / scale * (1 if value >= 0 else -1))
