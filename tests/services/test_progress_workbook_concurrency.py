"""Two confirms of one filled 填报表 at the same moment (a double click, two clerks) record its
values once: real threads running the real ``tracker progress import`` against a committed
SQLite file and PostgreSQL schema (``fresh_database_url``).

The interleaving that recorded twice is offered: each import, once it has checked what is
already reported and written its rows, waits (up to 3 s) for the other to get that far
before committing.  With the unit's lock the second cannot get there until the first has
committed, so it finds the values already reported."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.monitoring_builders import QUARTER_PLAN, add_ledger, make_project, make_unit
from tests.services.test_ledger_concurrency import in_threads, run_cli
from tests.services.test_progress_workbook import GOOD_INDICATORS, INDICATORS, fill
from tracker import migration
from tracker.db import Database
from tracker.models import ProgressReport
from tracker.services import progress_workbook


@pytest.fixture()
def database(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Database]:
    db = Database(fresh_database_url)
    migration.upgrade(fresh_database_url, db.engine)
    with db.session() as session:
        unit = make_unit(session, "科技局")
        project = make_project(session, unit, plan=QUARTER_PLAN, name="科技局专项", indicators=INDICATORS)
        add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-06-10", "100000")])
        session.commit()
    monkeypatch.setenv("TRACKER_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    yield db
    db.dispose()


def test_two_confirms_of_one_file_at_once_record_it_once(database: Database, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    template = tmp_path / "填报表.xlsx"
    assert run_cli("progress", "template", "--unit", "科技局", "--as-of", "2025-06-30", "--out", str(template)) == 0
    filled = tmp_path / "filled.xlsx"
    filled.write_bytes(fill(template.read_bytes(), GOOD_INDICATORS))
    barrier = threading.Barrier(2)
    real_apply = progress_workbook._apply

    def apply_then_wait(*args: Any, **kwargs: Any) -> None:
        real_apply(*args, **kwargs)
        try:
            barrier.wait(timeout=3)
        except threading.BrokenBarrierError:
            pass

    monkeypatch.setattr(progress_workbook, "_apply", apply_then_wait)
    codes = in_threads(lambda: run_cli("progress", "import", str(filled)),
                       lambda: run_cli("progress", "import", str(filled)))
    assert codes == [0, 0]
    with database.session() as session:
        counted = session.execute(select(ProgressReport.indicator_id, func.count()).group_by(
            ProgressReport.indicator_id)).all()
        assert sorted(n for _, n in counted) == [1, 1, 1, 1]
        assert session.scalar(select(func.min(ProgressReport.reported_on))) == date(2025, 6, 25)
