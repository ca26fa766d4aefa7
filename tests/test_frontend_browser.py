"""The UI in headless Chromium, served by real nginx (real template) in front of real
gunicorn, all on loopback."""

from __future__ import annotations

import json
import re
import signal

import pytest
import requests
from conftest import SCREENSHOTS_DIR
from nginx_server import run_nginx
from playwright.sync_api import expect
from ui_support import OpenPage, key, load, press_keys

from servers import Server, run_gunicorn

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_clicking_keys_shows_24(open_page: OpenPage, nginx_server: Server) -> None:
    """Clicking 1 2 + 3 × 4 = shows 24 (precedence respected), without console errors."""
    watched = load(open_page, nginx_server)
    page = watched.page
    press_keys(page, "1", "2", "+", "3", "×", "4", "=")
    expect(page.locator("#expression")).to_have_value("12+3×4")
    expect(page.locator("#result")).to_have_text("24")
    assert watched.problems() == []


def test_typing_and_enter_shows_exact_decimal(open_page: OpenPage, nginx_server: Server) -> None:
    """Typing 0.1+0.2 and Enter shows exactly 0.3, without ≈ or a rounding note."""
    watched = load(open_page, nginx_server)
    page = watched.page
    page.locator("#expression").fill("0.1+0.2")
    page.locator("#expression").press("Enter")
    expect(page.locator("#result")).to_have_text("0.3")
    expect(page.locator("#result")).to_have_attribute("data-state", "exact")
    expect(page.locator("#result-note")).to_be_empty()
    assert watched.problems() == []


def test_division_by_zero_is_explained(open_page: OpenPage, nginx_server: Server) -> None:
    """1/0 shows "Cannot divide by zero." in an alert next to the display, no result and
    no raw JSON; the only console line is Chromium's own note about the 422."""
    watched = load(open_page, nginx_server)
    page = watched.page
    page.locator("#expression").fill("1/0")
    page.locator("#expression").press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Cannot divide by zero.")
    expect(alert).not_to_contain_text("{")
    expect(page.locator("#result")).to_have_text("")
    assert watched.problems(allow_api_status_errors=True) == []


def test_syntax_error_points_at_the_position(open_page: OpenPage, nginx_server: Server) -> None:
    """A syntax error is described in words, the field is marked invalid and the
    character the server pointed at is selected (the open parenthesis was closed first)."""
    watched = load(open_page, nginx_server)
    page = watched.page
    field = page.locator("#expression")
    field.fill("2*(3+")
    field.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("complete or has a typo")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_value("2*(3+)")
    selection = page.evaluate(
        "[document.activeElement.selectionStart, document.activeElement.selectionEnd]"
    )
    assert selection == [5, 6]  # "found ')' at position 6"


def test_too_long_expression_is_not_truncated(open_page: OpenPage, nginx_server: Server) -> None:
    """A pasted expression over the API's 1,000-character limit stays whole, and the
    answer says it is too long (not a syntax error where the paste was cut off)."""
    watched = load(open_page, nginx_server)
    page = watched.page
    field = page.locator("#expression")
    expression = "1+" * 600 + "1"  # 1,201 characters
    field.focus()
    page.keyboard.insert_text(expression)  # what a paste does
    expect(field).to_have_value(expression)
    field.press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The expression is too long.")
    expect(alert).to_contain_text("1,201 characters")
    expect(alert).not_to_contain_text("position")
    assert watched.problems(allow_api_status_errors=True) == []


def test_history_survives_reload_and_names_the_instance(
    open_page: OpenPage, nginx_server: Server
) -> None:
    """A calculation goes to history with the X-Served-By instance in its details; after a
    reload the entry is still there, and selecting it puts the expression back."""
    watched = load(open_page, nginx_server)
    page = watched.page
    hostname = page.request.get(nginx_server.url + "/api/v1/info").json()["hostname"]
    page.locator("#expression").fill("2^64")
    page.locator("#expression").press("Enter")
    expect(page.locator("#result")).to_have_attribute("data-value", "18446744073709551616")

    page.reload()
    first = page.locator("#history-list .history-item").first
    expect(first).to_contain_text("2^64")
    expect(first).to_contain_text("18,446,744,073,709,551,616")
    details = page.locator("#history-list .history-details").first
    details.locator("summary").click()
    expect(details).to_contain_text(hostname)
    stored = json.loads(page.evaluate("localStorage.getItem('calculator.history.v1')"))
    assert stored[0]["servedBy"] == hostname

    first.click()
    expect(page.locator("#expression")).to_have_value("2^64")
    expect(page.locator("#result")).to_have_attribute("data-value", "18446744073709551616")

    page.get_by_role("button", name="Clear", exact=True).click()
    expect(page.locator("#history-list .history-item")).to_have_count(0)
    page.reload()
    expect(page.locator("#history-list .history-item")).to_have_count(0)
    assert watched.problems() == []


