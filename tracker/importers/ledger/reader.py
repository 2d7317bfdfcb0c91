"""``read_ledger``: one ledger export (台账) → ``LedgerParse``.

The file is sniffed by content (sniff.py), opened as sheets of rows (sources.py), and each sheet
is read on its own: header found by its words (header.py), the title / 单位 / 期间 lines above it
(preamble.py), then every row below it is a transaction, a skipped row (blank, 合计 and the other
summary words, text without date or amount) or a rejection naming file, sheet, row and column.

The state of a reading (findings, counters, the file-level counting decisions, ``finish``) is
reading.py's; the rows below a header are read by row_path.py, or, for a big file, by the
columnar fast path; which rows count is counting.py's decision, which rows are not
transactions row_rules.py's.

Speed: a big single-sheet CSV or .xlsx goes through the columnar fast path first (columnar.py:
Arrow columns, the same rules per distinct value, ``LedgerRows`` over integer-分 columns); when
it cannot decide a file exactly it declines and the file is read here row by row.  The row loop
touches cells by index, caches dates, project references and repeated strings (which also keeps
a million rows small in memory), and builds rows through ``LedgerRowDraft`` (see records.py).
No pandas.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Mapping
from itertools import chain, islice

from tracker.errors import ImportRejected
from tracker.importers.archive_guard import check_archive, is_zip, too_many_rows
from tracker.importers.file_limits import DEFAULT_LIMITS, FileLimits
from tracker.importers.ledger.accounts import COUNT_RULES
from tracker.importers.ledger.biff_extent import check_biff_extent
from tracker.importers.ledger.header import FIELDS, HEADER_SEARCH_ROWS
from tracker.importers.ledger.reading import FileReading
from tracker.importers.ledger.records import LedgerParse
from tracker.importers.ledger.row_path import read_rows
from tracker.importers.ledger.sniff import Sniffed, sniff
from tracker.importers.ledger.sources import SheetData, open_sheets

SOURCE_KINDS = ("payment_list", "ledger")


def read_ledger(filename: str, data: bytes, *, mapping: Mapping[str, str] | None = None,
                source_kind: str | None = None, count_rule: str | None = None,
                year: int | None = None, limits: FileLimits = DEFAULT_LIMITS,
                status_answers: Mapping[str, bool] | None = None) -> LedgerParse:
    """Read one ledger or payment-list export.

    ``mapping`` (canonical field → header text, see ``FIELDS``) replaces header recognition;
    ``source_kind`` ('payment_list' | 'ledger') overrides what the header suggests;
    ``count_rule`` ('auto' | 'budget' | 'financial' | 'all', see accounts.py) overrides the
    default counting rule for ledgers; ``year`` completes month-day dates when the file has no
    期间 line.  ``status_answers`` (支付状态 text → whether the money left) answers the preview's
    question about a status that is neither known paid nor known unpaid: unanswered, such rows
    do not count (DOMAIN §4: do not guess).  ``limits`` caps what the file may grow to once opened (file_limits.py): a
    workbook passes the archive guard before any parser sees it, and a file with more rows
    than ``max_ledger_rows`` is refused before its rows are read.
    Raises ``ImportRejected`` (``UnrecognisedLayout`` when no header is found).
    """
    from tracker.importers.ledger import columnar  # pyarrow: loaded on first use, not with the app

    rule, sniffed = guarded(filename, data, mapping, source_kind, count_rule, limits)
    # A million rows are a few million objects without reference cycles; CPython's cyclic
    # collector would rescan them over and over (about a third of the run time), so it is
    # paused while reading and restored afterwards.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if columnar.worth_trying(sniffed, data):
            reading = FileReading(filename, mapping, source_kind, year, status_answers)
            fmt = sniffed.format
            handed = [sniffed]  # the fast path takes a UTF-16 file's decoded text and frees it early
            del sniffed
            try:
                encoding = columnar.read(reading, filename, data, handed)
                return reading.finish(fmt, encoding, rule)
            except (columnar.Declined, ImportRejected):
                pass  # read row by row below, which also gives the exact rejection
            del reading, handed
            sniffed = sniff(filename, data)
        return read_by_rows(FileReading(filename, mapping, source_kind, year, status_answers),
                            filename, data, sniffed, rule, limits)
    finally:
        if collecting:
            gc.enable()


def guarded(filename: str, data: bytes, mapping: Mapping[str, str] | None, source_kind: str | None,
            count_rule: str | None, limits: FileLimits) -> tuple[str, Sniffed]:
    """The arguments checked, the file past the archive guard, sniffed and its rows counted
    against the caps: the counting rule and the sniffed file (a big CSV not decoded, for the
    columnar path)."""
    if source_kind is not None and source_kind not in SOURCE_KINDS:
        raise ValueError(f"source_kind must be one of {SOURCE_KINDS}")
    rule = count_rule or "auto"
    if rule not in COUNT_RULES:
        raise ValueError(f"count_rule must be one of {COUNT_RULES}")
    if mapping is not None:
        unknown = sorted(set(mapping) - set(FIELDS))
        if unknown:
            raise ImportRejected(f"列映射中有未知字段：{'、'.join(unknown)}（可用字段：{'、'.join(FIELDS.values())}）",
                                 location=f"文件 {filename}")
    from tracker.importers.ledger import columnar

    if is_zip(data):  # before anything opens the archive, sniff included
        check_archive(filename, data, limits, "ledger", location=f"文件 {filename}")
    # a CSV for the fast path is not decoded here: it decodes only the distinct cells
    sniffed = sniff(filename, data, decode_csv=not columnar.big_enough(data))
    _check_rows(filename, data, sniffed, limits)
    return rule, sniffed


def read_by_rows(reading: FileReading, filename: str, data: bytes, sniffed: Sniffed, rule: str,
                 limits: FileLimits) -> LedgerParse:
    """The whole file read row by row (every sheet), finished."""
    rows = 0
    for sheet in open_sheets(filename, data, sniffed):
        rows += sheet.height or 0  # a workbook's sheets, known once each is opened
        if rows > limits.max_ledger_rows:
            raise too_many_rows(rows, "ledger", limits, f"文件 {filename}", at_least=True)
        read_sheet(reading, sheet)
    return reading.finish(sniffed.format, sniffed.encoding, rule)


_TABLE_ROW = re.compile(r"<tr[\s>/]", re.IGNORECASE)


def _check_rows(filename: str, data: bytes, sniffed: Sniffed, limits: FileLimits) -> None:
    """Refuse, before reading any row, a CSV or HTML table with more rows than
    ``max_ledger_rows`` (an .xlsx's rows were counted by the archive guard), and an .xls whose
    sheets would be laid out over ``max_sheet_cells``."""
    where = f"文件 {filename}"
    if sniffed.format == "xls":  # calamine sizes each sheet from its records: check them first
        check_biff_extent(data, limits, where)
        return  # rows: counted sheet by sheet as the reader opens it (at most 65,536 each)
    if sniffed.format == "csv":
        text: str | bytes = sniffed.text if sniffed.text is not None else data
        end = "\n" if isinstance(text, str) else b"\n"
        if end not in text:
            end = "\r" if isinstance(text, str) else b"\r"  # classic Mac line ends
        rows = text.count(end) + (not text.endswith(end))  # type: ignore[arg-type]
    elif sniffed.format == "html":
        assert sniffed.text is not None
        rows = sum(1 for _ in _TABLE_ROW.finditer(sniffed.text))
    else:
        return
    # (a line break inside a quoted cell counts as a row: the cap is on lines, on the safe side)
    if rows > limits.max_ledger_rows:
        raise too_many_rows(rows, "ledger", limits, where)



def read_sheet(reading: FileReading, sheet: SheetData) -> None:
    """One sheet read row by row: its header and the lines above it, then its rows."""
    buffer = [list(row) for row in islice(sheet.rows, HEADER_SEARCH_ROWS + 2)]
    result = reading.start_sheet(sheet, buffer)
    if result is None:
        return
    last_header = result.header.rows[-1]
    rows: Iterator[list[object]] = chain(buffer[last_header + 1:], sheet.rows)  # type: ignore[arg-type]
    read_rows(reading, sheet, result, rows, last_header + 2)


__all__ = ["read_ledger", "SOURCE_KINDS"]
