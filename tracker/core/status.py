"""Status colours (红 黄 绿 蓝 灰) and how several of them combine into one.

Order of severity among indicators: red > yellow > green > blue.  Grey means "not judgeable"
(未填报, 台账未覆盖, 无预算 …): among indicators it is ignored when anything else is known, and
is the answer only when everything is grey (or there is nothing at all).  The combined
双监控 status orders red > yellow > grey > green > blue (``overall_status``).
"""

from __future__ import annotations

from typing import Iterable, Literal

Colour = Literal["red", "yellow", "green", "blue", "grey"]


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


_COMBINED_SEVERITY: dict[str, int] = {"blue": 0, "green": 1, "grey": 2, "yellow": 3, "red": 4}


def overall_status(money: Colour, results: Colour) -> Colour:
    """双监控 overall status = the worse of the money colour and the results colour.

    DOMAIN §2: "Combined 双监控 status = the worse of money and results (red > yellow > grey >
    green > blue); 'ledger incomplete' → grey."  Grey (not judgeable: 台账未覆盖, nothing
    reported) is worse than green and blue — what cannot be judged is not called good — and
    better than yellow and red.  超支 counts as red (pass ``MoneyStatus.colour``).
    """
    for colour in (money, results):
        if colour not in _COMBINED_SEVERITY:
            raise ValueError(f"未知的状态颜色：{colour!r}")
    return max((money, results), key=_COMBINED_SEVERITY.__getitem__)
