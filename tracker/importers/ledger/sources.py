"""Open a sniffed file as sheets of rows, streaming where the format allows.

Spreadsheets are read with python-calamine (Rust; fast, and it reads .xlsx, BIFF .xls and .ods
alike); xlrd is the fallback for a BIFF file calamine refuses.  CSV goes through the ``csv``
module fed by a line generator over the decoded text (several times faster than feeding it a
``StringIO``).  Rows are lists of cell values; a sheet's rows start at row 1 of the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from python_calamine import CalamineError, CalamineWorkbook, PasswordError, SheetTypeEnum

from tracker.errors import ImportRejected
from tracker.importers.ledger.html_table import read_html_tables
from tracker.importers.ledger.sniff import Sniffed

Cells = Sequence[object]
CSV_SHEET = "CSV"
_CHUNK = 1 << 20


@dataclass
class SheetData:
    name: str
    rows: Iterator[Cells]  # from row 1 of the sheet
    first_col: int  # 1-based column number of each row's first cell
    spreadsheet: bool  # True when locations should also give the cell address (K5)
    tail_fields: int | None = None  # CSV without a final newline: fields in the last record
    tail_row: int | None = None  # … and its line number
    height: int | None = None  # rows of a workbook's sheet, known once it is open


def open_sheets(filename: str, data: bytes, sniffed: Sniffed) -> Iterator[SheetData]:
    if sniffed.format in ("xlsx", "xls", "ods"):
        return _workbook_sheets(filename, data, sniffed.format)
    assert sniffed.text is not None
    if sniffed.format == "html":
        return _html_sheets(filename, sniffed.text)
    return iter([_csv_sheet(filename, sniffed.text)])


def _is_calamine_panic(error: BaseException) -> bool:
    """calamine's Rust code panics (pyo3 PanicException, a BaseException) on some broken
    files, e.g. a truncated .xls; that is a broken file, not a crash."""
    return type(error).__name__ == "PanicException"


def _workbook_sheets(filename: str, data: bytes, fmt: str) -> Iterator[SheetData]:
    where = f"文件 {filename}"
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = [m.name for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    except PasswordError:
        raise ImportRejected("文件有密码保护，请取消密码后再导入", location=where) from None
    except BaseException as error:  # noqa: BLE001 - narrowed just below
        if not isinstance(error, (CalamineError, ValueError, OSError)) and not _is_calamine_panic(error):
            raise
        if fmt == "xls":
            return _xlrd_sheets(filename, data, error)
        raise ImportRejected("文件不完整或已损坏，无法读取，请重新导出", location=where) from None
    return _calamine_sheets(filename, workbook, names)


def _calamine_sheets(filename: str, workbook: CalamineWorkbook, names: list[str]
                     ) -> Iterator[SheetData]:
    for index, name in enumerate(names):
        try:
            sheet = workbook.get_sheet_by_name(name)
            if index == len(names) - 1:
                # The sheet keeps its own cells; closing the workbook now frees the shared
                # strings and the copy of the file (about 120 MB for a million-row export).
                workbook.close()
        except BaseException as error:  # noqa: BLE001 - narrowed just below
            if not isinstance(error, (CalamineError, ValueError, OSError)) and not _is_calamine_panic(error):
                raise
            raise ImportRejected("工作表无法读取，文件可能不完整或已损坏，请重新导出",
                                 location=f"文件 {filename} 工作表 {name}") from None
        start = sheet.start
        if start is None:
            continue
        # iter_rows() yields from the sheet's first row (row 1), but from its first used column.
        yield SheetData(name, sheet.iter_rows(), start[1] + 1, True, height=sheet.height)


def _xlrd_sheets(filename: str, data: bytes, calamine_error: BaseException) -> Iterator[SheetData]:
    import xlrd  # only for BIFF files calamine cannot read

    try:
        # xlrd prints its warnings ("WARNING *** file size …") to stdout unless given a log
        book = xlrd.open_workbook(file_contents=data, logfile=io.StringIO())
        sheets = [book.sheet_by_index(index) for index in range(book.nsheets)]
    except Exception:  # xlrd raises many unrelated types for broken files
        raise ImportRejected("文件不完整或已损坏，无法读取，请重新导出",
                             location=f"文件 {filename}") from calamine_error
    for sheet in sheets:
        if sheet.nrows:
            yield SheetData(sheet.name, _xlrd_rows(sheet, book.datemode), 1, True, height=sheet.nrows)


def _xlrd_rows(sheet: object, datemode: int) -> Iterator[Cells]:
    import xlrd

    for index in range(sheet.nrows):  # type: ignore[attr-defined]
        row: list[object] = []
        for cell in sheet.row(index):  # type: ignore[attr-defined]
            if cell.ctype == xlrd.XL_CELL_DATE:
                row.append(xlrd.xldate.xldate_as_datetime(cell.value, datemode))
            elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                row.append("")
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                row.append(bool(cell.value))
            elif cell.ctype == xlrd.XL_CELL_ERROR:
                row.append(f"#错误{cell.value}")
            else:
                row.append(cell.value)
        yield row


def _html_sheets(filename: str, text: str) -> Iterator[SheetData]:
    tables, complete = read_html_tables(text)
    if not complete:
        raise ImportRejected("HTML表格不完整（缺少结束标记</table>），文件可能被截断，请重新导出",
                             location=f"文件 {filename}")
    tables = [t for t in tables if len(t) >= 1]
    for number, rows in enumerate(tables, start=1):
        yield SheetData(f"表格{number}", iter(rows), 1, False)


def _csv_sheet(filename: str, text: str) -> SheetData:
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")  # classic Mac line ends
    delimiter = delimiter_of(text)
    tail_fields: int | None = None
    if text and text[-1] not in "\r\n":
        tail_fields = last_line_fields(text[text.rfind("\n") + 1:], delimiter)
    tail_row = text.count("\n") + 1 if tail_fields is not None else None
    return SheetData(CSV_SHEET, _csv_rows(filename, text, delimiter), 1, False, tail_fields, tail_row)


def _csv_rows(filename: str, text: str, delimiter: str) -> Iterator[list[str]]:
    """The records of a CSV; what the csv module cannot split (a carriage return alone in an
    unquoted cell) is refused with its line, not raised as a bare ``csv.Error``."""
    reader = csv.reader(split_lines(text), delimiter=delimiter)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:
            raise ImportRejected(
                "这一行的单元格里有单独的回车符（不在引号内），无法分列；请在导出系统或Excel中"
                "删除该回车后重新导出，或把含回车的单元格加上英文双引号",
                location=f"文件 {filename} 工作表 {CSV_SHEET} 第{reader.line_num}行") from None
        yield row


def last_line_fields(tail: str, delimiter: str) -> int:
    """Fields in the last line of a CSV without a final newline (0 for an unterminated quote)."""
    try:
        return len(next(csv.reader([tail], delimiter=delimiter, strict=True)))
    except (csv.Error, StopIteration):
        return 0  # an unterminated quote: certainly cut off


def split_lines(text: str) -> Iterator[str]:
    """Lines of ``text`` split on ``\\n`` only, each with its ``\\n``, chunk by chunk, so that
    a 200 MB file never exists twice as a list of lines.  The csv module keeps a line feed
    inside a quoted cell only when it is given one, and drops ``\\r\\n`` at a record's end."""
    start, length = 0, len(text)
    while start < length:
        end = text.find("\n", start + _CHUNK)
        end = length if end == -1 else end + 1
        lines = text[start:end].split("\n")
        last = lines.pop()  # "" when the chunk ends with its line feed
        for line in lines:
            yield line + "\n"
        if last:
            yield last
        start = end


def delimiter_of(text: str) -> str:
    commas = tabs = 0
    for line in text[:65536].splitlines()[:50]:
        commas = max(commas, line.count(","))
        tabs = max(tabs, line.count("\t"))
    return "\t" if tabs >= 2 and tabs >= commas else ","
