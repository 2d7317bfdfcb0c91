"""Database failures in the user's words.

``database_failure(error)`` reads what SQLAlchemy or the driver raised (sqlite3, psycopg; the
ledger import writes through the bare driver, so both wrapped and bare errors occur) and returns
the ``DatabaseFailure`` a person can act on, or ``None`` when the error is not one of the
failures below.  The CLI's ``main()`` and the web's error pages call it; nothing else needs to.

=========================================  =====================  ====  ===
cause                                      class                  HTTP  exit
=========================================  =====================  ====  ===
SQLite "database or disk is full",         ``DiskFull``           507   74
"disk I/O error"; PostgreSQL 53100; any
OSError ENOSPC (uploads, evidence, reports)
SQLite "database is locked"; PostgreSQL    ``DatabaseBusy``       503   75
lock timeout (55P03), statement timeout
(57014), too many connections (53300);
the connection pool exhausted
PostgreSQL deadlock (40P01), serialization ``DatabaseConflict``   503   75
failure (40001)
the server went away mid-work (57P01,      ``ConnectionLost``     503   75
57P02, a closed connection)
cannot connect, no such database, bad      ``DatabaseUnavailable`` 503   3
password, unreadable file
=========================================  =====================  ====  ===
"""

from __future__ import annotations

import errno
import sqlite3

from sqlalchemy import exc as sa_exc

from tracker.errors import (
    ConnectionLost,
    DatabaseBusy,
    DatabaseConflict,
    DatabaseFailure,
    DatabaseUnavailable,
    DiskFull,
)

# sqlite3 primary result codes (https://sqlite.org/rescode.html)
_SQLITE_IOERR, _SQLITE_FULL = 10, 13
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_SQLITE_READONLY, _SQLITE_CORRUPT, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 8, 11, 14, 26

_PG_BY_SQLSTATE: dict[str, type[DatabaseFailure]] = {
    "53100": DiskFull,            # disk_full
    "55P03": DatabaseBusy,        # lock_not_available (lock_timeout, NOWAIT)
    "57014": DatabaseBusy,        # query_canceled (statement_timeout)
    "53300": DatabaseBusy,        # too_many_connections
    "40P01": DatabaseConflict,    # deadlock_detected
    "40001": DatabaseConflict,    # serialization_failure
    "57P01": ConnectionLost,      # admin_shutdown (pg_terminate_backend, server stopping)
    "57P02": ConnectionLost,      # crash_shutdown
    "57P03": DatabaseUnavailable,  # cannot_connect_now (starting up, recovering)
    "3D000": DatabaseUnavailable,  # invalid_catalog_name: no such database
    "28P01": DatabaseUnavailable,  # invalid_password
    "28000": DatabaseUnavailable,  # invalid_authorization_specification
}
_PG_BY_CLASS: dict[str, type[DatabaseFailure]] = {
    "08": ConnectionLost,  # connection_exception
}
_MAX_CHAIN = 10


def database_failure(error: BaseException) -> DatabaseFailure | None:
    """The user's ``DatabaseFailure`` for ``error`` (or what it was raised from), else None."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen and len(seen) < _MAX_CHAIN:
        seen.add(id(current))
        found = _translate(current)
        if found is not None:
            return found
        current = current.__cause__ or current.__context__
    return None


def _translate(error: BaseException) -> DatabaseFailure | None:
    if isinstance(error, DatabaseFailure):
        return error
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return DiskFull()  # the same for the user whether SQLite or tracker's own files hit it
    if isinstance(error, sa_exc.TimeoutError):  # the pool had no free connection in time
        return DatabaseBusy()
    driver_error: BaseException = error
    if isinstance(error, sa_exc.DBAPIError):
        if error.orig is None:
            return None
        driver_error = error.orig
        if error.connection_invalidated and not _is_connect_failure(driver_error):
            return _from_pg(driver_error) or ConnectionLost()
    if isinstance(driver_error, sqlite3.Error):
        return _from_sqlite(driver_error)
    return _from_pg(driver_error)


def _from_sqlite(error: sqlite3.Error) -> DatabaseFailure | None:
    code = getattr(error, "sqlite_errorcode", None)
    text = str(error).lower()
    primary = code & 0xFF if isinstance(code, int) else None
    if primary == _SQLITE_FULL or "database or disk is full" in text:
        return DiskFull()
    if primary == _SQLITE_IOERR or "disk i/o error" in text:
        return DiskFull("磁盘读写失败，可能磁盘空间不足（本次操作已回滚，未保存任何改动）")
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED) or "database is locked" in text:
        return DatabaseBusy()
    if primary == _SQLITE_READONLY:
        return DatabaseUnavailable("数据库文件只读，无法写入（请检查文件权限）")
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return DatabaseUnavailable("数据库文件已损坏或不是数据库文件（请从备份恢复）")
    if primary == _SQLITE_CANTOPEN or "unable to open database" in text:
        return DatabaseUnavailable("数据库不可用：无法打开数据库文件（请检查路径与权限）")
    return None


def _from_pg(error: BaseException) -> DatabaseFailure | None:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return None
    if not isinstance(error, psycopg.Error):
        return None
    state = error.sqlstate or ""
    kind = _PG_BY_SQLSTATE.get(state) or _PG_BY_CLASS.get(state[:2])
    if kind is not None:
        return kind()
    if isinstance(error, psycopg.OperationalError) and not state:
        return DatabaseUnavailable() if _is_connect_failure(error) else ConnectionLost()
    return None


def _is_connect_failure(error: BaseException) -> bool:
    """psycopg's error when no connection could be made at all (refused, unknown host, no
    such database), as opposed to one that broke while in use."""
    text = str(error)
    return text.startswith("connection failed") or ("connection to server" in text and "failed" in text)


__all__ = ["database_failure"]
