"""年终自评 (DOMAIN §3): drafts prefilled from the ledger and the progress reports, edited by
the unit, scored by ``tracker.core.evaluation`` on every save, frozen when submitted.

- **Figures.** 全年执行数 = the project's counted spending 1-1 … 12-31 of its year
  (``spent_through``); 项目资金 from the project; 实际完成值 of each indicator from its newest
  progress report dated ≤ 12-31 (newest date, then the last entered).  ``sources`` records the
  ledger batches that contributed, the unit's ledger closed-through date, the progress
  reports used and the settings the scores were computed with.
- **Drafts.** Made once the project's year has reached 12-31.  Every save of a draft re-reads
  the money figures (they are not editable: the ledger is the source) and recomputes 分值,
  得分, 总分, 等级 and the warnings with the current settings.  实际完成值, qualitative band and
  score, completion dates, 偏差原因分析及改进措施 and 实际完成情况 are what the unit edits.
- **Freezing.** Submitting freezes the evaluation: refused while warnings remain unless a
  reason is given (kept in ``warnings_reason``); a frozen evaluation never changes
  (``EvaluationFrozen``).  A new evaluation (number + 1) is built from the current data; the
  older ones are kept.

Decisions where DOMAIN and the brief are silent:

- 分值 are computed by ``tracker.core.weights`` to 2 places *before* scoring (the last
  indicator of a category taking the rounding, DOMAIN §3: 50 ÷ 3 → 16.67, 16.67, 16.66), so
  the stored and shown 分值 is exactly the one the 得分 and the band of a qualitative score
  were computed from, and the column adds up to 100.  Scores and totals are stored to 4 places (ROUND_HALF_UP);
  the 等级 is read from the stored total, so shown total and grade always agree.
- A quantitative indicator without an operator scores as ``=`` (the importer's reading);
  one without a number, and a deadline indicator without a date, are scored as qualitative.
  A 一级 that is not literally 产出/成本/效益/满意度 is weighed by its words (满意 → 满意度;
  效益/效果/影响 → 效益; 产出/成本/数量/质量/时效 → 产出), else the evaluation is refused.
- An extra warning ``ledger_incomplete``: the unit's ledger does not reach 12-31.
- A new evaluation takes 实际完成情况 and every 偏差原因分析及改进措施 from the previous one
  (matched by indicator), so a re-evaluation after a late ledger import keeps the unit's
  texts; the figures come from the current data.
- 偏差说明 from the monitoring round are shown beside the form for reference, not copied
  into 偏差原因分析: a project-level text must not silence the per-indicator check.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker.core.labels import ACHIEVEMENT_LABELS, actor_label
from tracker.core.achievement import parse_achievement
from tracker.core.evaluation import IndicatorResult, evaluate
from tracker.core.indicators import KINDS, REVERSE_OPERATORS
from tracker.core.scoring import ScoreBand, grade, qualitative_band
from tracker.core.settings import EvaluationSettings
from tracker.core.weights import category_of, indicator_weights
from tracker.db import utcnow
from tracker.errors import EvaluationFrozen, FormInvalid, NotFound, ValidationFailed
from tracker.importers.target_values import format_number, parse_reported_number
from tracker.models import (
    Evaluation,
    EvaluationIndicator,
    Indicator,
    LedgerRow,
    ProgressReport,
    Project,
    User,
)
from tracker.services import audit
from tracker.services.settings import evaluation_settings
from tracker.services.spending import closed_through, counted_rows, spent_through

FOUR_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")
MAX_TEXT = 2000
MAX_ACTUAL = 500

#: How a 一级 that is not literally 产出/成本/效益/满意度 is weighed, by the words it contains.
_LEVEL1_WORDS = (
    ("满意", "满意度"),
    ("效益", "效益"), ("效果", "效益"), ("影响", "效益"),
    ("产出", "产出"), ("成本", "产出"), ("数量", "产出"), ("质量", "产出"), ("时效", "产出"),
)


def _four(value: Decimal) -> Decimal:
    return value.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


def _actor(actor: User | str) -> str:
    return actor.username if isinstance(actor, User) else actor


# --- reading --------------------------------------------------------------------------------


def year_end(year: int) -> date:
    return date(year, 12, 31)


def evaluations_of(session: Session, project: Project) -> list[Evaluation]:
    """Every evaluation of ``project``, oldest first."""
    return list(session.scalars(
        select(Evaluation).where(Evaluation.project_id == project.id)
        .options(selectinload(Evaluation.indicators)).order_by(Evaluation.number)))


def evaluation_by_number(session: Session, project: Project, number: int) -> Evaluation:
    found = session.scalar(select(Evaluation).where(
        Evaluation.project_id == project.id, Evaluation.number == number))
    if found is None:
        raise NotFound(f"该项目没有第{number}次自评。")
    return found


def latest_frozen(session: Session, project_ids: Sequence[int]) -> dict[int, Evaluation]:
    """The newest frozen evaluation of each project that has one."""
    found: dict[int, Evaluation] = {}
    for start in range(0, len(project_ids), 500):
        chunk = list(project_ids[start:start + 500])
        for evaluation in session.scalars(
                select(Evaluation).where(Evaluation.project_id.in_(chunk),
                                         Evaluation.frozen_at.is_not(None))
                .options(selectinload(Evaluation.indicators)).order_by(Evaluation.number)):
            found[evaluation.project_id] = evaluation
    return found


# --- building -------------------------------------------------------------------------------


def scoring_kind(indicator: Indicator) -> str:
    """The kind the indicator is scored as (see the module docstring)."""
    if indicator.kind in ("quantitative", "reverse") and indicator.target_number is not None:
        return indicator.kind
    if indicator.kind == "deadline" and indicator.deadline is not None:
        return "deadline"
    return "qualitative"


def _latest_reports(session: Session, project: Project, as_of: date) -> dict[int, list[ProgressReport]]:
    """Per indicator, its progress reports dated ≤ ``as_of``, newest first."""
    reports: dict[int, list[ProgressReport]] = {}
    for entry in session.scalars(select(ProgressReport).where(
            ProgressReport.project_id == project.id, ProgressReport.reported_on <= as_of)
            .order_by(ProgressReport.reported_on.desc(), ProgressReport.id.desc())):
        reports.setdefault(entry.indicator_id, []).append(entry)
    return reports


def _report_source(entry: ProgressReport) -> str:
    return f"进度填报 #{entry.id}（{entry.reported_on.isoformat()}，{entry.actor}）"[:200]


def prefill(row: EvaluationIndicator, reports: list[ProgressReport]) -> ProgressReport | None:
    """Fill 实际完成值 from the report that counts; returns it (None: nothing reported)."""
    if not reports:
        return None
    used = reports[0]
    if row.kind in ("quantitative", "reverse"):
        if used.value is None:
            return None
        row.actual = used.value
        row.actual_raw = f"{format_number(used.value)}{row.target_unit or ''}"
    elif row.kind == "qualitative":
        if used.achievement is None:
            return None
        row.achievement = parse_achievement(used.achievement)
        row.actual_raw = ACHIEVEMENT_LABELS[row.achievement]
    else:  # deadline: a completion, once reported, does not un-happen in a later note
        used = next((r for r in reports if r.completed_on is not None), used)
        row.completed_on = used.completed_on
        row.actual_raw = _completion_text(used.completed_on)
    row.source = _report_source(used)
    return used


def _completion_text(completed_on: date | None) -> str | None:
    return None if completed_on is None else f"{completed_on.isoformat()}完成"


def _build(session: Session, project: Project, number: int, actor: User | str,
           settings: EvaluationSettings, previous: Evaluation | None) -> Evaluation:
    as_of = year_end(project.year)
    evaluation = Evaluation(
        project_id=project.id, project=project, number=number, year=project.year, as_of=as_of,
        goal=project.goal, goal_actual=previous.goal_actual if previous else None,
        warnings=[], sources={}, created_by=_actor(actor), created_at=utcnow())
    reasons = {r.indicator_id: r.deviation_reason for r in (previous.indicators if previous else [])
               if r.indicator_id is not None and r.deviation_reason}
    reports = _latest_reports(session, project, as_of)
    used: list[int] = []
    for position, indicator in enumerate(project.indicators):
        row = EvaluationIndicator(
            indicator_id=indicator.id, position=position, level1=indicator.level1,
            level2=indicator.level2, name=indicator.name, kind=scoring_kind(indicator),
            op=indicator.op, target_raw=indicator.target_raw,
            target_number=indicator.target_number, target_unit=indicator.target_unit,
            deadline=indicator.deadline, given_weight=indicator.weight,
            deviation_reason=reasons.get(indicator.id))
        report = prefill(row, reports.get(indicator.id, []))
        if report is not None:
            used.append(report.id)
        evaluation.indicators.append(row)
    _refresh_money(session, evaluation, project, progress_reports=sorted(used))
    recompute(evaluation, settings)
    return evaluation


def _refresh_money(session: Session, evaluation: Evaluation, project: Project,
                   progress_reports: list[int] | None = None) -> None:
    """项目资金 from the project, 全年执行数 and ledger coverage from the ledger (drafts only)."""
    as_of = evaluation.as_of
    evaluation.initial_budget = project.initial_budget
    evaluation.annual_budget = project.annual_budget
    evaluation.fiscal_funds = project.fiscal_funds
    evaluation.carryover = project.carryover
    evaluation.other_funds = project.other_funds
    evaluation.spent = spent_through(session, as_of, [project.id]).get(project.id, ZERO)
    evaluation.ledger_closed_through = closed_through(session, project.unit_id)
    batches = session.scalars(counted_rows(select(LedgerRow.batch_id).distinct()).where(
        LedgerRow.project_id == project.id, LedgerRow.date >= date(as_of.year, 1, 1),
        LedgerRow.date <= as_of))
    sources = dict(evaluation.sources or {})
    sources.update({
        "as_of": as_of.isoformat(),
        "ledger_batches": sorted(set(batches)),
        "ledger_closed_through": (evaluation.ledger_closed_through.isoformat()
                                  if evaluation.ledger_closed_through else None),
    })
    if progress_reports is not None:
        sources["progress_reports"] = progress_reports
    evaluation.sources = sources


def _weighing_level1(row: EvaluationIndicator) -> str:
    """The 一级 name the weights are computed under (see the module docstring)."""
    try:
        category_of(row.level1)
        return row.level1
    except ValueError:
        pass
    for text in (row.level1 or "", row.level2 or ""):
        for word, level1 in _LEVEL1_WORDS:
            if word in text:
                return level1
    raise ValidationFailed(f"指标“{row.name}”的一级指标“{row.level1}”无法归入产出、效益或满意度，"
                           "请先修正绩效目标表")


def _weights(rows: Sequence[EvaluationIndicator], settings: EvaluationSettings) -> list[tuple[str, Decimal]]:
    """(一级 for weighing, 分值 rounded to 4 places) of each row."""
    level1s = [_weighing_level1(row) for row in rows]
    try:
        weights = indicator_weights(list(zip(level1s, (r.given_weight for r in rows))), settings)
    except ValueError as error:
        raise ValidationFailed(str(error)) from None
    return [(level1, _four(weight)) for level1, weight in zip(level1s, weights)]


def _operator(row: EvaluationIndicator) -> Any:
    if row.kind == "reverse":
        return row.op if row.op in REVERSE_OPERATORS else "<="
    if row.kind == "quantitative":
        return row.op or "="
    return None


def _result(row: EvaluationIndicator, level1: str, weight: Decimal) -> IndicatorResult:
    kind = row.kind if row.kind in KINDS else "qualitative"
    return IndicatorResult(
        level1=level1, name=row.name, kind=kind,  # type: ignore[arg-type]
        operator=_operator(row), target=row.target_number,
        actual=row.actual if kind in ("quantitative", "reverse") else None,
        achievement=row.achievement if kind == "qualitative" else None,
        edited_score=row.edited_score if kind == "qualitative" and row.achievement else None,
        deadline=row.deadline if kind == "deadline" else None,
        completed_on=row.completed_on if kind == "deadline" else None,
        weight=weight, deviation_reason=row.deviation_reason or "")


def recompute(evaluation: Evaluation, settings: EvaluationSettings) -> None:
    """分值, 得分, 执行率得分, 总分, 等级 and warnings of a draft, from its rows and money."""
    rows = list(evaluation.indicators)
    inputs = [_result(row, level1, weight)
              for row, (level1, weight) in zip(rows, _weights(rows, settings))]
    try:
        outcome = evaluate(inputs, evaluation.spent, evaluation.annual_budget, settings)
    except ValueError as error:
        raise ValidationFailed(str(error)) from None
    for row, scored in zip(rows, outcome.indicators):
        row.weight = scored.weight
        row.score = _four(scored.score)
        row.note = scored.note[:300] if scored.note else None
    rate = outcome.execution_rate
    evaluation.execution_rate = None if rate is None else _four(rate)
    evaluation.execution_weight = _four(outcome.execution_weight)
    evaluation.execution_score = _four(outcome.execution_score)
    evaluation.total = _four(outcome.total)
    evaluation.grade = grade(evaluation.total, settings)
    warnings = [{"code": w.code, "message": w.message} for w in outcome.warnings]
    closed = evaluation.ledger_closed_through
    if closed is None or closed < evaluation.as_of:
        warnings.append({"code": "ledger_incomplete", "message": (
            f"本单位台账仅覆盖至{closed.isoformat()}，未覆盖{evaluation.as_of.isoformat()}，全年执行数可能不完整"
            if closed else "本单位尚未导入台账，全年执行数按0计")})
    evaluation.warnings = warnings
    evaluation.sources = {**(evaluation.sources or {}), "settings": settings.to_dict()}


# --- creating -------------------------------------------------------------------------------


def _require_year_ended(project: Project, today: date) -> None:
    if today < year_end(project.year):
        raise ValidationFailed(f"{project.year}年尚未结束，{project.year}年12月31日起才能进行年终自评")


def create_draft(session: Session, project: Project, actor: User | str, today: date) -> Evaluation:
    """A new draft (number = last + 1) from the current data; refused while a draft exists
    or before 12-31 of the project's year."""
    _require_year_ended(project, today)
    _lock(session, project)
    existing = evaluations_of(session, project)
    if existing and not existing[-1].frozen:
        raise ValidationFailed(f"已有未提交的第{existing[-1].number}次自评草稿，请继续编辑或提交后再新建")
    previous = existing[-1] if existing else None
    evaluation = _build(session, project, (previous.number if previous else 0) + 1, actor,
                        evaluation_settings(session), previous)
    session.add(evaluation)
    session.flush()
    audit.record(session, actor, "create_evaluation", "evaluation", evaluation.id,
                 project_id=project.id, number=evaluation.number, total=str(evaluation.total),
                 grade=evaluation.grade)
    return evaluation


