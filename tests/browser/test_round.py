"""The monthly round as a newcomer meets it (issue #22), in Debian's Chromium at 1366×768 and
375×812, signed in with the demo users that ``tracker demo load`` made and printed: the pages
open on a date that shows something and say why, the checkpoints are one click away, the
progress form's date is accepted as it stands, its errors stand by their fields, a save keeps
the page where it was (with and without JavaScript), times are local, and 提交并冻结 asks first.

The server and browser come from ``tests/browser/conftest.py``; the demo ledgers of 2025 reach
2025-06-30, and "today" is after 2025.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.browser.signing_in import sign_in

SIZES = [(1366, 768), (375, 812)]
PROJECT = "中央引导地方科技发展资金"  # the demo unit's 2025 project: 24 indicators


@pytest.fixture(scope="module")
def demo(server_env: dict[str, str]) -> dict[str, str]:
    """The demo users' passwords, from the file ``tracker demo load`` wrote (mode 600)."""
    path = Path(server_env["TRACKER_INSTANCE_PATH"]) / "demo-users.txt"
    assert path.stat().st_mode & 0o777 == 0o600
    return {name: password for name, _role, password in
            (line.split() for line in path.read_text(encoding="utf-8").splitlines())}


def _query(env: dict[str, str], sql: str, *args: object) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(env["TRACKER_DATABASE_URL"].removeprefix("sqlite:///")) as connection:
        return connection.execute(sql, args).fetchall()




def _fits(page, width: int) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("size", SIZES)
def test_the_cockpit_opens_on_the_date_the_ledgers_cover(server: str, browser, demo, size) -> None:  # type: ignore[no-untyped-def]
    context, page, problems = sign_in(browser, server, "demo-leader", demo["demo-leader"], size)
    assert page.url.endswith("/cockpit")  # a leader lands on the cockpit, no parameters
    assert "领导驾驶舱 · 2025 年 · 截至 2025-06-30" in page.locator("h1").inner_text()
    basis = page.locator("#date-basis")
    assert basis.is_visible() and "这是已导入台账覆盖到的最新日期" in basis.inner_text()
    red = int(page.locator(".status-counts .counts a").nth(0).inner_text().split()[-1])
    yellow = int(page.locator(".status-counts .counts a").nth(1).inner_text().split()[-1])
    assert red + yellow > 0  # the laggards show without typing a date
    assert page.locator("#laggards").is_visible()
    page.click("#date-basis a:text-is('3月底')")
    page.wait_for_load_state()
    assert "截至 2025-03-31" in page.locator("h1").inner_text()
    assert "显示截至所选日期 2025-03-31 的情况。" in page.locator("#date-basis").inner_text()
    _fits(page, size[0])
    assert problems == []
    context.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_monitoring_overview_opens_on_the_latest_year_with_projects(server: str, browser, demo, size) -> None:  # type: ignore[no-untyped-def]
    context, page, problems = sign_in(browser, server, "demo-leader", demo["demo-leader"], size)
    page.click(".mainnav a:text-is('运行监控')")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "运行监控 · 2025-06-30"
    assert "没有可监控的项目" not in page.content()
    total = int(page.locator(".counts a").first.inner_text().split()[-1])
    assert total == 20
    page.click("#date-basis a:text-is('10月底')")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "运行监控 · 2025-10-31"
    _fits(page, size[0])
    assert problems == []
    context.close()


def _progress(server_env: dict[str, str]) -> tuple[int, list[tuple[int, str, str | None]]]:
    """The demo project's id and its indicators (id, kind, unit) in page order."""
    project = _query(server_env, "select id from project where name = ? and year = 2025", PROJECT)[0][0]
    return project, _query(server_env, "select id, kind, target_unit from indicator where project_id = ? "
                                       "order by position, id", project)


def _top(page, selector: str) -> float:  # type: ignore[no-untyped-def]
    return page.evaluate(f"document.querySelector('{selector}').getBoundingClientRect().top")


