"""The tables the pages show, as rows for ``table_export.table_xlsx`` (导出 Excel).

One function per page, taking what the view already loaded (every filtered row, not just
the page shown).  Money is exported in 元 (exact to the 分; the pages show some of it in
万元), percents in percent, times in the caller's time zone (Asia/Shanghai).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any

from tracker.core.money import MONEY_STATUS_LABELS
from tracker.core.status import COLOUR_LABELS
from tracker.models import Alert, AuditEntry, LedgerBatch, LedgerRow, Project, ProjectFinding
from tracker.models.audit import ACTION_LABELS, ENTITY_LABELS, audit_label

MATCH_METHODS = {"code": "项目编码", "name": "项目名称", "document_no": "指标文号", "rule": "规则",
                 "manual": "人工分配"}
SEVERITIES = {"error": "错误", "warning": "警告", "info": "提示"}


@dataclass(frozen=True)
class Table:
    title: str  # sheet name and document title
    headers: list[str]
    rows: Iterable[Sequence[object]]
    filename: str  # without .xlsx; Chinese allowed
    fallback: str  # ASCII file name for old clients


def local(moment: datetime | None, tz: tzinfo) -> datetime | None:
    return None if moment is None else moment.astimezone(tz).replace(tzinfo=None)


def projects(items: Sequence[Project], year: int | None) -> Table:
    rows = ([p.unit.label, p.code or "", p.name, p.initial_budget, p.annual_budget, p.fiscal_funds,
             p.other_funds, len(p.indicators), p.quality_score] for p in items)
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


def monitoring_overview(rows: Iterable[tuple[Project, Any]], as_of: date) -> Table:
    """``rows``: (project, ``tracker.services.monitoring.ProjectEvaluation``)."""
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
             b.file_name, b.checksum, b.period_start, b.period_end, b.actor,
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
                project.name if project else "", alert.message, "已读" if read else "未读"]

    return Table("提醒",
                 ["时间", "类型", "状态", "判断日期", "项目", "内容", "已读"],
                 (row(item.alert, item.read) for item in items), "提醒", "alerts")


def quality(items: Sequence[Project], findings: Mapping[int, list[ProjectFinding]],
            year: int | None) -> Table:
    def problems(project: Project) -> str:
        return "\n".join(f"[{SEVERITIES.get(f.severity, f.severity)}] {f.message}（{f.location}）"
                         for f in findings.get(project.id, []) if f.severity != "info")

    body = ([p.quality_score, p.unit.label, p.code or "", p.name, problems(p)] for p in items)
    return Table(f"目标质量 {year or ''}".strip(),
                 ["质量分", "单位", "项目编码", "项目名称", "主要问题"],
                 body, f"绩效目标质量-{year or '全部'}", f"target-quality-{year or 'all'}")


def audit_entries(entries: Iterable[AuditEntry], tz: tzinfo, filename: str = "审计日志",
                  fallback: str = "audit-log") -> Table:
    body = ([local(e.at, tz), e.actor, audit_label(e.action, ACTION_LABELS),
             audit_label(e.entity, ENTITY_LABELS), e.entity_id,
             json.dumps(e.details, ensure_ascii=False, sort_keys=True, default=str)
             if e.details else ""] for e in entries)
    return Table("审计日志", ["时间", "操作人", "操作", "对象", "编号", "详情"],
                 body, filename, fallback)
