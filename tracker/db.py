"""Database plumbing: the declarative ``Base``, exact column types, engine and sessions, and
the data version.

Boundaries own transactions (a request, a CLI command, a job); services only flush.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (JSON, BigInteger, Connection, DateTime, Engine, MetaData, String, column, create_engine,
                        event, make_url, select, table)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from tracker.private_files import create_file

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Typed declarative base; constraint names follow ``NAMING_CONVENTION``."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ScaledDecimal(TypeDecorator[Decimal]):
    """An exact ``Decimal`` stored as a scaled integer (``BIGINT``).

    ``ScaledDecimal(2)`` keeps 元 as integer 分; ``ScaledDecimal(4)`` keeps percentages
    to 1/10000 of a point.  Values with more decimals than the scale are refused rather
    than silently rounded, so nothing is lost without a trace.
    """

    impl = BigInteger
    cache_ok = True

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale
        self._factor = Decimal(10) ** scale

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("float is not accepted for exact decimals; pass Decimal or str")
        number = Decimal(value) * self._factor
        if number != number.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        return int(number)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return (Decimal(int(value)) / self._factor).quantize(Decimal(1).scaleb(-self.scale))

    @property
    def python_type(self) -> type:
        return Decimal


def Money() -> ScaledDecimal:  # noqa: N802 - reads like a type in column definitions
    """元 with 分 precision, stored as integer 分."""
    return ScaledDecimal(2)


def Percent() -> ScaledDecimal:  # noqa: N802
    """A percentage (e.g. 33.3333) with four decimals, stored as an integer."""
    return ScaledDecimal(4)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use datetime.now(UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite, make transactions real (SAVEPOINT, transactional DDL).
    Every engine notes the writes that change the data version (see below)."""
    engine = _make_engine(url, **kwargs)
    event.listen(engine, "after_cursor_execute", _note_write)
    event.listen(engine, "commit", _forget_writes)  # a session has bumped the version before
    event.listen(engine, "rollback", _forget_writes)
    return engine


def _make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        _create_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, decide where transactions begin.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _create_sqlite_file(url: str) -> None:
    """Create a new SQLite database file readable by its owner only.  SQLite gives the -wal
    and -shm files it makes beside it the same mode.  A folder that does not exist is not
    made: a mistyped path is reported as a database that cannot be opened."""
    path = make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:") or Path(path).exists() \
            or not Path(path).parent.is_dir():
        return
    try:
        create_file(Path(path))
    except FileExistsError:  # another process created it first
        pass


