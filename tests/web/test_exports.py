"""导出 Excel: ``?format=xlsx`` on a table's own page, with the page's filters and access rules."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import quote

import openpyxl
from sqlalchemy import select

from tests.monitoring_builders import (
    QUARTER_PLAN,
    add_ledger,
    make_project,
    make_unit,
    report,
    two_unit_department,
    year_end_project,
)
from tracker.models import AuditEntry, Evaluation, LedgerRow, Role, TargetImport
from tracker.services import audit, evaluation
from tracker.services.monitoring.snapshots import record_checkpoints
from tracker.services.adjustments import AdjustmentForm, adjust
from tracker.web.downloads import XLSX_MIMETYPE


def _sheet(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    assert response.mimetype == XLSX_MIMETYPE
    return openpyxl.load_workbook(io.BytesIO(response.data)).active


def test_project_list_export_is_the_users_table(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    mine, other = make_unit(session, "甲单位"), make_unit(session, "乙单位")
    make_project(session, mine, name="=HYPERLINK(\"http://evil\")", budget="1234567.89")
    make_project(session, mine, name="普通项目")
    make_project(session, other, name="外单位项目")
    make_project(session, mine, name="往年项目", year=2024)
    session.commit()
    logged_in(Role.unit_staff, units=[mine])
    page = client.get("/projects?year=2025").get_data(as_text=True)
    assert "/projects?year=2025&amp;format=xlsx" in page and "导出 Excel" in page
    response = client.get("/projects?year=2025&format=xlsx")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="projects-2025.xlsx"; ')
    assert f"filename*=UTF-8''{quote('项目列表-2025.xlsx')}" in disposition
    rows = list(_sheet(response).iter_rows(values_only=True))
    assert rows[0][:3] == ("单位", "项目编码", "项目名称")
    assert len(rows) - 1 == 2  # the unit's two 2025 projects: not the other unit's, not 2024
    names = {r[2]: r for r in rows[1:]}
    assert "'=HYPERLINK(\"http://evil\")" in names  # text, never a formula
    assert names["'=HYPERLINK(\"http://evil\")"][4] == 1234567.89


def test_project_list_pages_and_its_export_has_every_project(client, logged_in, session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tracker.web import projects as project_pages
    monkeypatch.setattr(project_pages, "PROJECT_LIST_PAGE_SIZE", 3)
    first, second = make_unit(session, "甲单位"), make_unit(session, "乙单位")
    made = [make_project(session, first if n < 4 else second, name=f"项目{n}") for n in range(7)]
    session.commit()
    logged_in(Role.leader)
    page_one = client.get("/projects?year=2025").get_data(as_text=True)
    assert "共 7 个项目，第 1–3 个" in page_one and "下一页" in page_one and "上一页" not in page_one
    assert all(f"项目{n}<" in page_one for n in range(3)) and "项目3<" not in page_one
    last = client.get("/projects?year=2025&page=3").get_data(as_text=True)
    assert "第 7–7 个" in last and "项目6<" in last and "项目5<" not in last and "下一页" not in last
    assert f'/projects/{made[6].id}"' in last
    rows = list(_sheet(client.get("/projects?year=2025&page=2&format=xlsx")).iter_rows(values_only=True))
    assert [r[2] for r in rows[1:]] == [f"项目{n}" for n in range(7)]  # every project, not one page
    assert rows[1][0].endswith("甲单位") and rows[7][0].endswith("乙单位")


def test_ledger_export_has_every_filtered_row_not_one_page(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session)
    project = make_project(session, unit)
    rows = [(project, f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}", f"{100 + n}.01") for n in range(130)]
    add_ledger(session, unit, ("2025-01-01", "2025-12-31"), rows)
    session.commit()
    logged_in(Role.leader)
    as_of = "2025-06-30"
    expected = [r for r in rows if r[1] <= as_of]
    assert len(expected) > 60
    sheet = _sheet(client.get(f"/projects/{project.id}/ledger?as_of={as_of}&format=xlsx"))
    assert sheet.max_row - 1 == len(expected)
    total = sum(Decimal(r[2]) for r in expected)
    assert Decimal(str(round(sum(c.value for c in sheet["F"][1:]), 2))) == total
    assert isinstance(sheet["A2"].value, datetime) and sheet["F2"].number_format == "#,##0.00"
    everything = _sheet(client.get(f"/projects/{project.id}/ledger?format=xlsx&page=2"))
    assert everything.max_row - 1 == 130  # more than the page size of 100, and page is ignored


def test_export_follows_the_page_access_rules(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    mine, other = make_unit(session), make_unit(session)
    foreign = make_project(session, other)
    session.commit()
    logged_in(Role.unit_staff, units=[mine])
    assert client.get(f"/projects/{foreign.id}/ledger?format=xlsx").status_code == 404
    assert client.get("/audit?format=xlsx").status_code == 403
    assert client.get("/ledger/batches?format=xlsx").status_code == 403


def test_audit_log_export_respects_the_filters(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        audit.record(session, "甲", "import", "ledger_batch", n, file="-2+3")
    audit.record(session, "乙", "login", "app_user", 1)
    session.commit()
    logged_in(Role.auditor)
    page = client.get("/audit?action=import").get_data(as_text=True)
    assert "/audit?action=import&amp;format=xlsx" in page
    sheet = _sheet(client.get("/audit?action=import&format=xlsx"))
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("时间", "操作人", "操作", "对象", "编号", "详情")
    assert len(rows) - 1 == 3 and {r[1] for r in rows[1:]} == {"甲"}
    assert rows[1][5] == "文件：-2+3" and isinstance(rows[1][0], datetime)


def test_monitoring_overview_and_quality_exports(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session)
    for n in range(3):
        make_project(session, unit, plan={"06-30": "50", "12-31": "100"})
    session.commit()
    logged_in(Role.leader)
    sheet = _sheet(client.get("/monitoring?as_of=2025-06-30&format=xlsx"))
    assert sheet.max_row - 1 == 3 and sheet["D2"].value == 1000000
    assert _sheet(client.get("/monitoring?as_of=2025-06-30&status=red&format=xlsx")).max_row - 1 == 0
    assert _sheet(client.get("/projects/quality?year=2025&format=xlsx")).max_row - 1 == 3
    assert _sheet(client.get("/alerts?format=xlsx")).max_row == 1  # header only


def test_batch_list_and_unmatched_queue_exports(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, "丁单位")
    project = make_project(session, unit)
    batch = add_ledger(session, unit, ("2025-01-01", "2025-03-31"),
                       [(project, "2025-01-05", "10.00"), (project, "2025-02-05", "20.00")])
    first = session.scalars(select(LedgerRow).where(LedgerRow.batch_id == batch.id)
                            .order_by(LedgerRow.id)).first()
    first.project_id = None  # now in the unmatched queue
    session.commit()
    logged_in(Role.finance)
    sheet = _sheet(client.get("/ledger/batches?format=xlsx"))
    assert sheet.max_row - 1 == 1 and sheet["A2"].value == batch.id and sheet["C2"].value.endswith("丁单位")
    sheet = _sheet(client.get("/ledger/unmatched?format=xlsx"))
    assert sheet.max_row - 1 == 1 and sheet["K2"].value == 10.0


# --- pages with several tables: one sheet per table -------------------------------------------

PLAN = QUARTER_PLAN
D = Decimal


def _book(response):  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    assert response.mimetype == XLSX_MIMETYPE
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    return {sheet.title: sheet for sheet in book.worksheets}


def _rows(sheet) -> list[tuple]:  # type: ignore[no-untyped-def,type-arg]
    return list(sheet.iter_rows(values_only=True))


def _cockpit_department(session):  # type: ignore[no-untyped-def]
    """``two_unit_department``: 科技局's red project (behind by 400,000 元) with a 纠偏措施 that
    looks like a formula; 财政局's green one with an indicator."""
    return two_unit_department(session, reason="资金晚到", corrective_actions="=加快支付", other_indicators=[
        {"name": "财政指标", "target_number": D(5), "target_raw": "≥5个"}])


