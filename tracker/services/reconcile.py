"""Reconciliation (对账, 账实核对; issue #16): what each ledger source of a unit holds, side by side.

A unit counts one source (``Unit.counting_source``); its other sources describe the same money
and are kept, matched and compared here.  Per unit, project and month, cumulative from 1 January:

- 账面数 (``ledger``): the rows of 财务明细账-kind sources that count by their own rule
  (预算会计 expenditure accounts, net of reversals);
- 国库已支付数 (``treasury``): the rows of 国库集中支付-kind sources that count by their own
  rule (status 已支付 and the like only);
- 差额 = 账面数 − 国库已支付数, flagged when its absolute value exceeds the setting
  ``reconcile_threshold`` (default 0.01 元).

Only units with more than one active source are reconciled unless a unit is named.  Rows no
project claimed are one line per unit (``project_id`` None).  After an import that leaves a
flagged difference, one alert per unit, project and difference amount (``alert_differences``):
the same difference is never raised twice, a new one is.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.errors import NotFound
from tracker.models import Alert, LedgerBatch, LedgerRow, Project, Unit
from tracker.services.counting_source import unit_sources
from tracker.services.monitoring.alerts import add_alerts
from tracker.services.settings import ledger_settings
from tracker.services.spending import closed_through, ledger_closed_through, own_counted_rows

ZERO = Decimal("0.00")
#: which side of the comparison a batch's ``source_kind`` is on
SIDES = {"ledger": "ledger", "payment_list": "treasury"}
UNMATCHED_NAME = "（未匹配到项目的行）"


@dataclass
class ReconcileLine:
    unit_id: int
    unit: str
    project_id: int | None
    project_code: str | None
    project_name: str
    counting_source: str | None
    ledger: Decimal = ZERO
    treasury: Decimal = ZERO
    by_source: dict[str, Decimal] = field(default_factory=dict)
    # first day of the month → (ledger, treasury)
    months: dict[date, list[Decimal]] = field(default_factory=dict)
    flagged: bool = False

    @property
    def difference(self) -> Decimal:
        return self.ledger - self.treasury

    def as_json(self) -> dict[str, Any]:
        return {"unit_id": self.unit_id, "unit": self.unit, "project_id": self.project_id,
                "project_code": self.project_code, "project_name": self.project_name,
                "ledger_yuan": f"{self.ledger:.2f}", "treasury_yuan": f"{self.treasury:.2f}",
                "difference_yuan": f"{self.difference:.2f}", "counting_source": self.counting_source,
                "flagged": self.flagged,
                "sources": {name: f"{amount:.2f}" for name, amount in sorted(self.by_source.items())}}


def reconciled_units(session: Session, unit_id: int | None = None) -> list[Unit]:
    """The named unit, or every unit with active batches of more than one source."""
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFound(f"单位 {unit_id} 不存在")
        return [unit]
    sources: dict[int, set[str]] = defaultdict(set)
    for uid, source in session.execute(select(LedgerBatch.unit_id, LedgerBatch.source).where(
            LedgerBatch.status == "active").distinct()):
        sources[uid].add(source)
    ids = sorted(uid for uid, names in sources.items() if len(names) > 1)
    return list(session.scalars(select(Unit).where(Unit.id.in_(ids)).order_by(Unit.code, Unit.name)))


def reconcile(session: Session, as_of: date, unit_id: int | None = None, *,
              threshold: Decimal | None = None) -> list[ReconcileLine]:
    """One line per project of the reconciled units (the projects of ``as_of``'s year, and any
    other with rows in the range), cumulative from 1 January to ``as_of``: flagged lines
    first (largest difference first), then by unit and project."""
    if threshold is None:
        threshold = ledger_settings(session).reconcile_threshold
    units = reconciled_units(session, unit_id)
    if not units:
        return []
    unit_ids = [u.id for u in units]
    labels = {u.id: u.label for u in units}
    counting = {u.id: u.counting_source for u in units}
    lines: dict[tuple[int, int | None], ReconcileLine] = {}
    projects = {p.id: p for p in session.scalars(select(Project).where(
        Project.unit_id.in_(unit_ids), Project.year == as_of.year))}

    def line(uid: int, pid: int | None) -> ReconcileLine:
        found = lines.get((uid, pid))
        if found is None:
            project = projects.get(pid) if pid is not None else None
            if pid is not None and project is None:
                project = projects[pid] = session.get(Project, pid)  # type: ignore[assignment]
            found = lines[uid, pid] = ReconcileLine(
                uid, labels[uid], pid, project.code if project else None,
                project.name if project else UNMATCHED_NAME, counting[uid])
        return found

    for project in projects.values():
        line(project.unit_id, project.id)
    keys = (LedgerRow.unit_id, LedgerRow.project_id, LedgerBatch.source, LedgerBatch.source_kind,
            LedgerRow.date)
    query = own_counted_rows(select(*keys, func.sum(LedgerRow.amount))).where(
        LedgerRow.unit_id.in_(unit_ids), LedgerRow.date >= date(as_of.year, 1, 1),
        LedgerRow.date <= as_of).group_by(*keys)
    sums: dict[tuple[int, int | None, str, str, date], Decimal] = defaultdict(lambda: ZERO)
    for uid, pid, source, kind, day, amount in session.execute(query):
        # SUM keeps the column's type: Decimal 元
        sums[uid, pid, source, kind, day.replace(day=1)] += amount
    for (uid, pid, source, kind, month), amount in sums.items():
        item = line(uid, pid)
        side = SIDES.get(kind, "ledger")
        setattr(item, side, getattr(item, side) + amount)
        item.by_source[source] = item.by_source.get(source, ZERO) + amount
        pair = item.months.setdefault(month, [ZERO, ZERO])
        pair[0 if side == "ledger" else 1] += amount
    for item in lines.values():
        item.flagged = abs(item.difference) > threshold
    return sorted(lines.values(), key=lambda i: (
        not i.flagged, -abs(i.difference) if i.flagged else ZERO, labels[i.unit_id],
        i.project_id is None, i.project_code or "", i.project_name))


def page_date(session: Session, asked: date | None, unit_id: int | None = None) -> tuple[date | None, str]:
    """The date the page shows and why: the one asked for, else the latest date the
    reconciled units' ledgers cover (``ledger_closed_through``: per unit the earliest of its
    sources' period ends), else None (nothing to reconcile)."""
    if asked is not None:
        return asked, f"显示自 {asked.year} 年 1 月 1 日至所选日期 {asked.isoformat()} 的累计数。"
    ends = list(ledger_closed_through(session, [u.id for u in reconciled_units(session, unit_id)]).values())
    if not ends:
        return None, ""
    latest = max(ends)
    return latest, (f"未选日期：显示自 {latest.year} 年 1 月 1 日至 {latest.isoformat()} 的累计数"
                    "（各来源台账都已覆盖到的最晚日期）。")


