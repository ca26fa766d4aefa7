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
from .evaluator import GUARD_DIGITS, Evaluator, WorkBudget
from .lexer import ALIASES
from .numbers import Num, parse_number
from .parser import CONSTANTS, FUNCTIONS, parse
from .result import Result, make_result
from .transcendental import round_fraction
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

MAX_ATTEMPTS = 4

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
    # Low requested precisions still work at 28+ digits: it costs little and keeps
    # near-poles and cancellations as well resolved as at the default.
    digits = max(precision, DEFAULT_PRECISION) + GUARD_DIGITS
    # Per attempt: the rounded result, |value|, and whether |value| is below that
    # attempt's rounding noise.
    history: list[tuple[Decimal, Fraction, bool]] = []
    budget = WorkBudget()  # shared by all attempts: the total cost is bounded
    exact: dict[int, Num] = {}  # exact subtrees are computed once, not per attempt
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            num = Evaluator(digits, budget, exact).eval(tree)
        except InsufficientPrecisionError as error:
            if attempt == MAX_ATTEMPTS:
                raise MathError(error.detail, code=error.code) from None
            digits *= 2
            continue
        if num.exact:
            return make_result(num.value, True, precision)
        rounded, _lossless = round_fraction(num.value, precision)
        magnitude = abs(num.value)
        if history and rounded == history[-1][0]:
            return make_result(num.value, False, precision)
        # Below the noise of two working precisions in a row: zero, as far as they tell.
        negligible = magnitude < Fraction(1, 10 ** (digits - GUARD_DIGITS))
        if history and negligible and history[-1][2]:
            return make_result(Fraction(0), False, precision)
        history.append((rounded, magnitude, negligible))
        digits *= 2
    return _unsettled(history, precision, digits // 2)


def _unsettled(
    history: list[tuple[Decimal, Fraction, bool]], precision: int, digits: int
) -> Result:
    """The attempts never agreed: a value collapsing towards 0 is 0, one exploding is a
    pole, anything else cannot be given to `precision` digits and is refused."""
    first, last = history[0][1], history[-1][1]
    spread = 10**GUARD_DIGITS
    if last * spread < first:
        return make_result(Fraction(0), False, precision)
    if last > first * spread:
        raise MathError(
            "The expression has no finite value here (it grows without bound as precision "
            "increases, as tan(pi/2) does)",
            code="domain_error",
        )
    raise MathError(
        f"The result cannot be determined to {precision} significant digits: it still "
        f"changes at {digits} working digits",
        code="precision_exhausted",
    )


def evaluate(expression: str, precision: int = DEFAULT_PRECISION) -> Result:
    """Evaluate an expression such as '2*(3+4)^2'."""
    check_precision(precision)  # before parsing: a bad precision is the first error
    return run(parse(expression), precision)


def calculate(
    operation: str, operands: Mapping[str, Fraction], precision: int = DEFAULT_PRECISION
) -> Result:
    """Apply a named operation (see OPERATIONS) to exact operands."""
    names, build = OPERATIONS[operation]
    check_precision(precision)
    return run(build(*(operands[name] for name in names)), precision)
