"""In Debian's Chromium, driven by Playwright: sign in, the project list, a phone-width view.

The server and browser come from ``tests/browser/conftest.py``."""

from __future__ import annotations

import pytest

from tests.browser.conftest import LEADER_PASSWORD as PASSWORD


def _sign_in(page, base: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/login")
    page.fill("input[name=username]", "leader")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(base + "/cockpit*")  # a leader lands on the cockpit


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (375, 740)])
def test_project_list_fits_the_screen(server: str, browser, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": width, "height": height})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    _sign_in(page, server)
    page.goto(server + "/projects?year=2025")
    assert page.locator("table.data tbody tr").count() == 20  # seeds 000, 003, 004
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.click("text=劳务费")
    assert "目标审核发现" in page.content()
    assert problems == []  # no CSP violations, no script errors
    page.close()


def test_wrong_password_stays_on_login(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page()
    page.goto(server + "/login")
    page.fill("input[name=username]", "leader")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert "用户名或密码不正确" in page.content()
    page.close()
