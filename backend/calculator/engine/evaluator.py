"""Walks an expression tree: exact rational arithmetic wherever the maths allows, FLINT
ball arithmetic (rigorous enclosures) at a given working precision elsewhere."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

from flint import arb, fmpq

from ..limits import MAX_DIGITS
from . import arithmetic
from .errors import MathError, division_by_zero, domain_error, too_large
from .functions import CONSTANTS, FUNCTIONS, MAX_ROOT_DEGREE, turns
from .jumps import Jumps, Undecided, Value, ends
from .numbers import MAX_BITS
from .tree import Call, Chain, Constant, Degrees, Factorial, Negate, Node, Number, Power

EXACT: dict[str, Callable[[Fraction, Fraction], Fraction]] = {
    "+": arithmetic.add,
    "-": arithmetic.subtract,
    "*": arithmetic.multiply,
    "/": arithmetic.divide,
}
BALL: dict[str, Callable[[arb, arb], arb]] = {
    "+": arb.__add__,
    "-": arb.__sub__,
    "*": arb.__mul__,
    "/": arb.__truediv__,
}

# Work allowed for one evaluation (all its precision attempts together), in units of
# about 25 ns of CPU here, so roughly 45 ms. Counted as the work is done,
# deterministically, so a request is refused for what it asks, never for how busy the
# machine is. `make bench` measures what the budget buys.
WORK_BUDGET = 1_800_000
CALL_OVERHEAD = 200
# A function of cost 1.0 (exp, ln, sin) at b working bits costs about b*b/BITS_SQUARED
# units (5 ms at 40,000 bits): measured 2-5 ms there with warm caches, 0.5-1 ms at
# 20,000, microseconds below 1,000.
BITS_SQUARED_PER_UNIT = 8_000
# Exact arithmetic, charged after each step (one step costs at most a few ms): as
# measured, a sum of 33,000-bit integers costs about 1 us, reducing a fraction whose
# numerator and denominator both have 33,000 bits about 2 ms (the gcd), charged as 4.5 ms
# so that sums of such fractions (71 x 3248!/7^11800) are refused after about 20 ms.
BITS_PER_UNIT = 20
GCD_BITS_PER_UNIT = 6_000
# Turning a Fraction into a FLINT number: about 1.6 ms for 66,000 bits.
CONVERSION_BITS_SQUARED_PER_UNIT = 70_000
# Approximate values are limited by magnitude, within 2^±MAX_BITS (10^±10,000).
MAX_EXPONENT_BITS = MAX_BITS


# The radius of a value taken by the cap rule: below 10^-CAP_RULE_DIGITS (2^-33,552).
ASSUMED = arb(0, arb(2) ** -34_000)


def _size(x: arb) -> int:
    """The binary exponent of an exact ball value (its midpoint or radius); 0 for 0."""
    mantissa, exponent = x.man_exp()
    return int(exponent) + int(mantissa).bit_length() if mantissa != 0 else 0


class WorkBudget:
    """What an evaluation has spent so far."""

    def __init__(self) -> None:
        self.spent = 0

    def charge(self, units: float) -> None:
        self.spent += int(units)
        if self.spent > WORK_BUDGET:
            raise MathError(
                "The expression needs more computation than one request may use "
                "(too many irrational functions, or values near the size limit, at this "
                "precision)",
                code="too_complex",
            )


class Evaluator:
    """Evaluates trees at `bits` of working precision (FLINT's context is set by the
    caller). Exact results are cached by node across precision attempts."""

    def __init__(
        self,
        bits: int,
        budget: WorkBudget,
        exact: dict[int, Fraction],
        conversions: dict[Fraction, fmpq],
        at_cap: bool,
    ) -> None:
        self.bits = bits
        self.budget = budget
        self.exact = exact
        self.conversions = conversions
        self.jumps = Jumps(at_cap)
        self.memo: dict[Call, Value] = {}

    # --- helpers used by the function table ----------------------------------------------

    def charge_exact(self, value: Fraction) -> Fraction:
        """Charge an exact result by its size: linear in its bits, plus the gcd that
        reducing it took, which grows with numerator bits times denominator bits."""
        numerator, denominator = value.numerator.bit_length(), value.denominator.bit_length()
        self.budget.charge(
            (numerator + denominator) / BITS_PER_UNIT + numerator * denominator / GCD_BITS_PER_UNIT
        )
        return value

    def charge_call(self, cost: float) -> None:
        self.budget.charge(cost * self.bits * self.bits / BITS_SQUARED_PER_UNIT + CALL_OVERHEAD)

    def ball(self, x: Value) -> arb:
        """x as a ball at the working precision."""
        if not isinstance(x, Fraction):
            return x
        converted = self.conversions.get(x)
        if converted is None:
            bits = x.numerator.bit_length() + x.denominator.bit_length()
            self.budget.charge(bits * bits / CONVERSION_BITS_SQUARED_PER_UNIT)
            converted = self.conversions[x] = fmpq(x.numerator, x.denominator)
        return arb(converted)

    def check(self, x: arb) -> arb:
        """An approximate value within 10^±10,000 (an enclosure of 0 may be smaller).
        An enclosure too wide to say is retried at a higher precision."""
        if not x.is_finite() or _size(x.rad()) > MAX_EXPONENT_BITS:
            if not self.jumps.at_cap:
                raise Undecided
            raise too_large(f"A result is beyond 10^±{MAX_DIGITS:,}")
        size = _size(x.mid())
        if size > MAX_EXPONENT_BITS or (size < -MAX_EXPONENT_BITS and not x.contains(0)):
            raise too_large(f"A result is beyond 10^±{MAX_DIGITS:,}")
        return x

    def assumed(self, value: Fraction) -> arb:
        """A value taken by the cap rule: a ball around it narrower than the rule's width,
        so that it stays approximate (never an exact result) through what follows."""
        return self.widened(arb(fmpq(value.numerator, value.denominator)))

    def widened(self, x: arb) -> arb:
        """x computed from a value taken by the cap rule (acos(1) is 0 only by the rule
        when its argument was tan(pi/4)): never exact, however exact x itself is."""
        self.jumps.assumed = True
        return x + ASSUMED

    # --- the tree ---------------------------------------------------------------------

    def eval(self, node: Node) -> Value:
        cached = self.exact.get(id(node))  # by identity: hashing a subtree costs more
        if cached is not None:
            return cached
        result = self._eval(node)
        if isinstance(result, Fraction):
            self.exact[id(node)] = result
        return result

    def _eval(self, node: Node) -> Value:
        if isinstance(node, Number):
            return node.value
        if isinstance(node, Constant):
            self.budget.charge(CALL_OVERHEAD)
            return CONSTANTS[node.name][0]()
        if isinstance(node, Negate):
            return -self.eval(node.operand)
        if isinstance(node, Chain):
            total = self.eval(node.first)
            for op, operand_node in node.rest:
                total = self.binary(op, total, self.eval(operand_node))
            return total
        if isinstance(node, Power):
            return self.power(self.eval(node.base), self.eval(node.exponent))
        if isinstance(node, Factorial):
            return self.factorial(self.eval(node.operand))
        if isinstance(node, Degrees):
            return self.binary("*", self.eval(node.operand), arb.pi() / 180)
        return self.call(node)

    def binary(self, op: str, a: Value, b: Value) -> Value:
        if op in "/%" and self.jumps.sign(b, "whether the divisor is 0") == 0:
            raise division_by_zero(
                "Division by zero is undefined" if op == "/" else "Modulo by zero is undefined"
            )
        if op == "%":  # floored: the result has the sign of b, so -7 % 3 is 2
            quotient, proven = self.jumps.step(
                self.binary("/", a, b),
                lambda v: Fraction(math.floor(v)),
                lambda m: Fraction(round(m)),
                "the quotient of %",
            )
            if not proven:
                self.jumps.assumed = True
            return self.binary("-", a, self.binary("*", b, quotient))
        if isinstance(a, Fraction) and isinstance(b, Fraction):
            return self.charge_exact(EXACT[op](a, b))
        if (isinstance(a, Fraction) and a == 0 and op in "*/") or (
            isinstance(b, Fraction) and b == 0 and op == "*"
        ):
            return Fraction(0)  # 0 times or over any number (the divisor is not 0)
        self.budget.charge(self.bits / 64)
        return self.check(BALL[op](self.ball(a), self.ball(b)))

    def factorial(self, x: Value) -> Value:
        n = self.jumps.integer(x, "whether the factorial's operand is an integer")
        if n is None or n < 0:
            raise domain_error("Factorial is defined for non-negative integers only")
        value = arithmetic.factorial(Fraction(n))
        # Of an approximate operand, the factorial holds by the cap rule only.
        return value if isinstance(x, Fraction) else self.assumed(value)

    def power(self, base: Value, exponent: Value) -> Value:
        if isinstance(base, Fraction) and base == 1:
            return Fraction(1)  # 1^x is 1 for every x, however x was computed
        if isinstance(exponent, Fraction) and exponent.denominator == 1:
            return self.integer_power(base, int(exponent))
        sign = self.jumps.sign(base, "the sign of the base")
        if sign == 0:
            exponent_sign = self.jumps.sign(exponent, "the sign of the exponent")
            if exponent_sign < 0:
                raise division_by_zero("0 raised to a negative power is undefined")
            value = Fraction(int(exponent_sign == 0))
            # Exact when both signs are proven: 0^x is 0 for every x > 0.
            proven = isinstance(exponent, Fraction) or exponent_sign != 0
            return value if isinstance(base, Fraction) and proven else self.assumed(value)
        if sign < 0:
            if not isinstance(exponent, Fraction):
                # Only an integer exponent gives a real power of a negative base.
                n = self.jumps.integer(exponent, "whether the exponent is an integer")
                if n is None:
                    raise domain_error(
                        "A negative number raised to a fractional power is not a real number"
                    )
                # The exponent is an integer by the cap rule only: so is the result exact.
                value = self.integer_power(base, n)
                if isinstance(value, Fraction):
                    return self.assumed(value)
                return self.widened(value)
            if exponent.denominator % 2 == 0:
                raise domain_error(
                    "A negative number raised to a fractional power is not a real number"
                )
        magnitude = abs(base)
        if (
            isinstance(magnitude, Fraction)
            and isinstance(exponent, Fraction)
            and exponent.denominator <= MAX_ROOT_DEGREE
        ):
            root = arithmetic.rational_root(magnitude, exponent.denominator)
            if root is not None:
                value = self.charge_exact(arithmetic.integer_power(root, exponent.numerator))
                return value if sign > 0 or exponent.numerator % 2 == 0 else -value
        self.bound_power(magnitude, exponent)
        self.charge_call(1.5)
        value = self.check(self.ball(magnitude) ** self.ball(exponent))
        odd = isinstance(exponent, Fraction) and exponent.numerator % 2 == 1
        return -value if sign < 0 and odd else value

    def integer_power(self, base: Value, n: int) -> Value:
        if n == 0:
            return Fraction(1)  # x^0 is 1 for every x (0^0 too, as in mathjs)
        if isinstance(base, Fraction):
            return self.charge_exact(arithmetic.integer_power(base, n))
        if n < 0 and self.jumps.sign(base, "the sign of the base") == 0:
            raise division_by_zero("0 raised to a negative power is undefined")
        self.bound_power(base, Fraction(n))
        self.charge_call(0.2)
        return self.check(base**n)

    def bound_power(self, base: Value, exponent: Value) -> None:
        """Refuse before computing a power far beyond 10^±10,000."""
        low, high = ends(abs(base))
        size = max(abs(low), abs(high))
        if size == 0:
            return
        e_low, e_high = ends(exponent)
        largest = max(abs(e_low), abs(e_high))
        log_size = abs(math.log2(size.numerator) - math.log2(size.denominator))
        if largest == 0 or log_size == 0:
            return
        # In logarithms: the exponent may be 527!, far beyond a float.
        bits = math.log2(largest.numerator) - math.log2(largest.denominator) + math.log2(log_size)
        if bits > math.log2(2 * MAX_EXPONENT_BITS + 64):
            raise too_large(f"The power is beyond {MAX_DIGITS:,} digits")

    def call(self, node: Call) -> Value:
        function = FUNCTIONS[node.name]
        (argument,) = node.args[:1]
        if node.name in ("sin", "cos", "tan") and isinstance(argument, Degrees):
            degrees = self.eval(argument.operand)
            if isinstance(degrees, Fraction):
                self.charge_call(function.cost)
                return turns(self, node.name, degrees / 180)
        if node in self.memo:  # the same call typed again
            return self.memo[node]
        args = [self.eval(arg) for arg in node.args]
        self.charge_call(function.cost)
        result = self.memo[node] = function.implementation(self, args)
        return result
