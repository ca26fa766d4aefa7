"""The peer `make bench` compares the app with: the same answer from a bare WSGI callable.

No framework, no validation, no logging or metrics: what GET /api/v1/add costs with
nothing but gunicorn and the arithmetic (run under the production gunicorn settings).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Add the query string's a and b exactly; anything else is a 400."""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    try:
        a, b = query["a"][0], query["b"][0]
        result = str(Decimal(a) + Decimal(b))
    except (KeyError, ArithmeticError):
        start_response("400 Bad Request", [("Content-Type", "application/json")])
        return [b'{"code":"bad_request"}']
    body = json.dumps(
        {"operation": "add", "operands": {"a": a, "b": b}, "result": result, "exact": True}
    ).encode()
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
