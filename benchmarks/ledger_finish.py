"""CPU of the whole-file work at the end of a one-step ledger import, function by function.

    python benchmarks/ledger_finish.py [--rows N] [--backend sqlite|postgresql] [--repeat R]

Imports the cached N-row GBK CSV payment list (benchmarks/ledger_read.py, default 1,000,000)
with ``ledger_pipeline.import_ledger``, as ``tracker import ledger`` does, into a fresh database
(``ledger_import.fresh_database``: the unit and its 300 projects; PostgreSQL as in
benchmarks/ledger_import.py), R times, and prints for each function of the end of the import
its CPU (``time.process_time``) and wall seconds: ``_finish`` (everything after the last chunk),
``ledger_import._match`` (in it ``_read_state``, ``_project_totals`` — the first use of the
preview's month sums — and ``spending.month_sums``), ``LedgerParse.totals_check``,
``ledger_import.land`` (``_supersede``, ``refresh_month_totals``, and ``RowWriter.close``: the
index rebuild), and the chunk phase's ``ChunkMatcher.match_with`` (all chunks).  Each function
is wrapped where the import looks it up; a name that is not there (moved since) is left out.

The CPU is the whole process's (every thread): compare runs made in the same minute, and say
the load average printed with them.  Measured 2026-12-07 06:15 UTC, load 3.5, 1,000,000 rows:
see README.md ("Ledger import speed").
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from ledger_import import drop_postgres_schema, fresh_database, postgres_url  # noqa: E402
from ledger_read import cached  # noqa: E402


def _wrapped(spent: dict[str, list[float]], label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        cpu, wall = time.process_time(), time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            entry = spent.setdefault(label, [0.0, 0.0])
            entry[0] += time.process_time() - cpu
            entry[1] += time.perf_counter() - wall
    return timed


def _instrument(spent: dict[str, list[float]]) -> None:
    from tracker.importers.ledger.records import LedgerParse
    from tracker.services import ledger_import, ledger_pipeline, ledger_preview, ledger_rows, spending
    from tracker.services.ledger_matching import ChunkMatcher

    for module, name in ((ledger_pipeline, "_finish"), (ledger_pipeline, "_match"), (ledger_pipeline, "land"),
                         (ledger_import, "_read_state"), (ledger_import, "_project_totals"),
                         (ledger_import, "_supersede"), (ledger_import, "refresh_month_totals")):
        if hasattr(module, name):
            setattr(module, name, _wrapped(spent, name, getattr(module, name)))
    for module in (ledger_preview, ledger_import, spending):  # wherever it is looked up
        if hasattr(module, "month_sums"):
            setattr(module, "month_sums", _wrapped(spent, "month_sums", getattr(module, "month_sums")))
    LedgerParse.totals_check = _wrapped(spent, "totals_check", LedgerParse.totals_check)  # type: ignore[method-assign]
    ChunkMatcher.match_with = staticmethod(_wrapped(spent, "match_with (chunks)",  # type: ignore[method-assign]
                                                    ChunkMatcher.match_with))
    ledger_rows.RowWriter.close = _wrapped(spent, "RowWriter.close", ledger_rows.RowWriter.close)  # type: ignore[method-assign]


def run(backend: str, path: Path) -> dict[str, list[float]]:
    from sqlalchemy import select

    from tracker.db import Database
    from tracker.models import Unit
    from tracker.services.ledger_import import LedgerUpload
    from tracker.services.ledger_pipeline import import_ledger

    spent: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as workdir:
        url = fresh_database(backend, workdir)
        database = Database(url)
        try:
            with database.session() as session:
                unit_id = session.scalar(select(Unit.id))
                cpu, wall = time.process_time(), time.perf_counter()
                result = import_ledger(session, LedgerUpload(path.name, path.read_bytes()), "bench", unit=unit_id)
                spent["import (whole)"] = [time.process_time() - cpu, time.perf_counter() - wall]
                assert result.imported, result.reason
                session.rollback()
        finally:
            database.dispose()
            if backend == "postgresql":
                drop_postgres_schema()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=1)
    options = parser.parse_args()
    if options.backend == "postgresql" and postgres_url() is None:
        sys.exit("no PostgreSQL: set TRACKER_BENCH_PG_URL")
    path = cached("csv", options.rows)
    spent: dict[str, list[float]] = {}
    _instrument(spent)
    for number in range(1, options.repeat + 1):
        spent.clear()
        figures = run(options.backend, path)
        figures.update(spent)
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        print(f"run {number}: {options.rows:,} rows, {options.backend}, load average {load}")
        for label, (cpu, wall) in figures.items():
            print(f"  {label:22s} CPU {cpu:7.3f} s   wall {wall:7.3f} s")


if __name__ == "__main__":
    main()
