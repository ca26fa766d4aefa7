"""Differential oracle: generated expressions over the whole grammar give the same
digits, the same exact flag and fraction, and the same error class as mpmath at far
higher precision (tests/engine_oracle.py). `make fuzz` runs the same check 100,000 times."""

from __future__ import annotations

import random

import pytest
from engine_oracle import (
    FAILURES,
    FUNCTIONS_1,
    FUNCTIONS_2,
    Case,
    Generator,
    check,
    generate,
    render,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculator.engine import FUNCTIONS

# A few thousand cases; derandomized so that every run of the suite checks the same ones.
CASES = 2_000


@settings(
    max_examples=CASES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(rng=st.randoms(use_true_random=False))
def test_engine_agrees_with_the_reference(rng: random.Random) -> None:
    """Every generated case agrees with the reference or is refused by a limit."""
    tree, precision = generate(rng)
    case = check(tree, precision)
    assert case.outcome not in FAILURES, (
        f"{case.outcome}: {case.expression} at {precision}: {case.detail}"
    )


def test_the_oracle_knows_every_function_of_the_engine() -> None:
    """A function added to the engine's table is generated, and so checked against mpmath,
    by the arity the table gives it: adding one without its reference fails here."""
    one = {name for name, f in FUNCTIONS.items() if f.arity[0] <= 1 <= f.arity[1]}
    two = {name for name, f in FUNCTIONS.items() if f.arity[0] <= 2 <= f.arity[1]}
    assert set(FUNCTIONS_1) == one
    assert set(FUNCTIONS_2) == two


@pytest.mark.parametrize("seed", range(20))
def test_the_generator_covers_the_grammar(seed: int) -> None:
    """Generated expressions use implicit multiplication, percent, deg, mod and every
    function, so the oracle exercises the whole grammar."""
    rngs = [random.Random(seed * 1000 + i) for i in range(200)]  # noqa: S311 - test data
    texts = " ".join(render(Generator(rng).tree(4)) for rng in rngs)
    for needle in ("deg", "%", " mod ", ")pi", "nthroot(", "asin(", "tanh(", "log2(", "!", "e-"):
        assert needle in texts


@pytest.mark.parametrize(
    ("expression_tree", "precision"),
    [
        (
            (
                "call",
                "floor",
                [
                    (
                        "bin",
                        "-",
                        ("num", "7"),
                        ("bin", "*", ("call", "sqrt", [("num", "8")]), ("num", "1e-150")),
                    )
                ],
            ),
            28,
        ),
        (("bin", "-", ("call", "cos", [("num", "1e-100")]), ("num", "1")), 28),
        (("call", "sin", [("deg", ("num", "30"))]), 5),
        (("call", "floor", [("bin", "^", ("call", "sqrt", [("num", "2")]), ("num", "2"))]), 28),
    ],
)
def test_known_hard_cases_agree(expression_tree: tuple, precision: int) -> None:  # type: ignore[type-arg]
    """Jump-point neighbours, results near zero and cap-rule cases agree by construction."""
    case: Case = check(expression_tree, precision)
    assert case.outcome not in FAILURES, case.detail
