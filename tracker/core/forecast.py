"""全年预计执行数 (year-end forecast) and 预计结转结余 (expected carry-over).

Two forecasts are always given side by side; the monitoring form uses ``by_plan``.
预计结转结余 keeps its sign: negative means the forecast exceeds the budget (预计超支).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tracker.core.plan import Plan, days_in_year, plan_curve

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Forecast:
    """Both year-end forecasts and the carry-over each implies (same money unit as inputs)."""

    by_plan: Decimal  # 全年预计执行数, plan's remaining share
    by_run_rate: Decimal  # 全年预计执行数, current pace
    remaining_plan_pct: Decimal  # plan at 12-31 − plan at as_of, floored at 0
    carry_over_by_plan: Decimal  # 预计结转结余 = budget − by_plan
    carry_over_by_run_rate: Decimal  # 预计结转结余 = budget − by_run_rate


def forecast_year_end(spent: Decimal, budget: Decimal, plan: Plan, as_of: date) -> Forecast:
    """全年预计执行数 and 预计结转结余 at ``as_of``.

    by plan:      actual + 全年预算数 × max(plan(12-31) − plan(as_of), 0) ÷ 100
                  (what the plan still expects; floored at 0 so a plan that dips later never
                  forecasts less than what is already spent);
    by run rate:  actual ÷ elapsed days × days in year, elapsed = day-of-year of ``as_of``
                  (1 January = 1), 365 or 366;
    预计结转结余:  全年预算数 − forecast, sign kept (negative = 预计超支).

    ``as_of`` must fall in the plan's year.  ``plan``: checkpoints or a ``PlanCurve``.
    """
    curve = plan_curve(plan)
    year = curve.year
    if as_of.year != year:
        raise ValueError(f"判断日期 {as_of.isoformat()} 不在支出计划年度（{year}年）内")
    remaining = max(curve.year_end_pct - curve.at(as_of), Decimal(0))
    by_plan = spent + budget * remaining / HUNDRED
    elapsed = as_of.timetuple().tm_yday
    by_run_rate = spent * days_in_year(year) / elapsed
    return Forecast(
        by_plan=by_plan,
        by_run_rate=by_run_rate,
        remaining_plan_pct=remaining,
        carry_over_by_plan=budget - by_plan,
        carry_over_by_run_rate=budget - by_run_rate,
    )
