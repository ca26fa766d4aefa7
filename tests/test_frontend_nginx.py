"""nginx with the real site template in front of real gunicorn, probed over HTTP."""

from __future__ import annotations

import gzip
import json
import re
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from nginx_server import nginx_binary, run_nginx

import serve
from calculator.limits import MAX_BODY_BYTES
from calculator.problems import TYPE_PREFIX
from calculator.requestlog import REQUEST_ID_RE
from servers import FRONTEND_DIR, Server, free_port

pytestmark = pytest.mark.integration

SECURITY_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "X-Frame-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Cross-Origin-Opener-Policy",
    "X-Request-ID",
)


def raw_header_values(response: requests.Response, name: str) -> list[str]:
    """Every value of a header as sent, repeated headers not merged."""
    return response.raw.headers.getlist(name)


def assert_problem(response: requests.Response, status: int, code: str) -> dict[str, object]:
    """The response is an RFC 9457 problem with this status and code, and names its id."""
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == TYPE_PREFIX + code
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"]
    assert body["detail"]
    assert body["request_id"] == response.headers["X-Request-ID"]
    return body


@pytest.fixture(scope="module")
def dead_backend_nginx() -> Iterator[Server]:
    """nginx whose backend port has nothing listening."""
    with run_nginx(free_port()) as server:
        yield server


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/", 200),
        ("/index.html", 200),
        ("/assets/app.css", 200),
        ("/assets/js/app.js", 200),
        ("/healthz", 200),
        ("/api/v1/info", 200),
        ("/api/v1/evaluate?expression=1/0", 422),
        ("/api/v1/nowhere", 404),
        ("/nowhere", 404),
    ],
)
def test_security_headers_once_on_every_response(
    nginx_server: Server, path: str, status: int
) -> None:
    """Static files, nginx's own answers and proxied API answers (errors too) carry each
    security header exactly once, a CSP without unsafe-inline that forbids framing, and
    a Server header without a version."""
    response = requests.get(nginx_server.url + path, timeout=5)
    assert response.status_code == status
    for name in SECURITY_HEADERS:
        assert len(raw_header_values(response, name)) == 1, name
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "default-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers["Server"] == "nginx"


def test_api_responses_come_from_the_backend(nginx_server: Server) -> None:
    """/api/ reaches gunicorn: the backend's X-Served-By comes through, and a POST with a
    JSON body is answered exactly."""
    response = requests.post(
        nginx_server.url + "/api/v1/evaluate", json={"expression": "0.1+0.2"}, timeout=5
    )
    assert response.status_code == 200
    assert response.json()["result"] == "0.3"
    assert response.headers["X-Served-By"] == socket.gethostname()


