"""The columnar fast path of ``read_ledger``: a big single-sheet export read column by column.

The row-by-row reader (reader.py) spends a few microseconds of Python per row; for a
million-row payment list that is most of an import.  Here the sheet is loaded into Arrow
columns instead (pyarrow.csv for CSV, straight from its bytes, a GBK file's cells decoded once
per distinct value; fastexcel — calamine in Rust — for .xlsx), and every rule of the row reader
is applied per *distinct* cell value (dates, 摘要, 支付状态, project references, odd amounts all
repeat) or vectorised (amounts in the printed form ``1,234.50``, voucher numbers), using the very
same functions as the row reader.
What it produces is identical: the same rows (``LedgerRows`` over ``LedgerColumns`` with
integer 分), counts, findings in the same order, stated totals.

The fast path only decides what it can decide exactly.  It *declines* (``Declined``; the
caller then reads the file row by row) when:

* the file is small (``FAST_PATH_MIN_BYTES``), not CSV or .xlsx, or a workbook with more than
  one worksheet;
* the layout needs row-to-row state or rarer rules: 年/月/日 columns, 凭证字 + 号 columns,
  方向 + 金额, amounts in 万元/千元, a CSV with rows of varying length or odd line ends, an
  .xlsx column mixing text and numbers (or numbers in a text column);
* a CSV byte does not decode, or might not (then the row reader names its line);
* any row would be rejected, or needs the previous row (a transaction without a date).

Summary, blank and note rows are handed one by one to the row reader's own code.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracker.errors import ImportRejected
from tracker.importers.ledger.accounts import EXCLUDED_STATUSES, VOIDED_STATUSES
from tracker.importers.ledger.header import HEADER_SEARCH_ROWS
from tracker.importers.ledger.records import VOIDED_REASON, LedgerColumns, fen, status_reason
from tracker.importers.ledger.sniff import Sniffed, csv_encoding
from tracker.importers.ledger.sources import CSV_SHEET, SheetData, _delimiter, _lines, _tail_fields
from tracker.importers.ledger.values import COMMON_AMOUNT, CellProblem, amount_of

if TYPE_CHECKING:
    from tracker.importers.ledger.reader import _FileReading, _SheetResult

FAST_PATH_MIN_BYTES = 2_000_000  # below this the row reader takes well under a second
# what str.strip() drops: every character whose isspace() is true (a test checks the list)
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
              "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_CLASS = "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE)
_EDGE_SPACE = f"^[{_CLASS}]|[{_CLASS}]$"
_FORMULA = f"^[{_CLASS}]*="
_COMMON = "^" + COMMON_AMOUNT.pattern + "$"
_DISTINCT_SHARE = 4  # a column with more distinct values than rows / 4 is read vectorised
_SAMPLE_ROWS = 10_000  # … as it is when its first rows are that varied
_EXACT_FLOAT_LIMIT = 1e11  # |元| below which float → 分 by rint is exact (ulp ≪ 0.01)
_BOM = b"\xef\xbb\xbf"
_HEAD_BYTES = 1 << 20  # a CSV's first lines, decoded for the header and the lines above it
_SCAN_BYTES = 1 << 18  # bytes of a CSV checked at once by ``_unsplittable`` (in the CPU cache)


class Declined(Exception):
    """The fast path cannot read this file exactly; the row reader will."""


def big_enough(data: bytes) -> bool:
    """Whether a file this size is worth the fast path (and its CSV text worth not decoding)."""
    return len(data) >= FAST_PATH_MIN_BYTES


def worth_trying(sniffed: Sniffed, data: bytes) -> bool:
    return sniffed.format in ("csv", "xlsx") and big_enough(data)


def read(reading: _FileReading, filename: str, data: bytes, handed: list[Sniffed]) -> str | None:
    """Read the file's one sheet into ``reading`` (as ``read_sheet`` would) and return its
    encoding as ``decode_text`` names it (None for .xlsx), or raise ``Declined``.  May raise
    ``ImportRejected`` from the shared header checks.  A CSV comes undecoded
    (``sniff(..., decode_csv=False)``) unless it is UTF-16; ``handed`` holds the only reference
    to the sniffed file: it is taken, so that a UTF-16 file's decoded text is freed as soon as
    it has been turned into UTF-8 bytes."""
    sniffed = handed.pop()
    try:
        if sniffed.format == "csv":
            texts = [] if sniffed.text is None else [sniffed.text]
            encoding = sniffed.encoding
            del sniffed
            return _read_csv(reading, data, texts, encoding)
        _read_xlsx(reading, filename, data)
        return None
    except (Declined, ImportRejected):
        raise
    except Exception as problem:  # noqa: BLE001 - whatever it is, the row reader decides
        raise Declined(f"{type(problem).__name__}: {problem}") from None


# -- loading -------------------------------------------------------------------------------------

def _read_csv(reading: _FileReading, data: bytes, handed: list[str], encoding: str | None) -> str:
    """A CSV into Arrow columns straight from its bytes; returns its encoding.

    The text is never decoded whole.  The encoding is the one ``decode_text`` would choose
    (``csv_encoding``), and every byte is checked in it: the first lines (preamble and header,
    which ``start_sheet`` reads as rows) are decoded from the head of the file, a UTF-8 file is
    validated whole by Arrow, and a GB18030 file's cells are decoded one distinct value at a
    time (``_decoded``, which also gives a UTF-8 file's columns their dictionaries).  GB18030,
    like GBK and GB2312 within it, never uses the bytes of ``,`` ``"`` tab, CR or LF inside a
    character (lead bytes 0x81–0xFE, trail bytes 0x40–0xFE or, in four-byte sequences, digits),
    so pyarrow splits its raw bytes into the same cells as the csv module splits the decoded
    text.  Whatever does not decode declines, and the row reader names the line.
    """
    import pyarrow.csv as pacsv

    if handed:  # UTF-16, decoded by sniff: read as UTF-8
        raw, skip = handed.pop().encode("utf-8"), 0
    else:
        raw, skip = data, len(_BOM) if data.startswith(_BOM) else 0
    if b"\n" not in raw:
        raise Declined("no line feeds")
    whole = len(raw) - skip <= _HEAD_BYTES
    head_end = len(raw) if whole else raw.rfind(b"\n", skip, skip + _HEAD_BYTES) + 1
    if not head_end:
        raise Declined("a first line longer than the head")
    if encoding is None:
        encoding = csv_encoding(raw, head_end)
        if encoding != "gb18030" and not _valid_utf8(raw):
            raise Declined("not UTF-8 throughout")  # the row reader tries GB18030 or rejects
        encoding = encoding or "utf-8"
    codec = "gb18030" if encoding == "gb18030" else "utf-8"
    try:
        head = raw[skip:head_end].decode(codec)
    except UnicodeDecodeError:
        raise Declined("undecodable first lines") from None
    # judged from the first 50 lines, which are in the head: it holds more lines than the
    # HEADER_SEARCH_ROWS + 2 rows read from it (checked just below)
    delimiter = _delimiter(head)
    rows = csv.reader(_lines(head), delimiter=delimiter)
    buffer = [list(row) for _, row in zip(range(HEADER_SEARCH_ROWS + 2), rows)]
    if not whole and rows.line_num >= head.count("\n"):
        raise Declined("first rows longer than the head")  # the last one may be cut off
    tail_fields: int | None = None
    tail_row: int | None = None
    if raw[-1] not in b"\r\n":
        try:
            tail = raw[raw.rfind(b"\n") + 1:].decode(codec)
        except UnicodeDecodeError:
            raise Declined("an undecodable last line") from None
        tail_fields, tail_row = _tail_fields(tail, delimiter), raw.count(b"\n") + 1
    sheet = SheetData(CSV_SHEET, iter(()), 1, False, tail_fields, tail_row)
    result = reading.start_sheet(sheet, buffer)
    if result is None:
        raise Declined("no header")
    first_data = result.header.rows[-1] + 1
    # the records above the data must be one line each, so the data starts after line N
    offset, start = 0, skip
    for record in buffer[:first_data]:
        end = head.find("\n", offset)
        if end == -1 or next(csv.reader([head[offset:end]], delimiter=delimiter), []) != record:
            raise Declined("multi-line records above the data")
        offset, start = end + 1, raw.index(b"\n", start) + 1
    problem = _unsplittable(raw, delimiter, gb18030=codec == "gb18030")
    if problem is not None:
        raise Declined(problem)
    width = len(buffer[first_data - 1]) if first_data else 0
    names = [f"c{i}" for i in range(max(width, result.header.width))]
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(raw)[start:]),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"',
                                             double_quote=True, escape_char=False,
                                             newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.binary() for n in names},
                                                 strings_can_be_null=False,
                                                 quoted_strings_can_be_null=False))
    except pa.ArrowInvalid:
        # pyarrow stops at a row with more or fewer fields than the first (the row reader
        # pads short rows and rejects long ones)
        raise Declined("rows with more or fewer fields than the header") from None
    del raw
    columns = []
    while table.num_columns:  # one column at a time, each dropped from the table once copied
        chunks = table.column(0)
        table = table.remove_column(0)
        columns.append(_decoded(chunks, codec))
    del table
    _SheetColumns(reading, sheet, result, columns, first_data + 1, spreadsheet=False).read()
    return encoding


def _valid_utf8(data: bytes) -> bool:
    """Whether all of ``data`` is UTF-8, checked by Arrow without making a str of it."""
    offsets = _buffer(np.array([0, len(data)], dtype=np.int64))
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        whole.view(pa.large_string()).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _unsplittable(raw: bytes, delimiter: str, *, gb18030: bool) -> str | None:
    """Why pyarrow might split ``raw`` into other cells than the csv module splits its text.

    A carriage return must end a line: pyarrow ends a record at a lone one, where the csv module
    refuses the line.  And in GB18030, a quote that closes a cell must be followed by the end of
    the cell: pyarrow (like the csv module) joins ``"ab"cd`` into ``abcd``, which would also join
    a lead byte before the quote with the bytes after it into a character where the file has an
    undecodable byte.  Whether a byte ≥ 0x80 is a lead byte cannot be told without decoding, so
    a quote after any of them must end the cell.
    """
    if raw.endswith(b"\r"):
        return "a carriage return at the end"
    view = np.frombuffer(raw, dtype=np.uint8)
    cell_end = np.zeros(256, dtype=bool)
    cell_end[[ord('"'), ord(delimiter), ord("\r"), ord("\n")]] = True
    for begin in range(0, len(view), _SCAN_BYTES):
        pairs = view[begin:begin + _SCAN_BYTES + 1]  # each byte of the window and the next
        if ((pairs[:-1] == ord("\r")) & (pairs[1:] != ord("\n"))).any():
            return "carriage returns inside lines"
        if gb18030:
            triples = view[begin:begin + _SCAN_BYTES + 2]  # … and the one before
            quotes = np.flatnonzero((triples[1:-1] == ord('"')) & (triples[:-2] >= 0x80))
            if (~cell_end[triples[quotes + 2]]).any():
                return "a quote between a non-ASCII byte and more of its cell"
    return None


def _decoded(column: pa.ChunkedArray, codec: str) -> pa.Array:
    """A column of raw cells (binary) as text, each distinct non-ASCII cell decoded once.

    ASCII cells stay as they are (the same bytes in GB18030 and UTF-8): a column of voucher
    numbers or amounts costs one check, and its few other cells (the 合计 row) are decoded and
    put in place.  A column of mostly non-ASCII cells (names, 单位, 摘要) becomes a dictionary
    array of its decoded distinct values, which ``_SheetColumns`` reads as it is.  Declined
    when a cell does not decode: the row reader rejects the file, naming the line.
    """
    # valid UTF-8 once the non-ASCII cells are replaced
    text = pa.chunked_array([chunk.view(pa.string()) for chunk in column.chunks], pa.string())
    others = pc.invert(pc.string_is_ascii(text))
    count = pc.sum(others).as_py() or 0
    if not count:
        return text.combine_chunks()
    mostly_ascii = count * _DISTINCT_SHARE <= len(column)
    # chunk by chunk with one dictionary, so only the indices are copied into one array
    encoded = pc.dictionary_encode(column.filter(others) if mostly_ascii else column).combine_chunks()
    try:
        values = _text_array([value.decode(codec) for value in encoded.dictionary.to_pylist()])
    except UnicodeDecodeError:
        raise Declined(f"a cell that is not {codec}") from None
    if mostly_ascii:
        return pc.replace_with_mask(text.combine_chunks(), others.combine_chunks(),
                                    values.take(encoded.indices))
    return pa.DictionaryArray.from_arrays(encoded.indices, values)


def _quiet_fastexcel() -> None:
    """fastexcel (Rust) logs through Python logging ("Could not determine dtype for column …,
    falling back to string"); with no handler configured Python prints that English line on
    stderr, under the CLI's output.  Its loggers get a handler that drops it."""
    logger = logging.getLogger("fastexcel")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


def _read_xlsx(reading: _FileReading, filename: str, data: bytes) -> None:
    import fastexcel

    _quiet_fastexcel()

    head, name, first_col = _xlsx_head(data)
    sheet = SheetData(name, iter(()), first_col, True)
    result = reading.start_sheet(sheet, head)
    if result is None:
        raise Declined("no header")
    first_data = result.header.rows[-1] + 1
    try:
        workbook = fastexcel.read_excel(data)
        if workbook.sheet_names != [name]:
            raise Declined("sheets differ")
        batch = workbook.load_sheet(0, header_row=None, skip_rows=first_data, eager=True,
                                    schema_sample_rows=None, dtype_coercion="strict")
    except Declined:
        raise
    except Exception as problem:  # noqa: BLE001 - fastexcel's errors: mixed types, broken file
        raise Declined(f"fastexcel: {problem}") from None
    del workbook
    # Same width as the first rows read by python-calamine ⇒ the same first column (a cell to
    # the left of the header further down would widen the sheet).
    if head and batch.num_columns != len(head[0]):
        raise Declined("sheet wider than its first rows")
    columns = list(batch.columns)
    del batch
    _SheetColumns(reading, sheet, result, columns, first_data + 1, spreadsheet=True).read()


_SHEET_REL = re.compile(rb'<sheet\b[^>]*?\br:id="([^"]+)"')
_RELATIONSHIP = re.compile(rb'<Relationship\b[^>]*>')
_ROW_START = re.compile(rb"<row[\s>/]")
_SHARED = re.compile(rb'<c\b[^>]*\bt="s"[^>]*>\s*<v>(\d+)</v>')
_ITEM_START = re.compile(rb"<si[\s>/]")


def _xlsx_head(data: bytes) -> tuple[list[list[object]], str, int]:
    """The first rows of the only worksheet exactly as python-calamine gives them to the row
    reader, read from a copy of the workbook cut down to those rows (and the shared strings
    they use), so the header is found without loading the whole sheet twice."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    wanted = HEADER_SEARCH_ROWS + 2
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        workbook_xml = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
        sheets = _SHEET_REL.findall(workbook_xml)
        if len(sheets) != 1:
            raise Declined("not exactly one sheet")
        target = None
        shared_name = None
        for relationship in _RELATIONSHIP.findall(rels):
            found = re.search(rb'\bTarget="([^"]+)"', relationship)
            if found is None:
                continue
            path = found[1].decode()
            path = path.lstrip("/") if path.startswith("/") else f"xl/{path}"
            if f'Id="{sheets[0].decode()}"'.encode() in relationship:
                target = path
            elif b"sharedStrings" in relationship:
                shared_name = path
        if target is None or target not in names:
            raise Declined("sheet part not found")
        with archive.open(target) as stream:
            sheet_head = _cut(stream, _ROW_START, wanted, b"</sheetData></worksheet>")
        used = [int(i) for i in _SHARED.findall(sheet_head)]
        shared_head = None
        if shared_name is not None and shared_name in names:
            with archive.open(shared_name) as stream:
                shared_head = _cut(stream, _ITEM_START, max(used, default=-1) + 1, b"</sst>")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as mini:
            for info in archive.infolist():
                if info.filename == target:
                    mini.writestr(info.filename, sheet_head)
                elif info.filename == shared_name and shared_head is not None:
                    mini.writestr(info.filename, shared_head)
                elif info.filename.startswith("xl/worksheets/") or info.file_size > 4_000_000:
                    continue
                else:
                    mini.writestr(info.filename, archive.read(info.filename))
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(buffer.getvalue()))
    worksheets = [m.name for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    if len(worksheets) != 1:
        raise Declined("not exactly one worksheet")
    sheet = workbook.get_sheet_by_name(worksheets[0])
    if sheet.start is None:
        raise Declined("empty first rows")
    rows = [list(row) for _, row in zip(range(wanted), sheet.iter_rows())]
    return rows, worksheets[0], sheet.start[1] + 1


def _cut(stream: Any, start: re.Pattern[bytes], count: int, closing: bytes) -> bytes:
    """The XML of ``stream`` up to (not including) the ``count + 1``-th element matching
    ``start``, closed with ``closing``; the whole part when it has no more elements."""
    text = b""
    while True:
        chunk = stream.read(1 << 18)
        text += chunk
        matches = 0
        for match in start.finditer(text):
            matches += 1
            if matches == count + 1:
                return text[:match.start()] + closing
        if not chunk:
            return text
        if len(text) > 64 << 20:
            raise Declined("first rows too large")


# -- reading the columns -------------------------------------------------------------------------

class _SheetColumns:
    """One sheet's data area (the rows below the header) as Arrow columns → ``LedgerColumns``."""

    def __init__(self, reading: _FileReading, sheet: SheetData, result: _SheetResult,
                 columns: list[pa.Array], first_row: int, *, spreadsheet: bool) -> None:
        self.reading = reading
        self.sheet = sheet
        self.result = result
        self.header = result.header
        self.columns = columns
        self.first_row = first_row  # file row number of the first data row
        self.spreadsheet = spreadsheet
        self.count = len(columns[0]) if columns else 0

    # cells of one row as the row reader sees them (padded to the header width + 1)
    def cells(self, index: int) -> list[object]:
        values = [self._python(column[index].as_py()) for column in self.columns]
        width = self.header.width
        if len(values) > width:
            self.reading._check_extra_cells(values, width, self.sheet, self.header, self.first_row + index)
            del values[width:]
        values.extend([""] * (width + 1 - len(values)))
        return values

    @staticmethod
    def _python(value: object) -> object:
        return "" if value is None else value

    def column(self, name: str) -> pa.Array | None:
        index = self.header.columns.get(name)
        if index is None or index >= len(self.columns):
            return None
        return self.columns[index]

    def read(self) -> None:  # noqa: C901 - one pass, in the row reader's order
        reading, header, sheet, result = self.reading, self.header, self.sheet, self.result
        cols = header.columns
        preamble = result.preamble
        if "date" not in cols:
            raise Declined("年/月/日 columns")
        if "voucher" not in cols and ("voucher_word" in cols or "voucher_no" in cols):
            raise Declined("凭证字 + 号 columns")
        if "debit" in cols or "credit" in cols:
            amount_mode = "dc"
        elif "direction" in cols:
            raise Declined("方向 + 金额")
        else:
            amount_mode = "amt"
        scale = header.scale if header.scale != 1 else (preamble.scale or header.scale)
        if scale != 1:
            raise Declined("scaled amounts")
        for extra in self.columns[header.width:]:
            if self._has_text(extra):
                raise Declined("cells beyond the header")  # the row reader rejects the row
        n = self.count
        name = sheet.name
        is_payment = result.kind == "payment_list"
        blank_col = header.width
        stated_period = preamble.period
        period_for_dates = stated_period or reading._first_stated_period()
        year_hint = reading.year or header.header_year
        if year_hint is None and period_for_dates is not None:
            year_hint = period_for_dates[0].year
        i_date, i_summary = cols["date"], cols.get("summary", blank_col)
        i_debit, i_credit = cols.get("debit", blank_col), cols.get("credit", blank_col)
        i_amount = cols.get("amount", blank_col)
        i_dir = cols.get("direction", blank_col)

        # -- which rows are not transactions: summary words, no date, unreadable date ----------
        summary_ids, summary_values = self._distinct_texts(self.column("summary"))
        labels = [_label_of(value) for value in summary_values]
        label_ids = [i for i, label in enumerate(labels) if label is not None]
        special = np.isin(summary_ids, label_ids) if label_ids else np.zeros(n, dtype=bool)
        voucher_array = self.column("voucher")
        if voucher_array is not None and _is_string(voucher_array):
            maybe = _matches(voucher_array, pc.match_substring_regex, _summary_start())
            for index in np.flatnonzero(maybe & ~special):
                if _voucher_label(voucher_array[index].as_py()) is not None:
                    special[index] = True
        date_array = self.column("date")
        assert date_array is not None
        date_ids, date_raw = _distinct(date_array)
        dates: list[date | None] = []
        for raw in date_raw:
            if _blank(raw):
                dates.append(None)
                continue
            try:
                dates.append(reading._date(raw, year_hint, period_for_dates, True))
            except CellProblem:
                dates.append(None)
        undated = [i for i, when in enumerate(dates) if when is None]
        if undated:
            special |= np.isin(date_ids, undated)

        # -- those rows one by one, with the row reader's code -------------------------------
        amount_columns = tuple(c for c in (i_debit, i_credit, i_amount) if c != blank_col)
        for index in np.flatnonzero(special):
            rownum = self.first_row + int(index)
            cells = self.cells(int(index))
            label = labels[summary_ids[index]]
            if label is None:
                raw = cells[cols["voucher"]] if "voucher" in cols else None
                label = _voucher_label(raw) if raw.__class__ is str else None
            if label is None:
                raw_date = cells[i_date]
                if _blank(raw_date) or dates[date_ids[index]] is None:
                    label = _row_label(cells)
                if label is None:
                    has_amount = any(not _blank(cells[c]) for c in amount_columns)
                    if _blank(raw_date):
                        if has_amount:
                            raise Declined("a transaction without a date")
                        if any(not _blank(c) for c in cells):
                            reading.note_rows += 1
                        else:
                            reading.blank_rows += 1
                        continue
                    if not has_amount and _looks_like_note(raw_date):
                        reading.note_rows += 1
                        continue
                    raise Declined("an unreadable date")
            reading._summary_row(cells, label, sheet, header, rownum, amount_mode, i_debit, i_credit,
                                 i_dir, i_amount, scale)
        kept = np.flatnonzero(~special)
        count = len(kept)
        rownums = kept + self.first_row
        events: list[tuple[int, int, str, str, str, str]] = []  # row, order, severity, code, message, where

        # -- dates -----------------------------------------------------------------------------
        kept_date_ids = date_ids[kept]
        date_objects = np.array(dates, dtype=object)
        used = np.unique(kept_date_ids)
        used_dates = [dates[i] for i in used]
        if used_dates:
            low, high = min(used_dates), max(used_dates)  # type: ignore[type-var]
            reading.date_min = low if reading.date_min is None else min(reading.date_min, low)
            reading.date_max = high if reading.date_max is None else max(reading.date_max, high)
        if stated_period is not None:
            start, end = stated_period
            outside = [i for i in used if not start <= dates[i] <= end]  # type: ignore[operator]
            if outside:
                message = f"交易日期不在期间（{start}至{end}）内"
                for position in np.flatnonzero(np.isin(kept_date_ids, outside)):
                    row = int(rownums[position])
                    events.append((row, 0, "warning", "date_outside_period", message,
                                   reading.cell(sheet, header, row, i_date)))

        # -- amounts (integer 分) ---------------------------------------------------------------
        def amounts(column: int, order: int) -> tuple[np.ndarray, np.ndarray]:
            """分 per kept row, and which rows were blank."""
            array = self.columns[column] if column < len(self.columns) and column != blank_col else None
            return self._fen(array, kept, column, order, events, rownums)

        if amount_mode == "amt":
            amount_fen, blank = amounts(i_amount, 1)
            if blank.any():
                raise Declined("a blank amount")
            debit_fen, credit_fen = amount_fen, np.zeros(count, dtype=np.int64)
        else:
            debit_fen, debit_blank = amounts(i_debit, 1)
            credit_fen, credit_blank = amounts(i_credit, 2)
            for position in np.flatnonzero(debit_blank & credit_blank):
                row = int(rownums[position])
                events.append((row, 3, "warning", "amount_blank", "借方、贷方均为空，按0处理",
                               reading.where(name, row)))
            amount_fen = debit_fen - credit_fen

        # -- text fields -----------------------------------------------------------------------
        def texts(field: str) -> list[str | None]:
            array = self.column(field)
            if array is None:
                return [None] * count
            return self._kept_texts(array, kept)

        summary_kept = np.array(summary_values, dtype=object)[summary_ids[kept]].tolist() \
            if count else []
        voucher = texts("voucher")
        status = texts("status")
        pref_raw = texts("project_ref")
        project_code, project_name = texts("project_code"), texts("project_name")
        document_no, unit_name = texts("document_no"), texts("unit_name")
        functional_class, economic_class = texts("functional_class"), texts("economic_class")
        fund_nature = texts("fund_nature")
        if any(f in cols for f in ("account_code", "account_name", "account_ref")):
            codes, names, refs = texts("account_code"), texts("account_name"), texts("account_ref")
            accounts: dict[tuple[str | None, str | None, str | None], tuple[str | None, str | None]] = {}
            account_code: list[str | None] = []
            account_name: list[str | None] = []
            sheet_account = (preamble.account_code, preamble.account_name)
            for key in zip(codes, names, refs):
                found = accounts.get(key)
                if found is None:
                    code, title, ref = key
                    if code is not None or title is not None:
                        found = (code, title)
                    elif ref is not None:
                        found = reading._account(ref)
                    else:
                        found = sheet_account
                    accounts[key] = found
                account_code.append(found[0])
                account_name.append(found[1])
        else:
            account_code = [preamble.account_code] * count
            account_name = [preamble.account_name] * count
        if preamble.project_text is not None:  # the sheet's project, for rows without their own
            context = (preamble.project_code, preamble.project_name, preamble.project_text)
            for position in range(count):
                if pref_raw[position] is None and project_code[position] is None \
                        and project_name[position] is None:
                    project_code[position], project_name[position], pref_raw[position] = context
        if pref_raw.count(None) != count:
            references = reading.references
            fields = (project_code, project_name, functional_class, economic_class, fund_nature,
                      document_no)
            for position, raw in enumerate(pref_raw):
                if raw is None:
                    continue
                reference = references.get(raw)
                if reference is None:
                    reference = references[raw] = reading._reference(raw)
                for values, found in zip(fields, (reference.code, reference.name,
                                                  reference.functional_class, reference.economic_class,
                                                  reference.fund_nature, reference.document_no)):
                    values[position] = values[position] or found

        # -- voided / returned -----------------------------------------------------------------
        reasons: list[str | None] = [None] * count
        counts = [True] * count
        status_counts = Counter(filter(None, status))  # the texts are never "", only None
        for key, value in status_counts.items():
            reading.status_counts[key] = reading.status_counts.get(key, 0) + value
        candidates: set[int] = set()
        excluded = {s for s in status_counts if s in EXCLUDED_STATUSES}
        if excluded:
            candidates.update(i for i, s in enumerate(status) if s in excluded)
        if voucher_array is not None:
            marked = _matches(voucher_array, pc.match_substring, "作废")
            candidates.update(np.flatnonzero(marked[kept]).tolist())
        void_summaries = [i for i, value in enumerate(summary_values) if value is not None and "作废" in value]
        if void_summaries:
            candidates.update(np.flatnonzero(np.isin(summary_ids[kept], void_summaries)).tolist())
        for position in sorted(candidates):
            row_status, row_voucher, row_summary = status[position], voucher[position], summary_kept[position]
            reason = None
            if row_status is not None and row_status in EXCLUDED_STATUSES:
                reason = status_reason(row_status)
                if row_status in VOIDED_STATUSES:
                    reading.voided_rows += 1
                else:
                    reading.returned_rows += 1
            elif row_voucher is not None and "作废" in row_voucher:
                reason = VOIDED_REASON
                reading.voided_rows += 1
            elif row_summary is not None and "作废" in row_summary:
                if _void_mark(row_summary):
                    reason = VOIDED_REASON
                    reading.voided_rows += 1
                else:
                    row = int(rownums[position])
                    events.append((row, 4, "warning", "summary_mentions_void",
                                   "摘要中提到“作废”，但不是作废标记，已按正常行计入，请核对",
                                   reading.cell(sheet, header, row, i_summary)))
            if reason is not None:
                reasons[position] = reason
                counts[position] = False

        for _row, _order, severity, code, message, where in sorted(events, key=lambda e: (e[0], e[1])):
            reading.findings.tally(severity, code, message, where)  # type: ignore[arg-type]
        reading.columns = LedgerColumns(
            sheet=[name] * count, row=rownums.tolist(),
            date=date_objects[kept_date_ids].tolist() if count else [],
            voucher=voucher, summary=summary_kept, account_code=account_code,
            account_name=account_name, project_code=project_code, project_name=project_name,
            project_ref_raw=pref_raw, document_no=document_no, unit_name=unit_name,
            functional_class=functional_class, economic_class=economic_class,
            fund_nature=fund_nature, status=status, debit_fen=debit_fen.tolist(),
            credit_fen=credit_fen.tolist(), amount_fen=amount_fen.tolist(), counts=counts,
            not_counted_reason=reasons)
        if is_payment and "status" not in cols:
            reading.findings.add("info", "no_status_column",
                                 "没有支付状态列：全部支付按已支付计入（无法排除退回或作废的支付）",
                                 reading.where(name))

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _has_text(array: pa.Array) -> bool:
        """Any cell other than empty (the row reader's test for cells beyond the header)."""
        if pa.types.is_null(array.type):
            return False
        if pa.types.is_dictionary(array.type):
            array = array.dictionary  # the column's distinct cells
        if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
            return array.null_count < len(array)
        return bool(pc.max(pc.binary_length(array)).as_py())

    def _distinct_texts(self, array: pa.Array | None) -> tuple[np.ndarray, list[str | None]]:
        """Per row an index into the distinct cleaned texts (the row reader's ``_clean_text``)."""
        if array is None:
            return np.zeros(self.count, dtype=np.int64), [None]
        _text_type(array)
        ids, raw = _distinct(array)
        clean = self.reading._clean_text
        return ids, [clean(value) for value in raw]

    def _kept_texts(self, array: pa.Array, kept: np.ndarray) -> list[str | None]:
        """Cleaned texts of the kept rows: per distinct value for repetitive columns (those of a
        dictionary array as they are), vectorised (strip only where an edge is whitespace) for
        columns of mostly unique values."""
        _text_type(array)
        if pa.types.is_null(array.type):
            return [None] * len(kept)
        subset = _rows(array, kept)
        clean = self.reading._clean_text
        if pa.types.is_dictionary(subset.type) \
                and len(subset.dictionary) * _DISTINCT_SHARE > len(subset):
            subset = subset.dictionary_decode()  # mostly unique: vectorised below
        if pa.types.is_dictionary(subset.type):  # decoded per distinct value (``_decoded``)
            ids = _numpy(subset.indices)
            used = np.zeros(len(subset.dictionary), dtype=bool)
            used[ids] = True  # only the kept rows' values, as below: a formula declines
            values = np.array([clean(value) if use else None
                               for value, use in zip(subset.dictionary.to_pylist(), used.tolist())],
                              dtype=object)
            return values[ids].tolist()
        sample = subset.slice(0, _SAMPLE_ROWS)  # no need to hash a million voucher numbers
        if len(pc.unique(sample)) * _DISTINCT_SHARE <= len(sample):
            encoded = pc.dictionary_encode(subset, null_encoding="encode")
            dictionary = encoded.dictionary
            if len(dictionary) * _DISTINCT_SHARE <= len(subset):
                values = np.array([clean(value) for value in dictionary.to_pylist()], dtype=object)
                return values[_numpy(encoded.indices)].tolist()
        if pc.any(pc.match_substring_regex(subset, _FORMULA)).as_py():
            raise Declined("a formula in a text column")
        result = subset.to_pylist()
        for index in np.flatnonzero(_numpy(pc.binary_length(subset)) == 0):  # or null: None already
            result[index] = None
        for index in np.flatnonzero(_flags(pc.match_substring_regex(subset, _EDGE_SPACE))):
            result[index] = result[index].strip() or None
        return result

    def _fen(self, array: pa.Array | None, kept: np.ndarray, column: int, order: int,
             events: list[tuple[int, int, str, str, str, str]], rownums: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
        count = len(kept)
        if array is None or pa.types.is_null(array.type):
            return np.zeros(count, dtype=np.int64), np.ones(count, dtype=bool)
        if pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()  # amounts are rarely anything but ASCII
        subset = _rows(array, kept)
        values = np.zeros(count, dtype=np.int64)
        if pa.types.is_string(subset.type) or pa.types.is_large_string(subset.type):
            matched = pc.match_substring_regex(subset, _COMMON)
            common = _flags(matched)
            if common.any():
                digits = pc.replace_substring(pc.replace_substring(subset.filter(matched), ",", ""),
                                              ".", "")
                numbers = np.zeros(count, dtype=np.int64)
                numbers[common] = _numpy(pc.cast(digits, pa.int64()))
                dotted = _flags(pc.match_substring(subset, "."))
                if (np.abs(numbers[~dotted]) > (1 << 62) // 100).any():
                    raise Declined("amount too large")
                values = np.where(dotted, numbers, numbers * 100)
                values[~common] = 0
            others = np.flatnonzero(~common)
        elif pa.types.is_floating(subset.type):
            floats = _numpy(subset).astype(np.float64)
            floats[~_valid(subset)] = np.nan
            with np.errstate(invalid="ignore"):
                cents = np.rint(floats * 100)
                exact = (np.abs(floats) < _EXACT_FLOAT_LIMIT) & (cents / 100 == floats)
            values = np.where(exact, cents, 0).astype(np.int64)
            others = np.flatnonzero(~exact)
        elif pa.types.is_integer(subset.type):
            valid = _valid(subset)
            integers = np.where(valid, _numpy(subset), 0).astype(np.int64)
            if (np.abs(integers) > (1 << 62) // 100).any():
                raise Declined("amount too large")
            values = integers * 100
            others = np.flatnonzero(~valid)
        else:
            raise Declined(f"amounts of type {subset.type}")
        blank = np.zeros(count, dtype=bool)
        if len(others):
            known: dict[object, tuple[int | None, bool]] = {}
            reading = self.reading
            for position in others:
                raw = subset[int(position)].as_py()
                found = known.get(raw)
                if found is None:
                    parsed = amount_of(self._python(raw))  # CellProblem: the row reader rejects it
                    found = known[raw] = (None, False) if parsed is None else (fen(parsed[0]), parsed[1])
                cents_value, rounded = found
                if cents_value is None:
                    blank[position] = True
                    values[position] = 0
                else:
                    values[position] = cents_value
                if rounded:
                    row = int(rownums[position])
                    events.append((row, order, "warning", "amount_rounded", "金额超过两位小数，已四舍五入到分",
                                   reading.cell(self.sheet, self.header, row, column)))
        return values, blank


def _text_type(array: pa.Array) -> None:
    kind = array.type
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)):
        raise Declined(f"a text column of type {kind}")


def _is_string(array: pa.Array) -> bool:
    """A column of text (a dictionary of texts included, see ``_decoded``)."""
    kind = array.type
    return pa.types.is_string(kind.value_type if pa.types.is_dictionary(kind) else kind)


def _matches(array: pa.Array, function: Any, pattern: str) -> np.ndarray:
    """``function(array, pattern)`` (a pyarrow.compute string predicate) per row, null as False;
    for a dictionary array once per distinct value."""
    if pa.types.is_dictionary(array.type):
        return _flags(function(array.dictionary, pattern))[_numpy(array.indices)]
    return _flags(function(array, pattern))


def _distinct(array: pa.Array) -> tuple[np.ndarray, list[Any]]:
    """Per row an index into the distinct values (None for an empty cell), and those values."""
    if pa.types.is_null(array.type):  # a column without a single value
        return np.zeros(len(array), dtype=np.int64), [None]
    encoded = array if pa.types.is_dictionary(array.type) else \
        pc.dictionary_encode(array, null_encoding="encode")
    return _numpy(encoded.indices).astype(np.int64), encoded.dictionary.to_pylist()


# -- Arrow ↔ NumPy without pandas ------------------------------------------------------------------
# pyarrow's to_numpy() and np.asarray(array) convert through its pandas machinery, and making an
# array or scalar from Python objects (pa.array, pa.scalar, a Python value given to a compute
# function) first asks whether they are pandas objects: each imports pandas, 0.4 s in a fresh
# process.  These go through the buffers instead.

_NUMPY_TYPES: dict[pa.DataType, type] = {
    pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32, pa.int64(): np.int64,
    pa.uint8(): np.uint8, pa.uint16(): np.uint16, pa.uint32(): np.uint32, pa.uint64(): np.uint64,
    pa.float32(): np.float32, pa.float64(): np.float64}


def _numpy(array: pa.Array) -> np.ndarray:
    """The values of an array of numbers or booleans, read-only; a null's slot holds anything
    (see ``_valid``)."""
    if pa.types.is_boolean(array.type):
        return _bits(array.buffers()[1], array.offset, len(array))
    dtype = np.dtype(_NUMPY_TYPES[array.type])
    if not len(array):
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(array.buffers()[1], dtype=dtype, count=len(array),
                         offset=array.offset * dtype.itemsize)


def _valid(array: pa.Array) -> np.ndarray:
    """Which values are not null."""
    if not array.null_count:
        return np.ones(len(array), dtype=bool)
    return _bits(array.buffers()[0], array.offset, len(array))


def _flags(array: pa.Array) -> np.ndarray:
    """A boolean array, null as False."""
    flags = _numpy(array)
    return flags & _valid(array) if array.null_count else flags


def _bits(buffer: pa.Buffer | None, offset: int, length: int) -> np.ndarray:
    """``length`` bits of an Arrow bitmap (least significant bit first) from bit ``offset``."""
    if not length:
        return np.zeros(0, dtype=bool)
    bits = np.unpackbits(np.frombuffer(buffer, dtype=np.uint8),  # type: ignore[arg-type]
                         count=offset + length, bitorder="little")
    return bits[offset:].view(bool)


def _buffer(values: np.ndarray) -> pa.Buffer:
    return pa.py_buffer(np.ascontiguousarray(values))


def _rows(array: pa.Array, kept: np.ndarray) -> pa.Array:
    """``array`` at the ascending positions ``kept``: a slice (no copy) when they follow on."""
    if len(kept) == len(array):
        return array
    if not len(kept) or kept[-1] - kept[0] + 1 == len(kept):
        return array.slice(int(kept[0]) if len(kept) else 0, len(kept))
    positions = pa.Array.from_buffers(pa.int64(), len(kept), [None, _buffer(kept.astype(np.int64))])
    return array.take(positions)


def _text_array(values: list[str]) -> pa.Array:
    """``pa.array(values, pa.string())``, built from its buffers."""
    encoded = [value.encode("utf-8") for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
    whole = pa.Array.from_buffers(pa.large_string(), len(encoded),
                                  [None, _buffer(offsets), pa.py_buffer(b"".join(encoded))])
    return whole.cast(pa.string())


def _label_of(summary: str | None) -> str | None:
    from tracker.importers.ledger.reader import _SUMMARY_FIRST, _summary_label

    if summary and summary[0] in _SUMMARY_FIRST:
        return _summary_label(summary)
    return None


def _voucher_label(raw: object) -> str | None:
    from tracker.importers.ledger.reader import _SUMMARY_FIRST_TEXT, _summary_label

    if raw.__class__ is str and raw[:1] in _SUMMARY_FIRST_TEXT:  # type: ignore[index]
        return _summary_label(raw)  # type: ignore[arg-type]
    return None


def _summary_start() -> str:
    """A regex for a text starting with one of the row reader's ``_SUMMARY_FIRST_TEXT``."""
    from tracker.importers.ledger.reader import _SUMMARY_FIRST_TEXT

    return "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in sorted(_SUMMARY_FIRST_TEXT) if c) + "]"


def _blank(value: object) -> bool:
    from tracker.importers.ledger.reader import _blank as blank

    return blank(value)


def _row_label(cells: Sequence[object]) -> str | None:
    from tracker.importers.ledger.reader import _row_label as label

    return label(cells)


def _looks_like_note(raw: object) -> bool:
    from tracker.importers.ledger.reader import _looks_like_note as note

    return note(raw)


def _void_mark(summary: str) -> bool:
    from tracker.importers.ledger.reader import _VOID_MARK

    return _VOID_MARK.search(summary) is not None


__all__ = ["Declined", "FAST_PATH_MIN_BYTES", "read", "worth_trying"]
