"""The audit log: who did what to which record, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import Base, UTCDateTime, utcnow


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
    "logout": "退出登录", "change_password": "修改密码",
    "report_progress": "填报完成值", "explain_deviation": "偏差说明",
    "create_evaluation": "新建自评", "edit_evaluation": "修改自评", "freeze_evaluation": "提交自评",
    "monitoring_round.open": "开启监控轮次", "export": "导出", "counting_source": "选择计数来源",
}
ENTITY_LABELS = {
    "project": "项目", "app_user": "用户", "ledger_batch": "台账批次", "ledger_row": "台账行",
    "setting": "设置", "indicator": "绩效指标", "evaluation": "自评", "target_import": "目标表导入",
    "mapping_profile": "列映射方案", "monitoring_round": "监控轮次", "download": "下载文件",
    "unit": "单位",
}


def audit_label(code: str, labels: dict[str, str]) -> str:
    """``导入（import）`` for a known code, else the code itself."""
    return f"{labels[code]}（{code}）" if code in labels else code
