"""What a page opens on when nothing was asked: the year, and the date within it.

- Year: this year when it has projects the user sees, else the newest earlier year with
  projects, else the newest year.
- Date: the latest date the ledgers cover — the newest ``closed_through`` among the units
  shown, kept inside the year and not after today (for this year).  A date no ledger
  covers would show every project as 无法判断, so it is used only when no ledger of the
  year has been imported (then today for this year, 12-31 of a past year).

The cockpit (``services.cockpit.choose``), the 运行监控 overview and the progress form open
on this date; the page says which date it shows and why (``OpeningDate.note``), and offers the
standard checkpoints as one-click choices (``checkpoint_choices``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from tracker.services.monitoring.pages import default_as_of
from tracker.services.monitoring.projects import STANDARD_CHECKPOINTS
from tracker.services.spending import ledger_closed_through

CHECKPOINT_LABELS = {3: "3月底", 6: "6月底", 10: "10月底", 12: "12月底"}


def default_year(years: Sequence[int], today: date) -> int | None:
    """The year to open on among ``years`` (those with projects); None when there are none."""
    if not years:
        return None
    if today.year in years:
        return today.year
    earlier = [y for y in years if y < today.year]
    return max(earlier) if earlier else max(years)


@dataclass(frozen=True)
class OpeningDate:
    """The date a page opens on, and why: ``basis`` "ledger" (the newest date a unit's
    ledger covers; ``covered`` of ``units`` units reach it) or "no_ledger"."""

    as_of: date
    basis: str
    covered: int
    units: int

    @property
    def reason(self) -> str:
        """Why this date, in a few words (for a form's default date)."""
        if self.basis == "ledger":
            return "已导入台账覆盖到的最新日期"
        return "尚无本年度台账，取项目年度内不晚于今天的最后一天"

    @property
    def note(self) -> str:
        day = self.as_of.isoformat()
        if self.basis == "ledger":
            if self.covered == self.units:
                return (f"显示截至 {day} 的情况：这是已导入台账覆盖到的最新日期"
                        f"（{self.units} 个单位的台账均已覆盖）。")
            return (f"显示截至 {day} 的情况：这是已导入台账覆盖到的最新日期；"
                    f"{self.units} 个单位中 {self.covered} 个的台账已覆盖此日，"
                    f"其余 {self.units - self.covered} 个单位的项目资金状态显示为无法判断。")
        return (f"{self.as_of.year} 年还没有导入覆盖本年度的台账，按 {day} 显示，资金状态均无法判断；"
                "导入台账后将默认显示台账覆盖到的最新日期。")


def opening_date(session: Session, year: int, unit_ids: Iterable[int], today: date) -> OpeningDate:
    """The date to open ``year`` on for the units ``unit_ids`` (those with projects shown)."""
    units = sorted(set(unit_ids))
    latest = default_as_of(year, today)
    reach = [min(end, latest) for end in ledger_closed_through(session, units).values()
             if end >= date(year, 1, 1)]
    if not reach:
        return OpeningDate(latest, "no_ledger", 0, len(units))
    chosen = max(reach)
    return OpeningDate(chosen, "ledger", sum(1 for end in reach if end >= chosen), len(units))


@dataclass(frozen=True)
class CheckpointChoice:
    label: str  # 3月底 …
    day: date


def checkpoint_choices(year: int) -> tuple[CheckpointChoice, ...]:
    """The standard checkpoints of ``year`` (3月底/6月底/10月底/12月底) as one-click dates."""
    return tuple(CheckpointChoice(CHECKPOINT_LABELS[month], date(year, month, day))
                 for month, day in STANDARD_CHECKPOINTS)
