"""The page cache: one build per key however many ask at once, least recently used out,
a failed build kept for nobody, and one build per key across processes sharing a folder."""

from __future__ import annotations

import threading
import time
from datetime import date
from pathlib import Path

import pytest

from tracker.web.page_cache import PageCache


def test_concurrent_requests_for_a_missing_entry_build_it_once() -> None:
    cache, started, release = PageCache(), threading.Event(), threading.Event()
    builds: list[int] = []

    def build() -> str:
        builds.append(1)
        started.set()
        release.wait(5)
        return "built"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get(("k",), build))) for _ in range(5)]
    for thread in threads:
        thread.start()
    started.wait(5)
    release.set()
    for thread in threads:
        thread.join(5)
    assert results == ["built"] * 5 and builds == [1]


def test_least_recently_used_entries_go_and_failures_are_not_kept() -> None:
    cache = PageCache(size=2)
    cache.get("a", lambda: 1)
    cache.get("b", lambda: 2)
    assert cache.get("a", lambda: 0) == 1  # a is now the most recent
    cache.get("c", lambda: 3)
    assert cache.get("a", lambda: 0) == 1 and cache.get("b", lambda: "again") == "again"
    assert len(cache) == 2

    def fail() -> None:
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        cache.get("d", fail)
    assert cache.get("d", lambda: 4) == 4


def test_processes_sharing_a_folder_build_each_key_once(tmp_path: Path) -> None:
    first, second = PageCache(folder=tmp_path), PageCache(folder=tmp_path)  # two server processes
    key = ("cockpit", 2025, None, date(2025, 6, 30), frozenset({3, 1, 2}), "token")
    assert first.get(key, lambda: {"overview": "<p>页</p>"}) == {"overview": "<p>页</p>"}
    same_key = ("cockpit", 2025, None, date(2025, 6, 30), frozenset({2, 3, 1}), "token")
    assert second.get(same_key, lambda: pytest.fail("built twice")) == {"overview": "<p>页</p>"}
    assert second.get(("cockpit", "other token"), lambda: "new") == "new"


def test_a_part_built_slowly_by_another_process_is_served_as_last_built_after_a_commit(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """How long the last build took travels through the folder: the process that only loaded
    a slow part another built still shows it as last built after the next commit."""
    builder, loader = PageCache(folder=tmp_path), PageCache(folder=tmp_path)  # two server processes
    builder.slow_build = loader.slow_build = 0.05

    def slow() -> str:
        time.sleep(0.06)
        return "v1"

    assert builder.latest(("cockpit",), "version-1", slow) == ("v1", None)
    assert loader.latest(("cockpit",), "version-1", lambda: "built again") == ("v1", None)
    value, last = loader.latest(("cockpit",), "version-2", lambda: "v2")  # after a commit
    assert value == "v1" and last is not None and last.seconds >= 0.05
    quick = PageCache(folder=tmp_path / "other")
    quick.slow_build = 0.05
    assert quick.latest(("cockpit",), "version-1", lambda: "q1") == ("q1", None)
    assert quick.latest(("cockpit",), "version-2", lambda: "q2") == ("q2", None)  # quick: rebuilt at once
