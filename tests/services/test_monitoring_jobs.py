"""The scheduler's bulk paths (``freeze_every_checkpoint``, ``record_every_checkpoint``,
``refresh_daily``): what they store is what the evaluation says, on SQLite (executemany) and on
PostgreSQL (COPY, staged UPDATE) alike; a second run stores and raises nothing; the data
version sees the copied rows."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests.monitoring_builders import add_ledger, make_project, make_unit, report
from tracker.db import data_version, has_uncommitted_changes
from tracker.models import Alert, Snapshot
from tracker.services.monitoring.evaluate import evaluate
from tracker.services.monitoring.snapshots import (
    basis_ids,
    freeze_every_checkpoint,
    ledger_basis,
    record_every_checkpoint,
    refresh_daily,
)

PLAN = {"03-31": "10", "06-30": "50", "10-31": "80", "12-31": "100"}
D = date.fromisoformat
SATISFACTION = {"name": "企业满意度", "target_number": Decimal(90), "target_unit": "%"}


@pytest.fixture()
def projects(session):  # type: ignore[no-untyped-def]
    """Three projects of one unit whose ledger covers the first half year, one of another
    unit whose ledger stops in May (its June checkpoint stays provisional)."""
    unit, lagging = make_unit(session), make_unit(session, "教育局")
    red = make_project(session, unit, plan=PLAN, indicators=[SATISFACTION, {"name": "支持企业数",
                                                                          "target_number": Decimal(10)}])
    green = make_project(session, unit, plan=PLAN, indicators=[SATISFACTION])
    plain = make_project(session, unit)  # the default plan, no indicator
    late = make_project(session, lagging, plan=PLAN, indicators=[SATISFACTION])
    report(session, green.indicators[0], "2025-03-20", value="95")
    report(session, red.indicators[1], "2025-06-10", value="3")
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"),
               [(red, "2025-02-10", "50000"), (green, "2025-03-05", "120000"), (green, "2025-06-20", "400000"),
                (plain, "2025-05-01", "333333.33")])
    add_ledger(session, lagging, ("2025-01-01", "2025-05-31"), [(late, "2025-03-01", "90000")])
    return [red, green, plain, late]


def _stored(session, kind: str) -> dict[tuple[int, date], Snapshot]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return {(s.project_id, s.as_of): s for s in session.scalars(select(Snapshot).where(Snapshot.kind == kind))}


def _same_as_evaluated(session, snapshot: Snapshot, as_of: date, *, daily: bool) -> None:  # type: ignore[no-untyped-def]
    evaluation = evaluate(session, as_of, [snapshot.project_id], money_at_ledger_date=daily)[snapshot.project_id]
    values = evaluation.snapshot_values()
    values["basis_batch_ids"] = basis_ids(ledger_basis(session), evaluation.unit_id, as_of.year)
    assert {name: getattr(snapshot, name) for name in values} == values
    assert snapshot.frozen == (evaluation.ledger_covered and not daily)
    assert snapshot.evaluated_at is not None and snapshot.evaluated_at.tzinfo == UTC
    assert snapshot.version == 1 and snapshot.withdrawn_batch_id is None


def test_the_nightly_job_stores_what_the_evaluation_says(session, projects) -> None:  # type: ignore[no-untyped-def]
    red, green, plain, late = projects
    stored = freeze_every_checkpoint(session, D("2025-07-10"))
    refresh_daily(session, D("2025-07-10"))

    checkpoints = _stored(session, "checkpoint")
    assert sorted(checkpoints) == sorted((p.id, D(day)) for p in projects for day in ("2025-03-31", "2025-06-30"))
    assert (stored.count, stored.late, stored.snapshots) == (8, 8, [])
    for (_, as_of), snapshot in checkpoints.items():
        _same_as_evaluated(session, snapshot, as_of, daily=False)
        assert snapshot.late and snapshot.evaluated_on == D("2025-07-10")
    assert not checkpoints[late.id, D("2025-06-30")].frozen  # the ledger stops in May
    daily = _stored(session, "daily")
    assert sorted(daily) == sorted((p.id, D("2025-07-10")) for p in projects)
    for snapshot in daily.values():
        _same_as_evaluated(session, snapshot, D("2025-07-10"), daily=True)
    flagged = {(a.project_id, a.as_of) for a in session.scalars(select(Alert).where(Alert.kind == "checkpoint_flagged"))}
    assert flagged == {key for key, s in checkpoints.items() if s.frozen and s.overall_status in ("yellow", "red")}

    # an ordinary night: the provisional June checkpoint frozen once the ledger covers it,
    # every daily snapshot replaced in place (same rows, new values)
    add_ledger(session, late.unit, ("2025-06-01", "2025-06-30"), [(late, "2025-06-15", "10000")])
    report(session, red.indicators[0], "2025-07-01", value="99")
    provisional = checkpoints[late.id, D("2025-06-30")].id
    assert freeze_every_checkpoint(session, D("2025-07-11")).count == 1
    refresh_daily(session, D("2025-07-11"))
    again = _stored(session, "checkpoint")
    assert again[late.id, D("2025-06-30")].id == provisional and again[late.id, D("2025-06-30")].frozen
    _same_as_evaluated(session, again[late.id, D("2025-06-30")], D("2025-06-30"), daily=False)
    assert again[late.id, D("2025-06-30")].evaluated_on == D("2025-07-11")
    refreshed = _stored(session, "daily")
    assert {s.id for s in refreshed.values()} == {s.id for s in daily.values()}
    for snapshot in refreshed.values():
        assert snapshot.as_of == D("2025-07-11")
        _same_as_evaluated(session, snapshot, D("2025-07-11"), daily=True)


def test_a_job_run_twice_stores_and_raises_nothing_twice(session, projects) -> None:  # type: ignore[no-untyped-def]
    def counts() -> tuple[int, int]:
        return (session.scalar(select(func.count()).select_from(Snapshot)) or 0,
                session.scalar(select(func.count()).select_from(Alert)) or 0)

    assert freeze_every_checkpoint(session, D("2025-07-10")).count == 8
    refresh_daily(session, D("2025-07-10"))
    after_first = counts()
    assert after_first[1] > 0  # the red project's checkpoints and its status were flagged
    assert freeze_every_checkpoint(session, D("2025-07-10")).count == 0  # still provisional: left as it is
    assert refresh_daily(session, D("2025-07-10")) == []
    assert counts() == after_first
    on_day = record_every_checkpoint(session, D("2025-06-30"))  # the provisional one evaluated again
    assert (on_day.count, on_day.late) == (1, 0) and counts() == after_first


def test_copied_snapshots_change_the_data_version(session) -> None:  # type: ignore[no-untyped-def]
    """The checkpoint job on its day writes nothing but snapshots (COPY on PostgreSQL) and
    alerts (not in the data version): the version still moves."""
    unit = make_unit(session)
    project = make_project(session, unit, plan=PLAN)
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-02-10", "100000")])
    session.commit()
    before = data_version(session)
    assert record_every_checkpoint(session, D("2025-06-30")).count == 1
    assert has_uncommitted_changes(session)
    session.commit()
    assert data_version(session) != before
