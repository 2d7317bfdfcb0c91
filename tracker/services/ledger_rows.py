"""Bulk writing of ledger rows: the one hot path of an import.

Rows go straight to the driver (sqlite3 ``executemany`` / PostgreSQL ``COPY``) inside the
caller's transaction, column by column from ``LedgerColumns`` (amounts already integer 分), so a
million-row export is neither a million ORM objects nor a million ``LedgerRow`` records.  The
reference texts are written as ``ledger_text`` ids: the import's distinct texts are looked up
(and the new ones stored) once — per import, not per chunk (``RowWriter.text_ids``) — then each
row binds small integers.
Everything else in the import uses the ORM as usual.

What is bound costs more than what is stored (CPython 3.11's sqlite3 on the reference
machine): ``None`` and ``bool`` are not exact ``int``/``float``/``str``, so
each goes through the adapter lookup (~0.3 µs, as much as five integers), and every text is
copied per row.  So the rows are written in chunks (``CHUNK_ROWS``), and per chunk each column
is looked at once (``_plan``):

* empty in every row of the chunk (``None``; also ``''`` for texts, stored as NULL like the
  reader's empty cells) → left out of the INSERT, so it is NULL without being bound;
* the same value in every row (the batch, the unit, the sheet, 贷方 0 of a payment list …) →
  bound once per statement, not per row;
* otherwise bound per row; a text column with some empty rows binds ``''`` for them and stores
  ``NULLIF(?, '')``, ``project_id`` and the text ids bind 0 (never an id) and store
  ``NULLIF(?, 0)``;
  ``counts`` is bound as 0/1.

SQLite: ``INSERT … SELECT <constants>, column1, … FROM (VALUES (…), (…) …)``, ``ROWS_PER_STATEMENT``
rows per statement (fewer statement steps per row), each statement's parameters a slice of one
flat list per chunk (no tuple per row), with the page cache raised for the
duration of the insert, and for a big batch into a smaller table the ledger_row indexes
rebuilt after the insert instead (see ``REBUILD_INDEXES_FROM``).  Row ids follow the file's
order; the dropped indexes are built with a small page cache (``SQLITE_INDEX_CACHE_KIB``).
PostgreSQL: one ``COPY … (FORMAT csv)`` per chunk with the chunk's non-empty columns,
the CSV written by Arrow (``_csv_block``), each COPY in a thread of its own while the next
chunk is prepared (``RowWriter.wait``: the server inserts one chunk while Python prepares the
next); for a big batch into a smaller table the indexes and
foreign keys are set aside and added back after the COPY, in the caller's transaction
(``_pg_set_aside``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from tracker.importers.ledger.records import LedgerColumns
from tracker.importers.ledger.records import LedgerRow as ParsedRow
from tracker.models import LedgerBatch
from tracker.models.ledger import INTERNED_TEXTS, intern_texts
from tracker.services.gc_pause import collector_paused

COLUMNS = ("batch_id", "unit_id", "row_number", "date", "voucher", "summary", "debit", "credit",
           "amount", "counts", "project_id", "match_method",
           *(f"{name}_text_id" for name in INTERNED_TEXTS))
# columns that may be empty, and the value bound for "empty" when only some rows are
# (texts: ''; ids: 0, which no project or text has); the others are NOT NULL
_EMPTY: dict[str, object] = {"voucher": "", "summary": "", "match_method": "", "project_id": 0}
_EMPTY.update((f"{name}_text_id", 0) for name in INTERNED_TEXTS)
# page cache while inserting (PRAGMA cache_size, in KiB); 256 MB was no faster for a million
# rows (COMMIT even slower) and lifted the import's peak memory above 1.5 GB
SQLITE_CACHE_KIB = 128 * 1024
# page cache while the dropped indexes are built again: SQLite's sorter keeps this much in memory
# and merges sorted runs beyond it; 4 MB built the three ledger_row indexes of a million rows in
# 1.4 s where 128 MB took 2.0 s (the runs fit the CPU's caches), and the whole import's finish
# 0.4-0.5 s sooner (benchmarks/ledger_import.py, 2026-12-07)
SQLITE_INDEX_CACHE_KIB = 4 * 1024
# From this many rows, when they outnumber the rows already stored, the ledger_row indexes are
# dropped and built again after the insert (one sort instead of a million random B-tree
# inserts), inside the caller's transaction so a failed or killed import leaves them as they were.
REBUILD_INDEXES_FROM = 100_000
# Rows per INSERT statement (multi-row VALUES; at most 999 parameters, the limit of old SQLite
# builds): fewer statement steps per row, measured twice as fast as one row per statement.
ROWS_PER_STATEMENT = 32
# PostgreSQL: how long a big import waits for the locks that dropping its foreign keys needs
# before it keeps them and copies with a check per row instead (see ``_pg_set_aside``)
PG_LOCK_TIMEOUT = "2s"
CHUNK_ROWS = 1 << 16  # rows planned together (see the module docstring)


@dataclass(frozen=True)
class _Chunk:
    """One chunk's columns: constants bound once, the others per row (see ``_plan``)."""

    constants: list[tuple[str, object]]  # (column, value)
    varying: list[tuple[str, bool]]  # (column, whether its empty rows hold the empty marker)
    values: list[Sequence[object]]  # per varying column, the chunk's values


