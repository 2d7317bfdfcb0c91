from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from tracker.core.forecast import forecast_year_end
from tracker.core.plan import PlanCheckpoint, default_plan

PLAN_2023 = (
    PlanCheckpoint(date(2023, 3, 31), D(30)),
    PlanCheckpoint(date(2023, 6, 30), D(60)),
    PlanCheckpoint(date(2023, 9, 30), D(80)),
    PlanCheckpoint(date(2023, 12, 31), D(100)),
)


@pytest.mark.parametrize(
    ("spent", "budget", "plan", "as_of", "by_plan", "by_run_rate", "remaining"),
    [
        # 362 + 1000 × (100 − 60)%; 362 ÷ 181 days × 365 (2023-06-30 is day 181)
        (D(362), D(1000), PLAN_2023, date(2023, 6, 30), D(762), D(730), D(40)),
        # leap year, 序时进度 by day: 2024-07-01 is day 183 of 366 (50%)
        (D(450), D(1000), default_plan(2024, "day"), date(2024, 7, 1), D(950), D(900), D(50)),
        # overspent at year end: nothing remains in the plan
        (D(1100), D(1000), PLAN_2023, date(2023, 12, 31), D(1100), D(1100), D(0)),
        # budget 0: forecast is what was spent
        (D(181), D(0), PLAN_2023, date(2023, 6, 30), D(181), D(365), D(40)),
    ],
)
def test_forecast(spent, budget, plan, as_of, by_plan, by_run_rate, remaining) -> None:
    result = forecast_year_end(spent, budget, plan, as_of)
    assert result.by_plan == by_plan
    assert result.by_run_rate == by_run_rate
    assert result.remaining_plan_pct == remaining
    assert result.carry_over_by_plan == budget - by_plan
    assert result.carry_over_by_run_rate == budget - by_run_rate


def test_carry_over_keeps_negative_sign() -> None:
    # spent 1100 by 6月底, plan still expects 40% of 1000 → 1500; 结转结余 −500 (预计超支)
    result = forecast_year_end(D(1100), D(1000), PLAN_2023, date(2023, 6, 30))
    assert (result.by_plan, result.carry_over_by_plan) == (D(1500), D(-500))


def test_reversal_only_ledger() -> None:
    # net −10 booked (红字 only): −10 + 400 = 390; carry-over 1000 − 390
    result = forecast_year_end(D(-10), D(1000), PLAN_2023, date(2023, 6, 30))
    assert (result.by_plan, result.carry_over_by_plan) == (D(390), D(610))
    assert result.by_run_rate < 0


def test_dipping_plan_never_forecasts_below_spent() -> None:
    dipping = (PlanCheckpoint(date(2023, 6, 30), D(60)), PlanCheckpoint(date(2023, 12, 31), D(50)))
    result = forecast_year_end(D(600), D(1000), dipping, date(2023, 6, 30))
    assert (result.remaining_plan_pct, result.by_plan) == (D(0), D(600))


def test_as_of_outside_plan_year() -> None:
    with pytest.raises(ValueError, match="年度"):
        forecast_year_end(D(1), D(10), PLAN_2023, date(2024, 1, 1))