def test_history_keeps_the_last_50(open_page: OpenPage, nginx_server: Server) -> None:
    """History holds at most 50 calculations, newest first."""
    watched = load(open_page, nginx_server)
    page = watched.page
    old = [
        {"expression": f"{n}+0", "result": str(n), "exact": True, "servedBy": "x", "at": 0}
        for n in range(50)
    ]
    page.evaluate("h => localStorage.setItem('calculator.history.v1', JSON.stringify(h))", old)
    page.reload()
    page.locator("#expression").fill("6*7")
    page.locator("#expression").press("Enter")
    items = page.locator("#history-list .history-item")
    expect(items).to_have_count(50)
    expect(items.first).to_contain_text("6*7")
    expect(items.last).to_contain_text("48+0")


def test_keyboard_only(open_page: OpenPage, nginx_server: Server) -> None:
    """Everything works from the keyboard alone: skip link to the field, Enter evaluates,
    Escape clears, Backspace deletes, typing works with focus on a key, Tab reaches the
    history and Enter reuses an entry; focus is always visible."""
    watched = load(open_page, nginx_server)
    page = watched.page
    keyboard = page.keyboard
    field = page.locator("#expression")
    result = page.locator("#result")

    keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the calculator")).to_be_focused()
    keyboard.press("Enter")
    expect(field).to_be_focused()
    keyboard.type("2^10")
    keyboard.press("Enter")
    expect(result).to_have_attribute("data-value", "1024")

    keyboard.press("Escape")
    expect(field).to_have_value("")
    expect(result).to_have_text("")

    keyboard.type("7*66")
    keyboard.press("Backspace")
    keyboard.press("Enter")
    expect(result).to_have_text("42")

    # Focus on a keypad key: digits and operators typed there go into the expression,
    # Enter presses the focused key (not "evaluate"), "=" evaluates.
    keyboard.press("Escape")
    expect(field).to_be_focused()
    for _ in range(40):
        keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.insert") == "7":
            break
    else:
        pytest.fail("Tab never reached the 7 key")
    outline = page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )
    assert outline[0] != "none"
    assert outline[1] >= 2
    keyboard.press("Enter")  # presses "7"
    keyboard.type("+5")
    expect(field).to_have_value("7+5")
    keyboard.press("=")
    expect(result).to_have_text("12")

    for _ in range(80):
        keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('history-item')"):
            break
    else:
        pytest.fail("Tab never reached the history")
    expect(page.locator(".history-item").first).to_be_focused()
    keyboard.press("Escape")
    keyboard.press("Shift+Tab")
    keyboard.press("Tab")
    keyboard.press("Enter")
    expect(field).to_have_value("7+5")
    expect(field).to_be_focused()
    assert watched.problems() == []


def test_enter_after_clicking_keys_calculates(open_page: OpenPage, nginx_server: Server) -> None:
    """Keys clicked with the mouse do not keep Enter: clicking 2 + 3 and pressing Enter
    shows 5 (not "2+33"), also after clicking a history entry. A key reached with Tab
    keeps its focus and is pressed by Enter and Space."""
    watched = load(open_page, nginx_server)
    page = watched.page
    keyboard = page.keyboard
    field = page.locator("#expression")
    result = page.locator("#result")

    press_keys(page, "2", "+", "3")
    keyboard.press("Enter")
    expect(result).to_have_text("5")
    expect(field).to_have_value("2+3")
    assert not page.evaluate("document.activeElement === document.getElementById('expression')")

    page.locator("#history-list .history-item").first.click()
    expect(page.locator("#result-note")).to_contain_text("From history")
    keyboard.press("Enter")
    expect(page.locator("#result-note")).not_to_contain_text("From history")
    expect(field).to_have_value("2+3")

    keyboard.press("Escape")
    for _ in range(40):
        keyboard.press("Tab")
        if page.evaluate("document.activeElement.dataset.insert") == "7":
            break
    else:
        pytest.fail("Tab never reached the 7 key")
    seven = key(page, "7")
    keyboard.press("Enter")
    keyboard.press(" ")
    expect(field).to_have_value("77")
    expect(seven).to_be_focused()
    keyboard.press("=")
    expect(result).to_have_text("77")
    assert watched.problems() == []


