"""How fast a big ledger export imports end to end, against the naive way (issues 4 and 19).

    python benchmarks/ledger_import.py [--rows N] [--naive-rows M] [--only csv|xlsx]
                                       [--backend sqlite|postgresql] [--no-naive]
                                       [--no-two-step] [--cli-rows K]

For each format (GBK CSV and .xlsx payment lists from benchmarks/ledger_read.py, cached in
benchmarks/.cache/) and each database (a fresh migrated SQLite file; PostgreSQL when
``TRACKER_BENCH_PG_URL`` is set or a server answers on 127.0.0.1:5432, in its own schema
``bench_ledger_import`` that is dropped and recreated for every run), a child process creates
the unit and the file's 300 projects (604002B24DX0001…0300, year 2024), then times:

* the one-step import ``tracker import ledger`` runs (``ledger_pipeline.import_ledger``: a
  reader thread reads the file in chunks while the chunks before are matched and written; the
  whole-file work after the last chunk) + the transaction's COMMIT, with when the first and the
  last chunk were written, its CPU and its peak memory;
* the same with the reader in a process of its own (``reader="process"``), its CPU apart and the
  memory of both processes at once, for the ratio;
* the two-step import (``prepare`` — read, match — then ``commit`` — write), as the web's
  preview → confirm does it, reading and writing one after the other;

and reports rows/s, CPU time and the child's own peak RSS (``getrusage``).  The monitoring
summary that ``tracker import ledger`` prints afterwards costs the same for 10 rows as for a
million (it depends on the projects touched), so it is timed and printed apart.  Then
``tracker import ledger`` itself on a K-row .xlsx (default 200,000), as a user runs it: a new
process, interpreter start, imports and the monitoring summary included.  For scale it also
prints ceilings measured on this machine: loading the file into Arrow columns alone (the CSV's
raw bytes split by pyarrow.csv, the .xlsx read by fastexcel; the .xlsx's archive guard, which
runs before any parser sees the file, is not in it), and sqlite3's ``executemany`` of the rows
alone (with the indexes kept, and with them built afterwards, which is what ``RowWriter`` does
for a big batch).

The naive way — pandas.read_excel (openpyxl) / pandas.read_csv, then one ORM ``LedgerRow`` per
row with ``add_all`` and a flush — runs on an M-row file in the same run, and its rate is
extrapolated to N rows.

Measured on this 2-CPU machine shared with other jobs (load average 4–8), 1,000,000 rows:
see README.md ("Ledger import speed") for the latest figures and what bounds them.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from ledger_read import PROJECTS, cached, payment_rows  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "bench_ledger_import"
UNIT = ("604002", "唐山市科学技术局")
YEAR = 2024
TARGETS = {"csv": 200_000, "xlsx": 100_000}


# -- databases ---------------------------------------------------------------------------------

def postgres_url() -> str | None:
    url = os.environ.get("TRACKER_BENCH_PG_URL")
    if url:
        return url
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return PG_DEFAULT
    except OSError:
        return None


def fresh_database(backend: str, workdir: str) -> str:
    """An empty database migrated to head, with the unit and its 300 projects; returns its URL."""
    from sqlalchemy import create_engine, text

    from tracker import migration
    from tracker.db import Database
    from tracker.models import Project, Unit

    if backend == "sqlite":
        url = f"sqlite:///{workdir}/bench.db"
    else:
        base = postgres_url()
        assert base is not None
        admin = create_engine(base.split("?", 1)[0], isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{PG_SCHEMA}"'))
        admin.dispose()
        url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{PG_SCHEMA}"
    database = Database(url)
    migration.upgrade(url, database.engine)
    with database.session() as session:
        unit = Unit(code=UNIT[0], name=UNIT[1])
        session.add(unit)
        session.flush()
        session.add_all(Project(unit_id=unit.id, year=YEAR, code=code, name=name,
                                natural_key=Project.make_natural_key(code, name),
                                initial_budget=Decimal("100000000.00"),
                                annual_budget=Decimal("100000000.00"))
                        for code, name in PROJECTS)
        session.commit()
    database.dispose()
    return url


def drop_postgres_schema() -> None:
    from sqlalchemy import create_engine, text

    base = postgres_url()
    if base is None:
        return
    admin = create_engine(base.split("?", 1)[0], isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
    admin.dispose()


# -- measurements, each in a fresh child process ----------------------------------------------

def measure_import(backend: str, path: str) -> dict[str, object]:
    from sqlalchemy import func, select

    from tracker.db import Database
    from tracker.models import LedgerRow, Unit
    from tracker.services.ledger_import import LedgerUpload, affected_projects, commit, prepare
    from tracker.services.monitoring.snapshots import summarize_changes

    with tempfile.TemporaryDirectory() as workdir:
        url = fresh_database(backend, workdir)
        database = Database(url)
        data = Path(path).read_bytes()
        with database.session() as session:
            unit_id = session.scalar(select(Unit.id))
            started, cpu = time.perf_counter(), time.process_time()
            preview = prepare(session, LedgerUpload(Path(path).name, data), unit=unit_id)
            prepared = time.perf_counter()
            result = commit(session, preview, "bench")
            committed = time.perf_counter()
            session.commit()
            finished = time.perf_counter()
            cpu = time.process_time() - cpu
            # what `tracker import ledger` adds: the status changes of the touched projects
            touched = set(affected_projects(session, result.batch.id))
            summarize_changes(session, touched, date(YEAR + 1, 1, 15))
            session.rollback()
            monitoring = time.perf_counter() - finished
            assert result.imported, result.reason
            stored = session.scalar(select(func.count(LedgerRow.id)))
            summary = result.as_json()
        database.dispose()
    return {"rows": preview.transactions, "stored": stored, "seconds": finished - started,
            "cpu_seconds": cpu, "prepare_seconds": prepared - started,
            "commit_seconds": committed - prepared, "db_commit_seconds": finished - committed,
            "monitoring_seconds": monitoring, "touched": len(touched),
            "matched": summary["matched_rows"], "counted": summary["counted_rows"],
            "counted_total": summary["counted_total_yuan"], "totals_ok": summary["totals_check"]["ok"]}


class TreeMemory:
    """The largest resident memory of this process and its children *together*, sampled every
    20 ms from /proc (Linux; 0 elsewhere): with a reader process the two peaks need not fall at
    the same moment, so their sum would overstate what the import holds at once."""

    def __init__(self) -> None:
        import threading

        self.peak_kib = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _rss_kib(pid: int | str) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        me = os.getpid()
        while not self.done.wait(0.02):
            children: list[str] = []
            for task in Path(f"/proc/{me}/task").glob("*/children"):
                try:
                    children += task.read_text().split()
                except OSError:
                    pass
            total = self._rss_kib(me) + sum(self._rss_kib(child) for child in children)
            self.peak_kib = max(self.peak_kib, total)

    def __enter__(self) -> "TreeMemory":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()


def measure_overlapped(backend: str, path: str, reader: str = "auto") -> dict[str, object]:
    """The one-step import ``tracker import ledger`` runs: read and write overlapped
    (``ledger_pipeline.import_ledger``) + the transaction's COMMIT; ``reader``: as the command
    chooses (``auto``: a process of its own for a big .xlsx, a thread for a CSV), or the other
    way, for comparison."""
    import resource

    from sqlalchemy import func, select

    from tracker.db import Database
    from tracker.models import LedgerRow, Unit
    from tracker.services.ledger_import import LedgerUpload
    from tracker.services.ledger_pipeline import import_ledger

    with tempfile.TemporaryDirectory() as workdir:
        url = fresh_database(backend, workdir)
        database = Database(url)
        data = Path(path).read_bytes()
        with database.session() as session:
            unit_id = session.scalar(select(Unit.id))
            chunks: list[float] = []
            started, cpu = time.perf_counter(), time.process_time()
            children = resource.getrusage(resource.RUSAGE_CHILDREN)
            with TreeMemory() as memory:
                result = import_ledger(session, LedgerUpload(Path(path).name, data), "bench", unit=unit_id,
                                       progress=lambda rows: chunks.append(time.perf_counter()), reader=reader)
            written = time.perf_counter()
            session.commit()
            finished = time.perf_counter()
            cpu = time.process_time() - cpu
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            reader_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
            assert result.imported, result.reason
            stored = session.scalar(select(func.count(LedgerRow.id)))
            summary = result.as_json()
        database.dispose()
    return {"rows": result.preview.transactions, "stored": stored, "seconds": finished - started,
            "cpu_seconds": cpu, "reader_cpu_seconds": reader_cpu, "reader_peak_mb": after.ru_maxrss / 1024,
            "writer_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "together_peak_mb": memory.peak_kib / 1024,
            "first_chunk_seconds": chunks[0] - started if chunks else None,
            "last_chunk_seconds": chunks[-1] - started if chunks else None,
            "finish_seconds": written - (chunks[-1] if chunks else started),
            "db_commit_seconds": finished - written, "matched": summary["matched_rows"],
            "counted": summary["counted_rows"], "counted_total": summary["counted_total_yuan"],
            "totals_ok": summary["totals_check"]["ok"]}


def measure_cli(backend: str, path: str) -> dict[str, object]:
    """``tracker import ledger FILE --unit …`` as a user runs it: a new process (interpreter
    start and imports included), its wall time and peak RSS; the monitoring summary it prints
    is included too."""
    with tempfile.TemporaryDirectory() as workdir:
        url = fresh_database(backend, workdir)
        env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_INSTANCE_PATH": workdir,
               "PYTHONPATH": str(ROOT)}
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "tracker.cli", "import", "ledger", path,
                                    "--unit", UNIT[0], "--json"], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True)
        assert process.stdout is not None
        output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        if status != 0:
            raise SystemExit(f"tracker import ledger {path} failed: {output[-2000:]}")
        summary = json.loads(output)["files"][0]
    return {"rows": summary["transactions"], "seconds": elapsed, "cli_peak_mb": usage.ru_maxrss / 1024,
            "counted": summary["counted_rows"]}


def measure_naive(backend: str, path: str) -> dict[str, object]:
    """What one writes without thinking: pandas to a DataFrame, then one ORM object per row."""
    from datetime import datetime

    import pandas as pd
    from sqlalchemy import select

    from tracker.db import Database
    from tracker.models import LedgerBatch, LedgerRow, Project, Unit

    with tempfile.TemporaryDirectory() as workdir:
        url = fresh_database(backend, workdir)
        database = Database(url)
        with database.session() as session:
            unit_id = session.scalar(select(Unit.id))
            started, cpu = time.perf_counter(), time.process_time()
            if path.endswith(".csv"):
                frame = pd.read_csv(path, encoding="gbk", dtype=str, skiprows=1)
            else:
                frame = pd.read_excel(path, engine="openpyxl", dtype=str, skiprows=1)
            projects = {p.code: p.id for p in session.scalars(select(Project))}
            batch = LedgerBatch(unit_id=unit_id, source="国库集中支付", source_kind="payment_list",
                                file_name=Path(path).name, checksum=f"orm-{Path(path).name}", period_start=date(YEAR, 1, 1),
                                period_end=date(YEAR, 12, 31), period_source="stated", actor="bench")
            session.add(batch)
            session.flush()
            rows = []
            for number, record in frame.iterrows():
                if not isinstance(record["支付日期"], str):  # the 合计 row
                    continue
                amount = Decimal(record["支付金额"].replace(",", ""))
                counts = record["支付状态"] not in ("已退回", "已作废")
                rows.append(LedgerRow(
                    batch_id=batch.id, unit_id=unit_id, sheet="-", row_number=int(number) + 3,
                    date=datetime.strptime(record["支付日期"], "%Y-%m-%d").date(),
                    voucher=record["支付申请编号"], summary=record["用途"],
                    project_code=record["预算项目编码"], project_name=record["预算项目名称"],
                    document_no=record["指标文号"], unit_name=record["预算单位"],
                    functional_class=record["支出功能分类科目"], economic_class=record["政府经济分类"],
                    status=record["支付状态"], debit=amount, credit=Decimal("0.00"), amount=amount,
                    counts=counts, not_counted_reason=None if counts else "退回或作废",
                    project_id=projects.get(record["预算项目编码"]), match_method="code"))
            session.add_all(rows)
            session.flush()
            session.commit()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        database.dispose()
    return {"rows": len(rows), "seconds": elapsed, "cpu_seconds": cpu}


def measure_ceilings(backend: str, path: str) -> dict[str, object]:
    """Lower bounds for this machine: the raw sqlite3 executemany of the rows alone."""
    import sqlite3

    from tracker.services.ledger_rows import COLUMNS

    count = int(path)
    codes = {code: number for number, (code, _) in enumerate(PROJECTS, start=1)}
    texts: dict[str, int] = {}  # the reference texts as ledger_text ids, in COLUMNS' order
    intern = lambda value: texts.setdefault(value, len(texts) + 1)  # noqa: E731
    rows = []
    for number, cells in enumerate(payment_rows(count), start=3):  # the generated file's rows
        cents = int(cells[10].replace(",", "").replace(".", ""))
        rows.append((1, 1, number, cells[9], cells[0], cells[7], cents, 0, cents, 1, codes[cells[3]], "code",
                     intern("支付明细"), None, None, intern(cells[3]), intern(cells[4]), None,
                     intern(cells[2]), intern(cells[1]), intern(cells[5]), intern(cells[6]), None,
                     intern(cells[11]), None))
    results: dict[str, object] = {"rows": count}
    indexes = ("CREATE INDEX a ON ledger_row (batch_id)", "CREATE INDEX b ON ledger_row (project_id, date)",
               "CREATE INDEX c ON ledger_row (date)")
    with tempfile.TemporaryDirectory() as workdir:
        for variant in ("plain", "indexed", "rebuilt"):
            connection = sqlite3.connect(f"{workdir}/{variant}.db", isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA cache_size=-262144")
            connection.execute(f"CREATE TABLE ledger_row (id INTEGER PRIMARY KEY, {', '.join(COLUMNS)},"
                               " superseded_by_batch_id INTEGER)")
            if variant == "indexed":
                for create in indexes:
                    connection.execute(create)
            started = time.perf_counter()
            connection.execute("BEGIN")
            connection.executemany(f"INSERT INTO ledger_row ({', '.join(COLUMNS)}) VALUES "
                                   f"({', '.join('?' for _ in COLUMNS)})", rows)
            if variant == "rebuilt":
                for create in indexes:
                    connection.execute(create)
            connection.execute("COMMIT")
            results[variant] = time.perf_counter() - started
            connection.close()
    return results


def measure_loading(_: str, path: str) -> dict[str, object]:
    """Lower bounds for reading: the file into Arrow columns and nothing else."""
    started, cpu = time.perf_counter(), time.process_time()
    data = Path(path).read_bytes()
    if path.endswith(".csv"):
        import pyarrow as pa
        import pyarrow.csv as pacsv

        # what the import does: split the raw GBK bytes into binary cells, no decoding
        names = [f"c{i}" for i in range(12)]
        table = pacsv.read_csv(pa.BufferReader(data), read_options=pacsv.ReadOptions(
            skip_rows=2, column_names=names, block_size=1 << 24), convert_options=pacsv.ConvertOptions(
            column_types={name: pa.binary() for name in names}))
        rows = table.num_rows
    else:
        import fastexcel

        batch = fastexcel.read_excel(data).load_sheet(0, header_row=None, skip_rows=2, eager=True,
                                                      schema_sample_rows=None, dtype_coercion="strict")
        rows = batch.num_rows
    return {"rows": rows, "seconds": time.perf_counter() - started,
            "cpu_seconds": time.process_time() - cpu}


def measure_overlapped_other(backend: str, path: str) -> dict[str, object]:
    """The reader in a process of its own (``reader="process"``), against ``auto``'s thread."""
    return measure_overlapped(backend, path, reader="process")


