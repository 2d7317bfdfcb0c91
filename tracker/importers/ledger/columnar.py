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

Summary, blank and note rows are handed one by one to the rules both readers share
(row_rules.py, and ``FileReading.summary_row``); whether a row counts is counting.py's decision.
This module loads the file; columnar_sheet.py reads its columns; arrow_arrays.py holds the
Arrow ↔ NumPy conversions.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracker.errors import ImportRejected
from tracker.importers.ledger.arrow_arrays import DISTINCT_SHARE, Declined, buffer_of, text_array
from tracker.importers.ledger.columnar_sheet import SheetColumns
from tracker.importers.ledger.header import HEADER_SEARCH_ROWS
from tracker.importers.ledger.reading import FileReading, SheetResult
from tracker.importers.ledger.sniff import Sniffed, csv_encoding
from tracker.importers.ledger.sources import CSV_SHEET, SheetData, delimiter_of, last_line_fields, split_lines
from tracker.importers.sniffing import UTF8_BOM as _BOM

FAST_PATH_MIN_BYTES = 2_000_000  # below this the row reader takes well under a second
_HEAD_BYTES = 1 << 20  # a CSV's first lines, decoded for the header and the lines above it
_SCAN_BYTES = 1 << 18  # bytes of a CSV checked at once by ``_unsplittable`` (in the CPU cache)
STREAM_BLOCK_BYTES = 8 << 20  # a streamed CSV's block (about 40,000 rows of a payment list)


def big_enough(data: bytes) -> bool:
    """Whether a file this size is worth the fast path (and its CSV text worth not decoding)."""
    return len(data) >= FAST_PATH_MIN_BYTES


def worth_trying(sniffed: Sniffed, data: bytes) -> bool:
    return sniffed.format in ("csv", "xlsx") and big_enough(data)


def read(reading: FileReading, filename: str, data: bytes, handed: list[Sniffed]) -> str | None:
    """Read the file's one sheet into ``reading`` (as ``read_sheet`` would) and return its
    encoding as ``decode_text`` names it (None for .xlsx), or raise ``Declined``.  May raise
    ``ImportRejected`` from the shared header checks.  A CSV comes undecoded
    (``sniff(..., decode_csv=False)``) unless it is UTF-16; ``handed`` holds the only reference
    to the sniffed file: it is taken, so that a UTF-16 file's decoded text is freed as soon as
    it has been turned into UTF-8 bytes."""
    loaded = load(reading, filename, data, handed)
    try:
        loaded.sheet_columns(0, loaded.rows).read()
    except (Declined, ImportRejected):
        raise
    except Exception as problem:  # noqa: BLE001 - whatever it is, the row reader decides
        raise Declined(f"{type(problem).__name__}: {problem}") from None
    loaded.sheet_notes()
    return loaded.encoding


