"""The UI audited as a whole: axe-core (pinned in package-lock.json, installed by
`npm ci`) in every colour scheme, size and state, and screenshots for people to judge."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import SCREENSHOTS_DIR
from playwright.sync_api import Page, expect
from ui_support import OpenPage, calculate, load

from servers import IN_CI, ROOT, Server

pytestmark = [pytest.mark.browser, pytest.mark.integration]

AXE_SOURCE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}
SIZES = {"desktop": (1280, 800), "phone": (360, 640)}


@pytest.fixture(scope="module")
def axe_source() -> str:
    """axe-core's browser bundle (skips locally when `npm ci` has not run; CI fails)."""
    if not AXE_SOURCE.is_file():
        message = f"{AXE_SOURCE.relative_to(ROOT)} is missing: run `npm ci` (make test does)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return AXE_SOURCE.read_text(encoding="utf-8")


def _empty(page: Page) -> None:
    expect(page.locator("#history-list .history-item")).to_have_count(0)


def _result(page: Page) -> None:
    calculate(page, "2^100/3")
    expect(page.locator("#result")).to_have_attribute("data-state", "rounded")


def _error(page: Page) -> None:
    calculate(page, "1/0")
    expect(page.get_by_role("alert")).to_contain_text("Cannot divide by zero.")


def _history(page: Page) -> None:
    for expression in ("sqrt(2)", "2^64", "0.1+0.2"):
        calculate(page, expression)
        expect(page.locator(".history-expression").first).to_have_text(expression)
    page.locator(".history-details summary").first.click()
    page.locator(".about summary").click()


STATES: dict[str, Callable[[Page], None]] = {
    "empty": _empty,
    "result": _result,
    "error": _error,
    "history": _history,
}


def axe_violations(page: Page, source: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.x A/AA and best practice)."""
    page.evaluate(source)
    result: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations
             .map(v => ({ id: v.id, impact: v.impact,
                          targets: v.nodes.map(n => n.target.join(" ")).slice(0, 5) }))"""
    )
    return result


@pytest.mark.parametrize("state", list(STATES))
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violations(
    open_page: OpenPage, nginx_server: Server, axe_source: str, scheme: str, size: str, state: str
) -> None:
    """axe-core reports no serious or critical violation in light and dark, on a desktop
    and a phone, with the page empty, showing a result, an error and history."""
    width, height = SIZES[size]
    watched = load(open_page, nginx_server, width=width, height=height, color_scheme=scheme)
    page = watched.page
    STATES[state](page)
    violations = axe_violations(page, axe_source)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    print(f"axe {scheme}/{size}/{state}: {len(violations)} violations, {len(blocking)} blocking")
    assert blocking == []
    assert watched.problems(allow_api_status_errors=True) == []


def test_axe_catches_a_violation(
    open_page: OpenPage, nginx_server: Server, axe_source: str
) -> None:
    """The audit is live: a button stripped of its name is reported as a critical
    violation (so "no violations" above means something)."""
    watched = load(open_page, nginx_server)
    page = watched.page
    page.evaluate(
        """() => { const b = document.querySelector('[data-action="evaluate"]');
                   b.removeAttribute('aria-label'); b.textContent = ''; }"""
    )
    ids = {v["id"] for v in axe_violations(page, axe_source) if v["impact"] in BLOCKING_IMPACTS}
    assert "button-name" in ids


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("width", "height"), [(1280, 800), (390, 844), (360, 640)])
def test_screenshots(
    open_page: OpenPage, nginx_server: Server, scheme: str, width: int, height: int
) -> None:
    """Screenshots of the page in use, per size and colour scheme, for people to look at
    (under artifacts/screenshots); the colour scheme really changes the page."""
    watched = load(open_page, nginx_server, width=width, height=height, color_scheme=scheme)
    page = watched.page
    for expression in ("sqrt(2)", "0.1+0.2", "2^64", "12+3×4"):
        calculate(page, expression)
        expect(page.locator(".history-expression").first).to_have_text(expression)
    calculate(page, "1/3")
    expect(page.locator("#result-note")).to_contain_text("1/3")
    page.locator("#expression").blur()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(243, 245, 249)") == (scheme == "light")
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS_DIR / f"calculator-{width}x{height}-{scheme}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000

    calculate(page, "1+")
    expect(page.get_by_role("alert")).to_contain_text("isn’t complete")
    page.locator("#expression").blur()
    page.screenshot(path=str(SCREENSHOTS_DIR / f"calculator-{width}x{height}-{scheme}-error.png"))
    if width < 640:
        page.locator("#toggle-sci").click()
        page.screenshot(
            path=str(SCREENSHOTS_DIR / f"calculator-{width}x{height}-{scheme}-functions.png")
        )
    assert watched.problems(allow_api_status_errors=True) == []
