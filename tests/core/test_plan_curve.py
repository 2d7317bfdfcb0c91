"""``PlanCurve``: a plan checked and ordered once reads exactly like ``planned_pct`` did."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from tracker.core.forecast import forecast_year_end
from tracker.core.plan import (
    PlanCheckpoint,
    PlanCurve,
    default_plan,
    is_monotone,
    monotone_envelope,
    planned_pct,
    time_progress,
)


def reference_planned_pct(plan: tuple[PlanCheckpoint, ...], as_of: date) -> D:
    """The interpolation as ``planned_pct`` computed it before ``PlanCurve`` (a linear walk), a
    checkpoint's own day reading its percent exactly (DOMAIN: "k/12 at the end of month k")."""
    points = sorted(plan, key=lambda p: p.checkpoint)
    origin = date(points[0].checkpoint.year - 1, 12, 31)
    if as_of <= origin:
        return D(0)
    previous_date, previous_pct = origin, D(0)
    for point in points:
        if as_of == point.checkpoint:  # on a checkpoint: its own percent (k/12 at month k's end)
            return point.cumulative_pct
        if as_of < point.checkpoint:
            elapsed = (as_of - previous_date).days
            span = (point.checkpoint - previous_date).days
            return previous_pct + (point.cumulative_pct - previous_pct) * elapsed / span
        previous_date, previous_pct = point.checkpoint, point.cumulative_pct
    return previous_pct


def plan(year: int, *points: tuple[str, str]) -> tuple[PlanCheckpoint, ...]:
    return tuple(PlanCheckpoint(date.fromisoformat(f"{year}-{day}"), D(pct)) for day, pct in points)


PLANS = {
    "quarters": plan(2025, ("03-31", "10"), ("06-30", "50"), ("10-31", "80"), ("12-31", "100")),
    "scaled": plan(2025, ("03-31", "12.3400"), ("06-30", "48.2000"), ("12-31", "100.0000")),
    "ends early": plan(2025, ("06-30", "50"), ("10-31", "80")),
    "one point": plan(2024, ("03-31", "45.5")),
    "dips": plan(2025, ("03-31", "30"), ("06-30", "60"), ("10-31", "50"), ("12-31", "100")),
    "unordered": tuple(reversed(plan(2024, ("02-29", "20"), ("07-01", "50"), ("12-31", "100")))),
    "zero start": plan(2025, ("01-01", "0"), ("12-31", "0")),
    "month 序时进度": default_plan(2024, "month"),  # twelfths: inexact decimals
    "day 序时进度": default_plan(2025, "day"),
}


def every_day(year: int) -> list[date]:
    start = date(year - 1, 12, 1)
    return [start + timedelta(days=n) for n in range((date(year + 1, 1, 31) - start).days + 1)]


@pytest.mark.parametrize("name", PLANS)
def test_curve_reads_every_day_exactly_as_before(name: str) -> None:
    points = PLANS[name]
    curve = PlanCurve(points)
    for day in every_day(curve.year):
        expected = reference_planned_pct(points, day)
        # same value and same Decimal exponent (str), whichever way the plan is read
        assert str(curve.at(day)) == str(planned_pct(points, day)) == str(expected), day
    assert str(curve.year_end_pct) == str(reference_planned_pct(points, date(curve.year, 12, 31)))


def test_curve_orders_its_points_and_compares_by_them() -> None:
    points = PLANS["unordered"]
    curve = PlanCurve(points)
    assert [p.checkpoint for p in curve.points] == sorted(p.checkpoint for p in points)
    assert curve == PlanCurve(tuple(reversed(points))) and hash(curve) == hash(PlanCurve(points))
    assert curve.year == 2024 and planned_pct(curve, date(2024, 7, 1)) == D(50)


@pytest.mark.parametrize(
    ("points", "message"),
    [
        ((), "为空"),
        (((date(2023, 6, 30), "50"), (date(2024, 12, 31), "100")), "同一年度"),
        (((date(2023, 6, 30), "50"), (date(2023, 6, 30), "60")), "重复"),
        (((date(2023, 6, 30), "-1"),), "负数"),
    ],
)
def test_curve_rejects_bad_plans(points, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        PlanCurve(tuple(PlanCheckpoint(day, D(pct)) for day, pct in points))


@pytest.mark.parametrize("name", PLANS)
def test_monotone_checks_agree(name: str) -> None:
    points = PLANS[name]
    curve = PlanCurve(points)
    assert curve.is_monotone == is_monotone(points) == (name != "dips")
    assert curve.monotone_envelope().points == monotone_envelope(points)
    assert monotone_envelope(points) == monotone_envelope(curve)


def test_envelope_of_a_dipping_plan() -> None:
    envelope = PlanCurve(PLANS["dips"]).monotone_envelope()
    assert [p.cumulative_pct for p in envelope.points] == [30, 60, 60, 100]
    assert envelope.is_monotone


@pytest.mark.parametrize("name", PLANS)
@pytest.mark.parametrize("day", ["01-01", "02-28", "06-15", "06-30", "12-31"])
def test_forecast_from_a_curve_equals_forecast_from_points(name: str, day: str) -> None:
    points = PLANS[name]
    as_of = date.fromisoformat(f"{PlanCurve(points).year}-{day}")
    from_points = forecast_year_end(D("123456.78"), D("1000000.00"), points, as_of)
    from_curve = forecast_year_end(D("123456.78"), D("1000000.00"), PlanCurve(points), as_of)
    assert repr(from_curve) == repr(from_points)


def test_time_progress_is_the_same_when_asked_again() -> None:
    first = time_progress(date(2024, 2, 29), "day")
    assert time_progress(date(2024, 2, 29), "day") == first == D(60) * 100 / 366
    with pytest.raises(ValueError, match="序时进度"):
        time_progress(date(2024, 2, 29), "week")
    with pytest.raises(ValueError, match="序时进度"):  # errors are not remembered as answers
        time_progress(date(2024, 2, 29), "week")
