"""``tracker import ledger`` yields the CPU to the pages: the process and every thread it
starts (the pipeline's reader) run at a lower priority (``Config.import_niceness``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tracker import migration
from tracker.config import PROJECT_ROOT
from tracker.db import make_engine

from tests.services.test_ledger_pipeline import ROWS, SHIZUISHAN_SEED, big_csv

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc (Linux)")


def niceness(pid: int) -> dict[int, int]:
    """The nice value of each thread of process ``pid`` (/proc/<pid>/task/<tid>/stat, field 19)."""
    found = {}
    for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the thread ended meanwhile
        found[int(stat.parent.name)] = int(fields[16])
    return found


@pytest.mark.parametrize(("setting", "expected"), [(None, 10), ("0", 0)])
def test_the_import_and_its_reader_thread_run_at_a_lower_priority(
        fresh_database_url: str, tmp_path: Path, setting: str | None, expected: int) -> None:
    url = fresh_database_url
    engine = make_engine(url)
    migration.upgrade(url, engine)
    engine.dispose()
    env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_INSTANCE_PATH": str(tmp_path)}
    env.pop("TRACKER_IMPORT_NICENESS", None)
    if setting is not None:
        env["TRACKER_IMPORT_NICENESS"] = setting
    subprocess.run([sys.executable, "-m", "tracker.cli", "import", "targets", str(PROJECT_ROOT / "seeds" / SHIZUISHAN_SEED)],
                   env=env, check=True, capture_output=True, timeout=120)
    data = tmp_path / "big.csv"
    data.write_bytes(big_csv(ROWS))
    base = os.nice(0)
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "import", "ledger", str(data),
         "--period", "2025-01-01..2025-06-30", "--unit", "石嘴山市科学技术局"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    seen: dict[int, int] = {}
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            line = process.stderr.readline()  # "已读入并写入 50,000 行…": the reader thread runs
            if not line or "已读入并写入" in line:
                break
        seen = niceness(process.pid)
    finally:
        process.kill()
        process.wait(timeout=60)
    assert len(seen) >= 2, "the import had no reader thread running when it said a chunk was written"
    assert set(seen.values()) == {min(19, base + expected)}
