"""Results side of 双监控: the colour of each 绩效指标 from what has been reported so far.

Rules (DOMAIN §2; thresholds and 序时进度 method from ``MonitoringSettings``):

- Positive (≥, >, =, no operator).  Counts accumulate, levels do not (``is_level``): a
  count is prorated, v = 当前值 ÷ (年度指标值 × 序时进度) × 100; a level (unit %, a rate, ratio
  or score, every ``=``) is compared with the annual value, v = 当前值 ÷ 年度指标值 × 100 →
  red v < 60, yellow 60 ≤ v < 80, green 80 ≤ v < 120, blue v ≥ 120.  A reported 0 is red.
  Decisions: 年度指标值 0 → green when 当前值 ≥ 0 (already met), red below; a negative
  年度指标值 cannot be measured by progress → grey.
- Reverse (≤, <, or kind 'reverse'): 当前值 within the target → green, else red; ``<`` is
  strict (当前值 = 指标值 is red), ``≤`` and no operator are not.
- Qualitative: 达成 → green, 部分达成 → yellow, 未达成 → red.
- Deadline: completed on or before the deadline → green 已完成; completed after it → red
  逾期完成; not completed and as_of ≤ deadline → green 按期推进, unless the reporter's
  完成目标可能性 says 有可能 (yellow) or 完全不可能 (red); not completed and as_of > deadline →
  red 逾期.  A completion date after ``as_of`` is not counted yet.  No deadline date could
  be derived → grey.
- Nothing reported (no 当前值 / no choice) → grey 未填报, never red; once ``as_of`` is after
  the reporting deadline (the deadline day itself is still on time) → yellow 逾期未填报
  (``report_overdue``).

``indicator_status`` judges a ``ReportedIndicator``; ``judge_indicator`` takes the same values
as plain arguments (for monitoring 100,000 indicators without building a dataclass each) and
is where the rules live.  Statuses that carry nothing of the indicator (未填报, 在指标值以内,
a qualitative colour, a deadline state) are shared frozen instances.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Iterable, Literal

from tracker.core.achievement import parse_achievement
from tracker.core.labels import COLOUR_LABELS, LIKELIHOODS
from tracker.core.plan import time_progress
from tracker.core.settings import MonitoringSettings
from tracker.core.status import Colour, worst_colour

IndicatorKind = Literal["quantitative", "reverse", "qualitative", "deadline"]
Operator = Literal[">=", "<=", "=", ">", "<"]

HUNDRED = Decimal(100)
OPERATORS: tuple[str, ...] = (">=", "<=", "=", ">", "<")
REVERSE_OPERATORS: tuple[str, ...] = ("<=", "<")
KINDS: tuple[str, ...] = ("quantitative", "reverse", "qualitative", "deadline")

#: Units of a level (compared with the annual value, never prorated): percent, per mille, score.
LEVEL_UNITS: frozenset[str] = frozenset({"%", "％", "百分比", "‰", "分"})
#: Words of a level in an indicator's name: …率, …度 (not 年度/季度/月度), 指数, 评分, 得分.
_LEVEL_NAME = re.compile(r"率|(?<![年季月])度|指数|评分|得分")

#: 完成目标可能性 (code or the form's word) → the colour of a deadline not yet due.
_LIKELIHOOD_COLOURS: dict[str, Colour] = {
    "certain": "green", "确定能": "green",
    "possible": "yellow", "有可能": "yellow",
    "impossible": "red", "完全不可能": "red",
}


def is_level(operator: str | None, unit: str | None, name: str | None) -> bool:
    """True when a positive indicator is a **level**, compared with the full annual value at
    any date; False for a count, prorated by 序时进度.

    DOMAIN §2: "Counts accumulate, levels do not.  A positive indicator whose unit counts
    things or money (个 家 项 次 人 户 篇 万元 …) is prorated … A level — unit % (百分比), or a
    rate, ratio or score (…率, …度, 满意度, 合格率, 覆盖率), and every ``=`` indicator — is
    compared with the full annual value at any date."

    Level: operator ``=``; unit %, 百分比, ‰ or 分; a compound unit (``10万元/家``: a rate); or a
    name with 率, 度 (not 年度/季度/月度), 指数, 评分 or 得分.  Everything else is a count
    (decision: an unknown unit such as 天 or 年 keeps being prorated).
    """
    if operator == "=":
        return True
    if unit is not None and (unit.strip() in LEVEL_UNITS or "/" in unit):
        return True
    return name is not None and _LEVEL_NAME.search(name) is not None


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
    unit: str | None = None
    name: str | None = None
    likelihood: str | None = None  # the reporter's 完成目标可能性 (code or word)

    def __post_init__(self) -> None:
        _check(self.kind, self.operator, self.target)

    @property
    def is_level(self) -> bool:
        """A level, not prorated (``is_level``)."""
        return is_level(self.operator, self.unit, self.name)

    @property
    def is_reverse(self) -> bool:
        """反向指标: kind 'reverse', or a quantitative indicator with ≤ / <."""
        return self.kind == "reverse" or (
            self.kind == "quantitative" and self.operator in REVERSE_OPERATORS
        )


@dataclass(frozen=True)
class IndicatorStatus:
    """Colour of one indicator at ``as_of``.

    ``expected`` = 年度指标值 × 序时进度 ÷ 100 (a level: 年度指标值) and ``ratio`` = v, for positive indicators only.
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

    Positive count: v = 当前值 ÷ (年度指标值 × 序时进度 ÷ 100) × 100, 序时进度 per
    ``settings.time_progress_method`` (``time_progress``); positive level: v = 当前值 ÷
    年度指标值 × 100.
    """
    return judge_indicator(
        indicator.kind, indicator.operator, indicator.target, indicator.deadline,
        indicator.current, indicator.achievement, indicator.completed_on,
        as_of, settings, reporting_deadline,
        level=indicator.is_level, likelihood=indicator.likelihood,
    )


def judge_indicator(
    kind: str,
    operator: str | None,
    target: Decimal | None,
    deadline: date | None,
    current: Decimal | None,
    achievement: str | None,
    completed_on: date | None,
    as_of: date,
    settings: MonitoringSettings,
    reporting_deadline: date | None = None,
    *,
    level: bool = False,
    likelihood: str | None = None,
) -> IndicatorStatus:
    """``indicator_status(ReportedIndicator(kind, operator, target, current, achievement,
    deadline, completed_on, …), as_of, settings, reporting_deadline)`` without building the
    ``ReportedIndicator``: the same checks (the same ``ValueError``), the same rules, an equal
    status.  The indicator's own values come first (kind, operator, target, deadline), then
    what was reported (current, achievement, completed_on); ``level`` = ``is_level(operator,
    unit, name)`` of the indicator, ``likelihood`` the reporter's 完成目标可能性.  For judging many indicators at
    once (monitoring every project); the one place the rules are applied."""
    _check(kind, operator, target)
    if kind == "quantitative" and current is not None and operator not in REVERSE_OPERATORS:
        return _positive_status(target, current, as_of, settings, level)  # type: ignore[arg-type]  # most
    if kind == "deadline":
        return _deadline_status(deadline, completed_on, as_of, likelihood)
    if kind == "qualitative":
        if achievement is None or not achievement.strip():
            return _not_reported(as_of, reporting_deadline)
        return _ACHIEVEMENT_STATUSES[parse_achievement(achievement)]
    if current is None:
        return _not_reported(as_of, reporting_deadline)
    if kind == "reverse" or operator in REVERSE_OPERATORS:  # ReportedIndicator.is_reverse
        return _reverse_status(operator, target, current)  # type: ignore[arg-type]
    return _positive_status(target, current, as_of, settings, level)  # type: ignore[arg-type]


def _check(kind: str, operator: str | None, target: Decimal | None) -> None:
    """What makes a ``ReportedIndicator`` valid (``ValueError`` in Chinese otherwise)."""
    if kind not in KINDS:
        raise ValueError(f"未知的指标类型：“{kind}”")
    if operator is not None and operator not in OPERATORS:
        raise ValueError(f"未知的指标运算符：“{operator}”")
    if kind == "reverse" and operator not in (None, *REVERSE_OPERATORS):
        raise ValueError(f"反向指标的运算符应为 ≤ 或 <，当前为“{operator}”")
    if kind in ("quantitative", "reverse") and target is None:
        raise ValueError("定量指标缺少年度指标值")


def results_status(statuses: Iterable[IndicatorStatus]) -> Colour:
    """Project result status = worst indicator colour (red > yellow > green > blue); grey
    (未填报) is ignored unless every indicator is grey (or there are none).  An indicator
    unreported after the reporting deadline is already yellow 逾期未填报."""
    return worst_colour(status.colour for status in statuses)


# Statuses that carry nothing of the indicator: one shared (frozen) instance each.
_NOT_REPORTED = IndicatorStatus("grey", "未填报")
_NOT_REPORTED_OVERDUE = IndicatorStatus("yellow", "逾期未填报", report_overdue=True)
_ACHIEVEMENT_STATUSES: dict[str, IndicatorStatus] = {
    level: IndicatorStatus(colour, COLOUR_LABELS[colour]) for level, colour in _ACHIEVEMENT_COLOURS.items()
}
_NEGATIVE_TARGET = IndicatorStatus("grey", COLOUR_LABELS["grey"], note="年度指标值为负数，无法按进度判断")
_ZERO_TARGET: dict[bool, IndicatorStatus] = {
    met: IndicatorStatus(colour, COLOUR_LABELS[colour], note="年度指标值为0")
    for met, colour in ((True, "green"), (False, "red"))
}
_WITHIN = IndicatorStatus("green", COLOUR_LABELS["green"], note="在指标值以内")
_BEYOND = IndicatorStatus("red", COLOUR_LABELS["red"], note="超出指标值")
_NO_DEADLINE = IndicatorStatus("grey", COLOUR_LABELS["grey"], note="未能确定完成时限")
_LATE_NOTE = "完成日期晚于判断日，按未完成判断"
_DEADLINE_STATUSES: dict[tuple[str, str, str | None], IndicatorStatus] = {
    (colour, label, note): IndicatorStatus(colour, label, note=note)
    for colour, label in (("green", "已完成"), ("red", "逾期完成"), ("green", "按期推进"), ("red", "逾期"),
                          ("yellow", f"完成目标可能性：{LIKELIHOODS['possible']}"),
                          ("red", f"完成目标可能性：{LIKELIHOODS['impossible']}"))
    for note in (None, _LATE_NOTE)
}
_LIKELIHOOD_LABELS: dict[str, str] = {
    "green": "按期推进", "yellow": f"完成目标可能性：{LIKELIHOODS['possible']}",
    "red": f"完成目标可能性：{LIKELIHOODS['impossible']}"}


def _not_reported(as_of: date, reporting_deadline: date | None) -> IndicatorStatus:
    if reporting_deadline is not None and as_of > reporting_deadline:
        return _NOT_REPORTED_OVERDUE
    return _NOT_REPORTED


def _positive_status(
    target: Decimal, current: Decimal, as_of: date, settings: MonitoringSettings, level: bool
) -> IndicatorStatus:
    if target < 0:
        return _NEGATIVE_TARGET
    if target == 0:
        return _ZERO_TARGET[current >= 0]
    expected = target if level else target * time_progress(as_of, settings.time_progress_method) / HUNDRED
    ratio = current * HUNDRED / expected
    if ratio < settings.red_below:
        colour: Colour = "red"
    elif ratio < settings.yellow_below:
        colour = "yellow"
    elif ratio < settings.blue_from:
        colour = "green"
    else:
        colour = "blue"
    note = "已填报完成值为0" if current == 0 else None
    return IndicatorStatus(colour, COLOUR_LABELS[colour], ratio, expected, False, note)


def _reverse_status(operator: str | None, target: Decimal, current: Decimal) -> IndicatorStatus:
    within = current < target if operator == "<" else current <= target
    return _WITHIN if within else _BEYOND


def _deadline_status(deadline: date | None, completed_on: date | None, as_of: date,
                     likelihood: str | None) -> IndicatorStatus:
    if deadline is None:
        return _NO_DEADLINE
    note = None
    if completed_on is not None and completed_on > as_of:
        completed_on, note = None, _LATE_NOTE
    if completed_on is not None:
        if completed_on <= deadline:
            return _DEADLINE_STATUSES["green", "已完成", None]
        return _DEADLINE_STATUSES["red", "逾期完成", None]
    if as_of <= deadline:
        colour = _LIKELIHOOD_COLOURS.get((likelihood or "").strip(), "green")
        return _DEADLINE_STATUSES[colour, _LIKELIHOOD_LABELS[colour], note]
    return _DEADLINE_STATUSES["red", "逾期", note]
