"""资金支出计划 (spending plan) as a curve, and 序时进度 (time-elapsed progress).

Conventions (DOMAIN is silent on the first two):

- A checkpoint's percent is the cumulative plan at the **end** of its date, and the curve
  starts at 0% at the **start** of 1 January (= end of 31 December of the previous year).
  With this origin the day-based 序时进度 curve is exactly one checkpoint (12-31, 100%).
- Between checkpoints the curve is linear in calendar days; after the last checkpoint it
  stays constant; before the year it is 0%.
- Percentages are on the 0–100 scale, full ``Decimal`` precision.
- A non-monotonic plan is interpolated as given; ``monotone_envelope`` is for the caller to
  apply when the importer flagged the plan.

A plan read at many dates (monitoring every project) is checked and put in order once as a
``PlanCurve``; the functions taking a sequence of checkpoints build one and read it.
"""

from __future__ import annotations

import calendar
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Iterable, Sequence

from tracker.core.settings import MonitoringSettings, TimeProgressMethod

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class PlanCheckpoint:
    """Cumulative planned spending at the end of ``checkpoint``, in percent of 全年预算数."""

    checkpoint: date
    cumulative_pct: Decimal


def month_end(year: int, month: int) -> date:
    """The last day of ``month`` (3月底 = 03-31, 第二季度 = 06-30)."""
    return date(year, month, calendar.monthrange(year, month)[1])


def days_in_year(year: int) -> int:
    """365, or 366 in a leap year."""
    return 366 if calendar.isleap(year) else 365


@lru_cache(maxsize=1024)  # a pure function of its argument, asked once per indicator judged
def time_elapsed_progress(as_of: date) -> Decimal:
    """序时进度 (time-elapsed progress) in percent at the end of ``as_of`` (DOMAIN §2 "Curves").

    k/12 × 100 at the end of month k, 0 at the end of 31 December of the previous year,
    linear in calendar days in between: on day d of month m (of D days),
    (m − 1 + d ÷ D) ÷ 12 × 100 — 50.00% on 30 June, 37.37% on 15 May.  The one function for
    every use of 序时进度: the default plan, prorating indicators, the cockpit.  It reads the
    curve of the twelve month-end points (``default_plan(year, "month")``), so the default plan
    and 序时进度 are the same numbers to the last digit.
    """
    return _time_elapsed_curve(as_of.year).at(as_of)


@lru_cache(maxsize=16)
def _time_elapsed_curve(year: int) -> PlanCurve:
    """序时进度 of ``year`` as a curve: k/12 × 100 at the end of month k."""
    return PlanCurve(tuple(PlanCheckpoint(month_end(year, m), Decimal(m) * HUNDRED / 12) for m in range(1, 13)))


@lru_cache(maxsize=1024)  # a pure function of its arguments, asked once per indicator judged
def time_progress(as_of: date, method: TimeProgressMethod) -> Decimal:
    """序时进度 (time-elapsed progress) in percent, by the setting ``time_progress_method``.

    ``"month"`` (the default, DOMAIN): ``time_elapsed_progress`` — k/12 at the end of month k,
    linear by day between month ends.
    ``"day"`` (a provincial variant): day-of-year ÷ (365 or 366) × 100, 1 January counting 1.
    """
    if method == "month":
        return time_elapsed_progress(as_of)
    if method == "day":
        return Decimal(as_of.timetuple().tm_yday) * HUNDRED / days_in_year(as_of.year)
    raise ValueError(f"序时进度计算方式应为“month”或“day”，当前为“{method}”")


