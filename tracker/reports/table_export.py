"""Any table a page shows, as an .xlsx workbook (``导出 Excel``).

``table_xlsx(title, headers, rows)`` returns the bytes of a one-sheet workbook: a bold header
row, frozen below the header, an autofilter over the whole table and column widths that fit
the content (CJK characters count double, capped).  ``tables_xlsx(title, sheets)`` does the
same for a page with several tables, one sheet each (in order; names made unique).
Cells by Python type:

- ``Decimal`` (money in 元, percents, scores) → a number shown with ``#,##0.00``.  Excel keeps
  every number as an IEEE double (15–16 significant digits), so an amount is exact to the
  分 up to about 10 万亿元; the database and every figure the app computes stay exact
  ``Decimal``, the conversion happens only here, at the spreadsheet boundary.
- ``Percent`` (percent points, ``Percent(Decimal("98.5"))``) → the number 0.985 shown as
  ``98.50%``: a spreadsheet computes with it as a percentage.
- ``int`` → a whole number; ``float`` → a number as is; ``bool`` → 是 / 否.
- ``date`` → a date (``yyyy-mm-dd``); ``datetime`` → date and time (``yyyy-mm-dd hh:mm``) in
  its own wall-clock time: the caller converts to Asia/Shanghai first (Excel has no zones).
- ``None`` → an empty cell.
- anything else → text, written with ``write_string`` (never parsed as a formula or number).
  Text that a spreadsheet could take for a formula — starting with ``= + - @``, a tab or a
  carriage return, or their full-width forms ``＝ ＋ － ＠`` — is neutralised by a leading
  ``'`` so it stays inert even when copied out or saved as CSV (OWASP "CSV injection").
  Control characters XML cannot hold are dropped; text beyond Excel's 32,767 characters is cut.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import xlsxwriter

#: first characters that make spreadsheet software evaluate a cell
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
MAX_WIDTH = 60
MIN_WIDTH = 6
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
#: control characters XML 1.0 cannot hold (imported files sometimes carry them)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


@dataclass(frozen=True)
class Percent:
    """A percentage in percent points (``execution_rate`` 98.5 means 98.5%), for a cell."""

    points: Decimal


#: one sheet: its title (the sheet name), the header row and the rows
Sheet = tuple[str, Sequence[str], Iterable[Sequence[object]]]
_HUNDRED = Decimal(100)


def neutralise(text: str) -> str:
    """``text`` with a leading ``'`` when it starts like a formula; otherwise unchanged."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def display_width(text: str) -> int:
    """Columns the text needs: wide (CJK, full-width) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def sheet_name(title: str) -> str:
    """A legal worksheet name: no ``[]:*?/\\``, not quoted, at most 31 characters."""
    name = _SHEET_NAME_FORBIDDEN.sub(" ", title).strip().strip("'")[:31].strip()
    return name or "Sheet1"


def table_xlsx(title: str, headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """One sheet named after ``title``: the header row, then ``rows`` (see the module doc)."""
    return tables_xlsx(title, [(title, headers, rows)])


def tables_xlsx(title: str, sheets: Iterable[Sheet]) -> bytes:
    """A workbook titled ``title`` with one sheet per ``(title, headers, rows)``, in order."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"constant_memory": True, "strings_to_numbers": False,
                                            "strings_to_formulas": False, "strings_to_urls": False})
    workbook.set_properties({"title": title})
    formats = {
        "header": workbook.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1}),
        "money": workbook.add_format({"num_format": "#,##0.00"}),
        "percent": workbook.add_format({"num_format": "0.00%"}),
        "int": workbook.add_format({"num_format": "0"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    }
    used: set[str] = set()
    for sheet_title, headers, rows in sheets:
        name = _unique(sheet_name(sheet_title), used)
        _write_sheet(workbook.add_worksheet(name), headers, rows, formats)
    workbook.close()
    return output.getvalue()


def _unique(name: str, used: set[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)`` … (cut to 31 characters) when already taken;
    Excel compares sheet names without regard to case."""
    candidate, number = name, 1
    while candidate.lower() in used:
        number += 1
        suffix = f" ({number})"
        candidate = name[:31 - len(suffix)] + suffix
    used.add(candidate.lower())
    return candidate


def _write_sheet(sheet, headers: Sequence[str], rows: Iterable[Sequence[object]], formats: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    widths = [display_width(str(h)) for h in headers]
    for column, text in enumerate(headers):
        sheet.write_string(0, column, neutralise(str(text)), formats["header"])
    last_row = 0
    for last_row, values in enumerate(rows, start=1):
        for column, value in enumerate(values):
            shown = _write(sheet, last_row, column, value, formats)
            if column < len(widths):
                widths[column] = max(widths[column], shown)
            else:
                widths.append(shown)
    for column, width in enumerate(widths):
        sheet.set_column(column, column, min(max(width + 2, MIN_WIDTH), MAX_WIDTH))
    sheet.freeze_panes(1, 0)
    if headers:
        sheet.autofilter(0, 0, last_row, max(len(headers), len(widths)) - 1)


def _write(sheet, row: int, column: int, value: object, formats: dict) -> int:  # type: ignore[no-untyped-def,type-arg]
    """Write one cell; return the width its shown text needs."""
    if value is None:
        return 0
    if isinstance(value, bool):
        sheet.write_string(row, column, "是" if value else "否")
        return 2
    if isinstance(value, Percent):
        if not value.points.is_finite():
            sheet.write_string(row, column, str(value.points))
            return len(str(value.points))
        sheet.write_number(row, column, float(value.points / _HUNDRED), formats["percent"])
        return len(f"{value.points:.2f}%")
    if isinstance(value, Decimal):
        if not value.is_finite():
            sheet.write_string(row, column, str(value))
            return len(str(value))
        sheet.write_number(row, column, float(value), formats["money"])
        return len(f"{value:,.2f}")
    if isinstance(value, int):
        sheet.write_number(row, column, value, formats["int"])
        return len(str(value))
    if isinstance(value, float) and math.isfinite(value):
        sheet.write_number(row, column, value)
        return len(repr(value))
    if isinstance(value, datetime):
        sheet.write_datetime(row, column, value.replace(tzinfo=None), formats["datetime"])
        return 16
    if isinstance(value, date):
        sheet.write_datetime(row, column, value, formats["date"])
        return 10
    text = neutralise(_CONTROL.sub("", str(value)))
    sheet.write_string(row, column, text)
    longest_line = max(text.split("\n"), key=display_width)
    return display_width(longest_line)
