"""填报表 in Excel (issue #17): the template, and a filled one previewed and applied through the
same service functions as the web forms."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests.monitoring_builders import QUARTER_PLAN, add_ledger, make_project, make_unit
from tracker.importers.progress_workbook import row_identifier
from tracker.models import AuditEntry, DeviationExplanation, ProgressReport, Unit
from tracker.services.monitoring.evaluate import evaluate
from tracker.services.progress import ExplanationForm, ProgressForm, record_explanation, record_progress
from tracker.services.progress_workbook import import_workbook, template

SECRET = "test-secret"
AS_OF = date(2025, 6, 30)
TODAY = date(2025, 7, 5)
INDICATORS: list[dict[str, object]] = [
    {"name": "支持企业数", "target_raw": "≥10家", "target_number": Decimal(10), "target_unit": "家"},
    {"name": "验收合格率", "level2": "质量指标", "target_raw": "≥90%", "target_number": Decimal(90),
     "target_unit": "%"},
    {"name": "群众满意度提升", "level1": "满意度指标", "level2": "服务对象满意度指标", "target_raw": "有所提升",
     "kind": "qualitative", "op": None},
    {"name": "完成时间", "level2": "时效指标", "target_raw": "2025年10月31日前", "kind": "deadline", "op": None,
     "deadline": date(2025, 10, 31)},
]


def department(session: Any, name: str) -> tuple[Unit, Any, Any]:
    """A unit with a red project (10% spent against a 50% plan at 6-30) and a green one."""
    unit = make_unit(session, name)
    red = make_project(session, unit, plan=QUARTER_PLAN, name=f"{name}专项", indicators=INDICATORS)
    red.code = f"{unit.code}-01"
    green = make_project(session, unit, plan=QUARTER_PLAN, name=f"{name}运转",
                         indicators=[{"name": "培训人次", "target_raw": "≥100人次",
                                      "target_number": Decimal(100), "target_unit": "人次"}])
    green.code = f"{unit.code}-02"
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"),
               [(red, "2025-06-10", "100000"), (green, "2025-06-10", "600000")])
    session.flush()
    return unit, red, green


def fill(data: bytes, indicators: dict[str, dict[str, object]] | None = None,
         explanations: dict[str, dict[str, object]] | None = None,
         edit: Any = None) -> bytes:
    """The workbook with cells typed: indicator rows by 三级指标, explanation rows by 项目名称."""
    book = load_workbook(BytesIO(data))
    for sheet_name, key, wanted in (("指标填报", "三级指标", indicators or {}),
                                    ("偏差说明", "项目名称", explanations or {})):
        sheet = book[sheet_name]
        header = {c.value: c.column for c in sheet[2]}
        for row in sheet.iter_rows(min_row=3):
            name = row[header[key] - 1].value
            for column, value in wanted.get(name, {}).items():
                sheet.cell(row=row[0].row, column=header[column], value=value)
    if edit:
        edit(book)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def run(session: Any, data: bytes, apply: bool = True, **kwargs: Any):  # type: ignore[no-untyped-def]
    return import_workbook(session, data, filename="填报表.xlsx", actor="test", today=TODAY,
                           secret=SECRET, apply=apply, **kwargs)


def reports(session: Any) -> int:
    return session.scalar(select(func.count()).select_from(ProgressReport))


GOOD_INDICATORS: dict[str, dict[str, object]] = {
    "支持企业数": {"本次完成值": 4},
    "验收合格率": {"本次完成值": "95%"},
    "群众满意度提升": {"本次完成值": "部分达成年度指标并具有一定效果", "备注": "问卷中"},
    "完成时间": {"本次完成值": datetime(2025, 6, 20), "完成日期": datetime(2025, 6, 25)},
    "培训人次": {"本次完成值": 80},
}
GOOD_EXPLANATION = {"专项": {"经费保障": "√", "人员保障": "√", "完成目标可能性": "有可能",
                             "全年预计完成情况": "年底前完成全部采购", "原因说明": "资金下达晚",
                             "纠偏措施": "加快招标"}}


def _explanations(unit: Unit) -> dict[str, dict[str, object]]:
    return {f"{unit.name}{k}": v for k, v in GOOD_EXPLANATION.items()}


def test_template_has_the_columns_locks_drop_downs_and_red_projects_first(session) -> None:  # type: ignore[no-untyped-def]
    unit, red, green = department(session, "科技局")
    book = load_workbook(BytesIO(template(session, unit, AS_OF, SECRET)))
    indicators, explanations = book["指标填报"], book["偏差说明"]
    header = [c.value for c in indicators[2]]
    for name in ("项目编码", "项目名称", "一级指标", "二级指标", "三级指标", "年度指标值",
                 "本次完成值", "完成日期", "备注"):
        assert name in header
    assert [c.value for c in indicators[3]][:6] == [red.code, red.name, "产出指标", "数量指标", "支持企业数", "≥10家"]
    # sheet protected; sorting and filtering allowed (the flags say what is locked)
    assert indicators.protection.sheet and not indicators.protection.sort and not indicators.protection.autoFilter
    value_column = header.index("本次完成值") + 1
    assert indicators.cell(3, value_column).protection.locked is False
    assert indicators.cell(3, 1).protection.locked is True
    assert indicators.column_dimensions["N"].hidden
    assert book["标识"].sheet_state == "hidden"
    rules = {str(v.sqref): v for v in indicators.data_validations.dataValidation}
    qualitative = rules[indicators.cell(5, value_column).coordinate]
    assert qualitative.type == "list" and "部分达成年度指标并具有一定效果" in qualitative.formula1
    assert rules[indicators.cell(6, value_column).coordinate].type == "date"
    assert indicators.page_setup.orientation == "landscape" and indicators.page_setup.paperSize == 9
    explanation_header = [c.value for c in explanations[2]]
    for name in ("项目编码", "经费保障", "制度保障", "人员保障", "硬件条件保障", "其他",
                 "完成目标可能性", "全年预计完成情况", "原因说明", "纠偏措施"):
        assert name in explanation_header
    assert [explanations.cell(r, 2).value for r in (3, 4)] == [red.name, green.name]
    assert explanations.cell(3, 3).value == "红灯"
    likelihood = {str(v.sqref): v for v in explanations.data_validations.dataValidation}[
        explanations.cell(3, explanation_header.index("完成目标可能性") + 1).coordinate]
    assert "有可能" in likelihood.formula1


def test_a_round_trip_gives_the_statuses_of_entering_the_values_one_by_one(session) -> None:  # type: ignore[no-untyped-def]
    uploaded, up_red, up_green = department(session, "科技局")
    typed, ty_red, ty_green = department(session, "教育局")
    result = run(session, fill(template(session, uploaded, AS_OF, SECRET), GOOD_INDICATORS,
                               _explanations(uploaded)))
    assert result.refusals == [] and result.applied and len(result.changes) == 6
    values = {"支持企业数": ProgressForm("", "2025-06-30", value="4"),
              "验收合格率": ProgressForm("", "2025-06-30", value="95%"),
              "群众满意度提升": ProgressForm("", "2025-06-30", achievement="部分达成年度指标并具有一定效果",
                                      note="问卷中"),
              "完成时间": ProgressForm("", "2025-06-25", completed_on="2025-06-20"),
              "培训人次": ProgressForm("", "2025-06-30", value="80")}
    for project in (ty_red, ty_green):
        for indicator in project.indicators:
            form = values[indicator.name]
            record_progress(session, project, ProgressForm(str(indicator.id), form.reported_on, form.value,
                                                           form.achievement, form.completed_on, form.note),
                            TODAY, "test")
    record_explanation(session, ty_red, ExplanationForm(
        "2025-06-30", ("funding", "staffing"), "possible", "资金下达晚", "加快招标",
        {str(i.id): "年底前完成全部采购" for i in ty_red.indicators}), "test")
    for day in (AS_OF, date(2025, 9, 30)):
        evaluations = evaluate(session, day)
        for mine, theirs in ((up_red, ty_red), (up_green, ty_green)):
            a, b = evaluations[mine.id], evaluations[theirs.id]
            assert (a.overall, a.results, a.money.status) == (b.overall, b.results, b.money.status)
            assert [(i.status.colour, i.status.label, i.status.ratio) for i in a.indicators] == \
                   [(i.status.colour, i.status.label, i.status.ratio) for i in b.indicators]
    from tracker.services.monitoring.snapshots import record_checkpoints

    stored = {s.project_id: s for s in record_checkpoints(session, AS_OF, today=TODAY)}
    for mine, theirs in ((up_red, ty_red), (up_green, ty_green)):
        a, b = stored[mine.id], stored[theirs.id]
        assert (a.frozen, a.overall_status, a.results_status) == (b.frozen, b.overall_status, b.results_status)
        assert [{k: v for k, v in i.items() if k != "id"} for i in a.indicators] == \
               [{k: v for k, v in i.items() if k != "id"} for i in b.indicators]
    assert stored[up_red.id].indicators[1]["value"] in ("95", "95.0000")
    at_cutoff = evaluate(session, AS_OF)[up_red.id]
    assert at_cutoff.results == "yellow"  # 部分达成 is yellow, 4 of 10×50% is green
    assert at_cutoff.indicators[3].status.colour == "green"  # completed before the deadline
    reported = session.scalars(select(ProgressReport).where(ProgressReport.project_id == up_red.id)
                               .order_by(ProgressReport.indicator_id)).all()
    assert [r.value for r in reported[:2]] == [Decimal(4), Decimal(95)]
    explanation = session.scalar(select(DeviationExplanation).where(DeviationExplanation.project_id == up_red.id))
    assert explanation.causes == ["funding", "staffing"] and explanation.likelihood == "possible"
    assert {f.forecast for f in explanation.forecasts} == {"年底前完成全部采购"}
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "import_progress_workbook")) == 1


def test_the_same_file_twice_changes_nothing_the_second_time(session) -> None:  # type: ignore[no-untyped-def]
    unit, _, _ = department(session, "科技局")
    data = fill(template(session, unit, AS_OF, SECRET), GOOD_INDICATORS, _explanations(unit))
    assert len(run(session, data).changes) == 6
    before = reports(session), session.scalar(select(func.count()).select_from(DeviationExplanation))
    again = run(session, data)
    assert again.applied and again.changes == [] and again.unchanged == 6 and again.refusals == []
    assert (reports(session), session.scalar(select(func.count()).select_from(DeviationExplanation))) == before


def test_a_preview_lists_old_and_new_values_and_saves_nothing(session) -> None:  # type: ignore[no-untyped-def]
    unit, red, _ = department(session, "科技局")
    record_progress(session, red, ProgressForm(str(red.indicators[0].id), "2025-05-31", value="2"), TODAY, "test")
    preview = run(session, fill(template(session, unit, AS_OF, SECRET), {"支持企业数": {"本次完成值": "5家"}}),
                  apply=False)
    assert not preview.applied and preview.refusals == []
    assert [(c["indicator"], c["old"], c["new"], c["reported_on"]) for c in preview.changes] == \
           [("支持企业数", "2家", "5家", "2025-06-30")]
    assert reports(session) == 1


def test_rows_are_matched_by_their_hidden_identifiers_after_sorting(session) -> None:  # type: ignore[no-untyped-def]
    unit, red, _ = department(session, "科技局")

    def reverse(book: Any) -> None:
        sheet = book["指标填报"]
        rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=3)]
        for offset, values in enumerate(reversed(rows)):
            for column, value in enumerate(values, start=1):
                sheet.cell(row=3 + offset, column=column).value = value  # value=None would be ignored

    result = run(session, fill(template(session, unit, AS_OF, SECRET), {"支持企业数": {"本次完成值": 7}}, edit=reverse))
    assert result.refusals == [] and result.changes[0]["row"] == 7
    assert session.scalar(select(ProgressReport.value).where(
        ProgressReport.indicator_id == red.indicators[0].id)) == Decimal(7)


def test_a_percent_typed_in_excel_reads_as_a_percent(session) -> None:  # type: ignore[no-untyped-def]
    unit, red, _ = department(session, "科技局")

    def percent(book: Any) -> None:
        sheet = book["指标填报"]
        for row in sheet.iter_rows(min_row=3):
            if row[4].value == "验收合格率":
                row[10].value, row[10].number_format = 0.955, "0.0%"

    assert run(session, fill(template(session, unit, AS_OF, SECRET), edit=percent)).refusals == []
    assert session.scalar(select(ProgressReport.value).where(
        ProgressReport.indicator_id == red.indicators[1].id)) == Decimal("95.5")


def _forge(book: Any, cell: str, text: str) -> None:
    book["指标填报"][cell].value = text


def test_every_refusal_names_its_sheet_row_and_column_and_nothing_is_applied(session) -> None:  # type: ignore[no-untyped-def]
    unit, red, green = department(session, "科技局")
    other_unit, other_red, _ = department(session, "教育局")
    data = template(session, unit, AS_OF, SECRET)

    def tamper(book: Any) -> None:
        sheet = book["指标填报"]
        # row 7 (培训人次): its identifier edited to point at another indicator
        sheet["N7"].value = sheet["N7"].value.replace(f"{green.indicators[0].id}:", f"{red.indicators[0].id}:", 1)
        # a row signed for this unit but naming another unit's project (only the key can make it)
        sheet.append([None] * 10 + [3, None, None, row_identifier(
            SECRET, unit.id, AS_OF, "monitoring", other_red.id, other_red.indicators[0].id)])

    filled = fill(data, {
        "支持企业数": {"本次完成值": "很多"},
        "验收合格率": {"本次完成值": "5家"},
        "群众满意度提升": {"本次完成值": "还行"},
        "完成时间": {"本次完成值": "下个月", "完成日期": "六月底"},
        "培训人次": {"本次完成值": 10},
    }, {f"{unit.name}专项": {"经费保障": "√", "完成目标可能性": "有可能"},
        f"{unit.name}运转": {"完成目标可能性": "完全不可能", "原因说明": "停工", "经费保障": "√"}}, edit=tamper)
    result = run(session, filled)
    found = {(r.sheet, r.row, r.column): r.message for r in result.refusals}
    assert "应为数字" in found["指标填报", 3, "本次完成值"]
    assert "单位“家”与年度指标值单位“%”不一致" in found["指标填报", 4, "本次完成值"]
    assert "达成年度指标" in found["指标填报", 5, "本次完成值"]
    assert "完成日期应为日期" in found["指标填报", 6, "完成日期"]
    assert "标识被修改" in found["指标填报", 7, "标识"]
    assert "不属于“科技局”" in found["指标填报", 8, "项目编码"]
    assert "请填写原因说明" in found["偏差说明", 3, "原因说明"]
    assert "全年预计完成情况" in found["偏差说明", 3, "全年预计完成情况"]
    assert "全年预计完成情况" in found["偏差说明", 4, "全年预计完成情况"]
    assert len(result.refusals) == 9 and not result.applied
    assert reports(session) == 0
    assert session.scalar(select(func.count()).select_from(DeviationExplanation)) == 0
    dated = run(session, fill(data, {"完成时间": {"本次完成值": "下个月"}}))
    assert [(r.row, r.column) for r in dated.refusals] == [(6, "本次完成值")]
    assert "完成日期应为日期" in dated.refusals[0].message


def test_copied_and_added_rows_and_wrong_ticks_are_refused(session) -> None:  # type: ignore[no-untyped-def]
    unit, _, _ = department(session, "科技局")

    def copy_and_add(book: Any) -> None:
        sheet = book["指标填报"]
        sheet.append([c.value for c in sheet[3]])  # row 8: a copy of row 3, identifier and all
        sheet.append(["", "新项目", None, None, "新指标", None, None, None, None, None, 5])  # row 9

    result = run(session, fill(template(session, unit, AS_OF, SECRET), {"支持企业数": {"本次完成值": 4}},
                               {f"{unit.name}专项": {"经费保障": "×", "完成目标可能性": "确定能"}}, edit=copy_and_add))
    found = {(r.sheet, r.row, r.column): r.message for r in result.refusals}
    assert "与第3行是同一个指标" in found["指标填报", 8, "标识"]
    assert "没有隐藏的行标识" in found["指标填报", 9, "标识"]
    assert "请打“√”或留空" in found["偏差说明", 3, "经费保障"]
    assert len(result.refusals) == 3 and reports(session) == 0


def test_one_refusal_applies_nothing(session) -> None:  # type: ignore[no-untyped-def]
    unit, _, _ = department(session, "科技局")
    result = run(session, fill(template(session, unit, AS_OF, SECRET),
                               {**GOOD_INDICATORS, "培训人次": {"本次完成值": "八十"}}, _explanations(unit)))
    assert len(result.refusals) == 1 and not result.applied
    assert reports(session) == 0
    assert session.scalar(select(func.count()).select_from(DeviationExplanation)) == 0


def test_an_edited_workbook_identity_is_refused(session) -> None:  # type: ignore[no-untyped-def]
    unit, _, _ = department(session, "科技局")
    other, _, _ = department(session, "教育局")

    def move(book: Any) -> None:
        book["标识"]["B1"].value = str(other.id)

    result = run(session, fill(template(session, unit, AS_OF, SECRET), GOOD_INDICATORS, edit=move))
    assert [(r.sheet, r.row) for r in result.refusals] == [("标识", None)]
    assert "标识被修改" in result.refusals[0].message and reports(session) == 0
    assert run(session, b"not a workbook").refusals[0].row is None


def test_unit_staff_may_upload_only_their_own_units_workbooks(session) -> None:  # type: ignore[no-untyped-def]
    unit, _, _ = department(session, "科技局")
    other, _, _ = department(session, "教育局")
    data = fill(template(session, unit, AS_OF, SECRET), GOOD_INDICATORS)
    refused = run(session, data, allowed_unit_ids={other.id})
    assert "不能为“科技局”上传" in refused.refusals[0].message and reports(session) == 0
    assert run(session, data, allowed_unit_ids={unit.id}).applied


@pytest.mark.parametrize("kind", ["--json"])
def test_cli_template_and_import_follow_the_contract(session, runner, tmp_path, kind) -> None:  # type: ignore[no-untyped-def]
    unit, _, _ = department(session, "科技局")
    session.commit()
    out = tmp_path / "填报表.xlsx"
    made = runner("progress", "template", "--unit", unit.name, "--as-of", "2025-06-30", "--out", str(out))
    assert made.exit_code == 0, made.output
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(fill(out.read_bytes(), {"支持企业数": {"本次完成值": 6}, "验收合格率": {"本次完成值": "5家"}}))
    import json

    refused = runner("progress", "import", str(filled), kind)
    assert refused.exit_code != 0
    body = json.loads(refused.output)
    assert set(body) >= {"applied", "changes", "refusals"} and body["applied"] is False
    assert body["refusals"] == [{"sheet": "指标填报", "row": 4, "column": "本次完成值",
                                 "message": "当前完成值单位“家”与年度指标值单位“%”不一致，请换算后填写"}]
    text = runner("progress", "import", str(filled))
    assert text.exit_code == 2 and "拒绝 指标填报 第4行 本次完成值：当前完成值单位“家”" in text.output
    assert "1 项改动，0 项与已填报相同，1 处拒绝；未保存任何内容" in text.output
    filled.write_bytes(fill(out.read_bytes(), {"支持企业数": {"本次完成值": 6}}))
    dry = runner("progress", "import", str(filled), "--dry-run", kind)
    assert dry.exit_code == 0 and json.loads(dry.output)["applied"] is False and reports(session) == 0
    done = runner("progress", "import", str(filled), kind)
    assert done.exit_code == 0 and json.loads(done.output)["applied"] is True
    assert [c["new"] for c in json.loads(done.output)["changes"]] == ["6家"]
    assert reports(session) == 1
    assert "没有需要保存的改动" in runner("progress", "import", str(filled)).output


# --- 自评 (--kind self-eval) ------------------------------------------------------------------

YEAR_END = date(2025, 12, 31)
AFTER = date(2026, 1, 10)
SELF_EVAL_INDICATORS: list[dict[str, object]] = [
    *INDICATORS[:3],
    {**INDICATORS[3], "deadline": date(2025, 10, 31)},
]


def year_end_department(session: Any, name: str):  # type: ignore[no-untyped-def]
    """A unit with one project and its open 自评 draft (75% spent)."""
    from tracker.services.evaluation import create_draft

    unit = make_unit(session, name)
    project = make_project(session, unit, budget="200000", plan=QUARTER_PLAN, name=f"{name}专项",
                           indicators=SELF_EVAL_INDICATORS)
    project.code = f"{unit.code}-01"
    add_ledger(session, unit, ("2025-01-01", "2025-12-31"), [(project, "2025-06-01", "150000")])
    draft = create_draft(session, project, "test", AFTER)
    return unit, project, draft


def fill_self_eval(data: bytes, rows: dict[str, dict[str, object]]) -> bytes:
    book = load_workbook(BytesIO(data))
    sheet = book["自评填报"]
    header = {c.value: c.column for c in sheet[2]}
    for row in sheet.iter_rows(min_row=3):
        for column, value in rows.get(row[header["三级指标"] - 1].value, {}).items():
            sheet.cell(row=row[0].row, column=header[column]).value = value
    out = BytesIO()
    book.save(out)
    return out.getvalue()


SELF_EVAL_VALUES: dict[str, dict[str, object]] = {
    "支持企业数": {"实际完成值": 8, "偏差原因分析及改进措施": "两家企业延期申报"},
    "验收合格率": {"实际完成值": "92%"},
    "群众满意度提升": {"完成情况": "部分达成年度指标并具有一定效果", "实际完成值": "问卷满意率 85%",
                "偏差原因分析及改进措施": "宣传不足"},
    "完成时间": {"实际完成值": datetime(2025, 11, 15), "偏差原因分析及改进措施": "设备到货晚"},
}


def test_self_eval_round_trip_gives_the_scores_of_editing_the_draft_on_the_page(session) -> None:  # type: ignore[no-untyped-def]
    from tracker.services.evaluation import EvaluationEdit, IndicatorEdit, update_draft

    uploaded, _, up_draft = year_end_department(session, "科技局")
    typed, _, ty_draft = year_end_department(session, "教育局")
    data = template(session, uploaded, YEAR_END, SECRET, kind="self-eval")
    sheet = load_workbook(BytesIO(data))["自评填报"]
    assert [c.value for c in sheet[2]][9:13] == ["得分", "实际完成值", "完成情况", "偏差原因分析及改进措施"]
    result = import_workbook(session, fill_self_eval(data, SELF_EVAL_VALUES), filename="自评.xlsx", actor="test",
                             today=AFTER, secret=SECRET, apply=True)
    assert result.refusals == [] and result.applied and len(result.changes) == 4
    by_name = {r.name: r.id for r in ty_draft.indicators}
    update_draft(session, ty_draft, EvaluationEdit(indicators={
        by_name["支持企业数"]: IndicatorEdit(actual="8", deviation_reason="两家企业延期申报"),
        by_name["验收合格率"]: IndicatorEdit(actual="92%"),
        by_name["群众满意度提升"]: IndicatorEdit(actual="问卷满意率 85%", achievement="部分达成年度指标并具有一定效果",
                                         deviation_reason="宣传不足"),
        by_name["完成时间"]: IndicatorEdit(completed_on="2025-11-15", deviation_reason="设备到货晚")}), "test")
    session.refresh(up_draft)
    assert (up_draft.total, up_draft.grade, up_draft.warnings) == (ty_draft.total, ty_draft.grade, ty_draft.warnings)
    assert [(r.actual, r.achievement, r.completed_on, r.score, r.deviation_reason) for r in up_draft.indicators] == \
           [(r.actual, r.achievement, r.completed_on, r.score, r.deviation_reason) for r in ty_draft.indicators]
    assert up_draft.indicators[3].score == 0  # met late
    again = import_workbook(session, fill_self_eval(data, SELF_EVAL_VALUES), filename="自评.xlsx", actor="test",
                            today=AFTER, secret=SECRET, apply=True)
    assert again.changes == [] and again.unchanged == 4


def test_self_eval_refusals_and_a_frozen_draft(session) -> None:  # type: ignore[no-untyped-def]
    from tracker.services.evaluation import freeze

    unit, _, draft = year_end_department(session, "科技局")
    data = template(session, unit, YEAR_END, SECRET, kind="self-eval")
    result = import_workbook(session, fill_self_eval(data, {
        "支持企业数": {"实际完成值": "8个"},
        "群众满意度提升": {"完成情况": "还可以"},
        "完成时间": {"实际完成值": "年底"}}), filename="自评.xlsx", actor="test", today=AFTER,
        secret=SECRET, apply=True)
    found = {(r.row, r.column): r.message for r in result.refusals}
    assert "单位“个”与年度指标值单位“家”不一致" in found[3, "实际完成值"]
    assert "达成年度指标" in found[5, "完成情况"]
    assert "完成日期应为日期" in found[6, "实际完成值"]
    assert not result.applied and all(r.actual is None for r in draft.indicators[:1])
    freeze(session, draft, "test", reason="测试")
    frozen = import_workbook(session, fill_self_eval(data, SELF_EVAL_VALUES), filename="自评.xlsx",
                             actor="test", today=AFTER, secret=SECRET, apply=True)
    assert "已提交冻结" in frozen.refusals[0].message and not frozen.applied


def test_cli_self_eval_template_and_import(session, runner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    unit, _, draft = year_end_department(session, "科技局")
    session.commit()
    out = tmp_path / "自评.xlsx"
    made = runner("progress", "template", "--unit", unit.name, "--as-of", "2025-12-31", "--kind", "self-eval",
                  "--out", str(out))
    assert made.exit_code == 0, made.output
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(fill_self_eval(out.read_bytes(), SELF_EVAL_VALUES))
    done = runner("progress", "import", str(filled), "--json")
    body = json.loads(done.output)
    assert done.exit_code == 0 and body["applied"] and body["kind"] == "self-eval" and len(body["changes"]) == 4
    session.refresh(draft)
    assert draft.indicators[0].actual == 8


def test_a_note_alone_is_progress_for_a_deadline_and_refused_for_a_count(session) -> None:  # type: ignore[no-untyped-def]
    unit, red, _ = department(session, "科技局")
    data = template(session, unit, AS_OF, SECRET)
    refused = run(session, fill(data, {"支持企业数": {"备注": "统计中"}}))
    assert [(r.row, r.column) for r in refused.refusals] == [(3, "本次完成值")]
    assert "请填写“支持企业数”的当前完成值" in refused.refusals[0].message
    done = run(session, fill(data, {"完成时间": {"备注": "设备已招标"}}))
    assert done.applied and [c["new"] for c in done.changes] == ["已填报进展"]
    entry = session.scalar(select(ProgressReport).where(ProgressReport.indicator_id == red.indicators[3].id))
    assert (entry.completed_on, entry.note) == (None, "设备已招标")
