"""What the target-document importers produce: plain records, no database.

A document of any layout (text, Markdown, Word, Excel, PDF) becomes one
``TargetDocument``.  Every parsed value keeps the raw text it came from, and every
suspicious thing becomes a ``Finding`` with the place in the file it was seen.
Money is in 万元 as ``Decimal`` (the unit the documents use).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

Severity = Literal["error", "warning", "info"]
IndicatorKind = Literal["quantitative", "reverse", "qualitative", "deadline"]
Operator = Literal[">=", "<=", "=", ">", "<"]


@dataclass(frozen=True)
class Location:
    """Where something is: the file, the table (1-based, or its title) and the row (1-based)."""

    file: str
    table: str | None = None
    row: int | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.table is not None:
            parts.append(f"表{self.table}" if str(self.table).isdigit() else f"表“{self.table}”")
        if self.row is not None:
            parts.append(f"第{self.row}行")
        return " ".join(parts)


@dataclass(frozen=True)
class Finding:
    """Something a reviewer should look at.  ``code`` is stable (for tests and filters)."""

    severity: Severity
    code: str
    location: Location
    message: str


@dataclass(frozen=True)
class TargetValue:
    """A parsed 指标值.  ``raw`` is exactly what the document says."""

    raw: str
    kind: IndicatorKind
    op: Operator | None = None
    number: Decimal | None = None
    unit: str | None = None
    deadline: date | None = None  # for kind == "deadline" when a date can be derived


@dataclass(frozen=True)
class PlanPoint:
    """Cumulative spending plan at a checkpoint, in percent of the budget."""

    checkpoint: date
    cumulative_pct: Decimal
    raw: str


@dataclass(frozen=True)
class IndicatorRecord:
    level1: str  # 产出指标 / 效益指标 / 满意度指标 / 成本指标
    level2: str  # 数量指标, 质量指标, ... (numbering like "11-" stripped)
    name: str  # 三级指标
    description: str | None
    value: TargetValue
    basis: str | None  # 指标值确定依据
    weight: Decimal | None  # 分值, when the table gives one
    location: Location


@dataclass(frozen=True)
class ProjectRecord:
    code: str | None
    name: str
    title: str | None  # the table's own title, when it has one
    supervising_department: str | None  # 主管部门 as printed ("205-石嘴山市科学技术局")
    implementing_unit: str | None  # 实施单位 as printed
    budget_wan: Decimal  # 预算数 / 项目年度金额
    fiscal_wan: Decimal | None  # 财政资金
    other_wan: Decimal | None  # 其他资金
    carryover_wan: Decimal | None  # 上年结转
    purpose: str | None  # 资金用途
    goal: str | None  # 年度总体绩效目标
    plan: tuple[PlanPoint, ...]  # empty when the document has no plan
    plan_raw: str | None  # the plan cells as printed, joined by " | "
    indicators: tuple[IndicatorRecord, ...]
    findings: tuple[Finding, ...]
    location: Location


@dataclass(frozen=True)
class UnitRecord:
    """The issuing unit.  ``code`` alone does not identify it (306001 is two bodies)."""

    code: str | None
    name: str
    region: str | None = None


@dataclass(frozen=True)
class DepartmentTexts:
    overall_goal: str | None = None  # 总体绩效目标
    sub_goals: str | None = None  # 分项绩效目标
    safeguards: str | None = None  # 保障措施
    # a 部门整体绩效目标表 printed as a table (一级 | 二级 | 三级 | 指标值): its rows as printed
    indicator_rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class TargetDocument:
    file: str
    layout: str  # which reader understood it, e.g. "word-text", "pdf-text", "markdown", "docx"
    year: int | None
    unit: UnitRecord
    department: DepartmentTexts
    projects: tuple[ProjectRecord, ...]
    findings: tuple[Finding, ...] = field(default=())  # document-level findings
