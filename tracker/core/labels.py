"""Every code a person reads as a Chinese word, in one place (STYLE: one vocabulary, one home).

A decision travels as a code (``"grey"``, ``"funding"``, ``"turned_red"``); the word is made at
the edge — CLI, report, page (templates read these through the ``labels`` context processor) —
from the tables here.  Grey is always 无法判断: an indicator that is grey because nothing was
reported says 未填报 in its own status label (``core.indicators``), not in the colour's word.
"""

from __future__ import annotations

#: Traffic-light colours of 双监控 (money, indicators, overall).
COLOUR_LABELS: dict[str, str] = {
    "red": "红灯",
    "yellow": "黄灯",
    "green": "绿灯",
    "blue": "蓝灯",
    "grey": "无法判断",
}

#: Money status: the colours of the money side plus 超支 (no blue there).
MONEY_STATUS_LABELS: dict[str, str] = {
    "red": COLOUR_LABELS["red"],
    "yellow": COLOUR_LABELS["yellow"],
    "green": COLOUR_LABELS["green"],
    "grey": COLOUR_LABELS["grey"],
    "overspent": "超支",
}

#: Any status a lamp can show: every colour plus 超支.
STATUS_LABELS: dict[str, str] = {**COLOUR_LABELS, "overspent": MONEY_STATUS_LABELS["overspent"]}

#: 偏差原因分析 categories; a DeviationExplanation may tick several.
CAUSES: dict[str, str] = {
    "funding": "经费保障",
    "institutional": "制度保障",
    "staffing": "人员保障",
    "hardware": "硬件条件保障",
    "other": "其他",
}

#: 完成目标可能性.
LIKELIHOODS: dict[str, str] = {
    "certain": "确定能",
    "possible": "有可能",
    "impossible": "完全不可能",
}

#: 定性指标完成情况, in the 自评 table's wording (``core.achievement`` parses the others).
ACHIEVEMENT_LABELS: dict[str, str] = {
    "achieved": "达成年度指标",
    "partial": "部分达成年度指标并具有一定效果",
    "not_achieved": "未达成年度指标且效果较差",
}

#: 自评等级, best first.  The grade is stored as its word, so the word is also the code.
GRADES: tuple[str, ...] = ("优", "良", "中", "差")

#: Kinds of monitoring alert (提醒).
ALERT_KINDS: dict[str, str] = {
    "turned_yellow": "转为黄灯",
    "turned_red": "转为红灯",
    "worsened": "状态恶化",
    "recovered": "状态好转",
    "checkpoint_flagged": "检查点预警",
    "ledger_missing": "台账未覆盖检查点",
    "progress_overdue": "进度填报逾期",
    "explanation_overdue": "偏差说明逾期",
    "round_opened": "绩效运行监控开始",
    "withdrawn": "预警撤销",
    "reconcile_difference": "对账差异",
}

#: Kind of an indicator (how its 指标值 is judged).
INDICATOR_KIND_LABELS: dict[str, str] = {
    "quantitative": "定量",
    "reverse": "反向",
    "qualitative": "定性",
    "deadline": "时限",
}

#: Severity of a finding an importer flagged.
FINDING_SEVERITY_LABELS: dict[str, str] = {
    "error": "错误",
    "warning": "请核对",
    "info": "说明",
}


def status_label(code: str) -> str:
    """红灯 / 黄灯 / 绿灯 / 蓝灯 / 无法判断 / 超支; an unknown code is shown as itself."""
    return STATUS_LABELS.get(code, code)


def finding_severity_label(severity: str) -> str:
    """错误 / 请核对 / 说明; an unknown code is shown as 提示, never as the code itself."""
    return FINDING_SEVERITY_LABELS.get(severity, "提示")