def test_accessible_names_and_live_result(open_page: OpenPage, nginx_server: Server) -> None:
    """Every control has an accessible name, the field has a label, the result is an
    aria-live region and errors are an alert."""
    watched = load(open_page, nginx_server)
    page = watched.page
    unnamed = page.evaluate(
        """[...document.querySelectorAll('button, input, select, a')]
             .filter(el => !el.hidden && el.offsetParent !== null)
             .filter(el => !(el.getAttribute('aria-label') || el.labels?.length
                              || el.textContent.trim()))
             .map(el => el.outerHTML)"""
    )
    assert unnamed == []
    expect(page.get_by_label("Expression")).to_have_attribute("id", "expression")
    expect(page.locator("#result")).to_have_attribute("aria-live", "polite")
    expect(page.locator("#error")).to_have_attribute("role", "alert")
    expect(page.locator("#status")).to_have_attribute("role", "status")


def test_backend_stopped_shows_unavailable_within_5s(open_page: OpenPage) -> None:
    """With the backend stopped, the status says "Offline" within 5 s without
    any user action, and a calculation says the backend is unavailable within 5 s; once the
    backend answers again, the status recovers within 5 s."""
    with run_gunicorn() as backend, run_nginx(backend.port) as nginx:
        watched = load(open_page, nginx)
        page = watched.page
        status = page.locator("#status-text")
        expect(status).to_contain_text("Online")

        backend.stop(signal.SIGINT, timeout=10)  # quick shutdown: connections refused
        expect(status).to_have_text("Offline", timeout=5_000)

        page.locator("#expression").fill("1+1")
        page.locator("#expression").press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("backend is unavailable", timeout=5_000)
        SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
        page.set_viewport_size({"width": 390, "height": 844})
        expect(status).to_be_visible()
        page.screenshot(path=str(SCREENSHOTS_DIR / "calculator-390x844-backend-unavailable.png"))

        # A backend answering again (here a stand-in for /api/v1/info) is noticed.
        info = {"name": "calculator", "version": "9.9.9", "hostname": "back", "started_at": "-"}
        page.route("**/api/v1/info", lambda route: route.fulfill(json=info))
        expect(status).to_have_text("Online", timeout=5_000)
        expect(page.locator("#about-version")).to_contain_text("9.9.9")
        assert watched.problems(allow_api_status_errors=True) == []


def test_request_timeout_is_reported(open_page: OpenPage, nginx_server: Server) -> None:
    """A request that gets no answer is given up after 5 s with a message in words: not
    a moment before (the page's clock is driven by the test, so no real time is
    measured), and as soon as the 5 s are up."""
    watched = open_page()
    page = watched.page
    page.clock.install()
    page.goto(nginx_server.url + "/")
    expect(page.locator("#status")).to_have_attribute("data-state", "online")
    page.clock.pause_at(page.evaluate("Date.now()") + 1_000)  # from now on, run_for only
    page.route("**/api/v1/evaluate", lambda route: None)  # never answered
    # Status checks get no answer either: one answered after the timeout would rightly
    # clear the error ("the backend is back") before it is read.
    page.route("**/api/v1/info", lambda route: None)
    page.locator("#expression").fill("1+1")
    page.locator("#expression").press("Enter")
    alert = page.locator("#error")
    page.clock.run_for(4_900)
    expect(page.locator("#result")).to_have_text("Calculating…")
    expect(alert).to_be_empty()
    page.clock.run_for(200)
    expect(alert).to_contain_text("No answer from the server within 5 seconds.")
    expect(page.locator("#result")).to_have_text("")
    page.unroute_all(behavior="ignoreErrors")
    assert watched.problems() == []


