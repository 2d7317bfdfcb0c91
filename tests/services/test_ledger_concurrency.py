"""Two ledger imports of one unit at the same moment never count money twice (issue #21).

Real threads running the real ``tracker`` CLI code against a real, committed SQLite file and
PostgreSQL schema (``fresh_database_url``).  The interleaving is forced: either both imports
finish reading and matching before either writes (a barrier in front of ``commit``), or the
test itself holds the unit's lock while they start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker import cli, migration
from tracker.config import PROJECT_ROOT
from tracker.db import Database
from tracker.models import LedgerBatch, Project, ProjectMonthSpending, Unit
from tracker.services import ledger_import
from tracker.services.ledger_import import LedgerUpload, commit, prepare
from tracker.services.ledger_lock import NAMESPACE
from tracker.services.spending import spent_through
from tracker.services.target_import import UploadedFile, apply_import, plan_import

SEED = PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt"
NAMES = ["创新驱动、科技发展业务经费", "中央引导地方科技发展资金", "专项业务经费"]
HEADER = "业务日期,凭证编号,实施单位,项目名称,摘要,金额（元）\n"


def payment_list(path: Path, months: range, rows_per_month: int = 400, first_voucher: int = 0) -> Decimal:
    """A 国库集中支付 list of the seed's unit; returns its total in 元."""
    total = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        handle.write(HEADER)
        for month in months:
            for i in range(rows_per_month):
                cents = (i % 900 + 100) * 100 + month
                total += cents
                handle.write(f"2025-{month:02d}-{i % 28 + 1:02d},{first_voucher + month * 10_000 + i:07d},"
                             f"205001-石嘴山市科学技术局,{NAMES[i % 3]},第{i}笔,\"{cents / 100:,.2f}\"\n")
    return Decimal(total) / 100