MEASURES = {"import": measure_import, "overlapped": measure_overlapped,
            "overlapped_other": measure_overlapped_other, "cli": measure_cli,
            "naive": measure_naive, "ceilings": measure_ceilings, "loading": measure_loading}


def run_child(measure: str, backend: str, path: Path | str) -> dict[str, object]:
    process = subprocess.Popen([sys.executable, __file__, "--child", measure, backend, str(path)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{measure} {backend} {path} failed")
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=100_000)
    parser.add_argument("--only", choices=("csv", "xlsx"), help="measure one format only")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), help="one database only")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive way")
    parser.add_argument("--no-two-step", action="store_true",
                        help="skip the two-step import (prepare, then commit)")
    parser.add_argument("--cli-rows", type=int, default=200_000,
                        help="rows of the .xlsx imported through the real CLI (0: skip)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure, backend, path = args.child
        print(json.dumps(MEASURES[measure](backend, path)))
        return
    backends = ["sqlite"] + (["postgresql"] if postgres_url() else [])
    if args.backend:
        backends = [args.backend]
    naive_rows = min(args.naive_rows, args.rows)
    print(f"ledger import, end to end (read, match, write, COMMIT); load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs; databases: {', '.join(backends)}")
    if "sqlite" in backends:
        raw = run_child("ceilings", "sqlite", args.rows)
        print(f"ceiling: sqlite3 executemany of the {args.rows:,} rows (25 columns), nothing else: "
              f"{raw['plain']:.1f} s without indexes = {args.rows / raw['plain']:,.0f} rows/s; "
              f"{raw['indexed']:.1f} s with the three ledger_row indexes = "
              f"{args.rows / raw['indexed']:,.0f} rows/s; {raw['rebuilt']:.1f} s inserting first and "
              f"building the indexes after = {args.rows / raw['rebuilt']:,.0f} rows/s")
    try:
        for kind in ("csv", "xlsx"):
            if args.only and kind != args.only:
                continue
            big = cached(kind, args.rows)
            small = cached(kind, naive_rows)
            alone = run_child("loading", "-", big)
            what = ("pyarrow.csv splitting the GBK bytes" if kind == "csv"
                    else "fastexcel (calamine) to Arrow")
            print(f"\nceiling: {what} alone, {alone['rows']:,} rows: {alone['seconds']:.1f} s = "
                  f"{alone['rows'] / alone['seconds']:,.0f} rows/s"
                  + f"; peak {alone['peak_mb']:,.0f} MB")
            for backend in backends:
                print(f"\n{kind.upper()} payment list, {args.rows:,} rows → {backend}", flush=True)
                ours = run_child("overlapped", backend, big)
                rate = ours["rows"] / ours["seconds"]
                print(f"  import, read (a reader thread) and write overlapped: {ours['rows']:,} rows in "
                      f"{ours['seconds']:.1f} s = {rate:,.0f} rows/s (target {TARGETS[kind]:,}); CPU "
                      f"{ours['cpu_seconds']:.1f} s = {ours['rows'] / ours['cpu_seconds']:,.0f} rows/s; peak "
                      f"{ours['writer_peak_mb']:,.0f} MB (target < 1,500)", flush=True)
                print(f"    first chunk written at {ours['first_chunk_seconds']:.1f} s, last at "
                      f"{ours['last_chunk_seconds']:.1f} s, whole-file work after it {ours['finish_seconds']:.1f} s, "
                      f"COMMIT {ours['db_commit_seconds']:.1f} s; stored {ours['stored']:,}, matched "
                      f"{ours['matched']:,}, counted {ours['counted']:,} = {ours['counted_total']} 元, "
                      f"totals check ok={ours['totals_ok']}")
                other = run_child("overlapped_other", backend, big)
                print(f"  the same with a reader process (reader=\"process\"): {other['seconds']:.1f} s = "
                      f"{other['rows'] / other['seconds']:,.0f} rows/s; CPU {other['cpu_seconds']:.1f} s importing "
                      f"+ {other['reader_cpu_seconds']:.1f} s reading; peak {other['together_peak_mb']:,.0f} MB for "
                      f"both processes at once ({other['writer_peak_mb']:,.0f} MB and {other['reader_peak_mb']:,.0f} MB "
                      f"apart); first chunk at {other['first_chunk_seconds']:.1f} s, last at "
                      f"{other['last_chunk_seconds']:.1f} s, after it {other['finish_seconds']:.1f} s → the thread is "
                      f"{other['seconds'] / ours['seconds']:.2f}× as fast (load average {os.getloadavg()[0]:.1f})",
                      flush=True)
                if not args.no_two_step:
                    two = run_child("import", backend, big)
                    print(f"  two-step import (read, then write): {two['rows']:,} rows in {two['seconds']:.1f} s = "
                          f"{two['rows'] / two['seconds']:,.0f} rows/s; CPU {two['cpu_seconds']:.1f} s; peak "
                          f"{two['peak_mb']:,.0f} MB; prepare {two['prepare_seconds']:.1f} s, commit "
                          f"{two['commit_seconds']:.1f} s, COMMIT {two['db_commit_seconds']:.1f} s", flush=True)
                    print(f"    (not included: the monitoring summary the CLI prints afterwards, "
                          f"{two['monitoring_seconds']:.1f} s for {two['touched']} projects, whatever the row count)")
                if args.no_naive:
                    continue
                naive = run_child("naive", backend, small)
                naive_rate = naive["rows"] / naive["seconds"]
                naive_cpu_rate = naive["rows"] / naive["cpu_seconds"]
                print(f"  naive (pandas {'read_csv' if kind == 'csv' else 'read_excel/openpyxl'} + ORM "
                      f"add_all) on {naive['rows']:,} rows: {naive['seconds']:.1f} s = {naive_rate:,.0f} "
                      f"rows/s; CPU {naive_cpu_rate:,.0f} rows/s; peak {naive['peak_mb']:,.0f} MB → "
                      f"{args.rows / naive_rate:,.0f} s for {args.rows:,} rows by rate")
                print(f"  speed-up: {rate / naive_rate:.1f}× wall, "
                      f"{ours['rows'] / ours['cpu_seconds'] / naive_cpu_rate:.1f}× CPU")
        if args.cli_rows and (not args.only or args.only == "xlsx"):
            small_xlsx = cached("xlsx", args.cli_rows)
            for backend in backends:
                cli = run_child("cli", backend, small_xlsx)
                print(f"\nCLI: time tracker import ledger <{args.cli_rows:,}-row xlsx> --unit … → {backend}: "
                      f"{cli['seconds']:.1f} s = {cli['rows'] / cli['seconds']:,.0f} rows/s (target 100,000; "
                      f"process start and the monitoring summary included); CLI peak {cli['cli_peak_mb']:,.0f} MB",
                      flush=True)
    finally:
        if "postgresql" in backends:
            drop_postgres_schema()


if __name__ == "__main__":
    main()
