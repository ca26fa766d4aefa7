"""The calculator engine: pure Python, no web framework.

    evaluate("0.1+0.2")                 -> Result(result="0.3", value=0.3, exact=True, ...)
    calculate("divide", {"a": ..., "b": ...})

Rational results are exact; irrational ones are evaluated at two working precisions and
returned only when both agree to the requested number of significant digits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction

from ..limits import DEFAULT_PRECISION, MAX_PRECISION, MIN_PRECISION
from .errors import CalculationError, InputError, InsufficientPrecisionError, MathError
from .evaluator import Evaluator
from .lexer import ALIASES
from .numbers import parse_number
from .parser import CONSTANTS, FUNCTIONS, parse
from .result import Result, make_result, round_significant
from .tree import Call, Chain, Node, Number, Power

__all__ = [
    "ALIASES",
    "CONSTANTS",
    "FUNCTIONS",
    "OPERATIONS",
    "CalculationError",
    "InputError",
    "MathError",
    "Result",
    "calculate",
    "check_precision",
    "evaluate",
    "parse_number",
]

GUARD_DIGITS = 10
MAX_ATTEMPTS = 3

TreeBuilder = Callable[..., Node]


def _binary(op: str) -> TreeBuilder:
    return lambda a, b: Chain(Number(a, 1), ((op, Number(b, 1), 1),))


# The named operations of the REST API, each built as a tree so that they share the
# evaluator's exactness and limits: operation -> (operand names, tree builder).
OPERATIONS: dict[str, tuple[tuple[str, ...], TreeBuilder]] = {
    "add": (("a", "b"), _binary("+")),
    "subtract": (("a", "b"), _binary("-")),
    "multiply": (("a", "b"), _binary("*")),
    "divide": (("a", "b"), _binary("/")),
    "power": (("a", "b"), lambda a, b: Power(Number(a, 1), Number(b, 1), 1)),
    "modulo": (("a", "b"), _binary("%")),
    "sqrt": (("x",), lambda x: Call("sqrt", (Number(x, 1),), 1)),
}


def check_precision(precision: int) -> int:
    if not MIN_PRECISION <= precision <= MAX_PRECISION:
        raise InputError(
            f"precision must be an integer from {MIN_PRECISION} to {MAX_PRECISION}",
            code="invalid_precision",
        )
    return precision


def run(tree: Node, precision: int = DEFAULT_PRECISION) -> Result:
    """Evaluate a tree and round it to `precision` significant digits.

    An inexact value is recomputed with twice the working digits until two successive
    attempts round to the same result, so cancellation (e.g. (pi + 1e20) - 1e20) cannot
    leak approximation error into the answer. A value that keeps shrinking towards zero
    as the working precision grows, like sin(pi), is zero; one that keeps growing, like
    tan(pi/2), is a pole where the function is undefined.
    """
    check_precision(precision)
    # Low requested precisions still work at 28+ digits: it costs little and keeps
    # near-poles and cancellations as well resolved as at the default.
    digits = max(precision, DEFAULT_PRECISION) + GUARD_DIGITS
    previous: tuple[Decimal, bool] | None = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            num = Evaluator(digits).eval(tree)
        except InsufficientPrecisionError as error:
            if attempt == MAX_ATTEMPTS:
                raise MathError(error.detail, code=error.code) from None
            digits *= 2
            continue
        if num.exact:
            return make_result(num.value, True, precision)
        rounded, _lossless = round_significant(num.value, precision)
        # Below the noise of this working precision: zero, as far as it can tell.
        negligible = abs(num.value) < Fraction(1, 10 ** (digits - GUARD_DIGITS))
        if previous is not None:
            if rounded == previous[0]:
                return make_result(num.value, False, precision)
            if negligible and previous[1]:
                return make_result(Fraction(0), False, precision)
        previous = (rounded, negligible)
        digits *= 2
    if abs(num.value) > 10 ** (digits // 4):
        raise MathError(
            "The expression has no finite value here (it grows without bound as precision "
            "increases, as tan(pi/2) does)",
            code="domain_error",
        )
    return make_result(num.value, False, precision)


def evaluate(expression: str, precision: int = DEFAULT_PRECISION) -> Result:
    """Evaluate an expression such as '2*(3+4)^2'."""
    check_precision(precision)
    return run(parse(expression), precision)


def calculate(
    operation: str, operands: Mapping[str, Fraction], precision: int = DEFAULT_PRECISION
) -> Result:
    """Apply a named operation (see OPERATIONS) to exact operands."""
    names, build = OPERATIONS[operation]
    return run(build(*(operands[name] for name in names)), precision)
