"""Contracts between the frontend's files and the rest of the system (no servers)."""

from __future__ import annotations

import json
import re
import runpy
import subprocess
from collections.abc import Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from nginx_server import run_local

from calculator import limits
from calculator.errors import HTTP_CODES, TYPE_PREFIX
from calculator.requestlog import REQUEST_ID_RE
from servers import BACKEND_DIR, FRONTEND_DIR, GUNICORN_ARGV, require_executable

TEMPLATE = run_local.template_text()
ASSETS = FRONTEND_DIR / "assets"


def _directive(name: str, block: str = TEMPLATE) -> str:
    match = re.search(rf"^\s*{name}\s+([^;]+);", block, re.M)
    assert match, f"{name} not found"
    return match.group(1).strip()


def _upstream_block() -> str:
    match = re.search(r"upstream calculator_backend \{(.*?)\n\}", TEMPLATE, re.S)
    assert match
    return match.group(1)


def _seconds(value: str) -> int:
    match = re.fullmatch(r"(\d+)(s|m)?", value)
    assert match, value
    return int(match.group(1)) * (60 if match.group(2) == "m" else 1)


def test_nginx_gives_up_idle_upstream_connections_before_gunicorn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """nginx's upstream keepalive_timeout is shorter than gunicorn's keepalive, so nginx
    never reuses a connection gunicorn is closing (which would be a 502)."""
    monkeypatch.delenv("CALCULATOR_KEEPALIVE", raising=False)
    gunicorn = runpy.run_path(str(BACKEND_DIR / "gunicorn.conf.py"))
    nginx_timeout = _seconds(_directive("keepalive_timeout", _upstream_block()))
    assert 0 < nginx_timeout < gunicorn["keepalive"]
    assert nginx_timeout == 60
    assert gunicorn["keepalive"] == 75
    assert gunicorn["worker_class"] != "sync"  # the sync worker closes every connection


def _gunicorn_config() -> dict[str, Any]:
    """backend/gunicorn.conf.py's globals (loading it has no side effects)."""
    return runpy.run_path(str(BACKEND_DIR / "gunicorn.conf.py"))


# The fields of every problem document (docs/api.md, calculator.errors.problem).
PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "request_id"}


def _nginx_problems(template: str) -> dict[str, tuple[int, dict[str, Any]]]:
    """The site's error documents: location path -> (status returned, document)."""
    return {
        path: (int(status), json.loads(body))
        for path, status, body in re.findall(
            r"location = (/_problem/\w+) \{[^}]*?return (\d{3}) '(\{.*?\})\\n';", template, re.S
        )
    }


def _problem_mismatches(
    template: str, prefix: str, codes_by_status: Mapping[int, str]
) -> list[str]:
    """Where nginx's error documents disagree with the backend's problem format."""
    documents = _nginx_problems(template)
    mismatches = []
    types = re.findall(r'"type":\s*"([^"]*)"', template)
    if len(types) != len(documents):
        mismatches.append(f"{len(types)} type fields but {len(documents)} error documents")
    for value in types:
        if not value.startswith(prefix):
            mismatches.append(f"type {value} does not start with {prefix}")
    for path, (returned, doc) in documents.items():
        code, status = doc.get("code"), doc.get("status")
        if set(doc) != PROBLEM_FIELDS:
            mismatches.append(f"{path}: fields {sorted(doc)}")
        if doc.get("type") != f"{prefix}{code}" or path != f"/_problem/{code}":
            mismatches.append(f"{path}: type {doc.get('type')} for code {code}")
        if status != returned:
            mismatches.append(f"{path}: body status {status}, response {returned}")
        if doc.get("request_id") != "$calculator_request_id":
            mismatches.append(f"{path}: request_id {doc.get('request_id')}")
        backend_code = codes_by_status.get(returned)
        if backend_code is not None and backend_code != code:
            mismatches.append(f"{path}: {returned} is {code}, the backend says {backend_code}")
    targets = set(re.findall(r"^\s*error_page [\d ]+ = (\S+);", template, re.M))
    if targets != set(documents):
        mismatches.append(f"error_page targets {sorted(targets)} != documents {sorted(documents)}")
    return mismatches


