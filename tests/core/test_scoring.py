from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from tracker.core.scoring import (
    ScoreBand,
    deadline_score,
    exact_score,
    execution_score,
    grade,
    is_over_achieved,
    positive_score,
    qualitative_band,
    qualitative_score,
    reverse_score,
    round_score,
)
from tracker.core.settings import EvaluationSettings

SETTINGS = EvaluationSettings()
W = D(20)


@pytest.mark.parametrize(
    ("actual", "target", "expected"),
    [
        (D(100), D(100), D(20)),  # A = T
        (D(150), D(100), D(20)),  # A > T: capped at W
        (D(99), D(100), D("19.8")),
        (D(80), D(100), D(16)),
        (D(0), D(100), D(0)),
        (D(-5), D(100), D(0)),  # never below 0
        (D(0), D(0), D(20)),  # T = 0: met
        (D(-1), D(0), D(0)),
        (D(-5), D(-5), D(20)),  # T < 0: all or nothing
        (D(-6), D(-5), D(0)),
    ],
)
def test_positive_score(actual: D, target: D, expected: D) -> None:
    assert positive_score(actual, target, W) == expected


@pytest.mark.parametrize(
    ("actual", "target", "expected"),
    [
        (D(50), D(100), D(20)),
        (D(100), D(100), D(20)),  # A = T
        (D(150), D(100), D(10)),  # A = 1.5T → (1 − 0.5) × W
        (D(199), D(100), D("0.2")),
        (D(200), D(100), D(0)),  # A = 2T
        (D(250), D(100), D(0)),
        (D(0), D(0), D(20)),  # T = 0: A ≤ 0 full, anything above 0
        (D(-1), D(0), D(20)),
        (D(1), D(0), D(0)),
        (D(-6), D(-5), D(20)),  # T < 0
        (D(-5), D(-5), D(20)),
        (D(-4), D(-5), D(0)),
    ],
)
def test_reverse_score(actual: D, target: D, expected: D) -> None:
    assert reverse_score(actual, target, W) == expected


@pytest.mark.parametrize(
    ("actual", "target", "expected"),
    [
        (D(100), D(100), D(20)),
        (D(50), D(100), D(10)),  # T > 0 scores as positive
        (D(120), D(100), D(20)),
        (D(0), D(0), D(20)),  # T = 0: exact match only
        (D(1), D(0), D(0)),
        (D(-1), D(0), D(0)),
    ],
)
def test_exact_score(actual: D, target: D, expected: D) -> None:
    assert exact_score(actual, target, W) == expected


@pytest.mark.parametrize(
    ("actual", "target", "expected"),
    [
        (D(130), D(100), True),  # exactly 130%
        (D("129.99"), D(100), False),
        (D(500), D(100), True),
        (D(5), D(0), False),  # no ratio for T = 0
        (D(5), D(-1), False),
    ],
)
def test_is_over_achieved(actual: D, target: D, expected: bool) -> None:
    assert is_over_achieved(actual, target, SETTINGS) is expected


@pytest.mark.parametrize(
    ("spent", "budget", "expected"),
    [
        (D(80), D(100), D(8)),
        (D(100), D(100), D(10)),
        (D(120), D(100), D(10)),  # capped at 100%
        (D(0), D(100), D(0)),
        (D(-5), D(100), D(0)),  # reversal-only: floored at 0
        (D(50), D(0), D(0)),  # budget 0
    ],
)
def test_execution_score(spent: D, budget: D, expected: D) -> None:
    assert execution_score(spent, budget, D(10)) == expected


def test_execution_score_rejects_negative_budget() -> None:
    with pytest.raises(ValueError, match="预算数"):
        execution_score(D(1), D(-1), D(10))


