"""部门整体绩效: indicators stored on target import, exported, reported on and self-evaluated.

The 自评 of seed 002 (高新区科技局, 2023) is scored by hand in ``test_self_evaluation_scored_by_hand``.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.monitoring_builders import add_ledger
from tracker.config import PROJECT_ROOT
from tracker.models import AuditEntry, DepartmentIndicator, DepartmentProgress, DepartmentYear, Project, Unit
from tracker.services import department
from tracker.services.target_import import UploadedFile, apply_import, plan_import

SEEDS = sorted((PROJECT_ROOT / "seeds").glob("*.txt"))


def import_seed(session: Session, prefix: str) -> None:
    path = next(p for p in SEEDS if p.name.startswith(prefix))
    apply_import(session, plan_import(session, [UploadedFile(path.name, path.read_bytes())]), "test")
    session.flush()


def year_of(session: Session, unit_name: str, year: int) -> DepartmentYear:
    return session.scalars(select(DepartmentYear).join(Unit).where(
        Unit.name == unit_name, DepartmentYear.year == year)).one()


def test_import_stores_the_department_indicators_and_reimport_changes_nothing(session: Session) -> None:
    import_seed(session, "002")
    record = year_of(session, "高新区科技局", 2023)
    rows = department.indicators_of(session, record)
    assert [(r.position, r.name, r.op, r.target_number, r.target_unit) for r in rows] == [
        (1, "高新技术企业新增", ">=", Decimal(25), "家"),
        (2, "新认定国家科技型中小企业", None, Decimal(240), "家"),
        (3, "区内企业满意度", ">", Decimal(90), "%"),
        (4, "及时足额拨付机器人产业扶持资金", None, None, None),
        (5, "区内机器人企业创新能力", None, None, None),
        (6, "机器人产业企业满意度", ">=", Decimal(90), "%"),
    ]
    ids = [r.id for r in rows]
    department.add_progress(session, rows[0], reported_on=date(2023, 6, 30), actor="test", raw="10")
    import_seed(session, "002")
    again = department.indicators_of(session, record)
    assert [r.id for r in again] == ids
    assert session.scalar(select(func.count()).select_from(DepartmentIndicator)) == 6
    assert [e.value for e in again[0].reports] == [Decimal(10)]


def test_a_goal_without_indicator_is_stored_with_its_finding(session: Session) -> None:
    import_seed(session, "000")
    rows = department.export_rows(session, 2025)
    assert [(r["goal"], r["indicator"], r["findings"]) for r in rows] == [
        ("科技创新项目支撑", None, ["分项“科技创新项目支撑”没有绩效指标，无法监控和自评"]),
        ("科技创新环境建设", None, ["分项“科技创新环境建设”没有绩效指标，无法监控和自评"]),
        ("科技政务管理", None, ["分项“科技政务管理”没有绩效指标，无法监控和自评"]),
    ]
    assert rows[0]["unit_code"] == "306001" and rows[0]["unit_name"] == "唐山市路南区科学技术局"


def test_export_contract_on_the_command_line(runner, session: Session) -> None:  # type: ignore[no-untyped-def]
    import_seed(session, "002")
    import_seed(session, "003")
    session.commit()
    result = runner("export", "department-indicators", "--year", "2023", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 6 and {r["year"] for r in rows} == {2023}
    assert rows[0] == {
        "unit_code": None, "unit_name": "高新区科技局", "year": 2023, "goal": "为高新区提供科技创新项目支撑",
        "indicator": "高新技术企业新增", "operator": ">=", "value": 25, "measure_unit": "家",
        "qualitative": False, "findings": [], "source": "2023年度高新技术企业新增25家以上",
    }
    assert rows[4]["qualitative"] is True and rows[4]["findings"] and "明显提高" in rows[4]["findings"][0]
    cangzhou = json.loads(runner("export", "department-indicators", "--unit",
                                 "沧州临港经济技术开发区循环经济促进中心", "--json").output)
    assert len(cangzhou) == 8 and all(r["value"] is None and len(r["findings"]) == 1 for r in cangzhou)


def test_progress_rejects_a_value_of_the_wrong_kind(session: Session) -> None:
    import_seed(session, "002")
    rows = department.indicators_of(session, year_of(session, "高新区科技局", 2023))
    with pytest.raises(department.DepartmentError, match="应为数字"):
        department.add_progress(session, rows[0], reported_on=date(2023, 6, 30), actor="t", raw="很多")
    with pytest.raises(department.DepartmentError, match="定性指标完成情况应为"):
        department.add_progress(session, rows[3], reported_on=date(2023, 6, 30), actor="t", raw="12")
    with pytest.raises(department.DepartmentError, match="不一致"):
        department.add_progress(session, rows[2], reported_on=date(2023, 6, 30), actor="t", raw="95家")


def _spend_80_percent(session: Session) -> None:
    """Seed 002's three projects: 1280 + 973 + 2000 = 4253 万元; spent 3402.4 万元 = 80%."""
    unit = session.scalars(select(Unit).where(Unit.name == "高新区科技局")).one()
    projects = {p.name: p for p in session.scalars(select(Project).where(Project.unit_id == unit.id))}
    add_ledger(session, unit, ("2023-01-01", "2023-12-31"), [
        (projects["高新技术企业扶持资金"], "2023-05-10", "12800000"),
        (projects["创投基金注资"], "2023-09-01", "20000000"),
        (projects["百川房屋租赁费"], "2023-11-30", "1224000"),
        (projects["百川房屋租赁费"], "2024-01-05", "500000"),  # next year: not counted
    ])


