"""PDF files → blocks (ruled tables) or lines of text (everything else).

What pdfminer decompresses while reading is capped (pdf_limits.py): a PDF can be a
decompression bomb as much as a zip.

pdfplumber finds ruled tables by their lines.  When one of them holds a ``项目名称`` cell the
document is read as tables, with the text between tables as paragraphs; otherwise the
page text is returned for the flow-text reader (seed 001 is such a text).  Page footers
(``第 5 页``) are dropped, and a table that continues on the next page is joined to its start.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from tracker.errors import ImportRejected
from tracker.importers.archive_guard import too_big
from tracker.importers.file_limits import DEFAULT_LIMITS, FileLimits
from tracker.importers.targets.pdf_limits import StreamBudgetExceeded, stream_budget
from tracker.importers.targets.blocks import Block, Paragraph, Row, Table
from tracker.importers.targets.labels import clean_cell, label_of

PAGE_FOOTER = re.compile(r"^(?:第\s*\d+\s*页(?:\s*[/，,]?\s*共\s*\d+\s*页)?|-\s*\d+\s*-|\d+\s*/\s*\d+)$")


@dataclass(frozen=True)
class PdfContent:
    text: str  # all pages, footers kept (the flow reader drops them itself)
    blocks: list[Block] | None  # when ruled tables with a 项目名称 cell were found


def read_pdf(filename: str, data: bytes, limits: FileLimits = DEFAULT_LIMITS) -> PdfContent:
    """The PDF's text and tables; pdfminer may decompress at most the target cap
    (``max_target_decompressed_bytes``, pdf_limits.py) while reading it."""
    import pdfplumber

    with stream_budget(limits.max_target_decompressed_bytes) as budget:
        try:
            content = _read(filename, data, pdfplumber)
        except StreamBudgetExceeded:
            raise too_big(limits.max_target_decompressed_bytes, filename) from None
        except ImportRejected:
            raise
        except Exception as error:  # pdfminer raises many unrelated types for damaged files
            if budget.exceeded:  # … and may wrap ours
                raise too_big(limits.max_target_decompressed_bytes, filename) from None
            raise ImportRejected(
                "PDF文件已损坏或不完整，无法读取；请重新导出后再上传",
                location=filename,
            ) from error
        if budget.exceeded:  # refused inside pdfminer, and swallowed there
            raise too_big(limits.max_target_decompressed_bytes, filename)
    return content


def _read(filename: str, data: bytes, pdfplumber: Any) -> PdfContent:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        page_texts = [page.extract_text() or "" for page in pdf.pages]
        if not "".join(page_texts).strip():
            raise ImportRejected(
                "PDF中没有可提取的文字（可能是扫描件或图片），请上传Word/Excel版本或可复制文字的PDF",
                location=filename,
            )
        blocks = _table_blocks(pdf.pages)
    return PdfContent(text="\n".join(page_texts), blocks=blocks)


def _table_blocks(pages: list) -> list[Block] | None:  # type: ignore[type-arg]
    blocks: list[Block] = []
    line = 0
    found = False
    for page in pages:
        tables = sorted(page.find_tables(), key=lambda table: table.bbox[1])
        if not tables:
            line = _add_paragraphs(blocks, page.extract_text() or "", line)
            continue
        top = 0.0
        for table in tables:
            line = _add_paragraphs(blocks, _text_between(page, top, table.bbox[1]), line)
            rows = []
            for cells in _table_cells(table):
                line += 1
                if any(cells):
                    rows.append(Row(cells, line))
            if any(label_of(cell) == "项目名称" for row in rows for cell in row.cells):
                found = True
            if rows:
                previous = blocks[-1] if blocks else None
                if isinstance(previous, Table) and top == 0.0:
                    blocks[-1] = Table(previous.rows + tuple(rows))  # continued from the last page
                else:
                    blocks.append(Table(tuple(rows)))
            top = table.bbox[3]
        line = _add_paragraphs(blocks, _text_between(page, top, page.height), line)
    return blocks if found else None


def _text_between(page: object, top: float, bottom: float) -> str:
    if bottom - top < 1:
        return ""
    region = page.crop((0, top, page.width, bottom))  # type: ignore[attr-defined]
    return region.extract_text() or ""


def _add_paragraphs(blocks: list[Block], text: str, line: int) -> int:
    for raw in text.splitlines():
        line += 1
        cleaned = clean_cell(raw)
        if cleaned and not PAGE_FOOTER.match(cleaned):
            blocks.append(Paragraph(cleaned, line))
    return line


def _table_cells(table: object) -> list[tuple[str, ...]]:
    """Rows of cell text; a cell spanned from the left is dropped, one spanned from above is blank."""
    texts = table.extract()  # type: ignore[attr-defined]
    boxes = [row.cells for row in table.rows]  # type: ignore[attr-defined]
    lefts: dict[int, float] = {}
    for row_boxes in boxes:
        for index, box in enumerate(row_boxes):
            if box is not None:
                lefts[index] = min(lefts.get(index, box[0]), box[0])
    rows = []
    for row_texts, row_boxes in zip(texts, boxes, strict=True):
        cells: list[str] = []
        for index, (text, box) in enumerate(zip(row_texts, row_boxes, strict=True)):
            if box is None:
                left_box = next((row_boxes[j] for j in range(index - 1, -1, -1) if row_boxes[j] is not None), None)
                if left_box is not None and left_box[2] > lefts.get(index, left_box[2]) + 1:
                    continue  # inside a horizontally merged cell
                cells.append("")
            else:
                cells.append(_join_wrapped(text or ""))
        while cells and not cells[-1]:
            cells.pop()
        rows.append(tuple(cells))
    return rows


def _join_wrapped(text: str) -> str:
    """Lines of a PDF cell are wrapped at the cell's width: join them back without a break."""
    parts = [part.strip() for part in text.splitlines()]
    joined = ""
    for part in parts:
        between_words = joined[-1:].isascii() and joined[-1:].isalnum() and part[:1].isascii() and part[:1].isalnum()
        if between_words:
            joined += " "
        joined += part
    return clean_cell(joined)