def _columns(connection: Connection, batch: LedgerBatch, columns: LedgerColumns,
             matches: Sequence[tuple[int | None, str | None]],
             counting: Sequence[tuple[bool, str | None]], iso_dates: bool,
             known: dict[str, int] | None = None) -> tuple[int, list[tuple[str, Sequence[object]]]]:
    """The rows' columns as written; ``known``: text ids already looked up by this
    transaction (the chunks before), added to — only the texts new to it are looked up."""
    count = len(columns)
    if len(matches) != count or len(counting) != count:
        raise ValueError("rows, matches and counting differ in length")
    first, second = itemgetter(0), itemgetter(1)
    dates: Sequence[object] = columns.date
    if iso_dates:
        iso = {day: day.isoformat() for day in set(columns.date)}
        dates = list(map(iso.__getitem__, columns.date))
    counts = [1 if flag else 0 for flag in map(first, counting)]
    texts = {name: getattr(columns, name) for name in INTERNED_TEXTS if name != "not_counted_reason"}
    texts["not_counted_reason"] = list(map(second, counting))
    distinct = {name: set(values) for name, values in texts.items()}
    known = {} if known is None else known
    wanted = {value for values in distinct.values() for value in values if value}
    new = wanted.difference(known)
    if new:
        known.update(intern_texts(connection, new))
    ids: dict[str | None, int | None] = {None: None, "": None}
    ids.update((value, known[value]) for value in wanted)
    text_columns: list[tuple[str, Sequence[object]]] = []
    for name, values in texts.items():
        kinds = distinct[name]
        if len(kinds) == 1:  # the sheet, a constant status …: one id, not a list of a million
            text_columns.append((f"{name}_text_id", _Same(ids[next(iter(kinds))], count)))
        else:
            text_columns.append((f"{name}_text_id", list(map(ids.__getitem__, values))))
    return count, [
        ("batch_id", _Same(batch.id, count)), ("unit_id", _Same(batch.unit_id, count)),
        ("row_number", columns.row), ("date", dates), ("voucher", columns.voucher),
        ("summary", columns.summary), ("debit", columns.debit_fen), ("credit", columns.credit_fen),
        ("amount", columns.amount_fen), ("counts", counts),
        ("project_id", list(map(first, matches))), ("match_method", list(map(second, matches))),
        *text_columns]


class _Same:
    """A column holding one value ``count`` times (the batch and unit ids)."""

    __slots__ = ("count", "value")

    def __init__(self, value: object, count: int) -> None:
        self.value, self.count = value, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: slice) -> _Same:
        return _Same(self.value, len(range(self.count)[index]))


def _plan(name: str, part: Sequence[object], mark: bool
          ) -> tuple[str, object] | tuple[str, list[object]] | None:
    """How one column of a chunk is written: None (empty everywhere), ("constant", value) or
    ("rows", values); when only some rows are empty, ("marked", values) with the empty marker
    in their place (``mark``, SQLite) or ("rows", values) with None there (PostgreSQL)."""
    if isinstance(part, _Same):
        return None if part.value is None else ("constant", part.value)
    empty = _EMPTY.get(name)
    if name == "row_number":  # always varies (and keeps every statement with a VALUES list)
        return "rows", list(part)
    if empty is not None:
        if not any(part):  # None, '' (texts) or 0 (project_id) in every row
            return None
        if not all(part):  # some rows empty: bind the marker, store NULL
            if mark:
                return "marked", [value or empty for value in part]
            return "rows", [value or None for value in part]
    head = part[0]
    if part[-1] == head and part.count(head) == len(part):
        return "constant", head
    return "rows", list(part)


