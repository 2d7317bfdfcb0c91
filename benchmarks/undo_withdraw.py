"""Undo of a ledger batch: the time ``corrections.withdraw_batch`` takes to find and mark what
rested on the batch, in a unit of many projects with many snapshots.

    python benchmarks/undo_withdraw.py [--projects 5000] [--snapshots 12] [--changed 50]
                                       [--runs 5] [--database URL]

Builds a fresh database (SQLite file by default) with one unit of N projects, each with
``--snapshots`` frozen checkpoint snapshots (month ends); every snapshot rests on an older
batch, those of the last two months also on the batch being undone.  ``--changed`` projects
had rows in that batch; the ledger's coverage does not move.  Prints the median time of
``withdraw_batch`` (rolled back after each run) and how many snapshots it marked.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402

from tracker import migration  # noqa: E402
from tracker.db import Database  # noqa: E402
from tracker.models import LedgerBatch, Project, Snapshot, Unit  # noqa: E402
from tracker.services import corrections  # noqa: E402


def build(database: Database, projects: int, snapshots: int) -> tuple[int, list[int]]:
    with database.session() as session:
        unit = Unit(code="B001", name="基准单位")
        session.add(unit)
        session.flush()
        batches = []
        for number, (start, end) in enumerate(((date(2025, 1, 1), date(2025, 10, 31)),
                                               (date(2025, 11, 1), date(2025, 12, 31)))):
            batch = LedgerBatch(unit_id=unit.id, source="国库集中支付", source_kind="payment_list",
                                file_name=f"b{number}.xlsx", checksum=f"{number:064d}", period_start=start,
                                period_end=end, period_source="stated", actor="bench")
            session.add(batch)
            session.flush()
            batches.append(batch.id)
        session.execute(insert(Project), [
            {"unit_id": unit.id, "year": 2025, "name": f"项目{n}", "natural_key": f"名称:项目{n}",
             "initial_budget": 1000000, "annual_budget": 1000000} for n in range(projects)])
        ids = list(session.scalars(select(Project.id).order_by(Project.id)))
        zero = 0
        rows = []
        for project_id in ids:
            for month in range(1, snapshots + 1):
                day = date(2025, month, 28)
                rows.append({"project_id": project_id, "kind": "checkpoint", "as_of": day, "money_as_of": day,
                             "frozen": True, "evaluated_on": day, "budget": zero, "spent": zero,
                             "planned_pct": zero, "money_status": "green", "ledger_covered": True,
                             "results_status": "grey", "overall_status": "green", "forecast": zero,
                             "carry_over": zero, "forecast_run_rate": zero, "carry_over_run_rate": zero,
                             "indicators": [], "version": 1,
                             "basis_batch_ids": batches if month > snapshots - 2 else batches[:1]})
        for start in range(0, len(rows), 5000):
            session.execute(insert(Snapshot), rows[start:start + 5000])
        session.commit()
        if database.engine.dialect.name == "postgresql":  # statistics, as autovacuum keeps them
            session.execute(text("ANALYZE"))
            session.commit()
        return batches[1], ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=5000)
    parser.add_argument("--snapshots", type=int, default=12)
    parser.add_argument("--changed", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", help="SQLAlchemy URL of an empty database (default: a new SQLite file)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = options.database or f"sqlite:///{Path(folder) / 'undo.db'}"
        database = Database(url)
        migration.upgrade(url, database.engine)
        batch_id, project_ids = build(database, options.projects, options.snapshots)
        changed = project_ids[:options.changed]
        times, marked = [], 0
        for _ in range(options.runs):
            with database.session() as session:
                batch = session.get(LedgerBatch, batch_id)
                started = time.perf_counter()
                result = corrections.withdraw_batch(session, batch, changed, date(2025, 12, 31), date(2025, 12, 31))
                times.append(time.perf_counter() - started)
                marked = result.snapshots
                session.rollback()
        database.dispose()
    print(f"{options.projects} projects × {options.snapshots} snapshots, {options.changed} changed: "
          f"withdraw_batch median {statistics.median(times) * 1000:.0f} ms, {marked} snapshots marked")


if __name__ == "__main__":
    main()
