"""The API as served by real gunicorn with the production config (not the test client)."""

from __future__ import annotations

import json
import re
import socket
import time
from typing import Any

import pytest
import requests

from servers import Server

pytestmark = pytest.mark.integration

TIMEOUT = 5
PROBLEM_MIME = "application/problem+json"


def test_get_operands_from_query_string(server: Server) -> None:
    """GET /api/v1/add?a=0.1&b=0.2 answers the exact decimal "0.3" as JSON."""
    response = requests.get(f"{server.url}/api/v1/add", params={"a": "0.1", "b": "0.2"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["result"] == "0.3"
    assert body["exact"] is True


def test_post_expression_in_json_body(server: Server) -> None:
    """POST /api/v1/evaluate with a JSON body evaluates it: 2*(3+4)^2 is "98"."""
    response = requests.post(
        f"{server.url}/api/v1/evaluate", json={"expression": "2*(3+4)^2"}, timeout=TIMEOUT
    )
    assert response.status_code == 200
    assert response.json()["result"] == "98"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("GET", "/api/v1/divide?a=1&b=0", {}, 422, "division_by_zero"),
        ("GET", "/api/v1/no-such-operation", {}, 404, "not_found"),
        ("GET", "/no/such/page.html", {}, 404, "not_found"),
        (
            "POST",
            "/api/v1/evaluate",
            {
                "data": json.dumps({"expression": "1+" * 8200 + "1"}),
                "headers": {"Content-Type": "application/json"},
            },
            413,
            "payload_too_large",
        ),
    ],
    ids=["divide-by-zero", "unknown-api-path", "unknown-page", "body-over-16KiB"],
)
def test_errors_are_problem_json(
    server: Server, method: str, path: str, kwargs: dict[str, Any], status: int, code: str
) -> None:
    """Errors are RFC 9457 problem+json with a stable code and the request's ID, not HTML."""
    response = requests.request(method, server.url + path, timeout=TIMEOUT, **kwargs)
    assert response.status_code == status
    assert response.headers["Content-Type"] == PROBLEM_MIME
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert {"type", "title", "detail"} <= body.keys()


@pytest.mark.parametrize(
    ("headers", "path", "status", "code"),
    [
        ({}, "/api/v1/add?a=" + "1" * 5000 + "&b=1", 414, "uri_too_long"),
        (
            {f"X-Filler-{n}": "x" for n in range(60)},
            "/api/v1/add?a=1&b=1",
            431,
            "headers_too_large",
        ),
        ({"X-Filler": "x" * 9000}, "/api/v1/add?a=1&b=1", 431, "headers_too_large"),
    ],
    ids=["request-line-over-4094", "over-50-headers", "header-over-8190"],
)
def test_gunicorn_protocol_errors_are_problem_json(
    server: Server, headers: dict[str, str], path: str, status: int, code: str
) -> None:
    """Requests gunicorn refuses before the app sees them also get problem+json, not HTML."""
    response = requests.get(server.url + path, headers=headers, timeout=TIMEOUT)
    assert response.status_code == status
    assert response.headers["Content-Type"] == PROBLEM_MIME
    assert response.headers["Connection"] == "close"
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert response.headers["X-Served-By"] == socket.gethostname()


def test_expression_too_long_for_a_get_is_sent_to_post(server: Server) -> None:
    """A valid 999-character expression of π×π×… is about 6 KB percent-encoded, over the
    4094-byte request line: the 414 names the limit and says to send a POST JSON body,
    and the same expression POSTed that way is evaluated."""
    expression = "×".join(["π"] * 500)
    assert len(expression) == 999
    url = f"{server.url}/api/v1/evaluate"
    response = requests.get(url, params={"expression": expression}, timeout=TIMEOUT)
    assert response.status_code == 414
    assert response.headers["Content-Type"] == PROBLEM_MIME
    problem = response.json()
    assert (problem["status"], problem["code"]) == (414, "uri_too_long")
    assert "4094" in problem["detail"]
    assert "POST JSON body" in problem["detail"]
    assert "POST /api/v1/evaluate" in problem["detail"]

    posted = requests.post(url, json={"expression": expression}, timeout=TIMEOUT)
    assert posted.status_code == 200
    assert posted.json()["result"].startswith("3.757823232292552651265690")


