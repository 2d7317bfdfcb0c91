"""The evaluation of many projects reads its indicators on a second connection (PostgreSQL,
``bulk_read.SideReads``), a range of projects at a time, while the session reads projects and
spending: the results are exactly those of the straightforward project-by-project reading,
on committed data; a transaction that has written (its rows are not committed, another
connection cannot see them) reads everything itself; a failure of the second connection is
raised in the caller and gives the connection back."""

from __future__ import annotations

import threading
from decimal import Decimal
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.monitoring_builders import make_project, make_unit
from tests.services.test_monitoring_speed_equivalence import DATES, D, bulk, mixed_projects, straightforward
from tracker import migration
from tracker.db import Database, make_engine
from tracker.services import bulk_read
from tracker.services.monitoring import evaluate as evaluate_module
from tracker.services.monitoring.evaluate import evaluate, evaluate_dates


@pytest.fixture()
def committed(fresh_database_url: str) -> Iterator[tuple[Database, list[int]]]:
    """A database of its own holding the mixed projects, committed (a second connection sees
    them), and their ids."""
    database = Database(fresh_database_url)
    migration.upgrade(fresh_database_url, database.engine)
    with database.session() as session:
        ids = [p.id for p in mixed_projects(session)]
        session.commit()
    yield database, ids
    database.dispose()


@pytest.fixture()
def side_reads(monkeypatch: pytest.MonkeyPatch) -> list[bulk_read.SideReads]:
    """Every evaluation reads on a second connection when it can, several ranges of two
    projects each; the ``SideReads`` opened are listed."""
    opened: list[bulk_read.SideReads] = []
    original = bulk_read.SideReads.open.__func__  # type: ignore[attr-defined]

    def spy(cls: type[bulk_read.SideReads], *args: Any, **kwargs: Any) -> bulk_read.SideReads | None:
        reads = original(cls, *args, **kwargs)
        if reads is not None:
            opened.append(reads)
        return reads

    monkeypatch.setattr(bulk_read.SideReads, "open", classmethod(spy))
    monkeypatch.setattr(evaluate_module, "SIDE_READS_FROM", 0)
    monkeypatch.setattr(evaluate_module, "SIDE_RANGE_PROJECTS", 2)
    return opened


def test_indicators_read_on_a_second_connection_equal_the_straightforward_reading(
        committed: tuple[Database, list[int]], side_reads: list[bulk_read.SideReads],
        monkeypatch: pytest.MonkeyPatch) -> None:
    database, ids = committed
    postgres = database.engine.dialect.name == "postgresql"
    days = [D(day) for day in DATES]
    with database.session() as session:
        every = evaluate_dates(session, days + [D("2024-12-31")])  # a year without projects
        listed = evaluate_dates(session, days, ids[1:])
        current = evaluate(session, D("2025-06-30"), money_at_ledger_date=True)
        assert every[D("2024-12-31")] == {}
        for day in days:
            assert sorted(every[day]) == sorted(ids)
            for pid in ids:
                expected = straightforward(session, session.get(evaluate_module.Project, pid), day)
                assert bulk(every[day][pid]) == expected, (day, pid)
                if pid in ids[1:]:
                    assert bulk(listed[day][pid]) == expected, (day, pid)
            assert sorted(listed[day]) == sorted(ids[1:])
    assert len(side_reads) == (3 if postgres else 0)  # PostgreSQL: each call read on the side

    monkeypatch.setattr(bulk_read.SideReads, "open", classmethod(lambda cls, *args, **kwargs: None))
    with database.session() as session:
        alone = evaluate(session, D("2025-06-30"), money_at_ledger_date=True)
    assert {pid: bulk(e) for pid, e in current.items()} == {pid: bulk(e) for pid, e in alone.items()}
    assert len(side_reads) == (3 if postgres else 0)


def test_a_transaction_that_has_written_reads_its_own_rows(
        session: Session, side_reads: list[bulk_read.SideReads]) -> None:
    """The rows of the session's transaction are not committed: the evaluation reads them on
    its own connection (on PostgreSQL a second one would not see them)."""
    projects = mixed_projects(session)
    for day in ("2025-06-15", "2025-06-30"):
        result = evaluate(session, D(day))
        assert sorted(result) == sorted(p.id for p in projects)
        for project in projects:
            assert bulk(result[project.id]) == straightforward(session, project, D(day))
    assert side_reads == []