@pytest.mark.parametrize(
    ("achievement", "weight", "band"),
    [
        ("达成年度指标", D(10), ScoreBand(D(8), D(10), True, D(10))),
        ("部分达成年度指标并具有一定效果", D(10), ScoreBand(D(6), D(8), False, D("7.99"))),
        ("未达成年度指标且效果较差", D(10), ScoreBand(D(0), D(6), False, D("5.99"))),
        ("达成目标", D(25), ScoreBand(D(20), D(25), True, D(25))),
        ("达成年度指标", D(0), ScoreBand(D(0), D(0), True, D(0))),
        ("部分达成年度指标并具有一定效果", D(0), ScoreBand(D(0), D(0), False, D(0))),
        # a band narrower than 0.01: the default stays at its bottom
        ("部分达成年度指标并具有一定效果", D("0.005"), ScoreBand(D("0.003"), D("0.004"), False, D("0.003"))),
    ],
)
def test_qualitative_band(achievement: str, weight: D, band: ScoreBand) -> None:
    assert qualitative_band(achievement, weight, SETTINGS) == band


@pytest.mark.parametrize(
    ("achievement", "edited", "expected"),
    [
        ("达成年度指标", None, D(10)),
        ("达成年度指标", D(8), D(8)),  # bottom edge, closed
        ("达成年度指标", D(10), D(10)),  # top edge, closed
        ("部分达成年度指标并具有一定效果", None, D("7.99")),
        ("部分达成年度指标并具有一定效果", D(6), D(6)),
        ("部分达成年度指标并具有一定效果", D("7.99"), D("7.99")),
        ("未达成年度指标且效果较差", None, D("5.99")),
        ("未达成年度指标且效果较差", D(0), D(0)),
        ("未达成年度指标且效果较差", D("5.99"), D("5.99")),
    ],
)
def test_qualitative_score(achievement: str, edited: D | None, expected: D) -> None:
    assert qualitative_score(achievement, D(10), SETTINGS, edited) == expected


@pytest.mark.parametrize(
    ("achievement", "weight", "edited"),
    [
        ("达成年度指标", D(10), D("7.99")),
        ("达成年度指标", D(10), D("10.01")),
        ("部分达成年度指标并具有一定效果", D(10), D(8)),  # open top
        ("部分达成年度指标并具有一定效果", D(10), D("5.99")),
        ("未达成年度指标且效果较差", D(10), D(6)),  # open top
        ("未达成年度指标且效果较差", D(10), D("-0.01")),
        ("未达成年度指标且效果较差", D(0), D("0.01")),
    ],
)
def test_qualitative_score_outside_band(achievement: str, weight: D, edited: D) -> None:
    with pytest.raises(ValueError, match="得分应在"):
        qualitative_score(achievement, weight, SETTINGS, edited)


def test_qualitative_score_zero_weight() -> None:
    assert qualitative_score("未达成年度指标且效果较差", D(0), SETTINGS, D(0)) == D(0)


def test_qualitative_bands_follow_settings() -> None:
    settings = EvaluationSettings(achieved_from=D(85), partial_from=D(70))
    assert qualitative_band("部分达成目标并具有一定效果", D(20), settings) == ScoreBand(
        D(14), D(17), False, D("16.99")
    )


@pytest.mark.parametrize(
    ("completed_on", "expected"),
    [(date(2023, 9, 30), W), (date(2023, 3, 1), W), (date(2023, 10, 1), D(0)), (None, D(0))],
)
def test_deadline_score(completed_on, expected: D) -> None:
    assert deadline_score(date(2023, 9, 30), completed_on, W) == expected


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (D(100), "优"),
        (D(90), "优"),
        (D("89.995"), "优"),  # shown as 90.00
        (D("89.994"), "良"),
        (D("89.99"), "良"),
        (D(80), "良"),
        (D("79.99"), "中"),
        (D(60), "中"),
        (D("59.99"), "差"),
        (D(0), "差"),
    ],
)
def test_grade(total: D, expected: str) -> None:
    assert grade(total, SETTINGS) == expected


def test_grade_follows_settings() -> None:
    settings = EvaluationSettings(excellent_from=D(95), good_from=D(85), fair_from=D(70))
    assert [grade(D(t), settings) for t in (95, 94, 85, 84, 70, 69)] == ["优", "良", "良", "中", "中", "差"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (D("1.005"), D("1.01")),
        (D("1.004"), D("1.00")),
        (D("2.675"), D("2.68")),
        (D("-1.005"), D("-1.01")),
        (D(50) / 3, D("16.67")),
    ],
)
def test_round_score(value: D, expected: D) -> None:
    assert str(round_score(value)) == str(expected)