def test_well_formed_request_id_is_honoured(server: Server, request_id: str) -> None:
    """A well-formed X-Request-ID from the client comes back unchanged, on errors too."""
    ok = requests.get(
        f"{server.url}/api/v1/add?a=1&b=2", headers={"X-Request-ID": request_id}, timeout=TIMEOUT
    )
    assert ok.headers["X-Request-ID"] == request_id
    failed = requests.get(
        f"{server.url}/api/v1/divide?a=1&b=0", headers={"X-Request-ID": request_id}, timeout=TIMEOUT
    )
    assert failed.headers["X-Request-ID"] == request_id
    assert failed.json()["request_id"] == request_id


@pytest.mark.parametrize(
    "sent",
    [None, "", "has spaces", "semi;colon", "-starts-with-dash", "x" * 129, "ünïcode"],
    ids=["absent", "empty", "spaces", "semicolon", "leading-dash", "too-long", "non-ascii"],
)
def test_missing_or_malformed_request_id_is_generated(server: Server, sent: str | None) -> None:
    """Without a well-formed X-Request-ID the server makes a fresh one and echoes it."""
    headers = {} if sent is None else {"X-Request-ID": sent.encode()}
    ids = [
        requests.get(f"{server.url}/api/v1/add?a=1&b=2", headers=headers, timeout=TIMEOUT).headers[
            "X-Request-ID"
        ]
        for _ in range(2)
    ]
    for generated in ids:
        assert generated != sent
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}", generated)
    assert ids[0] != ids[1]


def test_served_by_names_the_host(server: Server) -> None:
    """X-Served-By is the machine's hostname (in Kubernetes: the pod name)."""
    for path in ("/api/v1/add?a=1&b=2", "/api/v1/divide?a=1&b=0", "/healthz"):
        response = requests.get(server.url + path, timeout=TIMEOUT)
        assert response.headers["X-Served-By"] == socket.gethostname()


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/api/v1/add?a=0.1&b=0.2", None, 200),
        ("POST", "/api/v1/evaluate", {"expression": "1/0"}, 422),
        ("GET", "/nowhere", None, 404),
    ],
    ids=["ok", "problem", "not-found"],
)
def test_one_json_log_line_per_request(
    server: Server,
    request_id: str,
    find_request_log: Any,
    method: str,
    path: str,
    body: dict[str, str] | None,
    status: int,
) -> None:
    """Each request writes exactly one JSON line on stdout that describes it."""
    sent = time.perf_counter()
    response = requests.request(
        method,
        server.url + path,
        json=body,
        headers={"X-Request-ID": request_id},
        timeout=TIMEOUT,
    )
    round_trip_ms = (time.perf_counter() - sent) * 1000
    assert response.status_code == status
    records = find_request_log(server, request_id)
    assert len(records) == 1, records
    record = records[0]
    assert record["method"] == method
    assert record["path"] == path.split("?", maxsplit=1)[0]
    assert record["status"] == status
    assert isinstance(record["duration_ms"], int | float)
    # Milliseconds of the app's work, which happens within the client's round trip (an
    # ordering fact, not a speed requirement: that is for the benchmarks).
    assert 0 <= record["duration_ms"] <= round_trip_ms
    assert record["level"] == "info"
    assert {"time", "pid"} <= record.keys()


def test_every_output_line_is_json(server: Server) -> None:
    """Everything gunicorn and the app print (stdout and stderr) is one JSON object a line."""
    requests.get(f"{server.url}/api/v1/add?a=1&b=2", timeout=TIMEOUT)
    requests.get(f"{server.url}/api/v1/add?a=" + "1" * 5000, timeout=TIMEOUT)  # a gunicorn warning
    records = server.log_records()  # raises on the first line that is not JSON
    loggers = {record.get("logger") for record in records}
    assert {"gunicorn.error", "calculator.access"} <= loggers
    for record in records:
        assert {"time", "level", "message", "pid"} <= record.keys(), record
    # The access log is the app's: gunicorn writes none of its own.
    assert "gunicorn.access" not in loggers
