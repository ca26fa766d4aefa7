"""The calculator engine on its own: grammar, exactness, rounding and every error code."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from calculator.engine import InputError, MathError, calculate, evaluate, parse_number
from calculator.limits import MAX_DEPTH, MAX_EXPRESSION_CHARS


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # exactness where floats fail
        ("0.1+0.2", "0.3"),
        ("1/3*3", "1"),
        ("0.1*3", "0.3"),
        ("1.1-1", "0.1"),
        ("2^64", "18446744073709551616"),
        ("1e999/1e998", "10"),
        # precedence and associativity
        ("2+3*4", "14"),
        ("(2+3)*4", "20"),
        ("2*(3+4)^2", "98"),
        ("-2^2", "-4"),
        ("(-2)^2", "4"),
        ("2^3^2", "512"),
        ("2^-1", "0.5"),
        ("10-4-3", "3"),
        ("64/4/2", "8"),
        ("-3!", "-6"),
        ("3!^2", "36"),
        ("--2", "2"),
        ("+5", "5"),
        # floored modulo
        ("-7 % 3", "2"),
        ("7 mod -3", "-2"),
        ("7 % (-3)", "-2"),
        ("-7 MOD 3", "2"),
        ("7.5 % 2", "1.5"),
        # functions and constants
        ("sqrt(16)", "4"),
        ("sqrt(0.25)", "0.5"),
        ("abs(-3.5)", "3.5"),
        ("floor(-2.5)", "-3"),
        ("ceil(2.1)", "3"),
        ("round(2.5)", "3"),
        ("round(-2.5)", "-3"),
        ("round(3.14159, 2)", "3.14"),
        ("log(1000)", "3"),
        ("log(8, 2)", "3"),
        ("ln(1)", "0"),
        ("exp(0)", "1"),
        ("sin(0)", "0"),
        ("cos(0)", "1"),
        ("10!", "3628800"),
        ("0!", "1"),
        ("4^0.5", "2"),
        ("(-8)^(1/3)", "-2"),
        ("0^0", "1"),
        # aliases and spacing
        ("3×4÷2−1", "5"),
        ("2**10", "1024"),
        ("√16", "4"),
        ("√4^2", "4"),
        ("√√16", "2"),
        ("-√9", "-3"),
        ("  1 +\t2 ", "3"),
        ("2^100", "1267650600228229401496703205376"),
        ("1e-40+1", "1." + "0" * 39 + "1"),
        ("1e999", "1" + "0" * 999),
        ("1e-30", "1E-30"),
        ("10^29", "1" + "0" * 29),
        ("3248!", format(Decimal(math.factorial(3248)), "f")),
        ("3248!/10^800", format(Decimal(math.factorial(3248) // 10**800), "f")),
        ("2^-3", "0.125"),
    ],
)
def test_exact_results(expression: str, expected: str) -> None:
    """Rational expressions evaluate exactly to the expected decimal text."""
    result = evaluate(expression)
    assert result.result == expected
    assert result.exact


@pytest.mark.parametrize(
    ("expression", "precision", "expected"),
    [
        ("1/3", 28, "0.3333333333333333333333333333"),
        ("2/3", 5, "0.66667"),
        ("sqrt(2)", 28, "1.414213562373095048801688724"),
        ("pi", 50, "3.1415926535897932384626433832795028841971693993751"),
        ("e", 20, "2.7182818284590452354"),
        ("ln(2)", 28, "0.6931471805599453094172321215"),
        ("sin(1)", 28, "0.8414709848078965066525023216"),
        ("cos(1)", 15, "0.54030230586814"),
        ("tan(1)", 28, "1.557407724654902230506974807"),
        ("exp(1)", 28, "2.718281828459045235360287471"),
        ("2^0.5", 28, "1.414213562373095048801688724"),
        ("(pi+1e20)-1e20", 28, "3.141592653589793238462643383"),
        ("sin(pi)", 28, "0"),
        ("cos(pi)", 28, "-1"),
        ("sin(1e50)", 28, "-0.7896724934293100827102895399"),
    ],
)
def test_rounded_results(expression: str, precision: int, expected: str) -> None:
    """Irrational and over-long results are correct to `precision` significant digits."""
    result = evaluate(expression, precision)
    assert result.result == expected
    assert not result.exact


@pytest.mark.parametrize(
    ("result_text", "value"),
    [("0.3", 0.3), ("98", 98), ("1" + "0" * 999, None), ("1E-999", None), ("-4", -4)],
)
def test_value_is_nearest_json_number(result_text: str, value: float | None) -> None:
    """`value` is the nearest double, an int when exactly representable, None beyond range."""
    result = evaluate(result_text)
    assert result.result == result_text
    assert result.value == value
    assert type(result.value) is type(value)


@pytest.mark.parametrize(
    ("expression", "error", "code"),
    [
        ("1/0", MathError, "division_by_zero"),
        ("5 % 0", MathError, "division_by_zero"),
        ("0^-1", MathError, "division_by_zero"),
        ("sqrt(-1)", MathError, "domain_error"),
        ("ln(0)", MathError, "domain_error"),
        ("log(-1)", MathError, "domain_error"),
        ("log(5, 1)", MathError, "domain_error"),
        ("(-8)^0.5", MathError, "domain_error"),
        ("2.5!", MathError, "domain_error"),
        ("(-1)!", MathError, "domain_error"),
        ("round(1, 0.5)", MathError, "domain_error"),
        ("tan(pi/2)", MathError, "domain_error"),
        ("tan(pi/2)+tan(3*pi/2)", MathError, "domain_error"),
        ("1/sin(pi)", MathError, "division_by_zero"),
        ("9^9^9", MathError, "result_too_large"),
        ("10000!", MathError, "result_too_large"),
        ("1e99999", MathError, "result_too_large"),
        ("exp(1e6)", MathError, "result_too_large"),
        ("sin(1e200)", MathError, "argument_too_large"),
        ("1 +", InputError, "syntax_error"),
        ("(1", InputError, "syntax_error"),
        ("1)", InputError, "syntax_error"),
        ("2 3", InputError, "syntax_error"),
        ("√", InputError, "syntax_error"),
        ("foo(1)", InputError, "syntax_error"),
        ("sqrt(1, 2)", InputError, "syntax_error"),
        ("1..2", InputError, "syntax_error"),
        ("1e5e3", InputError, "syntax_error"),
        ("deg", InputError, "syntax_error"),
        ("2 mod", InputError, "syntax_error"),
        ("nthroot(8)", InputError, "syntax_error"),
        ("nthroot(-16, 4)", MathError, "domain_error"),
        ("nthroot(8, 0)", MathError, "domain_error"),
        ("asin(2)", MathError, "domain_error"),
        ("acos(-1.5)", MathError, "domain_error"),
        ("log2(0)", MathError, "domain_error"),
        ("cosh(1e6)", MathError, "result_too_large"),
        ("tan(90deg)", MathError, "domain_error"),
        ("", InputError, "syntax_error"),
        ("x" * (MAX_EXPRESSION_CHARS + 1), InputError, "expression_too_long"),
        ("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1), InputError, "too_deep"),
        ("-" * (MAX_DEPTH + 1) + "1", InputError, "too_deep"),
    ],
)
def test_errors_have_stable_codes(expression: str, error: type[Exception], code: str) -> None:
    """Each kind of failure raises InputError (400) or MathError (422) with its code."""
    with pytest.raises(error) as caught:
        evaluate(expression)
    assert caught.value.code == code  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("expression", "position"), [("1 + * 2", 5), ("(1", 3), ("2 $ 3", 3), ("sqrt 4", 6)]
)
def test_syntax_errors_say_where(expression: str, position: int) -> None:
    """A syntax error reports the 1-based position of the offending character."""
    with pytest.raises(InputError) as caught:
        evaluate(expression)
    assert caught.value.position == position
    assert f"position {position}" in caught.value.detail


def test_pi_sign_is_pi() -> None:
    """π is an alias of the constant pi."""
    assert evaluate("π").result == evaluate("pi").result


def test_names_are_case_insensitive() -> None:
    """PI, Sqrt and pi, sqrt are the same names."""
    assert evaluate("Sqrt(PI^2)").result == evaluate("pi").result


@pytest.mark.parametrize(
    ("expression", "hint"),
    [
        ("2 3", "an operator is missing before this number"),
        ("(1)2", "an operator is missing before this number"),
        ("1)", "it closes no '('"),
    ],
)
def test_syntax_errors_hint_at_the_likely_fix(expression: str, hint: str) -> None:
    """Common slips get a hint after the position."""
    with pytest.raises(InputError) as caught:
        evaluate(expression)
    assert caught.value.detail.endswith(f"({hint})")
    assert f"at position {caught.value.position} (" in caught.value.detail


def test_nesting_at_the_limit_is_allowed() -> None:
    """Exactly MAX_DEPTH levels of parentheses still evaluate."""
    expression = "(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH
    assert evaluate(expression).result == "1"


def test_long_flat_chains_do_not_recurse() -> None:
    """A 1,000-character sum is a loop, not 500 nested calls."""
    expression = "+".join(["1"] * 500)
    assert evaluate(expression).result == "500"


@pytest.mark.parametrize("precision", [0, 101, -1])
def test_precision_out_of_range(precision: int) -> None:
    """precision outside 1..100 is an input error."""
    with pytest.raises(InputError) as caught:
        evaluate("1", precision)
    assert caught.value.code == "invalid_precision"


@pytest.mark.parametrize(
    ("operation", "operands", "expected"),
    [
        ("add", {"a": "0.1", "b": "0.2"}, "0.3"),
        ("subtract", {"a": "0.3", "b": "0.1"}, "0.2"),
        ("multiply", {"a": "1.1", "b": "1.1"}, "1.21"),
        ("divide", {"a": "1", "b": "4"}, "0.25"),
        ("power", {"a": "2", "b": "10"}, "1024"),
        ("modulo", {"a": "-7", "b": "3"}, "2"),
        ("sqrt", {"x": "2.25"}, "1.5"),
    ],
)
def test_named_operations(operation: str, operands: dict[str, str], expected: str) -> None:
    """The REST operations compute through the same exact engine."""
    exact = {name: parse_number(text) for name, text in operands.items()}
    assert calculate(operation, exact).result == expected


@pytest.mark.parametrize(
    "text", ["", " ", "abc", "1,5", "0x10", "1_000", "٣", "１", "NaN", "inf", "1e", "--1", "1 2"]
)
def test_parse_number_rejects_non_decimal_text(text: str) -> None:
    """Operands accept ASCII decimal notation only."""
    with pytest.raises(InputError) as caught:
        parse_number(text)
    assert caught.value.code == "invalid_number"


@pytest.mark.parametrize(
    ("text", "numerator", "denominator"),
    [("0.1", 1, 10), (" -2.5e3 ", -2500, 1), (".5", 1, 2), ("5.", 5, 1), ("+1E-3", 1, 1000)],
)
def test_parse_number_is_exact(text: str, numerator: int, denominator: int) -> None:
    """Decimal literals become exact fractions (0.1 is one tenth)."""
    value = parse_number(text)
    assert (value.numerator, value.denominator) == (numerator, denominator)


def test_irrational_work_is_bounded() -> None:
    """Many jump decisions that each need the highest working precision are refused as
    too_complex (422) rather than computed for long."""
    expression = "+".join(f"floor(exp(ln({n})))" for n in range(2, 40))
    assert len(expression) <= MAX_EXPRESSION_CHARS
    with pytest.raises(MathError) as caught:
        evaluate(expression, 100)
    assert caught.value.code == "too_complex"


def test_work_on_huge_exact_fractions_is_bounded() -> None:
    """Sums of fractions with 10,000-digit numerators and denominators are charged by
    size (their gcds) and refused in time."""
    expression = "+".join(["3248!/7^11800"] * 71)
    with pytest.raises(MathError) as caught:
        evaluate(expression)
    assert caught.value.code == "too_complex"


def test_repeated_identical_calls_are_computed_once() -> None:
    """The same irrational call repeated to the length limit stays within the budget."""
    expression = "+".join(["sin(pi)"] * 124)
    assert evaluate(expression, 100).result == "0"


def test_tiny_results_are_not_mistaken_for_zero() -> None:
    """exp(-200) is about 1.38e-87: small, converging, and not zero."""
    assert evaluate("exp(-200)", 5).result == "1.3839E-87"


def test_near_pole_is_finite() -> None:
    """Just beside a pole tan is large but defined."""
    assert evaluate("tan(pi/2 - 1e-60)", 5).result == "1E+60"


def test_division_by_an_approximate_zero() -> None:
    """1/sin(pi) divides by a value that is 0 by the rule at the working-precision cap."""
    with pytest.raises(MathError) as caught:
        evaluate("1/sin(pi)")
    assert caught.value.code == "division_by_zero"


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("e^300", "1.942426395241255936584208836E+130"),
        ("sqrt(2)^300", "1.427247692705959881058285969E+45"),
        ("pi+1e9980", "1E+9980"),
        ("pi*1e-9975", "3.141592653589793238462643383E-9975"),
        ("exp(-22990)", "3.714163726443208605482748069E-9985"),
        ("1e50 % pi", "0.9102750057266890063633571586"),
    ],
)
def test_approximate_values_are_limited_by_magnitude(expression: str, expected: str) -> None:
    """An approximate value within 10^±10000 is fine however its fraction looks."""
    assert evaluate(expression).result == expected


def test_unsettled_results_are_refused() -> None:
    """A value that stays too close to a jump point at the highest working precision
    (the difference of two equal values near 10^9989) is refused, not guessed (422)."""
    with pytest.raises(MathError) as caught:
        evaluate("floor(exp(23000)-exp(23000))")
    assert caught.value.code == "precision_exhausted"


@pytest.mark.parametrize("expression", ["3248!!", "1e5000!", "-3248!!", "(10^4000)!"])
def test_huge_factorials_are_refused_without_printing_the_operand(expression: str) -> None:
    """The refusal names the limit, never the operand (which could have 10,000 digits)."""
    with pytest.raises(MathError) as caught:
        evaluate(expression)
    assert caught.value.code == "result_too_large"
    assert "3248" in caught.value.detail
    assert len(caught.value.detail) < 200


@pytest.mark.parametrize("expression", ["10^10000", "1e10000"])
def test_the_digit_limit_is_the_same_for_literals_and_results(expression: str) -> None:
    """10^10000 and 1e10000 both have 10,001 digits: both are refused; 10^9999 is not."""
    with pytest.raises(MathError) as caught:
        evaluate(expression)
    assert caught.value.code == "result_too_large"
    assert evaluate("10^9999").result == "1" + "0" * 9999


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("(2^33219)^(1/997)", "10715327328.86684311769232555"),
        ("(3^2000)^(1/1000)", "9"),
        ("(7^999)^(1/999)", "7"),
        ("(2^64+1)^(1/2)", "4294967296.000000000116415322"),
    ],
)
def test_rational_roots_of_large_numbers(expression: str, expected: str) -> None:
    """Exact roots are found (and non-roots rejected) for numbers near the digit limit."""
    assert evaluate(expression).result == expected


@pytest.mark.parametrize("n", [100, 1000, 3248])
def test_factorials_come_back_in_full(n: int) -> None:
    """n! up to the largest under the digit limit is exact and has every digit."""
    result = evaluate(f"{n}!", 5)
    assert result.exact
    assert Decimal(result.result) == math.factorial(n)
    assert result.fraction == f"{Decimal(math.factorial(n))}/1"
