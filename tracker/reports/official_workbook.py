"""What the official finance workbooks share (绩效监控情况表, 项目支出绩效自评表): the XlsxWriter
set-up, the cell styles, 万元, text that never becomes a formula or a link, sheet names Excel
accepts, row heights for wrapped Chinese text, and the A4 landscape print set-up.

Decisions (DOMAIN is silent):

- Money: the forms print 万元.  A cell holds the exact amount (元 ÷ 10000, so 分 survive as
  the 6th decimal) and shows four decimals (``#,##0.0000``: one 元 is 0.0001 万元), so
  nothing printed is rounded away and sums taken in Excel stay exact to the 分.
- Percent cells hold the fraction (87.5% → 0.875) and show two decimals.
- Scores and 分值 are written as the form shows them: two decimals, 四舍五入
  (``tracker.core.scoring.round_score``), so the cell holds what is printed.
- Every text cell is written with ``write_string``: user text is never a formula, a number
  or a link; text starting with = + - @ (or a tab / carriage return) also gets Excel's quote
  prefix, so editing the cell later does not turn it into a formula either.
- Sheets print A4 landscape, one page wide, as many pages tall as needed, with their title
  rows repeated on every page and “第 n 页，共 m 页” in the footer.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from xlsxwriter.exceptions import DuplicateWorksheetName
from xlsxwriter.format import Format
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

WORKBOOK_OPTIONS: dict[str, Any] = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}

FONT = "宋体"
FONT_SIZE = 10
MONEY_FORMAT = "#,##0.0000"  # 万元, four places = 1 元
PERCENT_FORMAT = "0.00%"
SCORE_FORMAT = "0.00"
RED = "#C00000"
TICK = "√"
DASH = "—"
CENT = Decimal("0.01")

#: Excel refuses these in sheet names; names are at most 31 characters and unique
#: regardless of case.
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
SHEET_NAME_MAX = 31
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_BASE: dict[str, Any] = {"font_name": FONT, "font_size": FONT_SIZE, "valign": "vcenter",
                         "text_wrap": True}
STYLES: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 16, "align": "center", "text_wrap": False},
    "subtitle": {"align": "center"},
    "note": {"align": "left"},
    "header": {"bold": True, "align": "center", "border": 1, "bg_color": "#F2F2F2"},
    "label": {"align": "center", "border": 1},
    "text": {"align": "left", "border": 1},
    "center": {"align": "center", "border": 1},
    "tick": {"align": "center", "border": 1, "bold": True, "font_size": 12},
    "money": {"align": "right", "border": 1, "num_format": MONEY_FORMAT},
    "percent": {"align": "right", "border": 1, "num_format": PERCENT_FORMAT},
    "score": {"align": "right", "border": 1, "num_format": SCORE_FORMAT},
    "integer": {"align": "center", "border": 1, "num_format": "0"},
}

#: Light fills of the status colours for the summary sheets (the word is always written too,
#: so a black-and-white print loses nothing).
STATUS_FILLS: dict[str, str] = {
    "red": "#FFC7CE", "overspent": "#FFC7CE", "yellow": "#FFEB9C", "green": "#C6EFCE",
    "blue": "#BDD7EE", "grey": "#EDEDED",
}


def fraction(percent: Decimal) -> Decimal:
    """A percent value (87.5) as the fraction a percent-formatted cell holds (0.875)."""
    return percent.scaleb(-2)


def shown(score: Decimal) -> Decimal:
    """A score or 分值 as the form shows it: two places, 四舍五入."""
    return score.quantize(CENT, rounding=ROUND_HALF_UP)


class _Workbook(Workbook):
    """XlsxWriter's workbook with the duplicate sheet-name check done against a set.

    XlsxWriter compares every new sheet name with every sheet before it (a tenth of the time
    of a 1,000-project workbook); here its own checks (length, characters, apostrophes) run
    against an empty sheet list and uniqueness (case-insensitive, as Excel) against a set.
    Should XlsxWriter rename these internals, its own full check simply runs again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sheet_keys: set[str] = set()

    def _check_sheetname(self, sheetname: Any, is_chartsheet: bool = False) -> Any:
        sheets, self.worksheets_objs = self.worksheets_objs, []
        try:
            name = super()._check_sheetname(sheetname, is_chartsheet)
        finally:
            self.worksheets_objs = sheets
        if name.lower() in self._sheet_keys:
            raise DuplicateWorksheetName(f"Sheetname '{name}', with case ignored, is already in use.")
        self._sheet_keys.add(name.lower())
        return name


