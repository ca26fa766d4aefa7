"""The HTTP API through Flask's test client: every endpoint and method."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pytest
from flask.testing import FlaskClient

from calculator import __version__
from calculator.app import create_app
from calculator.engine import OPERATIONS

BINARY_CASES = {
    "add": ("0.1", "0.2", "0.3"),
    "subtract": ("0.3", "0.1", "0.2"),
    "multiply": ("1.5", "4", "6"),
    "divide": ("1", "8", "0.125"),
    "power": ("2", "64", "18446744073709551616"),
    "modulo": ("-7", "3", "2"),
}


@pytest.mark.parametrize("operation", list(BINARY_CASES))
def test_binary_operations_by_get(client: FlaskClient, operation: str) -> None:
    """GET takes a and b from the query string and answers the exact result."""
    a, b, expected = BINARY_CASES[operation]
    response = client.get(f"/api/v1/{operation}", query_string={"a": a, "b": b})
    assert response.status_code == 200
    assert response.json == {
        "operation": operation,
        "operands": {"a": a, "b": b},
        "result": expected,
        "fraction": response.json["fraction"],
        "value": response.json["value"],
        "exact": True,
        "precision": 28,
    }
    assert float(response.json["value"]) == float(expected)
    assert Fraction(response.json["fraction"]) == Fraction(expected)


@pytest.mark.parametrize("operation", list(BINARY_CASES))
def test_binary_operations_by_post(client: FlaskClient, operation: str) -> None:
    """POST takes a and b from a JSON body; JSON numbers count by their literal text."""
    a, b, expected = BINARY_CASES[operation]
    body = f'{{"a": {a}, "b": "{b}"}}'
    response = client.post(f"/api/v1/{operation}", data=body, content_type="application/json")
    assert response.status_code == 200
    assert response.json["result"] == expected
    assert response.json["operands"] == {"a": a, "b": b}


def test_json_number_operands_never_pass_through_float(client: FlaskClient) -> None:
    """0.1 + 0.2 with JSON numbers is exactly 0.3, not 0.30000000000000004."""
    response = client.post("/api/v1/add", json={"a": 0.1, "b": 0.2})
    assert response.json["result"] == "0.3"
    assert response.json["exact"] is True


def test_sqrt_by_get_and_post(client: FlaskClient) -> None:
    """sqrt takes x, by query string or JSON body."""
    assert client.get("/api/v1/sqrt?x=2.25").json["result"] == "1.5"
    response = client.post("/api/v1/sqrt", json={"x": 2, "precision": 10})
    assert response.json["result"] == "1.414213562"
    assert response.json["exact"] is False


def test_evaluate_by_get_and_post(client: FlaskClient) -> None:
    """evaluate accepts the expression by query string or JSON body."""
    response = client.get("/api/v1/evaluate", query_string={"expression": "2*(3+4)^2"})
    assert response.json["result"] == "98"
    response = client.post("/api/v1/evaluate", json={"expression": "2*(3+4)^2"})
    assert response.status_code == 200
    assert response.json == {
        "operation": "evaluate",
        "expression": "2*(3+4)^2",
        "result": "98",
        "fraction": "98/1",
        "value": 98,
        "exact": True,
        "precision": 28,
    }


@pytest.mark.parametrize(
    ("expression", "precision", "result", "exact", "fraction"),
    [
        ("1/3", 5, "0.33333", False, "1/3"),
        ("0.75", 1, "0.75", True, "3/4"),
        ("2^100", 3, "1267650600228229401496703205376", True, "1267650600228229401496703205376/1"),
        ("1e-40+1", 28, "1." + "0" * 39 + "1", True, "1" + "0" * 39 + "1/1" + "0" * 40),
        ("-6/4", 28, "-1.5", True, "-3/2"),
        ("sqrt(2)", 5, "1.4142", False, None),
    ],
)
def test_exact_results_in_full_and_fractions(
    client: FlaskClient,
    expression: str,
    precision: int,
    result: str,
    exact: bool,
    fraction: str | None,
) -> None:
    """A terminating exact result comes in full whatever precision says; every rational
    result carries its reduced fraction, irrational ones none."""
    response = client.post(
        "/api/v1/evaluate", json={"expression": expression, "precision": precision}
    )
    body = response.json
    assert (body["result"], body["exact"], body.get("fraction")) == (result, exact, fraction)


@pytest.mark.parametrize(("precision", "expected"), [("5", "0.33333"), (3, "0.333")])
def test_evaluate_precision(client: FlaskClient, precision: object, expected: str) -> None:
    """precision sets the significant digits, as a string or a JSON integer."""
    response = client.post("/api/v1/evaluate", json={"expression": "1/3", "precision": precision})
    assert response.json["result"] == expected
    assert response.json["precision"] == int(str(precision))


def test_syntax_error_reports_position(client: FlaskClient) -> None:
    """A syntax error is 400 problem+json naming the position."""
    response = client.get("/api/v1/evaluate", query_string={"expression": "1 + * 2"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "syntax_error"
    assert response.json["position"] == 5


def test_plus_in_a_url_gets_a_hint(client: FlaskClient) -> None:
    """An unencoded '+' in a GET query arrives as a space; the error says so."""
    response = client.get("/api/v1/evaluate?expression=2+3")
    assert response.status_code == 400
    assert "write %2B for plus" in response.json["detail"]
    encoded = client.get("/api/v1/evaluate?expression=2%2B3")
    assert encoded.json["result"] == "5"


def test_problem_json_shape(client: FlaskClient) -> None:
    """Errors carry type, title, status, detail, code and the request id (RFC 9457)."""
    response = client.get("/api/v1/divide?a=1&b=0", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert response.json == {
        "type": "urn:k8s-calculator:problem:division_by_zero",
        "title": "Division by zero",
        "status": 422,
        "detail": "Division by zero is undefined",
        "code": "division_by_zero",
        "request_id": "abc-123",
    }


def test_operations_lists_what_the_api_serves(client: FlaskClient) -> None:
    """/operations names every operation route and the evaluator's functions."""
    body = client.get("/api/v1/operations").json
    assert [op["name"] for op in body["operations"]] == list(OPERATIONS)
    for op in body["operations"]:
        assert client.get(op["path"]).status_code == 400  # exists, wants operands
    assert {"sqrt", "ln", "sin"} <= {f["name"] for f in body["functions"]}
    assert body["constants"] == ["e", "pi"]
    assert body["precision"] == {"default": 28, "min": 1, "max": 100}


