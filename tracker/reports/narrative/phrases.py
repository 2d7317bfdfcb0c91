"""What both Word reports say the same way: numbers (万元 comes from ``core.money.wan_text``;
percents and scores with two decimals, ROUND_HALF_UP), Chinese ordinals （一）, lists of names,
counts by label, quoted record text or the “【待补充：…】” marker, the data note, and ``Draft``
(the bytes and what to tell the reader)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tracker.core.money import round_money
from tracker.reports.narrative.docx_writer import Part, Pending, Writer


def two(value: Decimal) -> str:
    rounded = round_money(value)
    return str(rounded if rounded else Decimal("0.00"))  # never "-0.00"


def pct(value: Decimal | None) -> str:
    """Percent value with two decimals and the sign: ``87.5`` → ``'87.50%'``; None → ``'—'``."""
    return "—" if value is None else f"{two(value)}%"


def score(value: Decimal) -> str:
    return two(value)


def ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if whole == 0 else part * 100 / whole


def chinese_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


def ordinal(n: int) -> str:
    """1 → （一）."""
    return f"（{chinese_number(n)}）"


def names(items: Iterable[str], limit: int = 8) -> str:
    """A、B、C (at most ``limit`` names, then 等)."""
    items = list(items)
    return "、".join(items[:limit]) + ("等" if len(items) > limit else "")


def project_list(items: Iterable[str], limit: int = 8) -> str:
    """'A、B共 2 个项目', or 'A、…、H等 12 个项目' beyond ``limit`` names."""
    items = list(items)
    if len(items) > limit:
        return f"{'、'.join(items[:limit])}等 {len(items)} 个项目"
    return f"{'、'.join(items)}共 {len(items)} 个项目"


def counts(labels: dict[str, str], values: Iterable[str]) -> str:
    """'红灯 1 个、黄灯 2 个' in the order of ``labels``, zero counts left out."""
    values = list(values)
    parts = [f"{label} {values.count(code)} 个" for code, label in labels.items() if code in values]
    return "、".join(parts)


def quoted(text: str, missing: str) -> Part:
    text = text.strip()
    return f"“{text}”" if text else Pending(missing)


@dataclass(frozen=True)
class Draft:
    """A drafted document and what its reader should be told about it."""

    data: bytes  # the .docx
    charts_problem: str | None = None  # why the charts are missing (None: drawn, or not asked for)
    pending: int = 0  # how many “【待补充：…】” markers the clerk has to fill in


def day_text(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def data_note(w: Writer, generated_on: date, sources: Sequence[str]) -> None:
    w.note(f"本报告由 tracker 于{day_text(generated_on)}根据系统数据起草，供编辑修改后使用。"
           + ("数据来源：" + "；".join(sources) + "。" if sources else ""))
