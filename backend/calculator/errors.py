"""Every error becomes an RFC 9457 problem+json response, in this one module.

Engine errors carry a stable `code`; HTTP errors from Werkzeug (404, 405, 413, ...) get
one too, from the table in problems.py. Nothing reaches the client as HTML or as a stack trace.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from . import problems
from .engine import CalculationError, InputError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A problem the API reports with a given status and code."""

    def __init__(self, status: int, code: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.extra = status, code, detail, extra


def problem(status: int, code: str, detail: str, **extra: Any) -> Response:
    """Build a problem+json response."""
    g.problem_code = code  # read by the metrics module
    body = problems.document(code, detail, g.get("request_id"), status=status, **extra)
    return Response(problems.dumps(body), status=status, mimetype=problems.MIME)


def _from_api_error(error: ApiError) -> Response:
    return problem(error.status, error.code, error.detail, **error.extra)


def _from_calculation(error: CalculationError) -> Response:
    status = 400 if isinstance(error, InputError) else 422
    extra = {} if error.position is None else {"position": error.position}
    return problem(status, error.code, error.detail, **extra)


def _http_detail(status: int) -> str | None:
    """Plainer sentences than Werkzeug's for the errors clients meet most."""
    if status == 404:
        return f"Nothing is served at {request.path}; the API is described at /api/v1/openapi.json"
    if status == 405:
        return f"{request.method} is not allowed on {request.path}"
    return None


def _from_http(error: HTTPException) -> Response:
    status = error.code or 500
    code = problems.code_for_status(status)
    # The table's sentence where it has one (nginx and gunicorn say the same).
    known = problems.PROBLEMS.get(code)
    detail = _http_detail(status) or (known.detail if known else error.description)
    response = problem(status, code, detail or HTTPStatus(status).phrase)
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


def _from_unexpected(error: Exception) -> Response:
    # A bug, not bad input: log the traceback server-side, tell the client nothing more.
    log.exception("unhandled error", exc_info=error)
    return problem(500, "internal_error", problems.PROBLEMS["internal_error"].detail)


def init_app(app: Flask) -> None:
    app.register_error_handler(ApiError, _from_api_error)
    app.register_error_handler(CalculationError, _from_calculation)
    app.register_error_handler(HTTPException, _from_http)
    app.register_error_handler(Exception, _from_unexpected)