def _chunks(columns: list[tuple[str, Sequence[object]]], count: int, *, mark: bool) -> Iterator[_Chunk]:
    for start in range(0, count, CHUNK_ROWS):
        end = min(start + CHUNK_ROWS, count)
        chunk = _Chunk([], [], [])
        for name, values in columns:
            part = values[start:end] if (start, end) != (0, len(values)) else values
            plan = _plan(name, part, mark)  # type: ignore[arg-type]
            if plan is None:
                continue
            how, what = plan
            if how == "constant":
                chunk.constants.append((name, what))
            else:
                chunk.varying.append((name, how == "marked"))
                chunk.values.append(what)  # type: ignore[arg-type]
        yield chunk


def insert_rows(session: Session, batch: LedgerBatch, rows: Sequence[ParsedRow],
                matches: Sequence[tuple[int | None, str | None]],
                counting: Sequence[tuple[bool, str | None]]) -> None:
    # millions of values in flat lists: the cyclic collector would rescan the import's
    # millions of live objects again and again (they hold no cycles), so it waits meanwhile
    with collector_paused():
        columns = LedgerColumns.from_rows(rows)
        writer = RowWriter(session, batch)
        try:
            writer.write(columns, matches, counting, expected_rows=len(columns))
        except BaseException:
            writer.close(restore=False)  # the caller's rollback brings the indexes back
            raise
        writer.close()


class RowWriter:
    """A batch's rows written a part at a time (``write``), in the caller's transaction: the
    one-step import writes each chunk while the next is read (``ledger_pipeline``).

    The first ``write`` decides, from ``expected_rows``, whether the indexes (and on
    PostgreSQL the foreign keys) are set aside; ``close`` puts them back and restores SQLite's
    page cache — call it in a ``finally``: after a failure the transaction is rolled back
    anyway, which also restores the indexes.  ``correct`` changes the match and counting of
    rows already written (decisions that needed the whole file)."""

    def __init__(self, session: Session, batch: LedgerBatch) -> None:
        session.flush()
        self.connection = session.connection()
        self.batch = batch
        self.dialect = self.connection.dialect.name
        if self.dialect not in ("sqlite", "postgresql"):  # pragma: no cover - config refuses others
            raise RuntimeError(f"unsupported database {self.dialect}")
        self.cursor: Any = None
        self.restore: list[str] = []  # statements (PostgreSQL) / CREATE INDEX (SQLite) for close
        self.cache_size: int | None = None
        self.rows = 0
        self._copying: _Copy | None = None  # PostgreSQL: the chunk being copied (``wait``)
        # texts interned by this transaction (ids never change within it): each chunk looks up
        # only the texts new to the import, not the same sheet, statuses and names again
        self.text_ids: dict[str, int] = {}

    def _begin(self, expected_rows: int) -> None:
        dbapi: Any = self.connection.connection.driver_connection
        self.cursor = cursor = dbapi.cursor()
        outgrows = _outgrows_table(cursor, expected_rows)
        if self.dialect == "sqlite":
            self.cache_size = int(cursor.execute("PRAGMA cache_size").fetchone()[0])
            if expected_rows > 10_000:
                cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
            rebuild = _sqlite_indexes(cursor) if outgrows else []
            for name, _ in rebuild:  # inside the transaction: a failed import restores them
                cursor.execute(f'DROP INDEX "{name}"')
            self.restore = [create for _, create in rebuild]
        else:
            self.restore = _pg_set_aside(self.connection, cursor) if outgrows else []

    def write(self, columns: LedgerColumns, matches: Sequence[tuple[int | None, str | None]],
              counting: Sequence[tuple[bool, str | None]], *, expected_rows: int) -> None:
        if not len(columns):
            return
        if self.cursor is None:
            self._begin(expected_rows)
        sqlite = self.dialect == "sqlite"
        count, values = _columns(self.connection, self.batch, columns, matches, counting,
                                 iso_dates=sqlite, known=self.text_ids)
        cursor = self.cursor
        for chunk in _chunks(values, count, mark=sqlite):
            if sqlite:
                _sqlite_chunk(cursor, chunk)
                continue
            names = [name for name, _ in chunk.constants] + [name for name, _ in chunk.varying]
            block = _csv_block(chunk, names)
            self.wait()  # one COPY at a time on the connection
            self._copying = _Copy(cursor, f"COPY ledger_row ({', '.join(names)}) FROM STDIN (FORMAT csv)", block)
        self.rows += count

    def wait(self) -> None:
        """Until the chunk being copied (PostgreSQL) is in the table; its error raised here.

        Each chunk's COPY runs in a thread of its own while this one goes on with the next
        chunk (matching, text ids, its CSV): the server inserts while Python prepares, and the
        thread only waits for the server (no interpreter lock).  psycopg holds the connection's
        lock for a COPY, so any other statement on it waits for the copy; ``wait`` is called
        before the writer's own next statement, and by the import before its whole-file work,
        so that a failed COPY is reported there."""
        copying, self._copying = self._copying, None
        if copying is not None:
            copying.join()

    def correct(self, indices: Sequence[int], matches: Sequence[tuple[int | None, str | None]],
                counting: Sequence[tuple[bool, str | None]]) -> None:
        """Rows ``indices`` (in the order written) get ``matches[i]`` and ``counting[i]``."""
        if not indices:
            return
        self.wait()
        ids = list(self.connection.execute(text(
            "SELECT id FROM ledger_row WHERE batch_id = :batch ORDER BY id"), {"batch": self.batch.id}).scalars())
        if len(ids) != self.rows:
            raise RuntimeError("rows written and rows found differ")
        reasons = intern_texts(self.connection, {counting[i][1] for i in indices} - {None})
        self.connection.execute(text(
            "UPDATE ledger_row SET project_id = :project, match_method = :method, counts = :counts, "
            "not_counted_reason_text_id = :reason WHERE id = :id"),
            [{"project": matches[i][0], "method": matches[i][1], "counts": counting[i][0],
              "reason": reasons.get(counting[i][1]) if counting[i][1] else None, "id": ids[i]}
             for i in indices])

    def close(self, *, restore: bool = True) -> None:
        """The indexes and foreign keys set aside are added back (``restore=False``: the
        caller rolls back, which brings them back by itself); SQLite's page cache restored."""
        if self.cursor is None:
            return
        refused: BaseException | None = None
        try:
            self.wait()
        except BaseException as error:  # the last COPY refused: the caller rolls back
            refused = error
        restoring = restore and refused is None
        cursor, self.cursor = self.cursor, None
        try:
            if self.dialect == "sqlite" and restoring and self.restore:
                cursor.execute(f"PRAGMA cache_size = -{SQLITE_INDEX_CACHE_KIB}")
            for statement in self.restore if restoring else ():  # indexes, then foreign keys
                cursor.execute(statement)
        finally:
            if self.cache_size is not None:
                cursor.execute(f"PRAGMA cache_size = {self.cache_size}")
            cursor.close()
        if refused is not None and restore:  # (restore=False: a failure is being handled already)
            raise refused


