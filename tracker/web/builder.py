"""The server's build process: the slow page parts (the whole-province cockpit, the order of
every project on /monitoring) built in a process of their own, at a lower CPU priority.

A build of the whole province takes seconds of CPU (≈ 10 s at 50,000 projects).  In a thread of
a web worker it held that worker's interpreter lock, and the worker's other requests waited for
it.  ``tracker serve`` instead forks this process before its workers (``start``): it keeps the
cockpit at its opening date built (``cockpit.warm_once``, what each worker's warming thread did)
and builds what a worker asks for (``PageCache.ask_builder``: a file naming the key and its
``TASKS`` entry in the page cache's folder, and a byte down a pipe to wake it).  What it builds
goes into that folder, where the workers find it (``PageCache.latest``).

It runs at ``niceness`` (the workers' requests get the CPU first), ends when the server does (a
signal from the kernel when its parent dies, and the end of the pipe once every worker is gone),
and a build that fails is logged and asked again later while the pages show their last build.
If the process itself is gone, the workers build in a thread again (``ask_builder`` is False).
"""

from __future__ import annotations

import ctypes
import logging
import os
import pickle
import select
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from sqlalchemy.orm import Session

from tracker.db import Database, data_version
from tracker.services.monitoring import pages as monitoring_pages
from tracker.web import cockpit as cockpit_view
from tracker.web.page_cache import PageCache, page_cache, share_between_processes

log = logging.getLogger(__name__)
NICENESS = 10  # how much lower the build process's CPU priority is than the workers'
NAME = b"tracker-build"  # the process's name (``ps``, /proc/<pid>/comm)

#: The builds a worker may ask for, by name: each reads through the session it is given.
TASKS: dict[str, Callable[..., Any]] = {
    "cockpit": lambda session, user_id, selection: cockpit_view._build_sections(session, user_id, selection),
    "cockpit-departments": lambda session, selection, scope: cockpit_view._build_departments(
        session, selection, scope),
    "monitoring-order": lambda session, as_of: monitoring_pages.overview_order(session, as_of, None),
}


def start(make_app: Callable[[], Flask], cache_folder: Path, niceness: int = NICENESS,
          warm_every: float = cockpit_view.WARM_SECONDS) -> tuple[int, int]:
    """Fork the build process (call it before any thread is started, like the workers' fork);
    returns its pid and the write end of its wake-up pipe, for the workers
    (``PageCache.wake``, non-blocking: a request never waits on it)."""
    read_end, write_end = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(write_end)
            _die_with(parent)
            os.nice(niceness)
            run(make_app, cache_folder, read_end, warm_every)
            status = 0
        except (KeyboardInterrupt, SystemExit):
            status = 0
        except BaseException:
            log.exception("后台计算进程出错退出")
        finally:
            os._exit(status)
    os.close(read_end)
    os.set_blocking(write_end, False)
    return pid, write_end


def die_with_parent(parent: int, name: bytes | None = None) -> None:
    """SIGTERM to this process when its parent dies (Linux; ``name``: the process's name), and
    end now if the parent is already gone."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if name is not None:
            libc.prctl(15, name)  # PR_SET_NAME
    except (OSError, AttributeError):  # pragma: no cover - not Linux: the pipe's end ends it
        pass
    if os.getppid() != parent:
        sys.exit(0)


def _die_with(parent: int) -> None:
    # SIGTERM (the server stopping) ends the process where it stands, without unwinding: the
    # process only reads the database and writes whole cache files (renamed into place), and a
    # SystemExit raised in the middle of a query made psycopg try a rollback on a connection still
    # busy, which it printed in English ("error ignored in rollback …") on the server's stderr.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the process group: the server ends it
    die_with_parent(parent, NAME)


def run(make_app: Callable[[], Flask], cache_folder: Path, wake: int, warm_every: float) -> None:
    """The build process's loop: warm the opening cockpit every ``warm_every`` seconds, and
    answer what the workers ask as soon as woken; return when no worker is left (the pipe's
    end)."""
    app = make_app()
    share_between_processes(app, cache_folder)
    with app.app_context():
        cache = page_cache()
        next_warm = 0.0
        while True:
            readable, _, _ = select.select([wake], [], [], max(0.0, next_warm - time.monotonic()))
            if readable:
                if not os.read(wake, 4096):
                    return  # every worker is gone
                answer(cache)
            if time.monotonic() >= next_warm:
                try:
                    cockpit_view.warm_once()
                except Exception:
                    log.exception("预先计算全省驾驶舱失败")
                next_warm = time.monotonic() + warm_every


def answer(cache: PageCache) -> int:
    """Build what the workers asked for (oldest first; a key already built at the data version
    of now is only loaded); how many asks were answered.  A build that fails is logged."""
    assert cache.folder is not None
    database: Database = current_app.extensions["tracker.db"]
    asks = sorted(cache.folder.glob("ask-*.task"), key=_modified)
    for path in asks:
        try:
            with open(path, "rb") as file:
                key, (name, arguments), family, base_url = pickle.load(file)
            path.unlink(missing_ok=True)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError):
            continue
        with current_app.test_request_context("/", base_url=base_url):  # links
            session: Session = database.session()
            try:
                cache.timed(key, data_version(session), lambda: TASKS[name](session, *arguments), family)
            except Exception:
                log.exception("后台计算页面失败：%s", name)
            finally:
                session.close()
    return len(asks)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
