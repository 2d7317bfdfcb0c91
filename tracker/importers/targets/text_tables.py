"""Text exports of tables → blocks.

Two shapes occur:

* **word-text** (seeds 000/002/003): a Word table flattened to text.  Every cell is a line that
  starts with a tab; a blank line ends the row; a line without a tab inside a row continues the
  cell above (a cell with several paragraphs); any other line is a paragraph and ends the table.
* **tabular** (seed 004, Markdown or TSV): one row per line, cells separated by tabs (or by
  ``|`` in a Markdown pipe table); lines without a separator are paragraphs (``#`` marks and
  ``<b>`` tags are dropped); blank lines inside a table are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tracker.importers.targets.blocks import Block, Paragraph, Row, Table
from tracker.importers.targets.labels import BOOKMARK, clean_cell

_INNER_TAB = re.compile(r"[^\t]\t")
_SINGLE_CELL = re.compile(r"^\t[^\t]*$")
_PIPE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_PIPE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


def is_tabular(lines: Sequence[str]) -> bool:
    """One row per line: lines with a tab after text (more of them than one-cell lines that start
    with a tab, which is the word-text shape), or a Markdown pipe table."""
    inner_tabs = sum(1 for line in lines if _INNER_TAB.search(line))
    single_cells = sum(1 for line in lines if _SINGLE_CELL.match(line))
    pipe_rows = sum(1 for line in lines if _PIPE_ROW.match(line))
    return (inner_tabs >= 3 and inner_tabs > single_cells) or pipe_rows >= 3


def is_word_text(lines: Sequence[str]) -> bool:
    """One cell per line, each starting with a tab."""
    return sum(1 for line in lines if line.startswith("\t")) >= 5


def word_text_blocks(lines: Sequence[str]) -> list[Block]:
    blocks: list[Block] = []
    rows: list[Row] = []
    cells: list[str] = []
    first_line = 0

    def end_row() -> None:
        nonlocal cells
        if cells:
            rows.append(Row(tuple(clean_cell(cell) for cell in cells), first_line))
        cells = []

    def end_table() -> None:
        nonlocal rows
        end_row()
        if rows:
            blocks.append(Table(tuple(rows)))
        rows = []

    for number, raw in enumerate(lines, start=1):
        line = BOOKMARK.sub("", raw).rstrip("\r\n")
        if line.startswith("\t"):
            if not cells:
                first_line = number
            cells.append(line[1:])
        elif not line.strip():
            end_row()
        elif cells:
            cells[-1] = f"{cells[-1]}\n{line}"
        else:
            end_table()
            blocks.append(Paragraph(clean_cell(line), number))
    end_table()
    return blocks


def _split_row(line: str) -> list[str]:
    if _PIPE_ROW.match(line):
        return line.strip().strip("|").split("|")
    return line.split("\t")


def tabular_blocks(lines: Sequence[str]) -> list[Block]:
    blocks: list[Block] = []
    rows: list[Row] = []
    for number, raw in enumerate(lines, start=1):
        line = BOOKMARK.sub("", raw).rstrip("\r\n")
        if not line.strip() or _PIPE_RULE.match(line):
            continue
        if "\t" in line or _PIPE_ROW.match(line):
            rows.append(Row(tuple(clean_cell(cell) for cell in _split_row(line)), number))
            continue
        if rows:
            blocks.append(Table(tuple(rows)))
            rows = []
        blocks.append(Paragraph(clean_cell(line).lstrip("#").strip(), number))
    if rows:
        blocks.append(Table(tuple(rows)))
    return blocks
