"""A ledger import killed mid-way leaves the database exactly as it was (a real process, SIGKILL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select, text

from tracker import migration
from tracker.config import PROJECT_ROOT
from tracker.db import make_engine
from tracker.models import LedgerBatch, LedgerRow, ProjectMonthSpending

ROWS = 150_000


def big_csv(path: Path) -> None:
    names = ["创新驱动、科技发展业务经费", "中央引导地方科技发展资金", "专项业务经费"]
    with path.open("w", encoding="gbk", newline="") as handle:
        handle.write("业务日期,凭证编号,实施单位,项目名称,摘要,金额（元）\n")
        for i in range(ROWS):
            handle.write(f"2025-{i % 6 + 1:02d}-{i % 28 + 1:02d},{i:07d},205001-石嘴山市科学技术局,"
                         f"{names[i % 3]},第{i}笔,\"{i % 900 + 100:,}.00\"\n")


def _writing(engine, url: str, instance: Path) -> bool:  # type: ignore[no-untyped-def]
    if url.startswith("sqlite"):
        wal = Path(url.removeprefix("sqlite:///") + "-wal")
        return wal.exists() and wal.stat().st_size > 2_000_000
    with engine.connect() as connection:
        return bool(connection.execute(text(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON l.relation = c.oid "
            "WHERE c.relname = 'ledger_row' AND l.mode = 'RowExclusiveLock'")).scalar())


def test_killed_import_leaves_nothing(fresh_database_url: str, tmp_path: Path) -> None:
    url = fresh_database_url
    engine = make_engine(url)
    migration.upgrade(url, engine)
    env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_INSTANCE_PATH": str(tmp_path)}
    seed = PROJECT_ROOT / "seeds" / "004_543d86f9f0ad9464.txt"
    subprocess.run([sys.executable, "-m", "tracker.cli", "import", "targets", str(seed)],
                   env=env, check=True, capture_output=True, timeout=120)
    data = tmp_path / "big.csv"
    big_csv(data)
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "import", "ledger", str(data),
         "--period", "2025-01-01..2025-06-30"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    killed_while_writing = False
    deadline = time.monotonic() + 120
    while process.poll() is None and time.monotonic() < deadline:
        if _writing(engine, url, tmp_path):
            process.send_signal(signal.SIGKILL)
            killed_while_writing = True
            break
        time.sleep(0.005)
    process.wait(timeout=60)
    assert killed_while_writing, "the import finished before it could be killed mid-write"
    engine.dispose()
    engine = make_engine(url)  # a new process's view, after recovery
    try:
        with engine.connect() as connection:
            assert connection.execute(select(func.count(LedgerBatch.id))).scalar() == 0
            assert connection.execute(select(func.count(LedgerRow.id))).scalar() == 0
            assert connection.execute(select(func.count()).select_from(ProjectMonthSpending)).scalar() == 0
    finally:
        engine.dispose()
