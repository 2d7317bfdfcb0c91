from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from tracker.core.plan import (
    PlanCheckpoint,
    default_plan,
    default_plan_for,
    is_monotone,
    month_end,
    monitoring_cutoff,
    monotone_envelope,
    planned_pct,
    time_progress,
)
from tracker.core.settings import MonitoringSettings

Q = D("0.0001")


def plan(*points: tuple[date, str]) -> tuple[PlanCheckpoint, ...]:
    return tuple(PlanCheckpoint(day, D(pct)) for day, pct in points)


# 3月底 30%, 6月底 48.2% (18.2 over 91 days = 0.2 a day), 10月底 80%, 12月底 100%.
PLAN_2023 = plan(
    (date(2023, 3, 31), "30"),
    (date(2023, 6, 30), "48.2"),
    (date(2023, 10, 31), "80"),
    (date(2023, 12, 31), "100"),
)


@pytest.mark.parametrize(
    ("as_of", "method", "expected"),
    [
        (date(2023, 1, 1), "month", D("0.2688")),  # 1/31 of 1/12: linear by day
        (date(2023, 6, 1), "month", D("41.9444")),  # 5/12 + 1/30 of 1/12
        (date(2023, 5, 15), "month", D("37.3656")),  # DOMAIN: 37.37% on 15 May
        (date(2023, 6, 30), "month", D("50")),
        (date(2023, 12, 31), "month", D("100")),
        (date(2023, 1, 1), "day", D("0.2740")),  # 1/365
        (date(2024, 1, 1), "day", D("0.2732")),  # 1/366
        (date(2023, 3, 1), "day", D("16.4384")),  # 60/365
        (date(2024, 2, 29), "day", D("16.3934")),  # 60/366
        (date(2024, 3, 1), "day", D("16.6667")),  # 61/366 = 1/6
        (date(2023, 7, 1), "day", D("49.8630")),  # 182/365
        (date(2024, 7, 1), "day", D("50")),  # 183/366
        (date(2023, 12, 31), "day", D("100")),
        (date(2024, 12, 31), "day", D("100")),
    ],
)
def test_time_progress(as_of: date, method: str, expected: D) -> None:
    assert time_progress(as_of, method).quantize(Q) == expected


def test_time_progress_rejects_unknown_method() -> None:
    with pytest.raises(ValueError, match="序时进度"):
        time_progress(date(2023, 6, 30), "week")


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2022, 6, 1), D("0")),  # before the year
        (date(2022, 12, 31), D("0")),  # the origin: start of 1 January
        (date(2023, 1, 1), D("0.3333")),  # 30 × 1/90
        (date(2023, 1, 30), D("10")),  # 30 × 30/90, before the first checkpoint
        (date(2023, 3, 31), D("30")),  # on a checkpoint
        (date(2023, 4, 30), D("36")),  # 30 + 18.2 × 30/91
        (date(2023, 6, 30), D("48.2")),
        (date(2023, 12, 31), D("100")),
        (date(2024, 2, 1), D("100")),  # after the last checkpoint
    ],
)
def test_planned_pct_interpolates(as_of: date, expected: D) -> None:
    assert planned_pct(PLAN_2023, as_of).quantize(Q) == expected


def test_planned_pct_ignores_input_order() -> None:
    assert planned_pct(tuple(reversed(PLAN_2023)), date(2023, 4, 30)) == D("36")


@pytest.mark.parametrize(
    ("points", "as_of", "expected"),
    [
        # leap year: 2024-03-31 is day 91, so 45.5% grows 0.5 a day; 02-29 is day 60
        (((date(2024, 3, 31), "45.5"),), date(2024, 2, 29), D("30")),
        # common year: 2023-03-31 is day 90; 02-28 is day 59 → 45 × 59/90
        (((date(2023, 3, 31), "45"),), date(2023, 2, 28), D("29.5")),
        # last checkpoint 10月底 80%: constant after it
        (((date(2023, 6, 30), "50"), (date(2023, 10, 31), "80")), date(2023, 12, 15), D("80")),
    ],
)
def test_planned_pct_edges(points, as_of: date, expected: D) -> None:
    assert planned_pct(plan(*points), as_of) == expected


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ((), "为空"),
        (((date(2023, 6, 30), "50"), (date(2024, 12, 31), "100")), "同一年度"),
        (((date(2023, 6, 30), "50"), (date(2023, 6, 30), "60")), "重复"),
        (((date(2023, 6, 30), "-1"),), "负数"),
    ],
)
def test_planned_pct_rejects_bad_plans(points, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        planned_pct(plan(*points), date(2023, 6, 30))


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [(2023, 2, date(2023, 2, 28)), (2024, 2, date(2024, 2, 29)), (2023, 12, date(2023, 12, 31))],
)
def test_month_end(year: int, month: int, expected: date) -> None:
    assert month_end(year, month) == expected


