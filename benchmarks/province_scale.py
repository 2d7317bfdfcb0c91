"""Province scale on PostgreSQL (issue 19): one finance department running every unit.

    python benchmarks/province_scale.py [--url URL] [--scale 1.0] [--rebuild]
                                        [--only eval,jobs,web] [--clients 50] [--seconds 30]
                                        [--think 1.0]

URL defaults to ``$TRACKER_BENCH_PROVINCE_URL`` or
postgresql+psycopg://postgres@127.0.0.1:5432/province.  At ``--scale 1`` the data is 200
units, 50,000 projects (250 per unit, 70% with their own plan), 500,000 indicators (10 per
project), about 750,000 progress reports spread over the year (60% of the indicators
reported one to four times) and 10,000,000 ledger rows of 2025 (one batch per unit and month,
January to November, 3% unmatched, 5% not counted, some 红字).  ``--scale 0.1`` divides
units, projects, indicators and rows by ten.  The schema is the real one: the project's own
migrations (``tracker db upgrade``) run first; every table is then filled with ``COPY``
(psycopg), the ledger rows with the table's secondary indexes dropped and rebuilt after, and
the month totals computed by ``services/spending.refresh_month_totals`` as an import would.
The data is kept between runs (the database is rebuilt only with ``--rebuild``, or when it
holds another scale).

Measured, each in the same run as its naive counterpart:

  a. ``monitoring.evaluate`` of every project at a month end (2025-10-31) and mid-month
     (2025-11-15: the partial month summed from rows) against the naive project-by-project
     loop of benchmarks/monitoring.py (its spending summed from raw rows) run on a sample of
     projects and extrapolated to all of them (printed as such);
  b. the daily job (``jobs.daily_evaluation`` at 2025-11-15) twice — as a catch-up (no
     checkpoint of the year frozen yet: 3 passed checkpoints of every project + the daily
     status, 200,000 snapshots) and as an ordinary night (the daily job of 11-14 run first,
     untimed, in the same transaction: checkpoints frozen, the daily status only updated) —
     and the checkpoint job (``jobs.checkpoint_evaluation`` on the checkpoint day 2025-10-31),
     each in its own child process whose peak RSS (VmHWM, reset after the untimed night) and
     CPU seconds (its own, and its PostgreSQL backend's from /proc) are reported; the child
     runs the job inside an outer transaction that is rolled back afterwards (the job's own
     commits become savepoints), so every run measures the same work; ``snapshot`` and
     ``alert`` are vacuumed before each (autovacuum is off here: the rolled-back rows would
     pile up);  naive = the sampled naive evaluation extrapolated (a job is an evaluation plus
     its writes);
  c. ``tracker serve --workers 2`` in a child process with ``--clients`` logged-in clients
     (one in five a leader on the whole-province cockpit, the others unit staff on their own
     unit's project and monitoring pages, each logged in through the login form with its CSRF
     token), for ``--seconds`` twice: first without think time (c0: saturation — each client
     asks again as soon as answered; req/s and p95), then each client waiting a random 0.5–1.5 ×
     ``--think`` seconds (default 1, far busier than a person) between pages (c1: p95, max,
     errors); then (c2) the same thinking clients while ``tracker import ledger`` imports a
     100,000-row December CSV for one unit, and (c3) from its commit until the whole-province
     cockpit shows the new data (rebuilt in a web worker; at most 120 s); the batch is undone
     afterwards, so the next run can import it again.  A 202 "正在后台计算" cockpit (a date never built) is counted apart from
     the errors, and printed.  No naive counterpart: there is no other server to compare with.

Timings are noisy on a shared machine: the load average is printed with each figure.

Figures of one run of ``--only eval,jobs,web`` on a machine doing nothing else, 2026-12-07
04:30–04:33 UTC (load 1.6–3.0 at the start of each part; ARCHITECTURE.md "Beyond one machine"
has the figures before the session-7 changes beside them):
  a. evaluation of 50,000 projects: 2.78 s month end, 2.73 s mid-month (best 2.67 / 2.58 s;
     Python CPU 2.27 / 2.36 s; naive 448 s: 161× / 164×; 300/300 sampled projects identical).
     The indicators are read on a second connection while Python works (monitoring/evaluate.py),
     so the bound is Python's CPU; under load the wall time is that divided by the share of a CPU
     the process gets (2.99–3.95 s at load 2.2–2.8);
  b. daily job as a catch-up 31.5 s (CPU 24.4 s + PostgreSQL 11.2 s), 817 MB; an ordinary night
     9.6 s (6.3 s + 4.2 s), 708 MB; checkpoint job (50,000 snapshots) 9.7 s (8.1 s + 2.9 s),
     438 MB; naive/tracker 14× / 46× / 46× (was 91.1 s, 1,617 MB / not measured / 26.1 s, 1,086 MB);
  c. cockpit alone cold 1.7 s, warm 16 ms, 146 KiB (was 704 KiB);
     c0. saturation 128 req/s, p95 566 ms, 0 errors, 11.2 ms server CPU a request (was 46 req/s,
         p95 1,745 ms);
     c1. thinking 0.5–1.5 s: p95 62 ms, max 267 ms, 0 errors, 0 × 202;
     c2. during the 100,000-row import (8.2 s at nice +10): slowest request 635 ms, p95 352 ms,
         0 errors, 0 × 202 (was 3.0 s and 22 × "正在后台计算");
     c3. cockpit up to date 16.9 s after the import's commit; slowest request 314 ms.
Under the load of other work (helpers' test runs, load 13–14) the same code gave c1 p95
611–1,141 ms: the figures are of the machine's two CPUs, shared with the 50-client generator.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import json
import os
import random
import re
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from tracker import migration  # noqa: E402
from tracker.db import Database  # noqa: E402
from tracker.models import LedgerRow, Project, Role, Unit, User  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/province"
YEAR = 2025
MONTH_END, MID_MONTH = date(YEAR, 10, 31), date(YEAR, 11, 15)
LAST_DAY = date(YEAR, 11, 30)  # ledger rows run from 1 January to here
PASSWORD = "bench-province-password"
SOURCE = "国库集中支付"
KINDS = ["quantitative"] * 7 + ["reverse", "qualitative", "deadline"]
ACHIEVEMENTS = ["achieved", "partial", "not_achieved"]
NULL = "\\N"  # COPY's text format


def sibling(name: str):  # type: ignore[no-untyped-def]
    """Another benchmark of this folder as a module (monitoring.py's naive loop, web_load.py's
    client and statistics)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def load_line() -> str:
    one, five, _ = os.getloadavg()
    return f"[{datetime.now():%H:%M:%S} UTC, load {one:.2f}/{five:.2f}]"


