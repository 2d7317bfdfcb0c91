"""The scheduler's lock: one active scheduler per database.

On PostgreSQL the lock is a session-level advisory lock (``pg_try_advisory_lock``) held on a
connection of its own for as long as the scheduler is active, so two hosts sharing one
database never both run jobs; PostgreSQL releases it when that connection or its process
dies.  On SQLite (a file only shared on one host) it is ``scheduler.lock`` in the instance
folder, held with ``flock``; the kernel releases it when the process dies.

Both offer the same three calls: ``acquire()`` (try once, never wait), ``held()`` (still
ours: the connection answers) and ``release()``.
"""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from tracker.config import Config
from tracker.db import Database
from tracker.db_errors import database_failure

log = logging.getLogger(__name__)

#: The advisory lock key: the bytes of "tracker1" read as a signed 64-bit integer.
ADVISORY_KEY = int.from_bytes(b"tracker1", "big", signed=True)


class SchedulerLock:
    """Held by the one active scheduler (and by a one-off run of jobs)."""

    #: Where the lock lives, for messages ("数据库咨询锁", "文件 …/scheduler.lock").
    description = ""

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; True when this process holds it now."""
        raise NotImplementedError

    def held(self) -> bool:
        """Whether the lock is still ours (False once its connection is lost)."""
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError


class FileLock(SchedulerLock):
    def __init__(self, instance_path: str) -> None:
        self.path = Path(instance_path) / "scheduler.lock"
        self.description = f"锁文件 {self.path}"
        self._handle: IO[str] | None = None

    def acquire(self) -> bool:
        if self._handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._handle = handle
        return True

    def held(self) -> bool:
        return self._handle is not None

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


class AdvisoryLock(SchedulerLock):
    description = "PostgreSQL 咨询锁"

    def __init__(self, database: Database, key: int = ADVISORY_KEY) -> None:
        self.database = database
        self.key = key
        self._connection: Connection | None = None
        self._held = False

    def acquire(self) -> bool:
        if self._held:
            return True
        try:
            if self._connection is None:
                self._connection = self.database.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT")
            self._held = bool(self._connection.scalar(text("SELECT pg_try_advisory_lock(:key)"),
                                                      {"key": self.key}))
        except SQLAlchemyError as error:
            failure = database_failure(error)
            log.warning("无法连接数据库取得调度锁：%s", failure or "数据库出错")
            self._drop()
        return self._held

    def held(self) -> bool:
        if not self._held or self._connection is None:
            return False
        try:
            self._connection.scalar(text("SELECT 1"))
        except SQLAlchemyError:
            self._drop()  # the session, and with it the lock, is gone
            return False
        return True

    def release(self) -> None:
        if self._held and self._connection is not None:
            try:
                self._connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            except SQLAlchemyError:
                pass
        self._drop()

    def _drop(self) -> None:
        self._held = False
        if self._connection is not None:
            try:
                self._connection.close()
            except SQLAlchemyError:
                pass
            self._connection = None


def lock_for(database: Database, config: Config) -> SchedulerLock:
    """The lock that makes a scheduler the only active one on ``database``."""
    if database.engine.dialect.name == "postgresql":
        return AdvisoryLock(database)
    return FileLock(config.instance_path)
