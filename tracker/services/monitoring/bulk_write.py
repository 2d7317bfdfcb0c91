"""Writing many rows of one table at once, as the jobs write snapshots and alerts (50,000 to
200,000 a night at province scale).

PostgreSQL: ``COPY … FROM STDIN`` (psycopg) instead of an executemany that sends and binds a
statement per row.  New rows are streamed: the COPY stays open while the caller's iterable
makes them, so the server stores each row while Python evaluates and formats the next ones
(the two run on two CPUs).  Rows that update existing ones are copied into a temporary
table and applied by one ``UPDATE … FROM`` issued through SQLAlchemy.  A COPY into a table
the data version follows is reported to it (``db.note_write``).  SQLite: executemany (an ORM
bulk INSERT, or an ORM bulk UPDATE by primary key), a chunk of rows at a time.

Values are converted as SQLAlchemy binds them, by each column's own type (integer 分 for
``Money``, integer 1/10000 for ``Percent``, naive UTC for ``UTCDateTime``, JSON text for
``JSON``, ``None`` as JSON ``null`` unless the column says ``none_as_null``); a column left
out of the rows gets its Python-side default as an ORM insert would (``evaluated_at`` …), one
value for the whole write.

While a COPY is open nothing else may run on the session's connection: the iterables given
here only compute (no query, no lazy load, no flush).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain, islice
from typing import Any

from sqlalchemy import JSON, Boolean, Table, insert, text, update
from sqlalchemy.orm import Session

from tracker.db import UNTRACKED_TABLES, note_write

#: Rows per executemany on SQLite: how many are held in memory at a time.
CHUNK = 5_000

Converter = Callable[[Any], Any]


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_rows(session: Session, entity: type[Any], rows: Iterable[dict[str, Any]]) -> int:
    """Insert ``rows`` (dicts with the same keys) into ``entity``'s table, in their order (ids
    from its sequence); nothing is read back.  Returns how many."""
    table: Table = entity.__table__
    session.flush()  # what was pending goes first, as one flush would have ordered it
    if not is_postgresql(session):
        return _executemany(session, insert(entity), rows)
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    given = list(first)
    defaults = _defaults(table, given)
    converters = _converters(session, table, [*given, *defaults])
    extra = list(defaults.values())  # the same for every row: converted once, here
    for index, convert in converters:
        if index >= len(given):
            extra[index - len(given)] = convert(extra[index - len(given)])
    count = _copy(session, table.name, [*given, *defaults], [c for c in converters if c[0] < len(given)],
                  ([*(row[name] for name in given), *extra] for row in chain([first], rows)))
    if table.name not in UNTRACKED_TABLES:
        note_write(session.connection())
    return count


def update_rows(session: Session, entity: type[Any], rows: Iterable[dict[str, Any]],
                within: Mapping[str, Any] | None = None) -> int:
    """Give existing rows of ``entity`` (each dict has its ``id`` and the same keys) the
    values of ``rows``.  ``within``: column values every row updated has now (kind 'daily'),
    so that PostgreSQL finds them by an index rather than by reading the whole table.  Objects
    of them the session holds are not refreshed: expire them.  Returns how many."""
    table: Table = entity.__table__
    session.flush()
    if not is_postgresql(session):
        return _executemany(session, update(entity), rows)
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    columns = list(first)
    if "id" not in columns:
        raise ValueError("rows to update need their id")
    connection = session.connection()
    staging = f"{table.name}_changed"
    listed = ", ".join(columns)
    # no constraints, no defaults, no WAL: the staged values are what the one UPDATE writes
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {staging}")
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {staging} ON COMMIT DROP AS "
                               f"SELECT {listed} FROM {table.name} WITH NO DATA")
    count = _copy(session, staging, columns, _converters(session, table, columns),
                  ([row[name] for name in columns] for row in chain([first], rows)))
    connection.exec_driver_sql(f"ANALYZE {staging}")  # its size, for the plan of the join
    changed = ", ".join(f"{name} = s.{name}" for name in columns if name != "id")
    narrow = "".join(f" AND {table.name}.{name} = :{name}" for name in within or {})
    connection.execute(text(f"UPDATE {table.name} SET {changed} FROM {staging} s "
                            f"WHERE {table.name}.id = s.id{narrow}"), dict(within or {}))
    connection.exec_driver_sql(f"DROP TABLE {staging}")
    return count


def _executemany(session: Session, statement: Any, rows: Iterable[dict[str, Any]]) -> int:
    count = 0
    rows = iter(rows)
    while chunk := list(islice(rows, CHUNK)):
        session.execute(statement, chunk)
        count += len(chunk)
    return count


def _converters(session: Session, table: Table, columns: Sequence[str]) -> list[tuple[int, Converter]]:
    """(place, function) for each column whose values the driver is not given as they are."""
    dialect = session.get_bind().dialect
    converters = []
    for index, name in enumerate(columns):
        column_type = table.c[name].type
        convert: Converter | None
        if isinstance(column_type, JSON):
            convert = json.dumps if not column_type.none_as_null else \
                (lambda value: None if value is None else json.dumps(value))
        elif isinstance(column_type, Boolean):
            convert = None  # psycopg writes True/False as t/f (and 1/0 as 1/0, which PostgreSQL reads)
        else:
            convert = column_type.bind_processor(dialect)
        if convert is not None:
            converters.append((index, convert))
    return converters


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


def _copy(session: Session, target: str, columns: Sequence[str], converters: Sequence[tuple[int, Converter]],
          rows: Iterator[list[Any]]) -> int:
    """COPY ``rows`` (lists of values in ``columns`` order, converted in place) into ``target``
    on the session's connection, in its transaction, as they come."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    count = 0
    with driver.cursor() as cursor, cursor.copy(f"COPY {target} ({', '.join(columns)}) FROM STDIN") as copy:
        write = copy.write_row
        for values in rows:
            for index, convert in converters:
                values[index] = convert(values[index])
            write(values)
            count += 1
    return count
