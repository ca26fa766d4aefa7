"""Smoke checks of a deployed calculator, through the UI's address (nginx in front of the API).

  smoke.py http URL                     HTTP only (standard library): the page, its CSP,
                                        nginx's /healthz and one exact sum through /api/
  smoke.py browser URL [--artifacts D] [--browser PATH]
                                        the same sum typed into the page in headless Chromium
                                        (or Chrome); a screenshot goes to D either way

Exits non-zero with the reason on the first failed check. Each request is bounded by a timeout
and the whole check by a fixed number of attempts, so a dead address fails instead of hanging.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError

TIMEOUT = 10  # seconds per request
ATTEMPTS = 30  # readiness of a fresh Service: up to ~1 minute
OPERANDS = ("0.1", "0.2")  # the sum a binary float gets wrong
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
BROWSER_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


def fail(message: str) -> None:
    """Stop with a message naming the failed check."""
    raise SystemExit(f"smoke: FAILED: {message}")


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body of one GET; status 0 if unreachable."""
    request = urllib.request.Request(url, headers={"Accept": "*/*"})  # noqa: S310 - http(s) only
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            status, headers, body = response.status, response.headers, response.read()
    except HTTPError as error:
        status, headers, body = error.code, error.headers, b""
    except (URLError, OSError):
        return 0, {}, b""
    return status, {name.lower(): value for name, value in headers.items()}, body


def wait_until_up(base: str) -> None:
    """Retry the UI's /healthz until it answers 200, within ATTEMPTS tries."""
    for _ in range(ATTEMPTS):
        status, _, _ = get(f"{base}/healthz")
        if status == 200:
            return
        time.sleep(2)
    fail(f"{base}/healthz never answered 200")


def expected_sum() -> str:
    """The exact decimal sum of OPERANDS, computed here rather than typed."""
    return str(sum((Decimal(x) for x in OPERANDS), Decimal(0)))


def check_http(base: str) -> None:
    """The page with a CSP, nginx's health, and an exact sum through the API proxy."""
    wait_until_up(base)
    status, headers, body = get(f"{base}/")
    if status != 200 or b"<html" not in body.lower():
        fail(f"GET / answered {status}, not the page")
    if "content-security-policy" not in headers:
        fail("GET / carries no Content-Security-Policy header")
    a, b = OPERANDS
    status, headers, body = get(f"{base}/api/v1/add?a={a}&b={b}")
    if status != 200:
        fail(f"GET /api/v1/add answered {status}")
    answer: dict[str, Any] = json.loads(body)
    if answer.get("result") != expected_sum():
        fail(f"{a}+{b} gave {answer.get('result')!r}, expected {expected_sum()}")
    if not headers.get("x-served-by"):
        fail("the API answer names no instance (X-Served-By)")
    print(f"smoke: http OK at {base} ({a}+{b}={answer['result']}, by {headers['x-served-by']})")


def check_browser(base: str, artifacts: Path, executable: str | None) -> None:
    """Type the sum into the page, press Enter, read the exact answer; screenshot either way."""
    from playwright.sync_api import expect, sync_playwright  # noqa: PLC0415 - optional

    if executable is None:
        executable = next((found for name in BROWSERS if (found := shutil.which(name))), None)
    if executable is None:
        fail(f"no browser found (looked for {', '.join(BROWSERS)})")
    wait_until_up(base)
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
        page = browser.new_page()
        try:
            page.goto(f"{base}/", timeout=TIMEOUT * 1000)
            expect(page.locator("#status")).to_have_attribute("data-state", "online")
            field = page.locator("#expression")
            field.fill("+".join(OPERANDS))
            field.press("Enter")
            expect(page.locator("#result")).to_have_text(expected_sum())
        finally:
            page.screenshot(path=str(artifacts / "smoke-browser.png"), full_page=True)
            browser.close()
    print(f"smoke: browser OK at {base}")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen smoke check against URL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("http", "browser"))
    parser.add_argument("url", help="the UI's base address, e.g. http://127.0.0.1:NODEPORT")
    parser.add_argument("--artifacts", type=Path, default=Path("artifacts/smoke"))
    parser.add_argument("--browser", help="Chromium or Chrome executable (default: on PATH)")
    args = parser.parse_args(argv)
    base = args.url.rstrip("/")
    if not base.startswith(("http://", "https://")):
        parser.error("URL must start with http:// or https://")
    if args.mode == "http":
        check_http(base)
    else:
        check_browser(base, args.artifacts, args.browser)
    return 0


if __name__ == "__main__":
    sys.exit(main())
