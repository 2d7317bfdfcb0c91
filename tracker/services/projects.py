"""Reading projects: the scripted export contract and the quality ranking."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from tracker.core.money import yuan_to_wan
from tracker.models import Indicator, LedgerBatch, LedgerRow, Project, ProjectFinding, Unit, User
from tracker.services.spending import counted_rows



def _wan(yuan: Decimal | None) -> str | None:
    if yuan is None:
        return None
    return f"{yuan_to_wan(yuan).normalize():f}"


def _number(value: Decimal | None) -> str | None:
    return None if value is None else f"{value.normalize():f}"


def scope_projects(query: Select[Any], user: User) -> Select[Any]:
    """Limit a query joining ``Project`` to what ``user`` may see (unit staff: their own units)."""
    if user.sees_everything:
        return query
    return query.where(Project.unit_id.in_([unit.id for unit in user.units]))


def visible_years(session: Session, user: User) -> list[int]:
    """The years of the projects ``user`` may see, newest first."""
    return list(session.scalars(scope_projects(
        select(Project.year).distinct().order_by(Project.year.desc()), user)))


def project_list(query: Select[Any]) -> Select[Any]:
    """The project list's rows for ``query`` (a ``select(Project)`` already filtered by year
    and scope): each project's unit (``Unit``, for its label), its columns and its number of
    indicators, ordered by unit and id.  Plain rows, never the projects with their indicators:
    a page takes a hundred of them, the download streams them all."""
    indicators = (select(func.count(Indicator.id)).where(Indicator.project_id == Project.id)
                  .correlate(Project).scalar_subquery())
    return (query.with_only_columns(
        Unit, Project.id, Project.code, Project.name, Project.initial_budget, Project.annual_budget,
        Project.fiscal_funds, Project.other_funds, indicators.label("indicator_count"), Project.quality_score)
        .join(Unit, Unit.id == Project.unit_id).order_by(Project.unit_id, Project.id))


def project_list_page(session: Session, query: Select[Any], page: int, size: int) -> tuple[list[Any], int]:
    """Page ``page`` (from 1, ``size`` rows) of ``project_list(query)`` and how many projects
    there are."""
    total = session.scalar(query.with_only_columns(func.count(Project.id)).order_by(None)) or 0
    rows = session.execute(project_list(query).limit(size).offset((page - 1) * size)).all()
    return rows, total


def project_list_rows(session: Session, query: Select[Any]) -> Iterator[Any]:
    """Every row of ``project_list(query)``, fetched a thousand at a time (a server-side cursor
    on PostgreSQL): the whole-province download never holds every project in memory."""
    yield from session.execute(project_list(query).execution_options(yield_per=1000))


def projects_for_year(session: Session, year: int | None) -> list[Project]:
    query = select(Project).options(
        selectinload(Project.unit), selectinload(Project.plan_points),
        selectinload(Project.indicators))
    if year is not None:
        query = query.where(Project.year == year)
    return list(session.scalars(query.order_by(Project.year, Project.unit_id, Project.id)))


def findings_by_project(session: Session, project_ids: list[int]) -> dict[int, list[ProjectFinding]]:
    found: dict[int, list[ProjectFinding]] = {pid: [] for pid in project_ids}
    if project_ids:
        for finding in session.scalars(select(ProjectFinding).where(
                ProjectFinding.project_id.in_(project_ids)).order_by(ProjectFinding.id)):
            found[finding.project_id].append(finding)
    return found


def export_projects(session: Session, year: int | None) -> list[dict[str, Any]]:
    """``tracker export projects --json``: one object per project (see the README contract)."""
    projects = projects_for_year(session, year)
    findings = findings_by_project(session, [p.id for p in projects])
    return [
        {
            "year": p.year,
            "unit": {"code": p.unit.code or None, "name": p.unit.name},
            "code": p.code,
            "name": p.name,
            "budget_wan": _wan(p.annual_budget),
            "initial_budget_wan": _wan(p.initial_budget),
            "fiscal_wan": _wan(p.fiscal_funds),
            "other_wan": _wan(p.other_funds),
            "quality_score": p.quality_score,
            "plan": [{"checkpoint": pt.checkpoint.isoformat(),
                      "cumulative_pct": _number(pt.cumulative_pct), "raw": pt.raw,
                      "default": pt.is_default} for pt in p.plan_points],
            "indicators": [{"level1": i.level1, "level2": i.level2, "name": i.name,
                            "description": i.description, "target_raw": i.target_raw,
                            "op": i.op, "value": _number(i.target_number), "unit": i.target_unit,
                            "kind": i.kind, "deadline": i.deadline.isoformat() if i.deadline else None,
                            "basis": i.basis, "weight": _number(i.weight)} for i in p.indicators],
            "findings": [{"severity": f.severity, "code": f.code, "location": f.location,
                          "message": f.message} for f in findings[p.id]],
        }
        for p in projects
    ]


def project_ledger(session: Session, project_id: int, as_of: date | None, page: int,
                   size: int | None) -> tuple[list[tuple[LedgerRow, LedgerBatch]], Decimal, int]:
    """The counted rows of a project (up to ``as_of``), newest first, with their batch; and
    their total and count, which equal the spending monitoring uses.  ``size`` None: every
    row (the spreadsheet download)."""
    conditions = [LedgerRow.project_id == project_id]
    if as_of is not None:
        conditions += [LedgerRow.date >= date(as_of.year, 1, 1), LedgerRow.date <= as_of]
    total, count = session.execute(counted_rows(
        select(func.sum(LedgerRow.amount), func.count(LedgerRow.id))).where(*conditions)).one()
    query = (counted_rows(select(LedgerRow, LedgerBatch))
             .where(*conditions).order_by(LedgerRow.date.desc(), LedgerRow.id.desc()))
    if size is not None:
        query = query.limit(size).offset((page - 1) * size)
    rows = session.execute(query).all()
    return [(row, batch) for row, batch in rows], total or Decimal("0.00"), count