@pytest.mark.parametrize("size", SIZES)
def test_a_unit_saves_one_indicator_where_it_is(server: str, server_env, browser, demo, size) -> None:  # type: ignore[no-untyped-def]
    project, indicators = _progress(server_env)
    # a % indicator in the middle of the page (at the bottom the page cannot scroll further)
    percent = [iid for iid, kind, unit in indicators if kind == "quantitative" and unit == "%"][1]
    context, page, problems = sign_in(browser, server, "demo-unit", demo["demo-unit"], size)
    page.goto(f"{server}/projects/{project}/progress")
    card = f"#indicator-{percent}"
    # the date defaults to the monitoring date of the project's year (2025), which the server takes
    assert page.locator(f"{card} input[name=reported_on]").input_value() == "2025-06-30"
    page.locator(card).scroll_into_view_if_needed()
    page.evaluate(f"document.querySelector('{card}').scrollIntoView({{block: 'center'}})")
    scrolled, before = page.evaluate("window.scrollY"), _top(page, card)
    assert scrolled > 500  # far down a long page

    page.fill(f"{card} input[name=value]", "95个")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.click(f"{card} button[type=submit]")
    error = page.locator(f"#error-{percent}-value")
    error.wait_for()
    assert error.inner_text() == "当前完成值单位“个”与年度指标值单位“%”不一致，请换算后填写"
    field = page.locator(f"{card} input[name=value]").bounding_box()
    shown = error.bounding_box()
    assert 0 <= shown["y"] - (field["y"] + field["height"]) < 40  # right under its field
    assert page.locator(f"{card} input[name=value]").input_value() == "95个"  # what was typed is kept
    assert abs(_top(page, card) - before) < 2 and page.evaluate("window.scrollY") == scrolled

    page.fill(f"{card} input[name=value]", "95％")  # a full-width percent sign is fine
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.click(f"{card} button[type=submit]")
    page.locator(f"{card} .saved").wait_for()
    assert "已保存完成值" in page.locator(f"{card} .saved").inner_text()
    assert "95 %" in page.locator(f"{card} p").first.inner_text()
    assert abs(_top(page, card) - before) < 2 and page.evaluate("window.scrollY") == scrolled
    _fits(page, size[0])
    # the refused save answered 400 (Chromium logs that); nothing else went wrong
    assert [p for p in problems if "status of 400" not in p] == []
    context.close()


@pytest.mark.parametrize("size", SIZES)
def test_without_javascript_a_save_returns_to_its_card(server: str, server_env, browser, demo, size) -> None:  # type: ignore[no-untyped-def]
    project, indicators = _progress(server_env)
    counted = [iid for iid, kind, _unit in indicators if kind == "quantitative"][-2]
    context, page, _ = sign_in(browser, server, "demo-unit", demo["demo-unit"], size, javascript=False)
    page.goto(f"{server}/projects/{project}/progress")
    card = f"#indicator-{counted}"
    page.locator(card).scroll_into_view_if_needed()
    page.fill(f"{card} input[name=value]", "许多")
    page.click(f"{card} button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith(f"#indicator-{counted}")
    assert page.locator(f"#error-{counted}-value").inner_text() == "当前完成值应为数字（可带单位），当前为“许多”"
    assert page.locator(f"#error-{counted}-value").is_visible()
    top = page.locator(card).bounding_box()["y"]
    assert 0 <= top < size[1] / 2 and page.evaluate("window.scrollY") > 500  # the card, not the page top

    page.fill(f"{card} input[name=value]", "3")
    page.click(f"{card} button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith(f"?saved={counted}#indicator-{counted}")
    assert page.locator(f"{card} .saved").is_visible()
    assert 0 <= page.locator(card).bounding_box()["y"] < size[1] / 2
    context.close()


@pytest.mark.parametrize("size", SIZES)
def test_times_are_local(server: str, server_env, browser, demo, size) -> None:  # type: ignore[no-untyped-def]
    stored = _query(server_env, "select imported_at from ledger_batch order by id")
    expected = [datetime.fromisoformat(str(s)).replace(tzinfo=UTC).astimezone(ZoneInfo("Asia/Shanghai"))
                .strftime("%Y-%m-%d %H:%M") for (s,) in stored]
    context, page, problems = sign_in(browser, server, "demo-finance", demo["demo-finance"], size)
    page.goto(server + "/ledger/batches")
    text = page.locator("main").inner_text()
    assert "UTC" not in text
    for moment in expected:
        assert moment in text
    assert problems == []
    context.close()


@pytest.mark.parametrize("size", SIZES)
def test_freezing_asks_first(server: str, server_env, browser, demo, size) -> None:  # type: ignore[no-untyped-def]
    project, _ = _progress(server_env)
    context, page, problems = sign_in(browser, server, "demo-unit", demo["demo-unit"], size)
    page.goto(f"{server}/projects/{project}/evaluation")
    if page.locator("button:text-is('创建自评草稿')").count():
        page.click("button:text-is('创建自评草稿')")
        page.wait_for_load_state()
    asked: list[str] = []

    def dismiss(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.click("button:text-is('提交并冻结')")
    page.wait_for_timeout(300)
    assert asked and asked[0].startswith("提交并冻结第") and "提交后不能再修改" in asked[0]
    assert _query(server_env, "select count(*) from evaluation where project_id = ? and frozen_at is not null",
                  project)[0][0] == 0  # dismissed: nothing frozen
    assert page.locator("button:text-is('提交并冻结')").is_visible()
    assert problems == []
    context.close()
