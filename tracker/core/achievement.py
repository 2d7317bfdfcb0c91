"""The three qualitative achievement levels (定性指标完成情况).

Every page shows one wording, the 自评 table's (``ACHIEVEMENT_LABELS``): 达成年度指标 /
部分达成年度指标并具有一定效果 / 未达成年度指标且效果较差.  The monitoring wording (达成目标 /
部分达成目标并具有一定效果 / 未达成目标且效果较差, which the printed 绩效监控情况表 keeps, DOMAIN §2)
and the code names are accepted everywhere as input and mean the same level.
"""

from __future__ import annotations

from typing import Literal

from tracker.core.labels import ACHIEVEMENT_LABELS

Achievement = Literal["achieved", "partial", "not_achieved"]


_WORDINGS: dict[str, Achievement] = {
    "achieved": "achieved",
    "partial": "partial",
    "not_achieved": "not_achieved",
    "达成目标": "achieved",
    "部分达成目标并具有一定效果": "partial",
    "未达成目标且效果较差": "not_achieved",
    "达成年度指标": "achieved",
    "部分达成年度指标并具有一定效果": "partial",
    "未达成年度指标且效果较差": "not_achieved",
}


def parse_achievement(text: str) -> Achievement:
    """The level a reporter picked, from either wording (surrounding blanks ignored).

    Raises ``ValueError`` for anything else.
    """
    level = _WORDINGS.get(text.strip()) if isinstance(text, str) else None
    if level is None:
        first, second, third = ACHIEVEMENT_LABELS.values()
        raise ValueError(f"定性指标完成情况应为“{first}”“{second}”或“{third}”，当前为“{text}”")
    return level
