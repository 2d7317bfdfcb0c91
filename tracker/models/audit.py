"""The audit log: who did what to which record, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.core.labels import (
    ACHIEVEMENT_LABELS,
    CAUSES,
    EVALUATION_LABELS,
    LIKELIHOODS,
    MONITORING_SETTING_LABELS,
)
from tracker.db import Base, UTCDateTime, utcnow
from tracker.models.users import ROLE_LABELS


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    # a record's history (the project page's 修改记录) by its entity, not by reading the whole log
    __table_args__ = (Index("ix_audit_entry_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(80))  # username, or "system" / "cli"
    action: Mapped[str] = mapped_column(String(50))  # create / update / delete / login / import ...
    entity: Mapped[str] = mapped_column(String(50))  # table name
    entity_id: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


#: the words the audit pages show for the codes services record (unknown codes show as is)
ACTION_LABELS = {
    "create": "新建", "update": "修改", "delete": "删除", "login": "登录", "import": "导入",
    "undo": "撤销", "assign": "分配", "save": "保存", "reset_password": "重设密码",
    "logout": "退出登录", "change_password": "修改密码", "set_email": "设置邮箱",
    "report_progress": "填报完成值", "report": "填报完成值", "explain_deviation": "偏差说明",
    "correct": "更正", "adjust_project": "调整项目", "refreeze": "重新冻结",
    "import_progress_workbook": "导入填报工作簿",
    "create_evaluation": "新建自评", "edit_evaluation": "修改自评", "freeze_evaluation": "提交自评",
    "monitoring_round.open": "开启监控轮次", "export": "导出", "counting_source": "选择计数来源",
}
ENTITY_LABELS = {
    "project": "项目", "app_user": "用户", "ledger_batch": "台账批次", "ledger_row": "台账行",
    "setting": "设置", "indicator": "绩效指标", "evaluation": "自评", "target_import": "目标表导入",
    "mapping_profile": "列映射方案", "monitoring_round": "监控轮次", "download": "下载文件",
    "unit": "单位", "snapshot": "监控快照", "department_evaluation": "部门整体自评",
    "department_indicator": "部门整体绩效指标",
}

#: the words for the keys of an entry's details (what ``services.audit.record`` is given)
DETAIL_LABELS = {
    "project_id": "项目编号", "department_year_id": "部门整体编号", "adjustment_id": "调整编号",
    "rule_id": "匹配规则编号", "replaced_snapshot": "被替换的快照编号", "withdrawn_batch": "撤销的批次编号",
    "username": "用户名", "role": "角色", "units": "单位编号", "active": "启用", "email": "邮箱",
    "address": "登录地址", "file": "文件", "checksum": "文件校验值（SHA-256）", "url": "地址",
    "source": "来源", "code": "项目编码", "name": "名称", "key": "设置组",
    "changes": "变更", "changed": "修改的指标", "before": "变更前", "after": "变更后",
    "projects": "涉及项目数", "number": "序号", "total": "总分", "grade": "等级",
    "warnings": "提示", "reason": "理由", "monitoring": "监控设置", "reminders": "提醒期限",
    "reported_on": "填报日期", "value": "完成值", "achievement": "完成情况",
    "as_of": "截至日期", "likelihood": "完成目标可能性", "causes": "偏差原因",
    "year": "年度", "month": "月份", "cutoff": "截止日期", "late": "补开",
    "effective_on": "生效日期", "budget": "预算数（调整前、调整后）", "plan": "支出计划",
    "targets": "调整的指标编号", "rows": "台账行", "mapping": "列映射",
    "status_answers": "支付状态是否计入支出", "sheet_projects": "工作表对应的项目",
    "counted": "计入支出行数", "replaced": "替换的行数", "override": "合计不符仍导入的理由",
    "withdrawn_snapshots": "撤回的快照数", "withdrawn_alerts": "撤回的提醒数",
    "counting_source": "计数来源", "created": "新建项目数", "updated": "更新项目数",
    "unchanged": "未变项目数", "version": "版本",
}

#: the words for the fields inside ``changes`` (and the settings recorded whole)
FIELD_LABELS = {
    # a project as a 绩效目标表 import updates it
    "code": "项目编码", "name": "名称", "natural_key": "项目识别键", "title": "表题",
    "supervising_department": "主管部门", "implementing_unit": "实施单位",
    "initial_budget": "年初预算数（元）", "fiscal_funds": "其中财政资金（元）",
    "other_funds": "其他资金（元）", "carryover": "上年结转（元）", "purpose": "资金用途",
    "goal": "年度总体目标", "plan": "支出计划", "indicators": "绩效指标",
    # a user
    "role": "角色", "units": "单位编号", "active": "启用",
    # a 部门整体 indicator's correction
    "level1": "一级指标", "level2": "二级指标", "target_raw": "指标值", "weight": "权重",
    # settings
    "reconcile_threshold": "对账差异提示线（元）",
    **EVALUATION_LABELS, **MONITORING_SETTING_LABELS,
}

#: values shown as words, by the key they are recorded under
_VALUE_WORDS: dict[str, dict[str, str]] = {
    "role": {role.value: label for role, label in ROLE_LABELS.items()},
    "likelihood": LIKELIHOODS, "causes": CAUSES, "achievement": ACHIEVEMENT_LABELS,
    "time_progress_method": {"month": "按月", "day": "按日"},
    "key": {"evaluation": "自评设置", "ledger": "台账设置"},
    "default_plan": {"time_progress": "序时进度"},
}


def audit_label(code: str, labels: dict[str, str]) -> str:
    """``导入（import）`` for a known code, else the code itself."""
    return f"{labels[code]}（{code}）" if code in labels else code


def detail_label(key: str, labels: dict[str, str] = DETAIL_LABELS) -> str:
    """The word for a key of an entry's details (the key itself when none is known)."""
    return labels.get(key, key)


