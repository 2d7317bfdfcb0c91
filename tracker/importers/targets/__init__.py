"""Target documents (绩效目标表) of any layout → ``TargetDocument``.

``read_target_document(filename, data, year=None)`` is the whole public API.  The format is
decided by the bytes (``sniffing``): Word and Excel files and PDFs with ruled tables become
paragraphs and tables (``blocks``) read by one interpreter (``table_layout``); text files are
decoded (UTF-8 with or without BOM, UTF-16 with BOM, GB18030/GBK) and read as a flattened Word
table (``word-text``), a tab- or pipe-separated table (``markdown``/``tsv``) or running PDF text
(``pdf-text``, ``flow_layout``).  Every project draft then goes through the same rules
(``projects``, ``plans``): amounts in 万元 as Decimal, the plan as cumulative percent, every
指标值 parsed by ``parse_target_value`` with its raw text kept, and findings for whatever was
read with a guess.

Importers flag, they don't fix: nothing here changes a printed value; a 12月 plan of ``10%``
stays 10%.  The module is pure (no database, no Flask).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from tracker.errors import UnrecognisedLayout
from tracker.importers.file_limits import DEFAULT_LIMITS, FileLimits
from tracker.importers.target_records import (
    DepartmentTexts,
    Finding,
    Location,
    TargetDocument,
    UnitRecord,
)
from tracker.importers.department_targets import department_table_in_lines, is_department_table_header
from tracker.importers.targets.blocks import Block, Paragraph, Row, Table
from tracker.importers.targets.document import (
    find_unit,
    find_year,
    is_heading,
    read_department_texts,
)
from tracker.importers.targets.drafts import ProjectDraft
from tracker.importers.targets.flow_layout import (
    flow_lines,
    join_paragraph_lines,
    project_starts,
    read_flow_projects,
)
from tracker.importers.targets.labels import UNIT_LINE, squeeze
from tracker.importers.targets.office import docx_blocks, xlsx_blocks
from tracker.importers.targets.pdf import read_pdf
from tracker.importers.targets.projects import build_project
from tracker.importers.targets.sniffing import MAX_FILE_BYTES, decode_text, sniff
from tracker.importers.targets.table_layout import (
    flatten,
    is_project_start,
    read_table_projects,
)
from tracker.importers.targets.text_tables import (
    is_tabular,
    is_word_text,
    tabular_blocks,
    word_text_blocks,
)

__all__ = ["MAX_FILE_BYTES", "read_target_document"]

LOOKED_FOR = "未识别的版式：未找到包含“项目名称”“预算数/项目年度金额”和“一级指标/二级指标/三级指标”的绩效目标表"


def read_target_document(filename: str, data: bytes, *, year: int | None = None,
                         limits: FileLimits = DEFAULT_LIMITS) -> TargetDocument:
    """Read a 绩效目标 document.  ``year`` (when given) wins over the year printed in the text.

    Raises ``ImportRejected`` for files that cannot be read (empty, too large, damaged, a PDF
    without text, binary junk, a Word, Excel or PDF file that breaks ``limits``: decompressed
    size, entries, ``max_target_rows``) and ``UnrecognisedLayout`` when no 绩效目标表 is found.
    """
    kind = sniff(filename, data, limits)
    if kind == "docx":
        return _from_blocks(filename, "docx", docx_blocks(filename, data, limits), year)
    if kind == "xlsx":
        return _from_blocks(filename, "xlsx", xlsx_blocks(filename, data, limits), year)
    if kind == "pdf":
        content = read_pdf(filename, data, limits)
        if content.blocks is not None:
            return _from_blocks(filename, "pdf-table", content.blocks, year)
        return _from_flow(filename, content.text, year)
    text = decode_text(filename, data)
    lines = text.split("\n")
    if is_tabular(lines):
        layout = "markdown" if any(line.lstrip().startswith(("#", "|")) or "<b>" in line for line in lines) else "tsv"
        return _from_blocks(filename, layout, tabular_blocks(lines), year, text=text)
    if is_word_text(lines):
        return _from_blocks(filename, "word-text", word_text_blocks(lines), year, text=text)
    return _from_flow(filename, text, year)


def _from_blocks(
    filename: str, layout: str, blocks: Sequence[Block], year: int | None, *, text: str | None = None
) -> TargetDocument:
    drafts = read_table_projects(blocks, file=filename)
    if not _recognised(drafts):
        if text is not None and project_starts(flow_lines(text)):
            return _from_flow(filename, text, year)
        raise UnrecognisedLayout(LOOKED_FOR, location=filename)
    items = flatten(blocks)
    first = next(index for index, (_, item) in enumerate(items) if is_project_start(item))
    # Paragraphs above the first table; in a spreadsheet, rows with a single filled cell.
    before = [
        item.text if isinstance(item, Paragraph) else item.filled[0]
        for _, item in items[:first]
        if isinstance(item, Paragraph) or len(item.filled) == 1
    ]
    paragraphs = [block.text for block in blocks if isinstance(block, Paragraph)]
    cells = [cell for block in blocks if isinstance(block, Table) for row in block.rows for cell in row.cells]
    headings = [text for text in [*paragraphs, *cells] if is_heading(text)]
    body = text if text is not None else "\n".join([*paragraphs, *cells])
    department = replace(read_department_texts(before, join="\n".join),
                         indicator_rows=_department_table(items[:first]))
    return _document(filename, layout, drafts, year, headings, body, department, before)


def _department_table(items: Sequence[tuple[int, Paragraph | Row]]) -> tuple[tuple[str, ...], ...]:
    """The rows of a 部门整体绩效目标表 printed as a table above the first project, if any."""
    for position, (block, item) in enumerate(items):
        if isinstance(item, Row) and is_department_table_header(item.cells):
            return tuple(row.cells for index, row in items[position:] if index == block and isinstance(row, Row))
    return ()


def _from_flow(filename: str, text: str, year: int | None) -> TargetDocument:
    lines = flow_lines(text)
    starts = project_starts(lines)
    drafts = read_flow_projects(lines, file=filename)
    if not _recognised(drafts):
        raise UnrecognisedLayout(LOOKED_FOR, location=filename)
    before = [line.text for line in lines[: starts[0]]]
    headings = [line.text for line in lines if is_heading(line.text)]
    table_rows, prose = department_table_in_lines(before)
    department = replace(read_department_texts(prose, join=join_paragraph_lines), indicator_rows=table_rows)
    return _document(filename, "pdf-text", drafts, year, headings, text, department, before)


def _recognised(drafts: Sequence[ProjectDraft]) -> bool:
    return any(draft.has_indicator_header and draft.fields.get("name", "").strip() for draft in drafts)


def _document(
    filename: str,
    layout: str,
    drafts: Sequence[ProjectDraft],
    year: int | None,
    headings: Sequence[str],
    body: str,
    department: DepartmentTexts,
    before: Sequence[str],
) -> TargetDocument:
    location = Location(file=filename)
    findings: list[Finding] = []
    printed_year = find_year(headings, body)
    if year is None:
        year = printed_year
        if year is None:
            findings.append(Finding("warning", "year_missing", location,
                                    "文档中没有找到年度（如“2025年”），支出计划日期和时限无法确定；请在导入时指定年度"))
    elif printed_year is not None and printed_year != year:
        findings.append(Finding("info", "year_differs", location,
                                f"导入时指定的年度 {year} 与文档中的年度 {printed_year} 不同，按 {year} 年导入"))
    unit_lines = [draft.unit_line for draft in drafts if draft.unit_line]
    unit_lines += [text for text in before if UNIT_LINE.match(squeeze(text))]
    supervising = [draft.fields.get("supervising_department", "") for draft in drafts]
    unit = find_unit(unit_lines, supervising, before)
    if unit is None:
        unit = UnitRecord(code=None, name="")
        findings.append(Finding("warning", "unit_missing", location, "文档中没有找到编制单位（单位编码和名称）"))
    projects = tuple(build_project(draft, file=filename, year=year) for draft in drafts)
    return TargetDocument(
        file=filename,
        layout=layout,
        year=year,
        unit=unit,
        department=department,
        projects=projects,
        findings=tuple(findings),
    )
