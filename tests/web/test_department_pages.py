"""部门整体绩效 pages: indicators with findings, progress by unit staff, corrections by finance."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import post_form
from tests.services.test_department import import_seed, year_of
from tracker.models import DepartmentProgress, Unit
from tracker.services import department


def test_finance_sees_findings_and_corrects_unit_staff_reports(client, logged_in, session: Session) -> None:  # type: ignore[no-untyped-def]
    import_seed(session, "002")
    session.commit()
    record = year_of(session, "高新区科技局", 2023)
    logged_in("finance")
    listing = client.get("/departments").get_data(as_text=True)
    assert f"/departments/{record.id}" in listing and "高新区科技局" in listing
    page = client.get(f"/departments/{record.id}").get_data(as_text=True)
    for text in ("高新技术企业新增", "25家以上", "“明显提高”是模糊表述", "2023年度高新技术企业新增25家以上",
                 "下载部门整体支出绩效自评表", "更正指标"):
        assert text in page, text
    assert "填报完成值" not in page  # finance corrects, unit staff reports
    refused = post_form(client, f"/departments/{record.id}/indicators/5/correct",
                        {"target": "≥10项", "reason": ""}, token_from="/departments")
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "未保存（第5个指标）：请填写更正原因" in body and 'value="≥10项"' in body
    done = post_form(client, f"/departments/{record.id}/indicators/5/correct",
                     {"target": "≥10项", "name": "机器人企业新增专利", "reason": "按财政批复补充"},
                     token_from="/departments", follow_redirects=True)
    assert done.status_code == 200 and "已更正" in done.get_data(as_text=True)
    session.expire_all()
    unit = session.scalars(select(Unit).where(Unit.name == "高新区科技局")).one()
    logged_in("unit_staff", units=[unit])
    page = client.get(f"/departments/{record.id}").get_data(as_text=True)
    assert "填报完成值" in page and "更正指标" not in page and "已更正" in page
    bad = post_form(client, f"/departments/{record.id}/indicators/1/progress",
                    {"reported_on": "2023-06-30", "value": "很多"}, token_from="/departments")
    assert bad.status_code == 400 and "应为数字" in bad.get_data(as_text=True)
    ok = post_form(client, f"/departments/{record.id}/indicators/5/progress",
                   {"reported_on": "2023-06-30", "value": "6"}, token_from="/departments", follow_redirects=True)
    assert ok.status_code == 200 and "2023-06-30：6项" in ok.get_data(as_text=True)
    (entry,) = session.scalars(select(DepartmentProgress)).all()
    assert entry.value == Decimal(6)
    download = client.get(f"/departments/{record.id}/self-eval.xlsx")
    assert download.status_code == 200 and download.data[:2] == b"PK"


def test_unit_staff_of_another_unit_gets_404(client, logged_in, session: Session) -> None:  # type: ignore[no-untyped-def]
    import_seed(session, "002")
    other = Unit(code="X1", name="别的单位")
    session.add(other)
    session.commit()
    record = year_of(session, "高新区科技局", 2023)
    logged_in("unit_staff", units=[other])
    assert client.get(f"/departments/{record.id}").status_code == 404
    assert "高新区科技局" not in client.get("/departments").get_data(as_text=True)


def test_cockpit_and_department_page_show_the_department_line(client, logged_in, session: Session) -> None:  # type: ignore[no-untyped-def]
    from tests.monitoring_builders import add_ledger
    from tracker.models import Project
    from tracker.services import department

    import_seed(session, "002")
    unit = session.scalars(select(Unit).where(Unit.name == "高新区科技局")).one()
    funds = session.scalars(select(Project).where(Project.name == "高新技术企业扶持资金")).one()
    add_ledger(session, unit, ("2023-01-01", "2023-12-31"), [(funds, "2023-05-10", "12800000")])
    record = year_of(session, "高新区科技局", 2023)
    rows = department.indicators_of(session, record)
    department.add_progress(session, rows[0], reported_on=date(2023, 11, 1), actor="t", raw="10")
    session.commit()
    logged_in("leader")
    page = client.get("/cockpit?year=2023&as_of=2023-11-15").get_data(as_text=True)
    assert "部门整体绩效（双监控）" in page
    line = page[page.index('id="departments"'):]
    line = line[:line.index("</table>")]
    assert f"/departments/{record.id}" in line and "高新区科技局" in line
    assert "30.10% / 50.00%" in line and "黄灯" in line and "红灯" in line
    detail = client.get(f"/departments/{record.id}").get_data(as_text=True)  # today is after 2023: 31 Dec
    assert "双监控（截至 2023-12-31）" in detail


def test_cockpit_department_lines_are_kept_until_the_data_changes(client, logged_in, session: Session,  # type: ignore[no-untyped-def]
                                                                  monkeypatch) -> None:
    from tracker.models import Role
    from tracker.services import department

    import_seed(session, "002")
    session.commit()
    record = year_of(session, "高新区科技局", 2023)
    built: list[int] = []
    lines = department.department_lines

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(1)
        return lines(*args, **kwargs)

    monkeypatch.setattr(department, "department_lines", counted)
    logged_in(Role.leader)
    url = "/cockpit?year=2023&as_of=2023-11-15"
    first = client.get(url).get_data(as_text=True)
    assert f"/departments/{record.id}" in first and "部门整体绩效（双监控）" in first
    assert client.get(url).get_data(as_text=True).count("高新区科技局") == first.count("高新区科技局")
    assert len(built) == 1  # the second page read the kept lines
    rows = department.indicators_of(session, record)
    for row in rows:  # every indicator reported: 逾期未填报 no more
        if row.name:
            department.add_progress(session, row, reported_on=date(2023, 11, 1), actor="t", raw="达成年度指标"
                                    if row.target_number is None else str(row.target_number))
    session.commit()
    client.get(url)
    assert len(built) == 2  # a committed write: built again


def test_unit_staff_draft_save_and_freeze_the_department_self_evaluation(client, logged_in, session: Session) -> None:  # type: ignore[no-untyped-def]
    from tracker.models import DepartmentEvaluation, Role
    from tracker.services import department

    import_seed(session, "002")
    session.commit()
    record = year_of(session, "高新区科技局", 2023)
    unit = session.scalars(select(Unit).where(Unit.name == "高新区科技局")).one()
    logged_in(Role.unit_staff, units=[unit])
    url = f"/departments/{record.id}/evaluation"
    assert "创建部门整体自评草稿" in client.get(url).get_data(as_text=True)
    created = post_form(client, f"{url}/new", {}, token_from=url, follow_redirects=True)
    assert "已创建第1次部门整体自评草稿" in created.get_data(as_text=True)
    draft = session.scalars(select(DepartmentEvaluation)).one()
    first = draft.indicators[0]
    refused = post_form(client, f"{url}/1", {f"actual_{first.id}": "很多", "goal_actual": "已完成"}, token_from=url)
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "“高新技术企业新增”的实际完成值应为数字（可带单位），当前为“很多”" in body and "已完成" in body
    saved = post_form(client, f"{url}/1", {f"actual_{first.id}": "30", "goal_actual": "已完成",
                                           "action": "freeze", "warnings_reason": "年终数据已核实"},
                      token_from=url, follow_redirects=True)
    page = saved.get_data(as_text=True)
    assert saved.status_code == 200 and "已提交并冻结" in page and "自评表和自评报告打印这一次" in page
    session.expire_all()
    frozen = session.scalars(select(DepartmentEvaluation)).one()
    assert frozen.frozen and frozen.frozen_by and frozen.goal_actual == "已完成"
    assert frozen.indicators[0].actual == Decimal(30) and frozen.warnings_reason == "年终数据已核实"
    assert department.indicators_of(session, record)[0].reports == []  # the 自评 is not a progress report


def test_every_bad_correction_or_report_is_answered_in_chinese_and_nothing_is_saved(  # type: ignore[no-untyped-def]
        client, logged_in, session: Session) -> None:
    """What a clerk can type into the two forms: a 分值 with 3 decimals, texts longer than
    their columns, a number the database cannot hold, a date outside the year or in the
    future — each refused on the page (400, in Chinese), never a 500 or a silent store."""
    from tracker.models import DepartmentCorrection

    import_seed(session, "002")
    session.commit()
    record = year_of(session, "高新区科技局", 2023)
    logged_in("finance")
    correct = f"/departments/{record.id}/indicators/5/correct"
    for form, message in (
            ({"reason": "r", "weight": "12.345"}, "分值最多保留2位小数，当前为“12.345”"),
            ({"reason": "r", "name": "名" * 501}, "指标名称最多500字"),
            ({"reason": "r", "level2": "二" * 101}, "二级指标最多100字"),
            ({"reason": "r", "target": "≥" + "9" * 500}, "指标值最多500字"),
            ({"reason": "r", "target": "≥" + "9" * 20 + "项"}, "指标值的数值过大或小数位超过4位"),
            ({"reason": "r" * 2001}, "更正原因最多2000字")):
        refused = post_form(client, correct, form, token_from="/departments")
        assert refused.status_code == 400, form
        assert message in refused.get_data(as_text=True), form
    assert session.scalar(select(func.count()).select_from(DepartmentCorrection)) == 0
    unit = session.scalars(select(Unit).where(Unit.name == "高新区科技局")).one()
    logged_in("unit_staff", units=[unit])
    report = f"/departments/{record.id}/indicators/1/progress"
    for form, message in (
            ({"reported_on": "2022-12-31", "value": "5"}, "完成值日期应在2023年内且不晚于今天（2023-01-01 至 2023-12-31），"
                                                          "当前为 2022-12-31"),
            ({"reported_on": "2024-01-01", "value": "5"}, "完成值日期应在2023年内"),
            ({"reported_on": "", "value": "5"}, "请填写完成值日期"),
            ({"reported_on": "2023-06-30", "value": "1e30"}, "的完成值"),
            ({"reported_on": "2023-06-30", "value": "-5"}, "“高新技术企业新增”的完成值不能为负数（指标单位为“家”），当前为“-5”"),
            ({"reported_on": "2023-06-30", "value": "5", "note": "说" * 2001}, "偏差说明最多2000字")):
        refused = post_form(client, report, form, token_from="/departments")
        assert refused.status_code == 400, form
        assert message in refused.get_data(as_text=True), form
    assert session.scalar(select(func.count()).select_from(DepartmentProgress)) == 0
    with pytest.raises(department.DepartmentError, match="不晚于今天"):  # a date after today
        department.add_progress(session, department.indicators_of(session, record)[0],
                                reported_on=date(2023, 7, 1), actor="t", raw="5", today=date(2023, 6, 30))


def test_a_number_too_large_in_the_department_self_evaluation_is_refused_on_the_page(  # type: ignore[no-untyped-def]
        client, logged_in, session: Session) -> None:
    """1e30 (and NaN) as 实际完成值: a Chinese refusal beside the field, not a 500 — the
    number is checked for size before its decimals (``parse_reported_number``)."""
    from tracker.models import DepartmentEvaluation, Role

    import_seed(session, "002")
    session.commit()
    record = year_of(session, "高新区科技局", 2023)
    unit = session.scalars(select(Unit).where(Unit.name == "高新区科技局")).one()
    logged_in(Role.unit_staff, units=[unit])
    url = f"/departments/{record.id}/evaluation"
    post_form(client, f"{url}/new", {}, token_from=url)
    first = session.scalars(select(DepartmentEvaluation)).one().indicators[0]
    for typed, message in (("1e30", "“高新技术企业新增”的实际完成值数值过大，当前为“1e30”"),
                           ("NaN", "“高新技术企业新增”的实际完成值应为数字（可带单位），当前为“NaN”"),
                           ("-25", "“高新技术企业新增”的实际完成值不能为负数（指标单位为“家”），当前为“-25”")):
        refused = post_form(client, f"{url}/1", {f"actual_{first.id}": typed}, token_from=url)
        assert refused.status_code == 400 and message in refused.get_data(as_text=True), typed
    reported = post_form(client, f"/departments/{record.id}/indicators/1/progress",
                         {"reported_on": "2023-06-30", "value": "1e30"}, token_from="/departments")
    assert reported.status_code == 400
    assert "“高新技术企业新增”的完成值数值过大，当前为“1e30”" in reported.get_data(as_text=True)


def test_round_numbers_show_as_typed_not_in_exponent_form(client, logged_in, session: Session) -> None:  # type: ignore[no-untyped-def]
    """100% reported and a 分值 of 20 read back as 100% and 20 (``Decimal.normalize`` alone
    gave 1E+2% and 2E+1)."""
    import_seed(session, "002")
    record = year_of(session, "高新区科技局", 2023)
    row = department.indicators_of(session, record)[2]  # 区内企业满意度 >90%
    department.add_progress(session, row, reported_on=date(2023, 6, 30), actor="t", raw="100%")
    department.correct(session, row, actor="t", reason="按批复", weight="20")
    session.commit()
    logged_in("finance")
    page = client.get(f"/departments/{record.id}").get_data(as_text=True)
    assert "2023-06-30：100%" in page and 'name="weight" inputmode="decimal" value="20"' in page
    assert "E+" not in page


def test_the_progress_form_offers_a_date_it_accepts(client, logged_in, session: Session) -> None:  # type: ignore[no-untyped-def]
    """The form's 完成值日期 starts on a day the year allows: today during the year, else
    12-31 of a year gone by (2023 here) — today (after 2023) would be refused as given."""
    import_seed(session, "002")
    session.commit()
    record = year_of(session, "高新区科技局", 2023)
    unit = session.scalars(select(Unit).where(Unit.name == "高新区科技局")).one()
    logged_in("unit_staff", units=[unit])
    page = client.get(f"/departments/{record.id}").get_data(as_text=True)
    assert 'name="reported_on" required value="2023-12-31"' in page
    accepted = post_form(client, f"/departments/{record.id}/indicators/1/progress",
                         {"reported_on": "2023-12-31", "value": "5"}, token_from="/departments")
    assert accepted.status_code == 302
