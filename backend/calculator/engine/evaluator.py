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


class Evaluator:
    """Evaluates trees; irrational steps are approximated to `digits` significant digits."""

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def eval(self, node: Node) -> Num:
        if isinstance(node, Number):
            return Num(node.value)
        if isinstance(node, Constant):
            constant = transcendental.pi if node.name == "pi" else transcendental.e
            return Num(constant(self.digits), exact=False)
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
        result = transcendental.power(magnitude, x, self.digits)
        return Num(check_size(sign * result), exact=False)

    def call(self, name: str, args: list[Num]) -> Num:
        x = args[0].value
        exact = all(arg.exact for arg in args)
        digits = self.digits
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
            return Num(transcendental.sqrt(x, digits), exact=False)
        if name in ("ln", "log"):
            return self.logarithm(name, args)
        if exact and x == 0 and name in ("exp", "sin", "cos", "tan"):
            return Num(Fraction(int(name in ("exp", "cos"))))
        function = {
            "exp": transcendental.exp,
            "sin": transcendental.sin,
            "cos": transcendental.cos,
            "tan": transcendental.tan,
        }[name]
        return Num(check_size(function(x, digits)), exact=False)

    def logarithm(self, name: str, args: list[Num]) -> Num:
        x = args[0].value
        if x <= 0:
            raise domain_error(f"{name}(x) is defined for x > 0 only")
        if name == "ln":
            if args[0].exact and x == 1:
                return Num(Fraction(0))
            return Num(transcendental.ln(x, self.digits), exact=False)
        base = args[1].value if len(args) > 1 else Fraction(10)
        if base <= 0 or base == 1:
            raise domain_error("log(x, base) needs a base > 0 other than 1")
        if all(arg.exact for arg in args):
            exact_value = _exact_log(x, base)
            if exact_value is not None:
                return Num(exact_value)
        if base == 10:
            return Num(transcendental.log10(x, self.digits), exact=False)
        work = self.digits + 5
        quotient = transcendental.ln(x, work) / transcendental.ln(base, work)
        return Num(quotient, exact=False)