@dataclass(frozen=True)
class DraftsCreated:
    created: tuple[Evaluation, ...]
    already: int  # projects that had an evaluation already
    failed: tuple[tuple[Project, str], ...]  # project and the reason (Chinese)


def create_drafts(session: Session, year: int, actor: User | str, today: date,
                  project_ids: Iterable[int] | None = None, unit_id: int | None = None) -> DraftsCreated:
    """A draft for every project of ``year`` (within ``project_ids`` / ``unit_id``) that has
    no evaluation yet.  A project that cannot be evaluated is reported, not fatal."""
    if today < year_end(year):
        raise ValidationFailed(f"{year}年尚未结束，{year}年12月31日起才能进行年终自评")
    query = select(Project).where(Project.year == year).options(selectinload(Project.indicators))
    if project_ids is not None:
        query = query.where(Project.id.in_(sorted(set(project_ids))))
    if unit_id is not None:
        query = query.where(Project.unit_id == unit_id)
    projects = list(session.scalars(query.order_by(Project.unit_id, Project.id)))
    evaluated = set(session.scalars(select(Evaluation.project_id).distinct().where(
        Evaluation.project_id.in_([p.id for p in projects]))))
    settings = evaluation_settings(session)
    created: list[Evaluation] = []
    failed: list[tuple[Project, str]] = []
    for project in projects:
        if project.id in evaluated:
            continue
        try:
            evaluation = _build(session, project, 1, actor, settings, None)
        except ValidationFailed as error:
            failed.append((project, str(error)))
            continue
        session.add(evaluation)
        created.append(evaluation)
    session.flush()
    for evaluation in created:
        audit.record(session, actor, "create_evaluation", "evaluation", evaluation.id,
                     project_id=evaluation.project_id, number=1, total=str(evaluation.total),
                     grade=evaluation.grade)
    return DraftsCreated(tuple(created), len(evaluated), tuple(failed))


