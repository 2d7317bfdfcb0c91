"""One ledger change at a time per unit, decided by the database (issue #21).

Whatever changes which ledger rows of a unit count — an import, an undo (which can also change
the unit's counting source), assigning rows from the unmatched queue — calls ``lock_unit`` as
the first statement of its write transaction, and reads the state it decides on (duplicates,
rows to replace, the counting source, monthly totals) only after it.  The lock is released
when the transaction ends, committed or rolled back (a killed process releases it too).

* PostgreSQL: ``pg_advisory_xact_lock(NAMESPACE, unit_id)``, so imports of different units
  still run side by side.
* SQLite has one writer at a time for the whole file: the lock is the write lock, taken by a
  write that changes nothing, waited for up to the busy timeout (``timeout=30`` in
  ``db.make_engine``).  It must come before any read of the transaction: a transaction that
  read first cannot wait for the write lock (SQLite answers "database is locked" at once);
  ``WriteConflict`` then asks the boundary to run the transaction again (``retrying``).

A wait longer than ``WAIT_NOTICE_SECONDS`` is reported once through ``waiting`` (the CLI
prints 正在等待另一导入完成 on stderr) and the seconds waited are returned (the page says
曾等待另一导入完成 N 秒).  Deadlocks and serialization failures are retried by the boundary
(``retrying``), never shown.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tracker.db import SQLITE_TAKE_WRITE_LOCK, WRITE_LOCK_WAITED
from tracker.errors import ImportBusy

#: First key of the advisory lock (the second is the unit id): ledger changes of one unit.
NAMESPACE = 21_001
WAIT_NOTICE_SECONDS = 1.0
WAITING_MESSAGE = "正在等待另一导入完成…"
#: Times a boundary runs a ledger transaction that met a deadlock / write conflict.
ATTEMPTS = 5
_POLL_SECONDS = 0.05
# SQLite: a write that takes the write lock and changes nothing
_SQLITE_TAKE_WRITE_LOCK = SQLITE_TAKE_WRITE_LOCK

T = TypeVar("T")


class WriteConflict(Exception):
    """SQLite: the transaction read before taking the write lock and another writer was
    active or has committed since; the transaction must start again (``retrying``)."""


def lock_unit(session: Session, unit: int | Callable[[], int], *,
              waiting: Callable[[], None] | None = None) -> float:
    """Take the import lock of a unit for the rest of the session's transaction; returns the
    seconds waited.  ``unit`` is the id, or a function reading it (called before the lock on
    PostgreSQL, after it on SQLite, so that on SQLite the lock is the transaction's first
    statement)."""
    connection = session.connection()
    started = time.monotonic()
    if connection.dialect.name == "postgresql":
        _pg_lock(connection, unit if isinstance(unit, int) else unit(), waiting)
    else:
        _sqlite_lock(connection, waiting)
    # a write session (a POST request) waited for SQLite's write lock as its transaction began
    return time.monotonic() - started + session.info.pop(WRITE_LOCK_WAITED, 0.0)


def _pg_lock(connection: Connection, unit_id: int, waiting: Callable[[], None] | None) -> None:
    keys = {"namespace": NAMESPACE, "unit": unit_id}
    deadline = time.monotonic() + WAIT_NOTICE_SECONDS
    while not connection.scalar(text("SELECT pg_try_advisory_xact_lock(:namespace, :unit)"), keys):
        if time.monotonic() >= deadline:
            if waiting is not None:
                waiting()
            connection.execute(text("SELECT pg_advisory_xact_lock(:namespace, :unit)"), keys)
            return
        time.sleep(_POLL_SECONDS)


def _sqlite_lock(connection: Connection, waiting: Callable[[], None] | None) -> None:
    dbapi = connection.connection.driver_connection
    busy_ms = dbapi.execute("PRAGMA busy_timeout").fetchone()[0]
    notice_ms = int(WAIT_NOTICE_SECONDS * 1000)
    started = time.monotonic()
    try:
        dbapi.execute(f"PRAGMA busy_timeout = {min(notice_ms, busy_ms)}")
        try:
            dbapi.execute(_SQLITE_TAKE_WRITE_LOCK)
            return
        except Exception as error:  # sqlite3.OperationalError
            if getattr(error, "sqlite_errorname", "") == "SQLITE_BUSY_SNAPSHOT" \
                    or time.monotonic() - started < notice_ms / 2000:
                raise WriteConflict() from error  # no wait happened: the transaction read first
            if getattr(error, "sqlite_errorname", "") != "SQLITE_BUSY":
                raise
        if waiting is not None:
            waiting()
        dbapi.execute(f"PRAGMA busy_timeout = {busy_ms}")
        try:
            dbapi.execute(_SQLITE_TAKE_WRITE_LOCK)
        except Exception as error:
            if getattr(error, "sqlite_errorname", "") == "SQLITE_BUSY_SNAPSHOT":
                raise WriteConflict() from error
            if getattr(error, "sqlite_errorname", "") == "SQLITE_BUSY":
                raise ImportBusy(f"另一导入已占用数据库超过 {busy_ms // 1000} 秒仍未完成，"
                                 "本次未做任何改动，请稍后重试") from None
            raise
    finally:
        dbapi.execute(f"PRAGMA busy_timeout = {busy_ms}")


def transient(error: BaseException) -> bool:
    """Whether running the transaction again can succeed: a SQLite write conflict, or a
    PostgreSQL deadlock / serialization failure."""
    if isinstance(error, WriteConflict):
        return True
    if isinstance(error, DBAPIError):
        orig = error.orig
        if getattr(orig, "sqlstate", None) in ("40P01", "40001"):  # deadlock, serialization
            return True
        if getattr(orig, "sqlite_errorname", None) == "SQLITE_BUSY_SNAPSHOT":
            return True
    return False


def retrying(attempt: Callable[[], T], *, rollback: Callable[[], None] = lambda: None,
             attempts: int = ATTEMPTS) -> T:
    """Run a boundary's ledger transaction (``attempt`` begins, locks and commits it) again
    when it meets a deadlock or write conflict; ``rollback`` ends a failed attempt's
    transaction when ``attempt`` does not.  After ``attempts`` tries the conflict becomes
    ``ImportBusy``: nothing was changed."""
    for number in range(1, attempts + 1):
        try:
            return attempt()
        except Exception as error:
            if not transient(error):
                raise
            rollback()
            if number == attempts:
                raise ImportBusy(f"与同时进行的其他操作冲突，已重试 {attempts} 次仍未完成，"
                                 "本次未做任何改动，请稍后重试") from None
            time.sleep(random.uniform(0.05, 0.2) * number)
    raise AssertionError("unreachable")  # pragma: no cover
