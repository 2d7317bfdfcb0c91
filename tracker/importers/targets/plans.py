"""资金支出计划 cells → cumulative percent plan points (DOMAIN §1).

* Checkpoints: ``3月底``/``6月底``/``10月底``/``12月底`` → that month's last day; ``第一…第四季度``
  → 31 Mar / 30 Jun / 30 Sep / 31 Dec of the document's year.
* Values: ``25%``, ``50.00``, ``　0`` read as numbers, kept as given (no rounding).
* Percent or 万元?  The header's ``（%）`` is not trusted alone (seed 003 prints it over
  1.00/2.00/3.00/4.00 against a 预算数 of 4.00).  A value written with ``%`` means percent.
  Otherwise the values are amounts when the header says 万元/元, when the last filled value
  equals the 预算数 (unless 预算数 is 100, where both readings give the same plan), or when a
  value exceeds 100 (no cumulative percentage can).  Else percent.  Amounts become
  value ÷ 预算数 × 100, rounded half-up to 2 decimals, and an info finding ``plan_in_amounts``
  keeps the printed amounts.
* A blank checkpoint before a later filled one is kept with its blank text (stored as 0 with
  ``raw`` empty) and the finding ``plan_blank_read_as_zero`` (code kept for stored findings);
  the plan curve skips it and interpolates between the given neighbours, never reading it as
  0% (DOMAIN §1, ``tracker.core.plan.project_plan``).  Blanks after the last filled one are
  left out.  No filled value at all → no plan and the
  finding ``plan_missing`` (the service applies the default plan).
* Suspicious values (``10%`` at 12月 after 75%) are kept as printed: the reviewer flags them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tracker.importers.target_records import Finding, Location, PlanPoint
from tracker.importers.targets.labels import checkpoint_month, month_end, squeeze

_NUMBER = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<percent>[%％])?$")
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class PlanReading:
    points: tuple[PlanPoint, ...]
    raw: str | None
    findings: tuple[Finding, ...]


def plan_missing(project_name: str, location: Location) -> Finding:
    # Same wording as the reviewer's finding, so reviewing an imported document does not repeat it.
    return Finding("info", "plan_missing", location,
                   f"项目“{project_name}”没有资金支出计划，监控按序时进度（月份/12）判断")


def read_plan(
    *,
    header: str | None,
    labels: Sequence[str],
    values: Sequence[str],
    budget: Decimal | None,
    year: int | None,
    project_name: str,
    location: Location,
) -> PlanReading:
    raw = " | ".join(value.strip() for value in values) if values else None
    findings: list[Finding] = []
    numbers: list[tuple[int, str, Decimal | None, bool]] = []  # (month, raw, number, has %)
    for label, value in zip(labels, values, strict=True):
        month = checkpoint_month(label)
        text = squeeze(value).replace(",", "")
        if month is None:
            continue
        if not text:
            numbers.append((month, value.strip(), None, False))
            continue
        match = _NUMBER.match(text)
        if match is None:
            findings.append(Finding("warning", "plan_value_unreadable", location,
                                    f"资金支出计划“{label.strip()}”的值“{value.strip()}”不是数字，未采用"))
            continue
        numbers.append((month, value.strip(), Decimal(match["number"]), bool(match["percent"])))
    filled = [entry for entry in numbers if entry[2] is not None]
    if not filled:
        findings.append(plan_missing(project_name, location))
        return PlanReading((), raw, tuple(findings))
    if year is None:
        findings.append(Finding("warning", "plan_year_unknown", location,
                                "无法确定年度，资金支出计划的时间节点无法换算为日期；请在导入时指定年度"))
        return PlanReading((), raw, tuple(findings))
    last_filled = max(index for index, entry in enumerate(numbers) if entry[2] is not None)
    kept = numbers[: last_filled + 1]
    in_amounts = _in_amounts(header, [entry for entry in kept if entry[2] is not None], budget)
    if in_amounts and (budget is None or budget <= 0):
        findings.append(Finding("warning", "plan_unconvertible", location,
                                f"资金支出计划按金额填写（{raw}），但预算数缺失，无法换算为百分比"))
        return PlanReading((), raw, tuple(findings))
    blanks = [month for month, _, number, _ in kept if number is None]
    if blanks:
        months = "、".join(f"{month}月底" for month in blanks)
        findings.append(Finding("info", "plan_blank_read_as_zero", location,
                                f"资金支出计划{months}未填写，监控按前后已填节点插值计算（不按 0 计）"))
    points = []
    for month, printed, number, _ in kept:
        pct = number if number is not None else Decimal(0)
        if in_amounts and budget:
            pct = (pct / budget * _HUNDRED).quantize(_CENT, rounding=ROUND_HALF_UP)
        points.append(PlanPoint(checkpoint=month_end(year, month), cumulative_pct=pct, raw=printed))
    if in_amounts:
        printed = " | ".join(value.strip() or "（空）" for value in values)
        converted = " | ".join(f"{point.cumulative_pct}%" for point in points)
        message = f"资金支出计划按金额（万元）填写：{printed}；已按预算数 {budget} 万元换算为累计 {converted}"
        findings.append(Finding("info", "plan_in_amounts", location, message))
    return PlanReading(tuple(points), raw, tuple(findings))


def _in_amounts(header: str | None, filled: Sequence[tuple[int, str, Decimal | None, bool]],
                budget: Decimal | None) -> bool:
    if any(has_percent for _, _, _, has_percent in filled):
        return False
    header_text = squeeze(header or "")
    if "万元" in header_text or ("元" in header_text and "%" not in header_text):
        return True
    numbers = [number for _, _, number, _ in filled if number is not None]
    if budget is not None and budget > 0 and budget != _HUNDRED and abs(numbers[-1] - budget) < Decimal("0.005"):
        return True
    return any(number > _HUNDRED for number in numbers)
