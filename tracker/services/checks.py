"""``tracker check --as-of``: every project's 双监控 figures at one date, as plain records,
optionally saved as snapshots.

Each record keeps the keys scripts already read and adds, per project, ``indicators``
([{name, colour, ratio, label}], in the target table's order), ``forecast_by_plan_yuan`` and
``forecast_by_run_rate_yuan`` (``forecast_yuan`` stays: by plan), the run-rate carry-over and
the 超计划支出 flags of both forecasts.

``status`` is the overall colour, or ``incomplete`` when the unit's ledger does not cover the
date (money cannot be judged, so no colour is claimed).  A project with a zero budget, no
spending and no indicators is ``grey``.

Saving (``--save``): for a project whose checkpoint the date is, the checkpoint snapshot is
stored as the scheduler stores it (frozen when the ledger covers the date, a frozen one never
changes); for every other project a ``check`` snapshot of that date is stored, replacing an
earlier ``check`` of the same date.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.models import Indicator, Project, Snapshot, Unit
from tracker.services.monitoring.evaluate import ProjectEvaluation, evaluate
from tracker.services.monitoring.snapshots import record_checkpoints


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _pct(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def check_record(project: Project, unit: Unit, evaluation: ProjectEvaluation,
                 names: Mapping[int, str] | None = None) -> dict[str, Any]:
    """One project's line of ``tracker check`` (the issue's contract; money in 元, % to 2 places).
    ``names``: indicator id → 三级指标 name (read once for all projects by ``check``)."""
    money, forecast = evaluation.money, evaluation.forecast
    names = names or {}
    return {
        "project_id": project.id,
        "project_code": project.code,
        "project_name": project.name,
        "unit": {"code": unit.code or None, "name": unit.name},
        "as_of": evaluation.as_of.isoformat(),
        "budget_yuan": _money(evaluation.budget),
        "planned_pct": _pct(money.planned_pct),
        "spent_yuan": _money(evaluation.spent),
        "execution_pct": _pct(money.execution_rate),
        "gap_pp": _pct(money.gap_points),
        "money_status": money.status,
        "results_status": evaluation.results,
        "status": evaluation.overall if evaluation.ledger_covered else "incomplete",
        "ledger_complete": evaluation.ledger_covered,
        "ledger_closed_through": None if evaluation.ledger_closed_through is None
        else evaluation.ledger_closed_through.isoformat(),
        "forecast_yuan": _money(forecast.by_plan),
        "carry_over_yuan": _money(forecast.carry_over_by_plan),
        "forecast_by_plan_yuan": _money(forecast.by_plan),
        "forecast_by_run_rate_yuan": _money(forecast.by_run_rate),
        "carry_over_by_run_rate_yuan": _money(forecast.carry_over_by_run_rate),
        "over_plan_by_plan": forecast.over_plan_by_plan,
        "over_plan_by_run_rate": forecast.over_plan_by_run_rate,
        "indicators": [{"name": names.get(i.indicator_id), "colour": i.status.colour,
                        "ratio": _pct(i.status.ratio), "label": i.status.label}
                       for i in evaluation.indicators],
    }


def check(session: Session, as_of: date, unit_id: int | None = None, *,
          project_ids: Sequence[int] | None = None, save_on: date | None = None) -> list[dict[str, Any]]:
    """Every project of ``as_of``'s year (of one unit, or only ``project_ids``, if given) at
    ``as_of``, by unit then id; with ``save_on`` (today) the evaluations are also stored as
    snapshots (module docstring)."""
    query = select(Project, Unit).join(Unit, Unit.id == Project.unit_id).where(Project.year == as_of.year)
    if unit_id is not None:
        query = query.where(Project.unit_id == unit_id)
    if project_ids is not None:
        query = query.where(Project.id.in_(project_ids))
    rows = session.execute(query.order_by(Project.unit_id, Project.id)).all()
    if not rows:
        return []
    ids = [p.id for p, _ in rows]
    every = unit_id is None and project_ids is None
    evaluations = evaluate(session, as_of, None if every else ids)
    if save_on is not None:
        _save(session, as_of, save_on, ids, evaluations)
    names = dict(session.execute(select(Indicator.id, Indicator.name).where(
        Indicator.project_id.in_(select(Project.id).where(Project.year == as_of.year))
        if every else Indicator.project_id.in_(ids))).all())
    return [check_record(p, u, evaluations[p.id], names) for p, u in rows if p.id in evaluations]


def _save(session: Session, as_of: date, today: date, ids: list[int],
          evaluations: dict[int, ProjectEvaluation]) -> None:
    """Checkpoint snapshots where ``as_of`` is the project's checkpoint (stored as the
    scheduler stores them), ``check`` snapshots of ``as_of`` for the others."""
    record_checkpoints(session, as_of, ids, today=today)
    at_checkpoint = set(session.scalars(select(Snapshot.project_id).where(
        Snapshot.kind == "checkpoint", Snapshot.as_of == as_of, Snapshot.project_id.in_(ids))))
    others = [pid for pid in ids if pid not in at_checkpoint and pid in evaluations]
    existing = {s.project_id: s for s in session.scalars(select(Snapshot).where(
        Snapshot.kind == "check", Snapshot.as_of == as_of, Snapshot.project_id.in_(others)))} \
        if others else {}
    for pid in others:
        values = evaluations[pid].snapshot_values()
        snapshot = existing.get(pid)
        if snapshot is None:
            session.add(Snapshot(kind="check", frozen=False, evaluated_on=today, **values))
        else:
            for key, value in values.items():
                setattr(snapshot, key, value)
            snapshot.evaluated_on = today
    session.flush()
