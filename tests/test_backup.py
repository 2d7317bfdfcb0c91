"""``tracker db backup`` / ``tracker db restore`` on SQLite and PostgreSQL: a restored backup
gives the same ``export spending`` at three dates, a backup taken during an import holds the
batch whole or not at all, and a restore refuses what it must."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from tracker import backup, migration
from tracker.config import PROJECT_ROOT
from tracker.db import make_engine
from tracker.models import LedgerBatch, LedgerRow

SEED = PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt"
LEDGER = PROJECT_ROOT / "tests" / "fixtures" / "ledgers" / "payments_shizuishan_2025H1_utf8bom.csv"
DATES = ("2025-03-31", "2025-05-31", "2025-06-30")


@pytest.fixture()
def run(tracker_main):  # type: ignore[no-untyped-def]
    """``run(url, *args)`` → (exit code, stdout, stderr) of the ``tracker`` entry point."""
    return tracker_main


@pytest.fixture()
def url(fresh_database_url: str) -> str:
    engine = make_engine(fresh_database_url)
    migration.upgrade(fresh_database_url, engine)
    engine.dispose()
    return fresh_database_url


def _spending(run, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    exports = []
    for day in DATES:
        code, out, err = run(url, "export", "spending", "--as-of", day, "--json")
        assert code == 0, err
        exports.append(out)
    return exports


def test_a_restored_backup_gives_the_same_spending(url: str, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run(url, "import", "targets", str(SEED))[0] == 0
    code, out, err = run(url, "import", "ledger", str(LEDGER), "--period", "2025-01-01..2025-06-30",
                         "--json")
    assert code == 0, err
    batch_id = json.loads(out)["files"][0]["batch_id"]
    before = _spending(run, url)
    assert any(json.loads(e) for e in before) and before[0] != before[2]  # spending that grows

    file = tmp_path / "tracker.backup"
    code, out, err = run(url, "db", "backup", str(file))
    assert code == 0 and file.is_file() and f"已备份到 {file}" in out, err

    assert run(url, "ledger", "undo", str(batch_id))[0] == 0  # the data changes after the backup
    assert _spending(run, url) != before

    code, out, err = run(url, "db", "restore", str(file))
    assert code == 2 and "--yes" in err  # a restore is destructive: it asks first
    assert _spending(run, url) != before
    code, out, err = run(url, "db", "restore", str(file), "--yes")
    assert code == 0, err
    assert f"已从 {file} 恢复：数据库版本 {migration.head_revision()}（与程序一致）" in out
    assert "台账批次 1、台账行 4" in out
    assert _spending(run, url) == before
    code, out, _err = run(url, "db", "current")
    assert code == 0 and "最新" in out


def test_a_backup_never_overwrites_a_file(url: str, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    file = tmp_path / "keep.backup"
    file.write_bytes(b"an older backup")
    code, _out, err = run(url, "db", "backup", str(file))
    assert code == 2 and "文件已存在" in err
    assert file.read_bytes() == b"an older backup"


def test_restore_refuses_what_is_not_a_backup_and_a_newer_schema(url: str, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    junk = tmp_path / "junk.backup"
    junk.write_text("这不是备份", encoding="utf-8")
    code, _out, err = run(url, "db", "restore", str(junk), "--yes")
    assert code == 6 and err.startswith("错误：") and "Traceback" not in err

    file = tmp_path / "newer.backup"
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
        assert run(url, "db", "backup", str(file))[0] == 0
        with engine.begin() as connection:
            connection.execute(text(f"UPDATE alembic_version SET version_num = '{migration.head_revision()}'"))
    finally:
        engine.dispose()
    code, _out, err = run(url, "db", "restore", str(file), "--yes")
    assert code == 3 and "备份的数据库版本 ffffffffffff 比本程序新" in err
    assert run(url, "db", "current")[0] == 0  # untouched


ROWS = 60_000


def _big_ledger(path: Path) -> None:
    names = ["创新驱动、科技发展业务经费", "中央引导地方科技发展资金", "专项业务经费"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("业务日期,凭证编号,实施单位,项目名称,摘要,金额（元）\n")
        for i in range(ROWS):
            handle.write(f"2025-{i % 6 + 1:02d}-{i % 28 + 1:02d},{i:07d},205001-石嘴山市科学技术局,"
                         f"{names[i % 3]},第{i}笔,{i % 900 + 100}.00\n")


def _writing(engine, url: str) -> bool:  # type: ignore[no-untyped-def]
    if url.startswith("sqlite"):
        wal = Path(url.removeprefix("sqlite:///") + "-wal")
        return wal.exists() and wal.stat().st_size > 500_000
    with engine.connect() as connection:
        return bool(connection.execute(text(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON l.relation = c.oid "
            "WHERE c.relname = 'ledger_row' AND l.mode = 'RowExclusiveLock'")).scalar())


def test_a_backup_during_an_import_holds_the_batch_whole_or_not_at_all(url: str, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert run(url, "import", "targets", str(SEED))[0] == 0
    data = tmp_path / "big.csv"
    _big_ledger(data)
    env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_INSTANCE_PATH": str(tmp_path)}
    importing = subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "import", "ledger", str(data), "--period",
         "2025-01-01..2025-06-30"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    engine = make_engine(url)
    file = tmp_path / "during.backup"
    try:
        deadline = time.monotonic() + 120
        while importing.poll() is None and not _writing(engine, url) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert importing.poll() is None, "the import ended before the backup could start"
        backup.backup(url, file)
        still_importing = importing.poll() is None
        _out, errors = importing.communicate(timeout=300)
        assert importing.returncode == 0, errors
        with engine.connect() as connection:
            assert connection.execute(select(func.count(LedgerRow.id))).scalar() == ROWS
        backup.restore(url, engine, file)
        with engine.connect() as connection:
            batches = connection.execute(select(func.count(LedgerBatch.id))).scalar()
            rows = connection.execute(select(func.count(LedgerRow.id))).scalar()
    finally:
        engine.dispose()
    assert (batches, rows) in ((0, 0), (1, ROWS)), (batches, rows)
    if still_importing:  # the backup began and ended inside the import's transaction
        assert (batches, rows) == (0, 0)


def test_a_table_the_backup_lacks(url: str, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """SQLite's restore replaces the whole file, so the table goes; PostgreSQL's restore would
    leave it behind (a newer schema's table), so it refuses and changes nothing."""
    file = tmp_path / "before.backup"
    assert run(url, "db", "backup", str(file))[0] == 0
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE made_by_newer_code (id INTEGER PRIMARY KEY)"))
            connection.execute(text("INSERT INTO made_by_newer_code VALUES (1)"))
        code, out, err = run(url, "db", "restore", str(file), "--yes", "--json")
        with engine.connect() as connection:
            left = connection.execute(text(
                "SELECT count(*) FROM made_by_newer_code")).scalar() if _has_table(connection) else None
    finally:
        engine.dispose()
    if url.startswith("sqlite"):
        assert code == 0 and json.loads(out)["revision"] == migration.head_revision(), err
        assert left is None
    else:
        assert code == 6 and "made_by_newer_code" in err and "未恢复" in err
        assert left == 1


def _has_table(connection) -> bool:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect

    return inspect(connection).has_table("made_by_newer_code")


def test_a_restore_does_not_wait_forever_for_a_connected_server(url: str, run, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL: another connection (a web server still running) holds a lock on a table; the
    restore gives up after its lock timeout, says why, and changes nothing."""
    if url.startswith("sqlite"):
        pytest.skip("PostgreSQL's table locks")
    monkeypatch.setattr(backup, "RESTORE_LOCK_WAIT_SECONDS", 0.5)
    file = tmp_path / "b.backup"
    assert run(url, "db", "backup", str(file))[0] == 0
    engine = make_engine(url)
    try:
        with engine.connect() as server:
            server.execute(text("SELECT count(*) FROM unit"))  # holds ACCESS SHARE until it ends
            code, _out, err = run(url, "db", "restore", str(file), "--yes")
            server.rollback()
    finally:
        engine.dispose()
    assert code == 6 and "数据库正被其他连接使用" in err and "未改动任何数据" in err, err
    assert run(url, "db", "current")[0] == 0


def test_a_backup_file_is_readable_by_its_owner_only(url: str, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    file = tmp_path / "private.backup"
    assert run(url, "db", "backup", str(file))[0] == 0
    assert file.stat().st_mode & 0o777 == 0o600


def test_a_failing_pg_dump_is_said_in_chinese_and_its_output_logged(url: str, run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if url.startswith("sqlite"):
        pytest.skip("pg_dump")
    wrong = url.replace("127.0.0.1:5432", "127.0.0.1:9")  # nothing listens there
    code, _out, err = run(wrong, "db", "backup", str(tmp_path / "x.backup"))
    log = tmp_path / "logs" / "errors.log"
    assert code == 6 and err.startswith("错误：备份失败：数据库不可用") and str(log) in err, err
    assert "Traceback" not in err and "pg_dump: error" in log.read_text(encoding="utf-8")
    assert not (tmp_path / "x.backup").exists() and not (tmp_path / "x.backup.part").exists()
