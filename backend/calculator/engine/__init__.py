"""The calculator engine: pure Python over FLINT, no web framework.

    evaluate("0.1+0.2")                 -> Result(result="0.3", value=0.3, exact=True, ...)
    calculate("divide", {"a": ..., "b": ...})

Rational results are exact; irrational ones are enclosed by ball arithmetic and every
digit returned is proven (precision.py raises the working precision until it is).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction

from ..limits import DEFAULT_PRECISION, MAX_PRECISION, MIN_PRECISION
from .errors import CalculationError, InputError, MathError
from .functions import CONSTANTS, FUNCTIONS, Function
from .lexer import ALIASES
from .numbers import parse_number
from .parser import KEYWORDS, parse
from .precision import run
from .result import Result
from .tree import Call, Chain, Node, Number, Power

__all__ = [
    "ALIASES",
    "CONSTANTS",
    "FUNCTIONS",
    "KEYWORDS",
    "OPERATIONS",
    "CalculationError",
    "Function",
    "InputError",
    "MathError",
    "Result",
    "calculate",
    "check_precision",
    "evaluate",
    "parse_number",
]

TreeBuilder = Callable[..., Node]


def _binary(op: str) -> TreeBuilder:
    return lambda a, b: Chain(Number(a, 1), ((op, Number(b, 1)),))


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
