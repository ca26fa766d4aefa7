"""Browser tests for what a second new-user test of the UI found (real nginx, gunicorn and
Chromium). Each test is named for its finding; expected numbers come from the API itself.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, Request, expect
from ui_support import PHONE, OpenPage, api_answer, calculate, key, load, press_keys

from servers import Server

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def px(page: Page, selector: str, prop: str = "fontSize") -> float:
    """A computed length of the first element matching `selector`, in CSS pixels."""
    return float(page.eval_on_selector(selector, f"el => parseFloat(getComputedStyle(el).{prop})"))


# --- 1: long results on a phone ---------------------------------------------------------

# A digit group as the reader's locale (en-US here) writes it, and the shortening mark.
_GROUPED_HEAD = r"\d{1,3}(?:,\d{3})*"
_GROUPED_TAIL = r"\d{3}(?:,\d{3})*"


@pytest.mark.parametrize("expression", ["2^100", "2^1000", "1/3", "2^-100*3", "1000000007/3"])
def test_retest_1_long_results_are_readable_and_cut_between_digit_groups(
    open_page: OpenPage, nginx_server: Server, expression: str
) -> None:
    """At 360×640 a long result is shown no smaller than the expression typed above it,
    in at most two lines, and is shortened only at digit-group boundaries (integer digits) or at
    the end of the decimals, each digit shown being the API's own digit in its place; all
    digits are one click away, and the keypad does not move."""
    watched = load(open_page, nginx_server, **PHONE, locale="en-US")
    page = watched.page
    equals = key(page, "=").bounding_box()
    calculate(page, expression)
    expect(page.locator("#calculator-form")).not_to_have_attribute("aria-busy", "true")
    oracle = api_answer(page, nginx_server, expression)["result"]
    result = page.locator("#result")
    expect(result).to_have_attribute("data-value", oracle)

    assert px(page, "#result") >= px(page, "#expression"), "the result is smaller than the input"
    width, lines = page.eval_on_selector(
        "#result",
        """el => [el.scrollWidth - el.clientWidth,
                  el.scrollHeight / parseFloat(getComputedStyle(el).lineHeight)]""",
    )
    assert width <= 0, "the result overflows its line"
    assert lines <= 2.5, f"the result takes {lines:.1f} lines"
    assert key(page, "=").bounding_box() == equals, "the keypad moved"

    shown = result.inner_text().replace("≈", "").strip()
    mantissa, _, exponent = shown.partition("\u202f×\u202f10")
    digits = re.sub(r"\D", "", oracle.split("E")[0])
    integer, _, decimals = mantissa.partition(".")
    if "…" in integer:
        head, tail = integer.split("…")
        assert re.fullmatch(_GROUPED_HEAD + ",", head), f"cut inside a group: {shown!r}"
        assert re.fullmatch("," + _GROUPED_TAIL, tail), f"cut inside a group: {shown!r}"
        whole = oracle.split(".")[0]
        assert whole.startswith(head.replace(",", ""))
        assert whole.endswith(tail.replace(",", ""))
    else:
        assert re.fullmatch(_GROUPED_HEAD, integer), shown
        kept = (integer + decimals).replace(",", "").rstrip("…")
        assert digits.startswith(kept), f"{shown!r} is not the start of {oracle}"
        assert decimals.endswith("…") or "…" not in decimals
    if exponent:
        assert "E" in oracle.upper()

    if "…" in shown:
        page.locator("#show-digits").click()
        every = page.locator("#digits-text").inner_text().split("×")[0]
        assert re.sub(r"\D", "", every) == digits
        page.locator("#close-digits").click()
    assert watched.problems() == []


# --- 2: the backend's start time in the reader's locale ----------------------------------


def test_retest_2_backend_start_reads_in_the_readers_locale(
    open_page: OpenPage, nginx_server: Server
) -> None:
    """About's "Backend started" is the API's started_at in the reader's locale and time
    zone (de-DE in Tokyo here), written like each history entry's "At", not ISO text."""
    watched = load(open_page, nginx_server, locale="de-DE", timezone_id="Asia/Tokyo")
    page = watched.page
    info = page.request.get(nginx_server.url + "/api/v1/info").json()
    started = datetime.fromisoformat(info["started_at"]).astimezone(ZoneInfo("Asia/Tokyo"))
    german = f"{started.day}.{started.month}.{started.year}, {started:%H:%M:%S}"

    about = page.locator(".about")
    about.locator("summary").click()
    shown = page.locator("#about-started")
    expect(shown).to_have_text(german)
    stamp = shown.locator("time")
    assert datetime.fromisoformat(stamp.get_attribute("datetime") or "") == started

    calculate(page, "2+2")
    details = page.locator(".history-details").first
    details.locator("summary").click()
    at = details.locator("div", has=page.locator("dt", has_text="At")).locator("dd")
    pattern = r"\d{1,2}\.\d{1,2}\.\d{4}, \d{2}:\d{2}:\d{2}"
    assert re.fullmatch(pattern, at.inner_text()), at.inner_text()
    assert watched.problems() == []


# --- 3: a continued expression keeps the symbols typed -----------------------------------

_CONTINUED = [
    # keys pressed, the field after them, the same computation typed at once
    (["1", "÷", "3", "=", "×", "3"], "(1÷3)×3", "1/3*3"),
    (["2", "−", "1", "1", "=", "×", "2"], "(−9)×2", "(2-11)*2"),
    (["1", "−", "4", "÷", "3", "=", "×", "3"], "(−1÷3)×3", "(1-4/3)*3"),
    (["1", "÷", "3", "=", "−", "Ans"], "(1÷3)−(1÷3)", "1/3-1/3"),
]


@pytest.mark.parametrize(
    ("keys", "field", "typed"), _CONTINUED, ids=["third", "negative", "neg-fraction", "ans"]
)
def test_retest_3_a_continued_expression_uses_the_typed_symbols(
    open_page: OpenPage, nginx_server: Server, keys: list[str], field: str, typed: str
) -> None:
    """Continuing from 1÷3 shows (1÷3)×3, not (1/3)×3: the field uses ÷ × − throughout,
    while the API is sent the same expression in ASCII and answers as for it typed whole."""
    watched = load(open_page, nginx_server)
    page = watched.page
    sent: list[Any] = []

    def record(request: Request) -> None:
        if request.url.endswith("/api/v1/evaluate"):
            sent.append(request.post_data_json["expression"])

    page.on("request", record)
    press_keys(page, *keys)
    expect(page.locator("#expression")).to_have_value(field)
    press_keys(page, "=")
    expect(page.locator("#expression")).to_have_value(field)
    oracle = api_answer(page, nginx_server, typed)
    expect(page.locator("#result")).to_have_attribute("data-value", oracle["result"])
    assert sent, "no calculation was sent"
    assert all(text.isascii() for text in sent), sent
    assert sent[-1] == field.replace("÷", "/").replace("×", "*").replace("−", "-")
    assert watched.problems() == []
