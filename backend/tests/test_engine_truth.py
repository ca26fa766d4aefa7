"""Answers next to tiny terms, at jump points and near zero are the truth: every digit
returned is checked against mpmath at 700 digits, computed here rather than pasted."""

from __future__ import annotations

import decimal
from collections.abc import Callable
from decimal import Decimal

import mpmath
import pytest

from calculator.engine import evaluate

mp = mpmath.mp
# Digits of the reference: more than the smallest scale below (1e-600) needs.
TRUTH_DIGITS = 700
Truth = Callable[[], mpmath.mpf]


def floored_mod(a: mpmath.mpf, b: mpmath.mpf) -> mpmath.mpf:
    """a mod b with the sign of b, as the calculator defines it."""
    return a - b * mpmath.floor(a / b)


def round_half_away(x: mpmath.mpf) -> mpmath.mpf:
    return mpmath.sign(x) * mpmath.floor(abs(x) + mpmath.mpf(1) / 2)


def significant(value: mpmath.mpf, digits: int) -> Decimal:
    """value correctly rounded (half to even) to `digits` significant digits."""
    text = mpmath.nstr(value, TRUTH_DIGITS - 10, min_fixed=1, max_fixed=0, strip_zeros=False)
    return decimal.Context(prec=digits, Emax=99999, Emin=-99999).plus(Decimal(text))


def mpf(text: str) -> mpmath.mpf:
    return mpmath.mpf(text)


# The rows of the issue that found these failures: (expression, precision, truth).
ROWS: list[tuple[str, int, Truth]] = [
    ("ln(pi*6.62607015e-34)", 28, lambda: mpmath.log(mp.pi * mpf("6.62607015e-34"))),
    ("ln(pi*1e-60)", 28, lambda: mpmath.log(mp.pi * mpf("1e-60"))),
    ("sqrt(pi*1e-150)", 28, lambda: mpmath.sqrt(mp.pi * mpf("1e-150"))),
    ("1/(ln(7)*1e-150)", 28, lambda: 1 / (mpmath.log(7) * mpf("1e-150"))),
    ("cos(1e-100)-1", 28, lambda: mpmath.cos(mpf("1e-100")) - 1),
    ("floor(7-sqrt(8)*1e-150)", 28, lambda: mpmath.floor(7 - mpmath.sqrt(8) * mpf("1e-150"))),
    (
        "round(2.5-exp(9)*1e-100)",
        28,
        lambda: round_half_away(mpf("2.5") - mpmath.exp(9) * mpf("1e-100")),
    ),
    ("2.5+pi*1e-120", 1, lambda: mpf("2.5") + mp.pi * mpf("1e-120")),
    ("1.05+pi*1e-120", 2, lambda: mpf("1.05") + mp.pi * mpf("1e-120")),
    ("(pi+1e-80)-pi", 28, lambda: (mp.pi + mpf("1e-80")) - mp.pi),
    ("exp(200) % 1", 28, lambda: floored_mod(mpmath.exp(200), mpf(1))),
    ("-1 % (pi*1e70)", 28, lambda: floored_mod(mpf(-1), mp.pi * mpf("1e70"))),
]


@pytest.mark.parametrize(("expression", "precision", "truth"), ROWS, ids=[r[0] for r in ROWS])
def test_every_digit_is_the_truth(expression: str, precision: int, truth: Truth) -> None:
    """The answer is the true value correctly rounded to `precision` digits."""
    with mpmath.workdps(TRUTH_DIGITS):
        expected = significant(truth(), precision)
    assert Decimal(evaluate(expression, precision).result) == expected


@pytest.mark.parametrize(
    ("expression", "truth"),
    [
        ("log(2,1+1e-50)", lambda: mpmath.log(2) / mpmath.log(1 + mpf("1e-50"))),
        ("exp(-200)", lambda: mpmath.exp(-200)),
        ("tan(pi/2 - 1e-60)", lambda: mpmath.tan(mp.pi / 2 - mpf("1e-60"))),
        ("1e200 % pi", lambda: floored_mod(mpf("1e200"), mp.pi)),
        ("sin(1e99)", lambda: mpmath.sin(mpf("1e99"))),
        ("(1+1e-300)^(1e300+0.5)", lambda: (1 + mpf("1e-300")) ** (mpf("1e300") + mpf("0.5"))),
        ("asin(1-1e-200)", lambda: mpmath.asin(1 - mpf("1e-200"))),
        ("1e-300*sin(1e-300)+pi*1e-600", lambda: mpf("1e-600") * (1 + mp.pi)),
    ],
)
def test_small_terms_and_near_poles_at_full_precision(expression: str, truth: Truth) -> None:
    """At the largest precision, results that need hundreds of extra digits are right."""
    with mpmath.workdps(TRUTH_DIGITS):
        expected = significant(truth(), 100)
    assert Decimal(evaluate(expression, 100).result) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("floor(sqrt(2)^2)", "2"),
        ("(sqrt(2)^2)!", "2"),
        ("round(0.5+sin(pi))", "1"),
        ("sqrt(sin(pi))", "0"),
        ("0^sin(pi)", "1"),
        ("sin(pi)*1e40", "0"),
        ("(sqrt(2)^2-2)*1e50", "0"),
        ("ceil(ln(e^3))", "3"),
        ("2.5+sin(pi)", "2.5"),
    ],
)
def test_the_rule_at_the_working_precision_cap(expression: str, expected: str) -> None:
    """A value whose enclosure stays within 10^-CAP_RULE_DIGITS of a jump point at the
    highest working precision counts as the jump point; the answer says it is not
    proven exact."""
    result = evaluate(expression)
    assert (result.result, result.exact) == (expected, False)


@pytest.mark.parametrize(
    ("expression", "precision"),
    [("2.5+sin(pi)", 1), ("0.125+(sqrt(2)^2-2)", 2)],
)
def test_a_rounding_boundary_at_the_cap_rounds_half_to_even(
    expression: str, precision: int
) -> None:
    """An approximate value on a rounding boundary (2.5 to one digit) is the boundary
    at the cap, rounded half to even like an exact one."""
    with mpmath.workdps(50):
        expected = significant(mpf(expression.split("+", maxsplit=1)[0]), precision)
    assert Decimal(evaluate(expression, precision).result) == expected


@pytest.mark.parametrize(
    ("expression", "exact_value"),
    [
        ("floor(pi)", "3"),
        ("round(e, 3)", "2.718"),
        ("sin(30deg)", "0.5"),
        ("cos(60deg)", "0.5"),
        ("tan(135deg)", "-1"),
        ("nthroot(-8,3)", "-2"),
        ("cbrt(0.001)", "0.1"),
        ("log2(1024)", "10"),
        ("0*pi", "0"),
    ],
)
def test_proven_exact_values_are_exact(expression: str, exact_value: str) -> None:
    """Integers decided by a proof and exact special values are exact results."""
    result = evaluate(expression)
    assert (result.result, result.exact) == (exact_value, True)