def preview(session: Session, project: Project) -> Evaluation:
    """The evaluation the current data give, not saved (``number`` 0, not in the session)."""
    return _build(session, project, 0, "preview", evaluation_settings(session), None)


# --- editing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorEdit:
    """What the unit typed for one indicator row; None = unchanged, "" = cleared.

    ``actual``: 实际完成值 (a number, optionally with its unit, for quantitative and reverse
    indicators; free text for qualitative ones); ``achievement``: the qualitative level
    (either wording or its code); ``score``: a qualitative 得分 inside its band ("" = the
    band's default); ``completed_on``: ISO date for deadline indicators."""

    actual: str | None = None
    achievement: str | None = None
    score: str | None = None
    completed_on: str | None = None
    deviation_reason: str | None = None


@dataclass(frozen=True)
class EvaluationEdit:
    """An edit of a draft: 实际完成情况 and the rows, by ``EvaluationIndicator.id``."""

    goal_actual: str | None = None
    indicators: Mapping[int, IndicatorEdit] = field(default_factory=dict)


def _lock(session: Session, project: Project) -> None:
    """Hold ``project``'s row until the transaction ends, so that two requests at once (a double
    click on 创建 or 提交并冻结) act one after the other, the second on what the first committed
    (PostgreSQL; a SQLite write transaction already holds the one write lock)."""
    session.execute(select(Project.id).where(Project.id == project.id).with_for_update())


