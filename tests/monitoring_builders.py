"""Small builders for monitoring tests: a unit, a project with plan and indicators, ledger
batches inserted directly (with ``refresh_month_totals``), progress reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import count

from sqlalchemy.orm import Session

from tracker.models import (
    DeviationExplanation,
    Indicator,
    LedgerBatch,
    LedgerRow,
    PlanPoint,
    ProgressReport,
    Project,
    Unit,
)
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
    """``plan``: {"MM-DD": cumulative percent, "" for a checkpoint printed blank};
    ``indicators``: Indicator keyword arguments."""
    name = name or f"项目{next(_serial)}"
    project = Project(unit=unit, year=year, name=name, natural_key=f"名称:{name}",
                      initial_budget=Decimal(budget), annual_budget=Decimal(budget))
    for day, pct in (plan or {}).items():
        project.plan_points.append(PlanPoint(checkpoint=date.fromisoformat(f"{year}-{day}"),
                                             cumulative_pct=Decimal(pct or 0), is_default=default_plan,
                                             raw="" if pct == "" else None))
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
    if unit.counting_source is None:  # as the unit's first import does
        unit.counting_source = source
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


def year_end_project(session: Session, unit: Unit, name: str) -> Project:
    """A project ready for its 自评 (committed): 全年预算数 200,000 元, 150,000 spent (执行率
    75%, 得分 7.5); 支持企业数 ≥10家 with A = 8 (8/10 × 75 = 60) and 满意度 达成 (15):
    总分 82.5 → 良."""
    project = make_project(session, unit, budget="200000", name=name, indicators=[
        {"name": "支持企业数", "target_raw": "≥10家", "target_number": Decimal(10), "target_unit": "家"},
        {"name": "满意度", "level1": "满意度指标", "level2": "服务对象满意度指标", "target_raw": "较高",
         "kind": "qualitative", "op": None, "target_number": None}])
    project.code = "KJ-01"
    report(session, project.indicators[0], "2025-12-31", value="8")
    report(session, project.indicators[1], "2025-12-31", achievement="achieved")
    add_ledger(session, unit, ("2025-01-01", "2025-12-31"), [(project, "2025-06-01", "150000")])
    session.commit()
    return project


QUARTER_PLAN = {"03-31": "10", "06-30": "50", "10-31": "80", "12-31": "100"}


def two_unit_department(session: Session, *, reason: str, corrective_actions: str,
                        level1: str = "产出指标", other_indicators: list[dict[str, object]] | None = None
                        ) -> tuple[Unit, Unit, Project, Project]:
    """The cockpit's department (committed): 科技局's 科技<专项>&推广, 1,000,000 元 with 100,000
    spent by 6-30 against a 50% plan (执行率 10%, v 20: red, behind by 400,000 元) and a 偏差说明
    (``reason``, ``corrective_actions``); 财政局's 财政项目, 3,000,000 元 with 1,500,000 spent
    (50%: green).  Returns (科技局, 财政局, the red project, the green one)."""
    science, finance = make_unit(session, "科技局"), make_unit(session, "财政局")
    lagging = make_project(session, science, budget="1000000", plan=QUARTER_PLAN, name="科技<专项>&推广",
                           indicators=[{"name": "支持企业数", "target_number": Decimal(10), "level1": level1}])
    other = make_project(session, finance, budget="3000000", plan=QUARTER_PLAN, name="财政项目",
                         indicators=other_indicators)
    add_ledger(session, science, ("2025-01-01", "2025-06-30"), [(lagging, "2025-06-10", "100000")])
    add_ledger(session, finance, ("2025-01-01", "2025-06-30"), [(other, "2025-06-10", "1500000")])
    session.add(DeviationExplanation(project_id=lagging.id, as_of=date(2025, 6, 30), causes=["funding"],
                                     likelihood="possible", reason=reason,
                                     corrective_actions=corrective_actions, actor="张三"))
    session.commit()
    return science, finance, lagging, other
