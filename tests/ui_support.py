"""Helpers shared by the browser tests of the UI: opening it, pressing keypad keys by their
visible text, asking the API itself for the expected answer, and colour contrast."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from conftest import WatchedPage
from playwright.sync_api import Locator, Page, expect

from servers import Server

OpenPage = Callable[..., WatchedPage]

PHONE = {"width": 360, "height": 640}


def load(open_page: OpenPage, server: Server, path: str = "/", **options: Any) -> WatchedPage:
    """Open the UI and wait until it has talked to the backend once."""
    watched = open_page(**options)
    watched.page.goto(server.url + path)
    expect(watched.page.locator("#status")).to_have_attribute("data-state", "online")
    return watched


# A superscript on a key may be a character (x²) or markup (x<sup>2</sup>).
_SUPERSCRIPTS = {"²": "2", "³": "3", "ʸ": "y", "ˣ": "x"}


def key(page: Page, text: str) -> Locator:
    """The keypad button whose visible text is exactly `text` (e.g. "7", "÷", "x²")."""
    pattern = "".join(
        f"[{c}{_SUPERSCRIPTS[c]}]" if c in _SUPERSCRIPTS else re.escape(c) for c in text
    )
    return page.locator("button.key").filter(has_text=re.compile(rf"^{pattern}$"))


def press_keys(page: Page, *texts: str) -> None:
    """Click keypad buttons by their visible text, in order; after = wait for the answer,
    as a person does before pressing the next key."""
    for text in texts:
        key(page, text).click()
        if text == "=":
            expect(page.locator("#calculator-form")).not_to_have_attribute("aria-busy", "true")


def calculate(page: Page, expression: str) -> None:
    """Type an expression into the field and press Enter."""
    page.locator("#expression").fill(expression)
    page.locator("#expression").press("Enter")


def api_answer(page: Page, server: Server, expression: str, precision: int = 28) -> Any:
    """The API's own answer for `expression`, the oracle for what the UI shows."""
    response = page.request.post(
        server.url + "/api/v1/evaluate", data={"expression": expression, "precision": precision}
    )
    assert response.ok, response.text()
    return response.json()


def displayed_number(page: Page) -> str:
    """The number on the result line as a person reads it, without digit-group commas,
    spaces and ≈: comparable with the API's text for results short enough to show whole."""
    expect(page.locator("#calculator-form")).not_to_have_attribute("aria-busy", "true")
    return re.sub(r"[,\s≈]", "", page.locator("#result").inner_text()).replace("\u2212", "-")


def rgb(css: str) -> tuple[float, float, float]:
    """An rgb()/rgba() colour from getComputedStyle as three 0..255 numbers."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)[:3]]
    assert len(numbers) == 3, css
    return numbers[0], numbers[1], numbers[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio between two CSS colours."""

    def luminance(colour: str) -> float:
        channels = [c / 255 for c in rgb(colour)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
