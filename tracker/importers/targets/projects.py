"""A project draft (printed text) → ``ProjectRecord``: amounts, plan, parsed 指标值, findings."""

from __future__ import annotations

import re
from decimal import Decimal

from tracker.importers.target_records import (
    Finding,
    IndicatorRecord,
    Location,
    ProjectRecord,
)
from tracker.importers.target_values import display_text, parse_target_value
from tracker.importers.targets.drafts import ProjectDraft
from tracker.importers.targets.labels import squeeze
from tracker.importers.targets.plans import read_plan

_AMOUNT = re.compile(r"^(?P<number>-?\d+(?:\.\d+)?)(?P<unit>万元|万|元)?$")
_WEIGHT = re.compile(r"^(?P<number>\d+(?:\.\d+)?)分?$")
_NOTHING = frozenset({"", "-", "—", "－", "/", "无"})
_YUAN_PER_WAN = Decimal(10000)
_AMOUNT_LABELS = {"budget": "预算数", "fiscal": "财政资金", "other": "其他资金", "carryover": "上年结转"}


def build_project(draft: ProjectDraft, *, file: str, year: int | None) -> ProjectRecord:
    location = Location(file=file, table=str(draft.ordinal), row=draft.row)
    findings: list[Finding] = list(draft.findings)
    fields = draft.fields

    def text(key: str) -> str | None:
        value = fields.get(key, "").strip()
        return value or None

    def amount(key: str) -> Decimal | None:
        printed = fields.get(key, "")
        row_location = Location(file=file, table=str(draft.ordinal), row=draft.field_rows.get(key, draft.row))
        number, finding = parse_amount(printed, _AMOUNT_LABELS[key], row_location)
        if finding is not None:
            findings.append(finding)
        return number

    name = text("name") or ""
    if not name:
        findings.append(Finding("error", "name_missing", location, "绩效目标表中的“项目名称”为空"))
    budget = amount("budget")
    plan = read_plan(
        header=draft.plan_header,
        labels=draft.plan_labels,
        values=draft.plan_values,
        budget=budget,
        year=year,
        project_name=name,
        location=Location(file=file, table=str(draft.ordinal), row=draft.plan_row or draft.row),
    )
    findings.extend(plan.findings)
    if not draft.has_indicator_header:
        findings.append(Finding("error", "indicator_table_missing", location,
                                "未找到绩效指标表（一级指标/二级指标/三级指标/指标值）"))
    indicators = []
    for indicator in draft.indicators:
        indicator_location = Location(file=file, table=str(draft.ordinal), row=indicator.row)
        shown = display_text(indicator.value)
        if shown != indicator.value:
            findings.append(Finding("info", "target_latex", indicator_location,
                                    f"指标值原文“{indicator.value}”为 LaTeX 排版，显示为“{shown}”"))
        indicators.append(IndicatorRecord(
            level1=indicator.level1,
            level2=indicator.level2,
            name=indicator.name,
            description=indicator.description,
            value=parse_target_value(indicator.value, level2=indicator.level2 or None, year=year),
            basis=indicator.basis,
            weight=_weight(indicator.weight, indicator_location, findings),
            location=indicator_location,
        ))
    return ProjectRecord(
        code=text("code"),
        name=name,
        title=draft.title,
        supervising_department=text("supervising_department"),
        implementing_unit=text("implementing_unit") or draft.unit_line,
        budget_wan=budget if budget is not None else Decimal(0),
        fiscal_wan=amount("fiscal"),
        other_wan=amount("other"),
        carryover_wan=amount("carryover"),
        purpose=text("purpose"),
        goal=text("goal"),
        plan=plan.points,
        plan_raw=plan.raw,
        indicators=tuple(indicators),
        findings=tuple(findings),
        location=location,
    )


def parse_amount(printed: str, label: str, location: Location) -> tuple[Decimal | None, Finding | None]:
    """``1280万元`` → 1280; ``300.00`` → 300.00; blank → None; ``12800000元`` → 1280 with a finding."""
    core = squeeze(printed).replace(",", "").replace("，", "")
    if core in _NOTHING:
        return None, None
    match = _AMOUNT.match(core)
    if match is None:
        return None, Finding("error", "amount_unreadable", location,
                             f"{label}“{printed.strip()}”不是金额，未能读取")
    number = Decimal(match["number"])
    if match["unit"] == "元":
        wan = number / _YUAN_PER_WAN
        return wan, Finding("info", "amount_in_yuan", location,
                            f"{label}“{printed.strip()}”以元填写，已换算为 {wan} 万元")
    return number, None


def _weight(printed: str | None, location: Location, findings: list[Finding]) -> Decimal | None:
    if printed is None or not printed.strip():
        return None
    match = _WEIGHT.match(squeeze(printed))
    if match is None:
        findings.append(Finding("warning", "weight_unreadable", location, f"分值“{printed.strip()}”不是数字，未采用"))
        return None
    return Decimal(match["number"])
