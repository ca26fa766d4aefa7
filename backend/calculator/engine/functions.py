"""The one table of functions: name, arity, implementation, cost and symbol.

The parser (names and arity), the evaluator (implementation, cost), /api/v1/operations
and the OpenAPI document all read FUNCTIONS; adding a function is adding one row.

An implementation takes the evaluator and the argument values (a Fraction when exact,
a flint.arb ball otherwise) and returns a Fraction when the result is exact and
proven, a ball otherwise. Decisions at jump points go through the evaluator's Jumps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import TYPE_CHECKING

from flint import arb, fmpq

from ..limits import MAX_DIGITS, MAX_TRIG_ARGUMENT_DIGITS
from . import arithmetic
from .errors import MathError, domain_error, too_large
from .jumps import Value, ends

if TYPE_CHECKING:
    from .evaluator import Evaluator

Implementation = Callable[["Evaluator", list[Value]], Value]

# exp(x) stays below 10**MAX_DIGITS for x below this.
MAX_EXP_ARGUMENT = Fraction(math.floor(MAX_DIGITS * math.log(10)))
MAX_TRIG_ARGUMENT = Fraction(10**MAX_TRIG_ARGUMENT_DIGITS)
MAX_ROOT_DEGREE = 1_000


@dataclass(frozen=True)
class Function:
    """One row of the table."""

    name: str
    arity: tuple[int, int]  # (minimum, maximum) number of arguments
    implementation: Implementation
    # Cost of one call relative to exp, per (working bits)^2; see evaluator.WorkBudget.
    cost: float
    symbol: str  # how the UI may label the key
    summary: str


def _integer_arg(ev: Evaluator, x: Value, what: str) -> int:
    value = ev.jumps.integer(x, what)
    if value is None:
        raise domain_error(f"{what} must be an integer")
    return value


def _magnitude_at_most(x: Value, bound: Fraction) -> bool:
    low, high = ends(x)
    return max(abs(low), abs(high)) <= bound


# --- roots ------------------------------------------------------------------------------


def _root(ev: Evaluator, x: Value, degree: int, name: str) -> Value:
    """The real degree-th root (odd roots of negatives are negative)."""
    if degree == 0:
        raise domain_error(f"{name}: the 0th root is undefined")
    if degree < 0:
        root = _root(ev, x, -degree, name)
        return ev.binary("/", Fraction(1), root)
    sign = ev.jumps.sign(x, f"the sign of {name}'s argument")
    if sign == 0:
        return Fraction(0) if isinstance(x, Fraction) else ev.assumed(Fraction(0))
    if sign < 0 and degree % 2 == 0:
        raise domain_error(f"{name} of a negative number is not real for an even degree")
    if isinstance(x, Fraction) and degree <= MAX_ROOT_DEGREE:
        exact = arithmetic.rational_root(abs(x), degree)
        if exact is not None:
            return sign * exact
    magnitude = ev.ball(abs(x))
    root = magnitude.sqrt() if degree == 2 else magnitude.root(degree)
    return ev.check(root if sign > 0 else -root)


def sqrt(ev: Evaluator, args: list[Value]) -> Value:
    return _root(ev, args[0], 2, "sqrt")


def cbrt(ev: Evaluator, args: list[Value]) -> Value:
    return _root(ev, args[0], 3, "cbrt")


def nthroot(ev: Evaluator, args: list[Value]) -> Value:
    degree = _integer_arg(ev, args[1], "nthroot()'s degree")
    if abs(degree) > MAX_DIGITS:
        raise too_large(f"nthroot()'s degree must be within ±{MAX_DIGITS:,}")
    return _root(ev, args[0], degree, "nthroot")


# --- steps: exact integers from any argument, decided only when proven ------------------


def _step_result(ev: Evaluator, value: Fraction, proven: bool) -> Value:
    return value if proven else ev.assumed(value)


def floor(ev: Evaluator, args: list[Value]) -> Value:
    value, proven = ev.jumps.step(
        args[0], lambda v: Fraction(math.floor(v)), lambda m: Fraction(round(m)), "floor(x)"
    )
    return _step_result(ev, value, proven)


def ceil(ev: Evaluator, args: list[Value]) -> Value:
    value, proven = ev.jumps.step(
        args[0], lambda v: Fraction(math.ceil(v)), lambda m: Fraction(round(m)), "ceil(x)"
    )
    return _step_result(ev, value, proven)


def round_(ev: Evaluator, args: list[Value]) -> Value:
    places = _integer_arg(ev, args[1], "round()'s number of places") if len(args) > 1 else 0
    if abs(places) > MAX_DIGITS:  # before 10**places, which would take minutes
        raise too_large(f"round() places must be within ±{MAX_DIGITS:,}")
    unit = Fraction(1, 10**places) if places >= 0 else Fraction(10**-places)

    def halfway(middle: Fraction) -> Fraction:  # the nearest point where round() jumps
        return (math.floor(middle / unit) + Fraction(1, 2)) * unit

    value, proven = ev.jumps.step(
        args[0], lambda v: arithmetic.round_half_away(v, places), halfway, "round(x)"
    )
    return _step_result(ev, value, proven)


def abs_(ev: Evaluator, args: list[Value]) -> Value:
    x = args[0]
    return abs(x) if isinstance(x, Fraction) else ev.check(abs(x))


# --- logarithms and exponentials ---------------------------------------------------------


def _positive(ev: Evaluator, x: Value, name: str) -> None:
    if ev.jumps.sign(x, f"the sign of {name}'s argument") <= 0:
        raise domain_error(f"{name}(x) is defined for x > 0 only")


@lru_cache(maxsize=256)
def _exact_log(x: Fraction, base: Fraction) -> Fraction | None:
    """k when x == base**k for an integer k, else None."""
    base_log = _log10_estimate(base)
    if base_log == 0:
        return None
    estimate = round(_log10_estimate(x) / base_log)
    try:
        if abs(estimate) <= 4 * MAX_DIGITS and arithmetic.integer_power(base, estimate) == x:
            return Fraction(estimate)
    except MathError:
        pass
    return None


def _log10_estimate(x: Fraction) -> float:
    """log10(|x|) as a float for any size of x (float(x) itself would overflow)."""
    return math.log10(abs(x.numerator)) - math.log10(x.denominator)


def _ln(ev: Evaluator, x: Value) -> arb:
    return ev.ball(x).log()


def ln(ev: Evaluator, args: list[Value]) -> Value:
    x = args[0]
    _positive(ev, x, "ln")
    if isinstance(x, Fraction) and x == 1:
        return Fraction(0)
    return ev.check(_ln(ev, x))


def _log_base(ev: Evaluator, x: Value, base: Value, name: str) -> Value:
    _positive(ev, x, name)
    if (
        ev.jumps.sign(base, "the sign of the base") <= 0
        or ev.jumps.sign(ev.binary("-", base, Fraction(1)), "whether the base is 1") == 0
    ):
        raise domain_error(f"{name}(x, base) needs a base > 0 other than 1")
    if isinstance(x, Fraction) and isinstance(base, Fraction):
        exact = _exact_log(x, base)
        if exact is not None:
            return exact
    return ev.binary("/", ev.check(_ln(ev, x)), ev.check(_ln(ev, base)))


def log(ev: Evaluator, args: list[Value]) -> Value:
    return _log_base(ev, args[0], args[1] if len(args) > 1 else Fraction(10), "log")


def log2(ev: Evaluator, args: list[Value]) -> Value:
    return _log_base(ev, args[0], Fraction(2), "log2")


def _bounded_exponent(x: Value, name: str) -> None:
    if not _magnitude_at_most(x, MAX_EXP_ARGUMENT):
        raise too_large(f"{name}(x) for |x| > {MAX_EXP_ARGUMENT} is beyond {MAX_DIGITS:,} digits")


def exp(ev: Evaluator, args: list[Value]) -> Value:
    x = args[0]
    if isinstance(x, Fraction) and x == 0:
        return Fraction(1)
    _bounded_exponent(x, "exp")
    return ev.check(ev.ball(x).exp())


# --- trigonometry ------------------------------------------------------------------------


def _trig_argument(x: Value) -> None:
    if not _magnitude_at_most(x, MAX_TRIG_ARGUMENT):
        raise MathError(
            f"Trigonometric functions accept |x| < 1e{MAX_TRIG_ARGUMENT_DIGITS}",
            code="argument_too_large",
        )


def _cos_zero(ev: Evaluator, cosine: Value) -> None:
    if ev.jumps.sign(cosine, "whether cos(x) is 0") == 0:
        raise domain_error("tan(x) is undefined where cos(x) is 0")


def turns(ev: Evaluator, name: str, half_turns: Fraction) -> Value:
    """sin, cos or tan of half_turns * pi, exact where the value is rational (sin(30deg)
    is 1/2): FLINT computes these from the exact angle."""
    angle = fmpq(half_turns.numerator, half_turns.denominator)
    sine, cosine = arb.sin_pi_fmpq(angle), arb.cos_pi_fmpq(angle)
    results = {"sin": sine, "cos": cosine}
    if name == "tan":
        if cosine.is_zero():
            raise domain_error("tan(x) is undefined where cos(x) is 0")
        quarter = (4 * half_turns) % 4
        if quarter.denominator == 1:  # tan is 0, 1 or -1 at multiples of 45 degrees
            return Fraction({0: 0, 1: 1, 3: -1}[int(quarter)])
        results["tan"] = sine / cosine
    value = results[name]
    if value.rad().is_zero():
        return ends(value)[0]
    return ev.check(value)


def _trig(name: str) -> Implementation:
    def implementation(ev: Evaluator, args: list[Value]) -> Value:
        x = args[0]
        if isinstance(x, Fraction) and x == 0:
            return Fraction(int(name == "cos"))
        _trig_argument(x)
        ball = ev.ball(x)
        if name == "tan":
            sine, cosine = ball.sin_cos()
            _cos_zero(ev, cosine)
            return ev.binary("/", sine, cosine)
        return ev.check(getattr(ball, name)())

    return implementation


def _inverse_sine(name: str) -> Implementation:
    def implementation(ev: Evaluator, args: list[Value]) -> Value:
        x = args[0]
        above = ev.jumps.sign(ev.binary("-", x, Fraction(1)), f"whether {name}'s argument is 1")
        below = ev.jumps.sign(ev.binary("+", x, Fraction(1)), f"whether {name}'s argument is -1")
        if above > 0 or below < 0:
            raise domain_error(f"{name}(x) is defined for -1 <= x <= 1 only")
        if isinstance(x, Fraction) and x == (0 if name == "asin" else 1):
            return Fraction(0)
        if above == 0 or below == 0:  # an end of the domain, by the cap rule
            end = ev.ball(Fraction(1 if above == 0 else -1))
            return ev.widened(getattr(end, name)())
        return ev.check(getattr(ev.ball(x), name)())

    return implementation


def _entire(name: str, at_zero: int, bounded: bool) -> Implementation:
    """atan, sinh, cosh, tanh: defined everywhere; exact only at 0."""

    def implementation(ev: Evaluator, args: list[Value]) -> Value:
        x = args[0]
        if isinstance(x, Fraction) and x == 0:
            return Fraction(at_zero)
        if bounded:
            _bounded_exponent(x, name)
        return ev.check(getattr(ev.ball(x), name)())

    return implementation


_ROWS = [
    Function("sqrt", (1, 1), sqrt, 0.05, "√", "square root"),
    Function("cbrt", (1, 1), cbrt, 0.4, "∛", "cube root (real: cbrt(-8) = -2)"),
    Function("nthroot", (2, 2), nthroot, 0.4, "ⁿ√", "nthroot(x, n): real n-th root"),
    Function("abs", (1, 1), abs_, 0.0, "|x|", "absolute value"),
    Function("round", (1, 2), round_, 0.0, "round", "round(x[, places]): halves away from 0"),
    Function("floor", (1, 1), floor, 0.0, "⌊x⌋", "largest integer <= x"),
    Function("ceil", (1, 1), ceil, 0.0, "⌈x⌉", "smallest integer >= x"),
    Function("ln", (1, 1), ln, 1.0, "ln", "natural logarithm"),
    Function("log", (1, 2), log, 2.0, "log", "log(x[, base]): base 10 by default"),
    Function("log2", (1, 1), log2, 2.0, "log₂", "base-2 logarithm"),
    Function("exp", (1, 1), exp, 1.0, "eˣ", "e to the power x"),
    Function("sin", (1, 1), _trig("sin"), 1.0, "sin", "sine (radians, or degrees with deg)"),
    Function("cos", (1, 1), _trig("cos"), 1.0, "cos", "cosine (radians, or degrees with deg)"),
    Function("tan", (1, 1), _trig("tan"), 1.0, "tan", "tangent (radians, or degrees with deg)"),
    Function("asin", (1, 1), _inverse_sine("asin"), 1.2, "sin⁻¹", "inverse sine, in radians"),
    Function("acos", (1, 1), _inverse_sine("acos"), 1.2, "cos⁻¹", "inverse cosine, in radians"),
    Function("atan", (1, 1), _entire("atan", 0, False), 1.2, "tan⁻¹", "inverse tangent"),
    Function("sinh", (1, 1), _entire("sinh", 0, True), 1.2, "sinh", "hyperbolic sine"),
    Function("cosh", (1, 1), _entire("cosh", 1, True), 1.2, "cosh", "hyperbolic cosine"),
    Function("tanh", (1, 1), _entire("tanh", 0, False), 1.2, "tanh", "hyperbolic tangent"),
]
FUNCTIONS: dict[str, Function] = {row.name: row for row in _ROWS}

# Named constants: name -> (ball at the current working precision, symbol).
CONSTANTS: dict[str, tuple[Callable[[], arb], str]] = {
    "pi": (arb.pi, "π"),
    "e": (arb.const_e, "e"),
}
