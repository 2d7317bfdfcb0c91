"""Results side of 双监控: the colour of each 绩效指标 from what has been reported so far.

Rules (DOMAIN §2; thresholds and 序时进度 method from ``MonitoringSettings``):

- Positive (≥, >, =, no operator): v = 当前值 ÷ (年度指标值 × 序时进度) × 100 →
  red v < 60, yellow 60 ≤ v < 80, green 80 ≤ v < 120, blue v ≥ 120.  A reported 0 is red.
  Decisions: 年度指标值 0 → green when 当前值 ≥ 0 (already met), red below; a negative
  年度指标值 cannot be measured by progress → grey.
- Reverse (≤, <, or kind 'reverse'): 当前值 within the target → green, else red; ``<`` is
  strict (当前值 = 指标值 is red), ``≤`` and no operator are not.
- Qualitative: 达成 → green, 部分达成 → yellow, 未达成 → red.
- Deadline: completed on or before the deadline → green 已完成; completed after it → red
  逾期完成; not completed and as_of ≤ deadline → green 进行中 (on course); not completed and
  as_of > deadline → red 已逾期.  A completion date after ``as_of`` is not counted yet.
  No deadline date could be derived → grey.
- Nothing reported (no 当前值 / no choice) → grey 未填报, never red; ``report_overdue`` once
  ``as_of`` is after the reporting deadline (the deadline day itself is still on time).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable, Literal

from tracker.core.achievement import parse_achievement
from tracker.core.plan import time_progress
from tracker.core.settings import MonitoringSettings
from tracker.core.status import COLOUR_LABELS, Colour, worst_colour

IndicatorKind = Literal["quantitative", "reverse", "qualitative", "deadline"]
Operator = Literal[">=", "<=", "=", ">", "<"]

HUNDRED = Decimal(100)
OPERATORS: tuple[str, ...] = (">=", "<=", "=", ">", "<")
REVERSE_OPERATORS: tuple[str, ...] = ("<=", "<")
KINDS: tuple[str, ...] = ("quantitative", "reverse", "qualitative", "deadline")

_ACHIEVEMENT_COLOURS: dict[str, Colour] = {
    "achieved": "green",
    "partial": "yellow",
    "not_achieved": "red",
}


@dataclass(frozen=True)
class ReportedIndicator:
    """One 绩效指标 and what has been reported for it so far.

    ``target`` is the number of the 年度指标值; ``current`` the 当前完成值 (None = nothing
    reported); ``achievement`` the qualitative choice (either wording); ``deadline`` /
    ``completed_on`` for deadline indicators.
    """

    kind: IndicatorKind
    operator: Operator | None = None
    target: Decimal | None = None
    current: Decimal | None = None
    achievement: str | None = None
    deadline: date | None = None
    completed_on: date | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"未知的指标类型：“{self.kind}”")
        if self.operator is not None and self.operator not in OPERATORS:
            raise ValueError(f"未知的指标运算符：“{self.operator}”")
        if self.kind == "reverse" and self.operator not in (None, *REVERSE_OPERATORS):
            raise ValueError(f"反向指标的运算符应为 ≤ 或 <，当前为“{self.operator}”")
        if self.kind in ("quantitative", "reverse") and self.target is None:
            raise ValueError("定量指标缺少年度指标值")

    @property
    def is_reverse(self) -> bool:
        """反向指标: kind 'reverse', or a quantitative indicator with ≤ / <."""
        return self.kind == "reverse" or (
            self.kind == "quantitative" and self.operator in REVERSE_OPERATORS
        )


@dataclass(frozen=True)
class IndicatorStatus:
    """Colour of one indicator at ``as_of``.

    ``expected`` = 年度指标值 × 序时进度 ÷ 100 and ``ratio`` = v, for positive indicators only.
    ``report_overdue``: nothing reported and the reporting deadline has passed.
    """

    colour: Colour
    label: str
    ratio: Decimal | None = None
    expected: Decimal | None = None
    report_overdue: bool = False
    note: str | None = None


def indicator_status(
    indicator: ReportedIndicator,
    as_of: date,
    settings: MonitoringSettings,
    reporting_deadline: date | None = None,
) -> IndicatorStatus:
    """Colour of one 绩效指标 at ``as_of`` (see the module docstring for every rule).

    Positive: v = 当前值 ÷ (年度指标值 × 序时进度 ÷ 100) × 100, 序时进度 = month/12 or
    day/365|366 per ``settings.time_progress_method``.
    """
    if indicator.kind == "deadline":
        return _deadline_status(indicator, as_of)
    if indicator.kind == "qualitative":
        if indicator.achievement is None or not indicator.achievement.strip():
            return _not_reported(as_of, reporting_deadline)
        colour = _ACHIEVEMENT_COLOURS[parse_achievement(indicator.achievement)]
        return IndicatorStatus(colour, COLOUR_LABELS[colour])
    if indicator.current is None:
        return _not_reported(as_of, reporting_deadline)
    if indicator.is_reverse:
        return _reverse_status(indicator)
    return _positive_status(indicator, as_of, settings)


def results_status(statuses: Iterable[IndicatorStatus]) -> Colour:
    """Project result status = worst indicator colour (red > yellow > green > blue); grey
    (未填报) is ignored unless every indicator is grey (or there are none)."""
    return worst_colour(status.colour for status in statuses)


def _not_reported(as_of: date, reporting_deadline: date | None) -> IndicatorStatus:
    overdue = reporting_deadline is not None and as_of > reporting_deadline
    return IndicatorStatus(
        "grey", "未填报（已逾期）" if overdue else "未填报", report_overdue=overdue
    )


def _positive_status(
    indicator: ReportedIndicator, as_of: date, settings: MonitoringSettings
) -> IndicatorStatus:
    target, current = indicator.target, indicator.current
    if target < 0:
        return IndicatorStatus("grey", "无法判断", note="年度指标值为负数，无法按进度判断")
    if target == 0:
        colour: Colour = "green" if current >= 0 else "red"
        return IndicatorStatus(colour, COLOUR_LABELS[colour], note="年度指标值为0")
    expected = target * time_progress(as_of, settings.time_progress_method) / HUNDRED
    ratio = current * HUNDRED / expected
    if ratio < settings.red_below:
        colour = "red"
    elif ratio < settings.yellow_below:
        colour = "yellow"
    elif ratio < settings.blue_from:
        colour = "green"
    else:
        colour = "blue"
    note = "已填报完成值为0" if current == 0 else None
    return IndicatorStatus(colour, COLOUR_LABELS[colour], ratio, expected, note=note)


def _reverse_status(indicator: ReportedIndicator) -> IndicatorStatus:
    if indicator.operator == "<":
        within = indicator.current < indicator.target
    else:
        within = indicator.current <= indicator.target
    if within:
        return IndicatorStatus("green", COLOUR_LABELS["green"], note="在指标值以内")
    return IndicatorStatus("red", COLOUR_LABELS["red"], note="超出指标值")


def _deadline_status(indicator: ReportedIndicator, as_of: date) -> IndicatorStatus:
    deadline, completed_on = indicator.deadline, indicator.completed_on
    if deadline is None:
        return IndicatorStatus("grey", "无法判断", note="未能确定完成时限")
    note = None
    if completed_on is not None and completed_on > as_of:
        completed_on, note = None, "完成日期晚于判断日，按未完成判断"
    if completed_on is not None:
        if completed_on <= deadline:
            return IndicatorStatus("green", "已完成")
        return IndicatorStatus("red", "逾期完成")
    if as_of <= deadline:
        return IndicatorStatus("green", "进行中", note=note)
    return IndicatorStatus("red", "已逾期", note=note)