def test_info(client: FlaskClient) -> None:
    """/info tells version, commit, the answering host and when it started."""
    body = client.get("/api/v1/info").json
    assert body["version"] == __version__
    assert body["commit"] == "unknown"
    assert body["hostname"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", body["started_at"])


def test_info_reports_commit_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """CALCULATOR_GIT_COMMIT from the environment is what /info reports."""
    monkeypatch.setenv("CALCULATOR_GIT_COMMIT", "0123abc")
    client = create_app({"TESTING": True}).test_client()
    assert client.get("/api/v1/info").json["commit"] == "0123abc"


def test_health_and_readiness(client: FlaskClient) -> None:
    """/healthz and /readyz answer 200 while running."""
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ready"}


def test_readiness_fails_while_draining(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory
) -> None:
    """Once the drain marker exists, /readyz is 503 while everything else still answers."""
    marker = tmp_path / "draining"  # type: ignore[operator]
    monkeypatch.setenv("CALCULATOR_DRAIN_FILE", str(marker))
    assert client.get("/readyz").status_code == 200
    marker.touch()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json == {"status": "draining"}
    assert client.get("/healthz").status_code == 200
    assert client.get("/api/v1/add?a=1&b=1").json["result"] == "2"


@pytest.mark.parametrize("path", ["/api/v1/add?a=1&b=2", "/nope", "/healthz", "/metrics"])
def test_every_response_has_request_id_and_served_by(client: FlaskClient, path: str) -> None:
    """X-Request-ID (generated when absent) and X-Served-By are on every response."""
    response = client.get(path)
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    assert response.headers["X-Served-By"]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("3f2a9c1e-7b4d-4c2e-9a1f-0d8e6b5c4a3b", True),
        ("req.42:a_b-c", True),
        ("bad id with spaces", False),
        ("x" * 200, False),
        ("<script>", False),
    ],
)
def test_request_id_is_honoured_only_when_well_formed(
    client: FlaskClient, sent: str, kept: bool
) -> None:
    """A well-formed incoming X-Request-ID is echoed; anything else is replaced."""
    echoed = client.get("/healthz", headers={"X-Request-ID": sent}).headers["X-Request-ID"]
    assert (echoed == sent) is kept


