"""A differential oracle for the calculator engine: random expressions over the whole
grammar, evaluated by the engine and by an independent reference (mpmath at far higher
precision plus exact fractions), and the two answers compared.

Used by backend/tests/test_engine_oracle.py (a few thousand cases, driven by Hypothesis)
and by tools/fuzz.py (`make fuzz`, 100,000 seeded cases).

The reference follows the calculator's documented semantics (floored modulo, round
halves away from zero, real odd roots, x% = x/100, exact values where the maths gives
them) but computes them its own way: mpmath at REFERENCE_DIGITS digits instead of FLINT
balls, Python fractions for the exact part. A sum that cancels below its digits is zero,
sin/cos/tan below them at a nonzero argument are zero, and a value within them of a
nonzero jump point is on it, as the engine's rule at its precision cap has it (the result
is then not exact). Whenever that near-point rule was used, the case is evaluated again
at three times the digits, so that a value merely close to the point is told apart.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Context, Decimal
from fractions import Fraction

import mpmath

from calculator.engine import CalculationError, evaluate
from calculator.limits import MAX_DIGITS, MAX_TRIG_ARGUMENT_DIGITS

REFERENCE_DIGITS = 1_500
MARGIN = 100
mp = mpmath.mp

# What a case can come to, for the counts. The first ones are failures.
WRONG_DIGITS = "wrong digits"
FALSE_ZERO = "false zero"
FALSE_ERROR = "false error"
FALSE_VALUE = "value where undefined"
WRONG_EXACT = "wrong exact flag"
WRONG_FRACTION = "wrong fraction"
WRONG_ERROR = "wrong error code"
CRASH = "crash"
FAILURES = (
    WRONG_DIGITS,
    FALSE_ZERO,
    FALSE_ERROR,
    FALSE_VALUE,
    WRONG_EXACT,
    WRONG_FRACTION,
    WRONG_ERROR,
    CRASH,
)
AGREE = "same value"
SAME_ERROR = "same error"
REFUSED = "refused by a limit"

# Errors that say the maths is undefined; the others are limits of the service.
MATH_ERRORS = {"domain_error", "division_by_zero"}
LIMIT_ERRORS = {"result_too_large", "argument_too_large", "too_complex", "precision_exhausted"}


class RefError(Exception):
    """The reference's verdict that the expression has no value (or is over a limit)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Ref:
    """A reference value: high-precision float, the exact fraction when known, and
    whether a jump point was taken by the near-point rule."""

    approx: mpmath.mpf
    exact: Fraction | None = None
    assumed: bool = False


def _exact(value: Fraction) -> Ref:
    if max(abs(value.numerator), value.denominator) >= 10**MAX_DIGITS:
        raise RefError("result_too_large")
    return Ref(mpmath.mpf(value.numerator) / value.denominator, value)


# Beyond this magnitude the reference's digits do not reach down to the units, so it
# cannot tell a cancellation or a jump decision (10^6457 mod 2): the case is undecided.
MAX_DECIDABLE = mpmath.mpf(10) ** 300
UNDECIDED = "reference undecided"


def _tiny(scale: mpmath.mpf) -> mpmath.mpf:
    """Below this distance from a nonzero point or after cancelling terms of size
    `scale`, a value is the point (or zero) as far as the reference can tell."""
    return mpmath.mpf(10) ** -(mp.dps - MARGIN) * abs(scale)


def _decidable(value: mpmath.mpf) -> None:
    """A jump decision on a value whose units lie beyond the reference's digits is not
    the reference's to take."""
    if abs(value) > mpmath.mpf(10) ** (mp.dps - 2 * MARGIN):
        raise RefError(UNDECIDED)


def _check(ref: Ref) -> Ref:
    if ref.exact is None and ref.approx != 0:
        exponent = mpmath.log10(abs(ref.approx))
        if abs(exponent) > MAX_DIGITS:
            raise RefError("result_too_large")
    return ref


