"""年终自评 formulas for one indicator, 执行率得分, the grade, and display rounding (DOMAIN §3).

A = 实际完成值, T = 年度指标值, W = 分值 (weight).  Scores keep full ``Decimal`` precision;
``round_score`` (2 places, ROUND_HALF_UP) is for display and for the grade only.

Decisions where DOMAIN is silent:

- positive, T ≤ 0: all or nothing — A ≥ T → W, else 0 (A/T means nothing there).
  A negative A with T > 0 scores 0, never below.
- ``=``: T > 0 scores as positive (DOMAIN); T ≤ 0 (e.g. 安全事故 = 0) → A = T → W, else 0.
- reverse: the DOMAIN formula as written; ``<`` scores like ``≤`` (at A = T both give W).
  T = 0 → A ≤ 0 → W, else 0 (the middle band is empty); T < 0 → A ≤ T → W, else 0.
- over-achievement (A ≥ 130% of T, needs an explanation) only for positive indicators
  (incl. ``=``) with T > 0: a reverse indicator overshooting its ceiling already loses marks.
- qualitative: default = top of the band.  For the closed band 达成 that is W; the other two
  bands are open at the top, so their default is the top minus 0.01 point (the smallest
  displayed step; e.g. W = 10: 部分达成 → 7.99, 未达成 → 5.99), never below the band's bottom.
  An edited score must lie inside the band.  W = 0 → the only score is 0.
- deadline indicator: completed on or before its deadline → W, otherwise 0 (a deadline
  indicator without a date must be scored as qualitative by the caller).
- 执行率得分: the rate is clamped to [0, 100%]; 全年预算数 0 → 0 points.
- grade is taken from the total rounded for display, so the shown score and grade agree
  (89.995 → 90.00 → 优).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from tracker.core.achievement import parse_achievement
from tracker.core.labels import ACHIEVEMENT_LABELS
from tracker.core.money import CENT, round_money
from tracker.core.settings import EvaluationSettings

Grade = Literal["优", "良", "中", "差"]

HUNDRED = Decimal(100)


def round_score(value: Decimal) -> Decimal:
    """Display rounding: 2 decimal places, ROUND_HALF_UP (四舍五入), as money is rounded."""
    return round_money(value)


def execution_score(spent: Decimal, budget: Decimal, weight: Decimal) -> Decimal:
    """执行率得分 = min(全年执行数 ÷ 全年预算数, 100%) × 分值, the rate floored at 0.

    全年预算数 0 → 0 (nothing to execute against); negative budget is an error.
    """
    if budget < 0:
        raise ValueError(f"全年预算数不能为负数，当前为 {budget}")
    if budget == 0:
        return Decimal(0)
    rate = min(max(spent / budget, Decimal(0)), Decimal(1))
    return rate * weight


def positive_score(actual: Decimal, target: Decimal, weight: Decimal) -> Decimal:
    """正向指标得分: A ≥ T → W, else A ÷ T × W (A < 0 → 0); T ≤ 0: A ≥ T → W, else 0."""
    if actual >= target:
        return weight
    if target <= 0 or actual <= 0:
        return Decimal(0)
    return actual / target * weight


def reverse_score(actual: Decimal, target: Decimal, weight: Decimal) -> Decimal:
    """反向指标得分: A ≤ T → W; T < A < 2T → (1 − (A − T) ÷ T) × W; A ≥ 2T → 0."""
    if actual <= target:
        return weight
    if actual < 2 * target:
        return (1 - (actual - target) / target) * weight
    return Decimal(0)


def exact_score(actual: Decimal, target: Decimal, weight: Decimal) -> Decimal:
    """``=`` 指标得分: T > 0 → as positive; T ≤ 0 → A = T → W, else 0."""
    if target > 0:
        return positive_score(actual, target, weight)
    return weight if actual == target else Decimal(0)


def is_over_achieved(actual: Decimal, target: Decimal, settings: EvaluationSettings) -> bool:
    """Positive indicator with T > 0 and A ≥ T × 130% (``over_achievement_from``): the target
    may have been set too low, an explanation is required."""
    return target > 0 and actual >= target * settings.over_achievement_from / HUNDRED


@dataclass(frozen=True)
class ScoreBand:
    """Allowed 得分 of a qualitative indicator: [low, high] or [low, high), and its default."""

    low: Decimal
    high: Decimal
    high_inclusive: bool
    default: Decimal

    def contains(self, score: Decimal) -> bool:
        """True when ``score`` lies in the band (W = 0: only 0)."""
        if self.low == self.high:
            return score == self.low
        if self.high_inclusive:
            return self.low <= score <= self.high
        return self.low <= score < self.high

    def __str__(self) -> str:
        closing = "]" if self.high_inclusive else ")"
        return f"[{self.low}, {self.high}{closing}"


def qualitative_band(achievement: str, weight: Decimal, settings: EvaluationSettings) -> ScoreBand:
    """定性指标得分档次, in points of W (percent bounds from settings):
    达成年度指标 [80%, 100%] × W; 部分达成年度指标并具有一定效果 [60%, 80%) × W;
    未达成年度指标且效果较差 [0, 60%) × W.  Default = top (open band: top − 0.01, ≥ bottom).
    """
    level = parse_achievement(achievement)
    achieved_low = weight * settings.achieved_from / HUNDRED
    partial_low = weight * settings.partial_from / HUNDRED
    if level == "achieved":
        return ScoreBand(achieved_low, weight, True, weight)
    low, high = (partial_low, achieved_low) if level == "partial" else (Decimal(0), partial_low)
    return ScoreBand(low, high, False, max(high - CENT, low))


def qualitative_score(
    achievement: str,
    weight: Decimal,
    settings: EvaluationSettings,
    edited: Decimal | None = None,
) -> Decimal:
    """定性指标得分: the edited score when given (must lie in the band), else the band default."""
    band = qualitative_band(achievement, weight, settings)
    if edited is None:
        return band.default
    if not band.contains(edited):
        label = ACHIEVEMENT_LABELS[parse_achievement(achievement)]
        raise ValueError(f"“{label}”的得分应在 {band} 之间，当前为 {edited}")
    return edited


def deadline_score(deadline: date, completed_on: date | None, weight: Decimal) -> Decimal:
    """时限指标得分: completed on or before the deadline → W, otherwise 0."""
    return weight if completed_on is not None and completed_on <= deadline else Decimal(0)


def grade(total: Decimal, settings: EvaluationSettings) -> Grade:
    """等级 from the total rounded to 2 places: 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, else 差 (settings)."""
    shown = round_score(total)
    if shown >= settings.excellent_from:
        return "优"
    if shown >= settings.good_from:
        return "良"
    if shown >= settings.fair_from:
        return "中"
    return "差"
