"""Word (.docx) and Excel (.xlsx) files → blocks.

Merged cells are read the way a Word text export prints them, so every format reaches the
interpreter in the same shape: a horizontally merged cell is one cell; the cells under a
vertically merged one are blank (the interpreter reads a blank 一级/二级 as "same as above").
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

from tracker.errors import ImportRejected
from tracker.importers.targets.blocks import Block, Paragraph, Row, Table
from tracker.importers.targets.labels import clean_cell


def docx_blocks(filename: str, data: bytes) -> list[Block]:
    from docx import Document
    from docx.table import Table as DocxTable
    from docx.table import _Cell

    try:
        document = Document(io.BytesIO(data))
        blocks: list[Block] = []
        paragraph_number = 0
        for item in document.iter_inner_content():
            if isinstance(item, DocxTable):
                rows = []
                for number, tr in enumerate(item._tbl.tr_lst, start=1):
                    cells = tuple(
                        "" if tc.vMerge == "continue" else clean_cell(_Cell(tc, item).text)
                        for tc in tr.tc_lst
                    )
                    rows.append(Row(cells, number))
                blocks.append(Table(tuple(rows)))
            else:
                paragraph_number += 1
                text = clean_cell(item.text)
                if text:
                    blocks.append(Paragraph(text, paragraph_number))
    except Exception as error:  # BadZipFile, KeyError, zlib and lxml errors: no common base
        raise _damaged(filename, "Word", error) from error
    return blocks


def xlsx_blocks(filename: str, data: bytes) -> list[Block]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as error:  # BadZipFile, KeyError, InvalidFileException, XML errors
        raise _damaged(filename, "Excel", error) from error
    blocks: list[Block] = []
    try:
        for sheet in workbook.worksheets:
            rows = _sheet_rows(sheet)
            if rows:
                blocks.append(Table(tuple(rows), label=sheet.title))
    finally:
        workbook.close()
    return blocks


def _sheet_rows(sheet: object) -> list[Row]:
    from openpyxl.worksheet.worksheet import Worksheet

    assert isinstance(sheet, Worksheet)
    dropped: set[tuple[int, int]] = set()  # covered by a horizontal span: not a cell of its own
    blanked: set[tuple[int, int]] = set()  # under a vertical span: a blank cell
    for merged in sheet.merged_cells.ranges:
        for row in range(merged.min_row, merged.max_row + 1):
            for column in range(merged.min_col, merged.max_col + 1):
                if (row, column) == (merged.min_row, merged.min_col):
                    continue
                if column == merged.min_col:
                    blanked.add((row, column))
                else:
                    dropped.add((row, column))
    rows: list[Row] = []
    for row_cells in sheet.iter_rows():
        cells: list[str] = []
        row_number = 0
        for cell in row_cells:
            row_number = cell.row
            key = (cell.row, cell.column)
            if key in dropped:
                continue
            cells.append("" if key in blanked else clean_cell(_cell_text(cell.value, cell.number_format)))
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            rows.append(Row(tuple(cells), row_number))
    return rows


def _cell_text(value: object, number_format: str) -> str:
    """A cell as the user sees it: 300 not 300.0, 25% for 0.25 in a percent-formatted cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if "%" in number_format:
            return f"{_plain(number * 100)}%"
        return _plain(number)
    return str(value)


def _plain(number: Decimal) -> str:
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _damaged(filename: str, kind: str, error: BaseException) -> ImportRejected:
    return ImportRejected(
        f"{kind}文件已损坏或不完整，无法读取（{type(error).__name__}）；请重新导出或另存后再上传",
        location=filename,
    )
