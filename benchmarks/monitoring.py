"""Monitoring speed: a full 双监控 evaluation of every project at one date (issue: under 1 s).

    python benchmarks/monitoring.py [--projects 10000] [--indicators 10] [--rows 1000000]
                                    [--runs 5] [--database PATH]

Builds a fresh SQLite database with N projects (100 per unit, 70% with their own plan),
N × 10 indicators (60% with one to three progress reports) and 1,000,000 ledger rows
(project month totals refreshed as an import would), then measures in the same run:

  * tracker: ``evaluate(session, as_of)`` — grouped queries, month totals, core rules;
  * naive: project by project, each project's spending summed from its raw ledger rows,
    its plan, indicators, reports and ledger coverage read with their own queries;

checks both give the same overall colour, money status and 执行率 for every project (at the
mid-month date for every 20th project), and prints the times (median of ``--runs`` evaluations
at each date, interleaved) and their ratio.  It also measures a candidate covering index on
``ledger_row``, created for the measurement and dropped after it (a proposal, not part of the
schema): the partial-month sum is timed alone in both query shapes, without and with the
index, and the mid-month evaluation with it is estimated from those times.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import timeit
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from tracker import migration  # noqa: E402
from tracker.core.forecast import forecast_year_end  # noqa: E402
from tracker.core.indicators import IndicatorStatus, ReportedIndicator, indicator_status, results_status  # noqa: E402
from tracker.core.money import judge_money, ledger_covers  # noqa: E402
from tracker.core.plan import PlanCheckpoint, default_plan_for, planned_pct  # noqa: E402
from tracker.core.status import overall_status  # noqa: E402
from tracker.db import Database  # noqa: E402
from tracker.models import (  # noqa: E402
    Indicator,
    LedgerBatch,
    LedgerRow,
    PlanPoint,
    ProgressReport,
    Project,
    Unit,
)
from tracker.services import spending  # noqa: E402
from tracker.services.monitoring.evaluate import ProjectEvaluation, evaluate  # noqa: E402
from tracker.services.monitoring.settings import reminder_settings  # noqa: E402
from tracker.services.settings import monitoring_settings  # noqa: E402
from tracker.services.spending import closed_through, counted_rows, refresh_month_totals  # noqa: E402

YEAR = 2025
PER_UNIT = 100
KINDS = ["quantitative"] * 7 + ["reverse", "qualitative", "deadline"]
LEVELS = ["达成目标", "部分达成目标并具有一定效果", "未达成目标且效果较差"]


def build(session: Session, projects: int, per_project: int, rows: int, rng: random.Random) -> None:
    units = projects // PER_UNIT or 1
    session.execute(insert(Unit.__table__), [{"code": f"{i:06d}", "name": f"单位{i}"} for i in range(units)])
    unit_ids = list(session.scalars(select(Unit.id).order_by(Unit.id)))
    session.execute(insert(Project.__table__), [{
        "unit_id": unit_ids[i % units], "year": YEAR, "code": f"P{i:08d}", "name": f"项目{i}",
        "natural_key": f"P{i:08d}", "initial_budget": Decimal(rng.randrange(100_000, 5_000_000)),
        "annual_budget": Decimal(rng.randrange(100_000, 5_000_000)), "plan_confirmed": True,
    } for i in range(projects)])
    project_ids = list(session.execute(select(Project.id, Project.unit_id).order_by(Project.id)))
    points, indicators = [], []
    for pid, _unit in project_ids:
        if rng.random() < 0.7:
            cumulative = sorted(rng.sample(range(5, 100), 3)) + [100]
            points += [{"project_id": pid, "checkpoint": date(YEAR, m, d), "cumulative_pct": Decimal(p),
                        "is_default": False}
                       for (m, d), p in zip(((3, 31), (6, 30), (10, 31), (12, 31)), cumulative)]
        for position in range(per_project):
            kind = rng.choice(KINDS)
            indicators.append({
                "project_id": pid, "position": position, "level1": "产出指标", "level2": "数量指标",
                "name": f"指标{position}", "target_raw": "…", "kind": kind,
                "op": {"quantitative": ">=", "reverse": "<="}.get(kind),
                "target_number": Decimal(rng.randrange(1, 500)) if kind in ("quantitative", "reverse") else None,
                "deadline": date(YEAR, rng.randrange(3, 13), 1) if kind == "deadline" else None})
    session.execute(insert(PlanPoint.__table__), points)
    session.execute(insert(Indicator.__table__), indicators)
    reports = []
    for iid, pid, kind, target in session.execute(select(Indicator.id, Indicator.project_id, Indicator.kind,
                                                         Indicator.target_number)):
        if rng.random() < 0.6:
            for _ in range(rng.randrange(1, 4)):
                day = date(YEAR, 1, 1) + timedelta(days=rng.randrange(0, 200))
                reports.append({
                    "project_id": pid, "indicator_id": iid, "reported_on": day, "actor": "bench",
                    "value": Decimal(rng.randrange(0, int(target) + 1)) if target is not None else None,
                    "achievement": rng.choice(LEVELS) if kind == "qualitative" else None,
                    "completed_on": day if kind == "deadline" and rng.random() < 0.5 else None})
    session.execute(insert(ProgressReport.__table__), reports)
    batches = {}
    for unit_id in unit_ids:
        batches[unit_id] = session.execute(insert(LedgerBatch).returning(LedgerBatch.id), [{
            "unit_id": unit_id, "source": "国库集中支付", "source_kind": "payment_list",
            "file_name": "bench.xlsx", "checksum": f"{unit_id:064d}", "period_start": date(YEAR, 1, 1),
            "period_end": date(YEAR, 6, 30), "period_source": "stated", "actor": "bench"}]).scalar_one()
    session.flush()
    sqlite = session.connection().connection.driver_connection
    default_cache = sqlite.execute("PRAGMA cache_size").fetchone()[0]
    sqlite.execute("PRAGMA cache_size = -524288")  # 512 MB while a million rows enter three indexes
    days = [(date(YEAR, 1, 1) + timedelta(days=d)).isoformat() for d in range(181)]
    sqlite.executemany(
        "INSERT INTO ledger_row (batch_id, unit_id, row_number, date, debit, credit, amount, counts,"
        " project_id, match_method) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, 'code')",
        (_ledger_row(n, project_ids, batches, days, rng) for n in range(rows)))
    refresh_month_totals(session, [pid for pid, _ in project_ids])
    sqlite.execute(f"PRAGMA cache_size = {default_cache}")  # measure with SQLite's usual cache


def _ledger_row(n: int, projects: list, batches: dict, days: list, rng: random.Random) -> tuple:  # type: ignore[type-arg]
    pid, unit_id = projects[n % len(projects)]
    amount = rng.randrange(-2_000, 2_000_000)  # 分; some 红字 reversals
    matched = rng.random() > 0.03
    return (batches[unit_id], unit_id, n, days[rng.randrange(len(days))], max(amount, 0), amount,
            1 if rng.random() > 0.05 else 0, pid if matched else None)


Outcome = tuple[str, str, Decimal | None]  # overall colour, money status, 执行率


def outcome(evaluation: ProjectEvaluation) -> Outcome:
    return evaluation.overall, evaluation.money.status, evaluation.money.execution_rate


def naive(session: Session, as_of: date, project_ids: list[int] | None = None) -> dict[int, Outcome]:
    """Project by project from raw ledger rows: the way a straightforward page would do it."""
    settings, reminders = monitoring_settings(session), reminder_settings(session)
    outcomes = {}
    query = select(Project).where(Project.year == as_of.year)
    if project_ids is not None:
        query = query.where(Project.id.in_(project_ids))
    for project in session.scalars(query):
        plan = tuple(PlanCheckpoint(p.checkpoint, p.cumulative_pct) for p in session.scalars(
            select(PlanPoint).where(PlanPoint.project_id == project.id))) or default_plan_for(project.year, settings)
        spent = session.scalar(counted_rows(select(func.coalesce(func.sum(LedgerRow.amount), 0))).where(
            LedgerRow.project_id == project.id,
            LedgerRow.date >= date(as_of.year, 1, 1), LedgerRow.date <= as_of))
        spent = Decimal(spent)
        covered = ledger_covers(closed_through(session, project.unit_id), as_of)
        money = judge_money(spent, project.annual_budget, planned_pct(plan, as_of), settings, covered)
        forecast_year_end(spent, project.annual_budget, plan, as_of, settings.time_progress_method)
        first = date(as_of.year, 3, 31)  # every benchmark project's first checkpoint
        statuses: list[IndicatorStatus] = []
        for indicator in session.scalars(select(Indicator).where(Indicator.project_id == project.id)):
            latest = session.scalar(select(ProgressReport).where(
                ProgressReport.indicator_id == indicator.id, ProgressReport.reported_on <= as_of
            ).order_by(ProgressReport.reported_on.desc(), ProgressReport.id.desc()).limit(1))
            reported = ReportedIndicator(
                kind=indicator.kind, operator=indicator.op, target=indicator.target_number,  # type: ignore[arg-type]
                deadline=indicator.deadline, current=latest.value if latest else None,
                achievement=latest.achievement if latest else None,
                completed_on=latest.completed_on if latest else None,
                unit=indicator.target_unit, name=indicator.name)
            statuses.append(indicator_status(reported, as_of, settings,
                                             first + timedelta(days=reminders.progress_due_days)))
        outcomes[project.id] = (overall_status(money.colour, results_status(statuses)), money.status,
                                money.execution_rate)
    return outcomes


#: The index the mid-month sum would use if it existed (not in the schema: measured here as a
#: proposal).  It holds every column the sum reads, so SQLite never reads the table rows.
CANDIDATE_INDEX = ("CREATE INDEX ix_ledger_row_date_counted ON ledger_row "
                   "(date, project_id, amount, counts, superseded_by_batch_id, batch_id)")


def partial_sum_times(database: Database, day: date, runs: int) -> dict[str, list[float]]:
    """The mid-month partial sum alone (``spending._month_so_far``, every project), in the
    shape ``evaluate`` uses on SQLite (rows picked by id) and as a plain date range."""
    times: dict[str, list[float]] = {"by id": [], "date range": []}
    for _ in range(runs):
        for shape, by_id in (("by id", True), ("date range", False)):
            with database.session() as session:
                start = time.perf_counter()
                session.execute(spending._month_so_far(True, by_id),
                                {"start": day.replace(day=1), "day": day}).all()
                times[shape].append(time.perf_counter() - start)
    return times


def timed(database: Database, days: list[date], runs: int) -> tuple[dict[date, list[float]], dict[date, dict]]:  # type: ignore[type-arg]
    """``runs`` evaluations at each of ``days``, interleaved (so a busy moment on the machine
    weighs on both alike), each in a fresh session; the times and the last result per day."""
    timings: dict[date, list[float]] = {day: [] for day in days}
    results: dict[date, dict] = {}  # type: ignore[type-arg]
    for _ in range(runs):
        for day in days:
            results.pop(day, None)
            with database.session() as session:
                start = time.perf_counter()
                results[day] = evaluate(session, day)
                timings[day].append(time.perf_counter() - start)
    return timings, results


def summary(times: list[float]) -> str:
    return (f"median {statistics.median(times):.3f} s (first {times[0]:.3f}, best {min(times):.3f}, "
            f"worst {max(times):.3f}; {len(times)} runs)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--indicators", type=int, default=10, help="per project")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="evaluations per date (the median counts)")
    parser.add_argument("--database", type=Path, default=None,
                        help="keep the benchmark database in this file and reuse it when it exists "
                             "(built with the same options); default: a temporary one")
    args = parser.parse_args()
    rng = random.Random(20250630)
    as_of, mid_month = date(YEAR, 6, 30), date(YEAR, 6, 15)
    with tempfile.TemporaryDirectory() as folder:
        path = args.database or Path(folder) / "bench.db"
        url = f"sqlite:///{path}"
        reuse = path.exists()
        database = Database(url)
        started = time.perf_counter()
        if not reuse:
            migration.upgrade(url, database.engine)
            with database.session() as session:
                build(session, args.projects, args.indicators, args.rows, rng)
                session.commit()
        with database.session() as session:
            session.execute(text("DROP INDEX IF EXISTS ix_ledger_row_date_counted"))  # an interrupted run's
            session.commit()
            counts = [session.scalar(select(func.count()).select_from(t)) for t in
                      (Project, Indicator, ProgressReport, LedgerRow)]
        print(f"data: {counts[0]:,} projects, {counts[1]:,} indicators, {counts[2]:,} progress reports, "
              f"{counts[3]:,} ledger rows ({'reused' if reuse else 'built'} in "
              f"{time.perf_counter() - started:.1f} s)")

        timings, results = timed(database, [as_of, mid_month], args.runs)
        ours, ours_mid = results[as_of], results[mid_month]
        plain = partial_sum_times(database, mid_month, args.runs)
        with database.session() as session:
            session.execute(text(CANDIDATE_INDEX))
            session.commit()
        indexed = partial_sum_times(database, mid_month, args.runs)
        with database.session() as session:
            session.execute(text("DROP INDEX ix_ledger_row_date_counted"))
            session.commit()
        with database.session() as session:
            start = time.perf_counter()
            slow = naive(session, as_of)
            naive_time = time.perf_counter() - start
            sample = sorted(ours_mid)[::20]
            slow_mid = naive(session, mid_month, sample)
        database.dispose()
    same = sum(1 for pid, e in ours.items() if slow[pid] == outcome(e))
    same_mid = sum(1 for pid in sample if slow_mid[pid] == outcome(ours_mid[pid]))
    reference = min(timeit.repeat("sum(range(1000))", number=2000, repeat=5)) / 2000 * 1e6
    print(f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; "
          f"reference sum(range(1000)) = {reference:.1f} µs")
    end, mid = statistics.median(timings[as_of]), statistics.median(timings[mid_month])
    print(f"tracker full evaluation at {as_of} ({len(ours):,} projects): {summary(timings[as_of])}  "
          f"target < 1 s: {'OK' if end < 1 else 'MISSED'}")
    print(f"tracker full evaluation at {mid_month} (partial month summed from rows): "
          f"{summary(timings[mid_month])}  target < 1 s: {'OK' if mid < 1 else 'MISSED'}")
    print(f"  same as naive on every 20th project: {same_mid:,}/{len(sample):,}")
    median = {shape: statistics.median(t) for shape, t in plain.items()}
    print(f"  its partial-month sum alone: rows by id (used) {median['by id']:.3f} s, "
          f"plain date range {median['date range']:.3f} s")
    best = statistics.median(indexed["date range"])
    print(f"  with the candidate index {CANDIDATE_INDEX.split(' ON ')[1]} (not in the schema): "
          f"date range {best:.3f} s, by id {statistics.median(indexed['by id']):.3f} s; "
          f"the evaluation with it and the date range: about {mid - median['by id'] + best:.3f} s")
    print(f"naive, project by project from raw rows: {naive_time:.2f} s")
    print(f"ratio naive / tracker (median at {as_of}): {naive_time / end:.1f}x   same overall colour, "
          f"money status and 执行率: {same:,}/{len(ours):,}")


if __name__ == "__main__":
    main()
