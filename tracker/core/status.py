"""Status colours (红 黄 绿 蓝 灰) and how several of them combine into one.

Order of severity: red > yellow > green > blue.  Grey means "not judgeable" (未填报, 台账未覆盖,
无预算 …): it is ignored when anything else is known, and is the answer only when everything
is grey (or there is nothing at all).
"""

from __future__ import annotations

from typing import Iterable, Literal

Colour = Literal["red", "yellow", "green", "blue", "grey"]

COLOUR_LABELS: dict[str, str] = {
    "red": "红灯",
    "yellow": "黄灯",
    "green": "绿灯",
    "blue": "蓝灯",
    "grey": "无法判断",
}

_SEVERITY: dict[str, int] = {"blue": 0, "green": 1, "yellow": 2, "red": 3}


def worst_colour(colours: Iterable[Colour]) -> Colour:
    """The most severe colour: red > yellow > green > blue; grey ignored unless all are grey.

    Empty input → grey.
    """
    known = [c for c in colours if c != "grey"]
    for colour in known:
        if colour not in _SEVERITY:
            raise ValueError(f"未知的状态颜色：{colour!r}")
    if not known:
        return "grey"
    return max(known, key=_SEVERITY.__getitem__)


def overall_status(money: Colour, results: Colour) -> Colour:
    """双监控 overall status = the worse of the money colour and the results colour.

    Same order as ``worst_colour`` (超支 counts as red — pass ``MoneyStatus.colour``).  A grey
    side (not judgeable) does not hide the other: green money with grey results is green;
    only both grey is grey.
    """
    return worst_colour((money, results))
