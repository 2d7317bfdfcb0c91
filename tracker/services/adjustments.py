"""调整: record an approved change of a project's 全年预算数, spending plan or indicator targets,
and tell monitoring which version was valid at a date.

See ``tracker.models.adjustments`` for how versions are kept.  Rules (DOMAIN is silent; our
choices): an adjustment takes effect on a date inside the project's year, never before the
project's latest adjustment (versions form one chain); it needs a reason and an approver and
must change something; a plan is cumulative percentages at dates of the project's year,
non-decreasing, at most 100; a target is re-parsed like an imported one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.core.plan import PlanCheckpoint, is_blank_checkpoint, sorted_plan
from tracker.errors import ValidationFailed
from tracker.importers.target_values import parse_target_value
from tracker.models import Adjustment, Indicator, PlanPoint, Project, User
from tracker.services import audit

MAX_TEXT = 2000
TARGET_KEYS = ("target_raw", "op", "target_number", "target_unit", "kind", "deadline")


@dataclass(frozen=True)
class AdjustmentForm:
    """The adjustment form as typed (strings); empty fields mean "unchanged"."""

    effective_on: str
    reason: str
    approver: str
    document: str = ""
    budget: str = ""  # 全年预算数, 元
    plan: str = ""  # one "MM-DD pct" (or "YYYY-MM-DD pct") per line
    targets: Mapping[str, str] = field(default_factory=dict)  # indicator id → new 指标值


@dataclass(frozen=True)
class Version:
    """What differs at a date from a project's current values (None / missing = current)."""

    budget: Decimal | None = None
    plan: tuple[PlanCheckpoint, ...] | None = None
    targets: dict[int, dict[str, Any]] = field(default_factory=dict)  # indicator id → target dict


def _text(value: str, label: str, required: bool = True) -> str | None:
    text = value.strip()[:MAX_TEXT]
    if required and not text:
        raise ValidationFailed(f"请填写{label}")
    return text or None


def _money(text: str) -> Decimal:
    cleaned = text.strip().replace(",", "").replace("，", "").removesuffix("元")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationFailed(f"全年预算数应为金额（元），当前为“{text}”") from None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")) \
            or value >= Decimal(10) ** 14:
        raise ValidationFailed("全年预算数应为不小于 0、最多两位小数的金额（元）")
    return value


def parse_plan(text: str, year: int) -> tuple[PlanCheckpoint, ...]:
    """Lines like ``06-30 40`` or ``2025-06-30 40%`` → checked cumulative plan points."""
    points = []
    for number, line in enumerate(text.strip().splitlines(), start=1):
        parts = line.replace("%", " ").replace("：", " ").replace(":", " ").replace("，", " ").split()
        if not parts:
            continue
        if len(parts) != 2:
            raise ValidationFailed(f"支出计划第{number}行应为“日期 累计百分比”，如“06-30 40”")
        day, pct = parts
        try:
            checkpoint = date.fromisoformat(day if len(day) > 5 else f"{year}-{day}")
            value = Decimal(pct)
        except (ValueError, InvalidOperation):
            raise ValidationFailed(f"支出计划第{number}行无法识别：“{line.strip()}”") from None
        if checkpoint.year != year:
            raise ValidationFailed(f"支出计划第{number}行的日期应在{year}年内")
        if not value.is_finite() or not Decimal(0) <= value <= Decimal(100) \
                or value != value.quantize(Decimal("0.0001")):
            raise ValidationFailed(f"支出计划第{number}行的累计百分比应在 0 到 100 之间")
        points.append(PlanCheckpoint(checkpoint, value))
    try:
        plan = sorted_plan(points)
    except ValueError as error:
        raise ValidationFailed(str(error)) from None
    if any(b.cumulative_pct < a.cumulative_pct for a, b in zip(plan, plan[1:])):
        raise ValidationFailed("支出计划的累计百分比应逐期不减")
    return plan


def _plan_json(points: Iterable[PlanCheckpoint]) -> list[list[str]]:
    return [[p.checkpoint.isoformat(), str(p.cumulative_pct)] for p in points]


def _target_of(indicator: Indicator) -> dict[str, Any]:
    return {"target_raw": indicator.target_raw, "op": indicator.op,
            "target_number": None if indicator.target_number is None else str(indicator.target_number),
            "target_unit": indicator.target_unit, "kind": indicator.kind,
            "deadline": None if indicator.deadline is None else indicator.deadline.isoformat()}


def _target_changes(project: Project, targets: Mapping[str, str]) -> list[tuple[Indicator, str, Any, str]]:
    """(indicator, new 指标值, parsed value, kind) for every target the form changes."""
    indicators = {str(i.id): i for i in project.indicators}
    changes = []
    for key, raw in targets.items():
        indicator = indicators.get(str(key))
        if indicator is None:
            raise ValidationFailed("该项目没有这个绩效指标")
        text = raw.strip()
        if not text or text == indicator.target_raw:
            continue
        if len(text) > 500:
            raise ValidationFailed(f"指标“{indicator.name}”的指标值过长")
        parsed = parse_target_value(text, level2=indicator.level2, year=project.year)
        # a reverse (cost) indicator stays reverse when its new target is still ≤ / <
        keeps_reverse = indicator.kind == "reverse" and parsed.kind == "quantitative" and parsed.op in ("<=", "<")
        changes.append((indicator, text, parsed, "reverse" if keeps_reverse else parsed.kind))
    return changes


def latest_effective(session: Session, project: Project) -> date | None:
    return session.scalar(select(Adjustment.effective_on).where(Adjustment.project_id == project.id)
                          .order_by(Adjustment.effective_on.desc()).limit(1))


