from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from tracker.core.indicators import (
    IndicatorStatus,
    ReportedIndicator,
    indicator_status,
    results_status,
)
from tracker.core.settings import MonitoringSettings

SETTINGS = MonitoringSettings()
JUNE = date(2023, 6, 30)  # 序时进度 6/12 = 50%: target 100 → 50 expected by now


@pytest.mark.parametrize(
    ("operator", "current", "colour", "ratio"),
    [
        (">=", D("0"), "red", D("0")),  # a reported 0 is red
        (">=", D("-5"), "red", D("-10")),
        (">=", D("29.995"), "red", D("59.99")),
        (">=", D("30"), "yellow", D("60")),  # boundary → higher colour
        (">=", D("39.995"), "yellow", D("79.99")),
        (">=", D("40"), "green", D("80")),
        (">=", D("59.995"), "green", D("119.99")),
        (">=", D("60"), "blue", D("120")),
        (">=", D("100"), "blue", D("200")),
        (">", D("40"), "green", D("80")),
        # (an ``=`` indicator is a level, never prorated: test_domain_rules.py)
        (None, D("60"), "blue", D("120")),
    ],
)
def test_positive_indicator(operator, current: D, colour: str, ratio: D) -> None:
    indicator = ReportedIndicator("quantitative", operator, D(100), current)
    result = indicator_status(indicator, JUNE, SETTINGS)
    assert (result.colour, result.ratio, result.expected) == (colour, ratio, D(50))


@pytest.mark.parametrize(
    ("settings", "as_of", "target", "current", "colour", "ratio"),
    [
        # January, month method: 120 × 1/12 = 10 expected
        (SETTINGS, date(2023, 1, 31), D(120), D(6), "yellow", D(60)),
        # day method, leap year: 2024-07-01 is 183/366 = 50% → 200 × 50% = 100 expected
        (MonitoringSettings(time_progress_method="day"), date(2024, 7, 1), D(200), D(80), "green", D(80)),
        (MonitoringSettings(blue_from=D(150)), JUNE, D(100), D(60), "green", D(120)),
    ],
)
def test_positive_indicator_settings(settings, as_of, target, current, colour, ratio) -> None:
    result = indicator_status(ReportedIndicator("quantitative", ">=", target, current), as_of, settings)
    assert (result.colour, result.ratio) == (colour, ratio)


def test_positive_zero_current_is_noted() -> None:
    result = indicator_status(ReportedIndicator("quantitative", ">=", D(100), D(0)), JUNE, SETTINGS)
    assert (result.label, result.note) == ("红灯", "已填报完成值为0")


@pytest.mark.parametrize(
    ("target", "current", "colour", "note"),
    [
        (D(0), D(0), "green", "年度指标值为0"),
        (D(0), D(3), "green", "年度指标值为0"),
        (D(0), D(-1), "red", "年度指标值为0"),
        (D(-5), D(-5), "grey", "年度指标值为负数，无法按进度判断"),
    ],
)
def test_positive_target_zero_or_negative(target, current, colour, note) -> None:
    result = indicator_status(ReportedIndicator("quantitative", ">=", target, current), JUNE, SETTINGS)
    assert (result.colour, result.ratio, result.note) == (colour, None, note)


@pytest.mark.parametrize(
    ("kind", "operator", "current", "colour"),
    [
        ("quantitative", "<=", D("50"), "green"),
        ("quantitative", "<=", D("100"), "green"),  # at the target: within
        ("quantitative", "<=", D("100.01"), "red"),
        ("quantitative", "<", D("99.99"), "green"),
        ("quantitative", "<", D("100"), "red"),  # strict
        ("reverse", None, D("100"), "green"),
        ("reverse", None, D("101"), "red"),
        ("reverse", "<=", D("0"), "green"),
    ],
)
def test_reverse_indicator(kind, operator, current, colour) -> None:
    result = indicator_status(ReportedIndicator(kind, operator, D(100), current), JUNE, SETTINGS)
    assert (result.colour, result.ratio) == (colour, None)


@pytest.mark.parametrize(
    ("achievement", "colour"),
    [
        ("达成目标", "green"),
        ("部分达成目标并具有一定效果", "yellow"),
        ("未达成目标且效果较差", "red"),
        ("达成年度指标", "green"),
        (" 部分达成年度指标并具有一定效果 ", "yellow"),
        ("未达成年度指标且效果较差", "red"),
    ],
)
def test_qualitative_indicator(achievement: str, colour: str) -> None:
    result = indicator_status(ReportedIndicator("qualitative", achievement=achievement), JUNE, SETTINGS)
    assert result.colour == colour