class Reference:
    """Evaluates generated trees (tuples, see Generator) by the calculator's rules.
    `near` counts decisions taken by the near-point rule: check() then evaluates again
    at three times the digits, so that only values still on the point count as on it."""

    def __init__(self) -> None:
        self.near = 0

    def sign(self, x: Ref) -> tuple[int, bool]:
        """The sign and whether it is proven (else 0 by the near-point rule)."""
        if x.exact is not None:
            return (x.exact > 0) - (x.exact < 0), True
        if x.approx == 0:  # zero by cancellation or at a multiple of pi: the rule
            self.near += 1
            return 0, False
        return (1 if x.approx > 0 else -1), True

    def step(self, x: Ref, function: str, places: int = 0) -> Ref:
        """floor, ceil or round (half away from zero) at `places` decimals."""
        unit = Fraction(1, 10**places) if places >= 0 else Fraction(10**-places)
        if x.exact is not None:
            return _exact(_step(x.exact, function, unit))
        scaled = x.approx / (mpmath.mpf(unit.numerator) / unit.denominator)
        _decidable(scaled)
        point = mpmath.nint(scaled) if function != "round" else mpmath.floor(scaled) + 0.5
        if scaled == point or (point != 0 and abs(scaled - point) < _tiny(point)):
            self.near += 1
            exact_point = Fraction(int(mpmath.floor(point * 2))) / 2 * unit
            return Ref(_mpf(_step(exact_point, function, unit)), None, True)
        # Off the point: the step of the reference value, in binary (no decimal string).
        if function == "floor":
            k = int(mpmath.floor(scaled))
        elif function == "ceil":
            k = int(mpmath.ceil(scaled))
        else:
            k = int(mpmath.floor(abs(scaled) + mpmath.mpf(1) / 2)) * (1 if scaled >= 0 else -1)
        return _exact(k * unit)

    def integer(self, x: Ref) -> tuple[int, bool] | None:
        if x.exact is not None:
            return (int(x.exact), True) if x.exact.denominator == 1 else None
        _decidable(x.approx)
        nearest = mpmath.nint(x.approx)
        if x.approx == nearest or (nearest != 0 and abs(x.approx - nearest) < _tiny(nearest)):
            self.near += 1
            return int(nearest), False
        return None

    def eval(self, node: tuple) -> Ref:  # type: ignore[type-arg]
        kind = node[0]
        if kind == "num":
            return _exact(Fraction(node[1]))
        if kind == "const":
            return Ref(mp.pi if node[1] == "pi" else mpmath.e)
        if kind == "neg":
            x = self.eval(node[1])
            return Ref(-x.approx, None if x.exact is None else -x.exact, x.assumed)
        if kind == "pct":
            return self.binary("/", self.eval(node[1]), _exact(Fraction(100)))
        if kind == "fact":
            return self.factorial(self.eval(node[1]))
        if kind == "bin":
            return self.binary(node[1], self.eval(node[2]), self.eval(node[3]))
        if kind == "imp":
            return self.binary("*", self.eval(node[1]), self.eval(node[2]))
        if kind == "deg":
            return self.binary("*", self.eval(node[1]), Ref(mp.pi / 180))
        return self.call(node[1], node[2])

    def binary(self, op: str, a: Ref, b: Ref) -> Ref:
        if op == "^":
            return self.power(a, b)
        assumed = a.assumed or b.assumed
        if op in ("/", "%", "mod") and self.sign(b)[0] == 0:
            raise RefError("division_by_zero")
        if op in ("%", "mod"):
            quotient = self.step(self.binary("/", a, b), "floor")
            return self.binary("-", a, self.binary("*", b, quotient))
        if a.exact is not None and b.exact is not None:
            return _exact(_ARITHMETIC[op](a.exact, b.exact))
        if (a.exact == 0 and op in "*/") or (b.exact == 0 and op == "*"):
            return _exact(Fraction(0))
        value = {"+": a.approx + b.approx, "-": a.approx - b.approx}.get(op)
        if value is None:
            value = a.approx * b.approx if op == "*" else a.approx / b.approx
        elif abs(value) < _tiny(max(abs(a.approx), abs(b.approx))):
            # Cancelled beyond the reference's digits: zero, if those reach far enough.
            if max(abs(a.approx), abs(b.approx)) > MAX_DECIDABLE:
                raise RefError(UNDECIDED)
            self.near += 1
            value = mpmath.mpf(0)
        return _check(Ref(value, None, assumed))

    def factorial(self, x: Ref) -> Ref:
        n = self.integer(x)
        if n is None or n[0] < 0:
            raise RefError("domain_error")
        if n[0] > 3248:
            raise RefError("result_too_large")
        value = Fraction(math.factorial(n[0]))
        return _exact(value) if x.exact is not None else Ref(_mpf(value), None, True)

    def power(self, base: Ref, exponent: Ref) -> Ref:
        if exponent.exact == 0:
            return _exact(Fraction(1))  # x^0 is 1 for every x
        if exponent.exact is not None and exponent.exact.denominator == 1:
            n = int(exponent.exact)
            if base.exact is not None:
                if base.exact == 0 and n < 0:
                    raise RefError("division_by_zero")
                largest = max(abs(base.exact.numerator), base.exact.denominator)
                if largest > 1 and abs(n) * math.log10(largest) > MAX_DIGITS + 1:
                    raise RefError("result_too_large")
                return _exact(base.exact**n)
            if n < 0 and self.sign(base)[0] == 0:
                raise RefError("division_by_zero")
            return self._bounded(base, exponent, lambda: base.approx**n)
        if base.exact == 1:
            return _exact(Fraction(1))  # 1^x is 1 for every x
        sign = self.sign(base)[0]
        if sign == 0:
            exponent_sign = self.sign(exponent)[0]
            if exponent_sign < 0:
                raise RefError("division_by_zero")
            value = Fraction(int(exponent_sign == 0))
            exact = base.exact is not None and (exponent.exact is not None or exponent_sign != 0)
            return _exact(value) if exact else Ref(_mpf(value), None, True)
        odd = False
        if sign < 0:
            if exponent.exact is None:
                n = self.integer(exponent)
                if n is None:
                    raise RefError("domain_error")
                result = self._bounded(base, exponent, lambda: base.approx ** n[0])
                return Ref(result.approx, None, True)
            if exponent.exact.denominator % 2 == 0:
                raise RefError("domain_error")
            odd = exponent.exact.numerator % 2 == 1
        magnitude = abs(base.approx)
        if (
            base.exact is not None
            and exponent.exact is not None
            and exponent.exact.denominator <= 1_000
        ):
            root = _rational_root(abs(base.exact), exponent.exact.denominator)
            if root is not None:
                largest = max(abs(root.numerator), root.denominator)
                if largest > 1 and abs(exponent.exact.numerator) * math.log10(largest) > (
                    MAX_DIGITS + 1
                ):
                    raise RefError("result_too_large")
                value = root**exponent.exact.numerator
                return _exact(-value if odd else value)
        result = self._bounded(base, exponent, lambda: magnitude**exponent.approx)
        return Ref(-result.approx if odd else result.approx, None, result.assumed)

    def _bounded(self, base: Ref, exponent: Ref, compute: object) -> Ref:
        size = abs(base.approx)
        if size != 0 and abs(exponent.approx * mpmath.log10(size)) > MAX_DIGITS + 2:
            raise RefError("result_too_large")
        value = compute()  # type: ignore[operator]
        return _check(Ref(value, None, base.assumed or exponent.assumed))

    def call(self, name: str, arg_nodes: list) -> Ref:  # type: ignore[type-arg]
        if name in ("sin", "cos", "tan") and arg_nodes[0][0] == "deg":
            degrees = self.eval(arg_nodes[0][1])
            if degrees.exact is not None:
                return self.turns(name, degrees.exact)
        args = [self.eval(node) for node in arg_nodes]
        x = args[0]
        if name in ("floor", "ceil"):
            return self.step(x, name)
        if name == "round":
            places = 0
            if len(args) > 1:
                n = self.integer(args[1])
                if n is None:
                    raise RefError("domain_error")
                places = n[0]
            if abs(places) > MAX_DIGITS:
                raise RefError("result_too_large")
            return self.step(x, "round", places)
        if name == "abs":
            return Ref(abs(x.approx), None if x.exact is None else abs(x.exact), x.assumed)
        if name in ("sqrt", "cbrt", "nthroot"):
            degree = {"sqrt": 2, "cbrt": 3}.get(name)
            if degree is None:
                n = self.integer(args[1])
                if n is None:
                    raise RefError("domain_error")
                degree = n[0]
                if abs(degree) > MAX_DIGITS:
                    raise RefError("result_too_large")
            return self.root(x, degree)
        if name in ("ln", "log", "log2"):
            base = _exact(Fraction(2 if name == "log2" else 10)) if len(args) == 1 else args[1]
            return self.logarithm(x, None if name == "ln" else base)
        return self.transcendental(name, x)

    def root(self, x: Ref, degree: int) -> Ref:
        if degree == 0:
            raise RefError("domain_error")
        if degree < 0:
            return self.binary("/", _exact(Fraction(1)), self.root(x, -degree))
        sign = self.sign(x)[0]
        if sign == 0:
            return _exact(Fraction(0)) if x.exact is not None else Ref(mpmath.mpf(0), None, True)
        if sign < 0 and degree % 2 == 0:
            raise RefError("domain_error")
        if x.exact is not None and degree <= 1_000:
            root = _rational_root(abs(x.exact), degree)
            if root is not None:
                return _exact(root * sign)
        value = mpmath.root(abs(x.approx), degree)
        return Ref(value * sign, None, x.assumed)

    def logarithm(self, x: Ref, base: Ref | None) -> Ref:
        if self.sign(x)[0] <= 0:
            raise RefError("domain_error")
        if base is None:
            if x.exact == 1:
                return _exact(Fraction(0))
            return _check(Ref(mpmath.log(x.approx), None, x.assumed))
        if (
            self.sign(base)[0] <= 0
            or self.sign(self.binary("-", base, _exact(Fraction(1))))[0] == 0
        ):
            raise RefError("domain_error")
        if x.exact is not None and base.exact is not None:
            k = _exact_log(x.exact, base.exact)
            if k is not None:
                return _exact(Fraction(k))
        ratio = mpmath.log(x.approx) / mpmath.log(base.approx)
        return _check(Ref(ratio, None, x.assumed or base.assumed))

    def turns(self, name: str, degrees: Fraction) -> Ref:
        angle = degrees % 360
        special = {
            "sin": {
                0: 0,
                30: Fraction(1, 2),
                90: 1,
                150: Fraction(1, 2),
                180: 0,
                210: Fraction(-1, 2),
                270: -1,
                330: Fraction(-1, 2),
            },
            "cos": {
                0: 1,
                60: Fraction(1, 2),
                90: 0,
                120: Fraction(-1, 2),
                180: -1,
                240: Fraction(-1, 2),
                270: 0,
                300: Fraction(1, 2),
            },
            "tan": {0: 0, 45: 1, 135: -1, 180: 0, 225: 1, 315: -1},
        }[name]
        if name == "tan" and angle in (90, 270):
            raise RefError("domain_error")
        if angle.denominator == 1 and int(angle) in special:
            return _exact(Fraction(special[int(angle)]))
        radians = _mpf(degrees) * mp.pi / 180
        return Ref(getattr(mpmath, name)(radians))

    def transcendental(self, name: str, x: Ref) -> Ref:
        at_zero = {"exp": 1, "cos": 1, "cosh": 1}.get(name, 0)
        if x.exact == 0 and name != "acos":
            return _exact(Fraction(at_zero))
        if name in ("exp", "sinh", "cosh") and abs(x.approx) > math.floor(
            MAX_DIGITS * math.log(10)
        ):
            raise RefError("result_too_large")
        if (
            name in ("sin", "cos", "tan")
            and abs(x.approx) > mpmath.mpf(10) ** MAX_TRIG_ARGUMENT_DIGITS
        ):
            raise RefError("argument_too_large")
        if name in ("asin", "acos"):
            above = self.sign(self.binary("-", x, _exact(Fraction(1))))[0]
            below = self.sign(self.binary("+", x, _exact(Fraction(1))))[0]
            if above > 0 or below < 0:
                raise RefError("domain_error")
            if name == "acos" and x.exact == 1:
                return _exact(Fraction(0))
            if name == "asin" and x.exact == 0:
                return _exact(Fraction(0))
            if above == 0 or below == 0:
                return Ref(getattr(mpmath, name)(1 if above == 0 else -1), None, True)
        if name == "tan":
            cosine = self.transcendental("cos", x)
            if self.sign(cosine)[0] == 0:
                raise RefError("domain_error")
        value = getattr(mpmath, name)(x.approx)
        if name in ("sin", "cos", "tan") and abs(x.approx) >= 1 and abs(value) < _tiny(x.approx):
            self.near += 1  # a zero of sin, cos or tan, as far as the reference can tell
            value = mpmath.mpf(0)
        return _check(Ref(value, None, x.assumed))


