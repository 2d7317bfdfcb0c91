"""What libraries print never reaches the user (issue #15): no English line on stdout (which
would also break ``--json``) or stderr."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.importers import ledger_fixtures as fx
from tracker.importers.ledger import read_ledger


def test_xlrd_warnings_are_not_printed(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from python_calamine import CalamineError

    from tracker.importers.ledger import sources

    def refuse(_: object) -> None:
        raise CalamineError("simulated")

    monkeypatch.setattr(sources.CalamineWorkbook, "from_filelike", refuse)
    # a file size that is not a whole number of sectors: xlrd prints "WARNING *** file size …"
    data = fx.payment_biff(fx.payment_transactions()) + b"\x00" * 100
    parse = read_ledger("支付.xls", data)
    assert len(parse.rows) == len(fx.payment_transactions())
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_fastexcel_log_lines_are_not_printed(tmp_path: Path) -> None:
    """fastexcel logs through Python logging (pyo3-log, logger names from its Rust modules);
    with no handler configured — as in the CLI — Python's last-resort handler prints them on
    stderr.  Run in a fresh interpreter: pytest's own log capture would hide the difference."""
    path = tmp_path / "支付.xlsx"
    path.write_bytes(fx.payment_xlsx(fx.payment_transactions(), amount_text=False))
    script = f"""
import logging
from pathlib import Path
from tracker.importers.ledger import columnar, read_ledger
columnar.FAST_PATH_MIN_BYTES = 0
parse = read_ledger("支付.xlsx", Path({str(path)!r}).read_bytes())
assert type(parse.rows).__name__ == "LedgerRows", "the fast path read it"
logging.getLogger("fastexcel.types.dtype").warning(
    "Could not determine dtype for column __UNNAMED__3, falling back to string")
print(len(parse.rows))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(len(fx.payment_transactions()))
    assert done.stderr == ""