def default_plan(year: int, method: TimeProgressMethod) -> tuple[PlanCheckpoint, ...]:
    """Default 资金支出计划 = 序时进度.

    ``"month"``: twelve month-end checkpoints at m ÷ 12 × 100: read as a curve this is
    exactly ``time_elapsed_progress`` (linear by day between month ends).
    ``"day"``: one checkpoint, 12-31 at 100%; with the 1-January origin the curve is then
    day-of-year ÷ days-in-year × 100, exactly ``time_progress(d, "day")``.
    """
    if method == "month":
        return _time_elapsed_curve(year).points
    if method == "day":
        return (PlanCheckpoint(date(year, 12, 31), HUNDRED),)
    raise ValueError(f"序时进度计算方式应为“month”或“day”，当前为“{method}”")


def month_end_plan(
    year: int, points: Sequence[tuple[int, Decimal]]
) -> tuple[PlanCheckpoint, ...]:
    """A plan from (month, cumulative %) pairs, each at its month end (3月底/6月底/10月底/12月底)."""
    return tuple(PlanCheckpoint(month_end(year, month), pct) for month, pct in points)


def default_plan_for(year: int, settings: MonitoringSettings) -> tuple[PlanCheckpoint, ...]:
    """The plan used when a project has none: ``settings.default_plan`` at month ends, or
    序时进度 (``default_plan(year, settings.time_progress_method)``) when that is ``None``."""
    if settings.default_plan is None:
        return default_plan(year, settings.time_progress_method)
    return month_end_plan(year, settings.default_plan)


def monitoring_cutoff(year: int, settings: MonitoringSettings) -> date:
    """Cut-off date of the 绩效运行监控 round: the end of month N (``monitoring_month``)."""
    return month_end(year, settings.monitoring_month)


def sorted_plan(plan: Sequence[PlanCheckpoint]) -> tuple[PlanCheckpoint, ...]:
    """The checkpoints in date order, after checking they form one year's plan.

    Raises ``ValueError`` when the plan is empty, spans several years, repeats a date or has
    a negative percent.
    """
    if not plan:
        raise ValueError("资金支出计划为空，请使用默认计划（序时进度）")
    points = tuple(sorted(plan, key=lambda p: p.checkpoint))
    years = {p.checkpoint.year for p in points}
    if len(years) != 1:
        raise ValueError(f"资金支出计划的节点应在同一年度内，当前涉及 {sorted(years)} 年")
    dates = [p.checkpoint for p in points]
    if len(set(dates)) != len(dates):
        raise ValueError("资金支出计划中有重复的节点日期")
    if any(p.cumulative_pct < 0 for p in points):
        raise ValueError("资金支出计划的累计百分比不能为负数")
    return points


@dataclass(frozen=True)
class PlanCurve:
    """A 资金支出计划 checked and put in date order once (``sorted_plan``), to be read at
    many dates: ``at(d)`` is ``planned_pct(plan, d)`` without sorting and checking again.

    Raises ``ValueError`` like ``sorted_plan`` for an empty, multi-year, repeated-date or
    negative plan.
    """

    points: tuple[PlanCheckpoint, ...]
    year: int = field(init=False, compare=False)
    year_end_pct: Decimal = field(init=False, compare=False, repr=False)  # plan at 12-31
    _origin: int = field(init=False, compare=False, repr=False)  # ordinal of 31 Dec before
    _days: tuple[int, ...] = field(init=False, compare=False, repr=False)  # date ordinals

    def __post_init__(self) -> None:
        points = sorted_plan(self.points)
        year = points[0].checkpoint.year
        set_field = object.__setattr__  # frozen: fields derived once, here
        set_field(self, "points", points)
        set_field(self, "year", year)
        set_field(self, "_origin", date(year - 1, 12, 31).toordinal())
        set_field(self, "_days", tuple(p.checkpoint.toordinal() for p in points))
        set_field(self, "year_end_pct", self.at(date(year, 12, 31)))

    def at(self, as_of: date) -> Decimal:
        """Planned cumulative percent at the end of ``as_of`` (formula: ``planned_pct``)."""
        day = as_of.toordinal()
        if day <= self._origin:
            return Decimal(0)
        index = bisect_left(self._days, day)  # the first checkpoint on or after as_of
        if index == len(self._days):
            return self.points[-1].cumulative_pct
        if self._days[index] == day:  # on a checkpoint: its own percent, exactly
            return self.points[index].cumulative_pct
        if index:
            previous_day, previous_pct = self._days[index - 1], self.points[index - 1].cumulative_pct
        else:
            previous_day, previous_pct = self._origin, Decimal(0)
        span = self._days[index] - previous_day
        return previous_pct + (self.points[index].cumulative_pct - previous_pct) * (day - previous_day) / span

    @property
    def is_monotone(self) -> bool:
        """True when every checkpoint's cumulative percent is ≥ the one before."""
        points = self.points
        return all(a.cumulative_pct <= b.cumulative_pct for a, b in zip(points, points[1:]))

    def monotone_envelope(self) -> PlanCurve:
        """The running maximum pᵢ' = max(p₁ … pᵢ) (see ``monotone_envelope``)."""
        envelope: list[PlanCheckpoint] = []
        highest = Decimal(0)
        for point in self.points:
            highest = max(highest, point.cumulative_pct)
            envelope.append(PlanCheckpoint(point.checkpoint, highest))
        return PlanCurve(tuple(envelope))


