"""Monitoring pages: what each role sees, the forms, evidence, alerts, settings."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
from sqlalchemy import select

from tests.conftest import csrf_token, post_form
from tests.monitoring_builders import add_ledger, make_project, make_unit, report
from tracker.models import Alert, DeviationExplanation, ProgressReport, Role, Setting
from tracker.services.monitoring.snapshots import freeze_checkpoints

PLAN = {"03-31": "10", "06-30": "50", "10-31": "80", "12-31": "100"}
THIS_YEAR = datetime.now(ZoneInfo("Asia/Shanghai")).year


def _project(session, year: int = 2025, name: str = "科技创新<专项>"):  # type: ignore[no-untyped-def]
    unit = make_unit(session, "科技局")
    project = make_project(session, unit, year=year, plan=PLAN, name=name, indicators=[
        {"name": "支持企业数", "target_number": Decimal(10), "target_unit": "家", "target_raw": "≥10家"},
        {"name": "满意度", "kind": "qualitative", "op": None, "target_number": None,
         "level1": "满意度指标", "level2": "服务对象满意度", "target_raw": "较高"}])
    session.commit()
    return unit, project


def test_monitoring_page_shows_every_figure_and_the_frozen_value(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, project = _project(session)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-06-01", "300000")])
    report(session, project.indicators[0], "2025-06-20", value="5")
    freeze_checkpoints(session, date(2025, 7, 10))
    add_ledger(session, unit, ("2025-05-01", "2025-05-31"), [(project, "2025-05-02", "100000")])
    session.commit()
    logged_in(Role.leader)

    page = client.get(f"/projects/{project.id}/monitoring?as_of=2025-06-30").get_data(as_text=True)

    assert "科技创新&lt;专项&gt;" in page and "<专项>" not in page
    assert "400,000.00" in page and "300,000.00" in page  # recomputed beside frozen
    assert "40.00%" in page and "30.00%" in page and "50.00%" in page
    assert "冻结值（2025-07-10 评价，补评）" in page and "冻结时状态" in page  # nothing ran on 06-30: late
    assert "800,000.00" in page  # 全年预计执行数 by plan (frozen: 300000 + 50%)
    assert "台账截止：2025-06-30" in page and "已覆盖 2025-06-30" in page
    assert "5 家" in page and "填报完成值" not in page  # a leader does not report
    assert '<th class="num">完成进度</th>' in page and "完成进度 v" not in page  # no stray "v"


def test_a_bad_date_falls_back_with_a_message(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    _, project = _project(session)
    logged_in(Role.auditor)
    response = client.get(f"/projects/{project.id}/monitoring?as_of=2024-06-30", follow_redirects=True)
    assert response.status_code == 200
    assert "判断日期应在项目年度（2025年）内" in response.get_data(as_text=True)
    response = client.get(f"/projects/{project.id}/monitoring?as_of=june")
    assert "日期“june”无效" in response.get_data(as_text=True)


def test_the_overview_opens_on_the_latest_year_with_projects_and_the_date_the_ledgers_cover(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, project = _project(session, year=2025)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-06-01", "100000")])
    session.commit()
    logged_in(Role.leader)
    page = client.get("/monitoring").get_data(as_text=True)
    assert "运行监控 · 2025-06-30" in page and "没有可监控的项目" not in page
    assert "显示截至 2025-06-30 的情况：这是已导入台账覆盖到的最新日期（1 个单位的台账均已覆盖）。" in page
    assert '<span class="lamp lamp-red">红灯</span> 1' in page  # 执行率 10% against a 50% plan
    assert re.search(r'href="/monitoring\?as_of=2025-10-31"[^>]*>10月底</a>', page)
    empty = client.get(f"/monitoring?as_of={THIS_YEAR}-06-30").get_data(as_text=True)
    assert f"{THIS_YEAR} 年没有可监控的项目。有项目的年度：" in empty and 'href="/monitoring?year=2025"' in empty
    assert "运行监控 · 2025-06-30" in client.get("/monitoring?year=2025").get_data(as_text=True)


def test_unit_staff_see_only_their_units(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    _, project = _project(session)
    other = make_unit(session, "他单位")
    session.commit()
    logged_in(Role.unit_staff, units=[other])
    for path in ("monitoring", "progress", "explanation", "evidence"):
        assert client.get(f"/projects/{project.id}/{path}").status_code == 404
    assert "科技创新" not in client.get("/monitoring?as_of=2025-06-30").get_data(as_text=True)


def test_unit_staff_report_progress_with_evidence(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, project = _project(session, year=THIS_YEAR)
    logged_in(Role.unit_staff, units=[unit])
    url = f"/projects/{project.id}/progress"
    assert "支持企业数" in client.get(url).get_data(as_text=True)
    indicator = project.indicators[0]
    response = post_form(client, url, {
        "indicator_id": str(indicator.id), "reported_on": f"{THIS_YEAR}-01-01", "value": "3",
        "note": "<b>已签约</b>", "evidence": (io.BytesIO(b"contract"), "合同.pdf")},
        token_from=url, content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "已保存完成值" in page
    saved = session.scalar(select(ProgressReport))
    assert saved.value == 3 and saved.evidence_name == "合同.pdf"

    listing = client.get(f"/projects/{project.id}/evidence").get_data(as_text=True)
    assert "合同.pdf" in listing
    download = client.get(f"/projects/{project.id}/evidence?report={saved.id}")
    assert download.data == b"contract"
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.get(f"/projects/{project.id}/evidence?report=999999").status_code == 404
    monitoring_page = client.get(f"/projects/{project.id}/monitoring").get_data(as_text=True)
    assert "&lt;b&gt;已签约&lt;/b&gt;" in monitoring_page


def _field_error(page: str, indicator_id: int, field: str) -> str | None:
    found = re.search(rf'<p class="field-error" id="error-{indicator_id}-{field}">(.*?)</p>', page)
    return found.group(1) if found else None


def test_invalid_progress_is_refused_each_error_by_its_field_and_the_form_kept(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, project = _project(session, year=THIS_YEAR)
    logged_in(Role.unit_staff, units=[unit])
    url = f"/projects/{project.id}/progress"
    first = project.indicators[0]
    response = post_form(client, url, {"indicator_id": str(first.id),
                                       "reported_on": f"{THIS_YEAR - 1}-12-31", "value": "许多"},
                         token_from=url)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    # both errors at once, each beside its own field of its own card; what was typed is kept
    assert _field_error(page, first.id, "reported_on").startswith(f"完成值日期应在{THIS_YEAR}年内且不晚于今天")
    assert _field_error(page, first.id, "value") == "当前完成值应为数字（可带单位），当前为“许多”"
    assert 'value="许多"' in page and f'value="{THIS_YEAR - 1}-12-31"' in page
    assert page.index('id="error-') > page.index(f'id="indicator-{first.id}"')
    assert f'action="/projects/{project.id}/progress#indicator-{first.id}"' in page  # no-JS: back to the card
    assert session.scalar(select(ProgressReport.id)) is None
    without_token = client.post(url, data={"indicator_id": str(project.indicators[0].id)})
    assert without_token.status_code == 400


def test_a_saved_indicator_returns_to_its_card(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, project = _project(session, year=THIS_YEAR)
    logged_in(Role.unit_staff, units=[unit])
    url = f"/projects/{project.id}/progress"
    second = project.indicators[1]
    saved = post_form(client, url, {"indicator_id": str(second.id), "reported_on": f"{THIS_YEAR}-01-01",
                                    "achievement": "achieved"}, token_from=url)
    assert saved.status_code == 302
    assert saved.headers["Location"].endswith(f"/projects/{project.id}/progress?saved={second.id}#indicator-{second.id}")
    page = client.get(saved.headers["Location"]).get_data(as_text=True)
    card = page[page.index(f'id="indicator-{second.id}"'):]
    assert card.index("已保存完成值") < card.index("</section>")
    assert "达成年度指标" in page and "达成目标<" not in page  # one wording, as in 自评


def test_a_save_made_with_javascript_answers_with_the_card_alone(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, project = _project(session, year=THIS_YEAR)
    logged_in(Role.unit_staff, units=[unit])
    url = f"/projects/{project.id}/progress"
    first = project.indicators[0]
    refused = post_form(client, url, {"indicator_id": str(first.id), "reported_on": f"{THIS_YEAR}-01-01",
                                      "value": "5个"}, token_from=url, headers={"X-Requested-With": "fetch"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400 and text.lstrip().startswith(f'<section class="card progress-card" id="indicator-{first.id}"')
    assert _field_error(text, first.id, "value") == "当前完成值单位“个”与年度指标值单位“家”不一致，请换算后填写"
    saved = post_form(client, url, {"indicator_id": str(first.id), "reported_on": f"{THIS_YEAR}-01-01",
                                    "value": "5家"}, token_from=url, headers={"X-Requested-With": "fetch"})
    text = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "<html" not in text and "已保存完成值" in text and "5 家" in text
    assert session.scalar(select(ProgressReport.value)) == 5


def test_the_progress_date_defaults_to_the_monitoring_date_of_the_projects_year(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, project = _project(session, year=2025)
    logged_in(Role.unit_staff, units=[unit])
    url = f"/projects/{project.id}/progress"
    page = client.get(url).get_data(as_text=True)
    assert page.count('name="reported_on" required value="2025-12-31"') == 2  # no ledger: the year's end
    assert 'max="2025-12-31"' in page
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-06-01", "300000")])
    session.commit()
    page = client.get(url).get_data(as_text=True)
    assert page.count('name="reported_on" required value="2025-06-30"') == 2
    assert "完成值日期默认为 2025-06-30（已导入台账覆盖到的最新日期）" in page
    assert "资金执行（截至 2025-06-30）" in client.get(f"/projects/{project.id}/monitoring").get_data(as_text=True)
    # the default is accepted as it stands: the first save of an indicator succeeds
    saved = post_form(client, url, {"indicator_id": str(project.indicators[0].id), "reported_on": "2025-06-30",
                                    "value": "5"}, token_from=url)
    assert saved.status_code == 302


def test_explanation_form_enforces_the_rule_and_saves(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, project = _project(session)
    logged_in(Role.unit_staff, units=[unit])
    url = f"/projects/{project.id}/explanation?as_of=2025-06-30"
    page = client.get(url).get_data(as_text=True)
    assert "经费保障" in page and "完全不可能" in page and "1-6月执行情况" in page
    refused = post_form(client, f"/projects/{project.id}/explanation", {
        "as_of": "2025-06-30", "likelihood": "impossible", "reason": "资金未到位"}, token_from=url)
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "请至少选择一项偏差原因" in text and "资金未到位" in text
    # each error under what it concerns: the causes in their fieldset, the missing forecasts by the table
    causes = text[text.index("<legend>偏差原因分析"):text.index("</fieldset>")]
    assert '<p class="field-error" id="error-causes">完成目标可能性为“完全不可能”时，请至少选择一项偏差原因</p>' in causes
    assert '<p class="field-error" id="error-forecasts">' in text and text.count('<p class="field-error">请填写</p>') == 2
    assert text.index('id="error-forecasts"') < text.index("<thead><tr><th>一级</th>")
    first, second = project.indicators
    saved = post_form(client, f"/projects/{project.id}/explanation", {
        "as_of": "2025-06-30", "likelihood": "possible", "causes": ["funding", "other"],
        "reason": "资金未到位", "corrective_actions": "追加拨付",
        f"forecast_{first.id}": "8家", f"forecast_{second.id}": "较高"}, token_from=url)
    assert saved.status_code == 302 and "as_of=2025-06-30" in saved.headers["Location"]
    explanation = session.scalar(select(DeviationExplanation))
    assert explanation.causes == ["funding", "other"] and len(explanation.forecasts) == 2
    shown = client.get(f"/projects/{project.id}/monitoring?as_of=2025-06-30").get_data(as_text=True)
    assert "经费保障、其他" in shown and "全年预计 8家" in shown and "追加拨付" in shown


def test_alerts_inbox_read_state_and_mail_address(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, project = _project(session)
    other = make_unit(session, "他单位")
    session.add_all([
        Alert(unit_id=unit.id, project_id=project.id, kind="turned_red", severity="red",
              as_of=date(2025, 7, 5), message="项目“<甲>”转为红灯"),
        Alert(unit_id=other.id, kind="ledger_missing", severity="grey", as_of=date(2025, 6, 30),
              message="他单位台账未覆盖")])
    session.commit()
    logged_in(Role.unit_staff, units=[unit])
    page = client.get("/alerts").get_data(as_text=True)
    assert "项目“&lt;甲&gt;”转为红灯" in page and "他单位台账未覆盖" not in page
    assert 'class="unread"' in page
    done = post_form(client, "/alerts/read", {"all": "1"}, token_from="/alerts", follow_redirects=True)
    assert "已将 1 条提醒标为已读" in done.get_data(as_text=True)
    assert "没有未读提醒" in client.get("/alerts?unread=1").get_data(as_text=True)
    mail = post_form(client, "/alerts/email", {"email": "bad"}, token_from="/alerts", follow_redirects=True)
    assert "邮箱地址无效" in mail.get_data(as_text=True)
    mail = post_form(client, "/alerts/email", {"email": "me@example.gov.cn"}, token_from="/alerts",
                     follow_redirects=True)
    assert "提醒邮件将发送到 me@example.gov.cn" in mail.get_data(as_text=True)


def test_overview_lists_worst_first_with_counts(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, good = _project(session, name="执行良好")
    bad = make_project(session, unit, plan=PLAN, name="执行滞后")
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"),
               [(good, "2025-03-01", "500000"), (bad, "2025-03-01", "1000")])
    session.commit()
    logged_in(Role.leader)
    page = client.get("/monitoring?as_of=2025-06-30").get_data(as_text=True)
    assert page.index("执行滞后") < page.index("执行良好")
    red_only = client.get("/monitoring?as_of=2025-06-30&status=red").get_data(as_text=True)
    assert "执行滞后" in red_only and "执行良好" not in red_only


def test_overview_shows_100_projects_a_page_worst_first_and_counts_them_all(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    """At a province's size the overview evaluates only the page's projects: 100 a page, the
    worst first across pages, the counts and the status filter over every project."""
    unit, lagging = _project(session, name="执行滞后")
    others = [make_project(session, unit, plan=PLAN, name=f"按计划项目{i:03d}") for i in range(104)]
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"),
               [(p, "2025-03-01", "500000") for p in others] + [(lagging, "2025-03-01", "1000")])
    session.commit()
    logged_in(Role.leader)
    first = client.get("/monitoring?as_of=2025-06-30").get_data(as_text=True)
    assert "执行滞后" in first and "共 105 个项目（最需要关注的在前），第 1–100 个。" in first
    assert first.count("按计划项目") == 99 and "上一页" not in first
    assert re.search(r'href="/monitoring\?as_of=2025-06-30&amp;page=2">下一页</a>', first)
    second = client.get("/monitoring?as_of=2025-06-30&page=2").get_data(as_text=True)
    assert "第 101–105 个" in second and second.count("按计划项目") == 5 and "执行滞后" not in second
    shown = set(re.findall(r"按计划项目\d{3}", first)) | set(re.findall(r"按计划项目\d{3}", second))
    assert len(shown) == 104  # every project once
    assert "第 101–105 个" in client.get("/monitoring?as_of=2025-06-30&page=9").get_data(as_text=True)
    red = client.get("/monitoring?as_of=2025-06-30&status=red").get_data(as_text=True)
    assert "执行滞后" in red and "按计划项目" not in red and "共 1" not in red  # one page: no pager


def test_admin_changes_settings(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.admin)
    url = "/admin/monitoring-settings"
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'name="red_below" value="60"', page)
    values = {"red_below": "65", "yellow_below": "85", "blue_from": "130",
              "time_progress_method": "day", "default_plan": "", "monitoring_month": "7",
              "progress_due_days": "5", "explanation_due_days": "20", "ledger_due_days": "3"}
    saved = post_form(client, url, values, token_from=url, follow_redirects=True)
    assert "监控设置已保存" in saved.get_data(as_text=True)
    stored = session.get(Setting, "monitoring").value
    assert stored["red_below"] == "65" and stored["monitoring_month"] == 7
    assert session.get(Setting, "monitoring_reminders").value["ledger_due_days"] == 3
    refused = post_form(client, url, {**values, "yellow_below": "50"}, token_from=url)
    assert refused.status_code == 400 and "状态阈值应满足" in refused.get_data(as_text=True)
    assert client.post(url, data=values).status_code == 400  # no CSRF token
    assert csrf_token(client, url)


def test_blank_plan_checkpoints_are_shown_as_blank_and_read_as_interpolated(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    """DOMAIN §1: blank = no plan at that checkpoint, “never as 0%”; §2: 100% at 12月底 alone reads
    49.59% on 06-30.  The project page says the cell was blank; the monitoring page shows 49.59%;
    a forecast that reaches the budget is flagged 超计划支出."""
    unit = make_unit(session, "科技局")
    project = make_project(session, unit, budget="1000000", name="空白节点项目", plan={
        "03-31": "", "06-30": "", "10-31": "", "12-31": "100"})
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-06-01", "900000")])
    session.commit()
    logged_in(Role.leader)
    detail = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert detail.count("（未填写，监控按前后已填节点插值）") == 3 and ">0.00%<" not in detail
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/projects/{project.id}?format=xlsx").data))
    plan = [tuple(row) for row in book["资金支出计划（累计）"].iter_rows(min_row=2, values_only=True)]
    assert [row[1:] for row in plan[:3]] == [("", "（未填写，监控按前后已填节点插值）")] * 3
    assert plan[3][1] == 1  # 100% at 12月底
    page = client.get(f"/projects/{project.id}/monitoring?as_of=2025-06-30").get_data(as_text=True)
    assert "49.59%" in page
    # by plan 900,000 + 50.41% of 1,000,000 reaches past the budget: capped and flagged
    assert "1,000,000.00（超计划支出）" in page