def detail_text(key: str, value: Any) -> str:
    """One value of an entry's details as a person reads it: words for codes (角色, 偏差原因 …),
    是/否, a list joined by 、, a nested record as “名称：值；…” whose ``changes`` read
    “名称：旧 → 新”."""
    words = _VALUE_WORDS.get(key, {})
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return words.get(value, value)
    if isinstance(value, dict):
        labels = _ledger_fields() if key == "mapping" else FIELD_LABELS
        return "；".join(f"{detail_label(k, labels)}：{_field_text(k, v, changes=key == 'changes')}"
                        for k, v in value.items())
    if key == "default_plan" and isinstance(value, (list, tuple)):  # [[month, percent], …]
        return "、".join(f"{month}月 {pct}%" for month, pct in value) if value else "序时进度"
    if isinstance(value, (list, tuple)):
        return "、".join(detail_text(key, item) for item in value) if value else "（无）"
    return str(value)


def _ledger_fields() -> dict[str, str]:
    """A column mapping's fields (日期, 支付金额 …), read only when one is shown: the ledger
    importers are not loaded with the models."""
    from tracker.importers.ledger.header import FIELDS

    return FIELDS


def _field_text(key: str, value: Any, *, changes: bool) -> str:
    """A field of a nested record; in ``changes`` each is ``[old, new]``: “old → new”."""
    if changes and isinstance(value, (list, tuple)) and len(value) == 2:
        old, new = (detail_text(key, v) for v in value)
        return f"{old} → {new}"
    return detail_text(key, value)


def detail_lines(details: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """An entry's details as (key, word, text), in the order they were recorded; the audit
    pages and their Excel export show these."""
    return [(key, detail_label(key), detail_text(key, value)) for key, value in (details or {}).items()]


def details_text(details: dict[str, Any] | None) -> str:
    """All of an entry's details in one cell (the export's 详情 column), a line each."""
    return "\n".join(f"{word}：{text}" for _, word, text in detail_lines(details))