Plan = Sequence[PlanCheckpoint] | PlanCurve


def plan_curve(plan: Plan) -> PlanCurve:
    """``plan`` as a ``PlanCurve`` (itself when it already is one)."""
    return plan if isinstance(plan, PlanCurve) else PlanCurve(tuple(plan))


def planned_pct(plan: Plan, as_of: date) -> Decimal:
    """Planned cumulative percent (计划累计支出进度) at the end of ``as_of``.

    With checkpoints (d₀ = start of 1 January, 0%), (d₁, p₁) … (dₙ, pₙ):
    for dᵢ < as_of ≤ dᵢ₊₁:  p = pᵢ + (pᵢ₊₁ − pᵢ) × (as_of − dᵢ) ÷ (dᵢ₊₁ − dᵢ)   (days);
    as_of before the year → 0; as_of after dₙ → pₙ.
    """
    return plan_curve(plan).at(as_of)


def is_monotone(plan: Plan) -> bool:
    """True when every checkpoint's cumulative percent is ≥ the one before (a valid 累计 plan)."""
    return plan_curve(plan).is_monotone


def monotone_envelope(plan: Plan) -> tuple[PlanCheckpoint, ...]:
    """The running maximum of a plan: pᵢ' = max(p₁ … pᵢ).

    For a plan flagged as non-monotonic (a cumulative plan cannot go down, e.g. 10月 50% after
    6月 60%): the curve then never expects less than an earlier checkpoint did.
    """
    return plan_curve(plan).monotone_envelope().points


def project_plan(
    points: Iterable[tuple[date, Decimal, bool]], year: int, default: PlanCurve
) -> PlanCurve:
    """A project's plan curve of ``year`` from its stored checkpoints (date, cumulative %,
    blank), as every use reads it (monitoring one project or all, the cockpit).

    DOMAIN §2: "A project's plan curve has its given checkpoints as points (blank ones
    skipped)"; DOMAIN §1: a blank checkpoint is passed "by interpolation between the given
    neighbours, never as 0%".  Points of another year are ignored; no point left → the
    ``default`` plan (序时进度 unless set otherwise); a plan that dips is read as its
    ``monotone_envelope`` (a cumulative plan cannot go down; the importer flagged it).
    """
    own = tuple(PlanCheckpoint(day, pct) for day, pct, blank in points if day.year == year and not blank)
    if not own:
        return default
    curve = PlanCurve(own)
    return curve if curve.is_monotone else curve.monotone_envelope()


def is_blank_checkpoint(raw: str | None) -> bool:
    """True when the target table printed nothing at this checkpoint (the cell was empty:
    stored with its raw text blank), so the plan has no point there."""
    return raw is not None and not raw.strip()
