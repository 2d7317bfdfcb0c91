"""The one-step import's writer thread (``services/ledger_pipeline.py: _Writer``): the chunks
written and the indexes built again in a thread of their own while the importing thread works,
with the same batch as ``prepare`` + ``commit`` and nothing left behind by a failure on either
side or by a kill (both databases)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tracker import migration
from tracker.config import PROJECT_ROOT
from tracker.db import make_engine
from tracker.importers.ledger import columnar
from tracker.models import LedgerBatch, LedgerRow, Unit
from tracker.services import ledger_pipeline, ledger_rows
from tracker.services.ledger_import import LedgerUpload
from tracker.services.ledger_matching import ChunkMatcher
from tracker.services.ledger_rows import RowWriter

from .test_ledger_import import load_seed
from .test_ledger_pipeline import SHIZUISHAN_SEED, big_csv, landed, summary_of, table_counts, two_step

OPTIONS = {"period": "2025-01-01..2025-06-30", "unit": "石嘴山市科学技术局", "chunk_rows": 4_000}
WAIT = 20  # seconds a test waits for the other thread before it says the overlap did not happen


def writer_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == "ledger-writer"]


def indexes(session: Session) -> list[str]:
    """ledger_row's indexes (and on PostgreSQL its constraints), as the database has them."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        return sorted(connection.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'ledger_row'")).scalars())
    return sorted([*connection.execute(text(
        "SELECT indexname FROM pg_indexes WHERE tablename = 'ledger_row' "
        "AND schemaname = current_schema()")).scalars(),
        *connection.execute(text(
            "SELECT conname FROM pg_constraint WHERE conrelid = 'ledger_row'::regclass")).scalars()])


@pytest.fixture()
def big(session: Session, monkeypatch: pytest.MonkeyPatch) -> LedgerUpload:
    """A 30,000-row export read in chunks of about 4,000 rows, big enough for the indexes to be
    set aside and built again after the rows (as for a first load of a million)."""
    monkeypatch.setattr(columnar, "STREAM_BLOCK_BYTES", 1 << 18)
    monkeypatch.setattr(ledger_rows, "REBUILD_INDEXES_FROM", 1_000)
    load_seed(session, SHIZUISHAN_SEED)
    return LedgerUpload("big.csv", big_csv(30_000))


def _fails(session: Session, upload: LedgerUpload, error: type[BaseException]) -> BaseException:
    with pytest.raises(error) as raised:
        with session.begin_nested():
            ledger_pipeline.import_ledger(session, upload, "test", **OPTIONS)
    assert not writer_threads()  # joined or stopped, never left running
    return raised.value


