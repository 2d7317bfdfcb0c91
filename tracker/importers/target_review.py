"""Target quality review: is a 绩效目标表 fit to be monitored?

``review_project`` reads one imported project and returns findings (each with a stable
``code``, a location and a Chinese message naming the values); ``review_document`` appends them
to a copy of the document; ``quality_score`` turns findings into a 0–100 score with reasons, and
``department_ranking`` lists a department's projects worst first.  The review flags, it never
fixes (STYLE.md habit 5).

Severity: ``error`` — monitoring would be wrong or impossible (no indicators, zero budget, the
table belongs to another project, plan above 100%, funds that do not add up); ``warning`` — a
target that cannot be judged fairly; ``info`` — worth knowing, not a defect of the table.

Score: start at 100, deduct per finding, floor 0.  ``DEDUCTIONS`` gives, per code, the points per
finding and a cap for that code (so one repeated defect cannot sink a project alone):

=================================  ========  =====  ===  ===================================
code                               severity  each   cap  what
=================================  ========  =====  ===  ===================================
no_indicators                      error     40     40   项目没有绩效指标
budget_missing                     error     20     20   预算数为零或缺失
title_name_mismatch                error     15     15   表题与项目名称不一致
fund_split_mismatch                error     10     10   财政资金+其他资金 ≠ 预算数
plan_above_100                     error     10     20   计划累计超过 100%
plan_not_monotonic                 warning   10     20   后一节点低于前一节点
plan_incomplete                    warning   5      5    最后节点未达 100%
plan_missing                       info      3      3    没有资金支出计划（按序时进度）
missing_project_code               warning   5      5    没有项目编码
missing_output_indicators          warning   15     15   没有产出指标
missing_benefit_indicators         warning   10     10   没有效益指标
missing_satisfaction_indicators    warning   5      5    没有满意度指标
value_missing                      warning   4      20   指标值为空
value_repeats_name                 warning   4      20   指标值照抄名称/描述
value_placeholder                  warning   4      20   文字描述、由…决定、控制在预算内…
value_not_measurable               warning   3      15   数量/成本指标为定性
cost_not_upper_bound               warning   3      9    成本指标用 ≥ / >
cost_exceeds_budget                warning   5      10   成本上限高于预算数
timeliness_not_deadline            warning   3      9    时效指标不是时限、比率或时长
=================================  ========  =====  ===  ===================================

Codes not in the table (e.g. the importer's own findings) deduct by severity:
error 10 (cap 20), warning 3 (cap 15), info 0.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from difflib import SequenceMatcher

from tracker.core.categories import level1_of
from tracker.importers.target_records import (
    Finding,
    IndicatorRecord,
    Location,
    PlanPoint,
    ProjectRecord,
    Severity,
    TargetDocument,
)
from tracker.importers.target_values import (
    amount_in_wan,
    format_number,
    is_duration,
    is_measurable,
    is_rate,
    placeholder_reason,
)

__all__ = [
    "DEDUCTIONS",
    "DEFAULT_DEDUCTIONS",
    "review_project",
    "review_document",
    "quality_score",
    "department_ranking",
]

HUNDRED = Decimal(100)
# Printed amounts are rounded to 0.01 万元; a split that differs by less than this adds up.
MONEY_TOLERANCE = Decimal("0.005")
# Title and name (after stripping suffixes, numbering, year) disagree below this similarity.
TITLE_SIMILARITY_THRESHOLD = 0.5


@dataclass(frozen=True)
class Deduction:
    """Points deducted per finding of a code, and the most one code can deduct in total."""

    points: int
    cap: int
    label: str  # the reason as the user reads it


DEDUCTIONS: dict[str, Deduction] = {
    "no_indicators": Deduction(40, 40, "没有绩效指标"),
    "budget_missing": Deduction(20, 20, "预算数为零或缺失"),
    "title_name_mismatch": Deduction(15, 15, "表题与项目名称不一致"),
    "fund_split_mismatch": Deduction(10, 10, "资金来源合计与预算数不符"),
    "plan_above_100": Deduction(10, 20, "支出计划超过100%"),
    "plan_not_monotonic": Deduction(10, 20, "支出计划前高后低"),
    "plan_incomplete": Deduction(5, 5, "支出计划年末未达100%"),
    "plan_missing": Deduction(3, 3, "未填资金支出计划"),
    "missing_project_code": Deduction(5, 5, "缺少项目编码"),
    "missing_output_indicators": Deduction(15, 15, "缺少产出指标"),
    "missing_benefit_indicators": Deduction(10, 10, "缺少效益指标"),
    "missing_satisfaction_indicators": Deduction(5, 5, "缺少满意度指标"),
    "value_missing": Deduction(4, 20, "指标值为空"),
    "value_repeats_name": Deduction(4, 20, "指标值照抄指标名称"),
    "value_placeholder": Deduction(4, 20, "指标值为占位文字"),
    "value_not_measurable": Deduction(3, 15, "数量/成本指标无法计量"),
    "cost_not_upper_bound": Deduction(3, 9, "成本指标设为下限"),
    "cost_exceeds_budget": Deduction(5, 10, "成本上限高于预算数"),
    "timeliness_not_deadline": Deduction(3, 9, "时效指标不是时限"),
}
DEFAULT_DEDUCTIONS: dict[Severity, Deduction] = {
    "error": Deduction(10, 20, "其他错误"),
    "warning": Deduction(3, 15, "其他警告"),
    "info": Deduction(0, 0, "提示"),
}


# ---------------------------------------------------------------------------
# Small readers of the records.


def _pct(number: Decimal) -> str:
    return f"{format_number(number)}%"


def _wan(number: Decimal) -> str:
    return f"{format_number(number)}万元"


def _checkpoint_label(checkpoint: date) -> str:
    """``3月底`` for a month end, else ``3月15日``."""
    next_day = checkpoint.toordinal() + 1
    if date.fromordinal(next_day).month != checkpoint.month:
        return f"{checkpoint.month}月底"
    return f"{checkpoint.month}月{checkpoint.day}日"


def _is_cost(indicator: IndicatorRecord) -> bool:
    return "成本" in (indicator.level2 or "") or "成本" in (indicator.level1 or "")


def _is_quantity(indicator: IndicatorRecord) -> bool:
    return "数量" in (indicator.level2 or "")


def _is_timeliness(indicator: IndicatorRecord) -> bool:
    return "时效" in (indicator.level2 or "")


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _same_text(left: str | None, right: str | None) -> bool:
    """Equal after width and whitespace normalisation (and not empty)."""
    if not left or not right:
        return False
    return _squeeze(left) == _squeeze(right) != ""


# ---------------------------------------------------------------------------
# Title versus 项目名称.

_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
_NUMBERING = re.compile(r"^(?:\d+[.、．]|[(（][一二三四五六七八九十\d]+[)）]|[一二三四五六七八九十]+、)")
_YEAR_PREFIX = re.compile(r"^\d{4}(?:-\d{4})?(?:年度?)?(?!\d)")
_TITLE_SUFFIXES = ("项目支出绩效目标表", "项目绩效目标表", "预算绩效目标表", "绩效目标表", "目标表")
_NAME_AFFIXES = ("预算", "项目")


def _core_name(text: str) -> str:
    """The part of a title or name that identifies the project (no numbering, year, 绩效目标表, 预算/项目)."""
    core = _squeeze(_BOOKMARK.sub("", text))
    core = _NUMBERING.sub("", core)
    for suffix in _TITLE_SUFFIXES:
        if core.endswith(suffix):
            core = core[: -len(suffix)]
            break
    core = _YEAR_PREFIX.sub("", core)
    changed = True
    while changed:
        changed = False
        for affix in _NAME_AFFIXES:
            if core.endswith(affix) and len(core) > len(affix):
                core, changed = core[: -len(affix)], True
            if core.startswith(affix) and len(core) > len(affix):
                core, changed = core[len(affix):], True
    return core


def _titles_disagree(title: str, name: str) -> bool:
    left, right = _core_name(title), _core_name(name)
    if not left or not right or left in right or right in left:
        return False
    return SequenceMatcher(None, left, right).ratio() < TITLE_SIMILARITY_THRESHOLD


# ---------------------------------------------------------------------------
# The checks.


def _finding(severity: Severity, code: str, location: Location, message: str) -> Finding:
    return Finding(severity=severity, code=code, location=location, message=message)


def _review_identity(project: ProjectRecord, location: Location) -> list[Finding]:
    findings = []
    if not (project.code or "").strip():
        findings.append(_finding(
            "warning", "missing_project_code", location,
            f"项目“{project.name}”没有项目编码，只能按名称与台账匹配，请补录项目编码",
        ))
    if project.title and _titles_disagree(project.title, project.name):
        findings.append(_finding(
            "error", "title_name_mismatch", location,
            f"表题“{project.title.strip()}”与项目名称“{project.name}”不一致，请确认此表属于哪个项目",
        ))
    return findings


def _review_money(project: ProjectRecord, location: Location) -> list[Finding]:
    budget = project.budget_wan
    if budget is None or budget <= 0:
        shown = "未填写" if budget is None else _wan(budget)
        return [_finding(
            "error", "budget_missing", location,
            f"项目“{project.name}”的预算数{shown}，无法计算执行率和支出进度",
        )]
    fiscal, other, carryover = project.fiscal_wan, project.other_wan, project.carryover_wan
    if fiscal is not None and other is not None:
        total = fiscal + other
        adds_up = abs(total - budget) < MONEY_TOLERANCE or (
            carryover is not None and abs(total + carryover - budget) < MONEY_TOLERANCE
        )
        if not adds_up:
            return [_finding(
                "error", "fund_split_mismatch", location,
                f"财政资金 {_wan(fiscal)} + 其他资金 {_wan(other)} = {_wan(total)}，与预算数 {_wan(budget)} 不符",
            )]
    else:
        for label, part in (("财政资金", fiscal), ("其他资金", other)):
            if part is not None and part - budget >= MONEY_TOLERANCE:
                return [_finding(
                    "error", "fund_split_mismatch", location,
                    f"{label} {_wan(part)} 大于预算数 {_wan(budget)}",
                )]
    return []


def _suggestion(point: PlanPoint, envelope: PlanPoint, following: PlanPoint | None) -> Decimal | None:
    """What a plan value that drops below the envelope probably meant, if guessable."""
    if following is None:
        return HUNDRED
    tenfold = point.cumulative_pct * 10
    if envelope.cumulative_pct <= tenfold <= min(HUNDRED, following.cumulative_pct):
        return tenfold
    return None


def _review_plan(project: ProjectRecord, location: Location) -> list[Finding]:
    points = sorted(project.plan, key=lambda point: point.checkpoint)
    if not points:
        return [_finding(
            "info", "plan_missing", location,
            f"项目“{project.name}”没有资金支出计划，监控按序时进度（月份/12）判断",
        )]
    findings: list[Finding] = []
    envelope: PlanPoint | None = None
    last_dropped = False
    for index, point in enumerate(points):
        label = _checkpoint_label(point.checkpoint)
        if point.cumulative_pct > HUNDRED:
            findings.append(_finding(
                "error", "plan_above_100", location,
                f"{label}累计计划 {_pct(point.cumulative_pct)} 超过 100%，请核对（是否把金额当成了百分比）",
            ))
        if envelope is not None and point.cumulative_pct < envelope.cumulative_pct:
            following = points[index + 1] if index + 1 < len(points) else None
            guess = _suggestion(point, envelope, following)
            guess_text = f"，疑为 {_pct(guess)} 之误" if guess is not None else ""
            findings.append(_finding(
                "warning", "plan_not_monotonic", location,
                f"{label}计划 {_pct(point.cumulative_pct)} 低于{_checkpoint_label(envelope.checkpoint)}的 "
                f"{_pct(envelope.cumulative_pct)}{guess_text}；监控暂按单调包络（{_pct(envelope.cumulative_pct)}）处理，"
                "请在项目页确认更正",
            ))
            last_dropped = following is None
        else:
            envelope = point
    last = points[-1]
    if not last_dropped and last.cumulative_pct < HUNDRED:
        hint = ""
        if last.cumulative_pct == project.budget_wan and project.budget_wan != HUNDRED:
            hint = f"；该值等于预算数 {_wan(project.budget_wan)}，疑为金额未换算成百分比"
        findings.append(_finding(
            "warning", "plan_incomplete", location,
            f"支出计划最后节点（{_checkpoint_label(last.checkpoint)}）累计 {_pct(last.cumulative_pct)}，"
            f"未达到 100%{hint}；如有结转请在项目页说明",
        ))
    return findings


def _review_value(indicator: IndicatorRecord, location: Location) -> Finding | None:
    """At most one finding on whether the 指标值 is a target at all."""
    value, raw = indicator.value, indicator.value.raw.strip()
    if not raw:
        return _finding("warning", "value_missing", location, f"指标“{indicator.name}”没有填写指标值")
    if _same_text(raw, indicator.name) or _same_text(raw, indicator.description):
        return _finding(
            "warning", "value_repeats_name", location,
            f"指标“{indicator.name}”的指标值“{raw}”只是重复了指标名称或描述，没有给出可衡量的目标值",
        )
    if reason := placeholder_reason(value):
        return _finding(
            "warning", "value_placeholder", location,
            f"指标“{indicator.name}”的指标值“{raw}”：{reason}，请给出数值、比率或时限",
        )
    if not is_measurable(value) and (_is_quantity(indicator) or _is_cost(indicator)):
        kind = "成本" if _is_cost(indicator) else "数量"
        example = "≤30万元" if kind == "成本" else "≥5家"
        return _finding(
            "warning", "value_not_measurable", location,
            f"{kind}指标“{indicator.name}”的指标值“{raw}”是定性表述，应给出数值（如 {example}）",
        )
    return None


def _review_indicator(indicator: IndicatorRecord, budget: Decimal | None, file: str) -> list[Finding]:
    location = replace(indicator.location, file=file)
    value, raw = indicator.value, indicator.value.raw.strip()
    findings: list[Finding] = []
    if value_finding := _review_value(indicator, location):
        findings.append(value_finding)
    if _is_cost(indicator):
        if value.op in (">=", ">"):
            findings.append(_finding(
                "warning", "cost_not_upper_bound", location,
                f"成本指标“{indicator.name}”的指标值“{raw}”是下限（{value.op}），成本应设上限（≤），"
                "否则多花钱也算达标",
            ))
        amount = amount_in_wan(value)
        if amount is not None and budget is not None and budget > 0 and amount > budget:
            converted = "" if value.unit == "万元" else f"（{_wan(amount)}）"
            findings.append(_finding(
                "warning", "cost_exceeds_budget", location,
                f"成本指标“{indicator.name}”的指标值“{raw}”{converted}高于项目预算数 {_wan(budget)}",
            ))
    if (
        _is_timeliness(indicator)
        and not findings
        and value.kind != "deadline"
        and not is_rate(value)
        and not is_duration(value)
    ):
        findings.append(_finding(
            "warning", "timeliness_not_deadline", location,
            f"时效指标“{indicator.name}”的指标值“{raw}”不是完成时限、比率或时长，疑为放错了二级指标",
        ))
    return findings


_CATEGORY_FINDINGS = (
    ("output", "missing_output_indicators", "没有产出指标（数量、质量、时效、成本）"),
    ("effect", "missing_benefit_indicators", "没有效益指标（经济、社会、生态效益或可持续影响）"),
    ("satisfaction", "missing_satisfaction_indicators", "没有满意度指标（服务对象满意度）"),
)


def _review_categories(project: ProjectRecord, location: Location) -> list[Finding]:
    if not project.indicators:
        return [_finding(
            "error", "no_indicators", location,
            f"项目“{project.name}”没有绩效指标，无法开展绩效监控和自评",
        )]
    present = {level1_of(indicator.level1, indicator.level2) for indicator in project.indicators}
    return [
        _finding("warning", code, location, f"项目“{project.name}”{text}")
        for category, code, text in _CATEGORY_FINDINGS
        if category not in present
    ]


# ---------------------------------------------------------------------------
# Public API.


def review_project(project: ProjectRecord, *, file: str) -> tuple[Finding, ...]:
    """Findings on one project's targets; locations name ``file`` (the name the user uploaded)."""
    location = replace(project.location, file=file)
    findings = [
        *_review_identity(project, location),
        *_review_money(project, location),
        *_review_plan(project, location),
        *_review_categories(project, location),
    ]
    for indicator in project.indicators:
        findings.extend(_review_indicator(indicator, project.budget_wan, file))
    return tuple(findings)