def new_workbook(title: str, generated_on: date) -> tuple[Workbook, io.BytesIO]:
    """A workbook writing to memory; its document properties depend only on the form, so the
    same form gives the same file."""
    output = io.BytesIO()
    workbook = _Workbook(output, WORKBOOK_OPTIONS)
    workbook.set_properties({"title": title, "author": "tracker", "company": "",
                             "created": datetime.combine(generated_on, time())})
    return workbook, output


def finish(workbook: Workbook, output: io.BytesIO) -> bytes:
    workbook.close()
    return output.getvalue()


class Styles:
    """The workbook's formats by name (``STYLES``), with variations (red text, bold, a fill,
    the quote prefix) made once each."""

    def __init__(self, workbook: Workbook) -> None:
        self.workbook = workbook
        self._made: dict[tuple[str, tuple[tuple[str, Any], ...]], Format] = {}

    def __call__(self, name: str, **changes: Any) -> Format:
        """The style ``name`` with ``changes`` (a change to None is no change)."""
        if changes:
            changes = {k: v for k, v in changes.items() if v is not None}
        key = (name, tuple(sorted(changes.items())) if changes else ())
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = self.workbook.add_format({**_BASE, **STYLES[name], **changes})
        return made


class Sheet:
    """One worksheet with column widths in characters, written through ``put`` and
    ``merge`` only: text with ``write_string``, numbers (Decimal) with ``write_number``,
    None and "" as a blank cell in the style (so borders are drawn)."""

    def __init__(self, workbook: Workbook, styles: Styles, name: str, widths: Sequence[float]) -> None:
        self.ws: Worksheet = workbook.add_worksheet(name)
        self.styles = styles
        self.widths = tuple(widths)
        for column, width in enumerate(self.widths):
            self.ws.set_column(column, column, width)
        self.last_col = len(self.widths) - 1

    def put(self, row: int, col: int, value: Any, style: str, **changes: Any) -> None:
        ws = self.ws
        if isinstance(value, str) and value:
            if value.startswith(_FORMULA_START):
                changes["quote_prefix"] = True
            ws.write_string(row, col, value, self.styles(style, **changes))
        elif value is None or value == "":
            ws.write_blank(row, col, None, self.styles(style, **changes))
        elif isinstance(value, bool):
            raise TypeError("booleans are not cell values here")
        elif isinstance(value, (Decimal, int, float)):
            ws.write_number(row, col, float(value), self.styles(style, **changes))
        else:
            raise TypeError(f"cannot write {type(value).__name__}")

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int, value: Any,
              style: str, **changes: Any) -> None:
        """A merged range (or one cell when the range is a single cell) holding ``value``."""
        if first_row == last_row and first_col == last_col:
            self.put(first_row, first_col, value, style, **changes)
            return
        if isinstance(value, str) and value.startswith(_FORMULA_START):
            changes["quote_prefix"] = True
        self.ws.merge_range(first_row, first_col, last_row, last_col, "", self.styles(style, **changes))
        if value is not None and value != "":
            self.put(first_row, first_col, value, style, **changes)

    def width(self, first_col: int, last_col: int | None = None) -> float:
        return sum(self.widths[first_col:(first_col if last_col is None else last_col) + 1])

    def height(self, row: int, points: float) -> None:
        self.ws.set_row(row, points)

    def print_setup(self, repeat_rows: tuple[int, int], *, freeze_below: int | None = None) -> None:
        """A4 landscape, one page wide, ``repeat_rows`` (first, last) on every printed page."""
        ws = self.ws
        ws.set_paper(9)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.repeat_rows(*repeat_rows)
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.center_horizontally()
        ws.set_footer("&L&A&C第 &P 页，共 &N 页")
        if freeze_below is not None:
            ws.freeze_panes(freeze_below, 0)


