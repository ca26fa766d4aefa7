"""Hostile input is normal input: every case gets a precise 4xx, never a 5xx or a hang."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import mpmath
import pytest
from flask.testing import FlaskClient

from calculator.engine import FUNCTIONS
from calculator.limits import MAX_BODY_BYTES, MAX_DEPTH, MAX_OPERAND_CHARS

JSON = "application/json"

# (id, method, path, request kwargs, expected status, expected code)
CASES: list[tuple[str, str, str, dict[str, Any], int, str]] = [
    ("nan-string", "GET", "/api/v1/add", {"query_string": "a=NaN&b=1"}, 400, "invalid_number"),
    ("nan-json", "POST", "/api/v1/add", {"data": '{"a": NaN, "b": 1}'}, 400, "invalid_number"),
    (
        "infinity-json",
        "POST",
        "/api/v1/add",
        {"data": '{"a": Infinity, "b": 1}'},
        400,
        "invalid_number",
    ),
    (
        "minus-infinity",
        "POST",
        "/api/v1/add",
        {"data": '{"a": -Infinity, "b": 1}'},
        400,
        "invalid_number",
    ),
    ("infinity-string", "GET", "/api/v1/add", {"query_string": "a=inf&b=1"}, 400, "invalid_number"),
    ("boolean-true", "POST", "/api/v1/add", {"data": '{"a": true, "b": 1}'}, 400, "invalid_number"),
    ("boolean-false", "POST", "/api/v1/sqrt", {"data": '{"x": false}'}, 400, "invalid_number"),
    ("null-operand", "POST", "/api/v1/add", {"data": '{"a": null, "b": 1}'}, 400, "invalid_number"),
    ("array-operand", "POST", "/api/v1/add", {"data": '{"a": [1], "b": 1}'}, 400, "invalid_number"),
    (
        "object-operand",
        "POST",
        "/api/v1/add",
        {"data": '{"a": {"v": 1}, "b": 1}'},
        400,
        "invalid_number",
    ),
    ("empty-string", "GET", "/api/v1/add", {"query_string": "a=&b=1"}, 400, "invalid_number"),
    (
        "arabic-indic-digits",
        "GET",
        "/api/v1/add",
        {"query_string": {"a": "٣", "b": "1"}},
        400,
        "invalid_number",
    ),
    (
        "fullwidth-digits",
        "GET",
        "/api/v1/add",
        {"query_string": {"a": "１２", "b": "1"}},
        400,
        "invalid_number",
    ),
    (
        "superscript-digit",
        "GET",
        "/api/v1/sqrt",
        {"query_string": {"x": "²"}},
        400,
        "invalid_number",
    ),
    ("hex-literal", "GET", "/api/v1/add", {"query_string": "a=0x10&b=1"}, 400, "invalid_number"),
    (
        "underscore-digits",
        "GET",
        "/api/v1/add",
        {"query_string": "a=1_000&b=1"},
        400,
        "invalid_number",
    ),
    (
        "operand-too-long",
        "GET",
        "/api/v1/add",
        {"query_string": {"a": "1" * (MAX_OPERAND_CHARS + 1), "b": "1"}},
        400,
        "invalid_number",
    ),
    (
        "huge-exponent-operand",
        "GET",
        "/api/v1/add",
        {"query_string": "a=1e99999&b=1"},
        422,
        "result_too_large",
    ),
    (
        "exponent-of-a-million-digits",
        "GET",
        "/api/v1/add",
        {"query_string": {"a": "1e" + "9" * 900, "b": "1"}},
        422,
        "result_too_large",
    ),
    ("missing-operand", "GET", "/api/v1/add", {"query_string": "a=1"}, 400, "missing_operand"),
    (
        "duplicate-parameter",
        "GET",
        "/api/v1/add",
        {"query_string": "a=1&a=2&b=3"},
        400,
        "duplicate_parameter",
    ),
    (
        "duplicate-json-key",
        "POST",
        "/api/v1/add",
        {"data": '{"a": 1, "a": 2, "b": 3}'},
        400,
        "invalid_json",
    ),
    ("missing-expression", "GET", "/api/v1/evaluate", {}, 400, "missing_operand"),
    (
        "expression-not-string",
        "POST",
        "/api/v1/evaluate",
        {"data": '{"expression": 42}'},
        400,
        "invalid_expression",
    ),
    (
        "nine-to-the-nine-to-the-nine",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "9^9^9"}},
        422,
        "result_too_large",
    ),
    *(
        (
            f"irrational-base-to-a-huge-power-{expression}",
            "GET",
            "/api/v1/evaluate",
            {"query_string": {"expression": expression}},
            422,
            "result_too_large",
        )
        for expression in ("e^1e999", "pi**1e999", "e^(-1e999)", "sqrt(2)^1e999")
    ),
    (
        "factorial-10000",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "10000!"}},
        422,
        "result_too_large",
    ),
    (
        "factorial-tower",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "3!!!!"}},
        422,
        "result_too_large",
    ),
    (
        "power-tower-of-twos",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "2^2^2^2^2^2"}},
        422,
        "result_too_large",
    ),
    (
        "exp-overflow",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "exp(99999)"}},
        422,
        "result_too_large",
    ),
    (
        "underflow-literal",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "1e-99999"}},
        422,
        "result_too_large",
    ),
    (
        "nested-parentheses-2000",
        "POST",
        "/api/v1/evaluate",
        {"data": json.dumps({"expression": "(" * 2000 + "1" + ")" * 2000})},
        400,
        "expression_too_long",
    ),
    (
        "nested-parentheses-over-depth",
        "POST",
        "/api/v1/evaluate",
        {"data": json.dumps({"expression": "(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1)})},
        400,
        "too_deep",
    ),
    (
        "nested-functions-over-depth",
        "POST",
        "/api/v1/evaluate",
        {
            "data": json.dumps(
                {"expression": "abs(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1)}
            )
        },
        400,
        "too_deep",
    ),
    (
        "python-import",
        "POST",
        "/api/v1/evaluate",
        {"data": json.dumps({"expression": "__import__('os').system('id')"})},
        400,
        "syntax_error",
    ),
    (
        "python-dunder",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "().__class__.__bases__"}},
        400,
        "syntax_error",
    ),
    (
        "lambda",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "lambda: 1"}},
        400,
        "syntax_error",
    ),
    (
        "unicode-lookalike-minus",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "5 ‐ 3"}},
        400,
        "syntax_error",
    ),
    (
        "zero-width-space",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "1\u200b+1"}},
        400,
        "syntax_error",
    ),
    (
        "nul-byte",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "1\x00+1"}},
        400,
        "syntax_error",
    ),
    (
        "right-to-left-override",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "\u202e1+1"}},
        400,
        "syntax_error",
    ),
    (
        "sql-injection",
        "GET",
        "/api/v1/add",
        {"query_string": {"a": "1; DROP TABLE x", "b": "1"}},
        400,
        "invalid_number",
    ),
    (
        "body-100kb",
        "POST",
        "/api/v1/evaluate",
        {"data": json.dumps({"expression": "1" * 100_000})},
        413,
        "payload_too_large",
    ),
    (
        "body-just-over-limit",
        "POST",
        "/api/v1/add",
        {"data": '{"a": 1, "b": 1, "pad": "' + "x" * MAX_BODY_BYTES + '"}'},
        413,
        "payload_too_large",
    ),
    ("deeply-nested-json", "POST", "/api/v1/add", {"data": "[" * 10_000}, 400, "invalid_json"),
    ("malformed-json", "POST", "/api/v1/add", {"data": '{"a": 1,'}, 400, "invalid_json"),
    ("json-array-body", "POST", "/api/v1/add", {"data": "[1, 2]"}, 400, "invalid_json"),
    (
        "invalid-utf8",
        "POST",
        "/api/v1/add",
        {"data": b'{"a": "\xff", "b": 1}'},
        400,
        "invalid_json",
    ),
    (
        "text-plain",
        "POST",
        "/api/v1/add",
        {"data": '{"a": 1, "b": 2}', "content_type": "text/plain"},
        415,
        "unsupported_media_type",
    ),
    (
        "form-encoded",
        "POST",
        "/api/v1/add",
        {"data": "a=1&b=2", "content_type": "application/x-www-form-urlencoded"},
        415,
        "unsupported_media_type",
    ),
    (
        "no-content-type",
        "POST",
        "/api/v1/evaluate",
        {"data": "{}", "content_type": ""},
        415,
        "unsupported_media_type",
    ),
    (
        "precision-zero",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "1/3", "precision": "0"}},
        400,
        "invalid_precision",
    ),
    (
        "precision-huge",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "1/3", "precision": "1000000"}},
        400,
        "invalid_precision",
    ),
    (
        "precision-fraction",
        "POST",
        "/api/v1/evaluate",
        {"data": '{"expression": "1/3", "precision": 2.5}'},
        400,
        "invalid_precision",
    ),
    (
        "precision-boolean",
        "POST",
        "/api/v1/evaluate",
        {"data": '{"expression": "1/3", "precision": true}'},
        400,
        "invalid_precision",
    ),
    ("unknown-path", "GET", "/api/v1/../../etc/passwd", {}, 404, "not_found"),
    ("unknown-endpoint", "GET", "/api/v2/add", {}, 404, "not_found"),
    ("wrong-method", "PUT", "/api/v1/add", {}, 405, "method_not_allowed"),
    ("delete-evaluate", "DELETE", "/api/v1/evaluate", {}, 405, "method_not_allowed"),
    (
        "division-by-zero",
        "GET",
        "/api/v1/modulo",
        {"query_string": "a=5&b=0"},
        422,
        "division_by_zero",
    ),
    (
        "zero-to-negative",
        "GET",
        "/api/v1/power",
        {"query_string": "a=0&b=-1"},
        422,
        "division_by_zero",
    ),
    ("sqrt-negative", "GET", "/api/v1/sqrt", {"query_string": "x=-1"}, 422, "domain_error"),
    (
        "latin-1-json",
        "POST",
        "/api/v1/add",
        {"data": '{"a": 1, "b": 2}', "content_type": "application/json; charset=latin-1"},
        415,
        "unsupported_media_type",
    ),
    (
        "factorial-of-a-huge-factorial",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "3248!!"}},
        422,
        "result_too_large",
    ),
    (
        "factorial-of-a-5000-digit-number",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "1e5000!"}},
        422,
        "result_too_large",
    ),
    (
        "jump-that-does-not-settle",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "floor(exp(23000)-exp(23000))"}},
        422,
        "precision_exhausted",
    ),
    (
        "round-to-a-googol-of-places",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "round(1,1e9999)"}},
        422,
        "result_too_large",
    ),
    (
        "round-to-minus-a-googol-of-places",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "round(1,-1e9999)"}},
        422,
        "result_too_large",
    ),
    (
        "sum-of-71-huge-fractions",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "+".join(["3248!/7^11800"] * 71)}},
        422,
        "too_complex",
    ),
    (
        "trig-argument-huge",
        "GET",
        "/api/v1/evaluate",
        {"query_string": {"expression": "sin(1e500)"}},
        422,
        "argument_too_large",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_hostile_input_gets_a_precise_client_error(
    client: FlaskClient, method: str, path: str, kwargs: dict[str, Any], status: int, code: str
) -> None:
    """The hostile request is answered with the expected 4xx status and problem code."""
    request = {"content_type": JSON, **kwargs} if method == "POST" else kwargs
    response = client.open(path, method=method, **request)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["code"] == code
    assert body["status"] == status
    assert "Traceback" not in body["detail"]


def test_a_logarithm_base_next_to_one_is_answered(client: FlaskClient) -> None:
    """log(2, 1+1e-50) divides by ln(1+1e-50), about 1e-50: answered, not a 500."""
    response = client.get("/api/v1/evaluate", query_string={"expression": "log(2,1+1e-50)"})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    with mpmath.workdps(200):
        truth = mpmath.log(2) / mpmath.log(1 + mpmath.mpf("1e-50"))
        expected = Decimal(mpmath.nstr(truth, 28, min_fixed=1, max_fixed=0))
    assert Decimal(response.json["result"]) == expected


# Arguments at the edges: huge, tiny, negative, non-integer, irrational, exactly at a
# jump point through irrational steps, far beyond a limit.
HOSTILE_ARGUMENTS = [
    "0",
    "-2.5",
    "1e9999",
    "-1e-9999",
    "3248!",
    "pi*1e300",
    "sin(pi)",
    "(1+1e-9999)",
    "exp(23000)",
    "1e100",
]

# The codes of mathematically undefined results and of limits.
CODES_422 = {
    "division_by_zero",
    "domain_error",
    "result_too_large",
    "argument_too_large",
    "too_complex",
    "precision_exhausted",
}


def _calls(name: str, arity: tuple[int, int]) -> list[str]:
    low, high = arity
    calls = [f"{name}({x})" for x in HOSTILE_ARGUMENTS] if low == 1 else []
    if high == 2:
        calls += [f"{name}({x}, {y})" for x in HOSTILE_ARGUMENTS for y in HOSTILE_ARGUMENTS]
    return calls


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_function_answers_hostile_arguments(client: FlaskClient, name: str) -> None:
    """Every function, with every hostile argument in every position, is answered 200 or
    refused with a coded 422, never a 500."""
    for expression in _calls(name, FUNCTIONS[name].arity):
        response = client.post(
            "/api/v1/evaluate", json={"expression": expression, "precision": 100}
        )
        assert response.status_code in (200, 422), (expression, response.get_data(as_text=True))
        if response.status_code == 422:
            assert response.json["code"] in CODES_422, (expression, response.json["code"])