def _current_draft(session: Session, evaluation: Evaluation) -> None:
    """Lock the attempt's project, read the attempt again as committed, refuse it when frozen."""
    _lock(session, evaluation.project)
    session.refresh(evaluation, ["frozen_at", "frozen_by"])
    _require_draft(evaluation)


def _require_draft(evaluation: Evaluation) -> None:
    if evaluation.frozen:
        raise EvaluationFrozen(f"第{evaluation.number}次自评已由{evaluation.frozen_by}提交冻结，"
                               "不能再修改；如需重新评价，请新建一次自评")


def _text(value: str, label: str, limit: int, errors: list[str]) -> str | None:
    text = value.strip()
    if len(text) > limit:
        errors.append(f"{label}最多{limit}字")
    return text or None


def _number(text: str, row: EvaluationIndicator, errors: list[str]) -> Decimal | None:
    """实际完成值 of a quantitative / reverse row: a number, optionally with the target's unit."""
    try:
        return parse_reported_number(text, row.target_unit, f"“{row.name}”的实际完成值", row.target_number)
    except ValueError as error:
        errors.append(str(error))
        return None


def _score(text: str, row: EvaluationIndicator, achievement: str | None,
           settings: EvaluationSettings, errors: list[str]) -> Decimal | None:
    text = text.strip()
    if not text:
        return None
    if achievement is None:
        errors.append(f"“{row.name}”请先选择完成情况，再填写得分")
        return None
    try:
        score = Decimal(text)
    except InvalidOperation:
        errors.append(f"“{row.name}”的得分应为数字，当前为“{text}”")
        return None
    if not score.is_finite() or score != score.quantize(FOUR_PLACES):
        errors.append(f"“{row.name}”的得分最多保留4位小数")
        return None
    band = qualitative_band(achievement, row.weight, settings)
    if not band.contains(score):
        errors.append(f"“{row.name}”选择“{ACHIEVEMENT_LABELS[achievement]}”时得分应在 "
                      f"{band_text(band)} 之间，当前为 {text}")
        return None
    return score


