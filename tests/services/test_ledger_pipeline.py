"""The one-step import with reading and writing overlapped (``services/ledger_pipeline.py``):
the same batch as ``prepare`` + ``commit``, and atomic — a failure in a late chunk or a killed
process leaves the database exactly as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from tracker import migration
from tracker.config import PROJECT_ROOT
from tracker.db import Base, make_engine
from tracker.errors import ImportRejected, TrackerError
from tracker.importers.ledger import columnar
from tracker.models import LedgerBatch, LedgerRow, MatchRule, Project, ProjectMonthSpending, Unit
from tracker.services import ledger_pipeline, ledger_read_ahead, ledger_rows
from tracker.services.ledger_import import LedgerUpload, commit, prepare
from tracker.services.ledger_rows import RowWriter

from .test_ledger_import import EXPECTED, FIXTURES, load_seed

SHIZUISHAN_SEED = "004_543d86f9f0ad9464.txt"
NAMES = ["创新驱动、科技发展业务经费", "中央引导地方科技发展资金", "专项业务经费", "不存在的项目"]


def big_csv(rows: int, *, bad_last: str | None = None) -> bytes:
    """A GBK export big enough for the columnar reader (over 2 MB), with unmatched rows and a
    printed 合计; ``bad_last``: the last transaction's amount cannot be read ("amount") or it
    has a cell beyond the header ("extra_cell")."""
    lines = ["业务日期,凭证编号,实施单位,项目名称,摘要,金额（元）"]
    total = 0
    for i in range(rows):
        cents = (i % 900 + 100) * 100 + i % 7
        total += cents
        last = i == rows - 1
        amount = "十二元" if last and bad_last == "amount" else f"{cents // 100:,}.{cents % 100:02d}"
        lines.append(f"2025-{i % 6 + 1:02d}-{i % 28 + 1:02d},{i:07d},205001-石嘴山市科学技术局,"
                     f"{NAMES[i % 4]},第{i}笔拨付项目经费及相关支出说明文字,\"{amount}\""
                     + (",多出的一格" if last and bad_last == "extra_cell" else ""))
    lines.append(f"合计,,,,,\"{total // 100:,}.{total % 100:02d}\"")
    return ("\n".join(lines) + "\n").encode("gbk")


def reader_processes(parent: int | None = None) -> list[int]:
    """The reader processes (``importers/ledger/reader_process.py``) that ``parent`` (this
    process) started and that still run (zombies not waited for count too)."""
    parent = os.getpid() if parent is None else parent
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"reader_process" in command:
            found.append(int(entry.name))
    return found


def table_counts(session: Session) -> dict[str, int]:
    session.flush()
    return {table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables}


def landed(session: Session, batch_id: int) -> dict[str, Any]:
    """A batch as stored, without ids that differ from one import to the next."""
    session.flush()
    session.expire_all()
    batch = session.get(LedgerBatch, batch_id)
    assert batch is not None
    names = {p.id: (p.code, p.name) for p in session.scalars(select(Project))}
    fields = {column.key: getattr(batch, column.key) for column in LedgerBatch.__table__.columns
              if column.key not in ("id", "imported_at", "unit_id")}
    rows = [(names.get(r.project_id), r.sheet, r.row_number, r.date, r.voucher, r.summary, r.debit,
             r.credit, r.amount, r.counts, r.not_counted_reason, r.match_method, r.project_code,
             r.project_name, r.document_no, r.status, r.unit_name)
            for r in session.scalars(select(LedgerRow).where(LedgerRow.batch_id == batch_id)
                                     .order_by(LedgerRow.id))]
    months = sorted((names[m.project_id], m.month, m.amount, m.row_count)
                    for m in session.scalars(select(ProjectMonthSpending)))
    return {"batch": fields, "rows": rows, "months": months}


def summary_of(result: Any) -> dict[str, Any]:
    summary = result.as_json()
    summary.pop("batch_id")
    summary.pop("waited_seconds")
    return summary


def two_step(session: Session, upload: LedgerUpload, **options: Any) -> Any:
    return commit(session, prepare(session, upload, **{k: v for k, v in options.items()
                                                       if k not in ("override_reason", "today")}),
                  "test", options.get("override_reason"), today=options.get("today"))


CASES = [
    ("yitihua_payments_tangshan_2021H1.xlsx", None, {}),
    ("grp_mingxizhang_gaoxinqu_2023.xlsx", None, {}),
    # read as a big workbook is (fastexcel, its head given before the sheet is loaded)
    ("yitihua_payments_tangshan_2021H1.xlsx", "columnar", {}),
    ("grp_mingxizhang_gaoxinqu_2023.xlsx", "columnar", {}),
    ("payments_shizuishan_2025H1_utf8bom.csv", None, {"period": "2025-01-01..2025-06-30"}),
    ("big.csv", "big", {"period": "2025-01-01..2025-06-30", "unit": "石嘴山市科学技术局"}),
    # the unit's saved rule matches the rows the chunks left unmatched: corrected at the end
    ("big.csv", "big+rule", {"period": "2025-01-01..2025-06-30", "unit": "石嘴山市科学技术局"}),
    # no unit given, no 单位 line: the first chunk's 实施单位 names it
    ("big.csv", "big, unit from the rows", {"period": "2025-01-01..2025-06-30"}),
]


@pytest.mark.parametrize(("name", "kind", "options"), CASES, ids=[c[1] or c[0] for c in CASES])
def test_same_batch_as_the_two_step_import(session: Session, name: str, kind: str | None,
                                           options: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar, "STREAM_BLOCK_BYTES", 1 << 18)  # a big CSV streams in ~12 blocks
    if kind == "columnar":
        monkeypatch.setattr(columnar, "FAST_PATH_MIN_BYTES", 0)
        kind = None
    seed = SHIZUISHAN_SEED if kind else EXPECTED[name]["seed"]
    data = big_csv(30_000) if kind else (FIXTURES / name).read_bytes()
    upload = LedgerUpload(name, data)
    outcomes = []
    for way in ("two_step", "thread", "process"):
        with session.begin_nested() as nested:
            load_seed(session, seed)
            unit = session.scalar(select(Unit.id).order_by(Unit.id.desc()))
            given = {"unit": unit, **options, "today": date(2025, 12, 31)}
            if kind == "big, unit from the rows":
                del given["unit"]
            if kind == "big+rule":
                project = session.scalars(select(Project).where(Project.unit_id == unit)
                                          .order_by(Project.id)).first()  # the same project both ways
                assert project is not None
                session.add(MatchRule(unit_id=unit, summary_keyword="拨付", project_id=project.id,
                                      created_by="test"))
            if way == "two_step":
                result = two_step(session, upload, **given)
            else:
                chunks: list[int] = []
                result = ledger_pipeline.import_ledger(session, upload, "test", chunk_rows=4_000 if kind else 2,
                                                       progress=chunks.append, reader=way, **given)
                assert len(chunks) > 1  # written a chunk at a time
            assert result.imported, result.reason
            outcomes.append((summary_of(result), landed(session, result.batch.id),
                             result.changes.text if result.changes else None))
            if kind == "big+rule":
                assert result.preview.matches.count((project.id, "rule")) == 7_500
            nested.rollback()
            session.expunge_all()  # the next way's batch may get the same id
    assert outcomes[0] == outcomes[1] == outcomes[2]
    assert not reader_processes()


def test_identical_file_again_is_refused_as_before(session: Session) -> None:
    load_seed(session, EXPECTED["grp_mingxizhang_gaoxinqu_2023.xlsx"]["seed"])
    upload = LedgerUpload("grp.xlsx", (FIXTURES / "grp_mingxizhang_gaoxinqu_2023.xlsx").read_bytes())
    unit = session.scalar(select(Unit.id))
    first = ledger_pipeline.import_ledger(session, upload, "test", chunk_rows=2, unit=unit)
    before = table_counts(session)
    again = ledger_pipeline.import_ledger(session, upload, "test", chunk_rows=2, unit=unit)
    assert first.imported and not again.imported and "已导入过" in (again.reason or "")
    assert table_counts(session) == before


def _fails_in_a_late_chunk(session: Session, upload: LedgerUpload, **options: Any) -> tuple[BaseException, int]:
    """Run the overlapped import in a savepoint the caller would roll back; returns the error
    and how many rows had been written when it came."""
    written: list[int] = []
    with pytest.raises((TrackerError, OperationalError)) as raised:
        with session.begin_nested():
            ledger_pipeline.import_ledger(session, upload, "test", progress=written.append, **options)
    assert not [t for t in threading.enumerate() if t.name == "ledger-reader"]  # joined
    assert not reader_processes()  # stopped and waited for
    return raised.value, written[-1] if written else 0


@pytest.mark.parametrize("reader", ["thread", "process"])
@pytest.mark.parametrize("bad", ["amount", "extra_cell"])
def test_bad_row_in_the_last_chunk_rolls_everything_back(session: Session, bad: str, reader: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader (a thread, or a process: its error pickled back) meets a bad row in the last
    chunk: the same Chinese error as the two-step import, nothing stays."""
    monkeypatch.setattr(columnar, "STREAM_BLOCK_BYTES", 1 << 18)
    load_seed(session, SHIZUISHAN_SEED)
    upload = LedgerUpload("bad-last.csv", big_csv(30_000, bad_last=bad))
    options = {"period": "2025-01-01..2025-06-30", "unit": "石嘴山市科学技术局"}
    before = table_counts(session)
    with pytest.raises(ImportRejected) as two_step_error:
        prepare(session, upload, **options)
    error, rows_written = _fails_in_a_late_chunk(session, upload, chunk_rows=4_000, reader=reader, **options)
    assert rows_written >= 24_000  # the chunks before the bad one were written
    assert isinstance(error, ImportRejected)
    assert (error.message, error.location) == (two_step_error.value.message, two_step_error.value.location)
    assert table_counts(session) == before


