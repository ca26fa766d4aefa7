"""Errors raised by the engine. Each carries a stable machine-readable code.

InputError means the input is malformed (HTTP 400 at the API); MathError means it is
well-formed but undefined or over a limit (HTTP 422). The engine itself knows no HTTP.
"""


class CalculationError(Exception):
    """Base class: `code` is stable, `detail` is a sentence for humans."""

    code = "calculation_error"

    def __init__(self, detail: str, *, code: str | None = None, position: int | None = None):
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        # 1-based character position in the expression, when the error has one.
        self.position = position


class InputError(CalculationError):
    """Malformed input: not a number, bad syntax, over a length limit."""

    code = "invalid_input"


class MathError(CalculationError):
    """Well-formed input whose result is undefined or too large to compute."""

    code = "math_error"


class InsufficientPrecisionError(MathError):
    """The working precision cannot tell the result from a pole; retry with more digits.
    Raised to the caller as a plain domain error once the retries are used up."""

    code = "domain_error"


def syntax_error(detail: str, position: int) -> InputError:
    """A syntax error that says where (before any parenthesised hint in the detail)."""
    what, paren, hint = detail.partition(" (")
    where = f"{what} at position {position}" + (f" ({hint}" if paren else "")
    return InputError(where, code="syntax_error", position=position)


def division_by_zero(detail: str = "Division by zero is undefined") -> MathError:
    return MathError(detail, code="division_by_zero")


def domain_error(detail: str) -> MathError:
    return MathError(detail, code="domain_error")


def too_large(detail: str) -> MathError:
    return MathError(detail, code="result_too_large")
