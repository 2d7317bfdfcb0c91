"""The production web server: waitress, in one process or in several sharing one port.

One waitress process runs Python on one CPU at a time (the interpreter lock), however many
threads it has; ``workers`` > 1 forks that many processes (Linux, macOS) that accept
connections on the same listening socket, so a machine's CPUs all serve pages.  Each process
builds the application after the fork (its own database connections); their page caches
share a folder, so a page part is built once for all of them.  The first process to end (a
crash, a signal) ends the others.  Beside them a build process at a lower CPU priority builds
the whole-province pages into that folder (``tracker.web.builder``), so no request waits on
the interpreter lock of a build; it ends with the server.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import waitress

from tracker.errors import ConfigError
from tracker.web import builder as build_process
from tracker.web.cockpit import warm
from tracker.web.page_cache import share_between_processes


def serve(make_app: Callable[[], Any], *, host: str, port: int, threads: int, workers: int = 1,
          cache_folder: Path | None = None, listening: Callable[[], None] = lambda: None,
          build_process_wanted: bool = True) -> None:
    """Serve ``make_app()`` until stopped; ``listening()`` once the port is about to open.
    The page caches share ``cache_folder`` (emptied first: what an earlier server left there
    may come from other code) with each other and with the build process (``tracker.web.builder``:
    forked first, before any thread, where fork is available), which builds the slow parts;
    ``build_process_wanted`` False (``TRACKER_BUILD_PROCESS=0``): each worker rebuilds them in a
    thread of its own instead (``benchmarks/page_rebuilds.py`` compares the two)."""
    if workers > 1 and not hasattr(os, "fork"):
        raise ConfigError("多进程（--workers）需要 Linux 或 macOS")
    wanted = hasattr(os, "fork") and build_process_wanted
    if workers <= 1 and not wanted:
        cache_folder = None  # one process, building in its threads: no folder to share
    if cache_folder is not None:
        shutil.rmtree(cache_folder, ignore_errors=True)
    builder: tuple[int, int] | None = None
    if cache_folder is not None and wanted:
        builder = build_process.start(make_app, cache_folder)
    if workers <= 1:
        reaper = None if builder is None else _Reaper(builder[0])
        if threading.current_thread() is threading.main_thread():
            # a service manager's SIGTERM stops the server the way Ctrl+C does: the build
            # process is stopped and waited for below (the default would end this process only)
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        try:
            app = _ready(make_app, cache_folder, None if builder is None else builder[1])
            listening()
            waitress.serve(app, host=host, port=port, threads=threads, ident="tracker")
        finally:
            if reaper is not None:
                reaper.stop()
        return
    listener = socket.create_server((host, port), backlog=1024)
    listening()
    children, supervisor = [], os.getpid()
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # a worker
            status = 1
            try:
                signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
                build_process.die_with_parent(supervisor)  # a server killed outright leaves no worker
                waitress.serve(_ready(make_app, cache_folder, None if builder is None else builder[1]),
                               sockets=[listener], threads=threads, ident="tracker")
                status = 0
            except (KeyboardInterrupt, SystemExit):
                status = 0
            finally:
                os._exit(status)
        children.append(pid)
    listener.close()
    if builder is not None:
        os.close(builder[1])  # the workers hold it: the build process ends when they all have
    _supervise(children, None if builder is None else builder[0])


def _ready(make_app: Callable[[], Any], cache_folder: Path | None = None, wake: int | None = None) -> Any:
    """The application of one process.  With a build process (``wake``: its pipe) the slow
    parts are built there; without one, a thread of this process keeps the whole-province
    cockpit built (``tracker.web.cockpit.warm``) and rebuilds run in threads.  (Nothing is
    ``gc.freeze()``-d here: the evaluation moves its own objects out of the collector's way with
    ``gc.freeze()`` / ``gc.unfreeze()`` when nothing else is frozen, and
    ``gc.get_freeze_count()`` walks every frozen object, on each evaluation.)"""
    app = make_app()
    if cache_folder is not None:
        share_between_processes(app, cache_folder)
    if wake is not None:
        app.extensions["tracker.page_cache"].wake = wake
    else:
        warm(app)  # the whole-province cockpit at its opening date, built before a leader asks
    return app


def _supervise(children: list[int], builder: int | None = None) -> None:
    """Wait for the workers; on SIGTERM / Ctrl+C or when one ends, end them all (and the build
    process).  The build process ending alone is said and the workers go on without it."""
    def stop(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    stopped = False
    try:
        while True:
            pid, _status = os.wait()
            if pid == builder:
                print("tracker: 后台计算进程已退出，全省页面改由各工作进程自行计算", file=sys.stderr)
                builder = None
                continue
            print(f"tracker: 工作进程 {pid} 已退出，停止服务", file=sys.stderr)
            break
    except KeyboardInterrupt:
        stopped = True
    finally:
        _stop(children + ([] if builder is None else [builder]))
    if not stopped:
        raise SystemExit(1)


class _Reaper:
    """One process serving alone (no supervisor waits for its children): a thread waits for
    the build process, so that a build process that ends by itself (a crash) is reaped — no
    zombie — and said; the pages go on without it (``PageCache.ask_builder`` finds its pipe
    closed and builds in a thread)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.gone = threading.Event()
        self.stopping = threading.Event()  # the server ends it: nothing to say
        threading.Thread(target=self._wait, name="tracker-build-reaper", daemon=True).start()

    def _wait(self) -> None:
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:  # already waited for (``_stop``)
            return
        self.gone.set()
        if not self.stopping.is_set():
            print("tracker: 后台计算进程已退出，页面改由本进程自行计算", file=sys.stderr)

    def stop(self) -> None:
        """The server is stopping (Ctrl+C, SIGTERM, or it could not start): end the build
        process and wait for it, without saying it ended."""
        self.stopping.set()
        if not self.gone.is_set():
            _stop([self.pid])


def _stop(pids: list[int]) -> None:
    """SIGTERM to each of ``pids``, then wait for them."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for pid in pids:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


@contextmanager
def scheduler_beside(wanted: bool) -> Iterator[None]:
    """``tracker serve --with-scheduler``: the one scheduler (``tracker scheduler``) runs as a
    child process for as long as the server does, with the same settings (environment).  Ctrl+C
    reaches both (one process group); when the server stops for any other reason the scheduler
    is stopped too (SIGTERM: it stops its jobs and releases its lock).  A scheduler already
    active elsewhere keeps the lock and this one waits as its standby."""
    if not wanted:
        yield
        return
    child = subprocess.Popen([sys.executable, "-c", "from tracker.cli import main; main(['scheduler'])"])
    # a service manager's SIGTERM must run the finally below (the default would leave the child)
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
