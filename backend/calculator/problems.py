"""Every problem the system answers with: one table for Flask, gunicorn and nginx.

A problem is an RFC 9457 `application/problem+json` document whose `code` is stable across
releases. The Flask error handlers (errors.py), gunicorn's answers to malformed HTTP
(serving.py) and nginx's own error pages (generated from this table by
`make generate`) all read it, so a code means the same thing whoever answers.

No web framework is imported here: gunicorn's master loads this module before the app.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from .limits import MAX_BODY_BYTES

MIME = "application/problem+json"
TYPE_PREFIX = "urn:k8s-calculator:problem:"


@dataclass(frozen=True)
class Problem:
    """A status, a short title, and the detail to give when the server has no better one."""

    status: int
    title: str
    detail: str


PROBLEMS: dict[str, Problem] = {
    # Input the calculator cannot read (400) or cannot compute (422).
    "invalid_number": Problem(400, "Invalid number", "An operand is not a number."),
    "missing_operand": Problem(400, "Missing operand", "A required parameter is missing."),
    "duplicate_parameter": Problem(400, "Duplicate parameter", "A parameter is given twice."),
    "invalid_json": Problem(400, "Invalid JSON body", "The body is not a JSON object."),
    "invalid_expression": Problem(400, "Invalid expression", "The expression is not a string."),
    "invalid_precision": Problem(400, "Invalid precision", "The precision is out of range."),
    "syntax_error": Problem(400, "Syntax error", "The expression cannot be parsed."),
    "expression_too_long": Problem(400, "Expression too long", "The expression is too long."),
    "too_deep": Problem(400, "Expression nested too deeply", "The expression nests too deeply."),
    "division_by_zero": Problem(422, "Division by zero", "Division by zero is undefined."),
    "domain_error": Problem(422, "Undefined result", "The result is undefined."),
    "result_too_large": Problem(422, "Result too large", "The result has too many digits."),
    "argument_too_large": Problem(422, "Argument too large", "An argument is too large."),
    "too_complex": Problem(422, "Expression too costly", "The expression costs too much work."),
    "precision_exhausted": Problem(
        422, "Precision exhausted", "The result could not be proven to the requested digits."
    ),
    # HTTP: what any of the three servers may answer about the request itself.
    "bad_request": Problem(400, "Bad Request", "The request is not valid HTTP."),
    "forbidden": Problem(403, "Forbidden", "This address may not be read."),
    "not_found": Problem(404, "Not Found", "There is nothing at this address."),
    "method_not_allowed": Problem(
        405, "Method Not Allowed", "This method is not allowed at this address."
    ),
    "precondition_failed": Problem(
        412,
        "Precondition Failed",
        "The file does not match the If-Match or If-Unmodified-Since header of the request.",
    ),
    "payload_too_large": Problem(
        413, "Request body too large", f"The request body is larger than {MAX_BODY_BYTES:,} bytes."
    ),
    "uri_too_long": Problem(
        414,
        "URI Too Long",
        "The request line is too long; send long expressions in a POST JSON body.",
    ),
    "unsupported_media_type": Problem(
        415, "Unsupported Media Type", "Send the body as application/json."
    ),
    "range_not_satisfiable": Problem(
        416, "Range Not Satisfiable", "The requested range is outside the file."
    ),
    "expectation_failed": Problem(
        417, "Expectation Failed", "The Expect header asks for something the server cannot do."
    ),
    "rate_limited": Problem(
        429,
        "Too Many Requests",
        "Too many requests from this address; slow down and try again in a moment.",
    ),
    "headers_too_large": Problem(
        431, "Request Header Fields Too Large", "The request headers are too large."
    ),
    "internal_error": Problem(
        500, "Internal Server Error", "The server failed to answer; the error is logged."
    ),
    "not_implemented": Problem(
        501,
        "Not Implemented",
        "The request uses an HTTP feature this server does not implement.",
    ),
    "backend_unavailable": Problem(502, "Bad Gateway", "The calculator backend is unavailable."),
    "backend_timeout": Problem(
        504, "Gateway Timeout", "The calculator backend did not answer in time."
    ),
    "http_version_not_supported": Problem(
        505, "HTTP Version Not Supported", "Only HTTP/1.0 and HTTP/1.1 are supported."
    ),
}

# The code for an HTTP status when nothing more specific is known (a server's own errors).
# Codes listed first win: 400 is bad_request, not one of the calculator's 400s.
_HTTP_SECTION = list(PROBLEMS)[list(PROBLEMS).index("bad_request") :]
CODE_FOR_STATUS: dict[int, str] = {}
for _code in _HTTP_SECTION:
    CODE_FOR_STATUS.setdefault(PROBLEMS[_code].status, _code)


def code_for_status(status: int) -> str:
    """The stable code of an HTTP-level error (a status outside the table gets its phrase)."""
    return CODE_FOR_STATUS.get(status) or HTTPStatus(status).phrase.lower().replace(" ", "_")


def document(
    code: str, detail: str | None, request_id: str | None, status: int | None = None, **extra: Any
) -> dict[str, Any]:
    """The problem document for a code; None for `detail` or `status` means the table's."""
    known = PROBLEMS.get(code)
    status = status or (known.status if known else 500)
    return {
        "type": TYPE_PREFIX + code,
        "title": known.title if known else HTTPStatus(status).phrase,
        "status": status,
        "detail": detail if detail is not None else (known.detail if known else ""),
        "code": code,
        "request_id": request_id,
        **extra,
    }


def dumps(body: dict[str, Any]) -> str:
    """Compact JSON, like the success responses."""
    return json.dumps(body, separators=(",", ":"))
