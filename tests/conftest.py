"""Fixtures for the cross-component tests: real servers on loopback, headless Chromium.

Servers shared by a whole session are read-only for tests (no test stops them); a test
that needs to stop or reconfigure a server starts its own with servers.run_gunicorn()
or nginx_server.run_nginx().
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from nginx_server import run_nginx

from servers import ROOT, Server, require_executable, run_gunicorn

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

ARTIFACTS_DIR = ROOT / "artifacts"
SCREENSHOTS_DIR = ARTIFACTS_DIR / "screenshots"

# Debian's Chromium, without Playwright's own browser download. The flags keep it from
# phoning home (the network is closed on CI machines) and let it run as root.
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Records every securitypolicyviolation event, on every document the page loads.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} in ${event.sourceFile}`
  );
});
"""


@pytest.fixture(scope="session")
def gunicorn_server() -> Iterator[Server]:
    """The production gunicorn command on a free loopback port, for the whole session."""
    with run_gunicorn() as server:
        yield server


@pytest.fixture(scope="session")
def nginx_server(gunicorn_server: Server) -> Iterator[Server]:
    """nginx with the real site template in front of gunicorn_server."""
    with run_nginx(gunicorn_server.port) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium driven by Playwright (skips locally if missing; CI fails)."""
    executable = require_executable(*CHROMIUM_CANDIDATES)
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only browser tests pay

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@dataclass
class WatchedPage:
    """A page plus everything it reported that a finished product must not."""

    page: Page
    context: BrowserContext
    console_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def problems(self, allow_api_status_errors: bool = False) -> list[str]:
        """Console errors, uncaught exceptions and CSP violations seen so far.

        With allow_api_status_errors, Chromium's own "Failed to load resource: ... status
        of 4xx/5xx" lines for /api/ requests are not counted: those are answers the page
        handles (e.g. 422 for 1/0), logged by the browser itself.
        """
        errors = self.console_errors
        if allow_api_status_errors:
            errors = [line for line in errors if not _is_api_status_line(line)]
        return [*errors, *self.page_errors, *(f"CSP: {v}" for v in self.csp_violations)]


def _is_api_status_line(line: str) -> bool:
    return "Failed to load resource: the server responded with a status of" in line and (
        "/api/" in line
    )


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., WatchedPage]]:
    """Factory: a fresh browser context and page with console and CSP listeners."""
    opened: list[WatchedPage] = []

    def factory(
        width: int = 1280, height: int = 800, color_scheme: Any = "light", **options: Any
    ) -> WatchedPage:
        context = browser.new_context(
            viewport={"width": width, "height": height}, color_scheme=color_scheme, **options
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        watched = WatchedPage(page, context)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error":
                watched.console_errors.append(f"{message.text} ({message.location.get('url')})")

        page.on("console", on_console)
        page.on("pageerror", lambda error: watched.page_errors.append(str(error)))

        def on_csp_violation(description: str) -> None:
            watched.csp_violations.append(description)

        page.expose_function("__reportCspViolation", on_csp_violation)
        page.add_init_script(_CSP_LISTENER)
        opened.append(watched)
        return watched

    yield factory
    for watched in opened:
        watched.context.close()
