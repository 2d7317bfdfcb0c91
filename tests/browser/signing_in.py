"""Signing in through the real login form, for every browser test."""

from __future__ import annotations

from typing import Any


def sign_in(browser: Any, server: str, username: str, password: str,
            size: tuple[int, int] | None = None, javascript: bool = True) -> tuple[Any, Any, list[str]]:
    """A new browser context (``size`` = viewport, JavaScript on or off) signed in as
    ``username``; returns (context, page, problems): ``problems`` collects console errors and
    script errors from then on."""
    options: dict[str, Any] = {"java_script_enabled": javascript}
    if size is not None:
        options["viewport"] = {"width": size[0], "height": size[1]}
    context = browser.new_context(**options)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(server + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()[:500]
    return context, page, problems
