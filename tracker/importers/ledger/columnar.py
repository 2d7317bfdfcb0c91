"""The columnar fast path of ``read_ledger``: a big single-sheet export read column by column.

The row-by-row reader (reader.py) spends a few microseconds of Python per row; for a
million-row payment list that is most of an import.  Here the sheet is loaded into Arrow
columns instead (pyarrow.csv for CSV, decoded once to UTF-8; fastexcel — calamine in Rust —
for .xlsx), and every rule of the row reader is applied per *distinct* cell value (dates,
摘要, 支付状态, project references, odd amounts all repeat) or vectorised (amounts in the
printed form ``1,234.50``, voucher numbers), using the very same functions as the row reader.
What it produces is identical: the same rows (``LedgerRows`` over ``LedgerColumns`` with
integer 分), counts, findings in the same order, stated totals.

The fast path only decides what it can decide exactly.  It *declines* (``Declined``; the
caller then reads the file row by row) when:

* the file is small (``FAST_PATH_MIN_BYTES``), not CSV or .xlsx, or a workbook with more than
  one worksheet;
* the layout needs row-to-row state or rarer rules: 年/月/日 columns, 凭证字 + 号 columns,
  方向 + 金额, amounts in 万元/千元, a CSV with rows of varying length or odd line ends, an
  .xlsx column mixing text and numbers (or numbers in a text column);
* any row would be rejected, or needs the previous row (a transaction without a date).

Summary, blank and note rows are handed one by one to the row reader's own code.
"""

from __future__ import annotations

import csv
import io
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
from tracker.importers.ledger.sniff import Sniffed
from tracker.importers.ledger.sources import SheetData, _csv_sheet, _delimiter
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
_EXACT_FLOAT_LIMIT = 1e11  # |元| below which float → 分 by rint is exact (ulp ≪ 0.01)


class Declined(Exception):
    """The fast path cannot read this file exactly; the row reader will."""


def worth_trying(sniffed: Sniffed, data: bytes) -> bool:
    return sniffed.format in ("csv", "xlsx") and len(data) >= FAST_PATH_MIN_BYTES


def read(reading: _FileReading, filename: str, data: bytes, handed: list[Sniffed]) -> None:
    """Read the file's one sheet into ``reading`` (as ``read_sheet`` would), or raise
    ``Declined``.  May raise ``ImportRejected`` from the shared header checks.  ``handed`` holds
    the only reference to the sniffed file: it is taken, so that a CSV's decoded text (a few
    hundred MB for a million rows) is freed as soon as it has been turned into UTF-8 bytes."""
    sniffed = handed.pop()
    try:
        if sniffed.format == "csv":
            texts = [sniffed.text]
            del sniffed
            _read_csv(reading, texts)  # type: ignore[arg-type]
        else:
            _read_xlsx(reading, filename, data)
    except (Declined, ImportRejected):
        raise
    except Exception as problem:  # noqa: BLE001 - whatever it is, the row reader decides
        raise Declined(f"{type(problem).__name__}: {problem}") from None


# -- loading -------------------------------------------------------------------------------------

def _read_csv(reading: _FileReading, handed: list[str]) -> None:
    import pyarrow.csv as pacsv

    text = handed.pop()
    if "\n" not in text:
        raise Declined("no line feeds")
    delimiter = _delimiter(text)
    sheet = _csv_sheet(text)
    buffer = [list(row) for _, row in zip(range(HEADER_SEARCH_ROWS + 2), sheet.rows)]
    sheet.rows = iter(())  # the csv reader holds the text
    result = reading.start_sheet(sheet, buffer)
    if result is None:
        raise Declined("no header")
    first_data = result.header.rows[-1] + 1
    # the records above the data must be one line each, so the data starts after line N
    offset = 0
    for record in buffer[:first_data]:
        end = text.find("\n", offset)
        if end == -1 or next(csv.reader([text[offset:end]], delimiter=delimiter), []) != record:
            raise Declined("multi-line records above the data")
        offset = end + 1
    # the whole text at once (a slice of it first would be another copy of a few hundred MB);
    # the data starts after the UTF-8 bytes of the lines above it
    encoded = text.encode("utf-8")
    start = len(text[:offset].encode("utf-8"))
    del text
    if b"\r" in encoded and encoded.count(b"\r") != encoded.count(b"\r\n"):
        raise Declined("carriage returns inside lines")
    width = len(buffer[first_data - 1]) if first_data else 0
    names = [f"c{i}" for i in range(max(width, result.header.width))]
    invalid: list[int] = []

    def ragged(row: Any) -> str:
        invalid.append(1)
        return "skip"

    table = pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(encoded)[start:]),
        read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"',
                                         double_quote=True, escape_char=False,
                                         newlines_in_values=True, ignore_empty_lines=False,
                                         invalid_row_handler=ragged),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=False,
                                             quoted_strings_can_be_null=False))
    del encoded
    if invalid:
        raise Declined("rows with more or fewer fields than the header")
    columns = []
    while table.num_columns:  # one column at a time, each dropped from the table once copied
        columns.append(table.column(0).combine_chunks())
        table = table.remove_column(0)
    del table
    _SheetColumns(reading, sheet, result, columns, first_data + 1, spreadsheet=False).read()