class _Copy:
    """One chunk's ``COPY … FROM STDIN`` run in a thread (``RowWriter.wait``)."""

    def __init__(self, cursor: Any, statement: str, block: memoryview) -> None:
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(cursor, statement, block),
                                       name="ledger-copy", daemon=True)
        self.thread.start()

    def _run(self, cursor: Any, statement: str, block: memoryview) -> None:
        try:
            with cursor.copy(statement) as copy:
                copy.write(block)
        except BaseException as error:  # raised in the importing thread, by ``join``
            self.error = error

    def join(self) -> None:
        self.thread.join()
        if self.error is not None:
            raise self.error


def _outgrows_table(cursor: Any, count: int) -> bool:
    """Whether ``count`` new rows are a big batch into a smaller table (a first load): then
    the indexes (and on PostgreSQL the foreign keys) are set aside while they are written.
    ``max(id)`` stands for the table's size: one index lookup, where ``count(*)`` scans."""
    if count < REBUILD_INDEXES_FROM:
        return False
    return count > (cursor.execute("SELECT max(id) FROM ledger_row").fetchone()[0] or 0)


def _sqlite_indexes(cursor: Any) -> list[tuple[str, str]]:
    """The ledger_row indexes to drop and build again (name, CREATE statement)."""
    return cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                          "AND tbl_name = 'ledger_row' AND sql IS NOT NULL").fetchall()


