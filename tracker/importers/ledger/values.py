"""Cell values → text, money and dates, exactly or not at all.

Spreadsheet readers hand us ``str``, ``float`` (calamine returns every numeric cell as a float),
``int``, ``bool``, ``datetime``/``date`` and ``''`` for an empty cell; CSV and HTML give ``str``.

Money: a float becomes ``Decimal(repr(x))`` — ``repr`` is the shortest text that reads back to
the same float, so ``1234.5`` stays ``1234.5`` and never turns into
``1234.499999999999886…`` — then it is rounded half-up to 分 (two places).  When that rounding
changes the value by more than float noise (1e-6 元), the cell really had more than two decimals
(a formula like ``=A1/3``): the value is still rounded and the caller records a finding.
Text amounts accept ``1,234.50`` (groups of three only), a leading ``-``/``+``/``－``, ``(1,234.50)``
for negatives, ``¥``/``￥`` and a trailing ``元``; anything else is refused with the cell named.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ONE = Decimal(1)
ZERO = Decimal("0.00")
FLOAT_NOISE = Decimal("0.000001")
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (Excel's 1900 leap-year bug included)
EARLIEST = date(1990, 1, 1)
LATEST = date(2100, 12, 31)

# The common printed forms, read without the general path: 1234.50, 1,234.50, -12, 0.05.
COMMON_AMOUNT = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d\d)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_FULLWIDTH = str.maketrans("０１２３４５６７８９，．－＋（）　", "0123456789,.-+() ", "¥￥元")
_BLANK_AMOUNTS = frozenset({"-", "—", "--", "——"})

_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
                  r"(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_YMD_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_MD = re.compile(r"(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?")
_INT_PART = re.compile(r"(\d{1,4})\s*[年月日号]?")


class CellProblem(Exception):
    """A cell cannot be read.  The reader adds file, sheet, row and column and raises
    ``ImportRejected``; the message is the Chinese reason."""


def text_of(value: object) -> str | None:
    """The cell as stripped text; None when empty.  Integral floats lose their ``.0``
    (calamine turns a numeric 凭证号 ``311`` into ``311.0``)."""
    if value.__class__ is str:
        stripped = value.strip()  # type: ignore[attr-defined]
        return stripped or None
    if value is None:
        return None
    if value.__class__ is float:
        number: float = value  # type: ignore[assignment]
        return str(int(number)) if number.is_integer() else repr(number)
    if isinstance(value, datetime):
        if value.hour == value.minute == value.second == value.microsecond == 0:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def is_formula_text(value: object) -> bool:
    """A text cell holding a formula (``=SUM(…)``) instead of its value."""
    return value.__class__ is str and value.lstrip().startswith("=")  # type: ignore[attr-defined]


def amount_from_float(number: float, scale: Decimal = ONE) -> tuple[Decimal, bool]:
    """(value × scale rounded to 分, whether rounding dropped more than float noise)."""
    if number != number or number in (float("inf"), float("-inf")):
        raise CellProblem("金额不是有效数字")
    exact = Decimal(repr(number)) * scale
    rounded = exact.quantize(CENT, ROUND_HALF_UP)
    return rounded, rounded != exact and abs(rounded - exact) > FLOAT_NOISE


def amount_from_text(text: str, scale: Decimal = ONE) -> tuple[Decimal, bool]:
    """Parse a printed amount (× scale, rounded to 分); see the module docstring.  Empty text
    is not allowed here."""
    raw = text
    if not text.isascii():
        text = text.translate(_FULLWIDTH).replace("−", "-")
    text = text.strip()
    if text in _BLANK_AMOUNTS:
        return ZERO, False
    negative = False
    if text[:1] == "(" and text[-1:] == ")":
        negative = True
        text = text[1:-1].strip()
    if "," in text:
        if _GROUPED.fullmatch(text) is None:
            raise CellProblem(f"金额“{raw}”无法识别（千分位逗号位置不对或含非数字字符）")
        text = text.replace(",", "")
    body = text[1:] if text[:1] in "+-" else text
    if not body or not body.isascii() or not body.replace(".", "", 1).isdigit() \
            or body[0] == "." or body[-1] == ".":
        raise CellProblem(f"金额“{raw}”无法识别")
    if negative and text[:1] in "+-":
        raise CellProblem(f"金额“{raw}”无法识别（括号与正负号同时出现）")
    exact = Decimal(text) * scale
    if negative:
        exact = -exact
    rounded = exact.quantize(CENT, ROUND_HALF_UP)
    return rounded, rounded != exact


def amount_of(value: object, scale: Decimal = ONE) -> tuple[Decimal, bool] | None:
    """Any cell → (amount × scale rounded to 分, whether rounding changed it), or None when
    the cell is empty.  ``scale`` is 10000 for amounts printed in 万元."""
    cls = value.__class__
    if cls is float:
        return amount_from_float(value, scale)  # type: ignore[arg-type]
    if cls is str:
        if not value.strip():  # type: ignore[attr-defined]
            return None
        if is_formula_text(value):
            raise CellProblem(f"单元格是公式“{value}”，没有计算结果；请在Excel中复制后“粘贴为数值”再导入")
        return amount_from_text(value, scale)  # type: ignore[arg-type]
    if cls is int:
        return (Decimal(value) * scale).quantize(CENT), False  # type: ignore[arg-type]
    if value is None:
        return None
    if cls is bool:
        raise CellProblem("金额单元格是逻辑值（TRUE/FALSE），不是金额")
    raise CellProblem(f"金额单元格内容“{value}”不是数字")


def checked_date(year: int, month: int, day: int, raw: object) -> date:
    try:
        value = date(year, month, day)
    except ValueError:
        raise CellProblem(f"日期“{text_of(raw)}”无效（{year}年{month}月{day}日不存在）") from None
    if not EARLIEST <= value <= LATEST:
        raise CellProblem(f"日期“{text_of(raw)}”超出合理范围（{EARLIEST.year}—{LATEST.year}年）")
    return value


def date_of(value: object, year_hint: int | None, period: tuple[date, date] | None) -> date | None:
    """Any date cell → date; None when empty.

    Accepts date cells, ``2023-11-20`` / ``2023/11/20`` / ``2023.11.20`` / ``2023年11月20日``
    (with or without a time), ``20231120``, Excel serial numbers, and month-day only
    (``11-20``, ``11月20日``) when the year is known from the 期间 line, a 年 column or
    the caller (``year_hint``).  With a period spanning two years, a month-day date takes the
    year that puts it inside the period.
    """
    cls = value.__class__
    if cls is datetime:
        day_value = value.date()  # type: ignore[attr-defined]
        return checked_date(day_value.year, day_value.month, day_value.day, value)
    if cls is date:
        return checked_date(value.year, value.month, value.day, value)  # type: ignore[attr-defined]
    if cls is float or cls is int:
        number = float(value)  # type: ignore[arg-type]
        if not number.is_integer():
            number_int = int(number)  # a serial with a time of day
            if not 18264 <= number_int <= 73415:
                raise CellProblem(f"日期“{text_of(value)}”无法识别")
            serial = EXCEL_EPOCH + timedelta(days=number_int)
            return checked_date(serial.year, serial.month, serial.day, value)
        whole = int(number)
        if 19000101 <= whole <= 21001231:
            return checked_date(whole // 10000, whole // 100 % 100, whole % 100, value)
        if 18264 <= whole <= 73415:  # 1950 … 2100 as Excel serial numbers
            serial = EXCEL_EPOCH + timedelta(days=whole)
            return checked_date(serial.year, serial.month, serial.day, value)
        raise CellProblem(f"日期“{text_of(value)}”无法识别")
    if cls is str:
        text = value.strip()  # type: ignore[attr-defined]
        if not text:
            return None
        if not text.isascii():
            text = text.translate(_FULLWIDTH)
        match = _YMD.fullmatch(text)
        if match is not None:
            return checked_date(int(match[1]), int(match[2]), int(match[3]), value)
        match = _YMD_COMPACT.fullmatch(text)
        if match is not None:
            return checked_date(int(match[1]), int(match[2]), int(match[3]), value)
        match = _MD.fullmatch(text)
        if match is not None:
            return month_day(int(match[1]), int(match[2]), year_hint, period, value)
        if is_formula_text(text):
            raise CellProblem(f"单元格是公式“{text}”，没有计算结果")
        raise CellProblem(f"日期“{value}”无法识别")
    if value is None:
        return None
    raise CellProblem(f"日期单元格内容“{value}”不是日期")


def month_day(month: int, day: int, year_hint: int | None, period: tuple[date, date] | None,
              raw: object) -> date:
    """A month-day date completed with the year of the period (or of the hint)."""
    if period is not None:
        start, end = period
        if start.year == end.year:
            return checked_date(start.year, month, day, raw)
        year = start.year if (month, day) >= (start.month, start.day) else end.year
        return checked_date(year, month, day, raw)
    if year_hint is not None:
        return checked_date(year_hint, month, day, raw)
    raise CellProblem(f"日期“{text_of(raw)}”只有月、日，文件中没有期间行或年份列，无法确定年份")


def int_part(value: object, what: str) -> int | None:
    """A 年 / 月 / 日 column cell → int; None when empty."""
    cls = value.__class__
    if cls is float or cls is int:
        number = float(value)  # type: ignore[arg-type]
        if number.is_integer():
            return int(number)
        raise CellProblem(f"{what}“{text_of(value)}”不是整数")
    if cls is str:
        text = value.strip()  # type: ignore[attr-defined]
        if not text:
            return None
        if not text.isascii():
            text = text.translate(_FULLWIDTH)
        match = _INT_PART.fullmatch(text)
        if match is None:
            raise CellProblem(f"{what}“{value}”无法识别")
        return int(match[1])
    if value is None:
        return None
    raise CellProblem(f"{what}“{value}”无法识别")


