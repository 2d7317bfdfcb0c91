"""领导驾驶舱 in Debian's Chromium: the Plotly charts draw under the CSP, fit a phone, a bar
click opens the project, and the page prepares for paper.

The server and browser come from ``tests/browser/conftest.py``."""

from __future__ import annotations

import time

import pytest

from tests.browser.conftest import LEADER_PASSWORD as PASSWORD

COCKPIT = "/cockpit?year=2025&as_of=2025-06-30"  # demo: 20 projects, 3 of them red or yellow



def _wait_until(page, expression: str, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    """Poll from Python: Playwright's wait_for_function evals its predicate inside the page,
    which our Content-Security-Policy (no 'unsafe-eval') rightly refuses."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for: {expression}")

@pytest.fixture(scope="module")
def signed_in(server: str, browser):  # type: ignore[no-untyped-def]
    """One browser context for the module, signed in as a leader: the pages share the
    session cookie and the cached Plotly bundle."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/login")
    page.fill("input[name=username]", "leader")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server + "/cockpit")  # a leader lands on the cockpit
    page.close()
    yield context
    context.close()


def _open(context, server: str, width: int = 1366, height: int = 768):  # type: ignore[no-untyped-def]
    """The cockpit at ``COCKPIT``, drawn; console errors (CSP violations too) are collected."""
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(server + COCKPIT)
    page.wait_for_selector("#chart-ranking .barlayer .point")
    _wait_until(page, "document.querySelectorAll('.js-plotly-plot').length === 4")
    return page, problems


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (375, 740)])
def test_every_chart_draws_and_the_page_fits(server: str, signed_in, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    page, problems = _open(signed_in, server, width, height)
    assert page.locator(".js-plotly-plot").count() == 4
    assert page.locator("#chart-ranking .barlayer .point").count() == 20
    assert page.locator("#chart-heatmap .hm, #chart-heatmap image").count() >= 1
    assert page.locator("#chart-curve .scatterlayer .trace").count() == 4
    buttons = page.evaluate("[...document.querySelectorAll('.modebar-btn')].map(b => b.dataset.title)")
    if width >= 600:
        assert buttons and set(buttons) == {"Download plot as a PNG"}  # no “Share chart…” to the cloud
    else:  # on a phone the mode bar would cover the 12月底 and 100% labels (#22): none
        assert buttons == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    widths = page.evaluate("[...document.querySelectorAll('.js-plotly-plot')]"
                           ".map(p => p.getBoundingClientRect().right)")
    assert max(widths) <= width
    assert problems == []  # no CSP violation, no script error
    page.close()


def test_a_bar_opens_its_project(server: str, signed_in) -> None:  # type: ignore[no-untyped-def]
    page, problems = _open(signed_in, server)
    bar = page.locator("#chart-ranking .barlayer .point path").first
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**/projects/*/monitoring?as_of=2025-06-30")
    assert "运行监控" in page.title()
    assert problems == []
    page.close()


#: every chart drawn as wide as its box in the screen layout, the full-width ranking wider than paper
FITS_SCREEN = ("[...document.querySelectorAll('.js-plotly-plot')].every(p => "
               "Math.abs(p._fullLayout.width - p.getBoundingClientRect().width) < 1) && "
               "Math.max(...[...document.querySelectorAll('.js-plotly-plot')].map(p => p._fullLayout.width)) > 680")


def test_printing_redraws_the_charts_for_paper(server: str, signed_in) -> None:  # type: ignore[no-untyped-def]
    page, problems = _open(signed_in, server)
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    widths = page.evaluate("[...document.querySelectorAll('.js-plotly-plot')].map(p => p._fullLayout.width)")
    assert widths == [680, 680, 680, 680] and not page.evaluate(FITS_SCREEN)
    page.emulate_media(media="print")
    assert page.locator(".cockpit-filter").is_hidden() and page.locator(".topbar").is_hidden()
    assert page.pdf(format="A4")[:4] == b"%PDF"
    page.emulate_media(media="screen")
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    # redrawn for the screen again: each chart as wide as its box in the screen layout (half-
    # width charts may be narrower than paper; the full-width ranking is wider)
    _wait_until(page, FITS_SCREEN)
    assert problems == []
    page.close()
