"""Project spending from the ledger: cumulative amounts and ledger coverage.

Cumulative spending of a project up to a date = its counted, matched rows in active batches
of the unit's counting source (``Unit.counting_source``, DOMAIN §1: one source per unit), not
superseded.  A row's ``counts`` is its own decision (account rule, payment status); the
unit's source is applied here, when spending is read, so choosing another source only
recomputes the monthly totals.  Whole months come from ``project_month_spending`` (kept current by every
import, undo and assignment); only the partial last month is summed from ledger rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, delete, func, insert, select
from sqlalchemy.orm import Session, aliased

from tracker.importers.ledger.records import fen, yuan
from tracker.models import LedgerBatch, LedgerRow, ProjectMonthSpending, Unit

ZERO = Decimal("0.00")


def counted_rows(query: Select[Any]) -> Select[Any]:
    """Restrict a query on ``ledger_row`` to the rows that count as project spending: counted,
    matched, in an active batch of the unit's counting source, not replaced by a newer one.
    The batch and unit tests are joins (not ``batch_id IN (...)``) so SQLite can still pick
    the date index for date ranges."""
    return counting_source_rows(query).where(
        LedgerRow.counts.is_(True), LedgerRow.project_id.is_not(None),
        LedgerRow.superseded_by_batch_id.is_(None))


def counting_source_rows(query: Select[Any]) -> Select[Any]:
    """Restrict a query on ``ledger_row`` to rows of active batches of their unit's counting
    source (joins ``LedgerBatch``; the unit under an alias of its own)."""
    unit = aliased(Unit)
    return query.join(LedgerBatch, and_(LedgerBatch.id == LedgerRow.batch_id,
                                        LedgerBatch.status == "active")).join(
        unit, and_(unit.id == LedgerBatch.unit_id, unit.counting_source == LedgerBatch.source))


def own_counted_rows(query: Select[Any]) -> Select[Any]:
    """Rows that count by their own decision, whatever their source: counted, in an active
    batch, not replaced (joins ``LedgerBatch``).  What reconciliation compares per source."""
    return query.join(LedgerBatch, and_(LedgerBatch.id == LedgerRow.batch_id,
                                        LedgerBatch.status == "active")).where(
        LedgerRow.counts.is_(True), LedgerRow.superseded_by_batch_id.is_(None))


def month_sums(project_ids: Sequence[int | None], dates: Sequence[date], amount_fen: Sequence[int],
               counts: Sequence[bool]) -> dict[tuple[int, date], tuple[int, int]]:
    """Integer-分 total and row count per (project, first of month) of counted, matched rows
    given column by column (an import's rows before they are written)."""
    months = {day: day.replace(day=1) for day in set(dates)}
    sums: dict[tuple[int, date], list[int]] = {}
    for pid, day, cents, flag in zip(project_ids, dates, amount_fen, counts):
        if flag and pid is not None:
            key = (pid, months[day])
            found = sums.get(key)
            if found is None:
                sums[key] = [cents, 1]
            else:
                found[0] += cents
                found[1] += 1
    return {key: (total, rows) for key, (total, rows) in sums.items()}


def refresh_month_totals(session: Session, project_ids: Iterable[int],
                         adding: Mapping[tuple[int, date], tuple[int, int]] | None = None) -> None:
    """Recompute the monthly totals of ``project_ids`` from their rows (flush only).

    ``adding`` (from ``month_sums``) holds rows about to be written in this transaction — an
    import computes the totals before its bulk insert, so the query reads only older rows and
    the new ones are added from the columns already in memory; every project in it must be in
    ``project_ids``."""
    ids = sorted(set(project_ids))
    if not ids:
        return
    pending: dict[int, list[tuple[date, int, int]]] = {}
    for (pid, month), (cents, count) in (adding or {}).items():
        pending.setdefault(pid, []).append((month, cents, count))
    if set(pending) - set(ids):
        raise ValueError("rows added for projects that are not refreshed")
    session.flush()
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        session.execute(delete(ProjectMonthSpending).where(ProjectMonthSpending.project_id.in_(chunk)))
        month = func.strftime("%Y-%m-01", LedgerRow.date) if session.get_bind().dialect.name == "sqlite" \
            else func.to_char(func.date_trunc("month", LedgerRow.date), "YYYY-MM-01")
        rows = session.execute(counted_rows(
            select(LedgerRow.project_id, month.label("month"), func.sum(LedgerRow.amount),
                   func.count(LedgerRow.id)))
            .where(LedgerRow.project_id.in_(chunk))
            .group_by(LedgerRow.project_id, month)
        ).all()
        totals = {(pid, date.fromisoformat(m)): (fen(total), count) for pid, m, total, count in rows}
        for pid in chunk:
            for first_day, cents, count in pending.get(pid, ()):
                old = totals.get((pid, first_day), (0, 0))
                totals[pid, first_day] = (old[0] + cents, old[1] + count)
        if totals:
            session.execute(insert(ProjectMonthSpending), [
                {"project_id": pid, "month": first_day, "amount": yuan(cents), "row_count": count}
                for (pid, first_day), (cents, count) in sorted(totals.items())])
    session.flush()


def spent_through(session: Session, as_of: date, project_ids: Iterable[int] | None = None) -> dict[int, Decimal]:
    """Cumulative counted spending per project from 1 January of ``as_of``'s year to ``as_of``
    inclusive.  Projects without spending are absent (read them as 0)."""
    year_start = date(as_of.year, 1, 1)
    month_start = as_of.replace(day=1)
    ids = None if project_ids is None else sorted(set(project_ids))
    totals: dict[int, Decimal] = {}

    months = select(ProjectMonthSpending.project_id, func.sum(ProjectMonthSpending.amount)).where(
        ProjectMonthSpending.month >= year_start, ProjectMonthSpending.month < month_start
    ).group_by(ProjectMonthSpending.project_id)
    partial = counted_rows(select(LedgerRow.project_id, func.sum(LedgerRow.amount))).where(
        LedgerRow.date >= month_start, LedgerRow.date <= as_of
    ).group_by(LedgerRow.project_id)
    if ids is not None:
        months = months.where(ProjectMonthSpending.project_id.in_(ids))
        partial = partial.where(LedgerRow.project_id.in_(ids))
    for query in (months, partial):
        for project_id, amount in session.execute(query):
            # SUM keeps the column's type, so the amount arrives as Decimal 元.
            totals[project_id] = totals.get(project_id, ZERO) + amount
    return {pid: amount.quantize(Decimal("0.01")) for pid, amount in totals.items()}


def ledger_closed_through(session: Session, unit_ids: Iterable[int] | None = None,
                          source: str | None = None) -> dict[int, date]:
    """Per unit, the date through which its ledger is complete: the period end of the newest
    active batch of each source; with several sources, the earliest of them (one query for any
    number of units; ``source`` looks at that source alone)."""
    query = select(LedgerBatch.unit_id, func.max(LedgerBatch.period_end)).where(
        LedgerBatch.status == "active").group_by(LedgerBatch.unit_id, LedgerBatch.source)
    if unit_ids is not None:
        query = query.where(LedgerBatch.unit_id.in_(sorted(set(unit_ids))))
    if source is not None:
        query = query.where(LedgerBatch.source == source)
    closed: dict[int, date] = {}
    for unit_id, end in session.execute(query):
        closed[unit_id] = min(end, closed.get(unit_id, end))
    return closed


def closed_through(session: Session, unit_id: int, source: str | None = None) -> date | None:
    """``ledger_closed_through`` of one unit (None: no active batch)."""
    return ledger_closed_through(session, [unit_id], source).get(unit_id)


def month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)
