"""The neutral form every reader produces: paragraphs and tables, in document order.

``row`` is where the thing is in the source, in the reader's own terms: the line number of a
text file, the row number of a worksheet, the row index of a Word table, the line of a PDF's
extracted text.  It goes into ``Location.row`` so a user can find the cell.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Paragraph:
    text: str
    row: int


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    row: int

    @property
    def filled(self) -> tuple[str, ...]:
        """The non-blank cells, in order."""
        return tuple(cell for cell in self.cells if cell.strip())


@dataclass(frozen=True)
class Table:
    rows: tuple[Row, ...]
    label: str | None = None  # the worksheet name, for spreadsheets


Block = Paragraph | Table
