"""Which rows of a ledger's data area are not transactions: one home for both readers.

The row reader (row_path.py) and the columnar fast path (columnar_sheet.py) ask these same
functions: the summary words (合计 / 小计 / 本年累计 / 本月合计 / 期初余额 / 承前页 …) and the
canonical label a printed total keeps, the void marks of a 摘要 (【作废】, 已作废 …), blank rows
and note rows (text without date or amount: 制表人、打印日期 footers), a repeated header's words
and side totals printed as text (借方合计：1,000.00).  Pure: standard library and values.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from tracker.importers.ledger.values import CellProblem, amount_of

# Rows that are not transactions; a printed total keeps its canonical label (None: skipped only).
SUMMARY_LABELS: dict[str, str | None] = {
    "合计": "合计", "总计": "总计", "小计": "小计", "本月合计": "本月合计", "本期合计": "本期合计",
    "本年累计": "本年累计", "本年合计": "本年累计", "本月累计": "本年累计", "累计": "本年累计",
    "月计": "本月合计", "本季合计": "小计", "本日合计": "小计",
    # one total per side, printed as two rows (金蝶 凭证序时簿): the side is in the word
    "借方合计": "合计", "贷方合计": "合计", "借方总计": "总计", "贷方总计": "总计",
    "期初余额": None, "年初余额": None, "上年结转": None, "上年结余": None, "期末余额": None,
    "承前页": None, "过次页": None, "承上页": None, "转下页": None, "本页合计": None,
    "结转下年": None, "上月结转": None,
}
_SUMMARY = re.compile(r"[*【\[]*(\d{1,4}\s*[年月]份?)?(" + "|".join(
    sorted(SUMMARY_LABELS, key=len, reverse=True)) + r")[】\]*]*(?:[:：].*|[（(][^）)]*[）)])?")
#: first characters a summary word may start with in a voucher / 支付申请编号 cell …
SUMMARY_FIRST_TEXT = frozenset(w[0] for w in SUMMARY_LABELS) | frozenset("*【[ ")
#: … and in a 摘要 cell, where a month may come first ("12月合计")
SUMMARY_FIRST = SUMMARY_FIRST_TEXT | frozenset("0123456789")
_VOID_MARK = re.compile(r"^\s*(?:[【\[(（*]\s*)?(?:已)?作废|(?:[【\[(（]\s*)(?:已)?作废\s*[】\])）]\s*$")
VOID_WORD = "作废"
_TEXTY = re.compile(r"[:：]|[^\x00-\x7f年月日号]")
_SIDE_CELL = re.compile(r"(借方|贷方)(?:发生额)?(?:合计|总计)\s*[:：]?\s*(.*)")


def canonical_total(label: str) -> str | None:
    """The total a summary word prints (本月累计 → 本年累计 …), None for 期初余额, 承前页 …"""
    return SUMMARY_LABELS.get(label)


def summary_label(text: str) -> str | None:
    """The summary word of a 摘要 cell; "3月合计" (浪潮) is a month's total: 本月合计."""
    compact = "".join(text.split())
    match = _SUMMARY.fullmatch(compact)
    if match is None:
        return None
    if match[2] == "合计" and match[1] is not None and "月" in match[1]:
        return "本月合计"
    return match[2]


def summary_cell_label(summary: str | None) -> str | None:
    """The summary word of a cleaned 摘要 (None when it is none)."""
    if summary and summary[0] in SUMMARY_FIRST:
        return summary_label(summary)
    return None


def voucher_cell_label(raw: object) -> str | None:
    """"合计" printed in the 凭证号 / 支付申请编号 column."""
    if raw.__class__ is str and raw[:1] in SUMMARY_FIRST_TEXT:  # type: ignore[index]
        return summary_label(raw)  # type: ignore[arg-type]
    return None


def summary_start_pattern() -> str:
    """A regex for a text starting with one of ``SUMMARY_FIRST_TEXT`` (for Arrow's matchers)."""
    return "^[" + "".join(f"\\x{{{ord(c):x}}}" for c in sorted(SUMMARY_FIRST_TEXT) if c) + "]"


def row_label(cells: Sequence[object]) -> str | None:
    """A summary word in one of the first text cells of a row without a date."""
    seen = 0
    for cell in cells:
        if cell.__class__ is str and cell:
            stripped = cell.strip()  # type: ignore[attr-defined]
            if stripped:
                label = summary_label(stripped)
                if label is not None:
                    return label
                seen += 1
                if seen >= 4:
                    return None
    return None


def is_void_mark(summary: str) -> bool:
    """Whether a 摘要 that mentions 作废 marks the voucher void (【作废】, 已作废 …) rather than
    merely mentioning the word (then the row counts and a finding asks to check it)."""
    return _VOID_MARK.search(summary) is not None


def is_blank(value: object) -> bool:
    return value is None or (value.__class__ is str and not value.strip())  # type: ignore[attr-defined]


def has_amount(cells: Sequence[object], columns: tuple[int, ...]) -> bool:
    return any(not is_blank(cells[c]) for c in columns)


def row_has_text(cells: Sequence[object]) -> bool:
    return any(not is_blank(c) for c in cells)


def looks_like_note(raw: object) -> bool:
    """Free text in the date column of a row without amounts (制表人：…, 打印日期：…)."""
    text = raw if raw.__class__ is str else " ".join(str(p) for p in raw) \
        if isinstance(raw, tuple) else ""
    return bool(_TEXTY.search(text))  # type: ignore[arg-type]


def words(cells: Sequence[object]) -> tuple[str, ...]:
    """A row's texts, stripped, blanks left out (to recognise a repeated header)."""
    return tuple(c.strip() for c in cells if c.__class__ is str and c.strip())  # type: ignore[attr-defined]


def side_cells(cells: Sequence[object], scale: Decimal) -> dict[str, Decimal]:
    """Side totals printed as text cells of a total row: "借方合计" with its amount in the next
    cell, or "借方合计：1,000.00" in one cell; {} unless at least one amount is found."""
    found: dict[str, Decimal] = {}
    for index, cell in enumerate(cells):
        if cell.__class__ is not str or "合计" not in cell and "总计" not in cell:  # type: ignore[operator]
            continue
        match = _SIDE_CELL.fullmatch(cell.strip())  # type: ignore[attr-defined]
        if match is None:
            continue
        raw: object = match[2] or (cells[index + 1] if index + 1 < len(cells) else None)
        try:
            parsed = amount_of(raw, scale)
        except CellProblem:
            continue
        if parsed is not None:
            found.setdefault(match[1], parsed[0])
    return found
