"""调整: approved changes to a project's 全年预算数, spending plan or indicator targets.

The project's own columns (``Project.annual_budget``, its ``PlanPoint`` rows, its
``Indicator`` targets) always hold the newest version; every ``Adjustment`` keeps what it
replaced (``*_before``) and what it set (``*_after``) with the date it takes effect, the
reason and who approved it.  So the version valid at a date d is: for each aspect, the
``before`` of the earliest adjustment of that aspect effective after d, else the current
value.  Adjustments of a project are made in date order (a new one never takes effect
before an earlier one), which keeps that chain exact.  Frozen snapshots store their figures,
so they keep what was valid when they were taken.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, Money, UTCDateTime, utcnow
from tracker.models.projects import Project


class Adjustment(Base):
    """One approved 调整 of a project, effective from ``effective_on`` (inclusive)."""

    __tablename__ = "adjustment"
    __table_args__ = (Index("ix_adjustment_project_id_effective_on", "project_id", "effective_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    effective_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)  # 调整原因
    approver: Mapped[str] = mapped_column(String(120))  # 批准人 / 批准机关
    document: Mapped[str | None] = mapped_column(String(200))  # 批复文号
    # 全年预算数 (元); both None when the budget was not changed
    budget_before: Mapped[Decimal | None] = mapped_column(Money())
    budget_after: Mapped[Decimal | None] = mapped_column(Money())
    # spending plan: [["YYYY-MM-DD", "cumulative pct"], ...]; None when not changed
    plan_before: Mapped[list[list[str]] | None] = mapped_column(JSON)
    plan_after: Mapped[list[list[str]] | None] = mapped_column(JSON)
    # indicator targets: [{"indicator_id", "name", "before": {...}, "after": {...}}] with the
    # keys target_raw, op, target_number, target_unit, kind, deadline (strings or null)
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    project: Mapped[Project] = relationship()