# --- building the data ----------------------------------------------------------------------


def sizes(scale: float) -> dict[str, int]:
    return {"units": max(2, round(200 * scale)), "projects": round(50_000 * scale),
            "indicators_per_project": 10, "rows": round(10_000_000 * scale)}


def copy_rows(raw, table: str, columns: list[str], rows) -> int:  # type: ignore[no-untyped-def]
    """COPY ``rows`` (tuples in ``columns`` order, already in the database's types) into
    ``table`` through psycopg."""
    count = 0
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def build(database: Database, scale: float, rng: random.Random) -> None:
    size = sizes(scale)
    units, projects, per_project, rows = (size["units"], size["projects"], size["indicators_per_project"],
                                          size["rows"])
    started = time.perf_counter()
    with database.engine.connect() as connection:
        raw = connection.connection.driver_connection
        copy_rows(raw, "unit", ["code", "name"], ((f"U{i:05d}", f"省直单位{i}") for i in range(units)))
        unit_ids = [r[0] for r in raw.execute("SELECT id FROM unit ORDER BY id")]
        now = datetime.utcnow()
        budgets = {}

        def project_rows():  # type: ignore[no-untyped-def]
            for i in range(projects):
                annual = rng.randrange(100_000, 5_000_000) * 100  # 分
                budgets[i] = annual
                yield (unit_ids[i % units], YEAR, f"P{i:08d}", f"省级项目{i}", f"P{i:08d}", annual, annual,
                       True, now, now)
        copy_rows(raw, "project", ["unit_id", "year", "code", "name", "natural_key", "initial_budget",
                                   "annual_budget", "plan_confirmed", "created_at", "updated_at"], project_rows())
        project_ids = [(r[0], r[1]) for r in raw.execute("SELECT id, unit_id FROM project ORDER BY id")]

        def plan_rows():  # type: ignore[no-untyped-def]
            for pid, _ in project_ids:
                if rng.random() < 0.7:
                    cumulative = sorted(rng.sample(range(5, 100), 3)) + [100]
                    for (m, d), pct in zip(((3, 31), (6, 30), (10, 31), (12, 31)), cumulative):
                        yield pid, date(YEAR, m, d), pct * 10_000, False  # Percent: 1/10000
        copy_rows(raw, "plan_point", ["project_id", "checkpoint", "cumulative_pct", "is_default"], plan_rows())

        def indicator_rows():  # type: ignore[no-untyped-def]
            for pid, _ in project_ids:
                for position in range(per_project):
                    kind = rng.choice(KINDS)
                    number = rng.randrange(1, 500) * 10_000 if kind in ("quantitative", "reverse") else None
                    yield (pid, position, "产出指标", "数量指标", f"指标{position}", "…", kind,
                           {"quantitative": ">=", "reverse": "<="}.get(kind), number, "个" if number else None,
                           date(YEAR, rng.randrange(3, 13), 1) if kind == "deadline" else None)
        copy_rows(raw, "indicator", ["project_id", "position", "level1", "level2", "name", "target_raw", "kind",
                                     "op", "target_number", "target_unit", "deadline"], indicator_rows())

        indicators = raw.execute("SELECT id, project_id, kind, target_number FROM indicator ORDER BY id").fetchall()

        def report_rows():  # type: ignore[no-untyped-def]
            for iid, pid, kind, target in indicators:
                if rng.random() < 0.6:
                    for _ in range(rng.randrange(1, 5)):
                        day = date(YEAR, 1, 1) + timedelta(days=rng.randrange(0, 334))
                        yield (pid, iid, day, "bench",
                               rng.randrange(0, target // 10_000 + 1) * 10_000 if target is not None else None,
                               rng.choice(ACHIEVEMENTS) if kind == "qualitative" else None,
                               day if kind == "deadline" and rng.random() < 0.5 else None, now)
        reports = copy_rows(raw, "progress_report", ["project_id", "indicator_id", "reported_on", "actor", "value",
                                                     "achievement", "completed_on", "created_at"], report_rows())

        batch_rows = [(unit_id, SOURCE, "payment_list", f"{month:02d}月.xlsx", f"{unit_id:056d}{month:08d}",
                       date(YEAR, month, 1), (date(YEAR, month + 1, 1) - timedelta(days=1)), "stated", now, "bench",
                       "active", 0, 0, 0, 0, 0, 0, 0, 0, "{}", "[]")
                      for unit_id in unit_ids for month in range(1, 12)]
        copy_rows(raw, "ledger_batch", ["unit_id", "source", "source_kind", "file_name", "checksum",
                                        "period_start", "period_end", "period_source", "imported_at", "actor",
                                        "status", "rows_read", "transactions", "summary_rows_skipped",
                                        "counted_rows", "counted_total", "matched_rows", "unmatched_rows",
                                        "replaced_rows", "mapping", "findings"], batch_rows)
        batches = {(u, m.month): b for b, u, m in raw.execute("SELECT id, unit_id, period_start FROM ledger_batch")}
        indexes = [r[0] for r in raw.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'ledger_row' AND indexname <> 'pk_ledger_row'")]
        for name in [r[0] for r in raw.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'ledger_row' AND indexname <> 'pk_ledger_row'")]:
            raw.execute(f"DROP INDEX {name}")
        raw.commit()
        print(f"  units … progress reports ({reports:,}) in {time.perf_counter() - started:.1f} s", flush=True)

        ledger_started = time.perf_counter()
        days = [date(YEAR, 1, 1) + timedelta(days=d) for d in range((LAST_DAY - date(YEAR, 1, 1)).days + 1)]
        day_text = [d.isoformat() for d in days]
        months = [d.month for d in days]
        count = len(project_ids)
        with raw.cursor() as cursor, cursor.copy(
                "COPY ledger_row (batch_id, unit_id, row_number, date, debit, credit, amount, counts, project_id,"
                " match_method) FROM STDIN") as copy:
            lines = []
            randrange, random_ = rng.randrange, rng.random
            for n in range(rows):
                pid, unit_id = project_ids[n % count]
                d = randrange(len(days))
                amount = randrange(-2_000, 2_000_000)
                matched = random_() > 0.03
                lines.append(f"{batches[unit_id, months[d]]}\t{unit_id}\t{n}\t{day_text[d]}\t{max(amount, 0)}\t0\t"
                             f"{amount}\t{'t' if random_() > 0.05 else 'f'}\t{pid if matched else NULL}\t"
                             f"{'code' if matched else NULL}\n")
                if len(lines) == 50_000:
                    copy.write("".join(lines))
                    lines = []
            if lines:
                copy.write("".join(lines))
        copied = time.perf_counter() - ledger_started
        for definition in indexes:
            raw.execute(definition)
        raw.execute("ANALYZE")
        raw.commit()
        print(f"  {rows:,} ledger rows: COPY {copied:.1f} s, indexes rebuilt and ANALYZE "
              f"{time.perf_counter() - ledger_started - copied:.1f} s", flush=True)
    from tracker.services.spending import refresh_month_totals
    totals_started = time.perf_counter()
    with database.session() as session:
        refresh_month_totals(session, [pid for pid, _ in project_ids])
        session.execute(text("UPDATE ledger_batch SET rows_read = t.n, transactions = t.n, counted_rows = t.c, "
                             "matched_rows = t.m, unmatched_rows = t.n - t.m FROM (SELECT batch_id, count(*) n, "
                             "count(*) FILTER (WHERE counts) c, count(project_id) m FROM ledger_row "
                             "GROUP BY batch_id) t WHERE t.batch_id = ledger_batch.id"))
        session.commit()
    with database.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        raw.commit()
    print(f"  month totals (refresh_month_totals) in {time.perf_counter() - totals_started:.1f} s; "
          f"built in {time.perf_counter() - started:.1f} s", flush=True)


def ensure_users(database: Database, staff_units: int) -> tuple[list[str], dict[str, list[int]]]:
    """The leader and one unit-staff user for each of the first ``staff_units`` units; returns
    the staff names and each one's project ids."""
    from tracker.services.users import create_user
    with database.session() as session:
        if session.scalar(select(User.id).where(User.username == "bench-leader")) is None:
            create_user(session, "bench-leader", Role.leader, PASSWORD)
        units = list(session.scalars(select(Unit).order_by(Unit.id).limit(staff_units)))
        staff, projects = [], {}
        for unit in units:
            name = f"bench-staff-{unit.code}"
            if session.scalar(select(User.id).where(User.username == name)) is None:
                create_user(session, name, Role.unit_staff, PASSWORD, units=[unit])
            staff.append(name)
            projects[name] = list(session.scalars(select(Project.id).where(Project.unit_id == unit.id)))
        session.commit()
    return staff, projects


def prepare(url: str, scale: float, rebuild: bool) -> Database:
    database = Database(url)
    size = sizes(scale)
    with database.engine.connect() as connection:
        if rebuild:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
            connection.commit()
    migration.upgrade(url, database.engine)
    with database.session() as session:
        held = session.scalar(select(func.count()).select_from(Project))
    if held and held != size["projects"]:
        raise SystemExit(f"数据库已有 {held:,} 个项目（另一规模的数据）：加 --rebuild 重建")
    if not held:
        print(f"data: building {size['projects']:,} projects, {size['rows']:,} ledger rows …", flush=True)
        build(database, scale, random.Random(20251115))
    with database.session() as session:
        counts = [session.scalar(select(func.count()).select_from(t)) for t in
                  (Unit, Project, text("indicator"), text("progress_report"), LedgerRow)]
    print(f"data: {counts[0]:,} units, {counts[1]:,} projects, {counts[2]:,} indicators, {counts[3]:,} progress "
          f"reports, {counts[4]:,} ledger rows ({'reused' if held else 'built'})", flush=True)
    return database


# --- a. the evaluation ----------------------------------------------------------------------


def measure_evaluation(database: Database, runs: int, naive_sample: int) -> float:
    from tracker.services.monitoring.evaluate import evaluate
    bench = sibling("monitoring")
    timings: dict[date, list[float]] = {MONTH_END: [], MID_MONTH: []}
    cpu: dict[date, list[float]] = {MONTH_END: [], MID_MONTH: []}  # this process's (both threads)
    results = {}
    for _ in range(runs):
        for day in timings:
            results.pop(day, None)  # the previous run's 50,000 results freed before, not inside, the timing
            with database.session() as session:
                start, started_cpu = time.perf_counter(), time.process_time()
                results[day] = evaluate(session, day)
                timings[day].append(time.perf_counter() - start)
                cpu[day].append(time.process_time() - started_cpu)
    with database.session() as session:
        ids = sorted(results[MONTH_END])
        sample = random.Random(1).sample(ids, min(naive_sample, len(ids)))
        start = time.perf_counter()
        slow = bench.naive(session, MONTH_END, sample)
        naive_each = (time.perf_counter() - start) / len(sample)
        slow_mid = bench.naive(session, MID_MONTH, sample)
    naive_all = naive_each * len(ids)
    same = sum(1 for pid in sample if slow[pid] == bench.outcome(results[MONTH_END][pid]))
    same_mid = sum(1 for pid in sample if slow_mid[pid] == bench.outcome(results[MID_MONTH][pid]))
    print(f"a. full 双监控 evaluation of {len(ids):,} projects {load_line()}")
    for day, label in ((MONTH_END, "month end"), (MID_MONTH, "mid-month, partial month from rows")):
        median = statistics.median(timings[day])
        print(f"   {day} ({label}): median {median:.2f} s of {runs} (best {min(timings[day]):.2f}, "
              f"worst {max(timings[day]):.2f}; Python CPU median {statistics.median(cpu[day]):.2f} s)  "
              f"target < 3 s: {'OK' if median < 3 else 'MISSED'}  naive/tracker {naive_all / median:.0f}x")
    print(f"   naive project-by-project loop: {naive_each * 1000:.1f} ms per project on a sample of "
          f"{len(sample):,}, extrapolated to {len(ids):,}: {naive_all:.0f} s; same colour, money status "
          f"and 执行率 on the sample: {same}/{len(sample)} at {MONTH_END}, {same_mid}/{len(sample)} at {MID_MONTH}",
          flush=True)
    return naive_each * len(ids)


# --- b. the jobs ----------------------------------------------------------------------------


def run_job_child(url: str, job: str, day: date, prepare: date | None) -> None:
    """In a child process: one job at ``day`` inside an outer transaction rolled back at the
    end (``prepare``: the daily job of that day run first, untimed, in the same transaction:
    what an ordinary night finds); prints one JSON line (seconds, this process's CPU seconds,
    the PostgreSQL backend's CPU seconds, peak RSS)."""
    from tracker import jobs
    from tracker.config import Config
    database = Database(url)
    config = Config()
    connection = database.engine.connect()
    outer = connection.begin()
    database.session_factory = sessionmaker(bind=connection, expire_on_commit=False,
                                            join_transaction_mode="create_savepoint")
    if prepare is not None:
        jobs.daily_evaluation(database, config, prepare)
        _reset_peak_rss()  # the night measured, not the one before it
    backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    backend_cpu = _process_cpu(backend)
    cpu = time.process_time()
    start = time.perf_counter()
    getattr(jobs, job)(database, config, day)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    backend_cpu = _process_cpu(backend) - backend_cpu
    written = connection.execute(text("SELECT count(*) FROM snapshot")).scalar_one()
    outer.rollback()
    connection.close()
    print(json.dumps({"seconds": elapsed, "cpu": cpu, "backend_cpu": backend_cpu, "rss_mb": _peak_rss_mb(),
                      "snapshots": written}))


def _reset_peak_rss() -> None:
    """Start this process's peak RSS (VmHWM) again from its current RSS (Linux: clear_refs 5)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_rss_mb() -> float:
    """Peak RSS since the start or ``_reset_peak_rss`` (VmHWM; else getrusage's, since the start)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (the database backend: same machine), or
    NaN when it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


#: (label, job, day, the daily job run first at this day or None)
JOBS = (("daily job, catch-up (3 passed checkpoints of every project + daily status)", "daily_evaluation", MID_MONTH, None),
        ("daily job, ordinary night (checkpoints frozen the night before)", "daily_evaluation", MID_MONTH,
         MID_MONTH - timedelta(days=1)),
        ("checkpoint job on the checkpoint day", "checkpoint_evaluation", MONTH_END, None))


def vacuum_job_tables(url: str, full: bool = False) -> float:
    """VACUUM (ANALYZE) the tables the jobs write: each rolled-back run leaves its 200,000
    snapshots and their alerts behind as dead rows, and with autovacuum off (this machine's
    server) every later run — and every page — would read through them (the snapshot table
    had grown to 6.9 GB for 1,000 live rows).  ``full``, after the last job: the files are
    rewritten to their live rows, as a server with autovacuum on keeps them — a plain VACUUM
    leaves the 600 MB file of 3,000 alerts that the cockpit's unread-alert query then reads
    whole (90 ms a request).  Nothing of the data changes.  Returns seconds."""
    started = time.perf_counter()
    engine = Database(url).engine.execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        for table in ("snapshot", "alert"):
            connection.exec_driver_sql(f"VACUUM ({'FULL, ' if full else ''}ANALYZE) {table}")
    engine.dispose()
    return time.perf_counter() - started


def measure_jobs(url: str, naive_all: float | None) -> None:
    print(f"b. scheduler jobs, each in its own process, rolled back after {load_line()}")
    for label, job, day, prepare in JOBS:
        print(f"   (VACUUM of snapshot and alert first: {vacuum_job_tables(url):.1f} s)", flush=True)
        command = [sys.executable, __file__, "--url", url, "--child-job", job, "--day", day.isoformat()]
        if prepare is not None:
            command += ["--prepare-day", prepare.isoformat()]
        started = load_line()
        child = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if child.returncode != 0:
            print(f"   {label}: FAILED\n{child.stderr[-3000:]}")
            continue
        result = json.loads(child.stdout.strip().splitlines()[-1])
        ratio = f"  naive/tracker {naive_all / result['seconds']:.0f}x (naive = the evaluation loop alone, " \
                "extrapolated)" if naive_all else ""
        print(f"   {label}, {job} at {day} {started}: {result['seconds']:.1f} s (CPU {result['cpu']:.1f} s here, "
              f"{result['backend_cpu']:.1f} s in PostgreSQL), peak RSS {result['rss_mb']:.0f} MB, "
              f"snapshots in the database after it {result['snapshots']:,}  target < 60 s and < 2048 MB: "
              f"{'OK' if result['seconds'] < 60 and result['rss_mb'] < 2048 else 'MISSED'}{ratio}", flush=True)
    print(f"   (VACUUM FULL of snapshot and alert after: {vacuum_job_tables(url, full=True):.1f} s)", flush=True)


# --- c. the web server under load -----------------------------------------------------------


def december_csv(path: Path, database: Database, rows: int) -> str:
    """A 100,000-row December payment list for the first unit, its projects by name."""
    with database.session() as session:
        unit = session.scalars(select(Unit).order_by(Unit.id)).first()
        assert unit is not None
        names = list(session.scalars(select(Project.name).where(Project.unit_id == unit.id)))
    rng = random.Random(12)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["业务日期", "凭证编号", "实施单位", "项目名称", "摘要", "金额（元）"])
        for n in range(rows):
            writer.writerow([f"{YEAR}-12-{rng.randrange(1, 32):02d}", f"{n:06d}", f"{unit.code}-{unit.name}",
                             rng.choice(names), "拨付项目经费", f"{rng.randrange(100, 2_000_000) / 100:,.2f}"])
    return unit.code


def tracker_command(*arguments: str) -> list[str]:
    return [sys.executable, "-c", "from tracker.cli import main; main()", *arguments]


def measure_web(url: str, database: Database, clients: int, seconds: float, import_rows: int,
                think: float) -> None:
    web = sibling("web_load")
    staff, projects = ensure_users(database, max(1, clients - clients // 5))
    all_ids = [pid for ids in projects.values() for pid in ids]
    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        port = web.free_port()
        env = dict(os.environ, TRACKER_DATABASE_URL=url, TRACKER_INSTANCE_PATH=str(instance),
                   TRACKER_SECRET_KEY=secrets.token_hex(32), PYTHONPATH=str(ROOT))
        server = subprocess.Popen(tracker_command("serve", "--host", web.HOST, "--port", str(port), "--workers", "2"),
                                  env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=open(instance / "server.log", "wb"))  # noqa: SIM115
        try:
            deadline = time.monotonic() + 90
            while True:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"tracker serve did not start: {(instance / 'server.log').read_text()[-2000:]}")
                try:
                    web.socket.create_connection((web.HOST, port), timeout=0.5).close()
                    break
                except OSError:
                    time.sleep(0.3)
            users = []  # (client, kinds, project ids)
            for n in range(clients):
                client = web.Client(port)
                if n % 5 == 0:
                    login(client, "bench-leader")
                    users.append((client, ("cockpit",), all_ids))
                else:
                    name = staff[n % len(staff)]
                    login(client, name)
                    users.append((client, ("project", "monitoring"), projects[name]))
            warm = users[0][0]
            for kind, pid in (("cockpit", 0), ("project", all_ids[0]), ("monitoring", all_ids[0])):
                cold, problem, size = web.timed(warm, kind, pid)
                again, _, _ = web.timed(warm, kind, pid)
                print(f"   single {kind:<10} cold {cold * 1000:6.0f} ms, warm {again * 1000:6.0f} ms, "
                      f"{size / 1024:.0f} KiB {problem}")
            leaders = clients // 5 + (clients % 5 > 0)
            print(f"c. tracker serve --workers 2, {clients} clients ({leaders} leaders on /cockpit, the others "
                  f"unit staff on their projects) for {seconds:g} s")
            print(f"c0. saturation: no think time (each client asks again as soon as answered) {load_line()}")
            cpu_before = web.cpu_seconds(server.pid)
            stop_at = time.perf_counter() + seconds
            results, elapsed = run_load(web, users, lambda: time.perf_counter() >= stop_at, 0.0)
            web.report(results, elapsed, web.KINDS)
            everything = [v for values in results.latencies.values() for v in values]
            served = len(everything)
            cpu_after = web.cpu_seconds(server.pid)
            server_cpu = "" if cpu_before is None or cpu_after is None else (
                f", server CPU {(cpu_after - cpu_before) / max(served, 1) * 1000:.1f} ms a request")
            print(f"   saturation: {served / elapsed:.1f} req/s, p95 {web.percentile(everything, .95) * 1000:.0f} ms, "
                  f"errors {sum(results.errors.values())}, 202 {sum(results.pending.values())}{server_cpu} "
                  f"{load_line()}", flush=True)
            print(f"c1. {clients} clients thinking {think:g} s (0.5–1.5×, random) between pages {load_line()}")
            stop_at = time.perf_counter() + seconds
            results, elapsed = run_load(web, users, lambda: time.perf_counter() >= stop_at, think)
            web.report(results, elapsed, web.KINDS)
            everything = [v for values in results.latencies.values() for v in values]
            p95 = web.percentile(everything, .95)
            print(f"   think {think:g} s: p95 {p95 * 1000:.0f} ms, max {max(everything) * 1000:.0f} ms, "
                  f"errors {sum(results.errors.values())}, 202 {sum(results.pending.values())}  target p95 < 300 ms, "
                  f"no errors: {'OK' if p95 < .3 and not sum(results.errors.values()) else 'MISSED'} {load_line()}", flush=True)

            csv_path = instance / "december.csv"
            unit_code = december_csv(csv_path, database, import_rows)
            print(f"c2. the same load (think {think:g} s) while `tracker import ledger` imports {import_rows:,} rows "
                  f"{load_line()}")
            importer = subprocess.Popen(
                tracker_command("import", "ledger", str(csv_path), "--unit", unit_code, "--source", SOURCE,
                                "--period", f"{YEAR}-12-01..{YEAR}-12-31", "--json"),
                env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            started = time.perf_counter()
            results, elapsed = run_load(web, users, lambda: importer.poll() is not None, think)
            import_seconds = time.perf_counter() - started
            out, err = importer.communicate()
            web.report(results, elapsed, web.KINDS)
            worst = max((v for values in results.latencies.values() for v in values), default=0)
            print(f"   import {'finished' if importer.returncode == 0 else 'FAILED'} in {import_seconds:.1f} s "
                  f"({import_rows / import_seconds:,.0f} rows/s, CLI start included); slowest request "
                  f"{worst * 1000:.0f} ms, errors {sum(results.errors.values())}, 202 {sum(results.pending.values())}"
                  f"  target every request < 2 s: {'OK' if worst < 2 and not sum(results.errors.values()) else 'MISSED'} "
                  f"{load_line()}", flush=True)
            if importer.returncode != 0:
                print(f"   {err[-1500:]}")
            else:
                after_commit(web, port, users, think)
                batch = json.loads(out)["files"][0]["batch_id"]
                undo = subprocess.run(tracker_command("ledger", "undo", str(batch)), env=env, cwd=ROOT,
                                      capture_output=True, text=True)
                print(f"   batch {batch} undone so the next run can import it again (exit {undo.returncode})")
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def after_commit(web, port: int, users, think: float, limit: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    """c3: the same thinking clients from the import's commit until the whole-province cockpit
    shows the new data (rebuilt by a thread of a web worker: its labelled last build, or the date
    built last, is shown meanwhile), at most ``limit`` seconds."""
    print(f"c3. the same load (think {think:g} s) after the import's commit, until the whole-province "
          f"cockpit is rebuilt (at most {limit:g} s) {load_line()}")
    probe = web.Client(port)
    login(probe, "bench-leader")
    fresh = threading.Event()
    stop_at = time.perf_counter() + limit

    def watch() -> None:
        while not fresh.is_set() and time.perf_counter() < stop_at:
            status, page = probe.request("GET", "/cockpit")
            if status == 200 and b'id="built-at"' not in page:
                fresh.set()
            else:
                time.sleep(1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    results, elapsed = run_load(web, users, lambda: fresh.is_set() or time.perf_counter() >= stop_at, think)
    web.report(results, elapsed, web.KINDS)
    worst = max((v for values in results.latencies.values() for v in values), default=0)
    print(f"   cockpit {'up to date' if fresh.is_set() else 'STILL BEING REBUILT'} after "
          f"{time.perf_counter() - started:.1f} s; slowest request {worst * 1000:.0f} ms, errors "
          f"{sum(results.errors.values())}, 202 {sum(results.pending.values())}  target every request < 2 s: "
          f"{'OK' if worst < 2 and not sum(results.errors.values()) else 'MISSED'} {load_line()}", flush=True)


def login(client, username: str) -> None:  # type: ignore[no-untyped-def]
    status, page = client.request("GET", "/login")
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.decode())
    if status != 200 or not match:
        raise SystemExit(f"no login form ({status})")
    status, _ = client.request("POST", "/login", {"csrf_token": match.group(1), "username": username,
                                                  "password": PASSWORD})
    if status != 302:
        raise SystemExit(f"login of {username} failed ({status})")


def run_load(web, users, done, think: float = 0.0):  # type: ignore[no-untyped-def]
    """Every client loops over its pages until ``done()``, waiting a random 0.5–1.5 × ``think``
    seconds after each page (0: none — saturation); returns web_load's Results."""
    results = web.Results()
    barrier = threading.Barrier(len(users) + 1)

    def run(client, kinds, ids, seed):  # type: ignore[no-untyped-def]
        rng = random.Random(seed)
        barrier.wait()
        while not done():
            for kind in kinds:
                elapsed, problem, _ = web.timed(client, kind, rng.choice(ids))
                results.add(kind, elapsed, problem)
                if think > 0 and not done():
                    time.sleep(think * rng.uniform(0.5, 1.5))

    threads = [threading.Thread(target=run, args=(*user, n), daemon=True) for n, user in enumerate(users)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    return results, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("TRACKER_BENCH_PROVINCE_URL", DEFAULT_URL))
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 200 units, 50,000 projects, 10 M rows")
    parser.add_argument("--rebuild", action="store_true", help="drop everything in the database and build again")
    parser.add_argument("--only", default="eval,jobs,web", help="which measurements (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=3, help="evaluations per date (the median counts)")
    parser.add_argument("--naive-sample", type=int, default=300, help="projects the naive loop evaluates")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds each client waits between pages (random 0.5–1.5×) in the second web run "
                             "and during the import; the first runs without (saturation)")
    parser.add_argument("--child-job", help=argparse.SUPPRESS)
    parser.add_argument("--day", type=date.fromisoformat, help=argparse.SUPPRESS)
    parser.add_argument("--prepare-day", type=date.fromisoformat, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_job:
        run_job_child(args.url, args.child_job, args.day, args.prepare_day)
        return
    only = set(args.only.split(","))
    print(f"machine: {os.cpu_count()} CPUs {load_line()}; database {args.url.rsplit('@', 1)[-1]}", flush=True)
    database = prepare(args.url, args.scale, args.rebuild)
    naive_all = None
    if "eval" in only:
        naive_all = measure_evaluation(database, args.runs, args.naive_sample)
    if "jobs" in only:
        measure_jobs(args.url, naive_all)
    if "web" in only:
        measure_web(args.url, database, args.clients, args.seconds, args.import_rows, args.think)
    database.dispose()


if __name__ == "__main__":
    main()
