"""Bulk writing of ledger rows: the one hot path of an import.

Rows go straight to the driver (sqlite3 ``executemany`` / PostgreSQL ``COPY``) inside the
caller's transaction, amounts already converted to integer 分, so a million-row export is not
a million ORM objects.  Everything else in the import uses the ORM as usual."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

from sqlalchemy.orm import Session

from tracker.importers.ledger.records import LedgerRow as ParsedRow
from tracker.models import LedgerBatch

COLUMNS = ("batch_id", "unit_id", "sheet", "row_number", "date", "voucher", "summary",
           "account_code", "account_name", "project_code", "project_name", "project_ref_raw",
           "document_no", "unit_name", "functional_class", "economic_class", "fund_nature",
           "status", "debit", "credit", "amount", "counts", "not_counted_reason", "project_id",
           "match_method")
CHUNK = 50_000


def _fen(value: Decimal) -> int:
    scaled = value * 100
    integral = int(scaled)
    if integral != scaled:
        raise ValueError(f"amount {value} has more than 2 decimal places")
    return integral


def _tuples(batch: LedgerBatch, rows: Sequence[ParsedRow],
            matches: Sequence[tuple[int | None, str | None]],
            counting: Sequence[tuple[bool, str | None]], iso_dates: bool) -> Iterator[tuple[object, ...]]:
    batch_id, unit_id = batch.id, batch.unit_id
    for r, (project_id, method), (counts, reason) in zip(rows, matches, counting, strict=True):
        yield (batch_id, unit_id, r.sheet, r.row, r.date.isoformat() if iso_dates else r.date,
               r.voucher, r.summary, r.account_code, r.account_name, r.project_code,
               r.project_name, r.project_ref_raw, r.document_no, r.unit_name,
               r.functional_class, r.economic_class, r.fund_nature, r.status,
               _fen(r.debit), _fen(r.credit), _fen(r.amount),
               (1 if counts else 0) if iso_dates else counts, reason, project_id, method)


def insert_rows(session: Session, batch: LedgerBatch, rows: Sequence[ParsedRow],
                matches: Sequence[tuple[int | None, str | None]],
                counting: Sequence[tuple[bool, str | None]]) -> None:
    session.flush()
    connection = session.connection()
    dialect = connection.dialect.name
    dbapi = connection.connection.driver_connection
    if dialect == "sqlite":
        sql = (f"INSERT INTO ledger_row ({', '.join(COLUMNS)}) "
               f"VALUES ({', '.join('?' for _ in COLUMNS)})")
        cursor = dbapi.cursor()
        generator = _tuples(batch, rows, matches, counting, iso_dates=True)
        while True:
            chunk = [row for _, row in zip(range(CHUNK), generator)]
            if not chunk:
                break
            cursor.executemany(sql, chunk)
        cursor.close()
    elif dialect == "postgresql":
        with dbapi.cursor() as cursor:
            with cursor.copy(f"COPY ledger_row ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in _tuples(batch, rows, matches, counting, iso_dates=False):
                    copy.write_row(row)
    else:  # pragma: no cover - config refuses other backends
        raise RuntimeError(f"unsupported database {dialect}")