def test_self_evaluation_scored_by_hand(session: Session) -> None:
    """执行率 80% → 8 分.  分值 by 一级 (no 分值 given): 产出 50 over three (16.67, 16.67, 16.66),
    效益 30 over one, 满意度 10 over two (5, 5).
    1 高新技术企业新增 ≥25家, A = 30 (the June 10 is superseded) → 16.67
    2 新认定国家科技型中小企业 240家, A = 180 → 180/240 × 16.67 = 12.5025
    3 区内企业满意度 >90%, A = 95 → 5
    4 及时足额拨付… 定性, 达成 → 16.66 (top of band)
    5 区内机器人企业创新能力 定性, 部分达成 → 80% × 30 − 0.01 = 23.99
    6 机器人产业企业满意度 ≥90%, A = 85 → 85/90 × 5 = 4.7222…
    Σ = 79.5447… + 8 = 87.5447… → 87.54, 良."""
    import_seed(session, "002")
    _spend_80_percent(session)
    record = year_of(session, "高新区科技局", 2023)
    rows = department.indicators_of(session, record)
    add = department.add_progress
    add(session, rows[0], reported_on=date(2023, 6, 30), actor="t", raw="10")
    for row, raw in zip(rows, ("30", "180", "95%", "达成年度指标", "部分达成年度指标并具有一定效果", "85")):
        add(session, row, reported_on=date(2023, 12, 20), actor="t", raw=raw, note="")
    with pytest.raises(department.DepartmentError, match="完成值日期应在2023年内"):  # after year end: never counted
        add(session, rows[5], reported_on=date(2024, 1, 10), actor="t", raw="99")
    session.expire_all()
    result = department.self_evaluation(session, record)
    assert (result.annual_budget, result.spent) == (Decimal("42530000"), Decimal("34024000"))
    evaluation = result.evaluation
    assert evaluation.execution_score == Decimal(8)
    weights = {s.indicator.name: s.weight for s in evaluation.indicators}
    assert weights == {"高新技术企业新增": Decimal("16.67"), "新认定国家科技型中小企业": Decimal("16.67"),
                       "及时足额拨付机器人产业扶持资金": Decimal("16.66"), "区内机器人企业创新能力": Decimal(30),
                       "区内企业满意度": Decimal(5), "机器人产业企业满意度": Decimal(5)}
    scores = {s.indicator.name: s.rounded_score for s in evaluation.indicators}
    assert scores == {"高新技术企业新增": Decimal("16.67"), "新认定国家科技型中小企业": Decimal("12.50"),
                      "区内企业满意度": Decimal("5.00"), "及时足额拨付机器人产业扶持资金": Decimal("16.66"),
                      "区内机器人企业创新能力": Decimal("23.99"), "机器人产业企业满意度": Decimal("4.72")}
    assert evaluation.rounded_total == Decimal("87.54") and evaluation.grade == "良"
    assert result.actuals[0] == "30家" and result.actuals[4] == "部分达成年度指标并具有一定效果"