def _merge(existing: Sequence[Finding], new: Iterable[Finding]) -> tuple[Finding, ...]:
    """``existing`` then the new findings it does not already hold (reviewing twice adds nothing)."""
    merged = list(existing)
    seen = set(existing)
    for finding in new:
        if finding not in seen:
            merged.append(finding)
            seen.add(finding)
    return tuple(merged)


def _indicator_signature(project: ProjectRecord) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (indicator.level2, indicator.name.strip(), indicator.value.raw.strip())
        for indicator in project.indicators
    )


def _review_projects_together(doc: TargetDocument) -> list[Finding]:
    """Findings about the document as a whole: no projects, duplicates, copied indicator sets."""
    location = Location(file=doc.file)
    if not doc.projects:
        return [_finding("error", "no_projects", location, "文档中没有识别出任何项目绩效目标表")]
    findings: list[Finding] = []
    for attribute, code, severity, label in (
        ("code", "duplicate_project_code", "error", "项目编码"),
        ("name", "duplicate_project_name", "warning", "项目名称"),
    ):
        groups: dict[str, list[ProjectRecord]] = {}
        for project in doc.projects:
            key = (getattr(project, attribute) or "").strip()
            if key:
                groups.setdefault(key, []).append(project)
        for key, projects in groups.items():
            if len(projects) > 1:
                names = "、".join(f"“{project.name}”" for project in projects)
                findings.append(_finding(
                    severity, code, location, f"{label}“{key}”出现了 {len(projects)} 次：{names}",
                ))
    signatures: dict[tuple[tuple[str, str, str], ...], list[ProjectRecord]] = {}
    for project in doc.projects:
        if project.indicators:
            signatures.setdefault(_indicator_signature(project), []).append(project)
    for signature, projects in signatures.items():
        if len(projects) > 1:
            names = "、".join(f"“{project.name}”" for project in projects)
            findings.append(_finding(
                "info", "identical_indicators", location,
                f"{names}的 {len(signature)} 项绩效指标完全相同，疑为套用模板，请按各项目实际设定",
            ))
    return findings


