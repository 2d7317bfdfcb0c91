"""全年预计执行数 (year-end forecast) and 预计结转结余 (expected carry-over), DOMAIN §2:

"全年预计执行数 (forecast), two ways shown side by side: by plan = spent + 全年预算数 × (100% −
planned%); by run rate = spent ÷ 序时进度.  Each is capped at 全年预算数 (spending cannot exceed
the budget; a forecast that reaches the cap is flagged 超计划支出).  预计结转结余 = 全年预算数 −
forecast, never negative."

Decisions where DOMAIN is silent:

- "reaches the cap" = the uncapped forecast is above 全年预算数 (a plan followed exactly
  forecasts the budget itself, which is not 超计划支出).
- When what is already spent exceeds 全年预算数 (超支), the forecast is what was spent: a
  year-end figure below the money already gone would be untrue.  It is flagged.
- 100% − planned% is floored at 0; a negative net spend (红字 only) forecasts as computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tracker.core.plan import Plan, plan_curve, time_progress
from tracker.core.settings import TimeProgressMethod

HUNDRED = Decimal(100)
ZERO = Decimal(0)

#: The flag's word on pages, workbooks and the CLI.
OVER_PLAN_LABEL = "超计划支出"


@dataclass(frozen=True)
class Forecast:
    """Both year-end forecasts (each capped), the carry-over each implies (never negative)
    and whether each reached the cap (超计划支出).  Same money unit as the inputs."""

    by_plan: Decimal  # 全年预计执行数 by plan
    by_run_rate: Decimal  # 全年预计执行数 by run rate
    remaining_plan_pct: Decimal  # 100% − planned% at as_of, floored at 0
    carry_over_by_plan: Decimal  # 预计结转结余 = budget − by_plan, ≥ 0
    carry_over_by_run_rate: Decimal  # 预计结转结余 = budget − by_run_rate, ≥ 0
    over_plan_by_plan: bool = False  # the by-plan forecast reached the cap: 超计划支出
    over_plan_by_run_rate: bool = False  # the run-rate forecast reached the cap: 超计划支出


def capped_forecast(uncapped: Decimal, spent: Decimal, budget: Decimal) -> tuple[Decimal, bool]:
    """(forecast capped at 全年预算数, reached the cap).  Never below ``spent`` when that already
    exceeds the budget (then flagged too)."""
    if uncapped <= budget:
        return uncapped, False
    return max(budget, spent), True


def forecast_year_end(spent: Decimal, budget: Decimal, plan: Plan, as_of: date,
                      method: TimeProgressMethod = "month") -> Forecast:
    """全年预计执行数 and 预计结转结余 at ``as_of`` (module docstring for the rules):

    by plan:      spent + 全年预算数 × max(100 − planned%(as_of), 0) ÷ 100;
    by run rate:  spent ÷ 序时进度(as_of) × 100 (``time_progress(as_of, method)``);
    each capped at 全年预算数 (flag 超计划支出); 预计结转结余 = max(全年预算数 − forecast, 0).

    ``as_of`` must fall in the plan's year.  ``plan``: checkpoints or a ``PlanCurve``.
    """
    curve = plan_curve(plan)
    if as_of.year != curve.year:
        raise ValueError(f"判断日期 {as_of.isoformat()} 不在支出计划年度（{curve.year}年）内")
    remaining = max(HUNDRED - curve.at(as_of), ZERO)
    by_plan, plan_over = capped_forecast(spent + budget * remaining / HUNDRED, spent, budget)
    by_run_rate, run_over = capped_forecast(spent * HUNDRED / time_progress(as_of, method), spent, budget)
    return Forecast(
        by_plan=by_plan,
        by_run_rate=by_run_rate,
        remaining_plan_pct=remaining,
        carry_over_by_plan=max(budget - by_plan, ZERO),
        carry_over_by_run_rate=max(budget - by_run_rate, ZERO),
        over_plan_by_plan=plan_over,
        over_plan_by_run_rate=run_over,
    )
