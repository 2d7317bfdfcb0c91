"""``read_ledger_chunks``: one ledger export read as a stream of chunks, for an import that
writes while it reads (``services/ledger_pipeline.py``).

It yields, in order:

1. a ``LedgerHead``: what the lines above the header say (单位, 期间) and the kind of export,
   known before any row is read;
2. ``LedgerChunk`` after ``LedgerChunk``: the transaction rows, ``chunk_rows`` at a time, in
   the file's order, as ``LedgerColumns``.  Their counting is *provisional*: the decisions
   that need the whole file (the ledger's book, unknown 支付状态; ``FileReading.finish``) are
   made after the last row;
3. the ``LedgerParse`` exactly as ``read_ledger`` returns it (same rows, counting, findings,
   period, totals): the reference the writer checks what it wrote against.

A big single-sheet CSV or .xlsx is loaded into Arrow columns (columnar.py) and read a slice of
rows at a time by the same ``SheetColumns`` as ``read_ledger``, so the first chunk leaves long
before the last row is read.  An .xlsx's head leaves before fastexcel loads the sheet (the
writer prepares its batch meanwhile); when fastexcel then declines, the file is read again row
by row as below.  Any other file is read whole by the row reader first and then
cut into chunks (those files take well under a second).  When the columnar path declines in a
later slice, the file is read again row by row and only the final parse differs from the
chunks already given: the writer sees it (``LedgerParse.rows`` differ in number or content)
and writes again from the parse.

Pure: no database.  The caller pauses the cyclic garbage collector (``read_ledger`` pauses it
itself; a generator cannot hold it paused across its yields for another thread).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from tracker.errors import ImportRejected
from tracker.importers.file_limits import DEFAULT_LIMITS, FileLimits
from tracker.importers.ledger.reader import guarded, read_by_rows
from tracker.importers.ledger.reading import FileReading
from tracker.importers.ledger.records import LedgerColumns, LedgerParse
from tracker.importers.ledger.sniff import sniff

if TYPE_CHECKING:
    from tracker.importers.ledger.columnar import Loaded

CHUNK_ROWS = 50_000


@dataclass(frozen=True)
class LedgerHead:
    """What is known of an export before its rows: the 单位 and 期间 lines, the kind."""

    unit_name: str | None
    period: tuple[date, date] | None  # the stated 期间 (None: not stated)
    source_kind: str | None  # payment_list / ledger, as the header suggests


@dataclass(frozen=True)
class LedgerChunk:
    """Rows ``first`` … ``first + len(columns) - 1`` of the parse, counting provisional."""

    columns: LedgerColumns
    first: int
    expected_rows: int  # rows below the header (an upper bound of the transactions)


@dataclass(frozen=True)
class LedgerReread:
    """The columnar reader declined in a later slice: the file is read again row by row, and
    the chunks given so far are not the parse's rows (the parse follows)."""


LedgerPiece = LedgerHead | LedgerChunk | LedgerReread | LedgerParse


def read_ledger_chunks(filename: str, data: bytes, *, mapping: Mapping[str, str] | None = None,
                       count_rule: str | None = None, limits: FileLimits = DEFAULT_LIMITS,
                       status_answers: Mapping[str, bool] | None = None,
                       chunk_rows: int = CHUNK_ROWS) -> Iterator[LedgerPiece]:
    """The pieces of ``read_ledger(filename, data, …)`` (see the module docstring); raises
    what ``read_ledger`` raises, at the piece where it finds it."""
    from tracker.importers.ledger import columnar

    rule, sniffed = guarded(filename, data, mapping, None, count_rule, limits)
    if columnar.worth_trying(sniffed, data):
        reading = FileReading(filename, mapping, None, None, status_answers)
        fmt = sniffed.format
        handed = [sniffed]
        del sniffed
        try:
            loaded = columnar.load(reading, filename, data, handed, stream=True)
        except (columnar.Declined, ImportRejected):
            loaded = None
        if loaded is not None:
            yield from _columnar_chunks(loaded, fmt, rule, chunk_rows, filename, data, mapping,
                                        limits, status_answers)
            return
        sniffed = sniff(filename, data)
    parse = read_by_rows(FileReading(filename, mapping, None, None, status_answers), filename, data,
                         sniffed, rule, limits)
    yield LedgerHead(parse.unit_name, parse.period if parse.period_source == "stated" else None,
                     parse.source_kind)
    columns = parse.columns
    for first in range(0, len(columns), chunk_rows):
        yield LedgerChunk(columns.part(first, first + chunk_rows), first, len(columns))
    yield parse


def _columnar_chunks(loaded: Loaded, fmt: str, rule: str, chunk_rows: int, filename: str,
                     data: bytes, mapping: Mapping[str, str] | None, limits: FileLimits,
                     status_answers: Mapping[str, bool] | None) -> Iterator[LedgerPiece]:
    import pyarrow as pa

    from tracker.importers.ledger import columnar
    from tracker.importers.ledger.arrow_arrays import DISTINCT_SHARE

    reading = loaded.reading
    first_sheet = reading.sheets[0]
    yield LedgerHead(first_sheet.preamble.unit_name, reading.first_stated_period(), reading.kind)

    def decoded(columns: list[pa.Array]) -> list[pa.Array]:
        # a column of mostly distinct texts held as a dictionary would have its whole
        # dictionary looked at for every slice: decoded once instead
        return [column.dictionary_decode() if pa.types.is_dictionary(column.type)
                and len(column.dictionary) * DISTINCT_SHARE > chunk_rows else column
                for column in columns]

    def slices() -> Iterator[columnar.SheetColumns]:
        if loaded.batches is None:
            loaded.columns = decoded(loaded.columns)
            for start in range(0, loaded.rows, chunk_rows):
                yield loaded.sheet_columns(start, min(start + chunk_rows, loaded.rows))
            return
        offset = 0
        for columns in loaded.batches:  # a streamed CSV: block by block
            loaded.columns = decoded(columns)
            for start in range(0, loaded.rows, chunk_rows):
                part = loaded.sheet_columns(start, min(start + chunk_rows, loaded.rows))
                part.first_row += offset
                yield part
            offset += loaded.rows
        loaded.columns = []

    whole: LedgerColumns | None = None
    total: int | None = None  # rows below the header (known once the first slice is loaded)
    declined = False
    parts = slices()
    while True:
        try:
            part_reader = next(parts, None)
            if part_reader is None:
                break
            part_reader.read()
        except Exception:  # noqa: BLE001 - as ``columnar.read``: the row reader decides
            declined = True
            break
        part = reading.columns
        assert part is not None
        if not len(part):  # only summary or blank rows in this slice
            continue
        if total is None:
            total = loaded.expected or loaded.rows
        first = len(whole) if whole is not None else 0
        if whole is None:
            whole = part.part(0, len(part))
        else:
            whole.extend(part)
        yield LedgerChunk(part, first, total)
    if declined:  # read again row by row: the rejection, or rows the chunks did not have
        del loaded, reading, whole
        from tracker.importers.ledger.reader import read_ledger

        del parts
        yield LedgerReread()
        yield read_ledger(filename, data, mapping=mapping, count_rule=rule, limits=limits,
                          status_answers=status_answers)
        return
    reading.columns = whole if whole is not None else LedgerColumns.from_rows(())
    loaded.columns = []
    loaded.sheet_notes()
    yield reading.finish(fmt, loaded.encoding, rule)


__all__ = ["CHUNK_ROWS", "LedgerChunk", "LedgerHead", "LedgerPiece", "LedgerReread", "read_ledger_chunks"]