def review_document(doc: TargetDocument) -> TargetDocument:
    """A copy of ``doc`` with each project's review findings and the document-level ones appended."""
    projects = tuple(
        replace(project, findings=_merge(project.findings, review_project(project, file=doc.file)))
        for project in doc.projects
    )
    return replace(doc, projects=projects, findings=_merge(doc.findings, _review_projects_together(doc)))


def quality_score(project: ProjectRecord, findings: Iterable[Finding]) -> tuple[int, tuple[str, ...]]:
    """0–100 target quality and the deductions in Chinese, over ``project.findings`` plus ``findings``.

    Each finding deducts per ``DEDUCTIONS`` (unknown codes per ``DEFAULT_DEDUCTIONS`` by severity);
    a code never deducts more than its cap; the score never goes below 0.
    """
    counted = _merge(project.findings, findings)
    groups: dict[str, list[Finding]] = {}
    for finding in counted:
        groups.setdefault(finding.code, []).append(finding)
    deductions: list[tuple[int, str]] = []
    for code, group in groups.items():
        rule = DEDUCTIONS.get(code) or DEFAULT_DEDUCTIONS[group[0].severity]
        raw_points = rule.points * len(group)
        points = min(raw_points, rule.cap)
        if points <= 0:
            continue
        label = rule.label if code in DEDUCTIONS else f"{rule.label}（{code}）"
        capped = "（已封顶）" if raw_points > rule.cap else ""
        deductions.append((points, f"{label}（{len(group)}处）：扣{points}分{capped}"))
    deductions.sort(key=lambda item: (-item[0], item[1]))
    score = max(0, 100 - sum(points for points, _ in deductions))
    return score, tuple(reason for _, reason in deductions)


def department_ranking(
    doc_or_projects: TargetDocument | Iterable[ProjectRecord],
) -> list[tuple[str, int, tuple[str, ...]]]:
    """(项目名称, score, reasons) for every project, worst first (ties by name)."""
    if isinstance(doc_or_projects, TargetDocument):
        pairs = [(project, doc_or_projects.file) for project in doc_or_projects.projects]
    else:
        pairs = [(project, project.location.file) for project in doc_or_projects]
    ranking = []
    for project, file in pairs:
        score, reasons = quality_score(project, review_project(project, file=file))
        ranking.append((project.name, score, reasons))
    ranking.sort(key=lambda row: (row[1], row[0]))
    return ranking