def _backend_codes(gunicorn: Mapping[str, Any]) -> dict[int, str]:
    """Status -> code for every status the Flask app or gunicorn answers with a fixed code."""
    codes = dict(HTTP_CODES)
    for status, code in gunicorn["_PROTOCOL_ERROR_CODES"].items():
        assert codes.setdefault(status, code) == code, f"app and gunicorn differ on {status}"
    return codes


def test_problem_types_and_codes_are_the_backends() -> None:
    """One problem format everywhere: gunicorn's own errors and every error document in the
        nginx template use calculator.errors.TYPE_PREFIX, the backend's fields, and for a
        status the backend also answers (404 not_found, 405 method_not_allowed, 413
        payload_too_large, 431 headers_too_large, ...) the backend's code; every error_page
        points at one of these documents. The make-run fallback server uses the same prefix
    and codes."""
    gunicorn = _gunicorn_config()
    assert gunicorn["PROBLEM_TYPE_PREFIX"] == TYPE_PREFIX
    assert run_local.PROBLEM_TYPE_PREFIX == TYPE_PREFIX
    codes = _backend_codes(gunicorn)
    assert _problem_mismatches(TEMPLATE, TYPE_PREFIX, codes) == []
    nginx_codes = {status: doc["code"] for status, doc in _nginx_problems(TEMPLATE).values()}
    for status, code in run_local.FALLBACK_ERROR_CODES.items():
        assert code == codes.get(status, code) == nginx_codes.get(status, code), status
    statuses = {status for status, _ in _nginx_problems(TEMPLATE).values()}
    assert {400, 403, 404, 405, 413, 414, 429, 431, 500, 501, 502, 504} <= statuses


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"type":"urn:k8s-calculator:problem:not_found"', '"type":"urn:other:not_found"'),
        ('"code":"method_not_allowed"', '"code":"not_allowed"'),
        ("error_page 404 = /_problem/not_found;", "error_page 404 = /_problem/missing;"),
        ('"status":413', '"status":400'),
    ],
)
def test_problem_contract_check_catches_drift(old: str, new: str) -> None:
    """The check above fails when one side drifts (so its passing means something)."""
    assert old in TEMPLATE
    drifted = TEMPLATE.replace(old, new, 1)
    codes = _backend_codes(_gunicorn_config())
    assert _problem_mismatches(drifted, TYPE_PREFIX, codes) != []


def test_body_limit_matches_the_backend() -> None:
    """client_max_body_size equals the backend's MAX_BODY_BYTES, and nginx's own 413
    says the same number."""
    size = _directive("client_max_body_size")
    assert size.endswith("k")
    assert int(size[:-1]) * 1024 == limits.MAX_BODY_BYTES
    assert f"larger than {limits.MAX_BODY_BYTES} bytes" in TEMPLATE


def test_request_id_pattern_is_the_backends() -> None:
    """nginx forwards exactly the ids the backend keeps, so both log the same id."""
    match = re.search(r'"~\^(.*)\$"\s+\$http_x_request_id;', TEMPLATE)
    assert match
    assert match.group(1) == REQUEST_ID_RE.pattern


def test_template_variables_are_documented_with_defaults() -> None:
    """Every ${VAR} in the template has a NAME=default line in its header, and the
    defaults are the documented deployment (backend-svc:5000, port 8080)."""
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", TEMPLATE))
    defaults = run_local.template_defaults()
    assert used == set(defaults)
    assert defaults["CALCULATOR_BACKEND_HOST"] == "backend-svc"
    assert defaults["CALCULATOR_BACKEND_PORT"] == "5000"
    assert defaults["CALCULATOR_LISTEN_ADDRESS"] == "8080"
    assert defaults["CALCULATOR_STATIC_ROOT"] == "/usr/share/nginx/html"
    assert int(defaults["CALCULATOR_RATE_LIMIT_RPS"]) >= 10
    assert int(defaults["CALCULATOR_RATE_LIMIT_BURST"]) >= int(
        defaults["CALCULATOR_RATE_LIMIT_RPS"]
    )


