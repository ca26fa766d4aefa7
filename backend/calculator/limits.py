"""Limits that keep every request cheap. One source of truth for the engine, the API,
the OpenAPI document and the nginx config (a contract test compares them)."""

MAX_BODY_BYTES = 16 * 1024
MAX_OPERAND_CHARS = 1_000
MAX_EXPRESSION_CHARS = 1_000
MAX_DEPTH = 64
# No intermediate value may need more digits than this (numerator or denominator).
MAX_DIGITS = 10_000
DEFAULT_PRECISION = 28
MIN_PRECISION = 1
MAX_PRECISION = 100
# Trigonometric arguments beyond this need pi to more digits than a request may spend.
MAX_TRIG_ARGUMENT_DIGITS = 100
# Working precision of the ball arithmetic is raised up to this many bits (about 12,000
# decimal digits) to prove a result or a decision at a jump point.
MAX_WORKING_BITS = 40_000
# At that cap, an enclosure narrower than 10^-CAP_RULE_DIGITS around a jump point counts
# as the jump point. Far below any literal (1e-9999 is the smallest nonzero number the
# digit limit allows), so a tiny term next to large ones is never mistaken for the point.
CAP_RULE_DIGITS = 10_100