def _same(text: str, number: Decimal | None) -> bool:
    try:
        return number is not None and Decimal(text.strip()) == number
    except InvalidOperation:
        return False


def band_text(band: ScoreBand) -> str:
    closing = "]" if band.high_inclusive else ")"
    return f"[{format_number(_four(band.low))}, {format_number(_four(band.high))}{closing}"


def _parsed_row(row: EvaluationIndicator, edit: IndicatorEdit, settings: EvaluationSettings,
                actor: str, errors: dict[str, str]) -> dict[str, Any]:
    """The new column values of ``row`` (only those that change); problems into ``errors``
    by the form field they concern (``actual_<id>``, ``achievement_<id>``, ``score_<id>``,
    ``completed_on_<id>``, ``reason_<id>``)."""
    values: dict[str, Any] = {}
    found: dict[str, list[str]] = defaultdict(list)
    if edit.deviation_reason is not None:
        values["deviation_reason"] = _text(edit.deviation_reason, f"“{row.name}”的偏差原因分析及改进措施",
                                           MAX_TEXT, found["reason"])
    if row.kind in ("quantitative", "reverse") and edit.actual is not None:
        raw = _text(edit.actual, f"“{row.name}”的实际完成值", MAX_ACTUAL, found["actual"])
        if raw != row.actual_raw:
            values["actual_raw"] = raw
            values["actual"] = None if raw is None else _number(raw, row, found["actual"])
    elif row.kind == "qualitative":
        achievement = row.achievement
        if edit.achievement is not None:
            try:
                achievement = parse_achievement(edit.achievement) if edit.achievement.strip() else None
            except ValueError as error:
                found["achievement"].append(f"“{row.name}”：{error}")
            values["achievement"] = achievement
        if edit.actual is not None:
            values["actual_raw"] = _text(edit.actual, f"“{row.name}”的实际完成值", MAX_ACTUAL, found["actual"])
        score = edit.score
        if score is not None and achievement != row.achievement and _same(score, row.edited_score):
            score = ""  # the old band's score, left in the form: the new band's default
        if score is not None:
            values["edited_score"] = _score(score, row, achievement, settings, found["score"])
        elif achievement != row.achievement:  # another band: its default, unless a score is given
            values["edited_score"] = None
    elif row.kind == "deadline" and edit.completed_on is not None:
        completed_on = None
        if edit.completed_on.strip():
            try:
                completed_on = date.fromisoformat(edit.completed_on.strip())
            except ValueError:
                found["completed_on"].append(
                    f"“{row.name}”的完成日期应为日期（如 {row.deadline}），当前为“{edit.completed_on}”")
        values["completed_on"] = completed_on
        values["actual_raw"] = _completion_text(completed_on)
    errors.update({f"{field}_{row.id}": "；".join(messages) for field, messages in found.items() if messages})
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if changed.keys() & {"actual", "actual_raw", "achievement", "completed_on"}:
        changed["source"] = f"手工填写（{actor_label(actor)}）"[:200]
    return changed


