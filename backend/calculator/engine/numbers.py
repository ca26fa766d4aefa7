"""Exact numbers: a Fraction plus a flag saying whether it is still exact.

Rational arithmetic is exact. A value that came from an irrational function (sqrt(2),
ln, trig, pi) is the Fraction of a decimal approximation and is marked inexact.
Every result is checked against MAX_DIGITS before and after it is computed, so no
request can build a number that takes noticeable time or memory.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

from ..limits import MAX_DIGITS, MAX_OPERAND_CHARS
from .errors import InputError, too_large

# Bits needed for the largest allowed numerator or denominator.
MAX_BITS = math.ceil(MAX_DIGITS * math.log2(10))

# ASCII only: str.isdigit() would also accept Arabic-Indic and other digits.
NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class Num(NamedTuple):
    """A value during evaluation."""

    value: Fraction
    exact: bool = True


# The smallest integer with more than MAX_DIGITS digits.
TOO_MANY_DIGITS = 10**MAX_DIGITS


def check_size(value: Fraction) -> Fraction:
    """Reject a value whose numerator or denominator has more than MAX_DIGITS digits
    (counted exactly, so 10^10000 is refused like the literal 1e10000)."""
    if abs(value.numerator) >= TOO_MANY_DIGITS or value.denominator >= TOO_MANY_DIGITS:
        raise too_large(f"A result needs more than {MAX_DIGITS:,} digits")
    return value


def check_bits(bits: float) -> None:
    """Reject an operation before computing it when its result would be far too large."""
    if bits > 2 * MAX_BITS:
        raise too_large(f"A result needs more than {MAX_DIGITS:,} digits")


@lru_cache(maxsize=64)
def power_of_ten(exponent: int) -> int:
    """10**exponent, cached: values near the digit limit reuse the same large powers."""
    power: int = 10**exponent
    return power


def parse_literal(text: str) -> Fraction:
    """Exact value of a decimal literal such as '0.1', '-2.5e3' or '.5'.

    The caller has already matched NUMBER_RE; the exponent is bounded before any power
    of ten is built, so '1e99999999' costs nothing.
    """
    mantissa, _, exponent_text = text.lower().partition("e")
    sign = -1 if mantissa.startswith("-") else 1
    mantissa = mantissa.lstrip("+-")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0") or "0"
    exponent = int(exponent_text or "0") - len(fraction)
    if digits != "0":
        magnitude = len(digits) + exponent  # number of digits left of the point
        if magnitude > MAX_DIGITS or -exponent > MAX_DIGITS:
            raise too_large(f"The number {text[:20]}... is beyond {MAX_DIGITS:,} digits")
    if digits == "0":
        return Fraction(0)
    if exponent >= 0:
        return Fraction(sign * int(digits) * power_of_ten(exponent))
    return Fraction(sign * int(digits), power_of_ten(-exponent))


def parse_number(text: str, name: str = "value") -> Fraction:
    """Parse an operand given as text: ASCII decimal notation only, surrounding spaces allowed."""
    if len(text) > MAX_OPERAND_CHARS:
        raise InputError(
            f"'{name}' is longer than {MAX_OPERAND_CHARS:,} characters", code="invalid_number"
        )
    stripped = text.strip(" \t\r\n")
    if not stripped:
        raise InputError(f"'{name}' is empty; expected a number", code="invalid_number")
    if not NUMBER_RE.fullmatch(stripped):
        shown = stripped if len(stripped) <= 40 else stripped[:40] + "..."
        raise InputError(
            f"'{name}' is not a number: {shown!r} (use digits 0-9, an optional '.', "
            "and an optional exponent such as 1e-3)",
            code="invalid_number",
        )
    return parse_literal(stripped)