_ARITHMETIC = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


def _mpf(value: Fraction) -> mpmath.mpf:
    return mpmath.mpf(value.numerator) / value.denominator


def _step(value: Fraction, function: str, unit: Fraction) -> Fraction:
    scaled = value / unit
    if function == "floor":
        return math.floor(scaled) * unit
    if function == "ceil":
        return math.ceil(scaled) * unit
    rounded = math.floor(abs(scaled) + Fraction(1, 2))
    return (rounded if value >= 0 else -rounded) * unit


def _integer_root(value: int, degree: int) -> int | None:
    if value < 2 or degree == 1:
        return value
    guess = int(mpmath.nint(mpmath.root(value, degree)))
    for candidate in (guess - 1, guess, guess + 1):
        if candidate >= 0 and candidate**degree == value:
            return candidate
    return None


def _rational_root(value: Fraction, degree: int) -> Fraction | None:
    numerator = _integer_root(value.numerator, degree)
    denominator = _integer_root(value.denominator, degree)
    if numerator is None or denominator is None:
        return None
    return Fraction(numerator, denominator)


def _exact_log(x: Fraction, base: Fraction) -> int | None:
    if x <= 0 or base <= 0 or base == 1:
        return None
    k = int(mpmath.nint(mpmath.log(_mpf(x)) / mpmath.log(_mpf(base))))
    if abs(k) > 4 * MAX_DIGITS:
        return None
    largest = max(abs(base.numerator), base.denominator)
    if abs(k) * math.log10(largest) > MAX_DIGITS + 1:
        return None
    return k if base**k == x else None


