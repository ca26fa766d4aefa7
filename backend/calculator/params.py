"""Reading operands from a request: query string for GET, a JSON object for POST.

JSON numbers are kept as their literal text (0.1 means one tenth, never a float), so
the body is parsed here rather than by request.get_json().
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask import request

from .engine import parse_number
from .errors import ApiError
from .limits import DEFAULT_PRECISION, MAX_PRECISION, MIN_PRECISION


class NumberText(str):
    """A JSON number, kept as the text it was written as."""

    __slots__ = ()


def _reject_constant(name: str) -> None:
    raise ApiError(400, "invalid_number", f"{name} is not a number this service accepts")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ApiError(400, "invalid_json", f"The key '{key}' appears more than once")
        result[key] = value
    return result


def _json_body() -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise ApiError(
            415,
            "unsupported_media_type",
            "POST bodies must be JSON: send Content-Type: application/json",
        )
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise ApiError(
            415, "unsupported_media_type", f"JSON bodies must be UTF-8, not {charset[:40]}"
        )
    raw = request.get_data(cache=True)
    try:
        body = json.loads(
            raw.decode("utf-8"),
            parse_float=NumberText,
            parse_int=NumberText,
            parse_constant=_reject_constant,
            object_pairs_hook=_unique_keys,
        )
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_json", "The body is not valid UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise ApiError(
            400, "invalid_json", f"The body is not valid JSON: {exc.msg} at position {exc.pos + 1}"
        ) from exc
    except RecursionError as exc:
        raise ApiError(400, "invalid_json", "The body nests too deeply") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object")
    return body


def inputs() -> dict[str, Any]:
    """The request's parameters: JSON object for POST, query string otherwise."""
    if request.method == "POST":
        return _json_body()
    values: dict[str, Any] = {}
    for key, items in request.args.lists():
        if len(items) > 1:
            raise ApiError(400, "duplicate_parameter", f"'{key}' is given more than once")
        values[key] = items[0]
    return values


def operand(values: dict[str, Any], name: str) -> tuple[str, Fraction]:
    """The operand's canonical text and exact value."""
    if name not in values:
        raise ApiError(400, "missing_operand", f"The operand '{name}' is required")
    value = values[name]
    if isinstance(value, bool) or not isinstance(value, str):
        kind = {bool: "a boolean", type(None): "null", list: "an array", dict: "an object"}
        raise ApiError(
            400,
            "invalid_number",
            f"'{name}' must be a number or a numeric string, not {kind.get(type(value), 'that')}",
        )
    number = parse_number(value, name)
    return value.strip(" \t\r\n"), number


def text(values: dict[str, Any], name: str) -> str:
    """A required string parameter such as the expression."""
    value = values.get(name)
    if value is None:
        raise ApiError(400, "missing_operand", f"The parameter '{name}' is required")
    if isinstance(value, NumberText) or not isinstance(value, str):
        raise ApiError(400, "invalid_expression", f"'{name}' must be a string")
    return value


def precision(values: dict[str, Any]) -> int:
    """The optional `precision`: significant digits of the result (null means the default)."""
    value = values.get("precision")
    if value is None:
        return DEFAULT_PRECISION
    message = f"precision must be an integer from {MIN_PRECISION} to {MAX_PRECISION}"
    if isinstance(value, NumberText):
        # A JSON number is an integer when its value is one (JSON Schema reads 31.0 so).
        # Decimal compares 1e999999999 without building it.
        number = Decimal(value)
        if number != number.to_integral_value() or not MIN_PRECISION <= number <= MAX_PRECISION:
            raise ApiError(400, "invalid_precision", message)
        return int(number)
    if isinstance(value, bool) or not isinstance(value, str):
        raise ApiError(400, "invalid_precision", message)
    stripped = value.strip(" \t\r\n")
    if not (stripped.isascii() and stripped.isdigit() and len(stripped) <= 3):
        raise ApiError(400, "invalid_precision", message)
    digits = int(stripped)
    if not MIN_PRECISION <= digits <= MAX_PRECISION:
        raise ApiError(400, "invalid_precision", message)
    return digits
