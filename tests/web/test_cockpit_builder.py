"""The whole-province pages rebuilt by the server's build process (``tracker.web.builder``):
a worker only asks (a file in the page cache's folder and a byte down a pipe), never builds
in a thread of its own; what the build process builds into the folder is what the worker shows
next.  A build that fails is logged in Chinese and the page stays as last built; a build
process that is gone leaves the worker building in a thread, as before."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pytest

from tests.monitoring_builders import add_ledger, make_project, make_unit
from tracker.models import Role
from tracker.web import builder
from tracker.web.page_cache import PageCache

PLAN = {"03-31": "10", "06-30": "50", "10-31": "80", "12-31": "100"}
COCKPIT = "/cockpit?year=2025&as_of=2025-06-30"


def _spent(page: str) -> str:
    match = re.search(r'累计支出</span>\s*<span class="kpi-value">([\d,.]+)<small>', page)
    assert match, "no 累计支出 on the page"
    return match.group(1)


@pytest.fixture()
def worker(app, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The app's page cache as a worker's: a shared folder and the pipe of a build process
    (the read end returned), no thread ever started.  Each test makes every build count as
    slow (``slow_build = 0``) once its first page is built."""
    cache = app.extensions["tracker.page_cache"] = PageCache(folder=tmp_path / "cache")
    threads: list = []  # type: ignore[type-arg]
    cache.start = threads.append
    read_end, cache.wake = os.pipe()
    os.set_blocking(cache.wake, False)
    yield cache, read_end, threads
    for fd in (read_end, cache.wake):
        try:
            os.close(fd)
        except (OSError, TypeError):
            pass


def _build_process(app, cache: PageCache) -> int:  # type: ignore[no-untyped-def]
    """One round of the build process (its own cache on the same folder, nothing in memory)."""
    with app.app_context():
        return builder.answer(PageCache(folder=cache.folder))


def test_a_worker_asks_the_build_process_and_shows_what_it_built(app, client, logged_in, session, worker) -> None:  # type: ignore[no-untyped-def]
    cache, read_end, threads = worker
    unit = make_unit(session, "科技局")
    project = make_project(session, unit, plan=PLAN)
    session.commit()
    logged_in(Role.leader)
    assert _spent(client.get(COCKPIT).get_data(as_text=True)) == "0.00"  # first build: on the spot
    cache.slow_build = 0.0

    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "50000")])
    session.commit()
    stale = client.get(COCKPIT).get_data(as_text=True)
    assert _spent(stale) == "0.00" and "正在更新" in stale
    assert client.get(COCKPIT).status_code == 200
    assert threads == []  # nothing built in the worker
    assert os.read(read_end, 100) == b"!!"  # woken once per part (figures, departments), not per request
    assert len(list(cache.folder.glob("ask-*.task"))) == 2

    assert _build_process(app, cache) == 2
    assert list(cache.folder.glob("ask-*.task")) == []
    fresh = client.get(COCKPIT).get_data(as_text=True)
    assert _spent(fresh) == "5.00" and "正在更新" not in fresh and threads == []


def test_a_date_never_built_is_built_by_the_build_process(app, client, logged_in, session, worker) -> None:  # type: ignore[no-untyped-def]
    cache, _read_end, threads = worker
    unit = make_unit(session, "科技局")
    project = make_project(session, unit, plan=PLAN)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "50000")])
    session.commit()
    logged_in(Role.leader)
    client.get(COCKPIT)
    cache.slow_build = 0.0
    other_date = "/cockpit?year=2025&as_of=2025-05-31"
    assert client.get(other_date).status_code == 202 and threads == []
    _build_process(app, cache)
    built = client.get(other_date)
    assert built.status_code == 200 and _spent(built.get_data(as_text=True)) == "5.00"


def test_a_failed_build_is_logged_in_chinese_and_the_page_stays_as_last_built(
        app, client, logged_in, session, worker, caplog, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    cache, _read_end, threads = worker
    unit = make_unit(session, "科技局")
    project = make_project(session, unit, plan=PLAN)
    session.commit()
    logged_in(Role.leader)
    client.get(COCKPIT)
    cache.slow_build = 0.0
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "50000")])
    session.commit()
    client.get(COCKPIT)

    def broken(*_args):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setitem(builder.TASKS, "cockpit", broken)
    with caplog.at_level(logging.ERROR, logger="tracker.web.builder"):
        _build_process(app, cache)
    assert "后台计算页面失败：cockpit" in caplog.text
    page = client.get(COCKPIT)
    assert page.status_code == 200 and _spent(page.get_data(as_text=True)) == "0.00"
    assert "正在更新" in page.get_data(as_text=True) and threads == []


def test_without_the_build_process_the_worker_builds_in_a_thread(
        app, client, logged_in, session, worker, caplog) -> None:  # type: ignore[no-untyped-def]
    cache, read_end, threads = worker
    unit = make_unit(session, "科技局")
    project = make_project(session, unit, plan=PLAN)
    session.commit()
    logged_in(Role.leader)
    client.get(COCKPIT)
    cache.slow_build = 0.0
    os.close(read_end)  # the build process is gone
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "50000")])
    session.commit()
    with caplog.at_level(logging.ERROR, logger="tracker.web.page_cache"):
        stale = client.get(COCKPIT)
    assert stale.status_code == 200 and _spent(stale.get_data(as_text=True)) == "0.00"
    assert "后台计算进程已停止" in caplog.text and cache.wake is None
    assert len(threads) == 2
    for rebuild in threads:
        rebuild()
    assert _spent(client.get(COCKPIT).get_data(as_text=True)) == "5.00"


def test_a_worker_that_only_showed_the_build_processs_pages_knows_they_are_slow(
        app, client, logged_in, session, worker) -> None:  # type: ignore[no-untyped-def]
    """The opening page built by the build process alone (its warming); when the opening date
    moves the worker shows the date built last, labelled, and asks — it does not build the
    new date itself (it would wait there for the build process's lock on that page)."""
    from tracker.web import cockpit as cockpit_view

    cache, read_end, threads = worker
    unit = make_unit(session, "科技局")
    project = make_project(session, unit, plan=PLAN)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-01", "50000")])
    session.commit()
    logged_in(Role.leader)
    app.extensions["tracker.page_cache"] = PageCache(folder=cache.folder)  # the build process's
    with app.app_context():
        assert cockpit_view.warm_once() is True
    app.extensions["tracker.page_cache"] = cache
    cache.slow_build = 1e-6  # what the build process took counts as slow; an unknown kind does not
    built: list[str] = []
    original = cockpit_view._build_sections
    cockpit_view._build_sections = lambda *a: built.append("built") or original(*a)  # type: ignore[assignment]
    try:
        page = client.get("/cockpit?year=2025").get_data(as_text=True)
        assert "截至 2025-06-30</h1>" in page and _spent(page) == "5.00" and built == []
        add_ledger(session, unit, ("2025-07-01", "2025-07-31"), [(project, "2025-07-10", "30000")])
        session.commit()  # the opening date moves to 2025-07-31
        moved = client.get("/cockpit?year=2025").get_data(as_text=True)
        assert "截至 2025-06-30</h1>" in moved and "默认日期已变为 2025-07-31" in moved
        assert built == [] and threads == [] and os.read(read_end, 100)
    finally:
        cockpit_view._build_sections = original  # type: ignore[assignment]