def apply_edit(evaluation: Any, edit: EvaluationEdit, settings: EvaluationSettings, actor: User | str,
               not_found: str) -> list[str]:
    """Check ``edit`` against a draft's rows and apply it, all or nothing (``FormInvalid`` gives
    every problem by its form field and changes nothing): the edit rule of every 自评, the
    project's and the 部门整体's.  Returns the names of the indicators it changed."""
    rows = {row.id: row for row in evaluation.indicators}
    if any(i not in rows for i in edit.indicators):
        raise NotFound(not_found)
    errors: dict[str, str] = {}
    name = _actor(actor)
    changes = {row_id: _parsed_row(rows[row_id], row_edit, settings, name, errors)
               for row_id, row_edit in edit.indicators.items()}
    goal_actual = evaluation.goal_actual
    if edit.goal_actual is not None:
        found: list[str] = []
        goal_actual = _text(edit.goal_actual, "年度总体目标实际完成情况", MAX_TEXT, found)
        if found:
            errors["goal_actual"] = "；".join(found)
    if errors:
        raise FormInvalid(errors)
    evaluation.goal_actual = goal_actual
    for row_id, values in changes.items():
        for key, value in values.items():
            setattr(rows[row_id], key, value)
    return sorted(rows[i].name for i, v in changes.items() if v)


