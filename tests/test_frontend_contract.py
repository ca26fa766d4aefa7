"""Contracts between the frontend's files and the rest of the system (no servers)."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser

import generate
import serve
from servers import FRONTEND_DIR, require_executable

TEMPLATE = (FRONTEND_DIR / "nginx" / "default.conf.template").read_text(encoding="utf-8")
ASSETS = FRONTEND_DIR / "assets"


def _directive(name: str, block: str = TEMPLATE) -> str:
    match = re.search(rf"^\s*{name}\s+([^;]+);", block, re.M)
    assert match, f"{name} not found"
    return match.group(1).strip()


def _seconds(value: str) -> int:
    match = re.fullmatch(r"(\d+)(s|m)?", value)
    assert match, value
    return int(match.group(1)) * (60 if match.group(2) == "m" else 1)


def test_nginx_include_is_generated_from_the_backend() -> None:
    """The nginx include on disk is what `make generate` writes from calculator's limits and
    problem table today (run `make generate` after changing them)."""
    assert generate.NGINX_INCLUDE.read_text(encoding="utf-8") == generate.nginx_include()


def test_renderer_matches_gnu_envsubst() -> None:
    """The renderer of `make run` and the tests gives byte-for-byte what the image's
    entrypoint gives (GNU envsubst with the app's variables), also when the environment
    holds names that collide with nginx's variables."""
    envsubst = require_executable("envsubst")
    app = {**serve.nginx_defaults(), "CALCULATOR_BACKEND_HOST": "10.0.0.7"}
    env = {**app, "HOSTNAME": "frontend-abc", "host": "evil", "PATH": "/usr/bin:/bin"}
    shell_format = " ".join(f"${{{name}}}" for name in app)
    for template in (FRONTEND_DIR / "nginx").glob("*.template"):
        text = template.read_text(encoding="utf-8")
        expected = subprocess.run(
            [envsubst, shell_format],
            input=text,
            capture_output=True,
            text=True,
            env=env,
            check=True,
            timeout=10,
        ).stdout
        assert serve.render(text, env) == expected, template.name
    rendered = serve.render(TEMPLATE, env)
    assert "http://10.0.0.7:5000" in rendered
    assert "$host" in rendered
    assert "${CALCULATOR_" not in rendered


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