def test_renderer_matches_gnu_envsubst() -> None:
    """The Python renderer used by `make run` and the tests gives byte-for-byte what the
    image's entrypoint gives (`envsubst "$defined_envs"`), including for environment
    names that collide with nginx variables."""
    envsubst = require_executable("envsubst")
    env = {
        **run_local.template_defaults(),
        "CALCULATOR_BACKEND_HOST": "10.0.0.7",
        "HOSTNAME": "frontend-abc",
        "PATH": "/usr/bin:/bin",
    }
    shell_format = " ".join(f"${{{name}}}" for name in env)
    expected = subprocess.run(
        [envsubst, shell_format],
        input=TEMPLATE,
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=10,
    ).stdout
    assert run_local.envsubst(TEMPLATE, env) == expected
    assert "$calculator_request_id" in expected
    assert "server 10.0.0.7:5000;" in expected


def test_renderer_leaves_undefined_and_filtered_names() -> None:
    """Only defined names are replaced, $NAME and ${NAME} alike; NGINX_ENVSUBST_FILTER
    narrows them as in the image; render_site refuses a template variable left unset."""
    text = "a ${SET} $SET ${UNSET} $host ${SETX} $SETX"
    assert run_local.envsubst(text, {"SET": "1"}) == "a 1 1 ${UNSET} $host ${SETX} $SETX"
    assert run_local.envsubst(text, {"SET": "1"}, "^OTHER") == text
    defaults = run_local.template_defaults()
    without_port = {k: v for k, v in defaults.items() if k != "CALCULATOR_BACKEND_PORT"}
    with pytest.raises(ValueError, match="CALCULATOR_BACKEND_PORT"):
        run_local.render_site(without_port)


class _PageScan(HTMLParser):
    """Collects what CSP would block or what would load from elsewhere."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.local_refs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script" and not names.get("src"):
            self.problems.append("inline <script>")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"{name}= attribute on <{tag}>")
            if name in ("src", "href") and value:
                if re.match(r"^[a-z]+:|^//", value):
                    self.problems.append(f"external {name}={value}")
                elif value.startswith("/assets/"):
                    self.local_refs.append(value)


def test_page_has_nothing_csp_blocks_and_no_cdn() -> None:
    """index.html has no inline script, style or event handler attributes, loads only
    local files that exist, and no asset refers to another origin."""
    scan = _PageScan()
    scan.feed((FRONTEND_DIR / "index.html").read_text(encoding="utf-8"))
    assert scan.problems == []
    assert scan.local_refs
    for ref in scan.local_refs:
        assert (FRONTEND_DIR / ref.lstrip("/")).is_file(), ref
    for path in ASSETS.rglob("*"):
        if path.suffix in (".js", ".css"):
            text = path.read_text(encoding="utf-8")
            assert not re.search(r"https?://", text), path
            assert "innerHTML" not in text, path
            assert 'setAttribute("style"' not in text, path


def test_module_imports_resolve() -> None:
    """Every ES module import in assets/js names a file that exists."""
    for path in (ASSETS / "js").glob("*.js"):
        for target in re.findall(r'from\s+"(\./[^"]+)"', path.read_text(encoding="utf-8")):
            assert (path.parent / target).is_file(), f"{path.name} imports {target}"


def test_make_run_starts_the_production_gunicorn_command() -> None:
    """run_local.py runs the same gunicorn command as the tests and the image."""
    assert run_local.GUNICORN_ARGV == GUNICORN_ARGV
    assert Path(run_local.BACKEND_DIR) == BACKEND_DIR
