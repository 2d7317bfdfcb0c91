"""年终自评 service: the worked example computed by hand, zero budget, drafts, edits, freezing.

Settings are the DOMAIN defaults: 产出 50, 效益 30, 满意度 10, 预算执行率 10; grade 优 ≥ 90,
良 ≥ 80, 中 ≥ 60; qualitative bands 达成 [80%, 100%], 部分达成 [60%, 80%), 未达成 [0, 60%).

Project A (全年预算数 1,000,000 元), no 效益 indicator:
    效益 is empty, so its 30 moves to the others in proportion to their weights
    (total 90 over the present 60): 产出 50 × 90/60 = 75, 满意度 10 × 90/60 = 15.
    产出: 支持企业数 has 分值 30 in the target table; the two others split what is left:
          (75 − 30) ÷ 2 = 22.5 each.  满意度: the single indicator takes all 15.
    1 支持企业数 ≥20家 (positive), A = 16 (the report of 12-20; a later one dated 2026 does
      not count):  16/20 × 30 = 24
    2 单位培训成本 ≤50万元 (reverse, T < A < 2T), A = 60:  (1 − (60−50)/50) × 22.5 = 18
    3 验收合格率 =100% (``=``, T > 0 scores as positive), A = 95 (of two reports the same
      day, the one entered last):  95/100 × 22.5 = 21.375
    4 服务对象满意度 较高 (qualitative), reported 部分达成: band [9, 12) of 15; default = top
      − 0.01 = 11.99; edited to 10.5
    全年执行数 850,000 → 执行率 85%, 执行率得分 = 0.85 × 10 = 8.5; 结余率 15% (no warning)
    总分 = 24 + 18 + 21.375 + 10.5 + 8.5 = 82.375 → shown 82.38 → 良
    (before the edit: 24 + 18 + 21.375 + 11.99 + 8.5 = 83.865 → 83.87 → 良)

Project B (全年预算数 0), no 满意度 indicator:
    产出 50 × 90/80 = 56.25, split evenly by its two indicators: 28.125 each, to 2 places
    28.13 and (the last taking the rounding) 28.12; 效益 30 × 90/80 = 33.75
    1 培训人数 ≥100人, A = 100 → 28.13
    2 2025年9月30日前完成 (deadline), completed 2025-09-20 → 28.12
    3 带动就业 ≥50人, A = 80 → 33.75 (80 ≥ 130% of 50: needs an explanation)
    执行率: budget 0 → no rate, 执行率得分 0
    总分 = 28.13 + 28.12 + 33.75 + 0 = 90 → 90.00 → 优
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.monitoring_builders import add_ledger, make_project, make_unit, report
from tracker.errors import EvaluationFrozen, ValidationFailed
from tracker.models import AuditEntry, Evaluation
from tracker.services.evaluation import (
    EvaluationEdit,
    IndicatorEdit,
    create_draft,
    create_drafts,
    freeze,
    preview,
    update_draft,
)
from tracker.services.evaluation_views import contract_for_year

D = date.fromisoformat
AFTER_YEAR = date(2026, 1, 15)


def _project_a(session, unit=None):  # type: ignore[no-untyped-def]
    unit = unit or make_unit(session, "科技局")
    project = make_project(session, unit, budget="1000000", name="科技创新券", indicators=[
        {"name": "支持企业数", "target_raw": "≥20家", "op": ">=", "target_number": Decimal(20),
         "target_unit": "家", "weight": Decimal(30)},
        {"name": "单位培训成本", "level2": "成本指标", "target_raw": "≤50万元", "kind": "reverse",
         "op": "<=", "target_number": Decimal(50), "target_unit": "万元"},
        {"name": "验收合格率", "level2": "质量指标", "target_raw": "=100%", "op": "=",
         "target_number": Decimal(100), "target_unit": "%"},
        {"name": "服务对象满意度", "level1": "满意度指标", "level2": "服务对象满意度指标",
         "target_raw": "较高", "kind": "qualitative", "op": None, "target_number": None},
    ])
    project.code = "A-001"
    firms, cost, quality, satisfaction = project.indicators
    report(session, firms, "2025-06-30", value="8")
    report(session, firms, "2025-12-20", value="16")
    report(session, firms, "2026-01-10", value="19")  # after 12-31: not counted
    report(session, cost, "2025-12-31", value="60")
    report(session, quality, "2025-11-30", value="90")
    report(session, quality, "2025-11-30", value="95")  # same day, entered last: counts
    report(session, satisfaction, "2025-12-31", achievement="partial")
    add_ledger(session, unit, ("2025-01-01", "2025-12-31"), [
        (project, "2025-03-15", "300000"), (project, "2025-09-30", "550000")])
    return project


def _project_b(session, unit):  # type: ignore[no-untyped-def]
    project = make_project(session, unit, budget="0", name="零预算项目", indicators=[
        {"name": "培训人数", "target_raw": "≥100人", "target_number": Decimal(100), "target_unit": "人"},
        {"name": "按期完成", "level2": "时效指标", "target_raw": "2025年9月30日前完成",
         "kind": "deadline", "op": None, "target_number": None, "deadline": D("2025-09-30")},
        {"name": "带动就业", "level1": "效益指标", "level2": "社会效益指标", "target_raw": "≥50人",
         "target_number": Decimal(50), "target_unit": "人"},
    ])
    people, deadline, jobs = project.indicators
    report(session, people, "2025-12-31", value="100")
    report(session, deadline, "2025-09-25", completed_on="2025-09-20")
    report(session, deadline, "2025-12-01")  # a later note without a date: still completed
    report(session, jobs, "2025-12-31", value="80")
    return project


def _edit(evaluation: Evaluation, **rows: IndicatorEdit) -> EvaluationEdit:
    by_name = {row.name: row.id for row in evaluation.indicators}
    return EvaluationEdit(indicators={by_name[name]: edit for name, edit in rows.items()})


REASONS = {name: IndicatorEdit(deviation_reason=f"{name}：原因与改进措施")
           for name in ("支持企业数", "单位培训成本", "验收合格率", "服务对象满意度")}


def test_the_worked_example(session) -> None:  # type: ignore[no-untyped-def]
    project = _project_a(session)
    draft = create_draft(session, project, "staff", AFTER_YEAR)

    rows = {row.name: row for row in draft.indicators}
    assert [(r.weight, r.score) for r in draft.indicators] == [
        (Decimal("30.0000"), Decimal("24.0000")), (Decimal("22.5000"), Decimal("18.0000")),
        (Decimal("22.5000"), Decimal("21.3750")), (Decimal("15.0000"), Decimal("11.9900"))]
    assert rows["支持企业数"].actual_raw == "16家" and rows["支持企业数"].actual == 16
    assert rows["验收合格率"].actual == 95
    assert rows["服务对象满意度"].achievement == "partial"
    assert rows["服务对象满意度"].actual_raw == "部分达成年度指标并具有一定效果"
    assert rows["支持企业数"].source.startswith("进度填报 #")
    assert draft.spent == Decimal("850000.00") and draft.execution_rate == Decimal("85.0000")
    assert draft.execution_score == Decimal("8.5000")
    assert draft.total == Decimal("83.8650") and draft.grade == "良"

    update_draft(session, draft, _edit(draft, 服务对象满意度=IndicatorEdit(score="10.5")), "staff")

    assert rows["服务对象满意度"].score == Decimal("10.5000")
    assert draft.total == Decimal("82.3750") and draft.grade == "良"
    assert [w["code"] for w in draft.warnings] == ["missing_deviation_reason"]
    assert "支持企业数、单位培训成本、验收合格率、服务对象满意度" in draft.warnings[0]["message"]
    assert contract_for_year(session, 2025)[0][0]["total"] == "83.87"  # not frozen: fresh, unedited


def test_sources_name_the_batches_the_closing_date_and_the_reports(session) -> None:  # type: ignore[no-untyped-def]
    project = _project_a(session)
    other = make_project(session, project.unit, name="另一个项目")
    unused = add_ledger(session, project.unit, ("2025-01-01", "2025-12-31"),
                        [(other, "2025-05-01", "10")])
    draft = create_draft(session, project, "staff", AFTER_YEAR)
    batches = draft.sources["ledger_batches"]
    assert len(batches) == 1 and unused.id not in batches
    assert draft.sources["ledger_closed_through"] == "2025-12-31"
    assert len(draft.sources["progress_reports"]) == 4
    assert draft.sources["settings"]["execution_weight"] == "10"


def test_zero_budget_and_an_empty_satisfaction_category(session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session)
    add_ledger(session, unit, ("2025-01-01", "2025-12-31"), [])
    project = _project_b(session, unit)
    evaluation = preview(session, project)
    assert [(r.weight, r.score) for r in evaluation.indicators] == [
        # 56.25 ÷ 2 to 2 places, the last taking the rounding (DOMAIN §3: the column adds up to 100)
        (Decimal("28.1300"), Decimal("28.1300")), (Decimal("28.1200"), Decimal("28.1200")),
        (Decimal("33.7500"), Decimal("33.7500"))]
    assert evaluation.indicators[1].actual_raw == "2025-09-20完成"
    assert evaluation.execution_rate is None and evaluation.execution_score == 0
    assert evaluation.total == Decimal("90.0000") and evaluation.grade == "优"
    assert [w["code"] for w in evaluation.warnings] == ["budget_zero", "over_achievement_unexplained"]
    assert evaluation not in session  # a preview is never saved


def test_freeze_is_refused_with_warnings_unless_a_reason_is_given(session) -> None:  # type: ignore[no-untyped-def]
    draft = create_draft(session, _project_a(session), "staff", AFTER_YEAR)
    session.commit()
    with pytest.raises(ValidationFailed, match="需填写偏差原因分析及改进措施"):
        freeze(session, draft, "staff", "  ")
    session.rollback()
    draft = session.get(Evaluation, draft.id)
    assert draft is not None and not draft.frozen
    freeze(session, draft, "staff", "满意度调查样本少，已说明")
    assert draft.frozen and draft.frozen_by == "staff"
    assert draft.warnings_reason == "满意度调查样本少，已说明"


def test_no_warnings_no_reason_needed(session) -> None:  # type: ignore[no-untyped-def]
    draft = create_draft(session, _project_a(session), "staff", AFTER_YEAR)
    update_draft(session, draft, _edit(draft, **REASONS), "staff")
    assert draft.warnings == []
    freeze(session, draft, "staff", "理由不需要")
    assert draft.frozen and draft.warnings_reason is None
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.entity == "evaluation", AuditEntry.entity_id == draft.id)).all()
    assert actions == ["create_evaluation", "edit_evaluation", "freeze_evaluation"]


def test_a_frozen_evaluation_never_changes_and_a_new_one_sees_the_new_data(session) -> None:  # type: ignore[no-untyped-def]
    project = _project_a(session)
    first = create_draft(session, project, "staff", AFTER_YEAR)
    update_draft(session, first, EvaluationEdit(
        goal_actual="完成年度目标", indicators=_edit(first, **REASONS).indicators), "staff")
    freeze(session, first, "staff")
    session.commit()

    add_ledger(session, project.unit, ("2025-12-01", "2025-12-31"), [(project, "2025-12-15", "100000")])
    report(session, project.indicators[0], "2025-12-31", value="20")
    session.commit()
    session.expire_all()

    frozen = session.get(Evaluation, first.id)
    assert frozen is not None
    assert frozen.spent == Decimal("850000.00") and frozen.total == Decimal("83.8650")
    assert frozen.indicators[0].actual == 16
    with pytest.raises(EvaluationFrozen, match="不能再修改"):
        update_draft(session, frozen, _edit(frozen, 支持企业数=IndicatorEdit(actual="20")), "staff")
    with pytest.raises(EvaluationFrozen):
        freeze(session, frozen, "staff", "再交一次")

    second = create_draft(session, project, "staff", AFTER_YEAR)
    # 20/20 → 30; 执行率 95% → 9.5; the qualitative score is the band default again:
    # 30 + 18 + 21.375 + 11.99 + 9.5 = 90.865 → 优
    assert second.number == 2 and second.spent == Decimal("950000.00")
    assert second.total == Decimal("90.8650") and second.grade == "优"
    assert second.goal_actual == "完成年度目标"  # texts carried over, figures fresh
    assert second.indicators[1].deviation_reason == "单位培训成本：原因与改进措施"
    assert session.get(Evaluation, first.id).total == Decimal("83.8650")  # type: ignore[union-attr]
    lines, _ = contract_for_year(session, 2025)
    assert lines[0]["evaluation_number"] == 1 and lines[0]["total"] == "83.87"


def test_only_one_draft_at_a_time_and_not_before_year_end(session) -> None:  # type: ignore[no-untyped-def]
    project = _project_a(session)
    with pytest.raises(ValidationFailed, match="2025年尚未结束"):
        create_draft(session, project, "staff", date(2025, 12, 30))
    create_draft(session, project, "staff", date(2025, 12, 31))
    with pytest.raises(ValidationFailed, match="已有未提交的第1次自评草稿"):
        create_draft(session, project, "staff", AFTER_YEAR)


@pytest.mark.parametrize(("name", "edit", "message"), [
    ("服务对象满意度", IndicatorEdit(score="12"), r"得分应在 \[9, 12\) 之间"),
    ("服务对象满意度", IndicatorEdit(achievement="", score="5"), "请先选择完成情况"),
    ("服务对象满意度", IndicatorEdit(achievement="还行"), "定性指标完成情况应为"),
    ("支持企业数", IndicatorEdit(actual="很多"), "应为数字"),
    ("支持企业数", IndicatorEdit(actual="18元"), "单位“元”与年度指标值单位“家”不一致"),
    ("支持企业数", IndicatorEdit(actual="1.00001"), "最多保留4位小数"),
])
def test_bad_edits_change_nothing(session, name: str, edit: IndicatorEdit, message: str) -> None:  # type: ignore[no-untyped-def]
    draft = create_draft(session, _project_a(session), "staff", AFTER_YEAR)
    before = [(r.actual_raw, r.achievement, r.score) for r in draft.indicators]
    good = IndicatorEdit(actual="18") if name != "支持企业数" else IndicatorEdit(deviation_reason="x")
    other = "支持企业数" if name != "支持企业数" else "验收合格率"
    with pytest.raises(ValidationFailed, match=message):
        update_draft(session, draft, _edit(draft, **{name: edit, other: good}), "staff")
    assert [(r.actual_raw, r.achievement, r.score) for r in draft.indicators] == before


def test_edits_of_each_kind(session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session)
    draft = create_draft(session, _project_b(session, unit), "staff", AFTER_YEAR)
    update_draft(session, draft, _edit(
        draft, 培训人数=IndicatorEdit(actual="1,000 人"), 按期完成=IndicatorEdit(completed_on="2025-10-08"),
        带动就业=IndicatorEdit(actual="40")), "staff")
    people, deadline, jobs = draft.indicators
    assert people.actual == 1000 and people.actual_raw == "1,000 人" and people.source == "手工填写（staff）"
    assert deadline.score == 0 and deadline.actual_raw == "2025-10-08完成" and deadline.note == "未按期完成"
    assert jobs.score == Decimal("27.0000")  # 40/50 × 33.75
    assert "ledger_incomplete" in [w["code"] for w in draft.warnings]  # no ledger imported


def test_changing_the_band_resets_the_edited_score(session) -> None:  # type: ignore[no-untyped-def]
    draft = create_draft(session, _project_a(session), "staff", AFTER_YEAR)
    update_draft(session, draft, _edit(draft, 服务对象满意度=IndicatorEdit(score="9")), "staff")
    # the form still holds the old band's 9 when the level changes: the new band's default
    update_draft(session, draft, _edit(draft, 服务对象满意度=IndicatorEdit(
        achievement="达成年度指标", score="9.00")), "staff")
    row = draft.indicators[3]
    assert row.edited_score is None and row.score == Decimal("15.0000")
    update_draft(session, draft, _edit(draft, 服务对象满意度=IndicatorEdit(
        achievement="未达成年度指标且效果较差", score="")), "staff")
    assert row.score == Decimal("8.9900")  # [0, 9): 9 − 0.01


def test_bulk_drafts_for_projects_without_one(session) -> None:  # type: ignore[no-untyped-def]
    project = _project_a(session)
    second = _project_b(session, project.unit)
    elsewhere = _project_b(session, make_unit(session, "他单位"))
    create_draft(session, project, "staff", AFTER_YEAR)
    result = create_drafts(session, 2025, "staff", AFTER_YEAR, unit_id=project.unit_id)
    assert [e.project_id for e in result.created] == [second.id]
    assert result.already == 1 and result.failed == ()
    assert session.scalar(select(Evaluation).where(Evaluation.project_id == elsewhere.id)) is None
    with pytest.raises(ValidationFailed, match="尚未结束"):
        create_drafts(session, 2025, "staff", date(2025, 6, 30))


def test_a_project_whose_level1_cannot_be_weighed_is_reported(session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session)
    odd = make_project(session, unit, name="奇怪项目", indicators=[
        {"name": "某指标", "level1": "其他", "level2": "其他"}])
    fine = make_project(session, unit, name="正常项目", indicators=[
        {"name": "项目效果", "level1": "项目效果", "level2": "社会效果"}])
    result = create_drafts(session, 2025, "staff", AFTER_YEAR)
    assert [e.project_id for e in result.created] == [fine.id]
    assert result.failed[0][0] is odd and "无法归入产出、效益或满意度" in result.failed[0][1]
    # 项目效果 is weighed as 效益: alone, it takes 30 × 90/30 = 90
    assert result.created[0].indicators[0].weight == Decimal("90.0000")


def test_weights_column_adds_up_to_100_after_rounding(session) -> None:  # type: ignore[no-untyped-def]
    """DOMAIN §3: “what the category weight leaves is split evenly among the indicators without one.
    Shown rounded to 2 decimals, the 分值 column still adds up to 100 exactly (the last indicator of
    each category takes the rounding).”  (The issue: 16.67 × 3 = 100.01.)"""
    unit = make_unit(session)
    add_ledger(session, unit, ("2025-01-01", "2025-12-31"), [])
    project = make_project(session, unit, budget="100000", name="三项产出", indicators=[
        {"name": f"产出{n}", "target_number": Decimal(1), "target_unit": "个"} for n in range(3)] + [
        {"name": "效益", "level1": "效益指标", "level2": "社会效益指标", "target_number": Decimal(1),
         "target_unit": "个"},
        {"name": "满意度", "level1": "满意度指标", "level2": "服务对象满意度指标",
         "target_number": Decimal(90), "target_unit": "%"}])
    evaluation = preview(session, project)
    weights = [r.weight for r in evaluation.indicators]
    assert weights == [Decimal("16.6700"), Decimal("16.6700"), Decimal("16.6600"), Decimal("30.0000"),
                       Decimal("10.0000")]
    assert sum(weights) + evaluation.execution_weight == 100
    assert "weights_not_100" not in [w["code"] for w in evaluation.warnings]


def test_two_creates_or_freezes_at_once_make_one_draft_and_freeze_it_once(fresh_database_url: str,  # type: ignore[no-untyped-def]
                                                                          monkeypatch) -> None:
    """A double click on 创建 / 提交并冻结 (two requests at once, real threads, a committed
    database): with the project's row lock the second reads after the first committed and is
    refused in Chinese — not a unique-key failure, not a second freeze re-scoring a frozen one."""
    import threading

    from tests.services.test_ledger_concurrency import in_threads
    from tracker import migration
    from tracker.db import Database
    from tracker.errors import TrackerError
    from tracker.models import Project
    from tracker.services import evaluation as service

    db = Database(fresh_database_url)
    migration.upgrade(fresh_database_url, db.engine)
    try:
        with db.session() as session:
            project_id = _project_a(session).id
            session.commit()
        barrier = threading.Barrier(2)

        def waiting(real):  # type: ignore[no-untyped-def]
            def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
                try:
                    barrier.wait(timeout=3)
                except threading.BrokenBarrierError:
                    pass
                return real(*args, **kwargs)
            return wrapped

        refusals: list[str] = []

        def attempt(step) -> int:  # type: ignore[no-untyped-def]
            with db.session(write=True) as session:
                try:
                    step(session, session.get(Project, project_id))
                    session.commit()
                    return 0
                except TrackerError as error:
                    session.rollback()
                    refusals.append(str(error))
                    return 1

        monkeypatch.setattr(service, "_build", waiting(service._build))
        create = lambda session, project: service.create_draft(session, project, "clerk", AFTER_YEAR)  # noqa: E731
        assert sorted(in_threads(lambda: attempt(create), lambda: attempt(create))) == [0, 1]
        assert refusals == ["已有未提交的第1次自评草稿，请继续编辑或提交后再新建"]

        refusals.clear()
        barrier.reset()
        monkeypatch.setattr(service, "_refresh_money", waiting(service._refresh_money))
        freeze_once = lambda session, project: service.freeze(  # noqa: E731
            session, service.evaluation_by_number(session, project, 1), "clerk", reason="已说明")
        assert sorted(in_threads(lambda: attempt(freeze_once), lambda: attempt(freeze_once))) == [0, 1]
        assert len(refusals) == 1 and "已由clerk提交冻结，不能再修改" in refusals[0]
        with db.session() as session:
            (only,) = session.scalars(select(Evaluation)).all()
            assert only.frozen and only.number == 1
    finally:
        db.dispose()
