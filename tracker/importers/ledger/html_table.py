"""A small reader for the HTML tables that finance systems save as ".xls".

Only the standard library (``html.parser``): pandas.read_html needs lxml/bs4, which are not
dependencies of tracker.  ``colspan`` / ``rowspan`` are expanded the way a spreadsheet shows
merged cells: the text sits in the top-left cell and the other covered cells are empty.
"""

from __future__ import annotations

from html.parser import HTMLParser


class _TableParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self.closed_tables = 0
        self._stack: list[_TableState] = []  # nested tables: innermost last

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append(_TableState())
            return
        if not self._stack:
            return
        state = self._stack[-1]
        if tag == "tr":
            state.start_row()
        elif tag in ("td", "th"):
            values = dict(attrs)
            state.start_cell(_span(values.get("colspan")), _span(values.get("rowspan")))
        elif tag == "br" and state.cell is not None:
            state.cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            return
        state = self._stack[-1]
        if tag in ("td", "th"):
            state.end_cell()
        elif tag == "tr":
            state.end_row()
        elif tag == "table":
            state.end_row()
            self._stack.pop()
            self.tables.append(state.rows)
            self.closed_tables += 1

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1].cell is not None:
            self._stack[-1].cell.append(data)

    def finish(self) -> None:
        """Keep tables left open by a truncated file (the caller reports them)."""
        while self._stack:
            state = self._stack.pop()
            state.end_row()
            self.tables.append(state.rows)


class _TableState:
    def __init__(self) -> None:
        self.rows: list[list[str]] = []
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.span: tuple[int, int] = (1, 1)
        self.pending: dict[tuple[int, int], str] = {}  # (row, col) covered by a rowspan above

    def start_row(self) -> None:
        self.end_row()
        self.row = []

    def end_row(self) -> None:
        self.end_cell()
        if self.row is not None:
            row_index = len(self.rows)
            while (row_index, len(self.row)) in self.pending:
                self.row.append(self.pending.pop((row_index, len(self.row))))
            self.rows.append(self.row)
            self.row = None

    def start_cell(self, colspan: int, rowspan: int) -> None:
        self.end_cell()
        if self.row is None:
            self.row = []
        self.cell = []
        self.span = (colspan, rowspan)

    def end_cell(self) -> None:
        if self.cell is None or self.row is None:
            self.cell = None
            return
        row_index = len(self.rows)
        while (row_index, len(self.row)) in self.pending:
            self.row.append(self.pending.pop((row_index, len(self.row))))
        text = " ".join(part.strip() for part in "".join(self.cell).replace("\xa0", " ").split("\n"))
        column = len(self.row)
        colspan, rowspan = self.span
        self.row.append(text.strip())
        self.row.extend([""] * (colspan - 1))
        for extra_row in range(1, rowspan):
            for offset in range(colspan):
                self.pending[(row_index + extra_row, column + offset)] = ""
        self.cell = None


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def read_html_tables(text: str) -> tuple[list[list[list[str]]], bool]:
    """All tables in document order (nested ones before their parent), and whether every
    table was closed (False means the file was cut off)."""
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    complete = not parser._stack
    parser.finish()
    return parser.tables, complete
