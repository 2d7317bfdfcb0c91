"""领导驾驶舱 page: who lands on it, what it shows each role, its embedded figures."""

from __future__ import annotations

import json
import re

from tests.monitoring_builders import two_unit_department
from tracker.models import Role


def _department(session):  # type: ignore[no-untyped-def]
    return two_unit_department(session, reason="资金<晚到>", corrective_actions="<script>加快支付</script>",
                               level1="产出<指标>")


def _figures(page: str) -> dict[str, dict]:  # type: ignore[type-arg]
    found = re.findall(r'<script type="application/json" data-plotly="chart-(\w+)">(.*?)</script>',
                       page, re.S)
    return {name: json.loads(body) for name, body in found}


def test_leaders_start_on_the_cockpit_others_on_the_project_list(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/").headers["Location"].endswith("/projects")  # not signed in
    logged_in(Role.leader)
    assert client.get("/").headers["Location"].endswith("/cockpit")
    for role in (Role.finance, Role.admin, Role.auditor, Role.unit_staff):
        logged_in(role)
        assert client.get("/").headers["Location"].endswith("/projects"), role


def test_the_page_shows_totals_figures_and_laggards_escaped(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    _, _, lagging, other = _department(session)
    logged_in(Role.leader)

    response = client.get("/cockpit?year=2025&as_of=2025-06-30")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "领导驾驶舱 · 2025 年 · 截至 2025-06-30" in page
    assert "400.00<small> 万元</small>" in page  # 全年预算数 100万 + 300万
    assert "160.00<small> 万元</small>" in page  # 累计支出 10万 + 150万
    assert ">40.00%<" in page and "计划进度 50.00%，落后 10.00 个百分点，完成计划 80.00%" in page
    assert "科技&lt;专项&gt;&amp;推广" in page and "<专项>" not in page
    assert "&lt;script&gt;加快支付&lt;/script&gt;" in page and "<script>加快" not in page
    assert "资金&lt;晚到&gt;" in page and "经费保障" in page and "有可能" in page
    assert f"/projects/{lagging.id}/monitoring?as_of=2025-06-30" in page
    # no inline script: every <script> loads a file or carries JSON data
    for tag in re.findall(r"<script[^>]*>", page):
        assert 'src="' in tag or 'type="application/json"' in tag, tag
    assert 'src="/vendor/plotly.min.js"' in page and "cockpit.js" in page and "cockpit.css" in page

    figures = _figures(page)
    assert set(figures) == {"curve", "heatmap", "ranking", "indicators"}
    # the figures' JSON writes Chinese as itself (half the bytes of \uXXXX escapes) and can
    # never end its <script> element: < > & ' escaped
    bodies = dict(re.findall(r'<script type="application/json" data-plotly="chart-(\w+)">(.*?)</script>', page, re.S))
    assert "科技\\u0026lt;专项" in bodies["ranking"] and "\\u79d1" not in bodies["ranking"]
    assert not any(mark in body for body in bodies.values() for mark in "<>'")
    bars = figures["ranking"]["data"][0]
    assert [c[0] for c in bars["customdata"]] == [
        f"/projects/{lagging.id}/monitoring?as_of=2025-06-30",
        f"/projects/{other.id}/monitoring?as_of=2025-06-30"]
    assert bars["customdata"][0][1] == "科技&lt;专项&gt;&amp;推广"
    assert figures["heatmap"]["data"][0]["customdata"][1][0][0].startswith("/cockpit?year=2025&unit=")
    assert figures["indicators"]["data"][-1]["y"] == ["产出&lt;指标&gt;"]  # grey: not reported
    assert "支持企业数" in page and 'id="indicators-grey"' in page


def test_other_pages_load_the_cockpit_assets_not(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.leader)
    page = client.get("/projects").get_data(as_text=True)
    assert 'href="/cockpit"' in page  # the nav link
    assert "plotly.min.js" not in page and "cockpit.js" not in page


def test_unit_staff_see_only_their_unit(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    science, finance, _, _ = _department(session)
    logged_in(Role.unit_staff, units=[science])
    page = client.get(f"/cockpit?year=2025&unit={finance.id}&as_of=2025-06-30").get_data(as_text=True)
    assert "科技&lt;专项&gt;" in page and "财政项目" not in page and "财政局" not in page
    assert "所选单位在该年度没有可查看的项目，已显示全部单位。" in page
    assert "100.00<small> 万元</small>" in page  # only their project's budget


def test_a_date_outside_the_year_is_moved_and_said(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    _department(session)
    logged_in(Role.auditor)
    page = client.get("/cockpit?year=2025&as_of=2026-02-01").get_data(as_text=True)
    assert "所选日期 2026-02-01 不在 2025 年内，已按年末 2025-12-31 计算。" in page
    assert "截至 2025-12-31" in page


def test_nothing_to_show(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.unit_staff, units=[])
    response = client.get("/cockpit")
    assert response.status_code == 200 and "没有可查看的项目" in response.get_data(as_text=True)
    assert "data-plotly" not in response.get_data(as_text=True)


def test_a_leader_filters_one_unit(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    _, finance, _, _ = _department(session)
    logged_in(Role.leader)
    page = client.get(f"/cockpit?year=2025&unit={finance.id}&as_of=2025-06-30").get_data(as_text=True)
    assert "财政项目" in page and "科技&lt;专项&gt;" not in page
    assert "300.00<small> 万元</small>" in page and ">50.00%<" in page  # 150万 of 300万


def test_opened_without_a_date_it_shows_the_latest_date_the_ledgers_cover(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    _, _, lagging, _ = _department(session)  # ledgers through 2025-06-30; today is later
    logged_in(Role.leader)
    page = client.get("/cockpit").get_data(as_text=True)
    assert "领导驾驶舱 · 2025 年 · 截至 2025-06-30" in page
    assert "显示截至 2025-06-30 的情况：这是已导入台账覆盖到的最新日期（2 个单位的台账均已覆盖）。" in page
    assert "科技&lt;专项&gt;&amp;推广" in page and f"/projects/{lagging.id}/monitoring?as_of=2025-06-30" in page
    for label, day in (("3月底", "03-31"), ("6月底", "06-30"), ("10月底", "10-31"), ("12月底", "12-31")):
        assert re.search(rf'href="/cockpit\?year=2025&amp;as_of=2025-{day}"[^>]*>{label}</a>', page), label
    assert 'as_of=2025-06-30" aria-current="date">6月底' in page
    chosen = client.get("/cockpit?year=2025&as_of=2025-03-31").get_data(as_text=True)
    assert "显示截至所选日期 2025-03-31 的情况。" in chosen and "已导入台账覆盖到的最新日期" not in chosen


def test_the_time_progress_card_shows_the_execution_rate_against_it(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    _department(session)
    logged_in(Role.leader)
    page = client.get("/cockpit?year=2025&as_of=2025-06-30").get_data(as_text=True)
    card = re.search(r'<span class="kpi-label">执行率 · 对序时进度</span>\s*<span class="kpi-value">(.*?)</span>\s*'
                     r'<span class="kpi-sub">(.*?)</span>', page, re.S)
    assert card is not None
    assert card.group(1) == "40.00%"  # 执行率: 160万 ÷ 400万, not the 序时进度
    assert card.group(2).startswith("序时进度 50.00%，")
