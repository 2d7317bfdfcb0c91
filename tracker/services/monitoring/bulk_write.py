"""Writing many rows of one table at once, as the jobs write snapshots and alerts (50,000 to
200,000 a night at province scale).

PostgreSQL: ``COPY … FROM STDIN`` (psycopg), one stream for all the rows, instead of an
executemany that sends and binds a statement per row (most of the daily catch-up's time, with
the driver's per-parameter conversions).  Rows the data version must count
(``db._note_write``), and rows that update existing ones, are copied into a temporary table
first and moved into place by one ``INSERT … SELECT`` / ``UPDATE … FROM`` issued through
SQLAlchemy; a table no figure is computed from (alerts: ``db.UNTRACKED_TABLES``) is copied
into directly.  SQLite: executemany (an ORM bulk INSERT, or an ORM bulk UPDATE by primary
key), as before.

Values are converted as SQLAlchemy binds them, by each column's own type (integer 分 for
``Money``, integer 1/10000 for ``Percent``, naive UTC for ``UTCDateTime``, JSON text for
``JSON``, ``None`` as JSON ``null`` unless the column says ``none_as_null``); a column left
out of the rows gets its Python-side default as an ORM insert would (``evaluated_at`` …), one
value for the whole write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import JSON, Table, insert, text, update
from sqlalchemy.orm import Session

#: Rows converted and sent per COPY write: how many are held in memory at a time.
COPY_CHUNK = 5_000

Converter = Callable[[Any], Any]


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _converter(table: Table, name: str, dialect: Any) -> Converter | None:
    """The function giving the driver a column's value as SQLAlchemy would bind it (None: the
    value as it is)."""
    column_type = table.c[name].type
    if isinstance(column_type, JSON):
        if column_type.none_as_null:
            return lambda value: None if value is None else json.dumps(value)
        return json.dumps
    return column_type.bind_processor(dialect)


def _defaults(table: Table, given: Sequence[str]) -> dict[str, Any]:
    """The Python-side defaults of the columns missing from ``given`` (what an ORM insert adds)."""
    values = {}
    for column in table.columns:
        default = column.default
        if column.name in given or default is None or column.primary_key:
            continue
        if getattr(default, "is_scalar", False):
            values[column.name] = default.arg  # type: ignore[attr-defined]
        elif getattr(default, "is_callable", False):
            values[column.name] = default.arg(None)  # type: ignore[attr-defined]
    return values


class _Copier:
    """COPY rows (lists of values in ``columns`` order) into ``target`` on the session's
    connection, in its transaction, ``COPY_CHUNK`` at a time."""

    def __init__(self, session: Session, target: str, columns: Sequence[str],
                 converters: Sequence[Converter | None]) -> None:
        self.session, self.target, self.columns = session, target, list(columns)
        self.converters = [(index, convert) for index, convert in enumerate(converters) if convert is not None]
        self.pending: list[list[Any]] = []

    def add(self, values: list[Any]) -> None:
        for index, convert in self.converters:
            values[index] = convert(values[index])
        self.pending.append(values)
        if len(self.pending) >= COPY_CHUNK:
            self.send()

    def send(self) -> None:
        if not self.pending:
            return
        driver = self.session.connection().connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(
                f"COPY {self.target} ({', '.join(self.columns)}) FROM STDIN") as copy:
            for values in self.pending:
                copy.write_row(values)
        self.pending = []


class BulkWriter:
    """New rows of ``entity`` (``update=False``: inserted in the order added, ids from the
    table's sequence) or new values of existing ones (``update=True``: each row has its
    ``id``), written when the writer finishes.  Every row added has the same keys.

    ``staged`` (PostgreSQL): copied into a temporary table and written by one statement
    through SQLAlchemy, so the data version counts it; unstaged inserts are copied straight
    into the table (only for tables the data version ignores).  SQLite keeps the rows and
    writes them by executemany.  As a context manager, leaving without an error finishes it."""

    def __init__(self, session: Session, entity: type[Any], *, update: bool = False, staged: bool = True) -> None:
        self.session, self.entity, self.update = session, entity, update
        self.table: Table = entity.__table__
        self.postgresql = is_postgresql(session)
        self.staged = staged or update
        self.staging = f"{self.table.name}_{'changed' if update else 'new'}"
        self.held: list[dict[str, Any]] = []  # SQLite
        self.columns: list[str] | None = None
        self.extra: list[Any] = []  # the defaults of the columns rows leave out
        self.copier: _Copier | None = None
        self.count = 0

    def __enter__(self) -> BulkWriter:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.finish()

    def add(self, row: dict[str, Any]) -> None:
        self.count += 1
        if not self.postgresql:
            self.held.append(row)
            return
        if self.copier is None:
            self._begin(list(row))
        assert self.copier is not None and self.columns is not None
        values = [row[name] for name in self.columns[:len(self.columns) - len(self.extra)]]
        values += self.extra
        if self.staged:
            values.insert(0, self.count)
        self.copier.add(values)

    def _begin(self, given: list[str]) -> None:
        if self.update and "id" not in given:
            raise ValueError("rows to update need their id")
        self.session.flush()  # what was pending goes first, as one flush would have ordered it
        defaults = {} if self.update else _defaults(self.table, given)
        self.columns, self.extra = given + list(defaults), list(defaults.values())
        dialect = self.session.get_bind().dialect
        converters = [_converter(self.table, name, dialect) for name in self.columns]
        if not self.staged:
            self.copier = _Copier(self.session, self.table.name, self.columns, converters)
            return
        connection = self.session.connection()
        # no constraints and no defaults: the staged values are what the one statement writes
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {self.staging}")
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {self.staging} ON COMMIT DROP AS "
            f"SELECT 0 AS position, {', '.join(self.columns)} FROM {self.table.name} WITH NO DATA")
        self.copier = _Copier(self.session, self.staging, ["position", *self.columns],
                              [None, *converters])

    def finish(self) -> int:
        """Write what was added; returns how many rows."""
        count, self.count = self.count, 0
        if not self.postgresql:
            if self.held:
                self.session.flush()
                self.session.execute((update if self.update else insert)(self.entity), self.held)
                self.held = []
            return count
        if self.copier is None:
            return count
        self.copier.send()
        self.copier = None
        if not self.staged:
            return count
        assert self.columns is not None
        connection = self.session.connection()
        name = self.table.name
        if self.update:
            changed = ", ".join(f"{column} = s.{column}" for column in self.columns if column != "id")
            connection.execute(text(f"UPDATE {name} SET {changed} FROM {self.staging} s WHERE {name}.id = s.id"))
        else:
            listed = ", ".join(self.columns)
            connection.execute(text(f"INSERT INTO {name} ({listed}) SELECT {listed} FROM {self.staging} "
                                    "ORDER BY position"))
        connection.exec_driver_sql(f"DROP TABLE {self.staging}")
        return count
