"""The department 自评 page (issue #23) on a phone, in Debian's Chromium at 375×812 and 1366×768:
a unit clerk of seed 002's 高新区科技局 opens its 2023 department 自评, makes the draft and reads
the indicator table — on a phone one card per indicator (no column squeezed to a character
per line, nothing wider than the screen), on a desk the table as printed.

The server, browser and demo data (all five seeds) come from ``tests/browser/conftest.py``;
the clerk is made here."""

from __future__ import annotations

import sqlite3

import pytest

from tests.browser.conftest import run_tracker
from tests.browser.signing_in import sign_in

SIZES = [(1366, 768), (375, 812)]
PASSWORD = "browser-department-pass"
UNIT = "高新区科技局"


def _query(env: dict[str, str], sql: str, *args: object) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(env["TRACKER_DATABASE_URL"].removeprefix("sqlite:///")) as connection:
        return connection.execute(sql, args).fetchall()


@pytest.fixture(scope="module")
def department(server_env: dict[str, str]) -> int:
    """The 2023 department year of 高新区科技局, with a unit clerk of it (``dept-clerk``)."""
    (unit_id, record_id), = _query(server_env, """
        SELECT u.id, d.id FROM unit u JOIN department_year d ON d.unit_id = u.id
        WHERE u.name = ? AND d.year = 2023""", UNIT)
    if not _query(server_env, "SELECT 1 FROM app_user WHERE username = 'dept-clerk'"):
        run_tracker(server_env, "user", "create", "--username", "dept-clerk", "--role", "unit_staff",
                    "--password", PASSWORD, "--unit", str(unit_id))
    return record_id


@pytest.mark.parametrize("size", SIZES)
def test_the_department_self_evaluation_reads_on_a_phone(server: str, browser, department, size) -> None:  # type: ignore[no-untyped-def]
    context, page, problems = sign_in(browser, server, "dept-clerk", PASSWORD, size)
    page.goto(f"{server}/departments/{department}/evaluation")
    create = page.locator("button:text-is('创建部门整体自评草稿')")
    if create.count():  # the first size makes the draft, the second finds it
        create.click()
        page.wait_for_load_state()
    assert "草稿" in page.locator("main").inner_text()
    width = size[0]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    table = page.locator("table.stack-phone")
    names = table.locator("td.indicator-name")
    assert names.count() == 6 and "高新技术企业新增" in names.nth(0).inner_text()
    if width < 600:  # one card per indicator: the table fits, each cell says its column
        assert table.evaluate("t => t.scrollWidth <= t.parentElement.clientWidth")
        assert names.nth(0).bounding_box()["width"] > width / 2
        assert table.locator("thead").is_hidden()
        label = table.locator("td[data-label='年度指标值']").nth(0)
        assert label.evaluate("e => getComputedStyle(e, '::before').content").startswith('"年度指标值')
    else:  # the table as printed: its header row shows
        assert table.locator("thead").is_visible()
    textarea = table.locator("textarea").nth(0)
    assert textarea.bounding_box()["x"] + textarea.bounding_box()["width"] <= width
    assert not problems, problems
    context.close()