@pytest.mark.parametrize(
    ("year", "method", "as_of", "expected"),
    [
        (2023, "month", date(2023, 6, 30), D("50")),
        (2023, "month", date(2023, 6, 15), D("45.8333")),  # 41.6667 + 8.3333 × 15/30
        (2023, "month", date(2023, 12, 31), D("100")),
        (2024, "day", date(2024, 7, 1), D("50")),
        (2024, "day", date(2024, 2, 29), D("16.3934")),
        (2023, "day", date(2023, 3, 1), D("16.4384")),
    ],
)
def test_default_plan(year: int, method: str, as_of: date, expected: D) -> None:
    assert planned_pct(default_plan(year, method), as_of).quantize(Q) == expected


@pytest.mark.parametrize("as_of", [date(2024, 1, 1), date(2024, 2, 29), date(2024, 9, 17)])
def test_default_day_plan_equals_time_progress(as_of: date) -> None:
    assert planned_pct(default_plan(2024, "day"), as_of) == time_progress(as_of, "day")


def test_default_month_plan_shape() -> None:
    points = default_plan(2023, "month")
    assert [p.checkpoint for p in points] == [month_end(2023, m) for m in range(1, 13)]
    assert points[2].cumulative_pct == D(25)


def test_default_plan_rejects_unknown_method() -> None:
    with pytest.raises(ValueError):
        default_plan(2023, "quarter")


@pytest.mark.parametrize(
    ("settings", "as_of", "expected"),
    [
        (MonitoringSettings(), date(2023, 6, 15), D("45.8333")),
        (MonitoringSettings(time_progress_method="day"), date(2024, 7, 1), D("50")),
        # 6月底 50, 9月底 75: 50 + 25 × 46/92
        (
            MonitoringSettings(default_plan=((6, D(50)), (9, D(75)), (12, D(100)))),
            date(2023, 8, 15),
            D("62.5"),
        ),
    ],
)
def test_default_plan_for_settings(settings, as_of: date, expected: D) -> None:
    assert planned_pct(default_plan_for(as_of.year, settings), as_of).quantize(Q) == expected


@pytest.mark.parametrize(("month", "expected"), [(6, date(2023, 6, 30)), (7, date(2023, 7, 31))])
def test_monitoring_cutoff(month: int, expected: date) -> None:
    assert monitoring_cutoff(2023, MonitoringSettings(monitoring_month=month)) == expected


# 9月底 50% after 6月底 60%: not a cumulative plan.
DIPPING = plan(
    (date(2023, 3, 31), "30"),
    (date(2023, 6, 30), "60"),
    (date(2023, 9, 30), "50"),
    (date(2023, 12, 31), "100"),
)


@pytest.mark.parametrize(("points", "expected"), [(PLAN_2023, True), (DIPPING, False)])
def test_is_monotone(points, expected: bool) -> None:
    assert is_monotone(points) is expected


def test_monotone_envelope_is_running_maximum() -> None:
    envelope = monotone_envelope(DIPPING)
    assert [p.cumulative_pct for p in envelope] == [D(30), D(60), D(60), D(100)]
    assert [p.checkpoint for p in envelope] == [p.checkpoint for p in DIPPING]
    assert is_monotone(envelope)


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        (DIPPING, D("55")),  # 60 + (50 − 60) × 46/92: the plan as given dips
        (monotone_envelope(DIPPING), D("60")),  # the envelope holds 60
    ],
)
def test_envelope_changes_the_curve(points, expected: D) -> None:
    assert planned_pct(points, date(2023, 8, 15)) == expected


def test_envelope_of_monotone_plan_is_unchanged() -> None:
    assert monotone_envelope(PLAN_2023) == PLAN_2023