class Database:
    """An engine and the factory that makes sessions on it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.session_factory: sessionmaker[Session] = sessionmaker(
            bind=self.engine, expire_on_commit=False
        )

    def session(self, *, write: bool = False) -> Session:
        """A new session.  ``write``: its transactions will write (a POST request, a scheduler
        job); on SQLite each of them takes the write lock as it begins (see ``WRITE_INTENT``)."""
        session = self.session_factory()
        if write:
            session.info[WRITE_INTENT] = True
        return session

    def dispose(self) -> None:
        self.engine.dispose()


# --- SQLite: write transactions wait for the write lock -------------------------------------
#
# SQLite has one writer at a time.  A transaction begins deferred: it reads, and takes the write
# lock at its first write.  If another writer (an import) holds the lock then, SQLite answers
# "database is locked" at once — the busy timeout does not apply to a transaction that already
# read, whose snapshot would be stale anyway — and the request failed with 数据库正忙.  A session
# opened with ``write=True`` therefore takes the write lock as each of its transactions begins,
# before any read (BEGIN IMMEDIATE in effect, by a write that changes nothing), waiting for it
# up to the busy timeout (``timeout=30`` in ``make_engine``).  Sessions of read-only work (GET
# pages, previews) stay deferred: they never wait for an import, nor make it wait.  PostgreSQL
# needs none of this (row locks; ``ledger_lock`` for imports).

#: ``Session.info`` key: the session's transactions write (``Database.session(write=True)``).
WRITE_INTENT = "tracker.write_intent"
#: ``Session.info`` key: seconds the current transaction waited for the SQLite write lock as it
#: began (``ledger_lock.lock_unit`` reports them as its own wait).
WRITE_LOCK_WAITED = "tracker.write_lock_waited"
#: A write that changes nothing: takes SQLite's write lock (issued on the driver connection, so
#: it is not counted as a change of the data version).
SQLITE_TAKE_WRITE_LOCK = "UPDATE ledger_batch SET id = id WHERE 0"


@event.listens_for(Session, "after_begin")
def _take_write_lock(session: Session, _transaction: Any, connection: Any) -> None:
    if not session.info.get(WRITE_INTENT) or connection.dialect.name != "sqlite":
        return
    started = time.monotonic()
    connection.connection.driver_connection.execute(SQLITE_TAKE_WRITE_LOCK)
    session.info[WRITE_LOCK_WAITED] = time.monotonic() - started


# --- data version ---------------------------------------------------------------------------
#
# A token stored in the ``setting`` row ``data_version`` that changes with every committed
# transaction that wrote to a table figures are computed from, so a cache keyed by it can never
# serve a figure older than the data.  Nobody has to remember to bump it: every engine notes,
# per connection, each INSERT / UPDATE / DELETE it runs (``_note_write``; ORM flushes, Core
# statements, text SQL alike) except on the tables in ``UNTRACKED_TABLES`` (the trail and
# per-user state, which no figure is computed from), and the session writes a new random token
# in the same transaction right before it commits (``_bump_on_commit``): the token and the
# data land together or not at all.  On PostgreSQL the row lock of the upsert orders
# concurrent writers, and the last to commit leaves its own token.  Readers read the token
# before the data in the same transaction (``data_version``), so what they read is at least
# as new as the token.  Rows that bypass SQLAlchemy (``ledger_rows`` writes through the
# driver) always come with a tracked write in the same transaction (their batch, the month
# totals), or are reported by ``note_write`` (the jobs' snapshots, copied by ``bulk_write``).  Writes committed on a bare connection (migrations) or by hand in an SQL console
# do not change the token: restart the web server after them.

DATA_VERSION_KEY = "data_version"
#: Tables no cached figure is computed from: the audit trail, users and their logins, alerts
#: and what each user has read, subscribed to or been mailed (shown per request, never cached).
UNTRACKED_TABLES = frozenset({"audit_entry", "app_user", "user_unit", "login_failure", "alert",
                              "alert_read", "alert_subscription", "alert_delivery"})
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "COPY", "TRUNCATE", "WITH")
_CHANGED = "tracker.data_changed"  # key in the connection's info: tracked rows written
_SETTING = table("setting", column("key", String), column("value", JSON),
                 column("updated_at", UTCDateTime()), column("updated_by", String))


def data_version(session: Session) -> str:
    """The token of the data ``session`` sees ("" until the first tracked write).  Read it
    before the data it stands for."""
    return session.execute(select(_SETTING.c.value).where(_SETTING.c.key == DATA_VERSION_KEY)
                           ).scalar_one_or_none() or ""


def has_uncommitted_changes(session: Session) -> bool:
    """Whether ``session`` holds tracked changes the data version does not reflect yet:
    pending objects, or rows written in its transaction and not yet committed."""
    if session.new or session.dirty or session.deleted:
        return True
    return session.in_transaction() and bool(session.connection().info.get(_CHANGED))


def _note_write(conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any,
                _executemany: bool) -> None:
    element = getattr(getattr(context, "compiled", None), "statement", None)
    if getattr(element, "is_select", False):
        return
    if getattr(element, "is_dml", False):
        if getattr(getattr(element, "table", None), "name", None) in UNTRACKED_TABLES:
            return
    elif not statement.lstrip()[:8].upper().startswith(_WRITES):  # SQL text; DDL does not count
        return
    conn.info[_CHANGED] = True


def note_write(connection: Connection) -> None:
    """Tell the data version that ``connection``'s transaction wrote tracked rows in a way
    SQLAlchemy does not see (a COPY through the driver: ``services/monitoring/bulk_write.py``)."""
    connection.info[_CHANGED] = True


def _forget_writes(conn: Any) -> None:
    conn.info.pop(_CHANGED, None)


@event.listens_for(Session, "before_commit")
def _bump_on_commit(session: Session) -> None:
    """Before any session commits (or releases its savepoint): if its transaction wrote tracked
    rows, store a new token in it."""
    if not session.in_transaction():
        return
    session.flush()  # the commit flushes only after this hook; the flush must be counted
    connection = session.connection()
    if not connection.info.get(_CHANGED):
        return
    insert = (postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert)(_SETTING)
    statement = insert.values(key=DATA_VERSION_KEY, value=secrets.token_hex(16), updated_at=utcnow(),
                              updated_by="tracker")
    connection.execute(statement.on_conflict_do_update(
        index_elements=["key"],
        set_={"value": statement.excluded.value, "updated_at": statement.excluded.updated_at}))
    connection.info.pop(_CHANGED, None)
