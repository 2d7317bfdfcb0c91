"""Money side of 双监控: 执行率 (execution rate) and its status against the plan.

Rules (DOMAIN §2, thresholds from ``MonitoringSettings``), checked in this order:

1. Ledger does not cover the date → grey “台账未覆盖”, never red (even if what is already
   booked exceeds the budget; the note then says so).
2. 全年预算数 = 0 → no 执行率: grey when nothing (or a net negative) was spent, 超支 when
   anything was spent (``judge_money``; ``money_status`` only sees ``None``, which is grey).
3. 执行率 > 100% → 'overspent' (超支, shown red).  Exactly 100% is not overspent.
4. planned 0% → green 未到计划支出时点: nothing was expected yet; spending ahead of a 0% plan
   is not a lag (the note says so).  v is undefined (``None``).
5. v = 执行率 ÷ planned% × 100: v < red_below → red; v < yellow_below → yellow; else green
   (boundaries go to the better colour: 60 → yellow, 80 → green).

A net negative spend (a ledger holding only 红字 reversals) is kept as a negative 执行率 and
judged like any other number (below plan → red).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from tracker.core.labels import MONEY_STATUS_LABELS
from tracker.core.settings import MonitoringSettings
from tracker.core.status import Colour

MoneyStatusName = Literal["red", "yellow", "green", "grey", "overspent"]

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def round_money(value: Decimal) -> Decimal:
    """Round to 分 (0.01), half up (四舍五入, the rounding finance offices use).  For display
    and for the figures a report prints; stored money stays exact."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def decimal_text(value: Decimal) -> str:
    """A number as a person typed it: no exponent, no trailing zeros (100 → "100", never "1E+2";
    12.50 → "12.5")."""
    return f"{value.normalize():f}"


def yuan_to_wan(yuan: Decimal) -> Decimal:
    """元 → 万元, exactly: the decimal point moves four places, nothing is rounded (a workbook
    cell holds this and formats it)."""
    return yuan.scaleb(-4)


def wan_text(yuan: Decimal, *, grouped: bool = False) -> str:
    """元 → 万元 as text, two decimals half up, never “-0.00”: ``Decimal('12345678.90')`` →
    ``'1234.57'``, or ``'1,234.57'`` with ``grouped`` (thousands separated, as pages show it)."""
    rounded = round_money(yuan_to_wan(yuan)) or CENT * 0  # -0.00 → 0.00
    return f"{rounded:,}" if grouped else str(rounded)

@dataclass(frozen=True)
class MoneyStatus:
    """Result of judging 执行率 against the planned cumulative percent at one date.

    ``ratio`` = v (None when it cannot be computed), ``gap_points`` = planned% − 执行率 in
    percentage points (positive = behind plan; None without a 执行率).
    """

    status: MoneyStatusName
    execution_rate: Decimal | None
    planned_pct: Decimal
    ratio: Decimal | None
    gap_points: Decimal | None
    note: str | None = None

    @property
    def colour(self) -> Colour:
        """The traffic-light colour: 超支 shows red; the others are themselves."""
        return "red" if self.status == "overspent" else self.status

    @property
    def label(self) -> str:
        """The Chinese word for the status (红灯 / 黄灯 / 绿灯 / 无法判断 / 超支)."""
        return MONEY_STATUS_LABELS[self.status]


def execution_rate(spent: Decimal, budget: Decimal) -> Decimal | None:
    """执行率 (支出进度) = 累计支出 ÷ 全年预算数 × 100, in percent.

    ``None`` when the budget is 0; a negative budget is an error.  A net negative spend
    gives a negative rate.
    """
    if budget < 0:
        raise ValueError(f"全年预算数不能为负数，当前为 {budget}")
    if budget == 0:
        return None
    return spent * HUNDRED / budget


def ledger_covers(closed_through: date | None, checkpoint: date) -> bool:
    """A checkpoint is judged only when the ledger is closed through it (台账截止日 ≥ 节点日)."""
    return closed_through is not None and closed_through >= checkpoint


def money_status(
    actual_pct: Decimal | None,
    planned_pct: Decimal,
    settings: MonitoringSettings,
    ledger_covered: bool,
) -> MoneyStatus:
    """Status of 执行率 ``actual_pct`` against planned cumulative ``planned_pct`` (both %).

    v = 执行率 ÷ 计划进度 × 100; red v < 60, yellow 60 ≤ v < 80, green v ≥ 80 (settings);
    执行率 > 100% → 超支; planned 0% → green; ``actual_pct`` None (budget 0) → grey;
    ledger not covering the date → grey “台账未覆盖”.  Gap = 计划进度 − 执行率 (points).
    """
    if planned_pct < 0:
        raise ValueError(f"计划进度不能为负数，当前为 {planned_pct}")
    gap = None if actual_pct is None else planned_pct - actual_pct
    ratio = None if actual_pct is None or planned_pct == 0 else actual_pct * HUNDRED / planned_pct

    def result(status: MoneyStatusName, note: str | None = None) -> MoneyStatus:
        return MoneyStatus(status, actual_pct, planned_pct, ratio, gap, note)

    if not ledger_covered:
        note = "台账未覆盖"
        if actual_pct is not None and actual_pct > HUNDRED:
            note += "；已入账支出已超过全年预算数"
        return result("grey", note)
    if actual_pct is None:
        return result("grey", "全年预算数为0，无法计算执行率")
    if actual_pct > HUNDRED:
        return result("overspent", "执行率超过100%（超支）")
    if planned_pct == 0:  # DOMAIN §2: "planned% = 0 → green, shown as 未到计划支出时点"
        if actual_pct > 0:
            return result("green", "未到计划支出时点（已提前支出，不属于进度滞后）")
        return result("green", "未到计划支出时点")
    if ratio < settings.red_below:
        return result("red")
    if ratio < settings.yellow_below:
        return result("yellow")
    return result("green")


def judge_money(
    spent: Decimal,
    budget: Decimal,
    planned_pct: Decimal,
    settings: MonitoringSettings,
    ledger_covered: bool,
) -> MoneyStatus:
    """``money_status`` from the amounts: 执行率 = spent ÷ budget × 100.

    With budget 0 a positive spend is 超支 (spending without a budget), otherwise grey.
    """
    rate = execution_rate(spent, budget)
    status = money_status(rate, planned_pct, settings, ledger_covered)
    if rate is None and ledger_covered and spent > 0:
        return replace(status, status="overspent", note="全年预算数为0但已有支出（超支）")
    return status