def _shortened(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-16 code units (how Excel counts)."""
    while len(text.encode("utf-16-le")) > 2 * limit:
        text = text[:-1]
    return text


def sheet_names(titles: Iterable[str], taken: Iterable[str] = ()) -> list[str]:
    """Sheet names Excel accepts, one per title, in order: forbidden characters ([]:*?/\\ and
    control characters) become “_”, at most 31 characters, no leading/trailing apostrophe,
    unique regardless of case and different from ``taken``; a repeat gets “(2)”, “(3)” …"""
    used = {name.casefold() for name in taken} | {"history"}
    names = []
    for title in titles:
        base = _SHEET_NAME_FORBIDDEN.sub("_", title).strip().strip("'").strip() or "项目"
        base = _shortened(base, SHEET_NAME_MAX).rstrip("'")
        name, number = base, 2
        while name.casefold() in used:
            suffix = f"({number})"
            name = _shortened(base, SHEET_NAME_MAX - len(suffix)).rstrip("'") + suffix
            number += 1
        used.add(name.casefold())
        names.append(name)
    return names


NARROW, WIDE = 1.05, 1.9  # character widths in 10-point 宋体, in Excel column-width units


def text_width(text: str) -> float:
    """Printed width of ``text`` in column-width units: Chinese (and other 3- and 4-byte UTF-8)
    characters count as wide, the rest as narrow (counted from the UTF-8 length, which is
    fast and close enough for choosing row heights)."""
    if text.isascii():
        return len(text) * NARROW
    extra = len(text.encode("utf-8")) - len(text)  # 2 per CJK character, 1 per 2-byte one
    wide = extra / 2
    return wide * WIDE + (len(text) - wide) * NARROW


def text_lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a cell ``width`` characters wide."""
    usable = max(width - 1.0, 1.0)
    return sum(max(1, math.ceil(text_width(paragraph) / usable)) for paragraph in str(text).split("\n"))


LINE_POINTS = 13.5  # one line of 10-point 宋体
MIN_ROW_POINTS = 20.0


def row_points(cells: Iterable[tuple[str, float]], minimum: float = MIN_ROW_POINTS) -> float:
    """The height a row needs so each (text, width) cell shows all its wrapped lines."""
    lines = max((text_lines(text, width) for text, width in cells if text), default=1)
    return max(minimum, lines * LINE_POINTS + 6)


def project_rows(out: Sheet, name: str, department: str, unit: str, *, label_end: int,
                 department_end: int, unit_label_end: int) -> None:
    """Rows 2 and 3 of both forms: 项目名称 over the full width, then 主管部门 | 实施单位.
    Labels span columns 0…``label_end``; 主管部门's value runs to ``department_end``, the
    实施单位 label to ``unit_label_end`` and its value to the last column."""
    last = out.last_col
    out.merge(2, 0, 2, label_end, "项目名称", "label")
    out.merge(2, label_end + 1, 2, last, name, "text")
    out.height(2, row_points([(name, out.width(label_end + 1, last))]))
    out.merge(3, 0, 3, label_end, "主管部门", "label")
    out.merge(3, label_end + 1, 3, department_end, department, "text")
    out.merge(3, department_end + 1, 3, unit_label_end, "实施单位", "label")
    out.merge(3, unit_label_end + 1, 3, last, unit, "text")
    out.height(3, row_points([(department, out.width(label_end + 1, department_end)),
                              (unit, out.width(unit_label_end + 1, last))]))


def goal_rows(out: Sheet, top: int, split: int, expected: tuple[str, str], actual: tuple[str, str]) -> int:
    """The 年度总体目标 block of both forms: a label over two rows, then (header, text) of the
    expected goal in columns 1…``split`` and of what was achieved from ``split`` + 1 to the last
    column.  Returns the next free row."""
    last = out.last_col
    out.merge(top, 0, top + 1, 0, "年度总体目标", "label")
    out.merge(top, 1, top, split, expected[0], "header")
    out.merge(top, split + 1, top, last, actual[0], "header")
    out.height(top, 20)
    out.merge(top + 1, 1, top + 1, split, expected[1], "text")
    out.merge(top + 1, split + 1, top + 1, last, actual[1], "text")
    out.height(top + 1, row_points([(expected[1], out.width(1, split)),
                                    (actual[1], out.width(split + 1, last))], minimum=40))
    return top + 2


def group_cells(out: Sheet, first: int, levels: Sequence[tuple[str, str] | None]) -> None:
    """一级 (column B) merged over consecutive rows of the same 一级, 二级 (column C) over
    consecutive rows of the same 一级 and 二级; ``levels`` holds each indicator row's
    (一级, 二级), None for a row written otherwise (never merged)."""
    for col in (1, 2):
        start = 0
        while start < len(levels):
            level = levels[start]
            if level is None:
                start += 1
                continue
            key = level[:col]
            end = start
            while end + 1 < len(levels) and levels[end + 1] is not None \
                    and levels[end + 1][:col] == key:  # type: ignore[index]
                end += 1
            out.merge(first + start, col, first + end, col, level[col - 1], "label")
            start = end + 1