def _csv_block(chunk: _Chunk, names: list[str]) -> memoryview:
    """A chunk as COPY's CSV text, written by Arrow's CSV writer (C++) from typed columns rather
    than formatted row by row in Python (``write_row``, 5 µs a row).  Arrow quotes every
    string and leaves nulls as unquoted empty fields, which is how COPY's CSV format tells an
    empty text from NULL; dates are ISO, ``counts`` is 0/1, amounts are integer 分."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rows = len(chunk.values[0])  # row_number always varies
    arrays = [pa.repeat(pa.scalar(value), rows) for _, value in chunk.constants]  # (no list per column)
    arrays += [pa.array(values) for values in chunk.values]
    sink = pa.BufferOutputStream()
    pacsv.write_csv(pa.Table.from_arrays(arrays, names=names), sink,
                    pacsv.WriteOptions(include_header=False, batch_size=rows))
    return memoryview(sink.getvalue())


def _pg_set_aside(connection: Connection, cursor: Any) -> list[str]:
    """Drop the ledger_row indexes and foreign keys; returns the statements that restore them.

    Each foreign key costs a trigger event per row, and a lookup for a non-null value (the
    three of them twice the COPY itself), while adding one back checks every row in one join.
    Dropping a foreign key locks the table it points at (project) against readers until the
    import commits, so the locks are only waited for ``PG_LOCK_TIMEOUT``: when another
    transaction holds them, the import keeps the constraints (a check per row) rather than
    making everyone wait behind it.
    """
    from psycopg import errors, sql

    try:
        with connection.begin_nested():  # a lock not granted leaves everything as it was
            cursor.execute(f"SET LOCAL lock_timeout = '{PG_LOCK_TIMEOUT}'")
            cursor.execute("LOCK TABLE ledger_row, ledger_batch, project IN ACCESS EXCLUSIVE MODE")
            cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conrelid = 'ledger_row'::regclass AND contype = 'f' ORDER BY 1")
            keys = cursor.fetchall()
            cursor.execute(
                "SELECT index.relname, pg_get_indexdef(ix.indexrelid) FROM pg_index ix "
                "JOIN pg_class index ON index.oid = ix.indexrelid "
                "WHERE ix.indrelid = 'ledger_row'::regclass AND NOT ix.indisprimary "
                "AND NOT ix.indisunique ORDER BY 1")
            indexes = cursor.fetchall()
            for name, _ in keys:
                cursor.execute(sql.SQL("ALTER TABLE ledger_row DROP CONSTRAINT {}").format(sql.Identifier(name)))
            for name, _ in indexes:
                cursor.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
            cursor.execute("SET LOCAL lock_timeout = DEFAULT")
    except errors.LockNotAvailable:
        return []
    add = sql.SQL("ALTER TABLE ledger_row ADD CONSTRAINT {} ")
    return ([definition for _, definition in indexes]
            + [add.format(sql.Identifier(name)).as_string(cursor) + definition for name, definition in keys])


def _sqlite_chunk(cursor: Any, chunk: _Chunk) -> None:
    """The chunk's rows as one flat parameter list (columns interleaved by slice assignment,
    no tuple per row), cut into statements of ``per`` rows; the constants are numbered after
    the rows' parameters so each statement's list is a slice plus the constants."""
    width = len(chunk.varying)
    count = len(chunk.values[0])
    constants = [value for _, value in chunk.constants]
    per = max(1, min(ROWS_PER_STATEMENT, (999 - len(constants)) // width))
    flat: list[object] = [None] * (count * width)
    for offset, values in enumerate(chunk.values):
        flat[offset::width] = values
    names = [name for name, _ in chunk.constants] + [name for name, _ in chunk.varying]

    def statement(rows: int) -> str:
        first_constant = rows * width + 1
        selected = [f"?{number}" for number in range(first_constant, first_constant + len(constants))]
        selected += [f"NULLIF(column{number}, {_EMPTY[name]!r})" if marked else f"column{number}"
                     for number, (name, marked) in enumerate(chunk.varying, start=1)]
        values = ", ".join(
            "(" + ", ".join(f"?{row * width + column}" for column in range(1, width + 1)) + ")"
            for row in range(rows))
        return (f"INSERT INTO ledger_row ({', '.join(names)}) "
                f"SELECT {', '.join(selected)} FROM (VALUES {values})")

    groups, rest = divmod(count, per)
    step = per * width
    if groups:
        cursor.executemany(statement(per), (flat[start:start + step] + constants
                                            for start in range(0, groups * step, step)))
    if rest:
        cursor.execute(statement(rest), flat[groups * step:] + constants)