@pytest.fixture()
def database(fresh_database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Database]:
    """A migrated, committed database with the 石嘴山 targets, which the CLI opens too."""
    db = Database(fresh_database_url)
    migration.upgrade(fresh_database_url, db.engine)
    with db.session() as session:
        apply_import(session, plan_import(session, [UploadedFile(SEED.name, SEED.read_bytes())]), "test")
        session.commit()
    monkeypatch.setenv("TRACKER_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    yield db
    db.dispose()


def run_cli(*args: str) -> int:
    """``tracker …`` as the command line runs it (its own configuration and engine)."""
    try:
        cli.main(list(args))
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def in_threads(*calls: Callable[[], int]) -> list[int]:
    results: list[int] = [-1] * len(calls)

    def run(index: int, call: Callable[[], int]) -> None:
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "an import hung"
    return results


@pytest.fixture()
def both_read_before_either_writes(monkeypatch: pytest.MonkeyPatch, database: Database) -> Callable[[], None]:
    """Once armed, the next two imports have both read and matched (and so checked for
    duplicates, in the preview) before either begins to write: the interleaving that
    counted money twice.

    Where that interleaving cannot happen any more the first import goes on after a few
    seconds: on SQLite a writing CLI command takes the database's write lock as its
    transaction begins, so the second import waits for the first one's commit before it reads."""
    barrier = threading.Barrier(2, timeout=60 if database.engine.dialect.name == "postgresql" else 5)
    real_commit = ledger_import.commit

    def commit_after_barrier(*args: Any, **kwargs: Any) -> Any:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:  # the other import waits for our lock (SQLite)
            pass
        return real_commit(*args, **kwargs)

    return lambda: monkeypatch.setattr(ledger_import, "commit", commit_after_barrier)


def spent(db: Database, as_of: date) -> Decimal:
    with db.session() as session:
        return sum(spent_through(session, as_of).values(), Decimal("0.00"))


def active_batches(db: Database) -> list[tuple[int, str]]:
    with db.session() as session:
        return [tuple(row) for row in session.execute(select(LedgerBatch.id, LedgerBatch.file_name).where(
            LedgerBatch.status == "active").order_by(LedgerBatch.id))]


def month_totals_agree(db: Database) -> None:
    """The kept monthly totals equal the rows (what monitoring reads equals the ledger)."""
    with db.session() as session:
        kept = session.scalar(select(func.sum(ProjectMonthSpending.amount))) or Decimal("0.00")
    assert kept == spent(db, date(2025, 12, 31))


def test_the_same_file_twice_at_once_lands_once(database: Database, tmp_path: Path,
                                                both_read_before_either_writes: Callable[[], None],
                                                capsys: pytest.CaptureFixture[str]) -> None:
    payments = tmp_path / "支付明细.csv"
    total = payment_list(payments, range(1, 7))
    args = ("import", "ledger", str(payments), "--period", "2025-01-01..2025-06-30")
    both_read_before_either_writes()
    codes = in_threads(lambda: run_cli(*args), lambda: run_cli(*args))
    err = capsys.readouterr().err
    assert sorted(codes) == [0, 2], err
    assert "同一文件已导入过" in err and "Traceback" not in err and "database is locked" not in err
    assert len(active_batches(database)) == 1
    assert spent(database, date(2025, 6, 30)) == total
    month_totals_agree(database)


def test_a_full_year_list_and_its_half_year_re_export_at_once_count_once(
        database: Database, tmp_path: Path, both_read_before_either_writes: Callable[[], None],
        capsys: pytest.CaptureFixture[str]) -> None:
    older = tmp_path / "1-5月.csv"
    payment_list(older, range(1, 6), rows_per_month=100, first_voucher=5_000)
    assert run_cli("import", "ledger", str(older), "--period", "2025-01-01..2025-05-31") == 0
    year, half = tmp_path / "全年.csv", tmp_path / "1-6月.csv"
    year_total = payment_list(year, range(1, 13))
    payment_list(half, range(1, 7))  # the same payments of January–June, exported again
    both_read_before_either_writes()
    codes = in_threads(
        lambda: run_cli("import", "ledger", str(year), "--period", "2025-01-01..2025-12-31"),
        lambda: run_cli("import", "ledger", str(half), "--period", "2025-01-01..2025-06-30"))
    err = capsys.readouterr().err
    assert codes == [0, 0], err
    assert len(active_batches(database)) == 3
    assert spent(database, date(2025, 12, 31)) == year_total
    month_totals_agree(database)


@pytest.fixture()
def unit_lock_held(database: Database) -> Iterator[Callable[[], None]]:
    """Holds the 石嘴山 unit's import lock (as another import would) until released."""
    with database.session() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.name == "石嘴山市科学技术局"))
    connection: Connection = database.engine.connect()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:n, :u)"), {"n": NAMESPACE, "u": unit_id})
    else:  # SQLite: the write lock
        connection.exec_driver_sql("UPDATE unit SET id = id WHERE 0")
    released = threading.Event()

    def release() -> None:
        if not released.is_set():
            released.set()
            connection.rollback()
            connection.close()

    yield release
    release()


def test_the_second_import_waits_says_so_and_then_imports(database: Database, tmp_path: Path,
                                                          unit_lock_held: Callable[[], None],
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """The SQLite importer waits instead of failing with "database is locked"; both say they wait."""
    payments = tmp_path / "支付明细.csv"
    total = payment_list(payments, range(1, 7), rows_per_month=50)
    args = ("import", "ledger", str(payments), "--period", "2025-01-01..2025-06-30")

    def release_later() -> int:
        time.sleep(2.5)  # longer than the second after which the importer says it waits
        unit_lock_held()
        return 0

    codes = in_threads(lambda: run_cli(*args), release_later)
    err = capsys.readouterr().err
    assert codes == [0, 0], err
    assert err.count("正在等待另一导入完成") == 1 and "database is locked" not in err
    assert spent(database, date(2025, 6, 30)) == total


def test_undo_waits_for_the_import_of_its_unit(database: Database, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    payments = tmp_path / "支付明细.csv"
    payment_list(payments, range(1, 4), rows_per_month=20)
    assert run_cli("import", "ledger", str(payments), "--period", "2025-01-01..2025-03-31") == 0
    batch_id = active_batches(database)[0][0]
    with database.session() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.name == "石嘴山市科学技术局"))
    holder = database.engine.connect()
    if holder.dialect.name == "postgresql":
        holder.execute(text("SELECT pg_advisory_xact_lock(:n, :u)"), {"n": NAMESPACE, "u": unit_id})
    else:
        holder.exec_driver_sql("UPDATE unit SET id = id WHERE 0")

    def release_later() -> int:
        time.sleep(1.5)
        holder.rollback()
        holder.close()
        return 0

    codes = in_threads(lambda: run_cli("ledger", "undo", str(batch_id)), release_later)
    err = capsys.readouterr().err
    assert codes == [0, 0], err
    assert "正在等待另一导入完成" in err
    assert active_batches(database) == [] and spent(database, date(2025, 12, 31)) == Decimal("0.00")


