"""Projects as 双监控 reads them in bulk: budget, plan curve and checkpoints.

``PlanReader`` is the one reader of stored plan points: ``evaluate``, the reminders, the
snapshots and the cockpit (``plan_curves``) all get their curves from it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, bindparam, case, func, select
from sqlalchemy.orm import Session

from tracker.core.plan import PlanCurve, default_plan_for, monitoring_cutoff, project_plan
from tracker.core.settings import MonitoringSettings
from tracker.models import PlanPoint, Project
from tracker.services.adjustments import Version
from tracker.services.bulk_read import (
    Converted,
    as_date,
    cached_statement,
    json_arrays,
    scaled,
    session_tuples,
    stored_int,
)
from tracker.services.settings import monitoring_settings

STANDARD_CHECKPOINTS = ((3, 31), (6, 30), (10, 31), (12, 31))


class ProjectInput(NamedTuple):
    """A project as evaluation and reminders read it (``load_projects``)."""

    id: int
    unit_id: int
    year: int
    name: str
    budget: Decimal
    plan: PlanCurve
    checkpoints: tuple[date, ...]


def blank_checkpoint(raw: Any) -> ColumnElement[int]:
    """SQL for ``tracker.core.plan.is_blank_checkpoint`` of a plan point's raw text: 1 when
    the cell was printed empty (the point is skipped by the plan curve), else 0."""
    return case((func.trim(raw) == "", 1), else_=0)


def plan_curves(session: Session, year: int, ids: Sequence[int] | None,
                settings: MonitoringSettings) -> dict[int, PlanCurve]:
    """Each project's plan curve of ``year`` (all projects, or those of ``ids``), exactly as
    ``evaluate`` reads it (``tracker.core.plan.project_plan``)."""
    return {p.id: p.plan for p in load_projects(session, [year], ids, settings)}


def project_filter(column: Any, years: Sequence[int], ids: Sequence[int] | None) -> ColumnElement[bool]:
    """``column`` (a project id) limited to projects of ``years`` and, if given, ``ids``."""
    if ids is not None:
        return column.in_(ids)
    return column.in_(select(Project.id).where(Project.year.in_(years)))


def load_projects(session: Session, years: Sequence[int], ids: Sequence[int] | None,
                   settings: MonitoringSettings, versions: Mapping[int, Version] | None = None
                   ) -> list[ProjectInput]:
    """The projects of ``years`` (all, or those of ``ids``) by id, each with its plan as a
    ``PlanCurve`` (its own points of its year, as their monotone envelope when they dip; else
    the default plan) and its checkpoints.  Projects with the same points share one curve."""
    return project_inputs(project_rows(session, years, ids), PlanReader(years, settings), versions)


def project_rows(session: Session, years: Sequence[int], ids: Sequence[int] | None) -> list[Any]:
    """The rows ``project_inputs`` reads: (id, unit, year, name, budget in 分, plan points).

    A project's plan points come in its row as the text of a JSON array of (checkpoint,
    percent, is_default, blank) arrays, in no particular order (``PlanCurve`` sorts them): one column
    instead of a row of four columns per point, and the text is the memo key."""
    query = cached_statement(session, ("projects", ids is None), lambda: _project_query(session, ids is None))
    return session_tuples(session, query, statement_scope(years, ids))


def _project_query(session: Session, every: bool) -> Select[Any]:
    points = (select(json_arrays(session)(
                  PlanPoint.checkpoint, stored_int(PlanPoint.cumulative_pct), PlanPoint.is_default,
                  blank_checkpoint(PlanPoint.raw)))
              .where(PlanPoint.project_id == Project.id).correlate(Project).scalar_subquery())
    query = select(Project.id, Project.unit_id, Project.year, Project.name,
                   stored_int(Project.annual_budget), points).where(Project.year.in_(bindparam("years", expanding=True)))
    if not every:
        query = query.where(Project.id.in_(bindparam("ids", expanding=True)))
    return query.order_by(Project.id)


def statement_scope(years: Sequence[int], ids: Sequence[int] | None) -> dict[str, Any]:
    """The parameters of a statement built for every project of ``years`` or for those of
    ``ids`` among them."""
    return {"years": list(years)} if ids is None else {"years": list(years), "ids": list(ids)}


def project_inputs(rows: Sequence[Any], plans: PlanReader,
                    versions: Mapping[int, Version] | None) -> list[ProjectInput]:
    """``project_rows`` as ``ProjectInput``s, with the budget and plan of ``versions``
    (调整: the values valid at the date evaluated) where a project has one."""
    if versions:
        rows = [_version_of(row, versions[row[0]]) if row[0] in versions else row for row in rows]
    new = tuple.__new__  # what the named tuple's ``__new__`` does, without a Python call each
    return [new(ProjectInput, (pid, unit_id, year, name, scaled(budget, 2), *plans[year, stored]))
            for pid, unit_id, year, name, budget, stored in rows]


def _version_of(row: Sequence[Any], version: Version) -> tuple[Any, ...]:
    """A row of ``load_projects`` with the budget and plan of an earlier version."""
    pid, unit_id, year, name, budget, stored = row
    if version.budget is not None:
        budget = int(version.budget * 100)
    if version.plan is not None:
        stored = json.dumps([[p.checkpoint.isoformat(), int(p.cumulative_pct * 10000), False]
                             for p in version.plan])
    return pid, unit_id, year, name, budget, stored


class PlanReader(dict[Any, tuple[PlanCurve, tuple[date, ...]]]):
    """(year, plan points as read) → (plan curve, checkpoints), once per distinct input.
    (A memo of its own rather than a ``Converted`` of its bound ``_read``: that would be a
    reference cycle, left for the paused garbage collector to find.)"""

    def __init__(self, years: Sequence[int], settings: MonitoringSettings) -> None:
        super().__init__()
        self.days = Converted(as_date)
        self.percents = Converted(lambda stored: scaled(stored, 4))
        self.cutoff = {year: monitoring_cutoff(year, settings) for year in years}
        self.default = {year: (PlanCurve(default_plan_for(year, settings)),
                               _standard_checkpoints(year, settings)) for year in years}

    def __missing__(self, key: tuple[int, str | None]) -> tuple[PlanCurve, tuple[date, ...]]:
        read = self[key] = self._read(key)
        return read

    def _read(self, key: tuple[int, str | None]) -> tuple[PlanCurve, tuple[date, ...]]:
        year, stored = key
        days, percents = self.days, self.percents
        own: list[tuple[date, Decimal, bool]] = []
        given: set[date] = set()  # dates the target table named (not the default plan's)
        for point in json.loads(stored) if stored else ():  # [day, percent, is_default(, blank)]
            day = days[point[0]]
            if day.year == year:
                own.append((day, percents[point[1]], len(point) > 3 and bool(point[3])))
                if not point[2]:
                    given.add(day)
        default, standard = self.default[year]
        plan = project_plan(own, year, default)
        return plan, (tuple(sorted({*given, self.cutoff[year]})) if given else standard)


def _standard_checkpoints(year: int, settings: MonitoringSettings) -> tuple[date, ...]:
    dates = {date(year, m, d) for m, d in STANDARD_CHECKPOINTS}
    return tuple(sorted(dates | {monitoring_cutoff(year, settings)}))


def checkpoints_of(session: Session, project: Project) -> tuple[date, ...]:
    """The checkpoint dates of one project (own plan dates or the standard four, plus the
    monitoring cut-off)."""
    loaded = load_projects(session, [project.year], [project.id], monitoring_settings(session))
    return loaded[0].checkpoints