# --- the generator ------------------------------------------------------------------------

FUNCTIONS_1 = [
    "sqrt", "cbrt", "abs", "floor", "ceil", "round", "ln", "log", "log2", "exp",
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
]  # fmt: skip
FUNCTIONS_2 = ["nthroot", "log", "round"]


class Generator:
    """Random expression trees over the whole grammar, with mixed scales, tiny terms
    next to large ones and jump-point neighbours. Trees are tuples; render() gives text."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def number(self) -> tuple[str, str]:
        rng = self.rng
        decimal = f"{rng.randint(0, 99)}.{rng.randint(0, 999)}"
        mantissa = rng.choice(
            [str(rng.randint(0, 12)), str(rng.randint(1, 999)), decimal,
             "0.5", "2.5", "1", "2", "3", "7", "0.1", "1.05"]
        )  # fmt: skip
        roll = rng.random()
        if roll < 0.6:
            return ("num", mantissa)
        exponent = rng.choice(
            [rng.randint(-300, 300), rng.randint(-20, 20), rng.choice([-150, -100, -80, 70, 100])]
        )
        return ("num", f"{mantissa}e{exponent}")

    def leaf(self) -> tuple:  # type: ignore[type-arg]
        if self.rng.random() < 0.25:
            return ("const", self.rng.choice(["pi", "e"]))
        return self.number()

    def identity(self, x: tuple) -> tuple:  # type: ignore[type-arg]
        """An expression whose value is an integer, 0 or x, through irrational steps;
        often under a function that jumps there."""
        k = ("num", str(self.rng.randint(1, 9)))
        shape = self.rng.choice(_identity_shapes(k, x))
        if self.rng.random() < 0.5:
            return shape
        name = self.rng.choice(["floor", "ceil", "round", "sqrt", "ln", "abs", "asin", "acos"])
        return ("call", name, [shape]) if self.rng.random() < 0.7 else ("fact", shape)

    def tree(self, depth: int) -> tuple:  # type: ignore[type-arg]
        rng = self.rng
        if depth <= 0 or rng.random() < 0.25:
            return self.leaf()
        kind = rng.choices(
            ["bin", "call", "neg", "fact", "pct", "imp", "tiny", "jump", "deg", "identity"],
            [30, 30, 4, 3, 3, 6, 10, 8, 4, 6],
        )[0]
        if kind == "identity":  # exactly an integer or 0, but only approximately computed
            return self.identity(rng.choice([self.tree(depth - 1), self.leaf()]))
        sub = depth - 1
        if kind == "bin":
            op = rng.choice(["+", "-", "*", "/", "^", "%", "mod"])
            if op == "^":
                exponent = rng.choice(
                    [self.number(), ("num", str(rng.randint(-4, 6))), self.tree(sub - 1)]
                )
                return ("bin", "^", self.tree(sub), exponent)
            return ("bin", op, self.tree(sub), self.tree(sub))
        if kind == "call":
            if rng.random() < 0.15:
                name = rng.choice(FUNCTIONS_2)
                second = ("num", str(rng.randint(-3, 9))) if name != "log" else self.tree(sub)
                return ("call", name, [self.tree(sub), second])
            return ("call", rng.choice(FUNCTIONS_1), [self.tree(sub)])
        if kind == "neg":
            return ("neg", self.tree(sub))
        if kind == "fact":
            return ("fact", rng.choice([("num", str(rng.randint(0, 30))), self.tree(sub)]))
        if kind == "pct":
            return ("pct", self.tree(sub))
        if kind == "imp":
            right = rng.choice(
                [
                    ("const", "pi"),
                    ("const", "e"),
                    ("call", rng.choice(FUNCTIONS_1), [self.tree(sub)]),
                ]
            )
            return ("imp", self.tree(sub), right)
        if kind == "tiny":  # a tiny approximate term next to a large or moderate one
            scale = ("num", f"1e-{rng.choice([20, 50, 80, 120, 150, 200, 300])}")
            small = ("bin", "*", self.tree(sub), scale)
            return ("bin", rng.choice(["+", "-"]), self.tree(sub), small)
        if kind == "jump":  # floor(7 - x*1e-150) and friends
            point = self.rng.choice(["7", "2.5", "0", "1", "-3", "0.5"])
            offset = ("bin", "*", self.tree(sub), ("num", f"1e-{rng.choice([30, 100, 150, 250])}"))
            inner = ("bin", rng.choice(["+", "-"]), ("num", point), offset)
            name = rng.choice(["floor", "ceil", "round", "sqrt", "ln", "abs"])
            return ("call", name, [inner])
        degrees = rng.choice(
            [
                ("num", str(rng.choice([0, 30, 45, 60, 90, 120, 135, 150, 180, 270, 330, 1, 17]))),
                self.tree(sub),
            ]
        )
        return ("call", rng.choice(["sin", "cos", "tan"]), [("deg", degrees)])


def _identity_shapes(k: tuple, x: tuple) -> list[tuple]:  # type: ignore[type-arg]
    pi, e = ("const", "pi"), ("const", "e")
    return [
        ("call", "sin", [("imp", k, pi)]),  # 0
        ("bin", "^", ("call", "sqrt", [k]), ("num", "2")),  # k
        ("call", "ln", [("bin", "^", e, k)]),  # k
        ("bin", "-", ("bin", "+", x, pi), pi),  # x
        ("call", "cos", [("imp", k, pi)]),  # 1 or -1
        ("bin", "-", ("call", "exp", [("call", "ln", [k])]), k),  # 0 (k > 0)
        ("call", "tan", [("bin", "/", pi, ("num", "4"))]),  # 1
    ]


def render(node: tuple) -> str:  # type: ignore[type-arg]
    """The expression text; every compound operand in parentheses."""
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "const":
        return node[1]
    if kind == "neg":
        return f"-({render(node[1])})"
    if kind == "fact":
        return f"({render(node[1])})!"
    if kind == "pct":
        return f"({render(node[1])})%"
    if kind == "deg":
        return f"({render(node[1])})deg"
    if kind == "bin":
        op = " mod " if node[1] == "mod" else node[1]
        return f"({render(node[2])}){op}({render(node[3])})"
    if kind == "imp":
        return f"({render(node[1])}){render(node[2])}"
    return f"{node[1]}({', '.join(render(arg) for arg in node[2])})"


@dataclass
class Case:
    expression: str
    precision: int
    outcome: str
    detail: str = ""


def expected_text(ref: Ref, precision: int) -> tuple[Decimal, bool, str | None]:
    """The digits the engine must give, whether exactly, and the fraction."""
    if ref.exact is not None and not ref.assumed:
        value = ref.exact
        fraction = f"{value.numerator}/{value.denominator}"
        denominator = value.denominator
        while denominator % 2 == 0:
            denominator //= 2
        while denominator % 5 == 0:
            denominator //= 5
        digits = len(str(abs(value.numerator))) + len(str(value.denominator))
        if denominator == 1 and digits <= MAX_DIGITS:
            return (
                Decimal(value.numerator) / Decimal(value.denominator)
                if False
                else _exact_decimal(value),
                True,
                fraction,
            )
        return _round(_mpf(value), precision, value), False, fraction
    return _round(ref.approx, precision, None), False, None


def _exact_decimal(value: Fraction) -> Decimal:
    context = Context(prec=2 * MAX_DIGITS + 10, Emax=10**6, Emin=-(10**6))
    return context.divide(Decimal(value.numerator), Decimal(value.denominator))


def _round(value: mpmath.mpf, precision: int, exact: Fraction | None) -> Decimal:
    context = Context(prec=precision, Emax=10**6, Emin=-(10**6))
    if exact is not None:
        wide = Context(prec=precision + 30, Emax=10**6, Emin=-(10**6))
        # Enough digits and a sticky one decide the rounding of an exact fraction.
        approx = wide.divide(Decimal(exact.numerator), Decimal(exact.denominator))
        return context.plus(approx)
    text = mpmath.nstr(value, mp.dps - MARGIN, min_fixed=1, max_fixed=0, strip_zeros=False)
    return context.plus(Decimal(text))


def check(tree: tuple, precision: int) -> Case:  # type: ignore[type-arg]
    """Evaluate one tree by the engine and the reference and classify the outcome."""
    expression = render(tree)
    for digits in (REFERENCE_DIGITS, 3 * REFERENCE_DIGITS):
        evaluator = Reference()
        try:
            with mpmath.workdps(digits):
                reference: Ref | RefError = evaluator.eval(tree)
                if isinstance(reference, Ref):
                    expected = expected_text(reference, precision)
        except RefError as error:
            reference = error
        except (OverflowError, ValueError, ZeroDivisionError) as error:  # mpmath's limits
            reference = RefError(f"reference: {type(error).__name__}")
        if not evaluator.near:
            break
    try:
        result = evaluate(expression, precision)
    except CalculationError as error:
        code = error.code
        if isinstance(reference, RefError) and reference.code == UNDECIDED:
            return Case(expression, precision, UNDECIDED, code)
        if isinstance(reference, RefError):
            if code == reference.code or code in LIMIT_ERRORS or reference.code in LIMIT_ERRORS:
                return Case(
                    expression, precision, SAME_ERROR if code == reference.code else REFUSED, code
                )
            return Case(
                expression, precision, WRONG_ERROR, f"engine {code}, reference {reference.code}"
            )
        if code in LIMIT_ERRORS:
            return Case(expression, precision, REFUSED, code)
        return Case(expression, precision, FALSE_ERROR, f"engine {code}: {error.detail[:80]}")
    except Exception as error:  # a crash is a finding, reported as one
        return Case(expression, precision, CRASH, f"{type(error).__name__}: {error}"[:200])
    if isinstance(reference, RefError) and reference.code == UNDECIDED:
        return Case(expression, precision, UNDECIDED, "")
    if isinstance(reference, RefError):
        if reference.code in MATH_ERRORS:
            return Case(
                expression,
                precision,
                FALSE_VALUE,
                f"engine {result.result[:40]}, reference {reference.code}",
            )
        return Case(expression, precision, REFUSED, f"reference {reference.code}")
    digits, exact, fraction = expected
    got = Decimal(result.result)
    if got != digits and evaluator.near:
        # The reference took a jump point at 4,500 digits: a value closer to it than
        # that (tan(pi-1e-6000)) is beyond what the reference can tell; listed apart.
        detail = f"engine {result.result[:60]}, reference {str(digits)[:60]}"
        return Case(expression, precision, UNDECIDED, detail)
    if got != digits:
        outcome = FALSE_ZERO if got == 0 else WRONG_DIGITS
        return Case(
            expression, precision, outcome, f"engine {result.result[:60]}, truth {str(digits)[:60]}"
        )
    if result.exact != exact:
        return Case(expression, precision, WRONG_EXACT, f"engine exact={result.exact}")
    if result.fraction != fraction:
        return Case(
            expression,
            precision,
            WRONG_FRACTION,
            f"engine {str(result.fraction)[:40]}, truth {str(fraction)[:40]}",
        )
    return Case(expression, precision, AGREE)


def generate(rng: random.Random) -> tuple[tuple, int]:  # type: ignore[type-arg]
    """One random case: a tree and a precision from 1 to 100."""
    return Generator(rng).tree(rng.randint(1, 4)), rng.randint(1, 100)
