"""The 一级 categories of a 绩效指标 (DOMAIN §1, §3): which one an indicator falls in, the order
every page, workbook and report lists them in, and their names.

- The four 一级: 产出 (output), 成本 (cost: its own 一级 in the 2021 framework, a 二级 of 产出
  before), 效益 (effect), 满意度 (satisfaction); listed in that order.
- ``level1_named``: a 一级 cell that *is* one of them (``产出`` or ``产出指标``), nothing else —
  the strict reading the 自评 weights use.
- ``level1_of``: the 一级 an indicator falls in by the words of its 一级 text, else of its 二级
  (a document that leaves the 一级 blank or prints a 二级 there): 满意 → 满意度; 效益, 效果 (the
  older word for 效益) and 影响 (可持续影响) → 效益; 产出, 数量, 质量, 时效 → 产出; 成本 → 成本.
  The first word found decides, tried in that order.
- ``weighed_in``: the 自评 weighs 成本 inside 产出 (the 产出 weight is meant to cover it).
"""

from __future__ import annotations

from typing import Literal

Level1 = Literal["output", "cost", "effect", "satisfaction"]

#: the order every listing of 一级 follows
LEVEL1_ORDER: tuple[Level1, ...] = ("output", "cost", "effect", "satisfaction")

#: the name a person reads for each 一级
LEVEL1_LABELS: dict[Level1, str] = {
    "output": "产出指标",
    "cost": "成本指标",
    "effect": "效益指标",
    "satisfaction": "满意度指标",
}

#: words that place a 一级 or 二级 text in a 一级, tried in this order
_WORDS: tuple[tuple[str, Level1], ...] = (
    ("满意", "satisfaction"),
    ("效益", "effect"), ("效果", "effect"), ("影响", "effect"),
    ("产出", "output"), ("数量", "output"), ("质量", "output"), ("时效", "output"),
    ("成本", "cost"),
)

_NAMED: dict[str, Level1] = {label.removesuffix("指标"): code for code, label in LEVEL1_LABELS.items()}


def level1_named(text: str) -> Level1 | None:
    """The 一级 that ``text`` names exactly (``产出`` / ``产出指标`` …, spaces ignored), else None."""
    return _NAMED.get(text.strip().removesuffix("指标"))


def level1_of(level1: str, level2: str = "") -> Level1 | None:
    """The 一级 an indicator falls in: by the words of its 一级 text, else of its 二级; None
    when neither names one."""
    for text in (level1, level2):
        for word, code in _WORDS:
            if word in (text or ""):
                return code
    return None


def level1_position(level1: str, level2: str = "") -> int:
    """Rank of the indicator's 一级 in ``LEVEL1_ORDER``; texts that name none come after (4)."""
    code = level1_of(level1, level2)
    return len(LEVEL1_ORDER) if code is None else LEVEL1_ORDER.index(code)


def weighed_in(code: Level1) -> Level1:
    """The 一级 whose 自评 weight covers ``code``: 成本 is weighed inside 产出."""
    return "output" if code == "cost" else code


__all__ = ["LEVEL1_LABELS", "LEVEL1_ORDER", "Level1", "level1_named", "level1_of", "level1_position",
           "weighed_in"]
