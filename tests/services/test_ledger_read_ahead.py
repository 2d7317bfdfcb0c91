"""A file's reading started before the import is called (``services/ledger_read_ahead.py``),
as ``tracker import ledger`` does for its first file: taken over when it reads as the import
would, stopped and replaced when it does not, and the same batch either way."""

from __future__ import annotations

import subprocess
import sys
import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.config import PROJECT_ROOT
from tracker.services import ledger_pipeline, ledger_read_ahead
from tracker.services.ledger_import import LedgerUpload
from tracker.models import Unit

from .test_ledger_import import load_seed
from .test_ledger_pipeline import SHIZUISHAN_SEED, big_csv, landed, summary_of


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "ledger-reader" and t.is_alive()]


def _import(session: Session, upload: LedgerUpload, **options: object) -> tuple[object, object]:
    unit = session.scalar(select(Unit.id).order_by(Unit.id.desc()))
    nested = session.begin_nested()
    result = ledger_pipeline.import_ledger(session, upload, "test", unit=unit, chunk_rows=4_000, **options)
    assert result.imported, result.reason
    outcome = (summary_of(result), landed(session, result.batch.id))
    nested.rollback()
    session.expunge_all()
    return result, outcome


def test_read_ahead_taken_over_or_replaced_lands_the_same_batch(session: Session) -> None:
    load_seed(session, SHIZUISHAN_SEED)
    upload = LedgerUpload("ahead.csv", big_csv(12_000))
    _, plain = _import(session, upload)

    same = ledger_read_ahead.reader_options(chunk_rows=4_000)
    ahead = ledger_read_ahead.start(upload.name, upload.data, same)
    taken = ahead.pieces
    _, outcome = _import(session, upload, read_ahead=ahead)
    assert outcome == plain
    assert taken.thread.is_alive() is False and not _readers()

    # read with other options (another chunk size): not what the import reads, so it is stopped
    # before its first piece is used and the import reads the file itself
    other = ledger_read_ahead.reader_options(chunk_rows=1_000)
    ahead = ledger_read_ahead.start(upload.name, upload.data, other)
    assert not ahead.serves(upload.name, upload.data, same, "auto")
    _, outcome = _import(session, upload, read_ahead=ahead)
    assert outcome == plain
    assert ahead.pieces.stop.is_set() and not _readers()
    ahead.close()  # the caller's close after the pipeline's: harmless


def test_read_ahead_serves_only_the_same_file_and_options() -> None:
    data = b"a,b\n1,2\n"
    options = ledger_read_ahead.reader_options()
    ahead = ledger_read_ahead.ReadAhead("x.csv", data, options, "auto", pieces=None)  # type: ignore[arg-type]
    assert ahead.serves("x.csv", data, ledger_read_ahead.reader_options(), "auto")
    assert not ahead.serves("y.csv", data, options, "auto")
    assert not ahead.serves("x.csv", (data + b" ")[:-1], options, "auto")  # a copy: not this reading
    assert not ahead.serves("x.csv", data, options, "thread")
    assert not ahead.serves("x.csv", data, ledger_read_ahead.reader_options(mapping={"金额": "amount"}), "auto")


def test_tracker_starts_without_the_database_side() -> None:
    """``tracker`` and the read-ahead import no SQLAlchemy: the first file's reading can start
    before the database side is loaded."""
    code = ("import sys, tracker.cli, tracker.services.ledger_read_ahead; "
            "print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'tracker.models'))))")
    output = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            check=True).stdout
    assert output.strip() == "[]"
