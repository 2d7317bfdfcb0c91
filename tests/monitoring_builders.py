"""Small builders for monitoring tests: a unit, a project with plan and indicators, ledger
batches inserted directly (with ``refresh_month_totals``), progress reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count

from sqlalchemy.orm import Session

from tracker.models import Indicator, LedgerBatch, LedgerRow, PlanPoint, ProgressReport, Project, Unit
from tracker.services.spending import refresh_month_totals

_serial = count(1)


def make_unit(session: Session, name: str = "科技局") -> Unit:
    unit = Unit(code=f"U{next(_serial)}", name=name)
    session.add(unit)
    session.flush()
    return unit


def make_project(session: Session, unit: Unit, *, year: int = 2025, budget: str = "1000000",
                 plan: dict[str, str] | None = None, default_plan: bool = False,
                 indicators: list[dict[str, object]] | None = None, name: str | None = None) -> Project:
    """``plan``: {"MM-DD": cumulative percent}; ``indicators``: Indicator keyword arguments."""
    name = name or f"项目{next(_serial)}"
    project = Project(unit=unit, year=year, name=name, natural_key=f"名称:{name}",
                      initial_budget=Decimal(budget), annual_budget=Decimal(budget))
    for day, pct in (plan or {}).items():
        project.plan_points.append(PlanPoint(checkpoint=date.fromisoformat(f"{year}-{day}"),
                                             cumulative_pct=Decimal(pct), is_default=default_plan))
    for position, values in enumerate(indicators or []):
        fields = {"level1": "产出指标", "level2": "数量指标", "target_raw": "≥10个",
                  "kind": "quantitative", "op": ">=", **values}
        project.indicators.append(Indicator(position=position, **fields))  # type: ignore[arg-type]
    session.add(project)
    session.flush()
    return project


def add_ledger(session: Session, unit: Unit, period: tuple[str, str],
               rows: list[tuple[Project, str, str]], source: str = "国库集中支付") -> LedgerBatch:
    """A ledger batch of ``unit`` covering ``period`` (ISO dates) with rows (project, ISO
    date, amount in 元); project month totals are refreshed."""
    batch = LedgerBatch(unit_id=unit.id, source=source, source_kind="payment_list",
                        file_name="test.xlsx", checksum=f"{next(_serial):064d}",
                        period_start=date.fromisoformat(period[0]),
                        period_end=date.fromisoformat(period[1]), period_source="stated",
                        actor="test")
    session.add(batch)
    session.flush()
    for number, (project, day, amount) in enumerate(rows, start=1):
        session.add(LedgerRow(batch_id=batch.id, unit_id=unit.id, row_number=number,
                              date=date.fromisoformat(day), amount=Decimal(amount),
                              debit=Decimal(amount), counts=True, project_id=project.id,
                              match_method="code"))
    session.flush()
    refresh_month_totals(session, {p.id for p, _, _ in rows})
    return batch


def report(session: Session, indicator: Indicator, day: str, value: str | None = None,
           achievement: str | None = None, completed_on: str | None = None) -> ProgressReport:
    entry = ProgressReport(project_id=indicator.project_id, indicator_id=indicator.id,
                           reported_on=date.fromisoformat(day),
                           value=None if value is None else Decimal(value), achievement=achievement,
                           completed_on=None if completed_on is None else date.fromisoformat(completed_on),
                           actor="test")
    session.add(entry)
    session.flush()
    return entry
