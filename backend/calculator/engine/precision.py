"""The precision-raising loop: evaluate with ball arithmetic, and raise the working
precision until every digit of the answer and every decision at a jump point is proven,
up to MAX_WORKING_BITS; at that cap the rule in jumps.py applies."""

from __future__ import annotations

import math
import threading
from fractions import Fraction

from flint import arb, ctx, fmpq

from ..limits import MAX_WORKING_BITS
from .evaluator import Evaluator, WorkBudget
from .jumps import Jumps, Undecided, ends
from .result import Result, approximate_result, make_result
from .rounding import round_enclosure, round_fraction
from .tree import Node

# Bits beyond the requested digits at the first attempt: most answers are proven there.
GUARD_BITS = 32
BITS_PER_DIGIT = math.log2(10)

# FLINT's working precision is one setting for the process; gunicorn's threads take
# turns here (the work is CPU-bound under the GIL either way).
_FLINT = threading.Lock()


def _warm() -> None:
    """Compute pi and e at the cap once per process (about 25 ms), not in a request."""
    saved = ctx.prec
    ctx.prec = MAX_WORKING_BITS
    arb.pi()
    arb.const_e()
    ctx.prec = saved


_warm()


def first_bits(precision: int) -> int:
    return math.ceil(precision * BITS_PER_DIGIT) + GUARD_BITS


def run(tree: Node, precision: int) -> Result:
    """Evaluate a tree; the answer has `precision` significant digits, all proven, or is
    exact. Each failed attempt doubles the working precision."""
    budget = WorkBudget()  # shared by all attempts: the total cost is bounded
    exact: dict[int, Fraction] = {}  # exact subtrees are computed once, not per attempt
    conversions: dict[Fraction, fmpq] = {}
    bits = first_bits(precision)
    with _FLINT:
        saved = ctx.prec
        try:
            while True:
                at_cap = bits >= MAX_WORKING_BITS
                ctx.prec = bits
                evaluator = Evaluator(bits, budget, exact, conversions, at_cap)
                try:
                    value = evaluator.eval(tree)
                    if isinstance(value, Fraction):
                        return make_result(value, True, precision)
                    return digits_of(value, precision, evaluator.jumps)
                except Undecided:
                    bits = min(2 * bits, MAX_WORKING_BITS)
        finally:
            ctx.prec = saved


def digits_of(value: arb, precision: int, jumps: Jumps) -> Result:
    """The correctly rounded digits of a ball's value, when the ball proves them."""
    if jumps.sign(value, "the result's sign") == 0:
        return make_result(Fraction(0), False, precision)
    low, high = ends(value)
    first, last = round_enclosure(low, high, precision)
    if first == last:
        return approximate_result(first, precision)
    # Straddles a rounding boundary, the midpoint of the two roundings.
    boundary = (Fraction(first) + Fraction(last)) / 2
    return approximate_result(
        round_fraction(jumps.point(low, high, boundary, "the last digit"), precision)[0],
        precision,
    )