def template_labels() -> dict[str, object]:
    """What templates see (``labels.COLOUR_LABELS``, ``status_label(...)`` …)."""
    return {"COLOUR_LABELS": COLOUR_LABELS, "MONEY_STATUS_LABELS": MONEY_STATUS_LABELS,
            "STATUS_LABELS": STATUS_LABELS, "CAUSES": CAUSES, "LIKELIHOODS": LIKELIHOODS,
            "ACHIEVEMENT_LABELS": ACHIEVEMENT_LABELS, "GRADES": GRADES, "ALERT_KINDS": ALERT_KINDS,
            "INDICATOR_KIND_LABELS": INDICATOR_KIND_LABELS, "status_label": status_label}


#: Why a ledger row does not count as spending, by the reason code of
#: ``importers/ledger/counting.py``; ``{status}`` is the row's 支付状态.  This text is what the
#: import stores beside the row and the ledger pages show.
LEDGER_REASON_LABELS: dict[str, str] = {
    "voided": "凭证已作废",
    "voided_status": "支付状态为“{status}”，不计入支出",
    "returned_status": "支付状态为“{status}”，不计入支出",
    "unanswered_status": "支付状态“{status}”是否表示钱已付出尚未确认，暂不计入支出",
    "not_budget_account": "非预算会计支出科目",
    "not_expense_account": "非费用类科目",
    "no_account": "未识别会计科目",
    # ``{source}``: the unit's counting source (平行记账: one source counts, the others are kept)
    "second_source": "本单位以“{source}”为支出口径，此来源仅作核对（避免平行记账重复计算）",
}


def ledger_reason_label(code: str, status: str | None = None, *, source: str | None = None) -> str:
    """The Chinese reason a ledger row with this reason code does not count."""
    return LEDGER_REASON_LABELS[code].format(status=status or "", source=source or "")


def second_source_kept(source: str | None, kept: int, matched: int, where: str) -> str:
    """What an import of a source that does not count now says of its rows (CLI and page);
    ``where``: how to reconcile them from there."""
    return (f"不计入支出（本单位以“{source}”计入支出，此来源仅作核对：按自身规则计入的 {kept:,} 行已保存，"
            f"匹配到项目 {matched:,} 行{where}）")


#: The 自评 settings as the admin page and the audit log name them.
EVALUATION_LABELS: dict[str, str] = {
    "output_weight": "产出指标权重",
    "effect_weight": "效益指标权重",
    "satisfaction_weight": "满意度指标权重",
    "execution_weight": "预算执行率权重",
    "excellent_from": "“优”分数线",
    "good_from": "“良”分数线",
    "fair_from": "“中”分数线",
    "achieved_from": "定性“达成”档下限（%）",
    "partial_from": "定性“部分达成”档下限（%）",
    "over_achievement_from": "超额完成需说明（完成值达指标值的 %）",
    "high_performance_from": "高绩效提示线（得分达分值的 %）",
    "low_execution_below": "低执行率提示线（执行率低于 %）",
    "surplus_rate_above": "结余率提示线（结余率高于 %）",
}

#: The monitoring and reminder settings (``MonitoringSettings``, ``ReminderSettings``) as the
#: admin page and the audit log name them.
MONITORING_SETTING_LABELS: dict[str, str] = {
    "red_below": "红灯线（v 低于）",
    "yellow_below": "黄灯线（v 低于）",
    "blue_from": "蓝灯线（v 不低于）",
    "time_progress_method": "序时进度计算方式",
    "default_plan": "默认支出计划",
    "monitoring_month": "监控截止月份",
    "progress_due_days": "完成值填报期限（天）",
    "explanation_due_days": "偏差说明期限（天）",
    "ledger_due_days": "台账覆盖检查点期限（天）",
}

#: Who did something when no person did: the names services record as the actor of the
#: command line, the scheduler, the first administrator's creation and the demo loader.  No
#: user may take these names (``services.users.create_user``), so a page can show the word.
ACTOR_LABELS: dict[str, str] = {
    "cli": "命令行",
    "scheduler": "定时任务",
    "system": "系统",
    "demo": "演示数据",
}


def actor_label(name: str | None) -> str:
    """The actor as pages and exports show it: a person's username, or the word for the
    command line, the scheduler …"""
    return ACTOR_LABELS.get(name or "", name or "")
