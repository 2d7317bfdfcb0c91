"""The monthly round in the browser, the rest of issue #22, in Debian's Chromium at 1366×768 and
375×812: the unmatched queue in groups (count and amount, one decision per group, its rule,
suggestions, pages, an empty assignment refused), no page wider than a phone (wide tables
scroll in their own box), the administrator's navigation on one line at 1366 px (导入 / 台账 /
设置 menus), the cockpit without a mode bar over its labels on a phone, words in Chinese, and
a big upload that shows its progress and cannot be sent twice.

The server, browser and demo data come from ``tests/browser/conftest.py``; an administrator
and an auditor are made here, and a ledger with unmatched rows is imported for a unit the demo
ledgers do not touch (so the other browser tests see the demo as it was)."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.browser.conftest import SCREENSHOTS, run_tracker
from tests.browser.signing_in import sign_in

SIZES = [(1366, 768), (375, 812)]
PASSWORD = "browser-round2-pass"
PROJECT = "中央引导地方科技发展资金"  # the demo unit's 2025 project


def _query(env: dict[str, str], sql: str, *args: object) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(env["TRACKER_DATABASE_URL"].removeprefix("sqlite:///")) as connection:
        return connection.execute(sql, args).fetchall()


@pytest.fixture(scope="module")
def users(server_env: dict[str, str]) -> dict[str, str]:
    """username → password: the demo users, and an administrator and an auditor made here."""
    path = Path(server_env["TRACKER_INSTANCE_PATH"]) / "demo-users.txt"
    logins = {name: password for name, _role, password in
              (line.split() for line in path.read_text(encoding="utf-8").splitlines())}
    for name, role in (("round2-admin", "admin"), ("round2-auditor", "auditor")):
        if not _query(server_env, "SELECT 1 FROM app_user WHERE username = ?", name):
            run_tracker(server_env, "user", "create", "--username", name, "--role", role,
                        "--password", PASSWORD)
        logins[name] = PASSWORD
    return logins


@pytest.fixture(scope="module")
def quiet_unit(server_env: dict[str, str]) -> tuple[int, int, str]:
    """(unit id, year, a project name) of a unit with projects and no ledger yet."""
    unit_id, year, name = _query(server_env, """
        SELECT p.unit_id, p.year, p.name FROM project p
        WHERE p.unit_id NOT IN (SELECT unit_id FROM ledger_batch)
        ORDER BY p.year DESC, p.unit_id, p.id LIMIT 1""")[0]
    return unit_id, year, name




def _page_width(page) -> int:  # type: ignore[no-untyped-def]
    return page.evaluate("document.documentElement.scrollWidth")


OVERFLOWING = """() => Array.from(document.querySelectorAll('body *')).filter(e => {
  const box = e.getBoundingClientRect();
  return box.right > window.innerWidth + 0.5 && !e.closest('.table-wrap, .modebar, svg');
}).slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string'
  ? '.' + e.className.trim().split(/\\s+/).join('.') : '') + ' ' + (e.innerText || '').slice(0, 20))"""


def _flash(page) -> str:  # type: ignore[no-untyped-def]
    return " ".join(page.locator(".flash").all_inner_texts())


# --- the unmatched queue ------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_the_unmatched_queue_in_groups(server: str, server_env, browser, users, quiet_unit, size, tmp_path) -> None:  # type: ignore[no-untyped-def]
    unit_id, year, project_name = quiet_unit
    month = 3 if size[0] == 1366 else 5  # each size its own month: neither replaces the other
    name = f"{project_name}（第{size[0]}期）"  # names the project, not exactly
    lines = [f"{year}-{month:02d}-{day:02d},{day:04d},{name},办公用品{day},\"1,234,567.{day:02d}\""
             for day in (1, 2, 3)]
    lines += [f"{year}-{month:02d}-{day:02d},{day:04d},,付{day}号电费,\"100.00\"" for day in (4, 5)]
    csv = tmp_path / "queue.csv"
    csv.write_text("\ufeff业务日期,凭证编号,项目名称,摘要,金额（元）\n" + "\n".join(lines) + "\n", encoding="utf-8")
    last = 31
    run_tracker(server_env, "import", "ledger", str(csv), "--unit", str(unit_id), "--source", "浏览器测试明细账",
                "--period", f"{year}-{month:02d}-01..{year}-{month:02d}-{last if month != 4 else 30}")
    context, page, problems = sign_in(browser, server, "demo-finance", users["demo-finance"], size)
    page.click("nav.mainnav summary:text-is('台账')")
    page.click("nav.mainnav a:text-is('待匹配')")
    page.wait_for_load_state()
    total = page.locator("#queue-total").inner_text()
    rows, amount = (int(_query(server_env, "SELECT count(*) FROM ledger_row r JOIN ledger_batch b ON b.id = r.batch_id "
                                          "WHERE b.status = 'active' AND r.counts AND r.project_id IS NULL "
                                          "AND r.superseded_by_batch_id IS NULL")[0][0]), None)
    assert re.match(r"共 [\d,]+ 行，合计 [\d,]+\.\d\d 元，按项目名称 / 辅助核算（没有时按摘要）分为 [\d,]+ 组", total), total
    assert f"共 {rows:,} 行" in total
    group = page.locator("form.queue-group", has=page.locator("h2", has_text=name))
    assert "3 行，3,703,701." in group.locator(".group-facts").inner_text()
    assert project_name in group.locator(".suggestions").inner_text()  # the suggestion, carried
    # ticking nothing and assigning the ticked rows is refused, in words
    group.locator("summary").click()
    group.locator("select[name=project_id]").select_option(label=project_name)
    group.locator("button:text-is('只分配勾选的行')").click()
    page.wait_for_load_state()
    assert "未分配：没有选择任何行" in _flash(page) and "已分配 0 行" not in _flash(page)
    # one decision assigns the whole group, and is kept as a rule
    group = page.locator("form.queue-group", has=page.locator("h2", has_text=name))
    group.locator("select[name=project_id]").select_option(label=project_name)
    group.locator("input[name=save_rule]").check()
    group.locator("button[value=group]").click()
    page.wait_for_load_state()
    assert "已分配 3 行，并保存为规则。" in _flash(page)
    assert page.locator("form.queue-group h2", has_text=name).count() == 0
    assert f"共 {rows - 3:,} 行" in page.locator("#queue-total").inner_text()
    assert _query(server_env, "SELECT count(*) FROM match_rule WHERE project_text = ?", name)[0][0] == 1
    # the 摘要 pattern group (付#号电费) is one group, with its keyword offered for the rule
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"unmatched-queue-{size[0]}.png"), full_page=True)
    electricity = page.locator("form.queue-group", has=page.locator("h2", has_text="付#号电费"))
    assert electricity.count() == 1 and electricity.locator("input[name=rule_keyword]").input_value() == "号电费"
    assert _page_width(page) <= size[0]
    assert problems == []
    context.close()


# --- fits a phone, and the administrator's navigation fits one line ------------------------


def _main_pages(env: dict[str, str]) -> list[str]:
    project = _query(env, "SELECT id FROM project WHERE name = ? AND year = 2025", PROJECT)[0][0]
    return ["/", "/cockpit", "/projects", "/projects/quality", "/monitoring", "/alerts", "/reports",
            "/evaluations", "/imports/targets", "/ledger/import", "/ledger/unmatched", "/ledger/batches",
            "/admin/monitoring-settings", "/admin/evaluation-settings", "/admin/users", "/admin/users/new",
            "/audit", "/account/password", f"/projects/{project}", f"/projects/{project}/monitoring",
            f"/projects/{project}/progress", f"/projects/{project}/explanation", f"/projects/{project}/evaluation",
            f"/projects/{project}/ledger", f"/projects/{project}/adjustments", f"/projects/{project}/evidence",
            f"/projects/{project}/audit"]


@pytest.mark.parametrize("username", ["round2-admin", "demo-finance", "demo-leader", "demo-unit", "round2-auditor"])
def test_every_page_fits_a_phone(server: str, server_env, browser, users, username) -> None:  # type: ignore[no-untyped-def]
    context, page, problems = sign_in(browser, server, username, users[username], (375, 812))
    too_wide, seen = [], 0
    for url in _main_pages(server_env):
        response = page.goto(server + url)
        if response.status in (403, 404):
            problems.clear()  # the browser's own line about the refused page
            continue  # not this role's page
        assert response.status == 200, (url, response.status)
        page.wait_for_load_state("load")
        seen += 1
        width = _page_width(page)
        if width > 375:
            too_wide.append((url, width, page.evaluate(OVERFLOWING)))
    assert seen >= 10
    assert too_wide == []
    assert problems == []
    context.close()


def test_the_administrators_navigation_fits_one_line(server: str, browser, users) -> None:  # type: ignore[no-untyped-def]
    context, page, problems = sign_in(browser, server, "round2-admin", users["round2-admin"], (1366, 768))
    page.goto(server + "/projects")
    items = page.locator("nav.mainnav > *")
    tops = {round(box["y"]) for box in (items.nth(i).bounding_box() for i in range(items.count()))}
    assert len(tops) == 1, tops  # one line
    assert page.locator("nav.mainnav > a").all_inner_texts() == ["驾驶舱", "项目", "目标质量", "运行监控", "提醒", "报表", "自评", "部门整体"]
    assert page.locator("nav.mainnav summary").all_inner_texts() == ["导入", "台账", "设置"]
    assert not page.locator("nav.mainnav a:text-is('台账批次')").is_visible()
    page.click("nav.mainnav summary:text-is('台账')")
    assert page.locator("nav.mainnav a:text-is('台账批次')").is_visible()
    page.click("nav.mainnav summary:text-is('设置')")  # one menu open at a time
    assert not page.locator("nav.mainnav a:text-is('台账批次')").is_visible()
    assert page.locator("nav.mainnav details[open] a").all_inner_texts() == ["监控设置", "自评设置", "用户管理", "审计日志"]
    page.click("nav.mainnav a:text-is('审计日志')")
    page.wait_for_load_state()
    assert page.url.endswith("/audit")
    assert problems == []
    context.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_deviation_form_reads_on_a_phone(server: str, server_env, browser, users, size) -> None:  # type: ignore[no-untyped-def]
    project = _query(server_env, "SELECT id FROM project WHERE name = ? AND year = 2025", PROJECT)[0][0]
    context, page, problems = sign_in(browser, server, "demo-unit", users["demo-unit"], size)
    page.goto(f"{server}/projects/{project}/explanation")
    names = page.locator("td.indicator-name")
    assert names.count() > 10
    for i in range(names.count()):
        cell = names.nth(i)
        text = cell.inner_text()
        lines = cell.evaluate("""e => { const r = document.createRange(); r.selectNodeContents(e);
            return new Set(Array.from(r.getClientRects()).map(b => Math.round(b.top))).size; }""")
        # a name takes at most one line per 8 characters: never 2–3 characters a line
        assert lines <= -(-len(text) // 8), (text, lines)
    forecast = page.locator("td.forecast input").first
    forecast.scroll_into_view_if_needed()
    box = forecast.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= size[0]  # the 全年预计完成情况 field is on screen
    assert _page_width(page) <= size[0]
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"deviation-form-{size[0]}.png"), full_page=True)
    if size[0] == 375:
        assert "全年预计完成情况" in page.locator("td.forecast").first.evaluate(
            "e => getComputedStyle(e, '::before').content")
    assert problems == []
    context.close()


@pytest.mark.parametrize("size", SIZES)
def test_the_cockpit_charts_leave_their_labels_uncovered_on_a_phone(server: str, browser, users, size) -> None:  # type: ignore[no-untyped-def]
    context, page, problems = sign_in(browser, server, "demo-leader", users["demo-leader"], size)
    page.goto(server + "/cockpit")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    chart = page.locator(".js-plotly-plot").first
    chart.hover()
    bars = page.locator(".js-plotly-plot .modebar")
    if size[0] == 375:
        assert bars.count() == 0  # nothing over 12月底 / 100%
    else:
        assert bars.count() >= 1  # the download button stays on a laptop
    assert _page_width(page) <= size[0]
    assert problems == []
    context.close()


# --- words -------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_the_preview_says_each_thing_once_in_chinese(server: str, browser, users, quiet_unit, size, tmp_path) -> None:  # type: ignore[no-untyped-def]
    unit_id, year, project_name = quiet_unit
    csv = tmp_path / "no-period.csv"
    csv.write_text("\ufeff业务日期,凭证编号,项目名称,摘要,金额（元）\n"
                   f"{year}-11-03,1,{project_name},会议费,\"1,000.00\"\n{year}-11-20,2,{project_name},差旅费,\"2,000.00\"\n",
                   encoding="utf-8")
    context, page, problems = sign_in(browser, server, "demo-finance", users["demo-finance"], size)
    page.goto(server + "/ledger/import")
    page.set_input_files("input[type=file]", str(csv))
    page.select_option("select[name=unit]", str(unit_id))
    page.click("button:text-is('预览')")
    page.wait_for_selector("h1:text-is('台账导入预览')")
    text = page.locator("main").inner_text()
    assert text.count("文件未注明期间") == 1 and "按首末交易日期确定，请确认" in text
    assert "--" not in text and "TRACKER_" not in text
    assert all(not re.search("[A-Za-z]", tag) for tag in page.locator("span.tag").all_inner_texts())
    assert "3,000.00 元" in page.locator("dl.facts").inner_text()
    page.fill("form.period-fix input[name=period]", f"{year}-11-01..{year}-11-30")
    page.click("button:text-is('按此期间重新预览')")
    page.wait_for_selector("h1:text-is('台账导入预览')")
    assert f"{year}-11-01 至 {year}-11-30（您指定）" in page.locator("dl.facts").inner_text()
    assert "文件未注明期间" not in page.locator("main").inner_text()
    assert _page_width(page) <= size[0]
    assert problems == []
    context.close()


# --- a big upload shows its progress and cannot be sent twice --------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_a_big_upload_shows_its_progress(server: str, server_env, browser, users, quiet_unit, size, tmp_path) -> None:  # type: ignore[no-untyped-def]
    unit_id, year, project_name = quiet_unit
    month = 8 if size[0] == 1366 else 10
    rows = 150_000
    csv = tmp_path / "big.csv"
    with csv.open("w", encoding="utf-8") as out:
        out.write("\ufeff业务日期,凭证编号,项目名称,摘要,金额（元）\n")
        for i in range(rows):
            out.write(f"{year}-{month:02d}-{1 + i % 28:02d},{i:06d},{project_name},办公用品,\"1.00\"\n")
    context, page, problems = sign_in(browser, server, "demo-finance", users["demo-finance"], size)
    cdp = context.new_cdp_session(page)  # a slow line, so that the upload takes a few seconds
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20, "downloadThroughput": -1,
                                                  "uploadThroughput": csv.stat().st_size / 3})
    seen = _busy_log(context, page)
    page.goto(server + "/ledger/import")
    page.set_input_files("input[type=file]", str(csv))
    page.select_option("select[name=unit]", str(unit_id))
    page.fill("input[name=source]", "浏览器测试明细账")
    page.fill("input[name=period]", f"{year}-{month:02d}-01..{year}-{month:02d}-28")
    page.click("button:text-is('预览')")
    page.wait_for_selector("h1:text-is('台账导入预览')", timeout=120_000)
    assert any(t.startswith("正在上传：已发送") for t, _ in seen), seen
    assert any(re.match(rf"已上传 [\d.]+ MB，共 {rows + 1:,} 行。服务器正在读取文件并生成预览.*，已用 \d+ 秒", t)
               for t, _ in seen), seen[-3:]
    assert all(disabled for _, disabled in seen)  # the button cannot be pressed twice
    seen.clear()
    assert f"{rows:,} 行：交易 {rows:,} 行" in page.locator("dl.facts").inner_text()
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": -1})
    page.click("button:text-is('确认导入')")
    page.wait_for_selector(".flash:has-text('已导入批次')", timeout=120_000)
    assert any(t.startswith("正在导入") and "已用" in t for t, _ in seen), seen
    assert f"计入支出 {rows:,} 行 {rows:,}.00 元" in _flash(page)
    assert _page_width(page) <= size[0]
    assert problems == []
    context.close()
    batch = _query(server_env, "SELECT max(id) FROM ledger_batch WHERE unit_id = ? AND status = 'active'", unit_id)[0][0]
    run_tracker(server_env, "ledger", "undo", str(batch))  # the other tests see the unit as it was


#: every change of a form's status line, told on the console: "busy|<buttons disabled>|<text>"
#: (Playwright cannot look into a page while it is being replaced by the next one)
BUSY_LOG = """new MutationObserver(() => {
  const status = document.querySelector('.busy span');
  if (!status || status.textContent === window.__busy) { return; }
  window.__busy = status.textContent;
  const buttons = Array.from(status.closest('form').querySelectorAll('button'));
  console.log('busy|' + buttons.every(b => b.disabled) + '|' + status.textContent);
}).observe(document, {subtree: true, childList: true, characterData: true});"""


def _busy_log(context, page) -> list[tuple[str, bool]]:  # type: ignore[no-untyped-def]
    """(status text, buttons disabled) as the page shows them, in order."""
    seen: list[tuple[str, bool]] = []
    context.add_init_script(BUSY_LOG)
    page.on("console", lambda m: seen.append((m.text.split("|", 2)[2], m.text.split("|", 2)[1] == "true"))
            if m.text.startswith("busy|") else None)
    return seen
