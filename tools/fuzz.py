"""Differential fuzzing of the engine (`make fuzz`): seeded random expressions over the
whole grammar, each compared with mpmath at far higher precision (tests/engine_oracle.py).

    .venv/bin/python tools/fuzz.py [--cases N] [--seed S] [--show K]

Prints the seed, the counts by outcome and up to K examples of each failure; exits 1
when any case fails (wrong digits, false error, false zero, ...).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from engine_oracle import FAILURES, UNDECIDED, Case, check, generate  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None, help="default: a new random seed")
    parser.add_argument("--show", type=int, default=5, help="examples shown per failure kind")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"seed {seed}, {args.cases:,} cases (rerun with --seed {seed})", flush=True)
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    counts: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    examples: dict[str, list[Case]] = defaultdict(list)
    start = time.monotonic()
    for index in range(1, args.cases + 1):
        tree, precision = generate(rng)
        case = check(tree, precision)
        counts[case.outcome] += 1
        if case.outcome == UNDECIDED and case.detail.startswith("engine"):
            examples[case.outcome].append(case)  # every one of these is listed for review
        elif case.detail and case.outcome not in FAILURES:
            codes[f"{case.outcome}: {case.detail}"] += 1
        if case.outcome in FAILURES and len(examples[case.outcome]) < args.show:
            examples[case.outcome].append(case)
        if index % 10_000 == 0:
            print(f"  {index:,} cases, {time.monotonic() - start:.0f} s", flush=True)
    print(f"\noutcomes of {args.cases:,} cases (seed {seed}):")
    for outcome in sorted(counts, key=lambda o: (o not in FAILURES, -counts[o])):
        print(f"  {outcome:24} {counts[outcome]:8,}")
    failures = sum(counts[outcome] for outcome in FAILURES)
    print(f"  {'failures':24} {failures:8,}")
    print("\nerrors and refusals by code:")
    for label, count in codes.most_common(12):
        print(f"  {count:8,}  {label}")
    for outcome, cases in examples.items():
        print(f"\n{outcome}:")
        for case in cases:
            print(f"  precision {case.precision}: {case.expression[:160]}\n    {case.detail}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
