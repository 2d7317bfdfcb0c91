"""In Debian's Chromium, driven by Playwright: sign in, the project list, a phone-width view.

Runs a real server process (waitress via ``tracker serve``) on a free loopback port against its
own SQLite database with the seed documents loaded."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed")]
PASSWORD = "browser-test-pass"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    instance = tmp_path_factory.mktemp("browser-instance")
    env = {**os.environ, "TRACKER_INSTANCE_PATH": str(instance),
           "TRACKER_DATABASE_URL": f"sqlite:///{instance / 'tracker.db'}"}
    tracker = [sys.executable, "-m", "tracker.cli"]
    for args in (["db", "upgrade"], ["user", "create", "--username", "leader", "--role", "leader",
                                      "--password", PASSWORD], ["demo", "load"]):
        subprocess.run(tracker + args, env=env, check=True, capture_output=True, timeout=180)
    port = _free_port()
    process = subprocess.Popen(tracker + ["serve", "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"])
        yield chromium
        chromium.close()


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
