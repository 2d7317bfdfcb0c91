"""Reading many rows fast: the helpers the bulk reads of 双监控, spending and the cockpit share.

Plain columns through the session's connection (Core rows, no ORM per-row work), exact columns
as their stored integers, dates as stored, values that repeat packed as JSON texts (memo keys),
and statements built once per database kind and shape with their values as parameters."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Connection, Result, Select, String, Text, cast, func, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool, QueuePool


def stored_int(column: Any) -> Any:
    """An exact column (Money / Percent) read as its stored integer, for bulk reads."""
    return type_coerce(column, BigInteger)


def stored_text(column: Any) -> Any:
    """A date column read as stored (ISO text on SQLite, a date on PostgreSQL)."""
    return type_coerce(column, String)


def scaled(value: int | None, scale: int) -> Decimal | None:
    """The Decimal a ``ScaledDecimal(scale)`` column holds (same value and exponent)."""
    return None if value is None else Decimal(value).scaleb(-scale)


def as_date(value: date | str | None) -> date | None:
    """A date column read as stored (``stored_text``) as a date."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def plain_rows(session: Session, query: Select[Any], parameters: Mapping[str, Any] | None = None) -> Result[Any]:
    """The rows of a select of plain columns through the session's connection: Core rows,
    without the ORM's per-row processing (about a sixth of the time of reading 100,000
    indicators).
    Pending changes are flushed first, as ``session.execute`` would."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(query, parameters)


class Converted(dict[Any, Any]):
    """A memo of one conversion of column values, for one call: bulk reads repeat a few
    values (dates, targets) many times, and each is converted once."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, value: Any) -> Any:
        converted = self[value] = self.convert(value)
        return converted


_STATEMENTS: dict[tuple[Any, ...], Select[Any]] = {}


def cached_statement(session: Session, key: tuple[Any, ...], build: Callable[[], Select[Any]]) -> Select[Any]:
    """A bulk query built once per database kind and shape, its values passed as
    parameters (``statement_scope``, ``as_of``…): building a select costs more than running it for one
    project, and a project page evaluates five dates."""
    key = (session.get_bind().dialect.name, *key)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = build()
    return statement


def json_array(session: Session) -> Callable[..., ColumnElement[str]]:
    """SQL for the text of a JSON array of some columns (numbers, text, dates as ISO text,
    null): ``json_array`` on SQLite, ``json_build_array`` as text on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return lambda *columns: cast(func.json_build_array(*columns), Text)
    return func.json_array


def json_arrays(session: Session) -> Callable[..., ColumnElement[str]]:
    """SQL aggregating some columns of the rows of a group into the text of a JSON array of
    arrays (null or ``[]`` for no rows): ``json_group_array(json_array(…))`` on SQLite,
    ``json_agg(json_build_array(…))`` as text on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return lambda *columns: cast(func.json_agg(func.json_build_array(*columns)), Text)
    return lambda *columns: func.json_group_array(func.json_array(*columns))


def fetch_tuples(connection: Connection, query: Select[Any], parameters: Mapping[str, Any]) -> list[Any]:
    """Every row of a select of plain columns as the driver's own tuples: executed (and its
    errors reported) by SQLAlchemy, read without making a ``Row`` of each (a third of the
    time of reading 500,000 indicators on PostgreSQL).  The columns must need no result
    processing (``stored_int``, ``stored_text``, texts, integers): none is applied."""
    result = connection.execute(query, parameters)
    try:
        return result.cursor.fetchall()  # type: ignore[union-attr]
    finally:
        result.close()


def session_tuples(session: Session, query: Select[Any], parameters: Mapping[str, Any]) -> list[Any]:
    """``fetch_tuples`` on the session's connection (pending changes flushed first)."""
    if session.autoflush:
        session.flush()
    return fetch_tuples(session.connection(), query, parameters)


@contextmanager
def jit_off(session: Session) -> Iterator[None]:
    """PostgreSQL's JIT compiler off for the bulk reads inside (the session's transaction; the
    setting it had is put back after them): the evaluation's queries are index probes and
    per-project subqueries whose cost estimates pass the JIT thresholds, and compiling them
    took longer than running them (the project rows: 117 ms of JIT in 287 ms at 50,000
    projects).  A no-op elsewhere.  After an error the setting stays off until the transaction
    ends (it is rolled back anyway when the error came from the database)."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    if session.autoflush:
        session.flush()
    connection = session.connection()
    before = connection.exec_driver_sql("SELECT current_setting('jit'), set_config('jit', 'off', true)").first()[0]
    yield
    connection.exec_driver_sql("SELECT set_config('jit', %(before)s, true)", {"before": before})


class SideReads:
    """Reads run on a second connection by a thread while the caller works on what the
    previous reads returned: on PostgreSQL the server answers the next query on one CPU
    while Python handles the rows of the last on the other (psycopg lets other threads run
    while it waits).  ``produce(connection)`` is a generator run in the thread; what it
    yields is handed over in order by ``next_item`` (an exception it raises is raised there),
    at most ``ahead`` items before the caller takes them (memory stays bounded).

    ``open`` gives None when a second connection would not see what the session sees: not
    PostgreSQL 13 or later, a transaction that has written (its rows are not committed) or
    is not READ COMMITTED (each statement of the session reads the newest committed data,
    and so does the second connection).  Close it (``with``) to stop the thread and give the
    connection back."""

    _DONE = object()

    def __init__(self, connection: Connection, produce: Callable[[Connection], Iterator[Any]],
                 ahead: int) -> None:
        self.connection = connection
        self.items: queue.Queue[Any] = queue.Queue(maxsize=ahead)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(produce,), name="tracker-side-reads",
                                       daemon=True)
        self.thread.start()

    @classmethod
    def open(cls, session: Session, produce: Callable[[Connection], Iterator[Any]],
             ahead: int = 3) -> SideReads | None:
        bind = session.get_bind()
        if bind.dialect.name != "postgresql":
            return None
        if session.autoflush:
            session.flush()
        connection = session.connection()  # connected: the server's version is known
        if (connection.dialect.server_version_info or (0,)) < (13,):
            return None
        alone = connection.exec_driver_sql(
            "SELECT pg_current_xact_id_if_assigned() IS NULL"
            " AND current_setting('transaction_isolation') = 'read committed'").scalar()
        if not alone or not _spare_connection(bind.engine.pool):
            return None
        return cls(bind.engine.connect(), produce, ahead)

    def _run(self, produce: Callable[[Connection], Iterator[Any]]) -> None:
        try:
            for item in produce(self.connection):
                if not self._hand_over((item, None)):
                    return
        except BaseException as error:  # raised again in the caller's thread
            self._hand_over((None, error))
            return
        self._hand_over((self._DONE, None))

    def _hand_over(self, entry: tuple[Any, BaseException | None]) -> bool:
        while not self.stopping.is_set():
            try:
                self.items.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def next_item(self) -> Any:
        item, error = self.items.get()
        if error is not None:
            raise error
        if item is self._DONE:
            raise LookupError("side reads exhausted")
        return item

    def close(self) -> None:
        self.stopping.set()
        self.thread.join()
        self.connection.close()

    def __enter__(self) -> SideReads:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _spare_connection(pool: Pool) -> bool:
    """A connection can be taken from ``pool`` without waiting for another to come back (a
    busy pool keeps the reads on the session's connection rather than waiting)."""
    if not isinstance(pool, QueuePool):
        return True
    limit = getattr(pool, "_max_overflow", -1)
    return pool.checkedin() > 0 or limit < 0 or pool.overflow() < limit
