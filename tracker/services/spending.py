"""Project spending from the ledger: cumulative amounts and ledger coverage.

Cumulative spending of a project up to a date = its counted, matched rows in active batches
of the unit's counting source (``Unit.counting_source``, DOMAIN §1: one source per unit), not
superseded.  A row's ``counts`` is its own decision (account rule, payment status); the
unit's source is applied here, when spending is read, so choosing another source only
recomputes the monthly totals.  Whole months come from ``project_month_spending`` (kept current by every
import, undo and assignment); only the partial last month is summed from ledger rows.

The one home of "spent by a date" (``spent_through``, its month ends ``spent_at_month_ends``)
and of ledger coverage (``ledger_closed_through``): 双监控, 自评, the department view, the
unmatched queue and the cockpit all read these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Select, and_, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session, aliased

from tracker.importers.ledger.records import fen, yuan
from tracker.models import LedgerBatch, LedgerRow, ProjectMonthSpending, Unit
from tracker.services.bulk_read import as_date, cached_statement, plain_rows, stored_int, stored_text

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
    given column by column (an import's rows before they are written; its preview keeps the
    result, ``LedgerPreview.month_sums``).

    Column-wise, with NumPy: each row's project and month become small integers (one dict
    lookup each, in C), and the rows of each (project, month) are counted and summed as
    arrays — in int64 when no total can leave its range, else in Python integers (exact either
    way, never float).  (Not Arrow: ``pyarrow.array`` of a list imports pandas, 0.4 s.)"""
    import numpy as np

    count = len(project_ids)
    projects = sorted(set(project_ids) - {None})
    if not count or not projects:
        return {}
    place: dict[int | None, int] = {pid: index for index, pid in enumerate(projects)}
    place[None] = -1
    project = np.fromiter(map(place.__getitem__, project_ids), np.int64, count)
    keep = np.array(counts, dtype=bool)
    keep &= project >= 0
    days = set(dates)
    months = sorted({(day.year, day.month) for day in days})
    month_place = {month: index for index, month in enumerate(months)}
    month_of = {day: month_place[day.year, day.month] for day in days}
    month = np.fromiter(map(month_of.__getitem__, dates), np.int64, count)
    key = project[keep] * len(months) + month[keep]
    bins = len(projects) * len(months)
    present: Any = None
    if bins > _MONTH_SUM_BINS:  # many projects × months: only the pairs present (a sort)
        present, key = np.unique(key, return_inverse=True)
        bins = len(present)
    rows = np.bincount(key, minlength=bins)
    cents = _exact_ints(amount_fen, keep)
    sums = np.zeros(bins, dtype=cents.dtype)
    np.add.at(sums, key, cents)
    found: dict[tuple[int, date], tuple[int, int]] = {}
    for index in np.flatnonzero(rows).tolist():
        pair = index if present is None else int(present[index])
        year, number = months[pair % len(months)]
        found[projects[pair // len(months)], date(year, number, 1)] = (int(sums[index]), int(rows[index]))
    return found


# (project, month) pairs from which ``month_sums`` groups only the pairs present (a sort) rather
# than a table of every pair (4M pairs: 64 MB of int64)
_MONTH_SUM_BINS = 1 << 22


def _exact_ints(values: Sequence[int], keep: Any) -> Any:
    """The integers of ``values`` where ``keep``, as NumPy int64 when no sum of them can
    overflow it, else as Python integers (an object array)."""
    import numpy as np

    try:
        kept = np.array(values, dtype=np.int64)[keep]
    except OverflowError:
        return np.array(values, dtype=object)[keep]
    if len(kept) and max(-int(kept.min()), int(kept.max())) * len(kept) >= 1 << 63:
        return kept.astype(object)
    return kept


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
    # rows count only in an active batch of their unit's counting source: while there is none
    # (an import into an empty database) no row is read — a big import has set the ledger_row
    # indexes aside by now, and the query would read every row it is writing
    unit = aliased(Unit)
    stored = session.scalar(select(LedgerBatch.id).join(unit, and_(
        unit.id == LedgerBatch.unit_id, unit.counting_source == LedgerBatch.source)).where(
        LedgerBatch.status == "active").limit(1)) is not None
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
        ).all() if stored else []
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


def spent_through(session: Session, day: date, project_ids: Iterable[int] | None = None) -> dict[int, Decimal]:
    """Cumulative counted spending per project (元, two places) from 1 January of ``day``'s year
    to ``day`` inclusive, of every project or of ``project_ids``; projects without spending
    are absent (read them as 0).  What 双监控, 自评, the department view and the cockpit all
    read as "spent by a date".

    Whole months come from ``project_month_spending``, and ``day``'s own month from it too
    when ``day`` is the month's last day, else from the ledger rows (``_month_so_far``); the
    statements are built once per database and shape, read as plain integer 分."""
    ids = None if project_ids is None else sorted(set(project_ids))
    month_start = day.replace(day=1)
    whole_month = day == month_end(day)
    scope = {} if ids is None else {"ids": list(ids)}
    months = cached_statement(session, ("months", ids is None), lambda: _months_query(ids is None))
    totals: dict[int, int] = dict(plain_rows(session, months, {
        "first": date(day.year, 1, 1), "before": month_end(day) if whole_month else month_start,
        **scope}).all())
    if not whole_month:
        by_id = ids is None and session.get_bind().dialect.name == "sqlite"
        so_far = cached_statement(session, ("month so far", ids is None, by_id),
                                  lambda: _month_so_far(ids is None, by_id))
        for pid, amount in plain_rows(session, so_far, {"start": month_start, "day": day, **scope}).all():
            totals[pid] = totals.get(pid, 0) + amount
    return {pid: Decimal(total).scaleb(-2) for pid, total in totals.items()}  # 分 → 元


def _months_query(every: bool) -> Select[tuple[int, int]]:
    """Spending per project (in 分) of the months from ``first`` to before ``before``."""
    query = select(ProjectMonthSpending.project_id, func.sum(stored_int(ProjectMonthSpending.amount))).where(
        ProjectMonthSpending.month >= bindparam("first", type_=Date()),
        ProjectMonthSpending.month < bindparam("before", type_=Date()),
    ).group_by(ProjectMonthSpending.project_id)
    if not every:
        query = query.where(ProjectMonthSpending.project_id.in_(bindparam("ids", expanding=True)))
    return query


def _month_so_far(every: bool, by_id: bool = False) -> Select[tuple[int, int]]:
    """Spending per project (in 分) from ``start`` to ``day`` (parameters), from the rows
    that count, of every project or of ``ids``.

    ``by_id`` (SQLite, every project): the rows are picked as ``id IN (ids of the rows of those
    days)``.  The date index then only gives ids (it holds them), and SQLite reads the table
    for the sorted ids page after page, instead of one scattered page per row in date order
    (rows of one day lie all over the table once several imports overlap or an export is not
    sorted by date): about 0.12 s instead of 0.2 s for half a month of 1,000,000 rows.  The
    same rows either way; with a list of projects their (project, date) index is better.
    (An index holding every column read here, (date, project_id, amount, counts,
    superseded_by_batch_id, batch_id), would let the plain date range read that index alone,
    a third of the time again; ``benchmarks/monitoring.py`` measures it.)"""
    start, day = bindparam("start", type_=Date()), bindparam("day", type_=Date())
    if by_id:
        dated = aliased(LedgerRow)
        days = LedgerRow.id.in_(select(dated.id).where(dated.date >= start, dated.date <= day))
    else:
        days = and_(LedgerRow.date >= start, LedgerRow.date <= day)
    query = counted_rows(select(LedgerRow.project_id, func.sum(stored_int(LedgerRow.amount)))).where(
        days).group_by(LedgerRow.project_id)
    if not every:
        query = query.where(LedgerRow.project_id.in_(bindparam("ids", expanding=True)))
    return query




def spent_at_month_ends(session: Session, year: int, projects: Select[Any]) -> dict[int, list[Decimal]]:
    """Per project of the select ``projects`` (of project ids), its cumulative spending (元)
    at each month end of ``year``, January first: ``spent_through`` at the twelve month ends
    (whole months, so the month totals alone), read in one query.  Projects without spending
    are absent."""
    cents: dict[int, list[int]] = {}  # project → spending of each month, in 分
    for pid, month, amount in plain_rows(session, select(
            ProjectMonthSpending.project_id, stored_text(ProjectMonthSpending.month),
            stored_int(ProjectMonthSpending.amount))
            .where(ProjectMonthSpending.project_id.in_(projects),
                   ProjectMonthSpending.month >= date(year, 1, 1),
                   ProjectMonthSpending.month <= date(year, 12, 1))):
        cents.setdefault(pid, [0] * 12)[as_date(month).month - 1] += amount  # type: ignore[union-attr]
    spent: dict[int, list[Decimal]] = {}
    for pid, months in cents.items():
        total, cumulative = 0, []
        for amount in months:
            total += amount
            cumulative.append(Decimal(total).scaleb(-2))  # 分 → 元
        spent[pid] = cumulative
    return spent


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
