"""The daily workflows as a person does them, in Debian's Chromium: finance uploads a target
document and a ledger through the real forms; a leader drills from a red bar of the cockpit to
the ledger rows behind it; unit staff record a 偏差说明 and cannot reach another unit's project.
Screenshots of the cockpit and a project page at both widths go to ``screenshots/``.

The new documents are for 2024, so the demo year (2025) the cockpit tests count stays as it is.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from tests.browser.conftest import LEADER_PASSWORD, SCREENSHOTS, run_tracker
from tests.browser.signing_in import sign_in

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
PASSWORD = "workflow-pass-1"




def _unit_id(env: dict[str, str], name: str) -> int:
    database = env["TRACKER_DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        return connection.execute("select id from unit where name = ?", (name,)).fetchone()[0]


@pytest.fixture(scope="module")
def people(server_env: dict[str, str]) -> dict[str, object]:
    """A finance clerk, and unit staff of the unit of a project that is red or yellow on
    2025-06-30 (found through ``tracker check``), plus a project of another unit."""
    checked = json.loads(run_tracker(server_env, "check", "--as-of", "2025-06-30", "--json"))
    flagged = next(r for r in checked if r["status"] in ("red", "yellow"))
    other = next(r for r in checked if r["unit"]["name"] != flagged["unit"]["name"])
    run_tracker(server_env, "user", "create", "--username", "clerk", "--role", "finance",
                "--password", PASSWORD)
    run_tracker(server_env, "user", "create", "--username", "staff", "--role", "unit_staff",
                "--password", PASSWORD, "--unit", str(_unit_id(server_env, flagged["unit"]["name"])))
    return {"flagged": flagged, "other": other}


def test_finance_imports_targets_and_a_ledger_through_the_forms(server: str, browser, people, tmp_path) -> None:  # type: ignore[no-untyped-def]
    # a 2024 edition of a seed document, of a unit of its own
    text = (SEEDS / "004_543d86f9f0ad9464.txt").read_text(encoding="utf-8")
    document = tmp_path / "2024年浏览器市项目绩效目标.txt"
    document.write_text(text.replace("2025", "2024").replace("石嘴山市", "浏览器市"), encoding="utf-8")
    context, page, problems = sign_in(browser, server, "clerk", PASSWORD)
    page.goto(server + "/imports/targets")
    page.set_input_files("input[name=files]", str(document))
    page.click("button:has-text('预览')")
    page.wait_for_selector("button:has-text('确认导入')")
    assert "创新驱动、科技发展业务经费" in page.content()
    page.click("button:has-text('确认导入')")
    page.wait_for_load_state()
    assert re.search(r"新建\s*\d+", page.inner_text("body")) or "已导入" in page.inner_text("body")

    ledger = tmp_path / "浏览器市2024年支付明细.csv"
    ledger.write_text("业务日期,凭证编号,实施单位,项目名称,摘要,金额（元）\n"
                      "2024-03-15,0001,205001-浏览器市科学技术局,创新驱动、科技发展业务经费,培训场地费,\"12,000.00\"\n"
                      "2024-05-20,0002,205001-浏览器市科学技术局,创新驱动、科技发展业务经费,专家咨询费,\"3,500.00\"\n",
                      encoding="gbk")
    page.goto(server + "/ledger/import")
    page.set_input_files("input[name=file]", str(ledger))
    page.select_option("select[name=unit]", label=next(
        o for o in page.eval_on_selector_all("select[name=unit] option", "os => os.map(o => o.textContent)")
        if "浏览器市科学技术局" in o))
    page.fill("input[name=period]", "2024-01-01..2024-06-30")
    page.click("button:has-text('预览')")
    page.wait_for_selector("button:has-text('确认导入')")
    body = page.inner_text("body")
    assert "15,500.00" in body or "15500.00" in body
    page.click("button:has-text('确认导入')")
    page.wait_for_load_state()
    page.goto(server + "/ledger/batches")
    assert "浏览器市2024年支付明细.csv" in page.inner_text("body")
    assert problems == []
    context.close()


def test_leader_drills_from_a_red_bar_to_the_ledger_rows(server: str, browser, people) -> None:  # type: ignore[no-untyped-def]
    context, page, problems = sign_in(browser, server, "leader", LEADER_PASSWORD)
    page.goto(server + "/cockpit?year=2025&as_of=2025-06-30")
    page.wait_for_selector("#chart-ranking .barlayer .point path")
    # the bars are ranked worst first: the first one is the worst project (red in the demo)
    bar = page.locator("#chart-ranking .barlayer .point path").first
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**/projects/*/monitoring?as_of=2025-06-30")
    assert "红灯" in page.inner_text("body")
    page.click("a[title='查看构成这笔支出的台账行']")
    page.wait_for_url("**/projects/*/ledger*")
    rows = page.locator("table.data tbody tr")
    assert rows.count() >= 1
    assert re.search(r"\d{4}-\d{2}-\d{2}", rows.first.inner_text())
    assert problems == []
    context.close()


def test_unit_staff_record_an_explanation_and_cannot_reach_another_unit(server: str, browser, people) -> None:  # type: ignore[no-untyped-def]
    flagged, other = people["flagged"], people["other"]
    context, page, problems = sign_in(browser, server, "staff", PASSWORD)
    page.goto(f"{server}/projects/{flagged['project_id']}/explanation?as_of=2025-06-30")
    page.check("input[name=causes][value=funding]")
    page.check("input[name=likelihood][value=possible]")
    page.fill("textarea[name=reason]", "上半年项目合同签订滞后，资金拨付推迟。")
    page.fill("textarea[name=corrective_actions]", "7月完成合同签订，8月前拨付首笔资金。")
    for field in page.locator("input[name^=forecast_]").all():
        field.fill("预计年底完成")
    page.click("button:has-text('保存偏差说明')")
    page.wait_for_url("**/projects/*/monitoring*")
    body = page.inner_text("body")
    assert "已保存偏差说明" in body and "7月完成合同签订" in body

    response = page.goto(f"{server}/projects/{other['project_id']}")
    assert response.status == 404  # not 403: the project's existence is not revealed
    response = page.goto(f"{server}/projects/{other['project_id']}/monitoring")
    assert response.status == 404
    assert [p for p in problems if "404" not in p] == []
    context.close()


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (375, 740)])
def test_screenshots_for_people(server: str, browser, people, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    """Not an assertion of looks: pictures to look at (Chinese renders, nothing overlaps)."""
    context, page, problems = sign_in(browser, server, "leader", LEADER_PASSWORD)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": width, "height": height})
    page.goto(server + "/cockpit?year=2025&as_of=2025-06-30")
    page.wait_for_selector("#chart-ranking .barlayer .point path")
    page.wait_for_timeout(500)
    page.screenshot(path=str(SCREENSHOTS / f"cockpit-{width}.png"), full_page=True)
    page.goto(f"{server}/projects/{people['flagged']['project_id']}/monitoring?as_of=2025-06-30")
    page.screenshot(path=str(SCREENSHOTS / f"project-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert problems == []
    context.close()
