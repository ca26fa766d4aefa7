"""One browser test per finding of the UI review (real nginx, real gunicorn, Chromium).

Each test is named for the finding it covers, and the answer it expects comes from the API
itself on the whole expression typed at once, not from a hard-coded number.
"""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect
from ui_support import (
    OpenPage,
    api_answer,
    calculate,
    contrast,
    displayed_number,
    key,
    load,
    press_keys,
)

from servers import Server

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CLIPBOARD = {"permissions": ["clipboard-read", "clipboard-write"]}


def value(page: Page) -> Any:
    """The plain text of the answer on screen (data-value), "" when there is none."""
    return page.locator("#result").get_attribute("data-value")


# --- 1 ---------------------------------------------------------------------------------

_CHAINS = [
    # keys pressed, the same computation typed at once
    (["1", "÷", "3", "=", "×", "3", "="], "1÷3×3"),
    (["2", "=", "√", "=", "x²", "="], "sqrt(2)^2"),
    (["2", "÷", "7", "=", "−", "2", "÷", "7", "="], "2÷7−2÷7"),
    (["1", "÷", "3", "=", "Ans", "×", "3", "="], "1÷3×3"),
]


@pytest.mark.parametrize(("keys", "typed"), _CHAINS, ids=["1÷3×3", "sqrt2²", "2÷7−2÷7", "Ans×3"])
def test_finding_1_continuing_from_a_result_is_exact(
    open_page: OpenPage, nginx_server: Server, keys: list[str], typed: str
) -> None:
    """Continuing from a result gives what typing the whole computation at once gives,
    with ≈ exactly when the API says the answer is inexact (1÷3 = then ×3 = is 1)."""
    watched = load(open_page, nginx_server)
    page = watched.page
    press_keys(page, *keys)
    oracle = api_answer(page, nginx_server, typed)
    assert displayed_number(page) == oracle["result"]
    result = page.locator("#result")
    if oracle["exact"]:
        expect(result).not_to_contain_text("≈")
        expect(result).to_have_attribute("data-state", "exact")
    assert watched.problems() == []


# --- 2 ---------------------------------------------------------------------------------


def test_finding_2_a_late_answer_never_lands_on_a_newer_expression(
    open_page: OpenPage, nginx_server: Server
) -> None:
    """2+3= answered only after 9 was typed: the late 5 is not shown under "2+39", and
    + 1 continues the expression on screen (2+39+1), not the discarded answer."""
    watched = load(open_page, nginx_server)
    page = watched.page
    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route("**/api/v1/evaluate", hold)
    settled: list[str] = []
    page.on("requestfinished", lambda request: settled.append(request.url))
    page.on("requestfailed", lambda request: settled.append(request.url))

    press_keys(page, "2", "+", "3")
    key(page, "=").click()  # not press_keys: that would wait for the held answer
    for _ in range(100):  # until the request is held (bounded)
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the calculation never reached the network"
    press_keys(page, "9")
    page.unroute("**/api/v1/evaluate")
    # The answer for 2+3 arrives now, late (unless the page has cancelled the request).
    with contextlib.suppress(Exception):
        held[0].continue_()
    for _ in range(200):  # until the late request has ended one way or the other
        if any("/api/v1/evaluate" in url for url in settled):
            break
        page.wait_for_timeout(20)
    expect(page.locator("#expression")).to_have_value("2+39")
    press_keys(page, "+", "1", "=")
    expect(page.locator("#expression")).to_have_value("2+39+1")
    expect(page.locator("#result")).to_have_attribute(
        "data-value", api_answer(page, nginx_server, "2+39+1")["result"]
    )
    history = page.locator("#history-list .history-expression")
    expect(history).to_have_text(["2+39+1"])
    assert watched.problems() == []


# --- 3 ---------------------------------------------------------------------------------

