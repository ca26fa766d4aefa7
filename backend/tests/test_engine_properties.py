"""Property tests: whatever is typed, the engine answers or raises a CalculationError."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from calculator.engine import CalculationError, calculate, evaluate

# Fragments of the language and of the usual mistakes, combined at random.
FRAGMENTS = [
    *"0123456789.+-*/%^!(),e ",
    "pi",
    "sqrt(",
    "sin(",
    "tan(",
    "ln(",
    "log(",
    "exp(",
    "round(",
    "floor(",
    "abs(",
    "1e999",
    "1e-999",
    "9^9",
    "0.1",
    "×",
    "÷",
    "−",
    "**",
    "٣",
    "\u200b",
]
expressions = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=40).map("".join)


@settings(max_examples=200, deadline=None)
@given(expression=expressions, precision=st.integers(1, 100))
def test_any_input_evaluates_or_raises_a_coded_error(expression: str, precision: int) -> None:
    """No input escapes as an unexpected exception; every refusal has a code."""
    try:
        answer = evaluate(expression, precision).result
    except CalculationError as error:
        answer = f"{error.code}: {error.detail}"
    assert answer
    assert not answer.startswith(": ")


@settings(max_examples=300, deadline=None)
@given(
    a=st.decimals(min_value=-(10**20), max_value=10**20, places=8),
    b=st.decimals(min_value=-(10**20), max_value=10**20, places=8),
)
def test_addition_and_subtraction_are_exact_inverses(a: Decimal, b: Decimal) -> None:
    """(a + b) - b == a exactly for decimals, through the named operations."""
    total = calculate("add", {"a": Fraction(a), "b": Fraction(b)}, 100)
    back = calculate("subtract", {"a": Fraction(total.result), "b": Fraction(b)}, 100)
    assert total.exact
    assert back.exact
    assert Fraction(back.result) == Fraction(a)


@settings(max_examples=300, deadline=None)
@given(
    a=st.decimals(min_value=-(10**15), max_value=10**15, places=6),
    b=st.decimals(min_value=-(10**15), max_value=10**15, places=6),
)
def test_decimal_sums_are_exact(a: Decimal, b: Decimal) -> None:
    """A sum of two decimals within 28 significant digits is exact, as by hand."""
    result = evaluate(f"({a})+({b})")
    assert result.exact
    assert Fraction(result.result) == Fraction(str(a)) + Fraction(str(b))
