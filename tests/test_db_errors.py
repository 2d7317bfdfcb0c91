"""The translation table of ``tracker.db_errors`` for the failures a test cannot cause for real
(a PostgreSQL disk filling up, a server starting up, an exhausted pool): the driver's own
exception classes, wrapped the way SQLAlchemy wraps them.  The faults that can be caused are
injected for real in tests/test_cli_failures.py and tests/web/test_error_pages.py."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from psycopg import errors as pg
from sqlalchemy import exc

from tracker.db_errors import database_failure
from tracker.errors import (
    ConnectionLost,
    DatabaseBusy,
    DatabaseConflict,
    DatabaseUnavailable,
    DiskFull,
)


def _wrapped(error: BaseException) -> exc.DBAPIError:
    return exc.OperationalError("SELECT 1", {}, error)  # type: ignore[arg-type]


@pytest.mark.parametrize(("error", "expected"), [
    (pg.DiskFull("could not extend file"), DiskFull),
    (pg.SerializationFailure("could not serialize access"), DatabaseConflict),
    (pg.DeadlockDetected("deadlock detected"), DatabaseConflict),
    (pg.LockNotAvailable("canceling statement due to lock timeout"), DatabaseBusy),
    (pg.QueryCanceled("canceling statement due to statement timeout"), DatabaseBusy),
    (pg.TooManyConnections("sorry, too many clients already"), DatabaseBusy),
    (pg.AdminShutdown("terminating connection due to administrator command"), ConnectionLost),
    (pg.CrashShutdown("terminating connection because of crash of another server process"), ConnectionLost),
    (pg.CannotConnectNow("the database system is starting up"), DatabaseUnavailable),
    (pg.InvalidCatalogName('database "x" does not exist'), DatabaseUnavailable),
    (pg.InvalidPassword('password authentication failed for user "x"'), DatabaseUnavailable),
    (psycopg.OperationalError('connection failed: connection to server at "127.0.0.1", port 9 failed: '
                              "Connection refused"), DatabaseUnavailable),
    (psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly"),
     ConnectionLost),
    (sqlite3.OperationalError("database or disk is full"), DiskFull),
    (sqlite3.OperationalError("disk I/O error"), DiskFull),
    (sqlite3.OperationalError("database is locked"), DatabaseBusy),
    (sqlite3.OperationalError("unable to open database file"), DatabaseUnavailable),
])
def test_driver_errors_bare_and_wrapped(error: BaseException, expected: type) -> None:
    for raised in (error, _wrapped(error)):
        failure = database_failure(raised)
        assert type(failure) is expected
        assert failure is not None and str(failure) == failure.message and "（" in str(failure)


def test_an_exhausted_pool_is_busy() -> None:
    assert isinstance(database_failure(exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached")),
                      DatabaseBusy)


def test_a_failure_raised_from_a_database_error_is_found_through_the_chain() -> None:
    try:
        try:
            raise _wrapped(sqlite3.OperationalError("database is locked"))
        except exc.DBAPIError as error:
            raise RuntimeError("while saving the batch") from error
    except RuntimeError as outer:
        assert isinstance(database_failure(outer), DatabaseBusy)


@pytest.mark.parametrize("error", [
    ValueError("not a database error"),
    pg.UniqueViolation("duplicate key value violates unique constraint"),
    sqlite3.IntegrityError("UNIQUE constraint failed: unit.code"),
    exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")),  # type: ignore[arg-type]
])
def test_other_errors_are_not_database_failures(error: BaseException) -> None:
    assert database_failure(error) is None


def test_a_full_disk_under_our_own_files_is_a_full_disk() -> None:
    import errno

    assert isinstance(database_failure(OSError(errno.ENOSPC, "No space left on device")), DiskFull)
    assert database_failure(OSError(errno.ENOENT, "No such file or directory")) is None