_KEYS_ON_RESULTS = [
    (["2", "−", "1", "1", "=", "xʸ", "2", "="], "(2−11)^2"),
    (["2", "+", "3", "=", "x²", "="], "(2+3)^2"),
    (["2", "+", "3", "=", "√", "="], "sqrt(2+3)"),
    (["2", "+", "3", "=", "10ˣ", "="], "10^(2+3)"),
    (["2", "+", "3", "=", "n!", "="], "(2+3)!"),
    (["1", "0", "10ˣ", "="], "10^10"),
    (["2", "−", "1", "1", "=", "±", "="], "-(2-11)"),
]


@pytest.mark.parametrize(
    ("keys", "typed"),
    _KEYS_ON_RESULTS,
    ids=["neg-power", "square", "root", "ten-to", "factorial", "ten-to-typed", "sign"],
)
def test_finding_3_postfix_and_function_keys_apply_to_the_result(
    open_page: OpenPage, nginx_server: Server, keys: list[str], typed: str
) -> None:
    """x², xʸ, √, 10ˣ, n! and ± after a result apply to that result (a negative one in
    parentheses: (−9)^2 is 81); 10 then 10ˣ is 10^10, not 1010^."""
    watched = load(open_page, nginx_server)
    page = watched.page
    press_keys(page, *keys)
    assert displayed_number(page) == api_answer(page, nginx_server, typed)["result"]
    assert watched.problems() == []


# --- 4 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("width", "height"), [(360, 640), (375, 667), (320, 568)])
def test_finding_4_phone_basic_keys_fit_and_the_keypad_never_moves(
    open_page: OpenPage, nginx_server: Server, width: int, height: int
) -> None:
    """On a phone every key for basic arithmetic, = included, is on screen without
    scrolling; the keypad stays put for short, long and 100-digit results and errors;
    the scientific keys wait behind f(x)."""
    watched = load(open_page, nginx_server, width=width, height=height)
    page = watched.page
    basic = [str(d) for d in range(10)] + ["+", "−", "×", "÷", "=", ".", "(", ")", "AC", "⌫"]
    for text in basic:
        box = key(page, text).bounding_box()
        assert box is not None, text
        assert box["y"] >= 0, f"{text} is above the screen"
        assert box["y"] + box["height"] <= height, f"{text} is below the fold"
    expect(key(page, "sin")).to_be_hidden()
    key(page, "f(x)").click()
    expect(key(page, "sin")).to_be_visible()
    key(page, "f(x)").click()
    expect(key(page, "sin")).to_be_hidden()

    equals = key(page, "=").bounding_box()
    assert equals is not None
    page.get_by_label("Digits", exact=True).select_option("100")
    for expression in ("2+3", "2^200", "sqrt(2)", "1/0", "1+", "2*(3+"):
        calculate(page, expression)
        expect(page.locator("#calculator-form")).not_to_have_attribute("aria-busy", "true")
        box = key(page, "=").bounding_box()
        assert box == equals, f"the keypad moved after {expression!r}"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert watched.problems(allow_api_status_errors=True) == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_finding_4_digit_keys_stand_out_and_taps_leave_no_shade(
    open_page: OpenPage, nginx_server: Server, scheme: str
) -> None:
    """Digit keys have an edge of at least 3:1 against the card, and on a touch screen
    the key tapped last looks like every other key afterwards."""
    watched = load(
        open_page,
        nginx_server,
        width=360,
        height=640,
        color_scheme=scheme,
        has_touch=True,
        is_mobile=True,
    )
    page = watched.page
    card = page.evaluate("getComputedStyle(document.querySelector('.calculator')).backgroundColor")
    edge = key(page, "7").evaluate("el => getComputedStyle(el).borderTopColor")
    face = key(page, "7").evaluate("el => getComputedStyle(el).backgroundColor")
    assert max(contrast(edge, card), contrast(face, card)) >= 3, (edge, face, card)

    key(page, "7").tap()
    key(page, "+").tap()
    expect(page.locator("#expression")).to_have_value("7+")
    page.wait_for_timeout(300)  # let any transition finish before comparing colours
    tapped = key(page, "7").evaluate("el => getComputedStyle(el).backgroundColor")
    other = key(page, "8").evaluate("el => getComputedStyle(el).backgroundColor")
    assert tapped == other
    tapped_op = key(page, "+").evaluate("el => getComputedStyle(el).backgroundColor")
    other_op = key(page, "×").evaluate("el => getComputedStyle(el).backgroundColor")
    assert tapped_op == other_op


