"""Bulk writing of ledger rows: the one hot path of an import.

Rows go straight to the driver (sqlite3 ``executemany`` / PostgreSQL ``COPY``) inside the
caller's transaction, column by column from ``LedgerColumns`` (amounts already integer 分), so a
million-row export is neither a million ORM objects nor a million ``LedgerRow`` records.
Everything else in the import uses the ORM as usual.

SQLite: one ``executemany`` over a lazy iterator of tuples (no chunk lists), with the page cache
raised for the duration of the insert so the three ledger_row indexes (batch; project, date;
date) are updated in memory rather than re-read from disk, and for a big batch into a smaller
table the indexes rebuilt after the insert instead (see ``REBUILD_INDEXES_FROM``; measured in
benchmarks/ledger_import.py, which also prints the driver's own ceiling).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from itertools import chain, islice, repeat
from operator import itemgetter
from typing import Any

from sqlalchemy.orm import Session

from tracker.importers.ledger.records import LedgerColumns
from tracker.importers.ledger.records import LedgerRow as ParsedRow
from tracker.models import LedgerBatch

COLUMNS = ("batch_id", "unit_id", "sheet", "row_number", "date", "voucher", "summary",
           "account_code", "account_name", "project_code", "project_name", "project_ref_raw",
           "document_no", "unit_name", "functional_class", "economic_class", "fund_nature",
           "status", "debit", "credit", "amount", "counts", "not_counted_reason", "project_id",
           "match_method")
SQLITE_CACHE_KIB = 256 * 1024  # page cache while inserting (PRAGMA cache_size, in KiB)
# From this many rows, when they outnumber the rows already stored, the ledger_row indexes are
# dropped and built again after the insert (one sort instead of a million random B-tree
# inserts), inside the caller's transaction so a failed or killed import leaves them as they were.
REBUILD_INDEXES_FROM = 100_000
# Rows per INSERT statement (multi-row VALUES, 32 × 25 = 800 parameters, well under SQLite's
# limit): fewer statement steps per row, about a tenth faster than one row per statement.
ROWS_PER_STATEMENT = 32


def _tuples(batch: LedgerBatch, rows: Sequence[ParsedRow],
            matches: Sequence[tuple[int | None, str | None]],
            counting: Sequence[tuple[bool, str | None]], iso_dates: bool) -> Iterator[tuple[object, ...]]:
    columns = LedgerColumns.from_rows(rows)
    count = len(columns)
    if len(matches) != count or len(counting) != count:
        raise ValueError("rows, matches and counting differ in length")
    if not count:
        return iter(())
    first, second = itemgetter(0), itemgetter(1)
    project_ids, methods = map(first, matches), map(second, matches)
    counts, reasons = map(first, counting), map(second, counting)
    dates: Iterator[object] = iter(columns.date)
    if iso_dates:
        iso = {day: day.isoformat() for day in set(columns.date)}
        dates = map(iso.__getitem__, columns.date)
    return zip(repeat(batch.id), repeat(batch.unit_id), columns.sheet, columns.row, dates,
               columns.voucher, columns.summary, columns.account_code, columns.account_name,
               columns.project_code, columns.project_name, columns.project_ref_raw,
               columns.document_no, columns.unit_name, columns.functional_class,
               columns.economic_class, columns.fund_nature, columns.status, columns.debit_fen,
               columns.credit_fen, columns.amount_fen, counts, reasons, project_ids, methods)


def insert_rows(session: Session, batch: LedgerBatch, rows: Sequence[ParsedRow],
                matches: Sequence[tuple[int | None, str | None]],
                counting: Sequence[tuple[bool, str | None]]) -> None:
    session.flush()
    connection = session.connection()
    dialect = connection.dialect.name
    dbapi = connection.connection.driver_connection
    # a tuple per row, a million of them: the cyclic collector would rescan the import's
    # millions of live objects again and again (they hold no cycles), so it waits meanwhile
    collecting = gc.isenabled()
    gc.disable()
    try:
        _insert(dialect, dbapi, batch, rows, matches, counting)
    finally:
        if collecting:
            gc.enable()


def _insert(dialect: str, dbapi: Any, batch: LedgerBatch, rows: Sequence[ParsedRow],
            matches: Sequence[tuple[int | None, str | None]],
            counting: Sequence[tuple[bool, str | None]]) -> None:
    if dialect == "sqlite":
        values = f"({', '.join('?' for _ in COLUMNS)})"
        sql = f"INSERT INTO ledger_row ({', '.join(COLUMNS)}) VALUES {values}"
        cursor = dbapi.cursor()
        try:
            previous = cursor.execute("PRAGMA cache_size").fetchone()[0]
            rebuild: list[tuple[str, str]] = []
            if len(rows) > 10_000:
                cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
                existing = cursor.execute("SELECT max(id) FROM ledger_row").fetchone()[0] or 0
                if len(rows) >= REBUILD_INDEXES_FROM and len(rows) > existing:
                    rebuild = cursor.execute(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                        "AND tbl_name = 'ledger_row' AND sql IS NOT NULL").fetchall()
            try:
                for name, _ in rebuild:  # inside the transaction: a failed import restores them
                    cursor.execute(f'DROP INDEX "{name}"')
                tuples = _tuples(batch, rows, matches, counting, iso_dates=True)
                groups = len(rows) // ROWS_PER_STATEMENT
                if groups:
                    many = f"{sql}, " + ", ".join([values] * (ROWS_PER_STATEMENT - 1))
                    cursor.executemany(many, (tuple(chain.from_iterable(islice(tuples, ROWS_PER_STATEMENT)))
                                              for _ in range(groups)))
                cursor.executemany(sql, tuples)  # the last few rows
                for _, create in rebuild:
                    cursor.execute(create)
            finally:
                cursor.execute(f"PRAGMA cache_size = {int(previous)}")
        finally:
            cursor.close()
    elif dialect == "postgresql":
        with dbapi.cursor() as cursor:
            with cursor.copy(f"COPY ledger_row ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                write = copy.write_row
                for row in _tuples(batch, rows, matches, counting, iso_dates=False):
                    write(row)
    else:  # pragma: no cover - config refuses other backends
        raise RuntimeError(f"unsupported database {dialect}")
