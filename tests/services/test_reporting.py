"""The official forms from the database: round snapshot or live figures, the explanation and
progress that count at the cut-off, frozen evaluations (drafts only when asked)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from sqlalchemy.orm import Session

from tests.monitoring_builders import add_ledger, make_project, make_unit, report
from tracker.errors import NotFound
from tracker.models import (
    DeviationExplanation,
    Evaluation,
    EvaluationIndicator,
    IndicatorForecast,
    MonitoringRound,
    Project,
    Snapshot,
    Unit,
)
from tracker.reports import self_eval_workbook
from tracker.services import reporting
from tracker.services.monitoring.evaluate import evaluate

D = Decimal
CUTOFF = date(2025, 6, 30)
TODAY = date(2025, 7, 10)
PLAN = {"03-31": "10", "06-30": "50", "10-31": "80", "12-31": "100"}


@pytest.fixture()
def unit(session: Session) -> Unit:
    return make_unit(session, "某市科学技术局")


def _project(session: Session, unit: Unit, name: str = "科技创新券补助", **kwargs: object) -> Project:
    project = make_project(session, unit, plan=PLAN, name=name, indicators=[
        {"name": "支持企业数", "target_raw": "≥50家", "target_number": D(50), "target_unit": "家"},
        {"level1": "效益指标", "level2": "社会效益指标", "name": "企业研发投入", "target_raw": "有所提升",
         "kind": "qualitative", "op": None},
        {"level2": "时效指标", "name": "完成验收", "target_raw": "2025年11月30日前", "kind": "deadline",
         "op": None, "deadline": date(2025, 11, 30)},
    ], **kwargs)  # type: ignore[arg-type]
    project.goal = "支持科技型中小企业开展研发活动。"
    project.fiscal_funds, project.other_funds = project.initial_budget, D(0)
    session.flush()
    return project


def _frozen_snapshot(session: Session, project: Project, **changes: object) -> Snapshot:
    values = evaluate(session, CUTOFF, [project.id])[project.id].snapshot_values()
    snapshot = Snapshot(**{**values, "kind": "checkpoint", "frozen": True,
                           "evaluated_on": date(2025, 7, 1), **changes})
    session.add(snapshot)
    session.flush()
    return snapshot


def _explain(session: Session, project: Project, as_of: str, likelihood: str = "possible",
             reason: str = "资金拨付较晚", forecasts: dict[int, str] | None = None) -> DeviationExplanation:
    explanation = DeviationExplanation(
        project_id=project.id, as_of=date.fromisoformat(as_of), causes=["funding", "other"],
        likelihood=likelihood, reason=reason, corrective_actions="加快拨付", actor="test",
        forecasts=[IndicatorForecast(indicator_id=iid, forecast=text)
                   for iid, text in (forecasts or {}).items()])
    session.add(explanation)
    session.flush()
    return explanation


# --- 绩效监控情况表 ------------------------------------------------------------------------------


def test_the_frozen_round_snapshot_gives_the_figures(session: Session, unit: Unit) -> None:
    project = _project(session, unit)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-10", "450000")])
    _frozen_snapshot(session, project, spent=D("123456.78"), execution_rate=D("12.3457"),
                     forecast=D("654321.00"))
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-06-10", "99999")],
               source="国库集中支付")  # later import: the frozen figures do not move
    session.add(MonitoringRound(year=2025, month=6, cutoff=CUTOFF, opened_on=CUTOFF, actor="test"))
    session.flush()
    form = reporting.monitoring_round_form(session, 2025, 6, unit.id, TODAY)
    sheet = form.sheets[0]
    assert (sheet.frozen, sheet.frozen_on) == (True, date(2025, 7, 1))
    assert (sheet.spent, sheet.execution_rate, sheet.forecast) == (D("123456.78"), D("12.3457"), D("654321.00"))
    assert sheet.initial_budget == D("1000000.00") and sheet.fiscal_funds == D("1000000.00")
    assert form.unit_name == "某市科学技术局" and form.cutoff == CUTOFF and form.generated_on == TODAY
    assert form.sources[0] == "监控轮次：2025年1-6月，截止日 2025-06-30，2025-06-30 开启"
    assert "1 个项目取截止日的冻结快照，0 个项目按生成时的数据计算" in form.sources[1]
    assert any(line.startswith("台账批次 #") for line in form.sources)


def test_without_a_frozen_snapshot_the_figures_are_evaluated_at_the_cutoff(session: Session, unit: Unit) -> None:
    project = _project(session, unit)
    add_ledger(session, unit, ("2025-01-01", "2025-05-31"), [(project, "2025-03-10", "300000")])
    _frozen_snapshot(session, project, frozen=False, spent=D("1.00"))  # provisional: not used
    sheet = reporting.monitoring_round_form(session, 2025, 6, unit.id, TODAY).sheets[0]
    assert (sheet.frozen, sheet.frozen_on) == (False, None)
    assert sheet.spent == D("300000.00") and sheet.execution_rate == D("30.0000")
    assert sheet.planned_pct == D("50.0000")
    assert (sheet.ledger_covered, sheet.ledger_closed_through, sheet.money_status) == \
        (False, date(2025, 5, 31), "grey")


def test_the_newest_explanation_up_to_the_cutoff_counts(session: Session, unit: Unit) -> None:
    project = _project(session, unit)
    first = project.indicators[0]
    _explain(session, project, "2025-03-31", reason="三月的说明")
    _explain(session, project, "2025-06-30", reason="六月的第一份")
    newest = _explain(session, project, "2025-06-30", likelihood="impossible", reason="六月的第二份",
                      forecasts={first.id: "45家"})
    _explain(session, project, "2025-10-31", reason="十月的说明")
    sheet = reporting.monitoring_round_form(session, 2025, 6, unit.id, TODAY).sheets[0]
    assert (sheet.reason, sheet.likelihood, sheet.causes) == ("六月的第二份", "impossible", ("funding", "other"))
    assert sheet.corrective_actions == "加快拨付" and sheet.explanation_as_of == newest.as_of
    assert [line.forecast for line in sheet.indicators] == ["45家", "", ""]
    assert sheet.explanation_missing is False


def test_progress_is_the_newest_report_up_to_the_cutoff(session: Session, unit: Unit) -> None:
    project = _project(session, unit)
    count, effect, deadline = project.indicators
    report(session, count, "2025-05-01", value="5")
    report(session, count, "2025-06-20", value="18.5000")
    report(session, count, "2025-07-15", value="30")  # after the cut-off
    report(session, effect, "2025-06-01", achievement="partial")
    report(session, deadline, "2025-06-25", completed_on="2025-05-20")
    lines = reporting.monitoring_round_form(session, 2025, 6, unit.id, TODAY).sheets[0].indicators
    assert [line.progress for line in lines] == ["18.5家", "部分达成目标并具有一定效果", "已于2025年5月20日完成"]
    assert [line.target_raw for line in lines] == ["≥50家", "有所提升", "2025年11月30日前"]
    report(session, count, "2025-06-20", value="20")  # same date, entered later: it counts
    assert reporting.monitoring_round_form(session, 2025, 6, unit.id, TODAY).sheets[0].indicators[0].progress == "20家"


def test_yellow_or_red_without_explanation_is_listed_and_marked(session: Session, unit: Unit) -> None:
    lagging = _project(session, unit, name="滞后项目")
    explained = _project(session, unit, name="已说明项目")
    on_plan = _project(session, unit, name="正常项目")
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [
        (lagging, "2025-03-10", "100000"), (explained, "2025-03-10", "100000"),
        (on_plan, "2025-03-10", "500000")])
    _explain(session, explained, "2025-06-30")
    _explain(session, lagging, "2024-12-31")  # another year's explanation does not count
    # the on-plan project has reported its results (unreported after the deadline is yellow)
    firms, effect, _deadline = on_plan.indicators
    report(session, firms, "2025-06-20", value="25")
    report(session, effect, "2025-06-20", achievement="达成目标")
    missing = reporting.missing_explanations(session, 2025, 6, unit.id)
    assert [(m.project_name, m.status, m.unit_name) for m in missing] == [("滞后项目", "red", "某市科学技术局")]
    form = reporting.monitoring_round_form(session, 2025, 6, unit.id, TODAY)
    assert [(s.project_name, s.overall_status, s.explanation_missing) for s in form.sheets] == [
        ("滞后项目", "red", True), ("已说明项目", "red", False), ("正常项目", "green", False)]
    assert form.sheets[0].reason == "" and form.sheets[0].likelihood is None
    assert reporting.missing_explanations(session, 2025, 6) == missing  # all units


def test_an_unknown_unit_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        reporting.monitoring_round_form(session, 2025, 6, 999_999, TODAY)


# --- 自评表 ------------------------------------------------------------------------------------


def _evaluation(session: Session, project: Project, number: int, *, frozen: bool, total: str = "81.2400",
                grade: str = "良", sources: dict[str, object] | None = None) -> Evaluation:
    evaluation = Evaluation(
        project_id=project.id, number=number, year=project.year, as_of=date(2025, 12, 31),
        initial_budget=D("1000000.00"), annual_budget=D("1200000.00"), spent=D("900000.00"),
        fiscal_funds=D("1000000.00"), carryover=D("200000.00"), other_funds=D("0.00"),
        ledger_closed_through=date(2025, 12, 31), goal="预期目标", goal_actual=f"第{number}次的实际完成情况",
        execution_rate=D("75.0000"), execution_weight=D("10"), execution_score=D("7.5000"),
        total=D(total), grade=grade, warnings=[{"code": "x", "message": "结余率较高"}],
        sources=sources or {}, created_by="test",
        frozen_by="zhang" if frozen else None,
        frozen_at=datetime(2026, 1, 15, 2, 30, tzinfo=UTC) if frozen else None,
        indicators=[
            EvaluationIndicator(position=1, level1="满意度指标", level2="服务对象满意度指标", name="企业满意度",
                                kind="quantitative", target_raw="≥90%", actual_raw="95%",
                                weight=D("15.0000"), score=D("15.0000")),
            EvaluationIndicator(position=0, level1="产出指标", level2="数量指标", name="支持企业数",
                                kind="quantitative", target_raw="≥50家", actual_raw="40家",
                                weight=D("75.0000"), score=D("60.0000"), deviation_reason="申报不足"),
        ])
    session.add(evaluation)
    session.flush()
    return evaluation


def test_the_newest_frozen_evaluation_is_reported_and_drafts_only_when_asked(session: Session, unit: Unit) -> None:
    done = _project(session, unit, name="已提交项目")
    draft_only = _project(session, unit, name="只有草稿项目")
    _project(session, unit, name="未自评项目")
    _evaluation(session, done, 1, frozen=True, total="70.0000", grade="中")
    second = _evaluation(session, done, 2, frozen=True)
    _evaluation(session, done, 3, frozen=False, total="99.0000", grade="优")  # a newer draft
    draft = _evaluation(session, draft_only, 1, frozen=False, total="55.0000", grade="差")

    form = reporting.self_eval_form(session, 2025, unit.id, TODAY)
    assert [(s.project_name, s.evaluation_id, s.frozen) for s in form.sheets] == [("已提交项目", second.id, True)]
    assert form.missing == ("只有草稿项目", "未自评项目")
    sheet = form.sheets[0]
    assert (sheet.evaluation_number, sheet.total, sheet.grade) == (2, D("81.2400"), "良")
    assert (sheet.frozen_at, sheet.frozen_by) == (datetime(2026, 1, 15, 10, 30), "zhang")  # Asia/Shanghai
    assert [i.name for i in sheet.indicators] == ["支持企业数", "企业满意度"]  # by position
    assert sheet.indicators[0].deviation_reason == "申报不足" and sheet.warnings == ("结余率较高",)
    assert sheet.goal_actual == "第2次的实际完成情况" and sheet.carryover == D("200000.00")
    assert [(m.project_name, m.has_draft) for m in reporting.missing_evaluations(session, 2025, unit.id)] == [
        ("只有草稿项目", True), ("未自评项目", False)]

    with_drafts = reporting.self_eval_form(session, 2025, unit.id, TODAY, include_drafts=True)
    assert [(s.project_name, s.evaluation_id, s.frozen) for s in with_drafts.sheets] == [
        ("已提交项目", second.id, True), ("只有草稿项目", draft.id, False)]
    assert with_drafts.missing == ("未自评项目",)
    assert with_drafts.sources[0] == "自评表：1 个项目使用已提交（冻结）的自评，1 个使用草稿，1 个没有自评"


def test_the_same_frozen_data_gives_the_same_workbook(session: Session, unit: Unit) -> None:
    project = _project(session, unit)
    batch = add_ledger(session, unit, ("2025-01-01", "2025-12-31"), [(project, "2025-03-10", "900000")])
    _evaluation(session, project, 1, frozen=True, sources={
        "as_of": "2025-12-31", "ledger_batches": [batch.id], "ledger_closed_through": "2025-12-31",
        "progress_reports": [7, 9], "settings": {"output_weight": "50", "effect_weight": "30",
                                                 "satisfaction_weight": "10", "execution_weight": "10",
                                                 "excellent_from": "90", "good_from": "80", "fair_from": "60"}})
    first = reporting.self_eval_form(session, 2025, unit.id, TODAY)
    add_ledger(session, unit, ("2025-01-01", "2025-12-31"), [(project, "2025-11-10", "5")], source="用友明细账")
    project.annual_budget = D("5.00")  # later changes of the project do not reach the frozen form
    session.flush()
    again = reporting.self_eval_form(session, 2025, unit.id, TODAY)
    assert again == first
    assert first.sheets[0].sources == (
        "数据截至：2025-12-31", f"计入的台账批次：#{batch.id}", "台账截止日：2025-12-31",
        "完成值填报记录：2 条（#7、#9）", "评分设置：权重 产出 50、效益 30、满意度 10、预算执行率 10；等级 优≥90、良≥80、中≥60")
    assert [line for line in first.sources if line.startswith("台账批次")] == [
        f"台账批次 #{batch.id}：国库集中支付，test.xlsx，2025-01-01至2025-12-31，计入 0 行 0.00 元，"
        f"{batch.imported_at.date().isoformat()} 由 test 导入"]
    cells = [_values(self_eval_workbook.build(form)) for form in (first, again)]
    assert cells[0] == cells[1]


def _values(data: bytes) -> dict[str, list[tuple[object, ...]]]:
    book = openpyxl.load_workbook(BytesIO(data))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_choose_limits_unit_staff_to_their_units(session: Session, unit: Unit, make_user) -> None:  # type: ignore[no-untyped-def]
    other = make_unit(session, "另一单位")
    _project(session, unit)
    _project(session, other, name="别人的项目")
    staff = make_user("unit_staff", units=[unit])
    leader = make_user("leader")
    mine = reporting.choose(session, staff, year=None, month=None, unit_id=other.id, today=TODAY)
    assert (mine.years, mine.year, mine.month, mine.unit_id) == ((2025,), 2025, 6, None)
    assert [uid for uid, _ in mine.units] == [unit.id]
    everything = reporting.choose(session, leader, year=2025, month=7, unit_id=other.id, today=TODAY)
    assert everything.unit_id == other.id and everything.month == 7 and len(everything.units) == 2