# --- 5 ---------------------------------------------------------------------------------


def test_finding_5_developer_details_are_one_click_away(
    open_page: OpenPage, nginx_server: Server
) -> None:
    """The main view shows the app's name and the answer, not the pod, timing, request
    ID or version; each history entry's Details and the About panel show them."""
    watched = load(open_page, nginx_server, width=360, height=640)
    page = watched.page
    info = page.request.get(nginx_server.url + "/api/v1/info").json()
    expect(page.get_by_text("Exact Calculator")).to_be_visible()
    expect(page.locator("#status")).not_to_contain_text(info["version"])

    calculate(page, "2^64")
    expect(page.locator("#result")).to_have_attribute("data-value", "18446744073709551616")
    display = page.locator("#calculator-form")
    expect(display).not_to_contain_text(info["hostname"])
    expect(display).not_to_contain_text(" ms")
    calculate(page, "1/0")
    expect(page.get_by_role("alert")).to_contain_text("Cannot divide by zero.")
    expect(page.get_by_role("alert")).not_to_contain_text(re.compile(r"[0-9a-f]{16}"))

    stored = json.loads(page.evaluate("localStorage.getItem('calculator.history.v1')"))[0]
    details = page.locator(".history-details").first
    expect(details.locator("dl")).to_be_hidden()
    details.locator("summary").click()
    for shown in (info["hostname"], stored["requestId"], f"{stored['elapsedMs']} ms"):
        expect(details).to_contain_text(shown)

    about = page.locator(".about")
    about.locator("summary").click()
    expect(about).to_contain_text(info["version"])
    expect(about).to_contain_text(info["hostname"])
    assert watched.problems(allow_api_status_errors=True) == []


# --- 6 ---------------------------------------------------------------------------------


def test_finding_6_results_read_as_numbers(open_page: OpenPage, nginx_server: Server) -> None:
    """Digits are grouped for the reader's locale and copy gives the plain digits;
    ×10ⁿ instead of E; long exact results take at most two lines, all digits a click away;
    rational results show their fraction; ≈ only where digits were rounded away."""
    watched = load(open_page, nginx_server, width=320, height=568, locale="en-US", **CLIPBOARD)
    page = watched.page
    result = page.locator("#result")

    calculate(page, "2^64")
    expect(result).to_have_text("18,446,744,073,709,551,616")
    page.locator("#copy-result").click()
    assert page.evaluate("navigator.clipboard.readText()") == "18446744073709551616"

    calculate(page, "2^-100*3")
    oracle = api_answer(page, nginx_server, "2^-100*3")
    expect(result).to_have_attribute("data-value", oracle["result"])
    calculate(page, "1e-30")
    expect(result).to_contain_text("10⁻³⁰")
    expect(result).not_to_contain_text("E")

    calculate(page, "2^1000")
    full = api_answer(page, nginx_server, "2^1000")["result"]
    box = result.bounding_box()
    assert box is not None
    assert box["height"] < 60, "a long result must take at most two lines"
    page.locator("#show-digits").click()
    digits = page.locator("#digits-text")
    expect(digits).to_be_visible()
    assert re.sub(r"\D", "", digits.inner_text()) == full
    page.locator("#close-digits").click()

    calculate(page, "1/3")
    expect(page.locator("#result-note")).to_contain_text("1/3")
    expect(result).to_contain_text("≈")
    calculate(page, "sin(pi/6)")
    expect(result).to_have_attribute("data-value", "0.5")
    expect(result).not_to_contain_text("≈")

    history_result = page.locator(".history-result").first
    calculate(page, "2^100")
    expect(history_result).to_contain_text("1,267")
    line = history_result.bounding_box()
    assert line is not None
    assert line["height"] < 30, "a history result must stay on one line"
    assert watched.problems() == []


