"""The tables the pages show, as rows for ``table_export.table_xlsx`` (导出 Excel).

One function per page, taking what the view already loaded (every filtered row, not just
the page shown).  Money is exported in 元 (exact to the 分; the pages show some of it in
万元), percents in percent, times in the caller's time zone (Asia/Shanghai).  A page with
several tables gives a ``Book``: one sheet per table, under the page's own headings; their
percents are ``Percent`` cells (numbers shown as ``98.50%``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from itertools import chain
from typing import Any

from decimal import Decimal

from tracker.core.labels import (
    ACHIEVEMENT_LABELS,
    ACTOR_LABELS,
    COLOUR_LABELS,
    INDICATOR_KIND_LABELS,
    MONEY_STATUS_LABELS,
    actor_label,
    finding_severity_label,
)
from tracker.core.plan import is_blank_checkpoint
from tracker.models import (
    Adjustment,
    Alert,
    AuditEntry,
    Evaluation,
    LedgerBatch,
    LedgerRow,
    Project,
    ProjectFinding,
)
from tracker.models.audit import (
    ACTION_LABELS,
    ENTITY_LABELS,
    FIELD_LABELS,
    audit_label,
    detail_label,
    details_text,
)
from tracker.reports import cockpit as cockpit_figures
from tracker.reports.table_export import Percent

MATCH_METHODS = {"code": "项目编码", "name": "项目名称", "document_no": "指标文号", "rule": "规则",
                 "manual": "人工分配", "sheet": "工作表所属项目"}


@dataclass(frozen=True)
class Table:
    title: str  # sheet name and document title
    headers: list[str]
    rows: Iterable[Sequence[object]]
    filename: str  # without .xlsx; Chinese allowed
    fallback: str  # ASCII file name for old clients


@dataclass(frozen=True)
class Book:
    """A page with several tables: one sheet per ``Table`` (its ``title`` names the sheet;
    its ``filename``/``fallback`` are not used)."""

    title: str  # document title
    tables: Sequence[Table]
    filename: str
    fallback: str


def sheet(title: str, headers: list[str], rows: Iterable[Sequence[object]]) -> Table:
    """A table that is one sheet of a ``Book``."""
    return Table(title, headers, rows, title, "")


def pct(points: Decimal | None) -> Percent | None:
    return None if points is None else Percent(points)


def local(moment: datetime | None, tz: tzinfo) -> datetime | None:
    return None if moment is None else moment.astimezone(tz).replace(tzinfo=None)


def projects(items: Iterable[Any], year: int | None) -> Table:
    """``items``: rows of ``services.projects.project_list`` (read as the sheet is written)."""
    rows = ([p.Unit.label, p.code or "", p.name, p.initial_budget, p.annual_budget, p.fiscal_funds,
             p.other_funds, p.indicator_count, p.quality_score] for p in items)
    return Table(f"项目列表 {year or ''}".strip(),
                 ["单位", "项目编码", "项目名称", "年初预算数（元）", "全年预算数（元）",
                  "其中财政资金（元）", "其他资金（元）", "指标数", "质量分"],
                 rows, f"项目列表-{year or '全部'}", f"projects-{year or 'all'}")


def ledger_rows(project: Project, rows: Iterable[tuple[LedgerRow, LedgerBatch]],
                as_of: date | None) -> Table:
    period = f"{as_of.year}-01-01至{as_of.isoformat()}" if as_of else "全部"
    body = ([r.date, r.voucher, r.summary, r.account_code, r.account_name, r.amount,
             MATCH_METHODS.get(r.match_method or "", r.match_method), b.id, b.file_name, r.sheet,
             r.row_number, b.source] for r, b in rows)
    return Table("台账明细",
                 ["日期", "凭证", "摘要", "科目编码", "科目名称", "金额（元）", "匹配方式", "批次",
                  "文件", "工作表", "行号", "来源"],
                 body, f"台账明细-{project.name}-{period}", f"ledger-project-{project.id}")


def reconciliation(lines: Iterable[Any], as_of: date) -> Table:
    """``lines``: ``tracker.services.reconcile.ReconcileLine``, flagged first."""
    body = ([i.unit, i.project_code or "", i.project_name, i.ledger, i.treasury, i.difference,
             i.counting_source or "", "是" if i.flagged else ""] for i in lines)
    return Table(f"台账对账 {as_of.isoformat()}",
                 ["单位", "项目编码", "项目名称", "账面数（元）", "国库已支付数（元）",
                  "差额（元，账面−国库）", "计数来源", "超过差异阈值"],
                 body, f"台账对账-{as_of.isoformat()}", f"reconcile-{as_of.isoformat()}")


def reconciliation_rows(line: Any, rows: Iterable[tuple[LedgerRow, LedgerBatch]], start: date,
                        end: date) -> Book:
    """The drill-down of one reconciliation line: its months, and the rows of both sources."""
    months = ([month.strftime("%Y-%m"), pair[0], pair[1], pair[0] - pair[1]]
              for month, pair in sorted(line.months.items()))
    body = ([b.source, r.date, r.voucher, r.summary, r.account_code, r.account_name, r.status,
             r.amount, b.id, b.file_name, r.sheet, r.row_number] for r, b in rows)
    period = f"{start.isoformat()}至{end.isoformat()}"
    return Book(f"对账明细 {line.project_name} {period}", [
        sheet("按月", ["月份", "账面数（元）", "国库已支付数（元）", "差额（元）"], months),
        sheet("两来源明细", ["来源", "日期", "凭证/支付编号", "摘要", "科目编码", "科目名称", "支付状态",
                        "金额（元）", "批次", "文件", "工作表", "行号"], body)],
        f"对账明细-{line.project_name}-{period}", f"reconcile-rows-{line.unit_id}-{line.project_id or 0}")


def monitoring_overview(rows: Iterable[tuple[Project, Any]], as_of: date) -> Table:
    """``rows``: (project, ``tracker.services.monitoring.evaluate.ProjectEvaluation``)."""
    body = ([p.unit.label, p.code or "", p.name, e.budget, e.spent, e.money.execution_rate,
             e.money.planned_pct, e.money.gap_points, MONEY_STATUS_LABELS[e.money.status],
             COLOUR_LABELS[e.results], COLOUR_LABELS[e.overall], e.ledger_closed_through]
            for p, e in rows)
    return Table(f"运行监控 {as_of.isoformat()}",
                 ["单位", "项目编码", "项目名称", "全年预算数（元）", "累计支出（元）", "执行率（%）",
                  "计划进度（%）", "差距（百分点）", "资金", "绩效", "总体", "台账截止"],
                 body, f"运行监控-{as_of.isoformat()}", f"monitoring-{as_of.isoformat()}")


def unmatched(rows: Iterable[LedgerRow]) -> Table:
    body = ([r.batch_id, r.sheet, r.row_number, r.date, r.voucher, r.account_code, r.account_name,
             r.summary, r.project_ref_raw or r.project_name or r.project_code, r.document_no,
             r.amount] for r in rows)
    return Table("待匹配台账行",
                 ["批次", "工作表", "行号", "日期", "凭证", "科目编码", "科目名称", "摘要",
                  "项目/辅助核算", "指标文号", "金额（元）"],
                 body, "待匹配台账行", "unmatched-ledger-rows")


def batches(items: Iterable[LedgerBatch], tz: tzinfo) -> Table:
    def totals(b: LedgerBatch) -> str:
        if b.totals_ok is None:
            return "无合计"
        return "一致" if b.totals_ok else f"不一致：{b.totals_override_reason or ''}"

    body = ([b.id, "有效" if b.status == "active" else "已撤销", b.unit.label, b.source,
             b.file_name, b.checksum, b.period_start, b.period_end, actor_label(b.actor),
             local(b.imported_at, tz), b.transactions, b.counted_rows, b.counted_total,
             b.unmatched_rows, b.replaced_rows, totals(b)] for b in items)
    return Table("台账导入批次",
                 ["批次", "状态", "单位", "来源", "文件", "SHA-256", "期间起", "期间止", "导入人",
                  "导入时间", "交易", "计入", "金额（元）", "待匹配", "替换旧行", "合计核对"],
                 body, "台账导入批次", "ledger-batches")


def alerts(items: Iterable[Any], kinds: Mapping[str, str], tz: tzinfo) -> Table:
    """``items``: ``AlertItem`` (alert, read)."""
    def row(alert: Alert, read: bool) -> list[object]:
        project = alert.project
        return [local(alert.created_at, tz), kinds.get(alert.kind, alert.kind),
                COLOUR_LABELS.get(alert.severity, alert.severity), alert.as_of,
                project.name if project else "", alert.message,
                "已撤销" if alert.withdrawn_at else ("已读" if read else "未读")]

    return Table("提醒",
                 ["时间", "类型", "状态", "判断日期", "项目", "内容", "已读"],
                 (row(item.alert, item.read) for item in items), "提醒", "alerts")


def quality(items: Sequence[Project], findings: Mapping[int, list[ProjectFinding]],
            year: int | None) -> Table:
    def problems(project: Project) -> str:
        return "\n".join(f"[{finding_severity_label(f.severity)}] {f.message}（{f.location}）"
                         for f in findings.get(project.id, []) if f.severity != "info")

    body = ([p.quality_score, p.unit.label, p.code or "", p.name, problems(p)] for p in items)
    return Table(f"目标质量 {year or ''}".strip(),
                 ["质量分", "单位", "项目编码", "项目名称", "主要问题"],
                 body, f"绩效目标质量-{year or '全部'}", f"target-quality-{year or 'all'}")


def audit_entries(entries: Iterable[AuditEntry], tz: tzinfo, filename: str = "审计日志",
                  fallback: str = "audit-log") -> Table:
    body = ([local(e.at, tz), audit_label(e.actor, ACTOR_LABELS), audit_label(e.action, ACTION_LABELS),
             audit_label(e.entity, ENTITY_LABELS), e.entity_id,
             details_text(e.details)] for e in entries)
    return Table("审计日志", ["时间", "操作人", "操作", "对象", "编号", "详情"],
                 body, filename, fallback)


# --- 领导驾驶舱 ----------------------------------------------------------------------------

LAMP_LABELS = {**COLOUR_LABELS, **MONEY_STATUS_LABELS}


def cockpit(data: cockpit_figures.CockpitInput) -> Book:
    """The cockpit's tables at one year, unit filter and date (what ``cockpit.gather`` read
    for the user): the ranking (every project, not only the bars drawn), every lagging
    project with its newest 偏差说明 and 纠偏措施, the unit × checkpoint figures, every
    indicator's result, the user's unread alerts and the curve's data."""
    units = data.units
    names = {r.project_id: r.name for r in data.projects}
    unit_of = {r.project_id: r.unit_id for r in data.projects}
    ranking_rows = ([n, units.get(r.unit_id, ""), r.name, r.budget, r.spent, pct(r.execution_rate),
                     pct(r.planned_pct), pct(r.ratio), LAMP_LABELS.get(r.money_status, r.money_status),
                     LAMP_LABELS.get(r.overall, r.overall)]
                    for n, r in enumerate(cockpit_figures.ranking(data.projects), start=1))

    def laggard(n: int, item: cockpit_figures.Laggard) -> list[object]:
        r, e = item.row, item.explanation
        head = [n, units.get(r.unit_id, ""), r.name, LAMP_LABELS.get(r.money_status, r.money_status),
                pct(r.execution_rate), pct(r.planned_pct), r.gap_points, item.behind, r.budget]
        if e is None:
            return [*head, None, None, "尚未填写偏差说明", None, None, None]
        return [*head, e.as_of, actor_label(e.actor), "、".join(e.causes), e.reason, e.likelihood,
                e.corrective_actions]

    lagging = cockpit_figures.laggards(data, limit=len(data.projects))
    heatmap = cockpit_figures.unit_heatmap(data)
    heat_headers = ["单位"]
    for day in heatmap.checkpoints:
        heat_headers += [f"{day.month}月底", f"{day.month}月底计划进度"]

    def heat_row(name: str, cells: Sequence[cockpit_figures.HeatCell]) -> list[object]:
        row: list[object] = [name]
        for cell in cells:
            shown = pct(cell.group.execution_rate) if cell.state == "judged" and cell.group else cell.text
            planned = cell.group.planned_pct if cell.group is not None else None
            row += [shown, pct(planned)]
        return row

    indicator_rows = ([units.get(unit_of.get(i.project_id, 0), ""), names.get(i.project_id, ""),
                       i.level1, i.name, i.target, COLOUR_LABELS[i.colour], i.label,
                       "逾期未填报" if i.overdue else ""] for i in data.indicators)
    alert_rows = ([a.kind, LAMP_LABELS.get(a.severity, a.severity), a.as_of,
                   names.get(a.project_id, "") if a.project_id else "", a.message] for a in data.alerts)
    if data.alerts_total > len(data.alerts):  # said in the sheet, not lost silently
        total = cockpit_figures.alert_count_text(data.alerts_total)
        alert_rows = chain(alert_rows, [["", "", None, "", f"仅列最新 {len(data.alerts)} 条，共{total}"
                                         "未读提醒；全部提醒见“提醒”页的导出"]])
    checkpoints = set(data.checkpoints)
    curve_rows = ([p.day, "检查点" if p.day in checkpoints else "", pct(p.planned_pct),
                   pct(p.execution_rate), pct(p.time_progress),
                   "" if p.covered else "部分单位台账未覆盖"]
                  for p in cockpit_figures.department_curve(data))
    scope = units.get(data.unit_id, "") if data.unit_id else "全部单位"
    day = data.as_of.isoformat()
    return Book(
        f"领导驾驶舱 {data.year}年 {scope} 截至{day}",
        [sheet("项目执行率排名", ["序号", "单位", "项目", "预算（元）", "支出（元）", "执行率", "计划进度",
                                  "完成计划", "资金", "总体"], ranking_rows),
         sheet("执行滞后项目及纠偏措施",
               ["序号", "单位", "项目", "资金", "执行率", "计划进度", "落后（百分点）", "滞后金额（元）",
                "预算（元）", "偏差说明日期", "填写人", "偏差原因", "原因说明", "完成可能性", "纠偏措施"],
               (laggard(n, item) for n, item in enumerate(lagging, start=1))),
         sheet("各单位检查点执行情况", heat_headers, (heat_row(name, cells) for _, name, cells in heatmap.lines)),
         sheet("绩效指标完成情况", ["单位", "项目", "一级指标", "三级指标", "年度指标值", "状态", "说明",
                                    "逾期未填报"], indicator_rows),
         sheet("未读提醒", ["类型", "状态", "判断日期", "项目", "内容"], alert_rows),
         sheet("累计支出进度", ["日期", "检查点", "计划进度", "实际执行率", "序时进度", "台账覆盖"], curve_rows)],
        f"领导驾驶舱-{data.year}-{scope}-{day}",
        f"cockpit-{data.year}-{'unit' + str(data.unit_id) if data.unit_id else 'all'}-{day}")


