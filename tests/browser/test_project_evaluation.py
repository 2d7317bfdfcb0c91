"""The project 自评 page on a phone, in Debian's Chromium at 375×812 and 1366×768: a unit clerk
of seed 000's 唐山市路南区科学技术局 opens the 2025 自评 of one of its projects, makes the draft and
reads the indicator table — on a phone one card per indicator (the page no wider than the
screen), on a desk the table as printed.  Same layout as the 部门整体 自评 (one macro)."""

from __future__ import annotations

import sqlite3

import pytest

from tests.browser.conftest import run_tracker
from tests.browser.signing_in import sign_in

SIZES = [(1366, 768), (375, 812)]
PASSWORD = "browser-project-eval-pass"
UNIT = "唐山市路南区科学技术局"


def _query(env: dict[str, str], sql: str, *args: object) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(env["TRACKER_DATABASE_URL"].removeprefix("sqlite:///")) as connection:
        return connection.execute(sql, args).fetchall()


@pytest.fixture(scope="module")
def project(server_env: dict[str, str]) -> tuple[int, int]:
    """A 2025 project of 唐山市路南区科学技术局 and its number of indicators, with a unit clerk of
    the unit (``eval-clerk``)."""
    (unit_id, project_id, indicators), = _query(server_env, """
        SELECT u.id, p.id, (SELECT count(*) FROM indicator i WHERE i.project_id = p.id)
        FROM unit u JOIN project p ON p.unit_id = u.id
        WHERE u.name = ? AND p.year = 2025 ORDER BY p.id LIMIT 1""", UNIT)
    if not _query(server_env, "SELECT 1 FROM app_user WHERE username = 'eval-clerk'"):
        run_tracker(server_env, "user", "create", "--username", "eval-clerk", "--role", "unit_staff",
                    "--password", PASSWORD, "--unit", str(unit_id))
    return project_id, indicators


@pytest.mark.parametrize("size", SIZES)
def test_the_project_self_evaluation_reads_on_a_phone(server: str, browser, project, size) -> None:  # type: ignore[no-untyped-def]
    project_id, indicators = project
    context, page, problems = sign_in(browser, server, "eval-clerk", PASSWORD, size)
    page.goto(f"{server}/projects/{project_id}/evaluation")
    create = page.locator("button:text-is('创建自评草稿')")
    if create.count():  # the first size makes the draft, the second finds it
        create.click()
        page.wait_for_load_state()
    assert "草稿" in page.locator("main").inner_text()
    width = size[0]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    table = page.locator("table.stack-phone")
    names = table.locator("td.indicator-name")
    assert names.count() == indicators > 0
    if width < 600:  # one card per indicator: the table fits, each cell says its column
        assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
        assert names.nth(0).bounding_box()["width"] > width / 2
        assert table.locator("thead").is_hidden()
        label = table.locator("td[data-label='年度指标值']").nth(0)
        assert label.evaluate("e => getComputedStyle(e, '::before').content").startswith('"年度指标值')
    else:  # the table as printed: its header row shows
        assert table.locator("thead").is_visible()
    assert not problems, problems
    context.close()