@dataclass
class Loaded:
    """A sheet loaded into Arrow columns, its header found, its rows not read yet: read whole
    (``read``) or a slice of rows at a time (``streaming.read_ledger_chunks``)."""

    reading: FileReading
    sheet: SheetData
    result: SheetResult
    columns: list[pa.Array]
    first_row: int  # file row number of the first data row
    spreadsheet: bool
    encoding: str | None
    # a streamed CSV (``load(stream=True)``): its data area block by block, ``columns`` empty,
    # and how many rows it has at most
    batches: Iterator[list[pa.Array]] | None = None
    expected: int = 0

    @property
    def rows(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def sheet_columns(self, start: int, stop: int) -> SheetColumns:
        columns = self.columns
        if (start, stop) != (0, self.rows):
            columns = [column.slice(start, stop - start) for column in columns]
        return SheetColumns(self.reading, self.sheet, self.result, columns, self.first_row + start,
                            spreadsheet=self.spreadsheet)

    def sheet_notes(self) -> None:
        """What is said once about the sheet, after its rows (``SheetColumns.notes``)."""
        SheetColumns(self.reading, self.sheet, self.result, [], self.first_row,
                     spreadsheet=self.spreadsheet).notes()


def load(reading: FileReading, filename: str, data: bytes, handed: list[Sniffed], *,
         stream: bool = False) -> Loaded:
    """The first half of ``read``: the sheet's header and preamble read into ``reading``, its
    data area loaded into Arrow columns.  Raises ``Declined`` as ``read`` does.  ``stream``: a
    CSV's data area is not loaded yet but given block by block (``Loaded.batches``)."""
    sniffed = handed.pop()
    try:
        if sniffed.format == "csv":
            texts = [] if sniffed.text is None else [sniffed.text]
            encoding = sniffed.encoding
            del sniffed
            return _read_csv(reading, data, texts, encoding, stream)
        return _read_xlsx(reading, filename, data, stream)
    except (Declined, ImportRejected):
        raise
    except Exception as problem:  # noqa: BLE001 - whatever it is, the row reader decides
        raise Declined(f"{type(problem).__name__}: {problem}") from None


# -- loading -------------------------------------------------------------------------------------

def _read_csv(reading: FileReading, data: bytes, handed: list[str], encoding: str | None,
              stream: bool = False) -> Loaded:
    """A CSV into Arrow columns straight from its bytes (its encoding as ``decode_text`` names it).

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
    delimiter = delimiter_of(head)
    rows = csv.reader(split_lines(head), delimiter=delimiter)
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
        tail_fields, tail_row = last_line_fields(tail, delimiter), raw.count(b"\n") + 1
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
    options = dict(
        parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"',
                                         double_quote=True, escape_char=False,
                                         newlines_in_values=True, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.binary() for n in names},
                                             strings_can_be_null=False,
                                             quoted_strings_can_be_null=False))
    if stream:  # block by block: the first rows are read while pyarrow splits the next ones
        loaded = Loaded(reading, sheet, result, [], first_data + 1, False, encoding)
        loaded.expected = raw.count(b"\n", start) + 1  # lines below the header: at least the rows
        loaded.batches = _csv_batches(pa.BufferReader(pa.py_buffer(raw)[start:]), codec, options,
                                      pacsv.ReadOptions(column_names=names, block_size=STREAM_BLOCK_BYTES))
        return loaded
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(raw)[start:]),
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24), **options)
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
    return Loaded(reading, sheet, result, columns, first_data + 1, False, encoding)


def _csv_batches(source: pa.NativeFile, codec: str, options: dict[str, Any],
                 read_options: Any) -> Iterator[list[pa.Array]]:
    """The CSV's data area a block at a time (``STREAM_BLOCK_BYTES``), each column decoded as
    ``_decoded`` decodes a whole one; ``Declined`` where ``read_csv`` would decline."""
    import pyarrow.csv as pacsv

    try:
        reader = pacsv.open_csv(source, read_options=read_options, **options)
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            yield [_decoded(pa.chunked_array([column], pa.binary()), codec) for column in batch.columns]
    except pa.ArrowInvalid:
        raise Declined("rows with more or fewer fields than the header") from None


def _valid_utf8(data: bytes) -> bool:
    """Whether all of ``data`` is UTF-8, checked by Arrow without making a str of it."""
    offsets = buffer_of(np.array([0, len(data)], dtype=np.int64))
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
    array of its decoded distinct values, which ``SheetColumns`` reads as it is.  Declined
    when a cell does not decode: the row reader rejects the file, naming the line.
    """
    # valid UTF-8 once the non-ASCII cells are replaced
    text = pa.chunked_array([chunk.view(pa.string()) for chunk in column.chunks], pa.string())
    others = pc.invert(pc.string_is_ascii(text))
    count = pc.sum(others).as_py() or 0
    if not count:
        return text.combine_chunks()
    mostly_ascii = count * DISTINCT_SHARE <= len(column)
    # chunk by chunk with one dictionary, so only the indices are copied into one array
    encoded = pc.dictionary_encode(column.filter(others) if mostly_ascii else column).combine_chunks()
    try:
        values = text_array([value.decode(codec) for value in encoded.dictionary.to_pylist()])
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


def _read_xlsx(reading: FileReading, filename: str, data: bytes, stream: bool = False) -> Loaded:
    """The header from the first rows, then the sheet by fastexcel; ``stream``: the sheet is
    loaded only when its rows are first asked for (``Loaded.batches``, one batch), so that the
    header is known — and an import prepares its batch — while fastexcel works."""
    import fastexcel

    _quiet_fastexcel()

    head, name, first_col = _xlsx_head(data)
    sheet = SheetData(name, iter(()), first_col, True)
    result = reading.start_sheet(sheet, head)
    if result is None:
        raise Declined("no header")
    first_data = result.header.rows[-1] + 1

    def sheet_columns() -> list[pa.Array]:
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
        # Same width as the first rows read by python-calamine ⇒ the same first column (a cell
        # to the left of the header further down would widen the sheet).
        if head and batch.num_columns != len(head[0]):
            raise Declined("sheet wider than its first rows")
        return list(batch.columns)

    if stream:
        def whole_sheet() -> Iterator[list[pa.Array]]:
            yield sheet_columns()

        loaded = Loaded(reading, sheet, result, [], first_data + 1, True, None)
        loaded.batches = whole_sheet()
        return loaded
    return Loaded(reading, sheet, result, sheet_columns(), first_data + 1, True, None)


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


__all__ = ["Declined", "FAST_PATH_MIN_BYTES", "Loaded", "load", "read", "worth_trying"]