# --- 年终自评 ------------------------------------------------------------------------------


def evaluation_state(e: Evaluation | None) -> str:
    if e is None:
        return "未自评"
    return f"{'已冻结' if e.frozen else '草稿'}（第{e.number}次）"


def evaluations(rows: Iterable[Any], year: int | None) -> Table:
    """``rows``: ``tracker.services.evaluation_views.YearRow`` (project, latest, frozen)."""
    def row(r: Any) -> list[object]:
        e, frozen = r.latest, r.frozen
        return [r.project.unit.label, r.project.code or "", r.project.name, evaluation_state(e),
                e.total if e else None, e.grade if e else None, len(e.warnings) if e else None,
                f"第{frozen.number}次" if frozen else None, frozen.total if frozen else None,
                frozen.grade if frozen else None]

    return Table(f"年终自评 {year or ''}".strip(),
                 ["单位", "项目编码", "项目名称", "状态", "总分", "等级", "提示", "最近冻结",
                  "最近冻结总分", "最近冻结等级"],
                 (row(r) for r in rows), f"年终自评-{year or '全部'}", f"evaluations-{year or 'all'}")


def evaluation(project: Project, e: Evaluation | None, history: Sequence[Evaluation],
               tz: tzinfo) -> Book:
    """One project's 项目支出绩效自评表 as shown (the evaluation ``e``; None: not yet made) and
    its evaluation history."""
    tables = []
    if e is not None:
        facts: list[tuple[str, object]] = [
            ("项目名称", project.name), ("项目编码", project.code or ""),
            ("主管部门", project.supervising_department or project.unit.label),
            ("实施单位", project.implementing_unit or project.unit.label),
            ("自评", evaluation_state(e)), ("预期目标", e.goal), ("实际完成情况", e.goal_actual),
            ("全年执行数台账截至", e.as_of), ("总分", e.total), ("等级", e.grade)]
        tables.append(sheet("自评表", ["项目", "内容"], [list(f) for f in facts]))
        tables.append(sheet("项目资金", ["项目资金", "年初预算数（元）", "全年预算数（元）", "全年执行数（元）",
                                         "分值", "执行率", "得分"], [
            ["年度资金总额", e.initial_budget, e.annual_budget, e.spent, e.execution_weight,
             pct(e.execution_rate), e.execution_score],
            ["其中：本年财政拨款", None, e.fiscal_funds, None, None, None, None],
            ["上年结转资金", None, e.carryover, None, None, None, None],
            ["其他资金", None, e.other_funds, None, None, None, None]]))
        indicator_rows: list[list[object]] = [
            [r.level1, r.level2, r.name, r.target_raw, r.actual_raw, r.weight, r.score, r.deviation_reason]
            for r in e.indicators]
        indicator_rows.append(["总分", None, None, None, None, Decimal(100), e.total, f"等级：{e.grade}"])
        tables.append(sheet("绩效指标", ["一级", "二级", "三级", "年度指标值", "实际完成值", "分值", "得分",
                                         "偏差原因分析及改进措施"], indicator_rows))
    history_rows = ([f"第{h.number}次", "已冻结" if h.frozen else "草稿", h.total, h.grade, len(h.warnings),
                     actor_label(h.created_by), local(h.created_at, tz), actor_label(h.frozen_by),
                     local(h.frozen_at, tz)]
                    for h in reversed(history))
    tables.append(sheet("自评记录", ["次数", "状态", "总分", "等级", "提示", "创建人", "创建时间",
                                     "提交冻结人", "提交冻结时间"], history_rows))
    number = f"-第{e.number}次" if e is not None else ""
    return Book(f"项目支出绩效自评表 {project.name}", tables,
                f"项目支出绩效自评表-{project.name}{number}",
                f"self-evaluation-project-{project.id}{'-' + str(e.number) if e else ''}")


# --- 报表 ---------------------------------------------------------------------------------


def report_gaps(explanations: Sequence[Any], evaluations: Sequence[Any], year: int | None,
                month: int, unit: str) -> Book:
    """The 报表 page's lists: ``reporting.MissingExplanation`` and ``MissingEvaluation``."""
    return Book(
        f"报表 {year or ''}年 {unit}".strip(),
        [sheet("未填写偏差说明", ["单位", "项目名称", "状态"],
               ([m.unit_name, m.project_name, LAMP_LABELS.get(m.status, m.status)] for m in explanations)),
         sheet("未提交自评", ["单位", "项目名称", "草稿"],
               ([m.unit_name, m.project_name, "有草稿" if m.has_draft else "无"] for m in evaluations))],
        f"报表待办-{year or ''}年1-{month}月-{unit}", f"report-gaps-{year or 'none'}-1-{month}")


# --- 调整 ---------------------------------------------------------------------------------


def _plan_text(points: Sequence[Sequence[str]] | None) -> str:
    return "，".join(f"{day[5:]} {value}%" for day, value in points or ()) or "（无）"


def adjustment_content(a: Adjustment) -> str:
    """调整内容 as the page writes it, one change a line."""
    lines = []
    if a.budget_after is not None:
        lines.append(f"全年预算数：{a.budget_before:,.2f} 元 → {a.budget_after:,.2f} 元")
    if a.plan_after is not None:
        lines.append(f"支出计划：{_plan_text(a.plan_before)} → {_plan_text(a.plan_after)}")
    for t in a.indicators:
        lines.append(f"指标“{t['name']}”：{t['before']['target_raw']} → {t['after']['target_raw']}")
    return "\n".join(lines)


def adjustments(project: Project, items: Iterable[Adjustment], tz: tzinfo) -> Table:
    body = ([a.effective_on, adjustment_content(a), a.reason, a.approver, a.document or "", actor_label(a.actor),
             a.budget_before, a.budget_after, local(a.created_at, tz)] for a in items)
    return Table("调整记录",
                 ["生效日期", "调整内容", "原因", "批准人", "批复文号", "登记人", "调整前全年预算数（元）",
                  "调整后全年预算数（元）", "登记时间"],
                 body, f"调整记录-{project.name}", f"adjustments-project-{project.id}")


# --- 项目详情 / 运行监控 ---------------------------------------------------------------------



def _parsed(i: Any) -> str:
    parts = [INDICATOR_KIND_LABELS.get(i.kind, i.kind), i.op or "",
             "" if i.target_number is None else f"{i.target_number.normalize():f}",
             i.target_unit or "", i.deadline.isoformat() if i.deadline else ""]
    return " ".join(p for p in parts if p)


def reading(report: Any, indicator: Any) -> str:
    """A reported value as the monitoring page shows it (by the indicator's kind)."""
    if report is None:
        return ""
    if indicator.kind == "qualitative":
        return ACHIEVEMENT_LABELS.get(report.achievement, report.achievement or "")
    if indicator.kind == "deadline":
        return f"{report.completed_on.isoformat()} 完成" if report.completed_on else "未完成"
    if report.value is None:
        return ""
    return f"{report.value.normalize():f}" + (f" {indicator.target_unit}" if indicator.target_unit else "")


def project_detail(project: Project, findings: Sequence[ProjectFinding], history: Sequence[AuditEntry],
                   tz: tzinfo) -> Book:
    """A project's page: its facts, plan, indicators, target-review findings and changes."""
    facts: list[list[object]] = [[k, v] for k, v in (
        ("单位", project.unit.label), ("年度", project.year), ("项目编码", project.code or ""),
        ("项目名称", project.name), ("主管部门", project.supervising_department or ""),
        ("实施单位", project.implementing_unit or ""), ("年初预算数（元）", project.initial_budget),
        ("全年预算数（元）", project.annual_budget), ("其中财政资金（元）", project.fiscal_funds),
        ("其他资金（元）", project.other_funds), ("资金用途", project.purpose or ""),
        ("年度总体目标", project.goal or ""), ("来源", f"{project.source_file}（{project.source_location}）"),
        ("目标质量分", project.quality_score))]
    plan = ([p.checkpoint, "", "（未填写，监控按前后已填节点插值）"] if is_blank_checkpoint(p.raw) else
            [p.checkpoint, pct(p.cumulative_pct),
             (p.raw or "") + ("（未给出计划，按设置的默认计划）" if p.is_default else "")]
            for p in project.plan_points)
    indicators = ([i.level1, i.level2, i.name, i.description or "", i.target_raw, _parsed(i), i.basis or ""]
                  for i in project.indicators)
    review = ([finding_severity_label(f.severity), f.message, f.location] for f in findings)
    changes = ([local(h.at, tz), actor_label(h.actor), detail_label(h.action, ACTION_LABELS),
                "、".join(detail_label(k, FIELD_LABELS) for k in (h.details or {}).get("changes") or [])]
               for h in history)
    return Book(project.name, [
        sheet("项目信息", ["项目", "内容"], facts),
        sheet("资金支出计划（累计）", ["检查点", "累计计划", "原文"], plan),
        sheet("绩效指标", ["一级", "二级", "三级", "指标说明", "指标值", "解析", "确定依据"], indicators),
        sheet("目标审核发现", ["级别", "发现", "位置"], review),
        sheet("变更记录", ["时间", "操作人", "操作", "变更内容"], changes),
    ], f"项目详情-{project.name}", f"project-{project.id}")


def project_monitoring(m: Any, tz: tzinfo) -> Book:
    """A project's monitoring page at ``m.as_of`` (``monitoring.pages.ProjectMonitoring``): money
    now and frozen, indicators with their reports, checkpoints frozen vs recomputed, and the
    deviation explanations."""
    e, f = m.evaluation, m.frozen
    money = e.money

    def line(label: str, now: object, frozen: object = None) -> list[object]:
        return [label, now, frozen] if f is not None else [label, now]

    def status(name: str | None) -> str:
        return "" if name is None else MONEY_STATUS_LABELS.get(name, COLOUR_LABELS.get(name, name))

    money_rows = [
        line("全年预算数（元）", e.budget, f and f.budget),
        line("累计支出（元）", e.spent, f and f.spent),
        line("实际累计执行率", pct(money.execution_rate), f and pct(f.execution_rate)),
        line("计划累计进度", pct(money.planned_pct), f and pct(f.planned_pct)),
        line("差距（计划 − 实际，百分点）", money.gap_points, f and f.gap_points),
        line("资金状态", status(money.status) + (f"（{money.note}）" if money.note else ""),
             f and status(f.money_status) + (f"（{f.money_note}）" if f.money_note else "")),
        line("绩效指标状态", status(e.results), f and status(f.results_status)),
        line("总体状态", status(e.overall), f and status(f.overall_status)),
        line("全年预计执行数（按计划，元）", e.forecast.by_plan, f and f.forecast),
        line("预计结转结余（按计划，元）", e.forecast.carry_over_by_plan, f and f.carry_over),
        line("全年预计执行数（按当前进度，元）", e.forecast.by_run_rate, f and f.forecast_run_rate),
        line("预计结转结余（按当前进度，元）", e.forecast.carry_over_by_run_rate, f and f.carry_over_run_rate),
        line("台账截止日", e.ledger_closed_through, f and f.ledger_closed_through),
    ]
    money_headers = ["项目", f"按当前数据计算（截至 {e.money_as_of.isoformat()}）"]
    if f is not None:
        money_headers.append(f"冻结值（{f.evaluated_on.isoformat()} 评价{'，补评' if f.late else ''}）")
    frozen_indicators = {fi["id"]: fi for fi in (f.indicators if f is not None else [])}
    indicator_rows = []
    for i, ie in m.indicators:
        row: list[object] = [i.level1, i.level2, i.name, i.target_raw, reading(ie.report, i),
                             ie.report.reported_on if ie.report else None, pct(ie.status.ratio),
                             ie.status.label + (f"（{ie.status.note}）" if ie.status.note else "")]
        if f is not None:
            fi = frozen_indicators.get(i.id)
            row.append("" if fi is None else f"{fi['label']} {fi['value'] or ''}".strip())
        indicator_rows.append(row)
    indicator_headers = ["一级", "二级", "三级", "年度指标值", "当前完成值", "填报日期", "完成进度 v", "状态"]
    if f is not None:
        indicator_headers.append("冻结时状态")
    names = {i.id: i for i, _ in m.indicators}
    reports = ([names[iid].name, r.reported_on, reading(r, names[iid]), actor_label(r.actor), r.note or "",
                r.evidence_name or ""]
               for iid, items in m.history.items() if iid in names for r in items)
    checkpoints = ([c.checkpoint, status(c.frozen.overall_status) if c.frozen else "未冻结",
                    pct(c.frozen.execution_rate) if c.frozen else None,
                    status(c.frozen.money_status) if c.frozen else "",
                    c.frozen.evaluated_on if c.frozen else None, status(c.now.overall),
                    pct(c.now.money.execution_rate), status(c.now.money.status),
                    "是" if c.now.ledger_covered else "否"]
                   for c in m.checkpoints)
    explanations = ([x.as_of, actor_label(x.actor), local(x.created_at, tz), "、".join(x.cause_labels), x.likelihood_label,
                     x.reason or "", x.corrective_actions or "",
                     "；".join(f"{fc.indicator.name}：{fc.forecast}" for fc in x.forecasts)]
                    for x in m.explanations)
    return Book(f"{m.project.name} 运行监控 {m.as_of.isoformat()}", [
        sheet("资金执行", money_headers, money_rows),
        sheet("绩效指标完成情况", indicator_headers, indicator_rows),
        sheet("填报记录", ["三级指标", "填报日期", "完成值", "填报人", "说明", "佐证材料"], reports),
        sheet("检查点", ["检查点", "冻结：总体", "冻结：执行率", "冻结：资金", "冻结日", "重算：总体",
                         "重算：执行率", "重算：资金", "台账已覆盖"], checkpoints),
        sheet("偏差说明", ["检查点", "填写人", "填写时间", "偏差原因", "完成目标可能性", "原因说明", "纠偏措施",
                          "全年预计完成情况"], explanations),
    ], f"运行监控-{m.project.name}-{m.as_of.isoformat()}", f"monitoring-project-{m.project.id}-{m.as_of.isoformat()}")


def users(items: Iterable[Any], last_logins: Mapping[int, datetime], tz: tzinfo) -> Table:
    """The administrator's user list."""
    rows = ([u.username, u.role.label,
             ("、".join(unit.label for unit in u.units) or "未关联单位") if u.role.value == "unit_staff" else "全部",
             "启用" if u.active else "已停用", local(last_logins.get(u.id), tz), local(u.created_at, tz)]
            for u in items)
    return Table("用户", ["用户名", "角色", "单位范围", "状态", "最近登录", "创建时间"], rows, "用户列表", "users")


def target_imports(items: Iterable[Any], tz: tzinfo) -> Table:
    """Every 绩效目标表 import, newest first."""
    rows = ([local(b.imported_at, tz), b.file_name, b.year, actor_label(b.actor), b.projects_created, b.projects_updated,
             b.projects_unchanged, b.checksum] for b in items)
    return Table("目标表导入记录", ["时间", "文件", "年度", "导入人", "新建", "更新", "未变", "SHA-256"],
                 rows, "目标表导入记录", "target-imports")