def test_unknown_problem_falls_back_to_server_detail(
    open_page: OpenPage, nginx_server: Server
) -> None:
    """A problem code the UI has no sentence for shows the server's detail as a
    sentence, not JSON; a detail starting with a name like sqrt(x) keeps its case."""
    watched = load(open_page, nginx_server)
    page = watched.page
    body = {
        "type": "urn:x",
        "title": "Odd",
        "status": 422,
        "detail": "the moon is in the wrong phase",
        "code": "moon_phase",
        "request_id": "abc",
    }
    page.route(
        "**/api/v1/evaluate",
        lambda route: route.fulfill(
            status=422, content_type="application/problem+json", body=json.dumps(body)
        ),
    )
    page.locator("#expression").fill("1+1")
    page.locator("#expression").press("Enter")
    expect(page.get_by_role("alert")).to_have_text(
        re.compile(r"^The moon is in the wrong phase\.$")
    )
    body["detail"] = "sqrt(x) needs x >= 0"
    page.locator("#expression").press("Enter")
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"^sqrt\(x\) needs x >= 0\."))


def test_missing_operand_means_a_missing_parameter(
    open_page: OpenPage, nginx_server: Server
) -> None:
    """missing_operand is what the API says when a request parameter is missing (an
    incomplete expression such as 1+ is a syntax_error): the sentence says so, with the
    server's detail under it."""
    watched = load(open_page, nginx_server)
    page = watched.page
    body = {
        "type": "urn:k8s-calculator:problem:missing_operand",
        "title": "Missing operand",
        "status": 400,
        "detail": "The parameter 'expression' is required",
        "code": "missing_operand",
        "request_id": "abc",
    }
    page.route(
        "**/api/v1/evaluate",
        lambda route: route.fulfill(
            status=400, content_type="application/problem+json", body=json.dumps(body)
        ),
    )
    page.locator("#expression").fill("1+1")
    page.locator("#expression").press("Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The request is missing a required value.")
    expect(alert).to_contain_text("The parameter 'expression' is required.")
    expect(alert).not_to_contain_text("operator")

    page.unroute_all(behavior="ignoreErrors")
    page.locator("#expression").fill("1+")
    page.locator("#expression").press("Enter")
    expect(alert).to_contain_text("The expression isn’t complete or has a typo.")


