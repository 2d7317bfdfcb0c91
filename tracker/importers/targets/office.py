"""Word (.docx) and Excel (.xlsx) files → blocks.

Merged cells are read the way a Word text export prints them, so every format reaches the
interpreter in the same shape: a horizontally merged cell is one cell; the cells under a
vertically merged one are blank (the interpreter reads a blank 一级/二级 as "same as above").

Both come here only after the archive guard (sniffing.py).  A workbook is read with openpyxl in
read-only mode, row by row (its normal mode holds every cell as an object: a 250 MB sheet took
5 GB); read-only mode does not give the merged ranges, so they are read from the sheet's XML,
streamed.  Rows are counted as they come, and reading stops past ``max_target_rows``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from xml.etree.ElementTree import iterparse

from tracker.errors import ImportRejected
from tracker.importers.archive_guard import too_many_rows
from tracker.importers.file_limits import DEFAULT_LIMITS, FileLimits
from tracker.importers.targets.blocks import Block, Paragraph, Row, Table
from tracker.importers.targets.labels import clean_cell

Merge = tuple[int, int, int, int]  # min_col, min_row, max_col, max_row (1-based)


class _RowBudget:
    """Rows read so far across a document's sheets or tables, refused past the cap."""

    def __init__(self, filename: str, limits: FileLimits) -> None:
        self.filename = filename
        self.limits = limits
        self.rows = 0

    def take(self) -> None:
        self.rows += 1
        if self.rows > self.limits.max_target_rows:
            raise too_many_rows(self.rows, "target", self.limits, self.filename, at_least=True)


def docx_blocks(filename: str, data: bytes, limits: FileLimits = DEFAULT_LIMITS) -> list[Block]:
    from docx import Document
    from docx.table import Table as DocxTable
    from docx.table import _Cell

    budget = _RowBudget(filename, limits)
    try:
        document = Document(io.BytesIO(data))
        blocks: list[Block] = []
        paragraph_number = 0
        for item in document.iter_inner_content():
            if isinstance(item, DocxTable):
                rows = []
                for number, tr in enumerate(item._tbl.tr_lst, start=1):
                    budget.take()
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
    except ImportRejected:
        raise
    except Exception as error:  # BadZipFile, KeyError, zlib and lxml errors: no common base
        raise _damaged(filename, "Word", error) from error
    return blocks


def xlsx_blocks(filename: str, data: bytes, limits: FileLimits = DEFAULT_LIMITS) -> list[Block]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # BadZipFile, KeyError, InvalidFileException, XML errors
        raise _damaged(filename, "Excel", error) from error
    budget = _RowBudget(filename, limits)
    blocks: list[Block] = []
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for sheet in workbook.worksheets:
                # openpyxl keeps the sheet's part name only privately (read-only worksheets)
                merges = _merged_ranges(archive, sheet._worksheet_path, budget)  # type: ignore[union-attr]
                rows = _sheet_rows(sheet, merges, budget)
                if rows:
                    blocks.append(Table(tuple(rows), label=sheet.title))
    except ImportRejected:
        raise
    except Exception as error:  # XML and zlib errors while streaming the rows
        raise _damaged(filename, "Excel", error) from error
    finally:
        workbook.close()
    return blocks


def _merged_ranges(archive: zipfile.ZipFile, part: str, budget: _RowBudget) -> list[Merge]:
    """The sheet's ``<mergeCell ref="A1:C2"/>`` ranges, read from its XML as a stream (each
    element dropped once seen).  More merged ranges than the row cap allows rows are refused."""
    from openpyxl.utils.cell import range_boundaries

    merges: list[Merge] = []
    with archive.open(part.lstrip("/")) as stream:
        for _, element in iterparse(stream, events=("end",)):
            if element.tag.endswith("}mergeCell") and element.get("ref"):
                merges.append(range_boundaries(element.get("ref")))  # type: ignore[arg-type]
                if len(merges) > budget.limits.max_target_rows:
                    raise ImportRejected(
                        f"工作表中合并单元格超过 {budget.limits.max_target_rows:,} 处，超过绩效目标表的上限，"
                        "文件可能被篡改，已拒绝", location=budget.filename)
            element.clear()
    return merges


def _sheet_rows(sheet: object, merges: list[Merge], budget: _RowBudget) -> list[Row]:
    """The sheet's rows, numbered from 1, as the interpreter reads them (merged cells resolved,
    trailing blanks dropped, blank rows left out)."""
    pending = sorted(merges, key=lambda merge: merge[1])
    active: list[Merge] = []
    rows: list[Row] = []
    for number, row_cells in _numbered_rows(sheet):
        budget.take()
        while pending and pending[0][1] <= number:
            active.append(pending.pop(0))
        active = [merge for merge in active if merge[3] >= number]
        width = len(row_cells)
        # per column: 0 a cell of its own, 1 covered by a horizontal span (no cell of its own),
        # 2 under a vertical span (a blank cell)
        kind = [0] * width
        for min_col, min_row, max_col, _ in active:
            if min_col > width:
                continue
            end = min(max_col, width)
            kind[min_col:end] = [1] * (end - min_col)
            if number > min_row:
                kind[min_col - 1] = 2
        cells: list[str] = []
        for column, cell in enumerate(row_cells):
            if kind[column] == 1:
                continue
            value = getattr(cell, "value", None)
            cells.append("" if kind[column] == 2 or value is None
                         else clean_cell(_cell_text(value, cell.number_format or "General")))
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            rows.append(Row(tuple(cells), number))
    return rows


def _numbered_rows(sheet: object) -> Iterator[tuple[int, tuple[object, ...]]]:
    """Read-only rows from row 1 (missing rows come as empty tuples), each only as wide as its
    last cell: the sheet's stated dimension is not trusted to pad them."""
    sheet.reset_dimensions()  # type: ignore[attr-defined]
    yield from enumerate(sheet.iter_rows(min_row=1, min_col=1), start=1)  # type: ignore[attr-defined]


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
        f"{kind}文件已损坏或不完整，无法读取；请重新导出或另存后再上传",
        location=filename,
    )
