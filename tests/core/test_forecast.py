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
    ("spent", "budget", "plan", "as_of", "method", "by_plan", "by_run_rate", "remaining"),
    [
        # 362 + 1000 × (100 − 60)%; 362 ÷ 序时进度 50% (k/12 at the end of June)
        (D(362), D(1000), PLAN_2023, date(2023, 6, 30), "month", D(762), D(724), D(40)),
        # leap year, 序时进度 by day (the provincial variant): 2024-07-01 is day 183 of 366 (50%)
        (D(450), D(1000), default_plan(2024, "day"), date(2024, 7, 1), "day", D(950), D(900), D(50)),
        # overspent at year end: the forecast is what was spent (never below it), flagged
        (D(1100), D(1000), PLAN_2023, date(2023, 12, 31), "month", D(1100), D(1100), D(0)),
        # budget 0: anything spent is above the cap; the forecast is what was spent
        (D(181), D(0), PLAN_2023, date(2023, 6, 30), "month", D(181), D(181), D(40)),
    ],
)
def test_forecast(spent, budget, plan, as_of, method, by_plan, by_run_rate, remaining) -> None:
    """DOMAIN §2: "by plan = spent + 全年预算数 × (100% − planned%); by run rate = spent ÷ 序时进度"."""
    result = forecast_year_end(spent, budget, plan, as_of, method)
    assert result.by_plan == by_plan
    assert result.by_run_rate == by_run_rate
    assert result.remaining_plan_pct == remaining
    assert result.carry_over_by_plan == max(budget - by_plan, 0)
    assert result.carry_over_by_run_rate == max(budget - by_run_rate, 0)


def test_forecast_is_capped_and_carry_over_never_negative() -> None:
    """DOMAIN §2: “Each is capped at 全年预算数 (spending cannot exceed the budget; a forecast that
    reaches the cap is flagged 超计划支出).  预计结转结余 = 全年预算数 − forecast, never negative.”"""
    # spent 1100 of 1000 by 6月底 (超支): both forecasts are what was spent, flagged; 结余 0
    result = forecast_year_end(D(1100), D(1000), PLAN_2023, date(2023, 6, 30))
    assert (result.by_plan, result.carry_over_by_plan, result.over_plan_by_plan) == (D(1100), D(0), True)
    assert (result.by_run_rate, result.carry_over_by_run_rate, result.over_plan_by_run_rate) == (D(1100), D(0), True)
    # 700 by 6月底: by plan 700 + 400 = 1100 → capped at 1000; run rate 700 ÷ 50% = 1400 → 1000
    result = forecast_year_end(D(700), D(1000), PLAN_2023, date(2023, 6, 30))
    assert (result.by_plan, result.over_plan_by_plan, result.carry_over_by_plan) == (D(1000), True, D(0))
    assert (result.by_run_rate, result.over_plan_by_run_rate, result.carry_over_by_run_rate) == (D(1000), True, D(0))
    # exactly on plan: the forecast equals the budget without reaching past it — not flagged
    result = forecast_year_end(D(600), D(1000), PLAN_2023, date(2023, 6, 30))
    assert (result.by_plan, result.over_plan_by_plan) == (D(1000), False)


def test_reversal_only_ledger() -> None:
    # net −10 booked (红字 only): −10 + 400 = 390; carry-over 1000 − 390
    result = forecast_year_end(D(-10), D(1000), PLAN_2023, date(2023, 6, 30))
    assert (result.by_plan, result.carry_over_by_plan) == (D(390), D(610))
    assert result.by_run_rate < 0


def test_dipping_plan_forecasts_by_100_minus_planned() -> None:
    """DOMAIN §2: by plan = spent + 全年预算数 × (100% − planned%), whatever the plan says later."""
    dipping = (PlanCheckpoint(date(2023, 6, 30), D(60)), PlanCheckpoint(date(2023, 12, 31), D(50)))
    result = forecast_year_end(D(600), D(1000), dipping, date(2023, 6, 30))
    assert (result.remaining_plan_pct, result.by_plan) == (D(40), D(1000))


def test_as_of_outside_plan_year() -> None:
    with pytest.raises(ValueError, match="年度"):
        forecast_year_end(D(1), D(10), PLAN_2023, date(2024, 1, 1))
