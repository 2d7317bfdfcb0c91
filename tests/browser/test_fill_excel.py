"""填报表 in Excel through the page (issue #17), in Debian's Chromium: the demo unit's clerk
downloads the workbook, fills it (openpyxl standing in for Excel), uploads it, sees the
preview — a refused workbook first, then a good one — and confirms.

The server and browser come from ``tests/browser/conftest.py``; the demo ledgers of 2025
reach 2025-06-30.
"""

from __future__ import annotations

import sqlite3
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"


@pytest.fixture(scope="module")
def demo(server_env: dict[str, str]) -> dict[str, str]:
    path = Path(server_env["TRACKER_INSTANCE_PATH"]) / "demo-users.txt"
    return {name: password for name, _role, password in
            (line.split() for line in path.read_text(encoding="utf-8").splitlines())}


def _query(env: dict[str, str], sql: str, *args: object) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(env["TRACKER_DATABASE_URL"].removeprefix("sqlite:///")) as connection:
        return connection.execute(sql, args).fetchall()


def _filled(data: bytes, value: object) -> tuple[bytes, str]:
    """The workbook with ``value`` as 本次完成值 of its first quantitative indicator that has
    a unit; and that indicator's name."""
    book = load_workbook(BytesIO(data))
    sheet = book["指标填报"]
    header = {c.value: c.column - 1 for c in sheet[2]}
    for row in sheet.iter_rows(min_row=3):
        if row[header["指标类型"]].value == "定量" and row[header["计量单位"]].value not in (None, "%"):
            row[header["本次完成值"]].value = value
            row[header["备注"]].value = "浏览器测试"
            out = BytesIO()
            book.save(out)
            return out.getvalue(), str(row[header["三级指标"]].value)
    raise AssertionError("no quantitative indicator with a unit in the demo workbook")


def test_a_clerk_downloads_fills_and_uploads_the_workbook(server: str, server_env, browser, demo, tmp_path) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(server + "/login")
    page.fill("input[name=username]", "demo-unit")
    page.fill("input[name=password]", demo["demo-unit"])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(server + "/monitoring?as_of=2025-06-30")
    page.click("text=下载填报表")
    page.fill("input[name=as_of]", "2025-06-30")
    with page.expect_download() as download:
        page.click("button:has-text('下载填报表')")
    workbook = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.endswith("_填报表_2025-06-30.xlsx")

    refused, _ = _filled(workbook, "5%")  # a percentage against a count
    (tmp_path / "refused.xlsx").write_bytes(refused)
    page.goto(server + "/monitoring/fill")
    page.set_input_files("input[name=file]", str(tmp_path / "refused.xlsx"))
    page.click("button:has-text('上传并预览')")
    page.wait_for_load_state()
    assert page.locator("#refusals").is_visible()
    assert "不一致，请换算后填写" in page.locator("#refusals").inner_text()
    assert page.locator("button:has-text('确认保存')").count() == 0

    good, name = _filled(workbook, 3)
    (tmp_path / "good.xlsx").write_bytes(good)
    page.goto(server + "/monitoring/fill")
    page.set_input_files("input[name=file]", str(tmp_path / "good.xlsx"))
    page.click("button:has-text('上传并预览')")
    page.wait_for_load_state()
    changes = page.locator("#changes").inner_text()
    assert name in changes and "2025-06-30" in changes
    assert not _query(server_env, "SELECT id FROM progress_report WHERE note = '浏览器测试'")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "fill-excel-preview.png"), full_page=True)
    page.click("button:has-text('确认保存')")
    page.wait_for_load_state()
    assert "已保存填报表：1 项改动" in page.content()
    saved = _query(server_env, "SELECT p.actor, p.reported_on FROM progress_report p JOIN indicator i "
                               "ON i.id = p.indicator_id WHERE p.note = '浏览器测试' AND i.name = ?", name)
    assert saved == [("demo-unit", "2025-06-30")]
    assert problems == []
    context.close()
