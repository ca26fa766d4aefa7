"""Walks an expression tree at a working precision, exactly wherever the maths allows."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from fractions import Fraction
from functools import lru_cache

from ..limits import MAX_DIGITS
from . import arithmetic, transcendental
from .errors import (
    InsufficientPrecisionError,
    MathError,
    division_by_zero,
    domain_error,
    too_large,
)
from .numbers import Num
from .tree import Chain, Constant, Factorial, Negate, Node, Number, Power

BINARY: dict[str, Callable[[Fraction, Fraction], Fraction]] = {
    "+": arithmetic.add,
    "-": arithmetic.subtract,
    "*": arithmetic.multiply,
    "/": arithmetic.divide,
    "%": arithmetic.modulo,
}

# The same operators on approximate values: no exact-size limits (approx() limits them
# by magnitude instead). Floored modulo needs snapping and is handled in binary().
APPROXIMATE: dict[str, Callable[[Fraction, Fraction], Fraction]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}

# Digits of each working precision spent on rounding noise rather than on the answer.
GUARD_DIGITS = 10


def _integer(num: Num, what: str) -> int:
    if not num.exact or num.value.denominator != 1:
        raise domain_error(f"{what} must be an integer")
    return int(num.value)


# A prime modulus for a cheap test of x == base**k before computing base**k.
_MODULUS = 2**61 - 1


@lru_cache(maxsize=256)
def _exact_log(x: Fraction, base: Fraction) -> Fraction | None:
    """k when x == base**k for an integer k, else None."""
    base_log = transcendental.log10_estimate(base)
    if base_log == 0:
        return None
    estimate = round(transcendental.log10_estimate(x) / base_log)
    power = base if estimate >= 0 else 1 / base
    k = abs(estimate)
    if (
        pow(power.numerator, k, _MODULUS) != abs(x.numerator) % _MODULUS
        or pow(power.denominator, k, _MODULUS) != x.denominator % _MODULUS
        or (x < 0) != (power < 0 and k % 2 == 1)
    ):
        return None
    try:
        if arithmetic.integer_power(base, estimate) == x:
            return Fraction(estimate)
    except MathError:
        pass
    return None


# Work allowed for one evaluation (all its precision attempts together), in units of
# about 25 ns of CPU here, so roughly 30 ms. Counted as the work is done,
# deterministically, so a request is refused for what it asks, never for how busy the
# machine is. `make bench` measures what the budget buys.
WORK_BUDGET = 1_200_000
CALL_OVERHEAD = 5_000
# Relative cost of each irrational function per (working digits)**2, as measured.
FUNCTION_WEIGHTS = {"power": 2.0, "sqrt": 0.2, "pi": 0.2, "e": 0.2}
# Rounding an approximate value back to the working digits (and the Fraction
# arithmetic that made it) costs about 1 ms near 10^10000, where numerator and
# denominator together have ~66,000 bits, and next to nothing for ordinary values: each
# bit beyond FREE_BITS is charged one unit.
FREE_BITS = 2_048
# Exact arithmetic, charged after each step (one step costs at most a few ms): as
# measured, a sum of 33,000-bit integers costs about 1 us, reducing a fraction whose
# numerator and denominator both have 33,000 bits about 2 ms (the gcd).
BITS_PER_UNIT = 20
GCD_BITS_PER_UNIT = 13_000


class WorkBudget:
    """What an evaluation has spent so far."""

    def __init__(self) -> None:
        self.spent = 0

    def charge(self, units: float) -> None:
        self.spent += int(units)
        if self.spent > WORK_BUDGET:
            raise MathError(
                "The expression needs more computation than one request may use "
                "(too many irrational functions, or irrational values near the size "
                "limit, at this precision)",
                code="too_complex",
            )


class Evaluator:
    """Evaluates trees; irrational steps are approximated to `digits` significant digits."""

    def __init__(
        self,
        digits: int,
        budget: WorkBudget | None = None,
        exact: dict[int, Num] | None = None,
    ) -> None:
        self.digits = digits
        self.budget = WorkBudget() if budget is None else budget
        # Exact results by node, kept across precision attempts: they do not change.
        self.exact = {} if exact is None else exact
        self.memo: dict[tuple[str, Fraction, Fraction, int], Fraction] = {}

    def approx(self, value: Fraction) -> Fraction:
        """An approximate value rounded to the working digits. Its size is limited by
        magnitude (at most MAX_DIGITS digits before or after the point), not by the
        digits of an exact fraction, so e^300 or pi*1e-9975 are fine; the cost of
        handling a large one is charged to the work budget."""
        size = value.numerator.bit_length() + value.denominator.bit_length()
        if size > FREE_BITS:
            self.budget.charge(size - FREE_BITS)
        rounded = transcendental.to_decimal(value, self.digits)
        if not rounded.is_zero() and abs(rounded.adjusted()) > MAX_DIGITS:
            raise too_large(f"A result is beyond 10^±{MAX_DIGITS:,}")
        return Fraction(rounded)

    def snap(
        self, num: Num, step: Fraction = Fraction(1), offset: Fraction = Fraction(0)
    ) -> Fraction:
        """An approximate value within rounding noise of offset + k*step is that point.

        Functions that jump (floor, round, !, %, the edges of sqrt, ln and division) must
        not decide on noise: floor(sqrt(2)^2) is 2 even when the approximation of
        sqrt(2)^2 lands just below 2."""
        if num.exact:
            return num.value
        nearest = round((num.value - offset) / step) * step + offset
        noise = max(abs(num.value), Fraction(1)) / 10 ** (self.digits - GUARD_DIGITS)
        return nearest if abs(num.value - nearest) <= noise else num.value

    def irrational(
        self, name: str, x: Fraction, digits: int | None = None, y: Fraction = Fraction(0)
    ) -> Fraction:
        """Call a transcendental function, charging its cost once per distinct argument."""
        digits = self.digits if digits is None else digits
        key = (name, x, y, digits)
        if key not in self.memo:
            weight = FUNCTION_WEIGHTS.get(name, 1.0)
            self.budget.charge(weight * digits * digits + CALL_OVERHEAD)
            function = getattr(transcendental, name)
            args = (x, y, digits) if name == "power" else (x, digits)
            self.memo[key] = self.approx(function(*args))
        return self.memo[key]

    def eval(self, node: Node) -> Num:
        cached = self.exact.get(id(node))
        if cached is not None:
            return cached
        result = self._eval(node)
        if result.exact:
            self.exact[id(node)] = result
        return result

    def _eval(self, node: Node) -> Num:
        if isinstance(node, Number):
            return Num(node.value)
        if isinstance(node, Constant):
            return Num(self.irrational(node.name, Fraction(0)), exact=False)
        if isinstance(node, Negate):
            operand = self.eval(node.operand)
            return Num(-operand.value, operand.exact)
        if isinstance(node, Chain):
            total = self.eval(node.first)
            for op, operand_node, _ in node.rest:
                total = self.binary(op, total, self.eval(operand_node))
            return total
        if isinstance(node, Power):
            return self.power(self.eval(node.base), self.eval(node.exponent))
        if isinstance(node, Factorial):
            operand = self.eval(node.operand)
            return Num(arithmetic.factorial(self.snap(operand)), operand.exact)
        return self.call(node.name, [self.eval(arg) for arg in node.args])

    def charge_exact(self, value: Fraction) -> Fraction:
        """Charge an exact result by its size: linear in its bits, plus the gcd that
        reducing it took, which grows with numerator bits times denominator bits."""
        numerator, denominator = value.numerator.bit_length(), value.denominator.bit_length()
        self.budget.charge(
            (numerator + denominator) / BITS_PER_UNIT + numerator * denominator / GCD_BITS_PER_UNIT
        )
        return value

    def binary(self, op: str, left: Num, right: Num) -> Num:
        if left.exact and right.exact:
            return Num(self.charge_exact(BINARY[op](left.value, right.value)))
        a, b = left.value, right.value
        if op in "/%":
            b = self.snap(right)
            if b == 0:
                raise division_by_zero(
                    "Division by zero is undefined" if op == "/" else "Modulo by zero is undefined"
                )
        # Plain Fraction arithmetic on values already rounded to the working digits (the
        # exact side at most MAX_DIGITS digits), rounded back to the working digits.
        if op == "%":
            value = a - b * math.floor(self.snap(Num(a / b, exact=False)))
        else:
            value = APPROXIMATE[op](a, b)
        return Num(self.approx(value), exact=False)

    def power(self, base: Num, exponent: Num) -> Num:
        exact = base.exact and exponent.exact
        b, x = self.snap(base), self.snap(exponent)
        if x.denominator == 1 and exact:
            return Num(arithmetic.integer_power(b, int(x)))
        if b == 0:
            if x < 0:
                raise division_by_zero("0 raised to a negative power is undefined")
            return Num(Fraction(int(x == 0)), exact)
        if x.denominator == 1:
            # An approximate base: its exact power would carry every digit of the
            # approximation (e^300 has 11,400); compute it at the working precision.
            return Num(self.irrational("power", b, y=x), exact=False)
        sign = 1
        if b < 0:
            if not exponent.exact or x.denominator % 2 == 0:
                raise domain_error(
                    "A negative number raised to a fractional power is not a real number"
                )
            sign = -1 if x.numerator % 2 else 1
        magnitude = abs(b)
        if exponent.exact and base.exact and x.denominator <= 1_000:
            root = arithmetic.rational_root(magnitude, x.denominator)
            if root is not None:
                return Num(sign * arithmetic.integer_power(root, x.numerator))
        return Num(sign * self.irrational("power", magnitude, y=x), exact=False)

    def call(self, name: str, args: list[Num]) -> Num:
        x = args[0].value
        exact = all(arg.exact for arg in args)
        if name == "abs":
            return Num(abs(x), exact)
        if name == "floor":
            return Num(Fraction(math.floor(self.snap(args[0]))), exact)
        if name == "ceil":
            return Num(Fraction(math.ceil(self.snap(args[0]))), exact)
        if name == "round":
            places = _integer(args[1], "round()'s number of places") if len(args) > 1 else 0
            if abs(places) > MAX_DIGITS:  # before 10**places, which would take minutes
                raise too_large(f"round() places must be within ±{MAX_DIGITS:,}")
            unit = Fraction(1, 10**places) if places >= 0 else Fraction(10**-places)
            x = self.snap(args[0], unit, unit / 2)  # halves are where round() jumps
            return Num(arithmetic.round_half_away(x, places), exact)
        if name == "sqrt":
            x = self.snap(args[0])
            if x == 0:
                return Num(Fraction(0), exact)
            if x < 0:
                raise domain_error("sqrt(x) is defined for x >= 0 only")
            root = arithmetic.rational_root(x, 2) if exact else None
            if root is not None:
                return Num(root)
            return Num(self.irrational("sqrt", x), exact=False)
        if name in ("ln", "log"):
            return self.logarithm(name, args)
        if exact and x == 0 and name in ("exp", "sin", "cos", "tan"):
            return Num(Fraction(int(name in ("exp", "cos"))))
        return Num(self.irrational(name, x), exact=False)

    def logarithm(self, name: str, args: list[Num]) -> Num:
        x = self.snap(args[0])
        if x <= 0:
            raise domain_error(f"{name}(x) is defined for x > 0 only")
        if name == "ln":
            if args[0].exact and x == 1:
                return Num(Fraction(0))
            return Num(self.irrational("ln", x), exact=False)
        base = self.snap(args[1]) if len(args) > 1 else Fraction(10)
        if base <= 0 or base == 1:
            raise domain_error("log(x, base) needs a base > 0 other than 1")
        if all(arg.exact for arg in args):
            exact_value = _exact_log(x, base)
            if exact_value is not None:
                return Num(exact_value)
        if base == 10:
            return Num(self.irrational("log10", x), exact=False)
        work = self.digits + 5
        base_log = self.irrational("ln", base, work)
        if base_log == 0:  # a base within rounding noise of 1: more digits may tell
            raise InsufficientPrecisionError("log(x, base) needs a base other than 1")
        quotient = self.irrational("ln", x, work) / base_log
        return Num(self.approx(quotient), exact=False)
