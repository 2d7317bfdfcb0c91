"""Parts of pages that are costly to build, kept in the web process and keyed by what they show.

A key must hold everything a part depends on, the data version (``tracker.db.data_version``)
included, so an entry is never out of date: after any committed write the key changes and the
part is built again.  Nothing expires by time.  The least recently used entries go beyond
``size``.  When several requests want the same missing part at once, one builds it and the
others wait for it (a cockpit of 10,000 projects takes seconds to build; twenty requests
building it side by side would take twenty times as long).

One cache per application (``page_cache()``); tests clear it between tests.  When several
server processes share a port (``tracker serve --workers``), each also finds what another has
built in ``folder`` (a pickle per key, written whole or not at all), and a lock file per key
lets one process build while the others wait: one build per key for the whole server.  The
folder belongs to one database (``share_between_processes`` names it after the database URL).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from pathlib import Path
from typing import IO, Any, TypeVar

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows runs one process: no folder
    fcntl = None  # type: ignore[assignment]

from flask import Flask, current_app
from sqlalchemy.orm import Session

from tracker.db import data_version, has_uncommitted_changes

T = TypeVar("T")
MISSING = object()


class PageCache:
    def __init__(self, size: int = 32, folder: Path | None = None) -> None:
        self.size = size
        self.folder = folder if fcntl is not None else None
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._building: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

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
        name = hashlib.sha256(repr(_canonical(key)).encode()).hexdigest()
        stored = self.folder / f"{name}.pickle"
        with open(self.folder / f"{name}.lock", "a") as lock, _locked(lock):
            try:
                with open(stored, "rb") as file:
                    return pickle.load(file)  # type: ignore[no-any-return]
            except (OSError, EOFError, pickle.UnpicklingError):
                pass
            value = build()
            with tempfile.NamedTemporaryFile("wb", dir=self.folder, suffix=".tmp", delete=False) as file:
                try:
                    pickle.dump(value, file, protocol=pickle.HIGHEST_PROTOCOL)
                except BaseException:
                    os.unlink(file.name)
                    raise
            os.replace(file.name, stored)
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

    def __len__(self) -> int:
        return len(self._entries)


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