def _read_xlsx(reading: _FileReading, filename: str, data: bytes) -> None:
    import fastexcel

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
        if voucher_array is not None and pa.types.is_string(voucher_array.type):
            first = pc.utf8_slice_codeunits(pc.fill_null(voucher_array, ""), 0, 1)
            maybe = np.asarray(pc.is_in(first, value_set=pa.array(sorted(_summary_first_text()))))
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
        if any(value is not None for value in pref_raw):
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
        status_counts = Counter(s for s in status if s is not None)
        for key, value in status_counts.items():
            reading.status_counts[key] = reading.status_counts.get(key, 0) + value
        candidates: set[int] = set()
        excluded = {s for s in status_counts if s in EXCLUDED_STATUSES}
        if excluded:
            candidates.update(i for i, s in enumerate(status) if s in excluded)
        if voucher_array is not None:
            marked = pc.fill_null(pc.match_substring(voucher_array, "作废"), False)
            candidates.update((np.flatnonzero(np.asarray(marked)[kept])).tolist())
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
        if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
            return array.null_count < len(array)
        return bool(pc.any(pc.not_equal(pc.fill_null(array, ""), "")).as_py())

    def _distinct_texts(self, array: pa.Array | None) -> tuple[np.ndarray, list[str | None]]:
        """Per row an index into the distinct cleaned texts (the row reader's ``_clean_text``)."""
        if array is None:
            return np.zeros(self.count, dtype=np.int64), [None]
        _text_type(array)
        ids, raw = _distinct(array)
        clean = self.reading._clean_text
        return ids, [clean(value) for value in raw]

    def _kept_texts(self, array: pa.Array, kept: np.ndarray) -> list[str | None]:
        """Cleaned texts of the kept rows: per distinct value for repetitive columns, vectorised
        (strip only where an edge is whitespace) for columns of mostly unique values."""
        _text_type(array)
        if pa.types.is_null(array.type):
            return [None] * len(kept)
        subset = array.take(pa.array(kept)) if len(kept) != len(array) else array
        encoded = pc.dictionary_encode(subset, null_encoding="encode")
        dictionary = encoded.dictionary
        if len(dictionary) * _DISTINCT_SHARE <= len(subset):
            clean = self.reading._clean_text
            values = np.array([clean(value) for value in dictionary.to_pylist()], dtype=object)
            return values[np.asarray(encoded.indices)].tolist()
        if pc.any(pc.match_substring_regex(subset, _FORMULA)).as_py():
            raise Declined("a formula in a text column")
        result = subset.to_pylist()
        for index in np.flatnonzero(np.asarray(pc.fill_null(pc.equal(subset, ""), False))):
            result[index] = None
        for index in np.flatnonzero(np.asarray(pc.fill_null(
                pc.match_substring_regex(subset, _EDGE_SPACE), False))):
            result[index] = result[index].strip() or None
        return result

    def _fen(self, array: pa.Array | None, kept: np.ndarray, column: int, order: int,
             events: list[tuple[int, int, str, str, str, str]], rownums: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
        count = len(kept)
        if array is None or pa.types.is_null(array.type):
            return np.zeros(count, dtype=np.int64), np.ones(count, dtype=bool)
        subset = array.take(pa.array(kept)) if len(kept) != len(array) else array
        values = np.zeros(count, dtype=np.int64)
        if pa.types.is_string(subset.type) or pa.types.is_large_string(subset.type):
            common = np.asarray(pc.fill_null(pc.match_substring_regex(subset, _COMMON), False))
            if common.any():
                digits = pc.replace_substring(pc.replace_substring(subset, ",", ""), ".", "")
                numbers = np.asarray(pc.cast(pc.if_else(pa.array(common), digits, "0"), pa.int64()))
                dotted = np.asarray(pc.fill_null(pc.match_substring(subset, "."), False))
                if (np.abs(numbers[~dotted]) > (1 << 62) // 100).any():
                    raise Declined("amount too large")
                values = np.where(dotted, numbers, numbers * 100)
                values[~common] = 0
            others = np.flatnonzero(~common)
        elif pa.types.is_floating(subset.type):
            floats = np.asarray(pc.fill_null(subset, float("nan")), dtype=np.float64)
            with np.errstate(invalid="ignore"):
                cents = np.rint(floats * 100)
                exact = (np.abs(floats) < _EXACT_FLOAT_LIMIT) & (cents / 100 == floats)
            values = np.where(exact, cents, 0).astype(np.int64)
            others = np.flatnonzero(~exact)
        elif pa.types.is_integer(subset.type):
            integers = np.asarray(pc.fill_null(subset, 0), dtype=np.int64)
            if (np.abs(integers) > (1 << 62) // 100).any():
                raise Declined("amount too large")
            values = integers * 100
            others = np.flatnonzero(np.asarray(pc.is_null(subset)))
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
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_null(kind)):
        raise Declined(f"a text column of type {kind}")


def _distinct(array: pa.Array) -> tuple[np.ndarray, list[Any]]:
    """Per row an index into the distinct values (None for an empty cell), and those values."""
    if pa.types.is_null(array.type):  # a column without a single value
        return np.zeros(len(array), dtype=np.int64), [None]
    encoded = pc.dictionary_encode(array, null_encoding="encode")
    return np.asarray(encoded.indices).astype(np.int64), encoded.dictionary.to_pylist()


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


def _summary_first_text() -> frozenset[str]:
    from tracker.importers.ledger.reader import _SUMMARY_FIRST_TEXT

    return frozenset(c for c in _SUMMARY_FIRST_TEXT if c)


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