def test_department_self_eval_workbook_on_the_command_line(runner, session: Session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import_seed(session, "002")
    _spend_80_percent(session)
    session.commit()
    for ref, raw in (("1", "30"), ("新认定国家科技型中小企业", "180"), ("3", "95"), ("4", "达成年度指标"),
                     ("5", "部分达成年度指标并具有一定效果"), ("6", "85")):
        result = runner("progress", "add", "--department", "高新区科技局", "--indicator", ref, "--value", raw,
                        "--date", "2023-12-20")
        assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count()).select_from(DepartmentProgress)) == 6
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity == "department_indicator")) == 6
    out = tmp_path / "dept.xlsx"
    result = runner("report", "department-self-eval", "--unit", "高新区科技局", "--year", "2023", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "总分 87.54" in result.output and "等级 良" in result.output
    sheet = load_workbook(out).active
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    cells = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    assert cells[0][0] == "部门整体支出绩效自评表" and cells[2][:2] == ("部门名称", "高新区科技局")
    assert cells[3][:7] == ("年度预算（万元）", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分")
    assert cells[4][:7] == ("年度资金总额", 4253, 4253, 3402.4, 10, "80.00%", 8)
    assert (cells[5][0], cells[5][1], cells[5][5]) == ("年度总体目标", "预期目标", "实际完成情况")
    assert cells[6][1].startswith("高新区科技局致力于为全区提供科技创新项目支撑")
    assert cells[7] == ("绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                        "偏差原因分析及改进措施")
    assert cells[9][1:8] == ("产出指标", "数量指标", "新认定国家科技型中小企业", "240家", "180家", 16.67, 12.5)
    assert cells[14][0] == "总分" and cells[14][6:9] == (100, 87.54, "自评等级：良")


def test_unknown_department_is_said_in_chinese(runner, session: Session) -> None:  # type: ignore[no-untyped-def]
    result = runner("report", "department-self-eval", "--unit", "不存在的局", "--year", "2023", "--out", "x.xlsx")
    assert isinstance(result.exception, department.DepartmentError)  # main() prints it on stderr
    assert str(result.exception) == "没有找到单位“不存在的局”2023年的部门整体绩效目标，请先导入绩效目标文件"
    both = runner("progress", "add", "--indicator", "1", "--value", "1", "--date", "2023-01-01")
    assert both.exit_code != 0 and "二者之一" in both.output


def test_self_eval_report_fills_the_department_results(session: Session) -> None:
    from tests.reports.test_narrative import read, section, table_after
    from tracker.reports.narrative import SELF_EVAL_SECTIONS, self_eval_report
    from tracker.services.reporting import self_eval_form

    import_seed(session, "002")
    import_seed(session, "000")
    _spend_80_percent(session)
    record = year_of(session, "高新区科技局", 2023)
    rows = department.indicators_of(session, record)
    for row, raw in zip(rows, ("30", "180", "95%", "达成年度指标", "部分达成年度指标并具有一定效果", "85")):
        department.add_progress(session, row, reported_on=date(2023, 12, 20), actor="t", raw=raw)
    session.expire_all()
    doc = read(self_eval_report(self_eval_form(session, 2023, record.unit_id, date(2024, 2, 1)), charts=False))
    results = "\n".join(section(doc, SELF_EVAL_SECTIONS[1], "（一）产出指标完成情况"))
    assert ("部门整体绩效指标（摘自分项绩效目标）共 6 项" in results and "为 80.00%" in results
            and "部门整体自评得分 87.54 分，等级：良" in results)
    table = table_after(doc, "部门整体绩效指标完成情况")
    assert table[0] == ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"]
    assert table[2] == ["产出指标", "数量指标", "新认定国家科技型中小企业", "240家", "180家", "16.67", "12.50"]
    assert table[5] == ["效益指标", "社会效益指标", "区内机器人企业创新能力（定性指标）", "明显提高",
                        "部分达成年度指标并具有一定效果", "30.00", "23.99"]
    tangshan = year_of(session, "唐山市路南区科学技术局", 2025)
    other = read(self_eval_report(self_eval_form(session, 2025, tangshan.unit_id, date(2026, 2, 1)), charts=False))
    assert "分项“科技政务管理”没有绩效指标，无法监控和自评（未评分）。" in "\n".join(
        section(other, SELF_EVAL_SECTIONS[1], "（一）产出指标完成情况"))


def test_finance_corrects_and_completes_indicators_and_reimport_keeps_it(runner, session: Session) -> None:  # type: ignore[no-untyped-def]
    import_seed(session, "003")
    import_seed(session, "000")
    session.commit()
    unit = "沧州临港经济技术开发区循环经济促进中心"
    result = runner("department", "correct", "--unit", unit, "--year", "2025", "--indicator", "3",
                    "--value", "100%", "--weight", "20", "--reason", "与财政核定的指标值一致")
    assert result.exit_code == 0, result.output
    assert "已更正" in result.output and "“工作开展率”，指标值“100%”（无审核发现）" in result.output
    record = year_of(session, unit, 2025)
    row = department.find_indicator(session, record, 3)
    assert (row.op, row.target_number, row.target_unit, row.weight, row.finding_list) == (
        None, Decimal(100), "%", Decimal(20), [])
    (correction,) = row.corrections
    assert correction.before["target_raw"] == "" and correction.after["target_raw"] == "100%"
    assert correction.reason == "与财政核定的指标值一致"
    import_seed(session, "003")  # the document still says no value: finance's version stands
    session.expire_all()
    again = department.find_indicator(session, record, 3)
    assert (again.id, again.target_raw, again.weight) == (row.id, "100%", Decimal(20))
    assert department.find_indicator(session, record, 4).finding_list  # not corrected: still flagged
    # a 分项 of seed 000 without indicator, completed
    tangshan = year_of(session, "唐山市路南区科学技术局", 2025)
    empty = department.find_indicator(session, tangshan, 3, empty_goal=True)
    with pytest.raises(department.DepartmentError) as error:
        department.correct(session, empty, actor="t", reason="", target="12次", weight="-1")
    assert str(error.value) == ("请填写更正原因；分项“科技政务管理”没有绩效指标，补充时请填写指标名称；"
                                "分值应为 0–100 之间的数字，当前为“-1”")
    department.correct(session, empty, actor="t", reason="补充指标", name="机关综合事务办理次数", target="≥12次")
    assert (empty.name, empty.level1, empty.level2, empty.op, empty.target_number, empty.finding_list) == (
        "机关综合事务办理次数", "产出指标", "数量指标", ">=", Decimal(12), [])
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.entity == "department_indicator", AuditEntry.action == "correct")) == 2


def test_department_dual_monitoring_by_hand(session: Session) -> None:
    """Seed 002 plans every project at 0% through 30 Sep and 100% at 31 Dec: on 15 Nov each plan
    reads 46/92 = 50%, so the summed plan is 50%.  Spent 1280 万元 of 4253 → 执行率 30.0964%,
    v = 60.19 → yellow.  高新技术企业新增 ≥25家 with 10 reported: 序时进度 on 15 Nov = 10.5/12 =
    87.5%, expected 21.875, v = 45.7 → red; 区内企业满意度 >90% with 95: a level, v = 105.6 →
    green; the rest unreported past 03-31 + 10 days: yellow 逾期未填报 (the project rule; the
    report dated 20 Nov is after as_of).  Results red, overall red."""
    import_seed(session, "002")
    unit = session.scalars(select(Unit).where(Unit.name == "高新区科技局")).one()
    funds = session.scalars(select(Project).where(Project.name == "高新技术企业扶持资金")).one()
    add_ledger(session, unit, ("2023-01-01", "2023-12-31"), [(funds, "2023-05-10", "12800000")])
    record = year_of(session, "高新区科技局", 2023)
    rows = department.indicators_of(session, record)
    department.add_progress(session, rows[0], reported_on=date(2023, 11, 1), actor="t", raw="10")
    department.add_progress(session, rows[2], reported_on=date(2023, 11, 1), actor="t", raw="95")
    department.add_progress(session, rows[1], reported_on=date(2023, 11, 20), actor="t", raw="1")  # after as_of
    session.expire_all()
    result = department.monitor(session, record, date(2023, 11, 15))
    assert (result.budget, result.spent) == (Decimal("42530000"), Decimal("12800000"))
    assert result.money.planned_pct == Decimal(50) and result.money.status == "yellow"
    assert round(result.money.execution_rate, 4) == Decimal("30.0964")
    colours = [status.colour for _, status in result.indicators]
    assert colours == ["red", "yellow", "green", "yellow", "yellow", "yellow"]
    assert {status.label for _, status in result.indicators[3:]} == {"逾期未填报"}
    assert round(result.indicators[0][1].ratio, 1) == Decimal("45.7")
    assert (result.results, result.overall) == ("red", "red")


def test_a_department_table_in_a_word_document_is_imported(session: Session) -> None:
    """A Word 绩效目标 document with a 部门整体绩效目标表 (一体化 layout) above its project tables."""
    import io

    from docx import Document

    from tests.importers.target_fixtures import SEED_002_P1, docx_bytes

    document = Document(io.BytesIO(docx_bytes([SEED_002_P1], intro=["2023年部门整体绩效目标", "部门整体绩效目标表"])))
    table = document.add_table(rows=4, cols=5)
    for r, cells in enumerate((("一级指标", "二级指标", "三级指标", "指标值", "分值"),
                               ("产出指标", "数量指标", "认定高新技术企业数", "≥25家", "30"),
                               ("", "", "科普活动场次", "", ""),
                               ("满意度指标", "服务对象满意度指标", "企业满意度", "≥90%", ""))):
        for c, text in enumerate(cells):
            table.cell(r, c).text = text
    document.paragraphs[1]._p.addnext(table._tbl)  # right under its heading, above the projects
    buffer = io.BytesIO()
    document.save(buffer)
    apply_import(session, plan_import(session, [UploadedFile("dept.docx", buffer.getvalue())]), "test")
    session.flush()
    record = session.scalars(select(DepartmentYear).where(DepartmentYear.year == 2023)).one()
    rows = department.export_rows(session, 2023)
    assert [(r["goal"], r["indicator"], r["operator"], r["value"], r["measure_unit"], len(r["findings"]))
            for r in rows] == [
        ("部门整体绩效目标表", "认定高新技术企业数", ">=", 25, "家", 0),
        ("部门整体绩效目标表", "科普活动场次", None, None, None, 1),
        ("部门整体绩效目标表", "企业满意度", ">=", 90, "%", 0),
    ]
    assert [row.weight for row in department.indicators_of(session, record)] == [Decimal(30), None, None]
    assert session.scalar(select(func.count()).select_from(Project).where(Project.year == 2023)) == 1


def test_an_indicator_added_before_others_keeps_their_progress(session: Session) -> None:
    """A corrected document that adds a sentence moves the later indicators down: they are
    matched by 分项 + name, not by position, so what was reported on them stays."""
    import_seed(session, "002")
    record = year_of(session, "高新区科技局", 2023)
    rows = department.indicators_of(session, record)
    satisfaction = next(r for r in rows if r.name == "区内企业满意度")
    department.add_progress(session, satisfaction, reported_on=date(2023, 6, 30), actor="test", raw="95")
    path = next(p for p in SEEDS if p.name.startswith("002"))
    text = path.read_text(encoding="utf-8")
    old = "绩效指标：2023年度高新技术企业新增25家以上；"
    assert old in text
    corrected = text.replace(old, "绩效指标：2023年度新增科技成果转化项目10项以上；" + old[5:], 1)
    apply_import(session, plan_import(session, [UploadedFile(path.name, corrected.encode("utf-8"))]), "test")
    session.flush()
    session.expire_all()
    again = department.indicators_of(session, record)
    assert [r.name for r in again][:2] == ["新增科技成果转化项目", "高新技术企业新增"]
    kept = next(r for r in again if r.name == "区内企业满意度")
    assert kept.id == satisfaction.id and [e.value for e in kept.reports] == [Decimal(95)]
