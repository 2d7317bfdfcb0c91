"""Reading the official workbooks back with openpyxl (both forms' tests)."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

RED = "FFC00000"


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(BytesIO(data))


def number(ws: Worksheet, ref: str) -> Decimal:
    """A cell that must hold a number (not text, not a bool), as an exact Decimal of it."""
    value = ws[ref].value
    assert isinstance(value, (int, float)) and not isinstance(value, bool), (ref, value)
    return Decimal(str(value))


def merged(ws: Worksheet) -> set[str]:
    return {str(r) for r in ws.merged_cells.ranges}
