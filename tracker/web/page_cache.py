"""Parts of pages that are costly to build, kept in the web process and keyed by what they show.

A key must hold everything a part depends on, the data version (``tracker.db.data_version``)
included, so an entry is never out of date: after any committed write the key changes and the
part is built again.  Nothing expires by time.  The least recently used entries go beyond
``size``.  When several requests want the same missing part at once, one builds it and the
others wait for it (a cockpit of 10,000 projects takes seconds to build; twenty requests
building it side by side would take twenty times as long).

A part that is slow to build (the whole-province cockpit: 50,000 projects, seconds) may
instead be served as last built while one thread rebuilds it (``kept_or_latest``): after
each commit nobody waits for the rebuild; the page says when its figures were built and that
they are being updated.  Only parts whose last build took ``slow_build`` seconds or more are
served so: a quick part is always rebuilt on the spot, so it is never out of date.  A key of a
*family* (keys that differ only in what the page chose by itself: the cockpit's opening date)
never built is shown as the member of its family built last, saying which, while it is built.

One cache per application (``page_cache()``); tests clear it between tests.  When several
server processes share a port (``tracker serve --workers``), each also finds what another has
built in ``folder`` (a pickle per key, written whole or not at all), and a lock file per key
lets one process build while the others wait: one build per key for the whole server.  The
folder belongs to one database (``share_between_processes`` names it after the database URL).
``tracker serve`` also starts a build process (``tracker.web.builder``) that rebuilds the slow
parts into the folder (``kept_or_latest``'s ``task``, ``PageCache.ask_builder``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from time import monotonic, perf_counter
from typing import IO, Any, Generic, TypeVar

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows runs one process: no folder
    fcntl = None  # type: ignore[assignment]

from flask import Flask, current_app, has_request_context, request
from sqlalchemy.orm import Session

from tracker.db import Database, data_version, has_uncommitted_changes

T = TypeVar("T")
MISSING = object()
PENDING: Any = object()  # ``latest``: never built, and its kind builds slowly
ASK_AGAIN = 30.0  # seconds: a key and version asked of the build process is asked again after this
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Built(Generic[T]):
    """The last build of a part: its value, the data version it shows, when it was built
    (UTC) and how long it took."""

    value: T
    version: Hashable
    at: datetime
    seconds: float


class PageCache:
    def __init__(self, size: int = 32, folder: Path | None = None) -> None:
        self.size = size
        self.folder = folder if fcntl is not None else None
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()
        self._latest: dict[Hashable, Built[Any]] = {}  # per key without the data version
        self._families: dict[Hashable, Hashable] = {}  # per family: the key built last
        self._refreshing: dict[Hashable, threading.Event] = {}
        self._kind_seconds: dict[Hashable, float] = {}  # per key[0]: how long its last build took
        #: How a rebuild is started: a daemon thread (a test whose requests share one
        #: connection runs it after its request instead).
        self.start: Callable[[Callable[[], None]], None] = _start_thread
        self.slow_build = 1.0  # seconds: a part that took this long may be served as last built
        #: The write end of the pipe that wakes the server's build process (``tracker.web.builder``),
        #: when it has one: a slow part is then rebuilt there, never in a thread of this process.
        self.wake: int | None = None
        self._asked: dict[Hashable, float] = {}  # (key, version) → when the build process was asked

    def latest(self, key: tuple[Hashable, ...], version: Hashable, build: Callable[[], T],
               family: Hashable | None = None) -> tuple[T, Built[T] | None]:
        """The entry of ``(*key, version)`` when kept, or, when the last build of ``key`` (at
        an older version) was slow, that build (second item: what is shown is as of its time);
        ``(PENDING, None)`` when ``key`` was never built and the last build of its kind
        (``key[0]``, say another date) was slow; the caller then rebuilds in the background
        (``kept_or_latest``).  Else built now.  ``build`` is timed and remembered as the
        latest of ``key`` (and of ``family``)."""
        found = self._lookup((*key, version))
        if found is MISSING:
            found = self._built_elsewhere(key, version)
        if found is not MISSING:
            return found, None  # type: ignore[return-value]
        last = self._latest_of(key)
        if last is not None and last.version == version:  # built by another process
            return last.value, None
        if last is not None and last.seconds >= self.slow_build:
            return last.value, last
        if last is None and self._kind_seconds.get(key[0], 0.0) >= self.slow_build:
            return PENDING, None  # type: ignore[return-value]
        return self.timed(key, version, build, family), None

    def timed(self, key: Hashable, version: Hashable, build: Callable[[], T],
              family: Hashable | None = None) -> T:
        """``get((*key, version), build)``, remembering the build as the latest of ``key`` (and
        of ``family``: see ``latest_of_family``)."""
        def measured() -> T:
            start = perf_counter()
            value = build()
            self._remember(key, Built(value, version, datetime.now(UTC), perf_counter() - start))
            if family is not None:
                self._remember_family(family, key)
            return value

        value = self.get((*key, version), measured)
        last = self._latest_of(key)
        if self.folder is not None and (last is None or last.value is not value):
            # built by another process: its build time is in the folder's latest (what the
            # next commit's "was it slow?" reads), not 0 for this process's load of it
            with self._lock:
                self._latest.pop(key, None)
            if self._latest_of(key) is None:
                self._remember(key, Built(value, version, datetime.now(UTC), 0.0))
        return value

    def _built_elsewhere(self, key: tuple[Hashable, ...], version: Hashable) -> Any:
        """The entry of ``(*key, version)`` another process (the build process, another
        worker) left in the folder, now kept here too; else ``MISSING``."""
        if self.folder is None:
            return MISSING
        try:
            with open(self.folder / f"{_name((*key, version))}.pickle", "rb") as file:
                value = pickle.load(file)
        except (OSError, EOFError, pickle.UnpicklingError):
            return MISSING
        with self._lock:
            self._entries[(*key, version)] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
            self._latest.pop(key, None)
        self._latest_of(key)  # how long it took (from the folder): a slow kind is never built here
        return value

    def ask_builder(self, key: Hashable, version: Hashable, task: tuple[str, tuple[Any, ...]],
                    family: Hashable | None, base_url: str) -> bool:
        """Ask the server's build process to build ``key`` (``task``: the name of its build in
        ``tracker.web.builder.TASKS`` and its arguments): a file in the folder, and a byte
        down the pipe to wake it.  False when there is no build process (any more): the caller
        builds in a thread.  Asked once per key and data version every ``ASK_AGAIN`` seconds."""
        if self.wake is None or self.folder is None:
            return False
        now = monotonic()
        with self._lock:
            if now - self._asked.get((key, version), -ASK_AGAIN) < ASK_AGAIN:
                return True
            self._asked[(key, version)] = now
            while len(self._asked) > 4 * self.size:
                self._asked.pop(next(iter(self._asked)))
        try:
            _write_whole(self.folder / f"ask-{_name((key, version))}.task", (key, task, family, base_url))
            os.write(self.wake, b"!")
        except BlockingIOError:
            pass  # the pipe is full of wake-ups: the build process looks at every ask anyway
        except OSError:
            log.error("后台计算进程已停止：全省页面改由本进程的线程计算")
            self.wake = None
            return False
        return True

    def last_build(self, key: Hashable) -> Built[Any] | None:
        """The last build of ``key`` (at whatever data version), when still known."""
        return self._latest_of(key)

    def latest_of_family(self, family: Hashable) -> tuple[Hashable, Built[Any]] | None:
        """The key of ``family`` built last (a family: the keys of one part that differ only in
        its date, say) and its last build, when still known."""
        with self._lock:
            key = self._families.get(family)
        if key is None and self.folder is not None:
            try:
                with open(self.folder / f"family-{_name(family)}.pickle", "rb") as file:
                    key = pickle.load(file)
            except (OSError, EOFError, pickle.UnpicklingError):
                key = None
        if key is None:
            return None
        last = self._latest_of(key)
        return None if last is None else (key, last)

    def _remember_family(self, family: Hashable, key: Hashable) -> None:
        with self._lock:
            self._families[family] = key
        if self.folder is not None:
            _write_whole(self.folder / f"family-{_name(family)}.pickle", key)

    def refresh_in_background(self, key: Hashable, refresh: Callable[[], None]) -> None:
        """Run ``refresh()`` in a thread (``self.start``) unless one is already refreshing ``key``."""
        with self._lock:
            if key in self._refreshing:
                return
            done = self._refreshing[key] = threading.Event()

        def run() -> None:
            try:
                refresh()
            except Exception:  # the next request tries again; the page keeps its last build
                log.exception("后台更新页面数据失败：%r", key)
            finally:
                with self._lock:
                    self._refreshing.pop(key, None)
                done.set()

        self.start(run)

    def wait_for_refreshes(self, timeout: float | None = None) -> None:
        """Wait until the rebuilds running in the background have finished."""
        with self._lock:
            running = list(self._refreshing.values())
        for done in running:
            done.wait(timeout)

    def _remember(self, key: Hashable, built: Built[Any]) -> None:
        with self._lock:
            if built.seconds and isinstance(key, tuple) and key:
                self._kind_seconds[key[0]] = built.seconds
            self._latest.pop(key, None)
            self._latest[key] = built  # newest last
            while len(self._latest) > self.size:
                self._latest.pop(next(iter(self._latest)))
        if self.folder is not None:  # the other processes serve it too after a commit
            _write_whole(self.folder / f"latest-{_name(key)}.pickle", built)

    def _latest_of(self, key: Hashable) -> Built[Any] | None:
        with self._lock:
            found = self._latest.get(key)
        if found is not None or self.folder is None:
            return found
        try:
            with open(self.folder / f"latest-{_name(key)}.pickle", "rb") as file:
                loaded: Built[Any] = pickle.load(file)
        except (OSError, EOFError, pickle.UnpicklingError):
            return None
        with self._lock:
            self._latest.setdefault(key, loaded)
            if loaded.seconds and isinstance(key, tuple) and key:
                self._kind_seconds[key[0]] = loaded.seconds
        return loaded

    def get(self, key: Hashable, build: Callable[[], T]) -> T:
        """The entry of ``key``, built by ``build()`` when missing (once, however many ask)."""
        found = self._lookup(key)
        if found is not MISSING:
            return found  # type: ignore[no-any-return]
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            found = self._lookup(key)  # built by the request we waited for
            if found is not MISSING:
                return found  # type: ignore[no-any-return]
            try:
                value = self._shared(key, build) if self.folder is not None else build()
                with self._lock:
                    self._entries[key] = value
                    while len(self._entries) > self.size:
                        self._entries.popitem(last=False)
            finally:
                with self._lock:
                    self._building.pop(key, None)
            return value

    def _shared(self, key: Hashable, build: Callable[[], T]) -> T:
        """From the folder, or built (by this process, the others waiting) and stored there."""
        assert self.folder is not None
        name = _name(key)
        stored = self.folder / f"{name}.pickle"
        with open(self.folder / f"{name}.lock", "a") as lock, _locked(lock):
            try:
                with open(stored, "rb") as file:
                    return pickle.load(file)  # type: ignore[no-any-return]
            except (OSError, EOFError, pickle.UnpicklingError):
                pass
            value = build()
            _write_whole(stored, value)
        self._prune()
        return value

    def _prune(self) -> None:
        """Keep the folder to the newest ``2 × size`` entries."""
        assert self.folder is not None
        stored = sorted(self.folder.glob("*.pickle"), key=_modified, reverse=True)
        for old in stored[2 * self.size:]:
            for path in (old, old.with_suffix(".lock")):
                path.unlink(missing_ok=True)

    def _lookup(self, key: Hashable) -> Any:
        with self._lock:
            if key not in self._entries:
                return MISSING
            self._entries.move_to_end(key)
            return self._entries[key]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._latest.clear()
            self._families.clear()
            self._kind_seconds.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _write_whole(path: Path, value: Any) -> None:
    """Pickle ``value`` into ``path``, whole or not at all (a temporary file, then renamed)."""
    with tempfile.NamedTemporaryFile("wb", dir=path.parent, suffix=".tmp", delete=False) as file:
        try:
            pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            os.unlink(file.name)
            raise
    os.replace(file.name, path)


def _start_thread(run: Callable[[], None]) -> None:
    threading.Thread(target=run, name="page-refresh", daemon=True).start()


def _name(key: Hashable) -> str:
    return hashlib.sha256(repr(_canonical(key)).encode()).hexdigest()


def _canonical(key: Any) -> Any:
    """``key`` in a form whose ``repr`` is the same in every process (sets sorted)."""
    if isinstance(key, (frozenset, set)):
        return ("set", tuple(sorted((_canonical(k) for k in key), key=repr)))
    if isinstance(key, tuple):
        return tuple(_canonical(k) for k in key)
    if isinstance(key, date):
        return key.isoformat()
    return key


def _locked(file: IO[str]) -> Any:
    if fcntl is None:  # pragma: no cover
        return nullcontext()
    return _flock(file)


@contextmanager
def _flock(file: IO[str]) -> Iterator[None]:
    fcntl.flock(file.fileno(), fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(file.fileno(), fcntl.LOCK_UN)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def page_cache() -> PageCache:
    """The application's cache (made on first use)."""
    return current_app.extensions.setdefault("tracker.page_cache", PageCache())


