"""Walks an expression tree at a working precision, exactly wherever the maths allows."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

from . import arithmetic, transcendental
from .errors import MathError, division_by_zero, domain_error
from .numbers import Num, check_size
from .tree import Chain, Constant, Factorial, Negate, Node, Number, Power

BINARY: dict[str, Callable[[Fraction, Fraction], Fraction]] = {
    "+": arithmetic.add,
    "-": arithmetic.subtract,
    "*": arithmetic.multiply,
    "/": arithmetic.divide,
    "%": arithmetic.modulo,
}


def _integer(num: Num, what: str) -> int:
    if not num.exact or num.value.denominator != 1:
        raise domain_error(f"{what} must be an integer")
    return int(num.value)


def _exact_log(x: Fraction, base: Fraction) -> Fraction | None:
    """k when x == base**k for a small integer k, else None."""
    base_log = transcendental.log10_estimate(base)
    if base_log == 0:
        return None
    estimate = round(transcendental.log10_estimate(x) / base_log)
    try:
        if arithmetic.integer_power(base, estimate) == x:
            return Fraction(estimate)
    except MathError:
        pass
    return None


# Work allowed for irrational steps in one evaluation attempt, in units of
# (working digits)**2 + CALL_OVERHEAD per distinct call: roughly 50 ms of CPU here.
# Counted as the work is done, deterministically, so a request is refused for what it
# asks, never for how busy the machine is.
WORK_BUDGET = 2_000_000
CALL_OVERHEAD = 5_000


class Evaluator:
    """Evaluates trees; irrational steps are approximated to `digits` significant digits."""

    def __init__(self, digits: int) -> None:
        self.digits = digits
        self.work = 0
        self.memo: dict[tuple[str, Fraction, Fraction, int], Fraction] = {}

    def irrational(
        self, name: str, x: Fraction, digits: int | None = None, y: Fraction = Fraction(0)
    ) -> Fraction:
        """Call a transcendental function, charging its cost once per distinct argument."""
        digits = self.digits if digits is None else digits
        key = (name, x, y, digits)
        if key not in self.memo:
            self.work += digits * digits + CALL_OVERHEAD
            if self.work > WORK_BUDGET:
                raise MathError(
                    "The expression needs more computation than one request may use "
                    "(too many irrational functions at this precision)",
                    code="too_complex",
                )
            function = getattr(transcendental, name)
            args = (x, y, digits) if name == "power" else (x, digits)
            self.memo[key] = check_size(function(*args))
        return self.memo[key]

    def eval(self, node: Node) -> Num:
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
                operand = self.eval(operand_node)
                total = Num(BINARY[op](total.value, operand.value), total.exact and operand.exact)
            return total
        if isinstance(node, Power):
            return self.power(self.eval(node.base), self.eval(node.exponent))
        if isinstance(node, Factorial):
            operand = self.eval(node.operand)
            return Num(arithmetic.factorial(operand.value), operand.exact)
        return self.call(node.name, [self.eval(arg) for arg in node.args])

    def power(self, base: Num, exponent: Num) -> Num:
        exact = base.exact and exponent.exact
        b, x = base.value, exponent.value
        if x.denominator == 1 and exponent.exact:
            return Num(arithmetic.integer_power(b, int(x)), base.exact)
        if b == 0:
            if x < 0:
                raise division_by_zero("0 raised to a negative power is undefined")
            return Num(Fraction(0), exact)
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
            return Num(Fraction(math.floor(x)), exact)
        if name == "ceil":
            return Num(Fraction(math.ceil(x)), exact)
        if name == "round":
            places = _integer(args[1], "round()'s number of places") if len(args) > 1 else 0
            return Num(arithmetic.round_half_away(x, places), exact)
        if name == "sqrt":
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
        x = args[0].value
        if x <= 0:
            raise domain_error(f"{name}(x) is defined for x > 0 only")
        if name == "ln":
            if args[0].exact and x == 1:
                return Num(Fraction(0))
            return Num(self.irrational("ln", x), exact=False)
        base = args[1].value if len(args) > 1 else Fraction(10)
        if base <= 0 or base == 1:
            raise domain_error("log(x, base) needs a base > 0 other than 1")
        if all(arg.exact for arg in args):
            exact_value = _exact_log(x, base)
            if exact_value is not None:
                return Num(exact_value)
        if base == 10:
            return Num(self.irrational("log10", x), exact=False)
        work = self.digits + 5
        quotient = self.irrational("ln", x, work) / self.irrational("ln", base, work)
        return Num(quotient, exact=False)