def test_qualitative_rejects_unknown_choice() -> None:
    with pytest.raises(ValueError, match="达成年度指标"):
        indicator_status(ReportedIndicator("qualitative", achievement="较好"), JUNE, SETTINGS)


@pytest.mark.parametrize(
    ("indicator", "as_of", "reporting_deadline", "label", "overdue"),
    [
        (ReportedIndicator("quantitative", ">=", D(100)), JUNE, None, "未填报", False),
        (ReportedIndicator("quantitative", ">=", D(100)), date(2023, 7, 10), date(2023, 7, 10), "未填报", False),
        (ReportedIndicator("quantitative", ">=", D(100)), date(2023, 7, 11), date(2023, 7, 10), "逾期未填报", True),
        (ReportedIndicator("reverse", "<=", D(100)), date(2023, 7, 11), date(2023, 7, 10), "逾期未填报", True),
        (ReportedIndicator("qualitative"), JUNE, date(2023, 7, 10), "未填报", False),
        (ReportedIndicator("qualitative", achievement="  "), date(2023, 8, 1), date(2023, 7, 10), "逾期未填报", True),
    ],
)
def test_nothing_reported_is_grey_then_yellow_after_the_deadline(
        indicator, as_of, reporting_deadline, label, overdue) -> None:
    """DOMAIN §2: "nothing reported yet → grey 未填报 (not red)"; "an indicator still unreported
    after the reporting deadline … counts as yellow (逾期未填报)"."""
    result = indicator_status(indicator, as_of, SETTINGS, reporting_deadline)
    assert (result.colour, result.label, result.report_overdue) == (
        "yellow" if overdue else "grey", label, overdue)


DEADLINE = date(2023, 9, 30)


@pytest.mark.parametrize(
    ("completed_on", "as_of", "colour", "label", "note"),
    [
        (date(2023, 9, 30), date(2023, 10, 15), "green", "已完成", None),  # on the deadline
        (date(2023, 6, 1), JUNE, "green", "已完成", None),
        (date(2023, 10, 1), date(2023, 10, 15), "red", "逾期完成", None),
        (None, date(2023, 9, 30), "green", "按期推进", None),  # on course
        (None, date(2023, 10, 1), "red", "逾期", None),
        (date(2023, 7, 1), JUNE, "green", "按期推进", "完成日期晚于判断日，按未完成判断"),
        (date(2023, 10, 5), date(2023, 10, 1), "red", "逾期", "完成日期晚于判断日，按未完成判断"),
    ],
)
def test_deadline_indicator(completed_on, as_of, colour, label, note) -> None:
    indicator = ReportedIndicator("deadline", deadline=DEADLINE, completed_on=completed_on)
    result = indicator_status(indicator, as_of, SETTINGS)
    assert (result.colour, result.label, result.note) == (colour, label, note)


def test_deadline_without_date_is_grey() -> None:
    result = indicator_status(ReportedIndicator("deadline"), JUNE, SETTINGS)
    assert (result.colour, result.note) == ("grey", "未能确定完成时限")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "ratio"}, "指标类型"),
        ({"kind": "quantitative", "operator": "≥", "target": D(1)}, "运算符"),
        ({"kind": "reverse", "operator": ">=", "target": D(1)}, "反向指标"),
        ({"kind": "quantitative", "operator": ">="}, "年度指标值"),
        ({"kind": "reverse"}, "年度指标值"),
    ],
)
def test_reported_indicator_validation(kwargs, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ReportedIndicator(**kwargs)


def status(colour: str) -> IndicatorStatus:
    return IndicatorStatus(colour, colour)


@pytest.mark.parametrize(
    ("colours", "expected"),
    [
        (["green", "red", "yellow", "blue"], "red"),
        (["blue", "yellow", "green"], "yellow"),
        (["blue", "green"], "green"),
        (["blue"], "blue"),
        (["grey", "blue"], "blue"),
        (["grey", "yellow", "grey"], "yellow"),
        (["grey", "grey"], "grey"),
        ([], "grey"),
    ],
)
def test_results_status_is_worst(colours: list[str], expected: str) -> None:
    assert results_status(status(c) for c in colours) == expected