def test_finding_6_grouping_follows_the_locale(open_page: OpenPage, nginx_server: Server) -> None:
    """In German, 1234567.5 reads 1.234.567,5."""
    watched = load(open_page, nginx_server, locale="de-DE")
    page = watched.page
    calculate(page, "1234567.5")
    expect(page.locator("#result")).to_have_text("1.234.567,5")


# --- 7 ---------------------------------------------------------------------------------


def test_finding_7_history_without_duplicates_with_undo_and_export(
    open_page: OpenPage, nginx_server: Server
) -> None:
    """Enter held down and a Digits change add one entry, not one per answer; Clear can
    be undone; the history copies as text and as CSV."""
    watched = load(open_page, nginx_server, **CLIPBOARD)
    page = watched.page
    items = page.locator("#history-list .history-item")
    calculate(page, "1/7")
    for _ in range(15):
        page.locator("#expression").press("Enter")
    page.get_by_label("Digits", exact=True).select_option("50")
    expect(page.locator("#result-note")).to_contain_text("50 digits")
    calculate(page, "2^10")
    expect(items).to_have_count(2)

    page.get_by_role("button", name="Clear", exact=True).click()
    expect(items).to_have_count(0)
    page.get_by_role("button", name="Undo").click()
    expect(items).to_have_count(2)
    page.reload()
    expect(items).to_have_count(2)

    seventh = api_answer(page, nginx_server, "1/7", precision=50)["result"]
    page.locator("#copy-history").click()
    text = page.evaluate("navigator.clipboard.readText()")
    assert text == f"1/7 ≈ {seventh}\n2^10 = 1024"
    page.locator("#copy-history-csv").click()
    rows = page.evaluate("navigator.clipboard.readText()").splitlines()
    assert rows[0].startswith("expression,result,exact")
    assert rows[1].startswith(f"1/7,{seventh},false,1/7,")
    assert rows[2].startswith("2^10,1024,true,")
    assert watched.problems() == []


# --- 8 ---------------------------------------------------------------------------------


def test_finding_8_keys_and_input_as_people_type(open_page: OpenPage, nginx_server: Server) -> None:
    """mod is labelled and inserted as mod; % and ± are keys; ans is the last answer;
    an unclosed √( is closed; 1,234.56 is a grouped number; Ctrl+V pastes from anywhere."""
    watched = load(open_page, nginx_server, **CLIPBOARD)
    page = watched.page
    field = page.locator("#expression")
    result = page.locator("#result")

    press_keys(page, "7", "mod", "3")
    expect(field).to_have_value("7 mod 3")
    press_keys(page, "=")
    expect(result).to_have_attribute("data-value", "1")
    press_keys(page, "AC", "5", "0", "%")
    expect(field).to_have_value("50%")
    press_keys(page, "AC", "8", "±")
    expect(field).to_have_value("(−8)")

    press_keys(page, "AC", "√", "2", "=")
    expect(field).to_have_value("sqrt(2)")
    expect(result).to_have_attribute(
        "data-value", api_answer(page, nginx_server, "sqrt(2)")["result"]
    )
    calculate(page, "ans^2")
    expect(result).to_have_attribute(
        "data-value", api_answer(page, nginx_server, "sqrt(2)^2")["result"]
    )

    calculate(page, "1,234.56+1")
    expect(result).to_have_attribute("data-value", "1235.56")

    page.evaluate("navigator.clipboard.writeText('6×7')")
    press_keys(page, "AC")
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+V")
    expect(field).to_have_value("6×7")
    page.keyboard.press("Enter")
    expect(result).to_have_attribute("data-value", "42")
    assert watched.problems(allow_api_status_errors=True) == []


# --- 9 ---------------------------------------------------------------------------------


