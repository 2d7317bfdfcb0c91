from __future__ import annotations

import re
from decimal import Decimal as D

import pytest

from tracker.core.settings import EvaluationSettings, MonitoringSettings

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def test_monitoring_defaults() -> None:
    settings = MonitoringSettings()
    assert (settings.red_below, settings.yellow_below, settings.blue_from) == (D(60), D(80), D(120))
    assert (settings.time_progress_method, settings.default_plan, settings.monitoring_month) == ("month", None, 6)
    assert MonitoringSettings.from_dict({}) == settings


def test_evaluation_defaults() -> None:
    settings = EvaluationSettings()
    weights = (settings.output_weight, settings.effect_weight, settings.satisfaction_weight, settings.execution_weight)
    assert weights == (D(50), D(30), D(10), D(10))
    assert (settings.excellent_from, settings.good_from, settings.fair_from) == (D(90), D(80), D(60))
    assert (settings.achieved_from, settings.partial_from) == (D(80), D(60))
    assert EvaluationSettings.from_dict({}) == settings


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        ({"red_below": 50}, "red_below", D(50)),
        ({"red_below": 55.5}, "red_below", D("55.5")),  # JSON float, no binary noise
        ({"yellow_below": " 85 "}, "yellow_below", D(85)),
        ({"time_progress_method": "day"}, "time_progress_method", "day"),
        ({"monitoring_month": 7}, "monitoring_month", 7),
        ({"monitoring_month": "7"}, "monitoring_month", 7),
        ({"default_plan": "time_progress"}, "default_plan", None),
        ({"default_plan": None}, "default_plan", None),
        ({"default_plan": [[6, 50], [12, "100"]]}, "default_plan", ((6, D(50)), (12, D(100)))),
    ],
)
def test_monitoring_from_dict(data, field: str, expected) -> None:
    assert getattr(MonitoringSettings.from_dict(data), field) == expected


@pytest.mark.parametrize(
    "settings",
    [
        MonitoringSettings(),
        MonitoringSettings(red_below=D("55.5"), time_progress_method="day", monitoring_month=7,
                           default_plan=((6, D(50)), (9, D(75)), (12, D(100)))),
    ],
)
def test_monitoring_round_trip(settings: MonitoringSettings) -> None:
    assert MonitoringSettings.from_dict(settings.to_dict()) == settings


def test_evaluation_round_trip() -> None:
    settings = EvaluationSettings(output_weight=D(40), execution_weight=D(20), excellent_from=D("92.5"))
    assert EvaluationSettings.from_dict(settings.to_dict()) == settings
    assert EvaluationSettings.from_dict({"execution_weight": 20, "output_weight": "40"}).execution_weight == D(20)


@pytest.mark.parametrize(
    "data",
    [
        {"red_below": 80, "yellow_below": 60},
        {"red_below": 0},
        {"blue_from": 70},
        {"red_below": "abc"},
        {"red_below": True},
        {"red_below": "NaN"},
        {"red_below": [60]},
        {"time_progress_method": "week"},
        {"monitoring_month": 13},
        {"monitoring_month": 0},
        {"monitoring_month": 6.5},
        {"monitoring_month": True},
        {"colour": "red"},
        {"default_plan": "quarterly"},
        {"default_plan": []},
        {"default_plan": [[6]]},
        {"default_plan": [[13, 50]]},
        {"default_plan": [[6, 50], [3, 20]]},
        {"default_plan": [[6, 50], [6, 60]]},
        {"default_plan": [[6, 50], [9, 40]]},
        {"default_plan": [[6, 120]]},
        {"default_plan": [[6, -1]]},
    ],
)
def test_monitoring_from_dict_rejects(data) -> None:
    with pytest.raises(ValueError) as error:
        MonitoringSettings.from_dict(data)
    assert CHINESE.search(str(error.value))


@pytest.mark.parametrize(
    "data",
    [
        {"execution_weight": 20},  # sum 110
        {"output_weight": -10, "effect_weight": 90},
        {"good_from": 95},
        {"fair_from": 0},
        {"excellent_from": 101},
        {"partial_from": 85},
        {"achieved_from": 101},
        {"over_achievement_from": 100},
        {"high_performance_from": 101},
        {"surplus_rate_above": -1},
        {"grade": "优"},
        {"output_weight": "fifty"},
    ],
)
def test_evaluation_from_dict_rejects(data) -> None:
    with pytest.raises(ValueError) as error:
        EvaluationSettings.from_dict(data)
    assert CHINESE.search(str(error.value))


@pytest.mark.parametrize("cls", [MonitoringSettings, EvaluationSettings])
def test_from_dict_needs_a_mapping(cls) -> None:
    with pytest.raises(ValueError, match="键值对"):
        cls.from_dict([("red_below", 60)])


def test_settings_are_frozen() -> None:
    with pytest.raises(AttributeError):
        MonitoringSettings().red_below = D(1)  # type: ignore[misc]