def test_index_is_revalidated_and_assets_are_cached(nginx_server: Server) -> None:
    """index.html is never used from cache without asking; assets are cacheable for an
    hour; API answers get no caching from nginx."""
    for path in ("/", "/index.html"):
        assert requests.get(nginx_server.url + path, timeout=5).headers["Cache-Control"] == (
            "no-cache"
        )
    for path in ("/assets/app.css", "/assets/js/app.js", "/assets/favicon.svg"):
        response = requests.get(nginx_server.url + path, timeout=5)
        assert response.headers["Cache-Control"] == "max-age=3600"
        assert response.headers["ETag"]
    api = requests.get(nginx_server.url + "/api/v1/info", timeout=5)
    assert "max-age" not in api.headers.get("Cache-Control", "")


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/", "text/html"),
        ("/assets/app.css", "text/css"),
        ("/assets/js/app.js", "javascript"),
        ("/assets/favicon.svg", "image/svg+xml"),
        ("/api/v1/openapi.json", "application/json"),
    ],
)
def test_gzip(nginx_server: Server, path: str, content_type: str) -> None:
    """Text answers, proxied JSON included, are gzipped for clients that accept it (with
    Vary), and decompress to exactly what an uncompressed request gets."""
    plain = requests.get(nginx_server.url + path, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert content_type in plain.headers["Content-Type"]
    response = requests.get(
        nginx_server.url + path, headers={"Accept-Encoding": "gzip"}, stream=True, timeout=5
    )
    compressed = response.raw.read(decode_content=False)
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert gzip.decompress(compressed) == plain.content
    ratio = len(compressed) / len(plain.content)
    print(f"{path}: {len(plain.content)} -> {len(compressed)} bytes gzipped ({ratio:.0%})")
    assert ratio < 0.6


def test_healthz_is_answered_by_nginx(dead_backend_nginx: Server) -> None:
    """/healthz is nginx's own: 200 JSON even with no backend at all, and not logged."""
    response = requests.get(dead_backend_nginx.url + "/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert '"/healthz"' not in dead_backend_nginx.log()


def test_backend_down_is_problem_json_502(dead_backend_nginx: Server) -> None:
    """With nothing listening at the backend address, /api/ answers a problem+json 502
    (never nginx's HTML page) within a second, with the security headers; static files
    still work."""
    response = requests.post(
        dead_backend_nginx.url + "/api/v1/evaluate", json={"expression": "1"}, timeout=1
    )
    assert_problem(response, 502, "backend_unavailable")
    assert response.headers["Content-Security-Policy"]
    assert requests.get(dead_backend_nginx.url + "/", timeout=5).status_code == 200


def test_slow_backend_is_problem_json_504() -> None:
    """A backend that accepts the connection but never answers gets a problem+json 504
    after CALCULATOR_PROXY_READ_TIMEOUT (1 s here): nginx waits that long (a client giving up after
    half of it has no answer yet), then answers within a few seconds."""
    with socket.socket() as black_hole:
        black_hole.bind(("127.0.0.1", 0))
        black_hole.listen(8)  # the kernel completes handshakes; nobody ever reads
        port = black_hole.getsockname()[1]
        with run_nginx(port, CALCULATOR_PROXY_READ_TIMEOUT="1s") as nginx:
            with pytest.raises(requests.ReadTimeout):
                requests.get(nginx.url + "/api/v1/info", timeout=0.5)
            response = requests.get(nginx.url + "/api/v1/info", timeout=5)
    assert_problem(response, 504, "backend_timeout")


def test_rate_limit_answers_429_problem_json(gunicorn_server: Server) -> None:
    """Past the per-client rate and burst, /api/ answers 429 problem+json with
    Retry-After; the UI and /healthz are not limited."""
    limits = {"CALCULATOR_RATE_LIMIT_RPS": "1", "CALCULATOR_RATE_LIMIT_BURST": "2"}
    with run_nginx(gunicorn_server.port, **limits) as nginx, requests.Session() as session:
        statuses = [
            session.get(nginx.url + "/api/v1/info", timeout=5).status_code for _ in range(8)
        ]
        limited = session.get(nginx.url + "/api/v1/info", timeout=5)
        static = [session.get(nginx.url + "/", timeout=5).status_code for _ in range(8)]
        health = [session.get(nginx.url + "/healthz", timeout=5).status_code for _ in range(8)]
    assert statuses[:3] == [200, 200, 200]  # one per second plus a burst of two
    assert 429 in statuses
    assert_problem(limited, 429, "rate_limited")
    assert limited.headers["Retry-After"] == "1"
    assert limited.headers["Content-Security-Policy"]
    assert set(static) == {200}
    assert set(health) == {200}


def test_default_rate_limit_is_generous(nginx_server: Server) -> None:
    """With the default settings, 30 requests at once from one client all succeed."""
    with requests.Session() as session:
        statuses = {
            session.get(nginx_server.url + "/api/v1/info", timeout=5).status_code for _ in range(30)
        }
    assert statuses == {200}


def _json_log_entries(server: Server, request_id: str) -> list[dict[str, object]]:
    entries = []
    for line in server.log().splitlines():
        if request_id in line:
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return entries


def _wait_for_log(server: Server, request_id: str) -> list[dict[str, object]]:
    """The JSON log lines naming request_id, once there are any (within 3 s)."""
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        entries = _json_log_entries(server, request_id)
        if entries:
            return entries
        time.sleep(0.05)
    return []


@pytest.mark.parametrize("sent", ["trace-" + uuid.uuid4().hex, None, "bad id with spaces"])
def test_request_id_passes_through(
    gunicorn_server: Server, nginx_server: Server, sent: str | None
) -> None:
    """The id in nginx's response is the one in the backend's JSON log line and in nginx's
    access log: a well-formed client id is kept, otherwise nginx makes one (32 hex)."""
    headers = {"X-Request-ID": sent} if sent else {}
    response = requests.get(
        nginx_server.url + "/api/v1/evaluate?expression=1/0", headers=headers, timeout=5
    )
    request_id = response.headers["X-Request-ID"]
    if sent == "bad id with spaces" or sent is None:
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    else:
        assert request_id == sent
    assert response.json()["request_id"] == request_id
    entries = _wait_for_log(gunicorn_server, request_id)
    assert [entry["request_id"] for entry in entries] == [request_id]
    assert entries[0]["path"] == "/api/v1/evaluate"
    access = _wait_for_log(nginx_server, request_id)  # nginx logs after it has answered
    assert [(entry["request_id"], entry["status"]) for entry in access] == [(request_id, 422)]


# Ids at the edges of what the backend keeps (calculator.requestlog.REQUEST_ID_RE).
EDGE_IDS = ["a", "Z9._:-", "x" * 128, "x" * 129, ".lead", "-lead", "sp ace", "é", "a/b", "a;b"]


@pytest.mark.parametrize("sent", EDGE_IDS)
def test_nginx_keeps_exactly_the_ids_the_backend_keeps(
    gunicorn_server: Server, nginx_server: Server, sent: str
) -> None:
    """nginx passes a client's id on exactly when the backend would keep it (judged by the
    backend's own pattern), so both log the same id; otherwise it makes one of its own."""
    kept_by_backend = REQUEST_ID_RE.fullmatch(sent) is not None
    direct = requests.get(
        gunicorn_server.url + "/healthz", headers={"X-Request-ID": sent.encode()}, timeout=5
    )
    assert (direct.headers["X-Request-ID"] == sent) is kept_by_backend
    through = requests.get(
        nginx_server.url + "/api/v1/info", headers={"X-Request-ID": sent.encode()}, timeout=5
    )
    assert (through.headers["X-Request-ID"] == sent) is kept_by_backend


def test_access_log_is_json_and_error_log_is_plain(gunicorn_server: Server) -> None:
    """What docs/operations.md says about nginx's logs: one JSON object per request on stdout (the
    access log), and nginx's own plain-text lines ("2025/01/31 12:00:00 [warn] ...") on
    stderr (the error log), e.g. for a rate-limited request."""
    limits = {"CALCULATOR_RATE_LIMIT_RPS": "1", "CALCULATOR_RATE_LIMIT_BURST": "1"}
    with run_nginx(gunicorn_server.port, **limits) as nginx:
        statuses = [requests.get(nginx.url + "/api/v1/info", timeout=5).status_code for _ in "abc"]
        requests.get(nginx.url + "/nowhere", timeout=5)
        deadline = time.monotonic() + 5
        while nginx.log().count('"status":') < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        lines = nginx.log().splitlines()
    assert statuses == [200, 200, 429]
    access = [json.loads(line) for line in lines if line.startswith("{")]
    assert [entry["status"] for entry in access] == [200, 200, 429, 404]
    errors = [line for line in lines if not line.startswith("{")]
    plain = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] ")
    assert all(plain.match(line) for line in errors), errors
    assert any("limiting requests" in line for line in errors)


def test_body_limit_matches_the_backend(nginx_server: Server) -> None:
    """A body of the backend's limit reaches the backend (which judges it); one byte more is
    refused by nginx with a problem+json 413."""
    limit = MAX_BODY_BYTES
    prefix, suffix = b'{"expression": "1', b'"}'
    fits = prefix + b" " * (limit - len(prefix) - len(suffix)) + suffix
    headers = {"Content-Type": "application/json"}
    answered = requests.post(
        nginx_server.url + "/api/v1/evaluate", data=fits, headers=headers, timeout=5
    )
    assert answered.status_code != 413
    assert "X-Served-By" in answered.headers
    refused = requests.post(
        nginx_server.url + "/api/v1/evaluate", data=fits + b" ", headers=headers, timeout=5
    )
    assert_problem(refused, 413, "payload_too_large")
    assert "X-Served-By" not in refused.headers


@pytest.mark.parametrize(
    "path",
    [
        "/run_local.py",
        "/nginx/default.conf.template",
        "/.git/config",
        "/assets/../run_local.py",
        "/assets/",
        "/assets/js/",
        "/assets/nowhere.js",
        "/nowhere.css",
        "/favicon.ico",
    ],
)
def test_only_the_ui_is_served(nginx_server: Server, path: str) -> None:
    """Nothing but index.html and the files in assets/ is served from the static root:
    anything else, directories and names with a file extension included, is a 404
    problem+json (not an HTML 403, nor JSON labelled as the extension's type)."""
    response = requests.get(nginx_server.url + path, timeout=5)
    assert_problem(response, 404, "not_found")


def _raw_exchange(port: int, request: bytes) -> requests.Response:
    """Send bytes as they are (malformed requests included) and parse nginx's answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    response = requests.Response()
    response.status_code = int(status_line.split()[1])
    for line in header_lines:
        name, _, value = line.partition(":")
        response.headers[name.strip()] = value.strip()
    response._content = body
    return response


def _request(line: str, *headers: str, body: str = "") -> bytes:
    lines = [line, "Host: calculator", *headers, "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("latin-1")


# Requests nginx refuses itself, with the status and code it must answer.
_GET_CSS = "GET /assets/app.css HTTP/1.1"
NGINX_ERRORS = {
    "POST /": (_request("POST / HTTP/1.1", "Content-Length: 0"), 405, "method_not_allowed"),
    "PUT asset": (_request("PUT /assets/app.css HTTP/1.1"), 405, "method_not_allowed"),
    "TRACE": (_request("TRACE / HTTP/1.1"), 405, "method_not_allowed"),
    "garbage": (b"NONSENSE\r\n\r\n", 400, "bad_request"),
    "dot-dot": (_request("GET /../etc/passwd HTTP/1.1"), 400, "bad_request"),
    "HTTP/2.0": (_request("GET / HTTP/2.0"), 505, "http_version_not_supported"),
    "long URI": (_request(f"GET /{'a' * 10_000} HTTP/1.1"), 414, "uri_too_long"),
    "big header": (_request("GET / HTTP/1.1", f"X-Big: {'a' * 10_000}"), 431, "headers_too_large"),
    "br body": (_request("POST /api/ HTTP/1.1", "Transfer-Encoding: br"), 501, "not_implemented"),
    "bad range": (_request(_GET_CSS, "Range: bytes=999999-"), 416, "range_not_satisfiable"),
    "If-Match": (_request(_GET_CSS, 'If-Match: "x"'), 412, "precondition_failed"),
}  # fmt: skip


@pytest.mark.parametrize(
    ("request_bytes", "status", "code"), NGINX_ERRORS.values(), ids=NGINX_ERRORS.keys()
)
def test_nginx_errors_are_problem_json(
    nginx_server: Server, request_bytes: bytes, status: int, code: str
) -> None:
    """Every error nginx makes itself, even for requests it cannot parse, is problem+json
    with the backend's type prefix and codes and the security headers; never nginx's HTML
    page."""
    response = _raw_exchange(nginx_server.port, request_bytes)
    assert_problem(response, status, code)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_static_405_names_the_allowed_methods(nginx_server: Server) -> None:
    """nginx's own 405 for the UI's files says which methods are allowed there."""
    response = requests.post(nginx_server.url + "/", data=b"", timeout=5)
    body = assert_problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, HEAD"
    assert body["detail"] == "This method is not allowed at this address."


def test_backend_errors_pass_through(nginx_server: Server) -> None:
    """The backend's own errors reach the client as the backend wrote them (nginx's
    error pages are only for errors nginx makes), with the backend's Allow header."""
    missing = requests.get(nginx_server.url + "/api/v1/nowhere", timeout=5)
    assert "openapi.json" in str(assert_problem(missing, 404, "not_found")["detail"])
    assert missing.headers["X-Served-By"]
    wrong_method = requests.delete(nginx_server.url + "/api/v1/info", timeout=5)
    body = assert_problem(wrong_method, 405, "method_not_allowed")
    assert body["detail"] == "DELETE is not allowed on /api/v1/info"
    [allow] = raw_header_values(wrong_method, "Allow")
    assert sorted(allow.split(", ")) == ["GET", "HEAD", "OPTIONS"]


def test_nginx_accepts_the_rendered_config(tmp_path: Path) -> None:
    """`nginx -t` accepts the image's defaults rendered into the stand-in main config."""
    nginx = nginx_binary()
    env = {
        "CALCULATOR_STATIC_ROOT": str(FRONTEND_DIR),
        "CALCULATOR_LISTEN_ADDRESS": f"127.0.0.1:{free_port()}",
        # backend-svc resolves only inside the cluster
        "CALCULATOR_BACKEND_HOST": "127.0.0.1",
    }
    argv = serve.write_nginx_config(tmp_path, env, nginx)
    result = subprocess.run([*argv, "-t"], check=False, capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr
