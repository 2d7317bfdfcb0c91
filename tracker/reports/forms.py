"""What the official forms are filled from: plain frozen records, no database, no Flask.

``tracker.services.reporting`` builds them from the stored (frozen) data; the workbook and
document builders in ``tracker.reports`` turn them into bytes.  So a builder can be tested
against a worked example typed by hand, and the same records always give the same cells.

Money is in 元 (``Decimal``, exact); the forms print 万元, converted by the builders.
Percents are percent values (``Decimal('87.5')`` = 87.5%).  Scores keep four decimals; the
forms show two.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

# --- 绩效监控情况表 (monitoring round, 1-N月) ------------------------------------------------


@dataclass(frozen=True)
class MonitoringIndicatorLine:
    """One indicator row of the 绩效监控情况表."""

    level1: str  # 一级指标
    level2: str  # 二级指标
    name: str  # 三级指标
    target_raw: str  # 年度指标值, as approved
    progress: str  # 1-N月执行情况 (latest reported value up to the cut-off, as text; '' if none)
    forecast: str  # 全年预计完成情况 ('' if none recorded)
    colour: str  # red / yellow / green / blue / grey (the indicator's status at the cut-off)


@dataclass(frozen=True)
class MonitoringSheet:
    """One project's 绩效监控情况表 for 1-``month``月 of ``year``."""

    project_id: int
    project_code: str | None
    project_name: str
    supervising_department: str  # 主管部门
    implementing_unit: str  # 实施单位
    year: int
    month: int  # N
    cutoff: date  # last day of month N
    # 项目资金（元）: rows 年度资金总额 / 其中：财政拨款 / 其他资金
    initial_budget: Decimal  # 年初预算数, 年度资金总额
    fiscal_funds: Decimal | None  # 年初预算数, 财政拨款 (None: not split in the target table)
    other_funds: Decimal | None  # 年初预算数, 其他资金
    annual_budget: Decimal  # 全年预算数 (执行率 is against it)
    spent: Decimal  # 1-N月执行数 (total; the split by fund source is not in the ledger)
    execution_rate: Decimal | None  # 1-N月执行率, % of 全年预算数; None when budget is 0
    forecast: Decimal  # 全年预计执行数
    planned_pct: Decimal  # planned cumulative % at the cut-off
    money_status: str  # red / yellow / green / grey / overspent
    overall_status: str  # red / yellow / green / blue / grey
    ledger_covered: bool  # False: the ledger does not reach the cut-off (figures provisional)
    frozen: bool  # True: from the round's frozen snapshot
    goal: str  # 年度总体目标 / 全年预期目标
    goal_progress: str  # 目标实际累计完成情况 ('' if none)
    indicators: tuple[MonitoringIndicatorLine, ...]
    # The project's deviation explanation for the round (None: none recorded)
    causes: tuple[str, ...] = ()  # codes of tracker.models.monitoring.CAUSES ticked
    likelihood: str | None = None  # code of LIKELIHOODS: certain / possible / impossible
    reason: str = ""  # 原因说明
    corrective_actions: str = ""  # 纠偏措施
    explanation_missing: bool = False  # yellow/red at the cut-off and no explanation recorded
    frozen_on: date | None = None  # the day the round's snapshot was evaluated (frozen ones)
    ledger_closed_through: date | None = None  # the unit's ledger complete through this day
    explanation_as_of: date | None = None  # the checkpoint the explanation was written for
    # The frozen snapshot rests on a ledger batch undone since (基于已撤销的台账批次): the batch,
    # and the figures recomputed now from the corrected data, shown beside the frozen ones.
    withdrawn_batch_id: int | None = None
    recomputed_rate: Decimal | None = None
    recomputed_status: str | None = None


@dataclass(frozen=True)
class MonitoringRoundForm:
    """Everything the per-unit monitoring workbook and report need."""

    unit_name: str
    year: int
    month: int
    cutoff: date
    sheets: tuple[MonitoringSheet, ...]
    generated_on: date
    sources: tuple[str, ...] = ()  # human-readable lines: ledger batches, snapshots used


# --- 项目支出绩效自评表 (year-end self-evaluation) -------------------------------------------


@dataclass(frozen=True)
class SelfEvalIndicatorLine:
    """One indicator row of the 自评表."""

    level1: str
    level2: str
    name: str
    target_raw: str  # 年度指标值
    actual_raw: str  # 实际完成值 ('' if not filled in)
    weight: Decimal  # 分值
    score: Decimal  # 得分
    deviation_reason: str  # 偏差原因分析及改进措施
    kind: str = "quantitative"  # quantitative / reverse / qualitative / deadline


@dataclass(frozen=True)
class SelfEvalSheet:
    """One project's 项目支出绩效自评表, from one (frozen) evaluation."""

    project_id: int
    evaluation_id: int
    evaluation_number: int
    frozen: bool
    project_code: str | None
    project_name: str
    supervising_department: str
    implementing_unit: str
    year: int
    # 项目资金（元）; rows 年度资金总额 / 其中：本年财政拨款 / 上年结转资金 / 其他资金
    initial_budget: Decimal  # 年初预算数 (total row)
    annual_budget: Decimal  # 全年预算数 (total row)
    spent: Decimal  # 全年执行数 (total row)
    fiscal_funds: Decimal | None  # 本年财政拨款 (全年预算数 column; None = not split)
    carryover: Decimal | None  # 上年结转资金
    other_funds: Decimal | None  # 其他资金
    execution_weight: Decimal  # 分值 of 执行率 (10)
    execution_rate: Decimal | None  # 执行率 %, None when budget is 0
    execution_score: Decimal  # 得分
    goal: str  # 预期目标
    goal_actual: str  # 实际完成情况
    indicators: tuple[SelfEvalIndicatorLine, ...]
    total: Decimal  # 总分
    grade: str  # 优 / 良 / 中 / 差
    warnings: tuple[str, ...] = ()
    frozen_at: datetime | None = None  # when it was submitted (local time, naive)
    frozen_by: str = ""
    ledger_closed_through: date | None = None
    sources: tuple[str, ...] = ()  # what this evaluation was built from (数据来源 lines)


@dataclass(frozen=True)
class SelfEvalForm:
    """Everything the per-unit 自评 workbook and 自评报告 need."""

    unit_name: str
    year: int
    sheets: tuple[SelfEvalSheet, ...]
    generated_on: date
    sources: tuple[str, ...] = ()  # 数据来源 lines: evaluations, ledger batches, closed-through
    unit_overview: str = ""  # 部门（单位）概况 text from the department's target table, if any
    missing: tuple[str, ...] = field(default=())  # projects with no frozen evaluation (names)
    unit_functions: str = ""  # 部门（单位）职能, when known ('' = the Word report asks the clerk for it)
    # 部门整体绩效: the department's own indicators scored like a project (empty when none were read)
    department_lines: tuple[SelfEvalIndicatorLine, ...] = ()
    department_total: Decimal | None = None  # 部门整体自评总分
    department_grade: str = ""
    department_execution_rate: Decimal | None = None  # 执行率 of all the department's projects
    department_unscored: tuple[str, ...] = ()  # findings of 分项 without indicators