def test_request_log_is_one_json_line(
    client: FlaskClient, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each request writes one JSON line with id, method, path, status and duration."""
    client.get("/api/v1/add?a=1&b=2", headers={"X-Request-ID": "log-test-1"})
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    entry = next(line for line in lines if line.get("request_id") == "log-test-1")
    assert entry["method"] == "GET"
    assert entry["path"] == "/api/v1/add"
    assert entry["status"] == 200
    assert entry["level"] == "info"
    assert entry["duration_ms"] >= 0


def test_metrics_content_type_has_one_charset(client: FlaskClient) -> None:
    """/metrics declares the Prometheus text format with a single charset parameter."""
    content_type = client.get("/metrics").headers["Content-Type"]
    assert content_type.startswith("text/plain; version=")
    assert content_type.count("charset") == 1


def test_unknown_methods_share_one_metrics_series(client: FlaskClient) -> None:
    """A client inventing methods cannot create a metrics series per method."""
    client.open("/api/v1/add", method="BREW")
    client.open("/api/v1/add", method="PROPFIND")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'method="BREW"' not in text
    assert 'method="PROPFIND"' not in text
    assert 'method="other",route="unmatched",status="405"' in text


def test_metrics_count_by_route_template(client: FlaskClient) -> None:
    """/metrics counts requests by route template and evaluations by outcome."""

    def sample(text: str, name: str, labels: str) -> float:
        match = re.search(rf"^{name}\{{{labels}\}} (\S+)$", text, re.MULTILINE)
        return float(match.group(1)) if match else 0.0

    before = client.get("/metrics").get_data(as_text=True)
    client.get("/api/v1/divide?a=1&b=0")
    client.get("/api/v1/divide?a=1&b=2")
    after = client.get("/metrics").get_data(as_text=True)
    labels = 'method="GET",route="/api/v1/divide",status="422"'
    assert (
        sample(after, "http_requests_total", labels)
        == sample(before, "http_requests_total", labels) + 1
    )
    outcome = 'operation="divide",outcome="division_by_zero"'
    assert (
        sample(after, "calculator_evaluations_total", outcome)
        == sample(before, "calculator_evaluations_total", outcome) + 1
    )
    assert 'route="/api/v1/divide?' not in after


def test_head_and_options_are_answered(client: FlaskClient) -> None:
    """HEAD mirrors GET without a body; OPTIONS lists the allowed methods."""
    assert client.head("/healthz").status_code == 200
    response = client.options("/api/v1/add")
    allow = response.headers["Allow"]
    assert {"GET", "POST"} <= set(allow.replace(" ", "").split(","))
    assert response.mimetype == "application/json"
    assert {"GET", "POST", "OPTIONS"} <= set(response.json["allow"])


def test_method_not_allowed_lists_allowed_methods(client: FlaskClient) -> None:
    """405 is problem+json with an Allow header."""
    response = client.delete("/api/v1/add")
    assert response.status_code == 405
    assert response.json["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]
