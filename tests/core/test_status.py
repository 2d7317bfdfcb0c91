from __future__ import annotations

from decimal import Decimal as D

import pytest

from tracker.core.achievement import parse_achievement
from tracker.core.money import money_status
from tracker.core.settings import MonitoringSettings
from tracker.core.status import overall_status, worst_colour


@pytest.mark.parametrize(
    ("money", "results", "expected"),
    [
        ("green", "green", "green"),
        ("green", "blue", "green"),
        ("blue", "blue", "blue"),
        ("yellow", "green", "yellow"),
        ("green", "red", "red"),
        ("red", "blue", "red"),
        ("yellow", "red", "red"),
        ("grey", "yellow", "yellow"),  # red > yellow > grey > green > blue
        ("green", "grey", "grey"),
        ("grey", "blue", "grey"),
        ("red", "grey", "red"),
        ("grey", "grey", "grey"),
    ],
)
def test_overall_status(money: str, results: str, expected: str) -> None:
    assert overall_status(money, results) == expected


def test_overspent_money_counts_as_red() -> None:
    money = money_status(D(110), D(50), MonitoringSettings(), True)
    assert overall_status(money.colour, "blue") == "red"


def test_worst_colour_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="状态颜色"):
        worst_colour(["green", "overspent"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("达成目标", "achieved"),
        ("达成年度指标", "achieved"),
        ("部分达成目标并具有一定效果", "partial"),
        ("部分达成年度指标并具有一定效果", "partial"),
        ("未达成目标且效果较差", "not_achieved"),
        ("\t未达成年度指标且效果较差\n", "not_achieved"),
        ("partial", "partial"),
    ],
)
def test_parse_achievement(text: str, expected: str) -> None:
    assert parse_achievement(text) == expected


@pytest.mark.parametrize("text", ["", "达成", "完全达成目标", None])
def test_parse_achievement_rejects(text) -> None:
    with pytest.raises(ValueError, match="定性指标完成情况"):
        parse_achievement(text)