def rows_behind(session: Session, unit_id: int, project_id: int | None, start: date, end: date
                ) -> list[tuple[LedgerRow, LedgerBatch]]:
    """The rows of every source behind a line (counting by their own rule, in active batches,
    not replaced), between ``start`` and ``end``: the drill-down of a difference."""
    query = own_counted_rows(select(LedgerRow, LedgerBatch)).where(
        LedgerRow.unit_id == unit_id, LedgerRow.date >= start, LedgerRow.date <= end,
        LedgerRow.project_id.is_(None) if project_id is None else LedgerRow.project_id == project_id)
    return [(row, batch) for row, batch in session.execute(
        query.order_by(LedgerBatch.source_kind, LedgerRow.date, LedgerRow.id))]


def alert_differences(session: Session, unit_id: int) -> list[Alert]:
    """After an import of ``unit_id``: one alert to finance per flagged line of the unit, up
    to the date both sources cover (``closed_through``), unless the same difference of the
    same line was raised before (the key holds the amount).  Nothing when the unit has one
    source.  Flush only."""
    if len(unit_sources(session, unit_id)) < 2:
        return []
    as_of = closed_through(session, unit_id)
    if as_of is None:
        return []
    alerts = []
    for item in reconcile(session, as_of, unit_id):
        if not item.flagged:
            continue
        cents = int(item.difference * 100)
        alerts.append(Alert(
            unit_id=unit_id, project_id=item.project_id, kind="reconcile_difference", severity="yellow",
            as_of=as_of, key=f"reconcile:{unit_id}:{item.project_id or 0}:{as_of.year}:{cents}",
            message=(f"对账差异：{item.unit}“{item.project_name}”截至{as_of.isoformat()}账面数 "
                     f"{item.ledger:,.2f} 元，国库已支付数 {item.treasury:,.2f} 元，差额 "
                     f"{item.difference:,.2f} 元（计数来源：{item.counting_source or '未定'}）。")))
    return add_alerts(session, alerts)
