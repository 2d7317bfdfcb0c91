"""部门整体支出绩效自评: drafts, edits, freezing — the project 自评's cycle
(``services/evaluation.py``) for the department's own indicators — and the form the 自评表
and the 自评报告 print.

- **Drafts.** Made once the year has reached 12-31, one open at a time: 年度预算 = Σ over the
  department's projects of the year (年初预算数, 全年预算数) and 全年执行数 = their counted
  spending 1-1 … 12-31; one row per department indicator with a name (a 分项 without indicator
  is listed under the table, never scored), its 实际完成值 prefilled from the newest report
  dated ≤ 12-31.  A new attempt takes 实际完成情况 and each 偏差原因分析及改进措施 from the
  previous one (matched by indicator); the first takes the 偏差原因 from the counted report's
  note.
- **Scoring.** The project 自评's rules, by the same functions (the rows have the project
  rows' columns): 分值 by 一级 unless the unit set them, 执行率 10 points, the qualitative bands
  and an edited 得分 inside its band, the warnings, ``ledger_incomplete`` when the unit's ledger
  does not reach 12-31.  Every save refreshes the money and re-scores.
- **Freezing.** As for projects: refused while warnings remain unless a reason is given; a
  frozen attempt never changes.
- **Printing.** ``printable`` gives the newest frozen attempt as stored; without one, the
  figures the current data give (``department.self_evaluation``, not saved), marked as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker.db import utcnow
from tracker.errors import EvaluationFrozen, NotFound, ValidationFailed
from tracker.models import (
    DepartmentEvaluation,
    DepartmentEvaluationIndicator,
    DepartmentProgress,
    DepartmentYear,
    Project,
    User,
)
from tracker.services import audit, department
from tracker.core.labels import ACHIEVEMENT_LABELS, actor_label
from tracker.core.scoring import qualitative_band
from tracker.services.evaluation import (  # the project 自评's rules, applied to department rows
    EvaluationEdit,
    apply_edit,
    band_text,
    mark_frozen,
    prefill,
    recompute,
    scoring_kind,
    year_end,
)
from tracker.services.settings import evaluation_settings
from tracker.services.spending import closed_through, spent_through


def _actor(actor: User | str) -> str:
    return actor.username if isinstance(actor, User) else actor


def evaluations_of(session: Session, record: DepartmentYear) -> list[DepartmentEvaluation]:
    """Every attempt of ``record``, oldest first."""
    return list(session.scalars(
        select(DepartmentEvaluation).where(DepartmentEvaluation.department_year_id == record.id)
        .options(selectinload(DepartmentEvaluation.indicators)).order_by(DepartmentEvaluation.number)))


def evaluation_by_number(session: Session, record: DepartmentYear, number: int) -> DepartmentEvaluation:
    found = session.scalar(select(DepartmentEvaluation).where(
        DepartmentEvaluation.department_year_id == record.id, DepartmentEvaluation.number == number))
    if found is None:
        raise NotFound(f"{record.unit.name}{record.year}年没有第{number}次部门整体自评。")
    return found


def _refresh_money(session: Session, evaluation: DepartmentEvaluation, record: DepartmentYear) -> None:
    projects = list(session.scalars(select(Project).where(
        Project.unit_id == record.unit_id, Project.year == record.year)))
    spent = spent_through(session, evaluation.as_of, [p.id for p in projects]) if projects else {}
    evaluation.initial_budget = sum((p.initial_budget for p in projects), Decimal(0))
    evaluation.annual_budget = sum((p.annual_budget for p in projects), Decimal(0))
    evaluation.spent = sum((spent.get(p.id, Decimal(0)) for p in projects), Decimal(0))
    evaluation.ledger_closed_through = closed_through(session, record.unit_id)
    evaluation.sources = {**(evaluation.sources or {}), "as_of": evaluation.as_of.isoformat(),
                          "projects": sorted(p.id for p in projects),
                          "ledger_closed_through": (evaluation.ledger_closed_through.isoformat()
                                                    if evaluation.ledger_closed_through else None)}


def _build(session: Session, record: DepartmentYear, number: int, actor: User | str,
           previous: DepartmentEvaluation | None) -> DepartmentEvaluation:
    as_of = year_end(record.year)
    evaluation = DepartmentEvaluation(
        department_year_id=record.id, department_year=record, number=number, year=record.year, as_of=as_of,
        goal=record.overall_goal, goal_actual=previous.goal_actual if previous else None,
        warnings=[], sources={}, created_by=_actor(actor), created_at=utcnow())
    reasons = {r.indicator_id: r.deviation_reason for r in (previous.indicators if previous else [])
               if r.indicator_id is not None and r.deviation_reason}
    used: list[int] = []
    named = [row for row in department.indicators_of(session, record) if row.name is not None]
    for position, indicator in enumerate(named):
        row = DepartmentEvaluationIndicator(
            indicator_id=indicator.id, position=position, goal=indicator.goal, level1=indicator.level1,
            level2=indicator.level2, name=indicator.name, kind=scoring_kind(indicator),  # type: ignore[arg-type]
            op=indicator.op, target_raw=indicator.target_raw or "", target_number=indicator.target_number,
            target_unit=indicator.target_unit, deadline=indicator.deadline, given_weight=indicator.weight)
        reports = sorted((e for e in indicator.reports if e.reported_on <= as_of),
                         key=lambda e: (e.reported_on, e.id), reverse=True)
        report: DepartmentProgress | None = prefill(row, reports)  # type: ignore[arg-type]
        if report is not None:
            used.append(report.id)
            row.source = f"部门整体进度填报 #{report.id}（{report.reported_on.isoformat()}，{report.actor}）"[:200]
        row.deviation_reason = reasons.get(indicator.id) or (reports[0].note if reports else None)
        evaluation.indicators.append(row)
    evaluation.sources = {"department_progress": sorted(used),
                          "unscored": [f for r in department.indicators_of(session, record) if r.name is None
                                       for f in r.finding_list]}
    _refresh_money(session, evaluation, record)
    recompute(evaluation, evaluation_settings(session))  # type: ignore[arg-type]
    return evaluation


def create_draft(session: Session, record: DepartmentYear, actor: User | str, today: date) -> DepartmentEvaluation:
    """A new draft (number = last + 1) from the current data; refused before 12-31 of the
    year, while a draft is open, and when the department has no indicator to score."""
    if today < year_end(record.year):
        raise ValidationFailed(f"{record.year}年尚未结束，{record.year}年12月31日起才能进行部门整体自评")
    _lock(session, record)
    existing = evaluations_of(session, record)
    if existing and not existing[-1].frozen:
        raise ValidationFailed(f"已有未提交的第{existing[-1].number}次部门整体自评草稿，请继续编辑或提交后再新建")
    if not any(row.name for row in department.indicators_of(session, record)):
        raise ValidationFailed(f"{record.unit.name}{record.year}年没有可评分的部门整体绩效指标，请先补充指标")
    previous = existing[-1] if existing else None
    evaluation = _build(session, record, (previous.number if previous else 0) + 1, actor, previous)
    session.add(evaluation)
    session.flush()
    audit.record(session, actor, "create_evaluation", "department_evaluation", evaluation.id,
                 department_year_id=record.id, number=evaluation.number, total=str(evaluation.total),
                 grade=evaluation.grade)
    return evaluation


def _lock(session: Session, record: DepartmentYear) -> None:
    """Hold ``record``'s row until the transaction ends, so that two requests at once (a double
    click on 创建 or 提交并冻结) act one after the other, the second on what the first committed
    (PostgreSQL; a SQLite write transaction already holds the one write lock)."""
    session.execute(select(DepartmentYear.id).where(DepartmentYear.id == record.id).with_for_update())


def _current_draft(session: Session, evaluation: DepartmentEvaluation) -> None:
    """Lock the attempt's department year, read the attempt again as committed, and refuse it
    when it is frozen."""
    _lock(session, evaluation.department_year)
    session.refresh(evaluation, ["frozen_at", "frozen_by"])
    _require_draft(evaluation)


def _require_draft(evaluation: DepartmentEvaluation) -> None:
    if evaluation.frozen:
        raise EvaluationFrozen(f"第{evaluation.number}次部门整体自评已由{evaluation.frozen_by}提交冻结，"
                               "不能再修改；如需重新评价，请新建一次自评")


def update_draft(session: Session, evaluation: DepartmentEvaluation, edit: EvaluationEdit,
                 actor: User | str) -> DepartmentEvaluation:
    """Apply ``edit`` (实际完成值, 完成情况 and 得分 inside its band, completion dates, 偏差原因分析及
    改进措施, 年度总体目标 实际完成情况) to a draft by the project 自评's edit rule: all or nothing
    (``FormInvalid`` names every problem by its form field), then refresh the money and re-score."""
    _current_draft(session, evaluation)
    settings = evaluation_settings(session)
    changed = apply_edit(evaluation, edit, settings, actor, "该部门整体自评没有这个绩效指标。")
    _refresh_money(session, evaluation, evaluation.department_year)
    recompute(evaluation, settings)  # type: ignore[arg-type]
    session.flush()
    audit.record(session, actor, "edit_evaluation", "department_evaluation", evaluation.id,
                 department_year_id=evaluation.department_year_id, number=evaluation.number,
                 changed=changed, total=str(evaluation.total), grade=evaluation.grade)
    return evaluation


def freeze(session: Session, evaluation: DepartmentEvaluation, actor: User | str,
           reason: str = "") -> DepartmentEvaluation:
    """Submit a draft: refresh and re-score it, then freeze it; refused (``FormInvalid`` on
    ``warnings_reason``) while warnings remain and no reason is given."""
    _current_draft(session, evaluation)
    _refresh_money(session, evaluation, evaluation.department_year)
    recompute(evaluation, evaluation_settings(session))  # type: ignore[arg-type]
    mark_frozen(evaluation, actor, reason)
    session.flush()
    audit.record(session, actor, "freeze_evaluation", "department_evaluation", evaluation.id,
                 department_year_id=evaluation.department_year_id, number=evaluation.number,
                 total=str(evaluation.total), grade=evaluation.grade,
                 warnings=[w["code"] for w in evaluation.warnings], reason=evaluation.warnings_reason)
    return evaluation


@dataclass(frozen=True)
class DepartmentEvaluationPage:
    """What the department 自评 page shows."""

    record: DepartmentYear
    evaluation: DepartmentEvaluation | None  # the one shown (newest unless another was asked)
    history: list[DepartmentEvaluation]  # oldest first
    bands: dict[int, dict[str, str]]  # row id → achievement code → allowed 得分 range (drafts)
    may_create: bool  # the year has ended and no draft is open

    @property
    def draft(self) -> bool:
        return self.evaluation is not None and not self.evaluation.frozen


def evaluation_page(session: Session, record: DepartmentYear, today: date,
                    number: int | None = None) -> DepartmentEvaluationPage:
    history = evaluations_of(session, record)
    shown = history[-1] if history else None
    if number is not None:
        shown = next((e for e in history if e.number == number), None)
        if shown is None:
            raise NotFound(f"{record.unit.name}{record.year}年没有第{number}次部门整体自评。")
    bands: dict[int, dict[str, str]] = {}
    if shown is not None and not shown.frozen:
        settings = evaluation_settings(session)
        bands = {row.id: {code: band_text(qualitative_band(code, row.weight, settings)) for code in ACHIEVEMENT_LABELS}
                 for row in shown.indicators if row.kind == "qualitative"}
    may_create = today >= year_end(record.year) and (not history or history[-1].frozen)
    return DepartmentEvaluationPage(record, shown, history, bands, may_create)


# --- the printed form -----------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentSelfEvalLine:
    level1: str
    level2: str
    name: str
    target_raw: str
    actual_raw: str
    weight: Decimal
    score: Decimal  # 4 places; printed with 2
    deviation_reason: str  # 偏差原因分析及改进措施
    note: str  # the scoring note (e.g. 未填报)
    kind: str


@dataclass(frozen=True)
class DepartmentSelfEvalForm:
    """What the 部门整体支出绩效自评表 and the 自评报告 print: a frozen attempt as stored, or
    the current figures (``number`` None: not submitted)."""

    unit_name: str
    unit_code: str | None
    year: int
    overall_goal: str | None
    goal_actual: str | None
    initial_budget: Decimal  # 元
    annual_budget: Decimal
    spent: Decimal
    execution_weight: Decimal
    execution_rate: Decimal | None
    execution_score: Decimal
    lines: tuple[DepartmentSelfEvalLine, ...]
    total: Decimal
    grade: str
    warnings: tuple[str, ...]
    unscored_findings: tuple[str, ...]
    number: int | None = None
    frozen_by: str | None = None
    frozen_at: datetime | None = None


def form_of(evaluation: DepartmentEvaluation) -> DepartmentSelfEvalForm:
    """A stored attempt (frozen or draft) as printed."""
    record = evaluation.department_year
    return DepartmentSelfEvalForm(
        unit_name=record.unit.name, unit_code=record.unit.code or None, year=evaluation.year,
        overall_goal=evaluation.goal, goal_actual=evaluation.goal_actual,
        initial_budget=evaluation.initial_budget, annual_budget=evaluation.annual_budget, spent=evaluation.spent,
        execution_weight=evaluation.execution_weight, execution_rate=evaluation.execution_rate,
        execution_score=evaluation.execution_score,
        lines=tuple(DepartmentSelfEvalLine(
            row.level1, row.level2, row.name, row.target_raw, row.actual_raw or "", row.weight, row.score,
            row.deviation_reason or "", row.note or "", row.kind) for row in evaluation.indicators),
        total=evaluation.total, grade=evaluation.grade,
        warnings=tuple(w["message"] for w in evaluation.warnings),
        unscored_findings=tuple((evaluation.sources or {}).get("unscored", ())),
        number=evaluation.number, frozen_by=actor_label(evaluation.frozen_by) or None, frozen_at=evaluation.frozen_at)


def current_form(session: Session, record: DepartmentYear) -> DepartmentSelfEvalForm:
    """The figures the current data give (not saved)."""
    result = department.self_evaluation(session, record)
    scored = result.evaluation
    return DepartmentSelfEvalForm(
        unit_name=result.unit_name, unit_code=result.unit_code, year=result.year,
        overall_goal=result.overall_goal, goal_actual=None, initial_budget=result.initial_budget,
        annual_budget=result.annual_budget, spent=result.spent, execution_weight=scored.execution_weight,
        execution_rate=scored.execution_rate, execution_score=scored.execution_score,
        lines=tuple(DepartmentSelfEvalLine(
            row.level1, row.level2, row.name or "", row.target_raw or "", actual, score.weight, score.score,
            score.indicator.deviation_reason or "", score.note or "", score.indicator.kind)
            for row, score, actual in zip(result.rows, scored.indicators, result.actuals)),
        total=scored.total, grade=scored.grade, warnings=tuple(w.message for w in scored.warnings),
        unscored_findings=result.unscored_findings)


def printable(session: Session, record: DepartmentYear) -> DepartmentSelfEvalForm:
    """The newest frozen attempt as stored; without one, the current figures (not saved)."""
    frozen = session.scalar(select(DepartmentEvaluation).where(
        DepartmentEvaluation.department_year_id == record.id, DepartmentEvaluation.frozen_at.is_not(None))
        .order_by(DepartmentEvaluation.number.desc()).limit(1))
    return form_of(frozen) if frozen is not None else current_form(session, record)