def test_database_error_in_a_late_chunk_rolls_everything_back(session: Session,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    load_seed(session, EXPECTED["yitihua_payments_tangshan_2021H1.xlsx"]["seed"])
    upload = LedgerUpload("yitihua.xlsx", (FIXTURES / "yitihua_payments_tangshan_2021H1.xlsx").read_bytes())
    before = table_counts(session)
    write = RowWriter.write
    calls: list[int] = []

    def failing(self: RowWriter, *args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 3:  # the last of three chunks
            raise OperationalError("INSERT INTO ledger_row", {}, Exception("disk I/O error"))
        write(self, *args, **kwargs)

    monkeypatch.setattr(RowWriter, "write", failing)
    unit = session.scalar(select(Unit.id))
    error, rows_written = _fails_in_a_late_chunk(session, upload, chunk_rows=2, unit=unit)
    assert isinstance(error, OperationalError) and rows_written == 4
    assert table_counts(session) == before


def test_postgresql_copy_failing_in_a_late_chunk_rolls_everything_back(session: Session,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL copies each chunk in a thread of its own while the next is prepared: the
    server refusing a late chunk's COPY is the import's error, raised in the importing thread,
    and nothing stays."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    import psycopg

    load_seed(session, EXPECTED["yitihua_payments_tangshan_2021H1.xlsx"]["seed"])
    upload = LedgerUpload("yitihua.xlsx", (FIXTURES / "yitihua_payments_tangshan_2021H1.xlsx").read_bytes())
    before = table_counts(session)
    block, calls, written = ledger_rows._csv_block, [], []

    def garbled(*args: Any) -> memoryview:
        calls.append(1)
        if len(calls) == 3:  # the last of three chunks: a row the server cannot read
            return memoryview(b"not,a,ledger,row\n")
        return block(*args)

    monkeypatch.setattr(ledger_rows, "_csv_block", garbled)
    unit = session.scalar(select(Unit.id))
    with pytest.raises(psycopg.DataError):
        with session.begin_nested():
            ledger_pipeline.import_ledger(session, upload, "test", unit=unit, chunk_rows=2,
                                          progress=written.append)
    assert len(calls) == 3 and len(written) == 3 and written[:2] == [2, 4]  # the third refused
    assert not [t for t in threading.enumerate() if t.name in ("ledger-reader", "ledger-copy")]
    assert table_counts(session) == before


def test_reader_thread_error_in_a_late_chunk_rolls_everything_back(session: Session,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    load_seed(session, EXPECTED["yitihua_payments_tangshan_2021H1.xlsx"]["seed"])
    upload = LedgerUpload("yitihua.xlsx", (FIXTURES / "yitihua_payments_tangshan_2021H1.xlsx").read_bytes())
    before = table_counts(session)
    chunks = ledger_read_ahead.read_ledger_chunks

    def breaking(*args: Any, **kwargs: Any) -> Any:
        for number, piece in enumerate(chunks(*args, **kwargs)):
            if number == 3:  # head, two chunks, then the reader fails
                raise ImportRejected("文件读取中断", location="文件 yitihua.xlsx")
            yield piece

    monkeypatch.setattr(ledger_read_ahead, "read_ledger_chunks", breaking)
    unit = session.scalar(select(Unit.id))
    error, rows_written = _fails_in_a_late_chunk(session, upload, chunk_rows=2, unit=unit)
    assert isinstance(error, ImportRejected) and error.message == "文件读取中断" and rows_written == 4
    assert table_counts(session) == before


def test_each_text_interned_once_per_import(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """The chunks share the texts' ids (``RowWriter.text_ids``): a text the chunks before
    stored or found is not looked up again, and each row still gets its text."""
    monkeypatch.setattr(columnar, "STREAM_BLOCK_BYTES", 1 << 18)
    load_seed(session, SHIZUISHAN_SEED)
    asked: list[str] = []
    intern = ledger_rows.intern_texts

    def interning(connection: Any, values: Any) -> dict[str, int]:
        values = list(values)
        asked.extend(values)
        return intern(connection, values)

    monkeypatch.setattr(ledger_rows, "intern_texts", interning)
    told: list[int] = []
    result = ledger_pipeline.import_ledger(
        session, LedgerUpload("big.csv", big_csv(30_000)), "test", progress=told.append,
        period="2025-01-01..2025-06-30", unit="石嘴山市科学技术局", chunk_rows=4_000)
    assert result.imported and result.batch is not None and len(told) > 3
    assert asked and len(asked) == len(set(asked))
    rows = session.scalars(select(LedgerRow).where(LedgerRow.batch_id == result.batch.id)
                           .order_by(LedgerRow.id)).all()
    assert len(rows) == 30_000
    assert {row.unit_name for row in rows} == {"205001-石嘴山市科学技术局"}
    assert [row.project_name for row in rows[:4]] == NAMES
    assert rows[-1].project_name == NAMES[3] and rows[-1].sheet == rows[0].sheet


ROWS = 150_000


def test_killed_after_the_first_chunk_leaves_nothing(fresh_database_url: str, tmp_path: Path) -> None:
    """A real process, killed (SIGKILL) once it said its first chunk was written."""
    url = fresh_database_url
    engine = make_engine(url)
    migration.upgrade(url, engine)
    env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_INSTANCE_PATH": str(tmp_path)}
    seed = PROJECT_ROOT / "seeds" / SHIZUISHAN_SEED
    subprocess.run([sys.executable, "-m", "tracker.cli", "import", "targets", str(seed)],
                   env=env, check=True, capture_output=True, timeout=120)
    with Session(engine) as session:
        before = table_counts(session)
    data = tmp_path / "big.csv"
    data.write_bytes(big_csv(ROWS))
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker.cli", "import", "ledger", str(data),
         "--period", "2025-01-01..2025-06-30", "--unit", "石嘴山市科学技术局"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    killed = False
    said: list[str] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = process.stderr.readline()  # "已读入并写入 50,000 行…" once the first chunk is in
        if not line:
            break
        said.append(line)
        if "已读入并写入" in line:
            process.send_signal(signal.SIGKILL)
            killed = True
            break
    process.wait(timeout=60)
    assert killed, f"the import finished before it said a chunk was written: {''.join(said)[-2000:]}"
    engine.dispose()
    engine = make_engine(url)  # a new process's view, after recovery
    try:
        with Session(engine) as session:
            assert table_counts(session) == before
            assert session.scalar(select(func.count(LedgerBatch.id))) == 0
            assert session.scalar(select(func.count(LedgerRow.id))) == 0
    finally:
        engine.dispose()


# -- the reader process (a big file's reader: ``importers/ledger/reader_process.py``) ---------------

def _big_upload(session: Session, monkeypatch: pytest.MonkeyPatch, **big: Any) -> tuple[LedgerUpload, dict[str, Any]]:
    monkeypatch.setattr(columnar, "STREAM_BLOCK_BYTES", 1 << 18)  # passed on to the process
    load_seed(session, SHIZUISHAN_SEED)
    return (LedgerUpload("big.csv", big_csv(30_000, **big)),
            {"period": "2025-01-01..2025-06-30", "unit": "石嘴山市科学技术局", "chunk_rows": 4_000})


def test_a_reader_process_runs_while_writing_only(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    upload, options = _big_upload(session, monkeypatch)
    seen: list[list[int]] = []
    result = ledger_pipeline.import_ledger(session, upload, "test", reader="process",
                                           progress=lambda rows: seen.append(reader_processes()), **options)
    assert result.imported and len(seen) > 1
    assert all(len(running) == 1 for running in seen)  # one reader process while writing
    assert not reader_processes()  # and gone once the import is done


def test_reader_process_dying_in_a_late_chunk_rolls_everything_back(session: Session,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader process killed (as the OOM killer would) after the third chunk was written:
    a Chinese error, nothing stays."""
    upload, options = _big_upload(session, monkeypatch)
    before = table_counts(session)

    def kill_reader(rows: int) -> None:
        if rows >= 12_000:
            for pid in reader_processes():
                os.kill(pid, signal.SIGKILL)

    written: list[int] = []
    with pytest.raises(ImportRejected) as raised:
        with session.begin_nested():
            ledger_pipeline.import_ledger(session, upload, "test", reader="process",
                                          progress=lambda rows: (written.append(rows), kill_reader(rows)),
                                          **options)
    assert "读取文件的后台进程意外结束" in raised.value.message and "没有导入任何数据" in raised.value.message
    assert written[-1] >= 12_000 and not reader_processes()
    assert table_counts(session) == before


def test_database_error_stops_the_reader_process(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    upload, options = _big_upload(session, monkeypatch)
    before = table_counts(session)
    write = RowWriter.write
    calls: list[int] = []

    def failing(self: RowWriter, *args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise OperationalError("INSERT INTO ledger_row", {}, Exception("disk I/O error"))
        write(self, *args, **kwargs)

    monkeypatch.setattr(RowWriter, "write", failing)
    error, rows_written = _fails_in_a_late_chunk(session, upload, reader="process", **options)
    assert isinstance(error, OperationalError) and 0 < rows_written < 30_000
    assert table_counts(session) == before


def test_interrupted_import_stops_the_reader_process(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl+C in the middle (the reader process ignores SIGINT: the parent stops it)."""
    upload, options = _big_upload(session, monkeypatch)
    before = table_counts(session)

    def interrupt(rows: int) -> None:
        if rows >= 8_000:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        with session.begin_nested():
            ledger_pipeline.import_ledger(session, upload, "test", reader="process", progress=interrupt,
                                          **options)
    assert not reader_processes()
    assert table_counts(session) == before


_KILLED_SCRIPT = """
import sys
from sqlalchemy import select
from tracker.db import Database
from tracker.models import Unit
from tracker.services import ledger_pipeline
from tracker.services.ledger_import import LedgerUpload
from tracker.importers.ledger import columnar

columnar.STREAM_BLOCK_BYTES = 1 << 18
database = Database(sys.argv[1])
with database.session() as session:
    unit = session.scalar(select(Unit.id).order_by(Unit.id.desc()))
    ledger_pipeline.import_ledger(
        session, LedgerUpload("big.csv", open(sys.argv[2], "rb").read()), "test", unit=unit,
        period="2025-01-01..2025-06-30", chunk_rows=4_000, reader="process",
        progress=lambda rows: print("written", rows, flush=True))
    print("done", flush=True)
    session.commit()
"""


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_killed_with_a_reader_process_leaves_nothing_running(fresh_database_url: str, tmp_path: Path) -> None:
    """An import reading by a process, killed (SIGKILL) after its first chunk: nothing stays in
    the database, and the orphaned reader process stops by itself (its stdin closed)."""
    url = fresh_database_url
    engine = make_engine(url)
    migration.upgrade(url, engine)
    env = {**os.environ, "TRACKER_DATABASE_URL": url, "TRACKER_INSTANCE_PATH": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "tracker.cli", "import", "targets",
                    str(PROJECT_ROOT / "seeds" / SHIZUISHAN_SEED)], env=env, check=True,
                   capture_output=True, timeout=120)
    with Session(engine) as session:
        before = table_counts(session)
    data = tmp_path / "big.csv"
    data.write_bytes(big_csv(30_000))
    process = subprocess.Popen([sys.executable, "-c", _KILLED_SCRIPT, url, str(data)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    readers: list[int] = []
    line = process.stdout.readline()
    if line.startswith("written"):
        readers = reader_processes(process.pid)
        process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert line.startswith("written") and len(readers) == 1, line
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _running(readers[0]):
        time.sleep(0.05)
    assert not _running(readers[0])
    engine.dispose()
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            assert table_counts(session) == before
            assert session.scalar(select(func.count(LedgerRow.id))) == 0
    finally:
        engine.dispose()


@pytest.mark.parametrize("for_workbooks", [False, True])
def test_which_reader_auto_chooses(for_workbooks: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A thread, unless a process is asked for, or allowed for a big workbook (never a CSV)."""
    monkeypatch.setattr(ledger_read_ahead, "PROCESS_FOR_BIG_WORKBOOKS", for_workbooks)
    big_csv_upload = LedgerUpload("big.csv", b"a,b\n" * 1_000_000)
    big_zip = LedgerUpload("big.xlsx", b"PK\x03\x04" + b"\0" * 3_000_000)
    small_zip = LedgerUpload("small.xlsx", b"PK\x03\x04" + b"\0" * 1000)
    kinds = [type(ledger_read_ahead.reader_for(upload.name, upload.data, {}, "auto")).__name__
             for upload in (big_csv_upload, big_zip, small_zip)]
    assert kinds == ["ReaderThread", "ReaderInProcess" if for_workbooks else "ReaderThread", "ReaderThread"]
    assert type(ledger_read_ahead.reader_for(big_csv_upload.name, big_csv_upload.data, {}, "process")
                ).__name__ == "ReaderInProcess"
    assert type(ledger_read_ahead.reader_for(big_zip.name, big_zip.data, {}, "thread")).__name__ == "ReaderThread"