def test_a_failure_on_the_second_connection_is_raised_and_the_connection_given_back(
        committed: tuple[Database, list[int]], side_reads: list[bulk_read.SideReads],
        monkeypatch: pytest.MonkeyPatch) -> None:
    database, ids = committed
    if database.engine.dialect.name != "postgresql":
        pytest.skip("the second connection is read on PostgreSQL only")

    def failing(*args: Any) -> Iterator[Any]:
        raise RuntimeError("side read failed")
        yield  # a generator, like the real one

    monkeypatch.setattr(evaluate_module, "_indicator_ranges", failing)
    checked_out = database.engine.pool.checkedout()  # type: ignore[attr-defined]
    with database.session() as session:
        with pytest.raises(RuntimeError, match="side read failed"):
            evaluate(session, D("2025-06-30"))
    assert len(side_reads) == 1 and not side_reads[0].thread.is_alive()
    assert database.engine.pool.checkedout() == checked_out  # type: ignore[attr-defined]


def test_closing_early_stops_the_thread_waiting_to_hand_over(
        committed: tuple[Database, list[int]]) -> None:
    """The caller stops taking items (an error of its own): closing ends the thread, which
    waits on the full queue, and gives the connection back."""
    database, _ = committed
    if database.engine.dialect.name != "postgresql":
        pytest.skip("the second connection is read on PostgreSQL only")
    produced = threading.Event()

    def endless(connection: Any) -> Iterator[int]:
        number = 0
        while True:
            number += 1
            produced.set()
            yield number

    checked_out = database.engine.pool.checkedout()  # type: ignore[attr-defined]
    with database.session() as session:
        reads = bulk_read.SideReads.open(session, endless, ahead=1)
        assert reads is not None
        with reads:
            assert reads.next_item() == 1
            assert produced.wait(5)
        assert not reads.thread.is_alive()
    assert database.engine.pool.checkedout() == checked_out  # type: ignore[attr-defined]


def test_a_year_of_many_projects_is_read_in_ranges(
        committed: tuple[Database, list[int]], side_reads: list[bulk_read.SideReads]) -> None:
    """Projects of another year between those evaluated, and ranges holding none of the
    year's projects, change nothing."""
    database, ids = committed
    with database.session() as session:
        unit = make_unit(session, "财政局")
        for year in (2024, 2025, 2024):
            make_project(session, unit, year=year, indicators=[{"name": "企业数", "target_number": Decimal(10)}])
        session.commit()
    with database.session() as session:
        every = evaluate(session, D("2025-06-30"))
        assert {pid: bulk(e) for pid, e in every.items()} == \
            {p.id: straightforward(session, p, D("2025-06-30"))
             for p in session.query(evaluate_module.Project).filter_by(year=2025)}


def test_the_first_evaluation_of_a_new_engine_reads_on_the_side_too(
        committed: tuple[Database, list[int]], side_reads: list[bulk_read.SideReads]) -> None:
    """The server's version is known once connected: a process's first evaluation (nothing
    read before it) still reads on the second connection."""
    database, ids = committed
    fresh = Database(str(database.engine.url.render_as_string(hide_password=False)))
    try:
        with fresh.session() as session:
            assert sorted(evaluate(session, D("2025-06-30"))) == sorted(ids)
    finally:
        fresh.dispose()
    assert len(side_reads) == (1 if database.engine.dialect.name == "postgresql" else 0)


def test_a_pool_without_a_spare_connection_keeps_the_reads_on_the_session(
        committed: tuple[Database, list[int]], side_reads: list[bulk_read.SideReads]) -> None:
    """One connection in the pool, held by the session: the evaluation does not wait for a
    second one, it reads everything itself."""
    database, ids = committed
    engine = make_engine(str(database.engine.url.render_as_string(hide_password=False)),
                         pool_size=1, max_overflow=0, pool_timeout=1)
    try:
        with Session(engine) as session:
            result = evaluate(session, D("2025-06-30"))
            assert sorted(result) == sorted(ids)
            assert {pid: bulk(e) for pid, e in result.items()} == \
                {pid: straightforward(session, session.get(evaluate_module.Project, pid), D("2025-06-30"))
                 for pid in ids}
    finally:
        engine.dispose()
    assert side_reads == []


def test_jit_is_off_for_the_evaluations_reads_and_put_back_after(
        session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: the evaluation's queries run without JIT (compiling them cost more than
    running them) and the transaction's setting is what it was afterwards."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("JIT is PostgreSQL's")
    mixed_projects(session)
    seen: list[str] = []
    original = evaluate_module.project_rows

    def watching(*args: Any) -> Any:
        seen.append(session.connection().exec_driver_sql("SHOW jit").scalar_one())
        return original(*args)

    monkeypatch.setattr(evaluate_module, "project_rows", watching)
    session.connection().exec_driver_sql("SET LOCAL jit = on")
    evaluate(session, D("2025-06-30"))
    assert seen == ["off"]
    assert session.connection().exec_driver_sql("SHOW jit").scalar_one() == "on"