def mark_frozen(evaluation: Any, actor: User | str, reason: str) -> None:
    """The submit rule of every 自评 (called once it is refreshed and re-scored): refused while
    warnings remain and no reason is given; the reason kept only when there are warnings."""
    reason = reason.strip()
    if evaluation.warnings and not reason:
        raise FormInvalid({"warnings_reason": "存在以下提示，请修改后再提交，或填写仍要提交的理由："
                                              + "；".join(w["message"] for w in evaluation.warnings)})
    if len(reason) > MAX_TEXT:
        raise FormInvalid({"warnings_reason": f"提交理由最多{MAX_TEXT}字"})
    evaluation.warnings_reason = reason if evaluation.warnings else None
    evaluation.frozen_at = utcnow()
    evaluation.frozen_by = _actor(actor)


def update_draft(session: Session, evaluation: Evaluation, edit: EvaluationEdit,
                 actor: User | str) -> Evaluation:
    """Apply ``edit`` to a draft (all or nothing: ``FormInvalid`` gives every problem by its
    form field and changes nothing), refresh its money figures and recompute it."""
    _current_draft(session, evaluation)
    settings = evaluation_settings(session)
    changed = apply_edit(evaluation, edit, settings, actor, "该自评没有这个绩效指标。")
    _refresh_money(session, evaluation, evaluation.project)
    recompute(evaluation, settings)
    session.flush()
    audit.record(session, actor, "edit_evaluation", "evaluation", evaluation.id,
                 project_id=evaluation.project_id, number=evaluation.number,
                 changed=changed, total=str(evaluation.total), grade=evaluation.grade)
    return evaluation


def freeze(session: Session, evaluation: Evaluation, actor: User | str, reason: str = "") -> Evaluation:
    """Submit a draft: refresh and recompute it, then freeze it.  Refused (ValidationFailed,
    nothing changes when the caller rolls back) while warnings remain and no reason is given."""
    _current_draft(session, evaluation)
    _refresh_money(session, evaluation, evaluation.project)
    recompute(evaluation, evaluation_settings(session))
    mark_frozen(evaluation, actor, reason)
    session.flush()
    audit.record(session, actor, "freeze_evaluation", "evaluation", evaluation.id,
                 project_id=evaluation.project_id, number=evaluation.number,
                 total=str(evaluation.total), grade=evaluation.grade,
                 warnings=[w["code"] for w in evaluation.warnings],
                 reason=evaluation.warnings_reason)
    return evaluation


__all__ = [
    "DraftsCreated", "EvaluationEdit", "IndicatorEdit", "apply_edit", "band_text", "create_draft", "create_drafts",
    "evaluation_by_number", "evaluations_of", "freeze", "latest_frozen", "mark_frozen", "prefill", "preview",
    "recompute", "scoring_kind", "update_draft",
]