def share_between_processes(app: Flask, folder: Path) -> None:
    """Give ``app`` a cache that finds and leaves entries in ``folder`` (in a subfolder named
    after the database), for the other processes of the same server."""
    url = app.extensions["tracker.config"].database_url
    app.extensions["tracker.page_cache"] = PageCache(
        folder=folder / hashlib.sha256(url.encode()).hexdigest()[:16])


def kept(session: Session, key: tuple[Hashable, ...], build: Callable[[], T]) -> T:
    """What ``build()`` reads through ``session``, kept under ``key`` + the data version
    (read first, so the data read after it is at least as new).  Built afresh and not kept
    while the session's transaction holds changes not committed yet."""
    if has_uncommitted_changes(session):
        return build()
    return page_cache().get((*key, data_version(session)), build)


@dataclass(frozen=True)
class Shown(Generic[T]):
    """What ``kept_or_latest`` gives a page: the part (None while ``pending``) and, when it
    is its last build rather than up to date, when that was built (UTC); ``key``: the key of
    what is shown when it is another member of the family asked for (another date)."""

    value: T | None
    built_at: datetime | None = None
    pending: bool = False  # never built for this key, and its kind builds slowly: being built
    key: Hashable | None = None


def kept_or_latest(session: Session, key: tuple[Hashable, ...], build: Callable[[Session], T],
                   family: Hashable | None = None,
                   task: tuple[str, tuple[Any, ...]] | None = None) -> Shown[T]:
    """Like ``kept``, for a part that may be shown as last built: when the data changed since
    and that build was slow (``PageCache.slow_build``), it is returned with its build time
    while it is rebuilt — by the server's build process when there is one and ``task`` names
    the build there (``tracker.web.builder``: a process of its own at a lower CPU priority, so
    no request waits for the interpreter lock of a build), else by one thread of this process
    in a session of its own (``build(session)``, in a request context of its own so that it
    can make links) — and the next request after that finds it up to date.  A key never built
    whose kind builds slowly (the whole province at a new date) is ``pending`` while it is
    built: no request waits for it.  With a ``family`` (the keys of this part that differ only
    in what the page chose by itself, its opening date), such a key is instead shown as the
    member of the family built last (its ``key`` and time say which) while the one asked for
    is built."""
    if has_uncommitted_changes(session):
        return Shown(build(session))
    cache = page_cache()
    version = data_version(session)
    value, last = cache.latest(key, version, lambda: build(session), family)
    if value is not PENDING and last is None:
        return Shown(value)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    database: Database = app.extensions["tracker.db"]
    base_url = request.host_url if has_request_context() else "http://localhost/"

    def refresh() -> None:
        with app.test_request_context("/", base_url=base_url):
            fresh = database.session()
            try:
                cache.timed(key, data_version(fresh), lambda: build(fresh), family)
            finally:
                fresh.close()

    if task is None or not cache.ask_builder(key, version, task, family, base_url):
        cache.refresh_in_background(key, refresh)
    if last is not None:
        return Shown(value, last.at)
    other = None if family is None else cache.latest_of_family(family)
    if other is not None and other[0] != key:
        return Shown(other[1].value, other[1].at, key=other[0])
    return Shown(None, pending=True)
