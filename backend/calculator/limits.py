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