def adjust(session: Session, project: Project, form: AdjustmentForm, actor: User | str) -> Adjustment:
    """Apply ``form`` to ``project`` (its columns become the new version) and keep the
    adjustment with what it replaced.  ``ValidationFailed`` (Chinese) leaves nothing changed."""
    try:
        effective_on = date.fromisoformat(form.effective_on.strip())
    except ValueError:
        raise ValidationFailed(f"生效日期应为日期（如 {project.year}-07-01）") from None
    if effective_on.year != project.year:
        raise ValidationFailed(f"生效日期应在项目年度（{project.year}年）内")
    latest = latest_effective(session, project)
    if latest is not None and effective_on < latest:
        raise ValidationFailed(f"该项目已有 {latest.isoformat()} 生效的调整，新的调整不能早于该日期")
    reason = _text(form.reason, "调整原因")
    approver = _text(form.approver, "批准人（或批准机关）")
    adjustment = Adjustment(project_id=project.id, effective_on=effective_on, reason=reason,
                            approver=approver[:120] if approver else "",
                            document=_text(form.document, "批复文号", required=False),
                            indicators=[], user_id=actor.id if isinstance(actor, User) else None,
                            actor=actor.username if isinstance(actor, User) else actor)
    # read and check everything first, so a refusal leaves the project untouched
    budget = _money(form.budget) if form.budget.strip() else None
    if budget == project.annual_budget:
        budget = None
    plan = parse_plan(form.plan, project.year) if form.plan.strip() else None
    before_plan = sorted((PlanCheckpoint(p.checkpoint, p.cumulative_pct) for p in project.plan_points
                          if not is_blank_checkpoint(p.raw)),  # a blank cell is no point of the plan
                         key=lambda p: p.checkpoint)
    if plan is not None and _plan_json(plan) == _plan_json(before_plan):
        plan = None
    targets = _target_changes(project, form.targets)
    if budget is None and plan is None and not targets:
        raise ValidationFailed("没有需要调整的内容：请修改全年预算数、支出计划或指标值中的至少一项")
    if budget is not None:
        adjustment.budget_before, adjustment.budget_after = project.annual_budget, budget
        project.annual_budget = budget
    if plan is not None:
        adjustment.plan_before, adjustment.plan_after = _plan_json(before_plan), _plan_json(plan)
        project.plan_points.clear()
        session.flush()
        for point in plan:
            project.plan_points.append(PlanPoint(checkpoint=point.checkpoint,
                                                 cumulative_pct=point.cumulative_pct,
                                                 raw=f"{point.cumulative_pct}%（调整）", is_default=False))
    changes = []
    for indicator, text, parsed, kind in targets:
        before = _target_of(indicator)
        indicator.target_raw, indicator.op, indicator.target_number = text, parsed.op, parsed.number
        indicator.target_unit, indicator.kind, indicator.deadline = parsed.unit, kind, parsed.deadline
        changes.append({"indicator_id": indicator.id, "name": indicator.name, "before": before,
                        "after": _target_of(indicator)})
    adjustment.indicators = changes
    session.add(adjustment)
    session.flush()
    audit.record(session, actor, "adjust_project", "project", project.id,
                 adjustment_id=adjustment.id, effective_on=effective_on.isoformat(),
                 budget=[str(adjustment.budget_before), str(adjustment.budget_after)]
                 if adjustment.budget_after is not None else None,
                 plan=adjustment.plan_after, targets=[t["indicator_id"] for t in adjustment.indicators])
    return adjustment


def adjustments_of(session: Session, project: Project) -> list[Adjustment]:
    return list(session.scalars(select(Adjustment).where(Adjustment.project_id == project.id)
                                .order_by(Adjustment.effective_on, Adjustment.id)))


def versions_at(session: Session, as_of: date,
                project_ids: Iterable[int] | None = None) -> dict[int, Version]:
    """For every project with an adjustment taking effect after ``as_of``: the values valid at
    ``as_of`` (the ``before`` of the earliest later adjustment of each aspect).  Projects not
    in the result use their current values."""
    return versions_at_dates(session, [as_of], project_ids)[as_of]


def versions_at_dates(session: Session, dates: Iterable[date],
                      project_ids: Iterable[int] | None = None) -> dict[date, dict[int, Version]]:
    """``versions_at`` for each of ``dates``, from one read of the adjustments."""
    days = sorted(set(dates))
    if not days:
        return {}
    query = select(Adjustment).where(Adjustment.effective_on > days[0])
    if project_ids is not None:
        ids = list(project_ids)
        if not ids:
            return {day: {} for day in days}
        query = query.where(Adjustment.project_id.in_(ids))
    later = list(session.scalars(query.order_by(Adjustment.effective_on.desc(), Adjustment.id.desc())))
    return {day: _versions(adj for adj in later if adj.effective_on > day) for day in days}


def _versions(adjustments: Iterable[Adjustment]) -> dict[int, Version]:
    """The values before the earliest of ``adjustments`` (given latest first) per project."""
    earliest: dict[int, dict[str, Any]] = {}
    for adj in adjustments:
        seen = earliest.setdefault(adj.project_id, {"targets": {}})
        if adj.budget_before is not None:
            seen["budget"] = adj.budget_before
        if adj.plan_before is not None:
            seen["plan"] = tuple(PlanCheckpoint(date.fromisoformat(d), Decimal(p))
                                 for d, p in adj.plan_before)
        for change in adj.indicators or []:
            seen["targets"][int(change["indicator_id"])] = change["before"]
    return {pid: Version(budget=v.get("budget"), plan=v.get("plan"), targets=v["targets"])
            for pid, v in earliest.items()}
