"""Real database faults, caused inside a session the way they happen in production.

Each fault takes the ``Session`` of a command or request and makes the database itself fail
(no exception is faked): SQLite fills up (``PRAGMA max_page_count``) or finds the file locked
by a second connection; PostgreSQL times out on a lock, picks this transaction as a deadlock
victim, or has its backend terminated.  ``EXPECTED`` says what the user must read.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.orm import Session

from tracker.models import Unit

_LOCK_KEY = 742_101


def disk_full(session: Session) -> None:
    """SQLite: no page may be added to the file, then rows that need pages are written."""
    pages = session.execute(text("PRAGMA page_count")).scalar_one()
    session.execute(text(f"PRAGMA max_page_count = {pages}"))
    session.add_all(Unit(code=f"F{i:05d}", name=f"填满磁盘的单位{i:05d}" * 4) for i in range(3000))
    session.flush()


def sqlite_locked(session: Session) -> None:
    """SQLite: another connection holds an exclusive transaction; we wait 0.1 s, then give up."""
    path = session.get_bind().url.database
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        session.execute(text("PRAGMA busy_timeout = 100"))
        session.add(Unit(code="L1", name="锁住时写入的单位"))
        session.flush()
    finally:
        other.execute("ROLLBACK")
        other.close()


def pg_lock_timeout(session: Session) -> None:
    """PostgreSQL: another transaction holds the lock; ``lock_timeout`` ends our wait."""
    with session.get_bind().connect() as other:
        other.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        session.execute(text("SET LOCAL lock_timeout = '100ms'"))
        try:
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        finally:
            other.rollback()


def pg_deadlock(session: Session) -> None:
    """PostgreSQL: we hold A and wait for B; another transaction holds B and, once it sees us
    waiting, waits for A.  We waited first, so our deadlock check runs first (deadlock_timeout
    after we began waiting) and PostgreSQL cancels us."""
    engine = session.get_bind()
    holds_b = threading.Event()
    problems: list[BaseException] = []
    our_pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    we_wait = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid AND wait_event_type = 'Lock'")

    def other_transaction() -> None:
        try:
            with engine.connect() as other, engine.connect() as observer:
                other.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY + 1})
                holds_b.set()
                deadline = time.monotonic() + 10
                while not observer.execute(we_wait, {"pid": our_pid}).scalar() and time.monotonic() < deadline:
                    observer.rollback()
                    time.sleep(0.01)
                other.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
                other.rollback()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            problems.append(error)
            holds_b.set()

    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    # not joined: the other transaction gets A only when the caller's boundary rolls us back
    threading.Thread(target=other_transaction, daemon=True).start()
    assert holds_b.wait(10), problems
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY + 1})
    raise AssertionError(f"no deadlock was detected ({problems})")


def pg_connection_lost(session: Session) -> None:
    """PostgreSQL: the server terminates our backend in the middle of the transaction."""
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    session.add(Unit(code="C1", name="连接中断前的单位"))
    session.flush()
    with session.get_bind().connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    time.sleep(0.1)
    session.execute(text("SELECT 1"))


#: fault → (backends it runs on, what the user reads)
FAULTS: dict[str, tuple[Callable[[Session], None], str, str]] = {
    "disk_full": (disk_full, "sqlite", "磁盘空间不足（本次操作已回滚，未保存任何改动）"),
    "sqlite_locked": (sqlite_locked, "sqlite", "另一导入正在进行"),
    "pg_lock_timeout": (pg_lock_timeout, "postgresql", "另一导入正在进行"),
    "pg_deadlock": (pg_deadlock, "postgresql", "与同时进行的另一操作冲突（已回滚，可重试）"),
    "pg_connection_lost": (pg_connection_lost, "postgresql", "连接中断（已回滚，可重试）"),
}

#: Latin words a Chinese message may contain (commands, variables); anything else is English.
ALLOWED_LATIN = {"tracker", "help", "TRACKER_DEBUG", "upgrade", "serve", "errors", "log", "logs"}


def english_words(message: str, allowed: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Latin words of three letters or more that are not commands, paths or variables."""
    return [word for word in re.findall(r"[A-Za-z_]{3,}", message)
            if word not in ALLOWED_LATIN and word not in allowed]