def test_chunks_written_by_the_writer_thread_while_the_next_is_matched(
        session: Session, big: LedgerUpload, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each chunk is written in the writer thread, and the importing thread matches the next
    chunk meanwhile: the first write waits until the second chunk's match has begun."""
    second_match = threading.Event()
    matched: list[int] = []
    writers: list[str] = []
    overlapped: list[bool] = []
    match, write = ChunkMatcher.match, RowWriter.write

    def matching(self: ChunkMatcher, columns: Any) -> Any:
        matched.append(len(columns))
        if len(matched) == 2:
            second_match.set()
        return match(self, columns)

    def writing(self: RowWriter, *args: Any, **kwargs: Any) -> None:
        writers.append(threading.current_thread().name)
        if len(writers) == 1:
            overlapped.append(second_match.wait(WAIT))
        write(self, *args, **kwargs)

    monkeypatch.setattr(ChunkMatcher, "match", matching)
    monkeypatch.setattr(RowWriter, "write", writing)
    told: list[int] = []
    result = ledger_pipeline.import_ledger(session, big, "test", progress=told.append, **OPTIONS)
    assert result.imported and overlapped == [True]
    assert set(writers) == {"ledger-writer"} and len(writers) == len(matched) > 2
    # ``progress`` told of every chunk once it was written, in order, ending with all of them
    assert len(told) == len(writers) and told == sorted(told) and told[-1] == 30_000
    assert not writer_threads()


def test_indexes_built_in_the_writer_thread_same_batch_as_the_two_step_import(
        session: Session, big: LedgerUpload, monkeypatch: pytest.MonkeyPatch) -> None:
    """The indexes (PostgreSQL: and foreign keys) set aside for a big batch are built again by
    the writer thread; the batch, its rows, matches and month totals are those of ``prepare`` +
    ``commit``, and the indexes are all back."""
    before = indexes(session)
    rebuilt_in: list[str] = []
    rebuild = RowWriter.rebuild

    def rebuilding(self: RowWriter) -> None:
        if self.restore:
            rebuilt_in.append(threading.current_thread().name)
        rebuild(self)

    monkeypatch.setattr(RowWriter, "rebuild", rebuilding)
    unit = session.scalar(select(Unit.id).order_by(Unit.id.desc()))
    given = {"unit": unit, "period": OPTIONS["period"], "today": date(2025, 12, 31)}
    outcomes = []
    for way in ("two_step", "one_step"):
        with session.begin_nested() as nested:
            if way == "two_step":
                result = two_step(session, big, **given)
            else:
                result = ledger_pipeline.import_ledger(session, big, "test", chunk_rows=4_000, **given)
            assert result.imported
            assert indexes(session) == before
            outcomes.append((landed(session, result.batch.id), summary_of(result)))
            nested.rollback()
            session.expunge_all()
    assert rebuilt_in == ["MainThread", "ledger-writer"]  # the two-step import builds them itself
    assert outcomes[0] == outcomes[1]
    assert len(outcomes[1][0]["rows"]) == 30_000


def test_writer_thread_failure_in_a_late_chunk_leaves_nothing(
        session: Session, big: LedgerUpload, monkeypatch: pytest.MonkeyPatch) -> None:
    before, before_indexes = table_counts(session), indexes(session)
    write = RowWriter.write
    calls: list[str] = []

    def failing(self: RowWriter, *args: Any, **kwargs: Any) -> None:
        calls.append(threading.current_thread().name)
        if len(calls) == 6:
            raise OperationalError("INSERT INTO ledger_row", {}, Exception("disk I/O error"))
        write(self, *args, **kwargs)

    monkeypatch.setattr(RowWriter, "write", failing)
    error = _fails(session, big, OperationalError)
    assert "disk I/O error" in str(error)
    assert calls == ["ledger-writer"] * 6  # raised in the writer thread, handed to the caller's
    assert table_counts(session) == before and indexes(session) == before_indexes
    assert session.scalar(select(func.count(LedgerBatch.id))) == before["ledger_batch"]


def test_failure_in_the_importing_thread_while_the_writer_is_busy_stops_it(
        session: Session, big: LedgerUpload, monkeypatch: pytest.MonkeyPatch) -> None:
    """The third chunk's match fails while the second chunk is being written: the writer
    thread finishes that chunk (a statement is not interrupted), writes nothing more, and has
    ended before the connection is used again (rolled back)."""
    before, before_indexes = table_counts(session), indexes(session)
    busy, failed = threading.Event(), threading.Event()
    events: list[str] = []
    match, write = ChunkMatcher.match, RowWriter.write
    matches: list[int] = []

    def matching(self: ChunkMatcher, columns: Any) -> Any:
        matches.append(1)
        if len(matches) == 3:
            assert busy.wait(WAIT)  # the second chunk is being written
            events.append("match failed")
            failed.set()
            raise RuntimeError("matching failed")
        return match(self, columns)

    writes: list[int] = []

    def writing(self: RowWriter, *args: Any, **kwargs: Any) -> None:
        writes.append(1)
        if len(writes) == 2:
            busy.set()
            failed.wait(WAIT)
        write(self, *args, **kwargs)
        events.append(f"chunk {len(writes)} written in {threading.current_thread().name}")

    close = RowWriter.close

    def closing(self: RowWriter, *, restore: bool = True) -> None:
        events.append(f"closed, restore={restore}, writers running: {len(writer_threads())}")
        close(self, restore=restore)

    monkeypatch.setattr(ChunkMatcher, "match", matching)
    monkeypatch.setattr(RowWriter, "write", writing)
    monkeypatch.setattr(RowWriter, "close", closing)
    error = _fails(session, big, RuntimeError)
    assert str(error) == "matching failed"
    assert events == ["chunk 1 written in ledger-writer", "match failed",
                      "chunk 2 written in ledger-writer", "closed, restore=False, writers running: 0"]
    assert table_counts(session) == before and indexes(session) == before_indexes


@pytest.mark.parametrize("where", ["writer thread", "importing thread"])
def test_failure_while_the_indexes_are_built_leaves_nothing(
        session: Session, big: LedgerUpload, monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """A failure in the index rebuild (the writer thread), or in the importing thread's work
    meanwhile: the same error, no batch, no rows, the indexes as they were."""
    before, before_indexes = table_counts(session), indexes(session)
    building, failed = threading.Event(), threading.Event()
    rebuild, corrected = RowWriter.rebuild, ledger_pipeline._corrected
    seen: list[str] = []

    def rebuilding(self: RowWriter) -> None:
        seen.append(threading.current_thread().name)
        rebuild(self)  # the indexes built (inside the transaction) …
        if where == "writer thread":
            raise OperationalError("CREATE INDEX", {}, Exception("database or disk is full"))
        building.set()
        failed.wait(WAIT)  # … and still running when the importing thread fails

    def correcting(*args: Any) -> list[int]:
        if where == "importing thread":
            assert building.wait(WAIT)
            failed.set()
            raise RuntimeError("comparison failed")
        return corrected(*args)

    monkeypatch.setattr(RowWriter, "rebuild", rebuilding)
    monkeypatch.setattr(ledger_pipeline, "_corrected", correcting)
    error = _fails(session, big, OperationalError if where == "writer thread" else RuntimeError)
    assert ("database or disk is full" if where == "writer thread" else "comparison failed") in str(error)
    assert seen[0] == "ledger-writer"
    assert table_counts(session) == before and indexes(session) == before_indexes


_KILLED_WHILE_INDEXING = """
import sys, threading, time
from sqlalchemy import select
from tracker.db import Database
from tracker.models import Unit
from tracker.services import ledger_pipeline, ledger_rows
from tracker.services.ledger_import import LedgerUpload
from tracker.importers.ledger import columnar

columnar.STREAM_BLOCK_BYTES = 1 << 18
ledger_rows.REBUILD_INDEXES_FROM = 1_000
rebuild = ledger_rows.RowWriter.rebuild

def rebuilding(self):
    rebuild(self)
    print("rebuilt in", threading.current_thread().name, flush=True)
    time.sleep(60)

ledger_rows.RowWriter.rebuild = rebuilding
database = Database(sys.argv[1])
with database.session() as session:
    unit = session.scalar(select(Unit.id).order_by(Unit.id.desc()))
    ledger_pipeline.import_ledger(
        session, LedgerUpload("big.csv", open(sys.argv[2], "rb").read()), "test", unit=unit,
        period="2025-01-01..2025-06-30", chunk_rows=4_000)
    session.commit()
print("done", flush=True)
"""


def test_killed_while_the_writer_thread_builds_the_indexes_leaves_nothing(
        fresh_database_url: str, tmp_path: Path) -> None:
    url = fresh_database_url
    engine = make_engine(url)
    migration.upgrade(url, engine)
    env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_INSTANCE_PATH": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "tracker.cli", "import", "targets",
                    str(PROJECT_ROOT / "seeds" / SHIZUISHAN_SEED)], env=env, check=True,
                   capture_output=True, timeout=120)
    with Session(engine) as session:
        before, before_indexes = table_counts(session), indexes(session)
    data = tmp_path / "big.csv"
    data.write_bytes(big_csv(30_000))
    process = subprocess.Popen([sys.executable, "-c", _KILLED_WHILE_INDEXING, url, str(data)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if line.startswith("rebuilt"):
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert line.strip() == "rebuilt in ledger-writer", (line, process.stderr.read() if process.stderr else "")
    engine.dispose()
    engine = make_engine(url)  # a new process's view, after recovery
    try:
        with Session(engine) as session:
            assert table_counts(session) == before and indexes(session) == before_indexes
            assert session.scalar(select(func.count(LedgerRow.id))) == 0
    finally:
        engine.dispose()


def test_each_text_interned_once_per_import(session: Session, big: LedgerUpload,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The chunks share the texts' ids (``RowWriter.text_ids``): a text the chunks before
    stored or found is not looked up again, and each row still gets its text."""
    asked: list[str] = []
    intern = ledger_rows.intern_texts

    def interning(connection: Any, values: Any) -> dict[str, int]:
        values = list(values)
        asked.extend(values)
        return intern(connection, values)

    monkeypatch.setattr(ledger_rows, "intern_texts", interning)
    result = ledger_pipeline.import_ledger(session, big, "test", **OPTIONS)
    assert result.imported and result.batch is not None
    assert asked and len(asked) == len(set(asked))
    rows = session.scalars(select(LedgerRow).where(LedgerRow.batch_id == result.batch.id)
                           .order_by(LedgerRow.id)).all()
    assert len(rows) == 30_000
    assert {row.unit_name for row in rows} == {"205001-石嘴山市科学技术局"}
    assert [row.project_name for row in rows[:4]] == ["创新驱动、科技发展业务经费", "中央引导地方科技发展资金",
                                                      "专项业务经费", "不存在的项目"]
    assert rows[-1].project_name == "不存在的项目" and rows[-1].sheet == rows[0].sheet
