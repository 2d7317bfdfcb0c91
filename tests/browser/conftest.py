"""Shared by the browser tests: one real server (waitress via ``tracker serve``) on a free
loopback port with its own SQLite database and the demo data, a leader to sign in as, and
Debian's Chromium driven by Playwright (never a downloaded browser)."""

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
LEADER_PASSWORD = "browser-test-pass"
#: Screenshots for people to look at (ignored by git).
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)
            if not Path(CHROMIUM).exists():
                item.add_marker(pytest.mark.skip(reason="Debian chromium not installed"))


@pytest.fixture(scope="session")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of the browser tests' server: its own instance folder and SQLite
    database, migrated, with a leader and the demo data."""
    instance = tmp_path_factory.mktemp("browser-instance")
    env = {**os.environ, "TRACKER_INSTANCE_PATH": str(instance),
           "TRACKER_DATABASE_URL": f"sqlite:///{instance / 'tracker.db'}"}
    for args in (["db", "upgrade"], ["user", "create", "--username", "leader", "--role", "leader",
                                      "--password", LEADER_PASSWORD], ["demo", "load"]):
        run_tracker(env, *args)
    return env


@pytest.fixture(scope="session")
def server(server_env: dict[str, str]) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "tracker.cli", "serve", "--port", str(port)],
                               env=server_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def run_tracker(env: dict[str, str], *args: str) -> str:
    """``tracker ARGS`` against the browser tests' server database; returns stdout."""
    done = subprocess.run([sys.executable, "-m", "tracker.cli", *args], env=env, check=True,
                          capture_output=True, text=True, timeout=180)
    return done.stdout


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"])
        yield chromium
        chromium.close()