def test_csp_is_enforced_and_violations_are_caught(
    open_page: OpenPage, nginx_server: Server
) -> None:
    """The page's CSP really blocks inline script, and the watcher used by the other
    tests sees that as a violation (so "no violations" elsewhere means something)."""
    watched = load(open_page, nginx_server)
    page = watched.page
    page.evaluate(
        """() => { const s = document.createElement('script');
                   s.textContent = 'window.__inlineRan = true';
                   document.body.append(s); }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.__inlineRan === undefined")
    assert any("script-src" in violation for violation in watched.csp_violations)


# Expression, then the result or the start of the error it shows.
_RESULTS_AND_ERRORS = [
    ("1+1", "2", None),
    ("1/0", None, "Cannot divide by zero."),
    ("", None, "Type an expression first"),
    ("sqrt(-1)", None, "That result is undefined."),
    ("6*7", "42", None),
    ("99999^99999^9", None, "The result is too large"),
]
# A sentence with a long detail: it scrolls inside the result's place.
_LONG_ERROR = ("1+", None, "The expression isn’t complete")


@pytest.mark.parametrize(
    ("width", "cases"),
    [(1280, [*_RESULTS_AND_ERRORS, _LONG_ERROR]), (390, [*_RESULTS_AND_ERRORS, _LONG_ERROR])],
    ids=["1280", "390"],
)
def test_errors_do_not_move_the_keypad(
    open_page: OpenPage,
    nginx_server: Server,
    width: int,
    cases: list[tuple[str, str | None, str | None]],
) -> None:
    """An error takes the result's place without moving the keypad under the pointer:
    the = key stays where it was for results, errors with and without the server's detail,
    and the next result, on a desktop and on a phone."""
    watched = load(open_page, nginx_server, width=width, height=900)
    page = watched.page
    equals = key(page, "=")
    top = equals.bounding_box()
    assert top is not None
    for expression, result, error in cases:
        page.locator("#expression").fill(expression)
        page.locator("#expression").press("Enter")
        if result is not None:
            expect(page.locator("#result")).to_have_text(result)
        else:
            expect(page.get_by_role("alert")).to_contain_text(str(error))
        box = equals.bounding_box()
        assert box is not None
        assert box["y"] == top["y"], (
            f"the keypad moved {box['y'] - top['y']:+}px for {expression!r}"
        )
    assert watched.problems(allow_api_status_errors=True) == []


def test_no_horizontal_scroll_from_360px(open_page: OpenPage, nginx_server: Server) -> None:
    """At 360, 390, 768 and 1280 px wide nothing overflows sideways, even with a
    100-digit result (the precision chosen in the Digits menu)."""
    for width in (360, 390, 768, 1280):
        watched = load(open_page, nginx_server, width=width, height=800)
        page = watched.page
        page.get_by_label("Digits", exact=True).select_option("100")
        page.locator("#expression").fill("sqrt(2)")
        page.locator("#expression").press("Enter")
        expect(page.locator("#result-note")).to_contain_text("Rounded to 100 digits")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{overflow}px of horizontal overflow at {width}px"


def test_permalink_opens_evaluated_and_follows_the_calculation(
    open_page: OpenPage, nginx_server: Server
) -> None:
    """/?q=2^100 opens with 2^100 calculated (without adding it to the history); the
    address follows each calculation, so copying it shares what is on screen, and AC
    clears it. The page still runs no inline script (the CSP watcher sees nothing)."""
    watched = load(open_page, nginx_server, path="/?q=2^100")
    page = watched.page
    expect(page.locator("#expression")).to_have_value("2^100")
    expected = page.request.post(
        nginx_server.url + "/api/v1/evaluate", data={"expression": "2^100"}
    ).json()["result"]
    expect(page.locator("#result")).to_have_attribute("data-value", expected)
    expect(page.locator("#history-list .history-item")).to_have_count(0)

    page.locator("#expression").fill("1+2×3")
    page.locator("#expression").press("Enter")
    expect(page.locator("#result")).to_have_attribute("data-value", "7")
    expect(page).to_have_url(re.compile(r"/\?q=1%2B2"))
    shared = page.url
    press_keys(page, "AC")
    expect(page).not_to_have_url(re.compile(r"q="))

    other = open_page()
    other.page.goto(shared)
    expect(other.page.locator("#expression")).to_have_value("1+2×3")
    expect(other.page.locator("#result")).to_have_attribute("data-value", "7")
    assert watched.problems() == []
    assert other.problems() == []


def test_keys_go_in_at_the_caret(open_page: OpenPage, nginx_server: Server) -> None:
    """A keypad key goes in where the caret is, and √ takes the number before the caret;
    the character an error selected is only pointed at, so keys after an error go at the
    end."""
    watched = load(open_page, nginx_server)
    page = watched.page
    field = page.locator("#expression")
    field.fill("129")
    field.press("ArrowLeft")
    press_keys(page, "+")
    expect(field).to_have_value("12+9")
    field.press("End")
    press_keys(page, "√")
    expect(field).to_have_value("12+sqrt(9)")
    field.press("Home")
    press_keys(page, "√")
    expect(field).to_have_value("sqrt(12+sqrt(9)")

    field.fill("2*(3+")
    field.press("Enter")
    expect(field).to_have_attribute("aria-invalid", "true")
    press_keys(page, "4")
    expect(field).to_have_value("2*(3+)4")
    assert watched.problems(allow_api_status_errors=True) == []


def test_digits_menu_follows_the_servers_precision_range(
    open_page: OpenPage, nginx_server: Server
) -> None:
    """The Digits menu offers only the precisions /api/v1/operations accepts and starts at
    its default: the range has one home, the backend's limits."""
    watched = open_page()
    page = watched.page
    answer = requests.get(nginx_server.url + "/api/v1/operations", timeout=5).json()
    answer["precision"] = {"default": 30, "min": 5, "max": 50}
    page.route("**/api/v1/operations", lambda route: route.fulfill(json=answer))
    page.goto(nginx_server.url + "/")
    menu = page.locator("#precision")
    expect(menu).to_have_value("30")
    offered = menu.evaluate("m => [...m.options].filter(o => !o.disabled).map(o => o.value)")
    assert offered == ["12", "28", "30", "50"]
    assert watched.problems() == []