COCKPIT_SHEETS = ["项目执行率排名", "执行滞后项目及纠偏措施", "各单位检查点执行情况", "绩效指标完成情况",
                  "未读提醒", "累计支出进度"]


def test_cockpit_export_has_a_sheet_per_table(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    science, _finance, lagging, _other = _cockpit_department(session)
    logged_in(Role.leader)
    page = client.get("/cockpit?year=2025&as_of=2025-06-30").get_data(as_text=True)
    assert "/cockpit?year=2025&amp;as_of=2025-06-30&amp;format=xlsx" in page and "导出 Excel" in page
    response = client.get("/cockpit?year=2025&as_of=2025-06-30&format=xlsx")
    assert "cockpit-2025-all-2025-06-30.xlsx" in response.headers["Content-Disposition"]
    sheets = _book(response)
    assert list(sheets) == COCKPIT_SHEETS

    ranking = _rows(sheets["项目执行率排名"])
    assert ranking[0] == ("序号", "单位", "项目", "预算（元）", "支出（元）", "执行率", "计划进度", "完成计划",
                          "资金", "总体")
    assert ranking[1][:9] == (1, "科技局", "科技<专项>&推广", 1000000, 100000, 0.1, 0.5, 0.2, "红灯")
    assert ranking[2][2:6] == ("财政项目", 3000000, 1500000, 0.5) and len(ranking) == 3
    assert sheets["项目执行率排名"]["F2"].number_format == "0.00%"
    assert sheets["项目执行率排名"]["D2"].number_format == "#,##0.00"

    laggards = _rows(sheets["执行滞后项目及纠偏措施"])
    assert laggards[0][:9] == ("序号", "单位", "项目", "资金", "执行率", "计划进度", "落后（百分点）",
                               "滞后金额（元）", "预算（元）")
    assert laggards[0][-3:] == ("原因说明", "完成可能性", "纠偏措施")
    assert len(laggards) == 2  # the green 财政项目 is not lagging
    assert laggards[1][2] == "科技<专项>&推广" and laggards[1][6] == 40 and laggards[1][7] == 400000
    assert isinstance(laggards[1][9], datetime) and laggards[1][9].date() == date(2025, 6, 30)
    assert laggards[1][10:] == ("张三", "经费保障", "资金晚到", "有可能", "'=加快支付")

    heat = _rows(sheets["各单位检查点执行情况"])
    assert heat[0][:5] == ("单位", "3月底", "3月底计划进度", "6月底", "6月底计划进度")
    total = dict(zip(heat[0], heat[1]))
    assert total["单位"] == "合计" and total["6月底"] == 0.4 and total["6月底计划进度"] == 0.5
    assert total["10月底"] == "未到"
    assert [r[0] for r in heat[1:]] == ["合计", "科技局", "财政局"]

    indicators = _rows(sheets["绩效指标完成情况"])
    assert indicators[0] == ("单位", "项目", "一级指标", "三级指标", "年度指标值", "状态", "说明", "逾期未填报")
    assert ("科技局", "科技<专项>&推广", "产出指标", "支持企业数", "≥10个") in {r[:5] for r in indicators[1:]}
    assert _rows(sheets["未读提醒"])[0] == ("类型", "状态", "判断日期", "项目", "内容")
    curve = _rows(sheets["累计支出进度"])
    june = next(r for r in curve[1:] if r[0] == datetime(2025, 6, 30))
    assert june[1:4] == ("检查点", 0.5, 0.4)


def test_unit_staff_cockpit_export_holds_no_other_units_project(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    science, finance, _lagging, _other = _cockpit_department(session)
    logged_in(Role.unit_staff, units=[science])
    for url in ("/cockpit?year=2025&as_of=2025-06-30&format=xlsx",
                f"/cockpit?year=2025&unit={finance.id}&as_of=2025-06-30&format=xlsx"):
        sheets = _book(client.get(url))
        cells = [str(v) for s in sheets.values() for row in _rows(s) for v in row if v is not None]
        assert not [c for c in cells if "财政" in c], url
        assert [r[2] for r in _rows(sheets["项目执行率排名"])[1:]] == ["科技<专项>&推广"]
    logged_in(Role.unit_staff, units=[make_unit(session, "无项目单位")])
    assert client.get("/cockpit?year=2025&format=xlsx").status_code == 404  # nothing to show


def _evaluated(session, unit, name: str = "科技创新券"):  # type: ignore[no-untyped-def]
    """``year_end_project`` (总分 82.5 → 良) with a draft 自评."""
    project = year_end_project(session, unit, name)
    evaluation.create_draft(session, project, "李四", date(2026, 1, 5))
    session.commit()
    return project


def test_self_evaluation_list_export_and_a_formula_looking_name(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    mine, other = make_unit(session, "科技局"), make_unit(session, "财政局")
    _evaluated(session, mine, name="=HYPERLINK(\"http://evil\",\"点我\")")
    make_project(session, mine, name="未自评项目")
    make_project(session, other, name="财政项目")
    session.commit()
    logged_in(Role.unit_staff, units=[mine])
    page = client.get("/evaluations?year=2025").get_data(as_text=True)
    assert "/evaluations?year=2025&amp;format=xlsx" in page and "导出 Excel" in page
    sheet = _sheet(client.get("/evaluations?year=2025&format=xlsx"))
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("单位", "项目编码", "项目名称", "状态", "总分", "等级", "提示", "最近冻结",
                       "最近冻结总分", "最近冻结等级")
    assert len(rows) == 3 and not [r for r in rows if r[2] == "财政项目"]
    evaluated = rows[1]
    assert evaluated[2] == "'=HYPERLINK(\"http://evil\",\"点我\")" and sheet["C2"].data_type == "s"
    assert evaluated[3:6] == ("草稿（第1次）", 82.5, "良") and evaluated[7:] == (None, None, None)
    assert rows[2][2:4] == ("未自评项目", "未自评")


def test_project_self_evaluation_export(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, stranger = make_unit(session, "科技局"), make_unit(session, "财政局")
    project = _evaluated(session, unit)
    logged_in(Role.unit_staff, units=[unit])
    url = f"/projects/{project.id}/evaluation"
    assert f"{url}?format=xlsx" in client.get(url).get_data(as_text=True)
    sheets = _book(client.get(f"{url}?format=xlsx"))
    assert list(sheets) == ["自评表", "项目资金", "绩效指标", "自评记录"]
    facts = dict(_rows(sheets["自评表"])[1:])
    assert facts["项目名称"] == "科技创新券" and facts["总分"] == 82.5 and facts["等级"] == "良"
    money = _rows(sheets["项目资金"])
    assert money[0] == ("项目资金", "年初预算数（元）", "全年预算数（元）", "全年执行数（元）", "分值", "执行率", "得分")
    assert money[1] == ("年度资金总额", 200000, 200000, 150000, 10, 0.75, 7.5)
    assert sheets["项目资金"]["F2"].number_format == "0.00%"
    indicators = _rows(sheets["绩效指标"])
    assert indicators[0] == ("一级", "二级", "三级", "年度指标值", "实际完成值", "分值", "得分",
                             "偏差原因分析及改进措施")
    assert indicators[1][:4] == ("产出指标", "数量指标", "支持企业数", "≥10家")
    assert indicators[1][5:7] == (75, 60)
    assert indicators[-1] == ("总分", None, None, None, None, 100, 82.5, "等级：良")
    history = _rows(sheets["自评记录"])
    assert history[1][:6] == ("第1次", "草稿", 82.5, "良", history[1][4], "李四")
    assert isinstance(history[1][6], datetime)
    logged_in(Role.unit_staff, units=[stranger])
    assert client.get(f"{url}?format=xlsx").status_code == 404


def test_reports_page_lists_export(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    science, finance = make_unit(session, "科技局"), make_unit(session, "财政局")
    lagging = make_project(session, science, plan=PLAN, name="滞后项目")
    make_project(session, finance, plan=PLAN, name="财政项目")
    add_ledger(session, science, ("2025-01-01", "2025-06-30"), [(lagging, "2025-03-01", "100000")])
    session.add(Evaluation(project_id=lagging.id, number=1, year=2025, as_of=date(2025, 12, 31),
                           initial_budget=D("1000000"), annual_budget=D("1000000"), spent=D("100000"),
                           execution_rate=D(10), execution_weight=D(10), execution_score=D(1),
                           total=D("41.0000"), grade="差", created_by="t"))
    session.commit()
    logged_in(Role.finance)
    query = f"year=2025&month=6&unit={science.id}"
    page = client.get(f"/reports?{query}").get_data(as_text=True)
    assert f"/reports?{query.replace('&', '&amp;')}&amp;format=xlsx" in page
    sheets = _book(client.get(f"/reports?{query}&format=xlsx"))
    assert list(sheets) == ["未填写偏差说明", "未提交自评"]
    assert _rows(sheets["未填写偏差说明"]) == [("单位", "项目名称", "状态"), ("科技局", "滞后项目", "红灯")]
    assert _rows(sheets["未提交自评"]) == [("单位", "项目名称", "草稿"), ("科技局", "滞后项目", "有草稿")]
    logged_in(Role.unit_staff, units=[finance])  # another unit: the page shows nothing, so does the export
    sheets = _book(client.get(f"/reports?{query}&format=xlsx"))
    assert [len(_rows(s)) for s in sheets.values()] == [1, 1]


def test_adjustments_export(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, stranger = make_unit(session), make_unit(session)
    project = make_project(session, unit, plan={"06-30": "40", "12-31": "100"}, indicators=[
        {"name": "支持企业数", "target_raw": "≥10家", "target_number": D(10), "target_unit": "家"}])
    adjust(session, project, AdjustmentForm(
        effective_on="2025-07-01", reason="年中追加预算", approver="财政局", document="财预〔2025〕1号",
        budget="1,500,000.50", plan="", targets={str(project.indicators[0].id): "≥12家"}), "王五")
    session.commit()
    logged_in(Role.unit_staff, units=[unit])
    url = f"/projects/{project.id}/adjustments"
    assert f"{url}?format=xlsx" in client.get(url).get_data(as_text=True)
    rows = list(_sheet(client.get(f"{url}?format=xlsx")).iter_rows(values_only=True))
    assert rows[0][:6] == ("生效日期", "调整内容", "原因", "批准人", "批复文号", "登记人")
    assert rows[1][0] == datetime(2025, 7, 1)
    assert rows[1][1] == "全年预算数：1,000,000.00 元 → 1,500,000.50 元\n指标“支持企业数”：≥10家 → ≥12家"
    assert rows[1][2:8] == ("年中追加预算", "财政局", "财预〔2025〕1号", "王五", 1000000, 1500000.5)
    logged_in(Role.unit_staff, units=[stranger])
    assert client.get(f"{url}?format=xlsx").status_code == 404


def test_project_monitoring_export_has_money_indicators_checkpoints_and_explanations(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    science, finance, lagging, other = _cockpit_department(session)
    report(session, lagging.indicators[0], "2025-06-20", value="2")
    record_checkpoints(session, date(2025, 6, 30), [lagging.id], today=date(2025, 6, 30))
    session.commit()
    logged_in(Role.unit_staff, units=[science])
    page = client.get(f"/projects/{lagging.id}/monitoring?as_of=2025-06-30").get_data(as_text=True)
    assert "format=xlsx" in page and "导出 Excel" in page
    book = _book(client.get(f"/projects/{lagging.id}/monitoring?as_of=2025-06-30&format=xlsx"))
    assert list(book) == ["资金执行", "绩效指标完成情况", "填报记录", "检查点", "偏差说明"]
    money = {r[0]: r[1:] for r in _rows(book["资金执行"])}
    assert money["累计支出（元）"] == (100000, 100000)  # now and frozen
    assert money["实际累计执行率"][0] == 0.1 and money["计划累计进度"][0] == 0.5
    assert money["资金状态"][0] == "红灯"
    indicators = _rows(book["绩效指标完成情况"])
    assert (indicators[1][2], indicators[1][4], indicators[1][5].date()) == ("支持企业数", "2", date(2025, 6, 20))
    checkpoints = {r[0].date(): r for r in _rows(book["检查点"])[1:]}
    assert checkpoints[date(2025, 6, 30)][1] == "红灯" and checkpoints[date(2025, 3, 31)][1] == "未冻结"
    explanation = _rows(book["偏差说明"])[1]
    assert explanation[5:7] == ("资金晚到", "'=加快支付")
    assert client.get(f"/projects/{other.id}/monitoring?format=xlsx").status_code == 404


def test_project_detail_export(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    _science, _finance, lagging, _other = _cockpit_department(session)
    logged_in(Role.leader)
    book = _book(client.get(f"/projects/{lagging.id}?format=xlsx"))
    assert list(book) == ["项目信息", "资金支出计划（累计）", "绩效指标", "目标审核发现", "变更记录"]
    facts = {r[0]: r[1] for r in _rows(book["项目信息"])}
    assert facts["项目名称"] == "科技<专项>&推广" and facts["全年预算数（元）"] == 1000000
    plan = _rows(book["资金支出计划（累计）"])
    assert [r[1] for r in plan[1:]] == [0.1, 0.5, 0.8, 1]
    assert _rows(book["绩效指标"])[1][2] == "支持企业数"


def test_user_list_and_target_import_exports(client, logged_in, make_user, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, "甲单位")
    session.commit()
    admin = logged_in(Role.admin)
    make_user(Role.unit_staff, [unit], username="zhou")
    assert "导出 Excel" in client.get("/admin/users").get_data(as_text=True)
    rows = {r[0]: r for r in _rows(_book(client.get("/admin/users?format=xlsx"))["用户"])}
    assert rows["zhou"][1:4] == ("单位填报人员", unit.label, "启用") and admin.username in rows
    session.add(TargetImport(file_name="=目标表.docx", checksum="a" * 64, layout="docx", year=2025,
                             unit_id=unit.id, actor="admin", projects_created=3))
    session.commit()
    imports = _rows(_book(client.get("/imports/targets?format=xlsx"))["目标表导入记录"])
    assert imports[0][:2] == ("时间", "文件") and imports[1][1:5] == ("'=目标表.docx", 2025, "admin", 3)
    assert client.get("/imports/targets").status_code == 200
    logged_in(Role.leader)
    assert client.get("/admin/users?format=xlsx").status_code == 403


def test_every_download_is_audited(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, "甲单位")
    make_project(session, unit, name="普通项目")
    session.commit()
    user = logged_in(Role.leader)
    assert client.get("/projects?year=2025&format=xlsx").status_code == 200
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).one()
    assert (entry.user_id, entry.entity) == (user.id, "download")
    assert entry.details == {"file": "项目列表-2025.xlsx", "url": "/projects?year=2025&format=xlsx"}