def test_finding_9_one_timeout_and_the_error_clears_on_recovery(
    open_page: OpenPage, nginx_server: Server
) -> None:
    """A status check slower than 3 s is not called a failure while calculations still
    wait for theirs (one time limit, 5 s, for both); after an outage, the "cannot reach"
    error goes away by itself once the backend answers again. The page's clock is driven
    by the test, so nothing here measures real time."""
    watched = open_page()
    page = watched.page
    page.clock.install()
    page.goto(nginx_server.url + "/")
    expect(page.locator("#status")).to_have_attribute("data-state", "online")
    page.clock.pause_at(page.evaluate("Date.now()") + 1_000)

    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route("**/api/v1/info", hold)  # status checks get no answer for now
    for _ in range(40):  # half-second steps until the next status check is sent (bounded)
        page.clock.run_for(500)
        for _ in range(10):  # the route handler runs asynchronously
            if held:
                break
            page.wait_for_timeout(20)
        if held:
            break
    assert held, "no status check was made"
    page.clock.run_for(4_000)  # the check has waited 4 to 4.5 s: not a failure yet
    expect(page.locator("#status")).to_have_attribute("data-state", "online")
    page.clock.run_for(1_500)  # 5.5 to 6 s: now it has failed
    expect(page.locator("#status")).to_have_attribute("data-state", "offline")

    page.route("**/api/v1/evaluate", lambda route: route.abort())
    calculate(page, "1+1")
    expect(page.get_by_role("alert")).to_contain_text("Cannot reach the server")

    page.unroute_all(behavior="ignoreErrors")
    page.clock.run_for(2_500)  # the retry reaches the backend again
    expect(page.locator("#status")).to_have_attribute("data-state", "online")
    expect(page.locator("#error")).to_be_empty()
    expect(page.locator("#expression")).to_have_value("1+1")


# --- 10 --------------------------------------------------------------------------------


def test_finding_10_names_contain_the_visible_text(
    open_page: OpenPage, nginx_server: Server
) -> None:
    """Every key's accessible name contains the text it shows (WCAG 2.5.3), and the
    field's accessible name is "Expression"."""
    watched = load(open_page, nginx_server)
    page = watched.page
    mismatched = page.evaluate(
        """[...document.querySelectorAll('button.key')]
             .filter(el => !el.hidden)
             .map(el => [el.innerText.trim(), el.getAttribute('aria-label') || el.innerText.trim()])
             .filter(([text, name]) => !name.toLowerCase().includes(text.toLowerCase()))"""
    )
    assert mismatched == []
    snapshot = page.locator("#calculator-form").aria_snapshot()
    assert 'textbox "Expression"' in snapshot


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_finding_10_focus_ring_has_3_to_1_contrast(
    open_page: OpenPage, nginx_server: Server, scheme: str
) -> None:
    """The keyboard focus ring contrasts at least 3:1 with the card around the keys and
    with the operator keys, in both colour schemes."""
    watched = load(open_page, nginx_server, color_scheme=scheme)
    page = watched.page
    card = page.evaluate("getComputedStyle(document.querySelector('.calculator')).backgroundColor")
    for text in ("7", "×", "="):
        target = key(page, text)
        target.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # focus by keyboard, so :focus-visible applies
        ring = target.evaluate("el => getComputedStyle(el).outlineColor")
        assert target.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
        operator = key(page, "×").evaluate("el => getComputedStyle(el).backgroundColor")
        assert contrast(ring, card) >= 3, (text, ring, card)
        assert contrast(ring, operator) >= 3, (text, ring, operator)


def test_finding_10_keypad_and_copy_are_announced(
    open_page: OpenPage, nginx_server: Server
) -> None:
    """Keypad presses echo the expression and Copy says "Copied" through a polite live
    region that screen readers read."""
    watched = load(open_page, nginx_server, **CLIPBOARD)
    page = watched.page
    live = page.locator("[aria-live='polite']:not(#result)")
    press_keys(page, "1", "2", "+", "3")
    expect(live).to_have_text("12+3")
    press_keys(page, "=")
    expect(page.locator("#result")).to_have_attribute("data-value", "15")
    page.locator("#copy-result").click()
    expect(live).to_have_text("Copied")