def test_the_database_refuses_a_second_active_batch_of_one_file(database: Database) -> None:
    """The partial unique index, with the application's checks out of the way."""
    with database.session() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.name == "石嘴山市科学技术局"))

        def batch(status: str = "active", source: str = "国库集中支付") -> LedgerBatch:
            return LedgerBatch(unit_id=unit_id, source=source, source_kind="payment_list",
                               file_name="a.csv", checksum="f" * 64, period_start=date(2025, 1, 1),
                               period_end=date(2025, 6, 30), period_source="declared", actor="test",
                               status=status)

        session.add(batch())
        session.commit()
        session.add(batch(status="undone"))  # undone copies of the file are history
        session.add(batch(source="用友明细账"))  # another source is another question
        session.commit()
        session.add(batch())
        with pytest.raises(IntegrityError):
            session.commit()


def test_commit_answers_already_imported_when_only_the_index_stops_it(
        database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    payments = tmp_path / "支付明细.csv"
    payment_list(payments, range(1, 3), rows_per_month=10)
    upload = LedgerUpload(payments.name, payments.read_bytes())
    with database.session() as session:
        first = commit(session, prepare(session, upload, period="2025-01-01..2025-02-28"), "test")
        session.commit()
    monkeypatch.setattr(ledger_import, "_active_duplicate", lambda *_args: None)  # the check skipped
    with database.session() as session:
        again = commit(session, prepare(session, upload, period="2025-01-01..2025-02-28"), "test")
        assert not again.imported and f"同一文件已导入过（批次 {first.batch.id}）" in again.reason
        session.rollback()
    assert len(active_batches(database)) == 1


def test_a_deadlock_runs_the_transaction_again(database: Database) -> None:
    """Two transactions taking two locks in opposite orders: PostgreSQL breaks the deadlock
    by failing one, which ``retrying`` runs again; both end done, nothing shown.  On SQLite
    the same shape is a transaction that read before taking the write lock (WriteConflict)."""
    from tracker.services.ledger_lock import lock_unit, retrying

    barrier = threading.Barrier(2, timeout=30)
    attempts: list[str] = []

    def work(first: int, second: int, name: str) -> Callable[[], int]:
        def attempt() -> int:
            attempts.append(name)
            with database.session() as session:
                if session.get_bind().dialect.name == "postgresql":
                    lock_unit(session, first)
                    if attempts.count(name) == 1:
                        barrier.wait()
                    lock_unit(session, second)
                else:  # the first attempt reads first (as a page request does), the retry locks first
                    if attempts.count(name) == 1:
                        session.scalar(select(func.count(Unit.id)))
                        barrier.wait()
                    lock_unit(session, second)
                    time.sleep(0.3)  # write for a while: the other one must not fail
                session.commit()
            return 0
        return lambda: retrying(attempt)

    assert in_threads(work(1, 2, "a"), work(2, 1, "b")) == [0, 0]
    assert len(attempts) == 3  # one of the two ran twice


def test_two_sources_at_once_still_count_one(database: Database, tmp_path: Path,
                                             both_read_before_either_writes: Callable[[], None],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """The 国库集中支付 list and the 用友 books of the same payments (平行记账), imported at the
    same moment by two clerks: whichever lands second is kept for reference, not counted."""
    payments, books = tmp_path / "支付.csv", tmp_path / "账簿.csv"
    total = payment_list(payments, range(1, 4), rows_per_month=100)
    assert payment_list(books, range(1, 4), rows_per_month=100, first_voucher=500_000) == total
    both_read_before_either_writes()
    period = ("--period", "2025-01-01..2025-03-31")
    codes = in_threads(
        lambda: run_cli("import", "ledger", str(payments), *period, "--source", "国库集中支付"),
        lambda: run_cli("import", "ledger", str(books), *period, "--source", "用友明细账"))
    assert codes == [0, 0], capsys.readouterr().err
    assert spent(database, date(2025, 3, 31)) == total
    with database.session() as session:
        counted = sorted(session.scalars(select(LedgerBatch.counted_rows)))
    assert counted == [0, 300]
    month_totals_agree(database)


def test_two_tracker_processes_wait_for_each_other(database: Database, tmp_path: Path,
                                                   unit_lock_held: Callable[[], None],
                                                   fresh_database_url: str) -> None:
    """Two real ``tracker import ledger`` processes of the same file while a third holds the
    unit's lock: both say they wait; once it is released, one imports, the other says 已导入过."""
    import os
    import subprocess
    import sys

    payments = tmp_path / "支付明细.csv"
    total = payment_list(payments, range(1, 4), rows_per_month=100)
    env = {**os.environ, "TRACKER_DATABASE_URL": fresh_database_url, "TRACKER_INSTANCE_PATH": str(tmp_path)}
    command = [sys.executable, "-m", "tracker.cli", "import", "ledger", str(payments),
               "--period", "2025-01-01..2025-03-31"]
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    said: list[list[str]] = [[], []]
    readers = [threading.Thread(target=lambda i=i: said[i].extend(processes[i].stderr))  # type: ignore[union-attr]
               for i in range(2)]
    for reader in readers:
        reader.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(any("正在等待另一导入完成" in line for line in lines)
                                                  for lines in said):
        if any(process.poll() is not None for process in processes):
            for process in processes:  # none left running into the schema's teardown
                process.kill()
                process.wait(timeout=30)
            for reader in readers:
                reader.join(timeout=10)
            pytest.fail(f"an import did not wait: exit codes {[p.returncode for p in processes]}, said {said}")
        time.sleep(0.1)
    unit_lock_held()
    for process, reader in zip(processes, readers, strict=True):
        process.wait(timeout=120)
        reader.join(timeout=10)
    codes = sorted(process.returncode for process in processes)
    errors = "".join(line for lines in said for line in lines)
    assert codes == [0, 2], errors
    assert errors.count("正在等待另一导入完成") == 2 and errors.count("同一文件已导入过") == 1
    assert "Traceback" not in errors
    assert len(active_batches(database)) == 1 and spent(database, date(2025, 3, 31)) == total


def test_a_counting_source_switch_waits_for_the_unit_and_recomputes_once(
        database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue #16: choosing the counting source takes the unit's ledger lock like an import: it
    waits for the holder, says so, then switches; the kept monthly totals equal the rows."""
    payments, books = tmp_path / "支付.csv", tmp_path / "账簿.csv"
    paid = payment_list(payments, range(1, 4), rows_per_month=30)
    booked = payment_list(books, range(1, 3), rows_per_month=30, first_voucher=500_000)
    period = ("--period", "2025-01-01..2025-03-31")
    assert run_cli("import", "ledger", str(payments), *period, "--source", "国库集中支付") == 0
    assert run_cli("import", "ledger", str(books), *period, "--source", "用友明细账") == 0
    assert spent(database, date(2025, 3, 31)) == paid
    with database.session() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.name == "石嘴山市科学技术局"))
    holder = database.engine.connect()
    if holder.dialect.name == "postgresql":
        holder.execute(text("SELECT pg_advisory_xact_lock(:n, :u)"), {"n": NAMESPACE, "u": unit_id})
    else:
        holder.exec_driver_sql("UPDATE unit SET id = id WHERE 0")

    def release_later() -> int:
        time.sleep(1.5)
        holder.rollback()
        holder.close()
        return 0

    codes = in_threads(lambda: run_cli("ledger", "counting-source", "--unit", str(unit_id),
                                       "--source", "用友明细账"), release_later)
    err = capsys.readouterr().err
    assert codes == [0, 0], err
    assert "正在等待另一导入完成" in err
    assert spent(database, date(2025, 3, 31)) == booked
    month_totals_agree(database)
