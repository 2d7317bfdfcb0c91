"""部门整体支出绩效自评 records: one ``DepartmentEvaluation`` per department year and attempt,
with its scored indicators — the same cycle as the project 自评 (``models/evaluation.py``):
a draft the unit edits, frozen when submitted, never changed after; a new attempt gets the next
``number`` and every one is kept.

The columns the scoring reads and writes have the names and types of ``Evaluation`` /
``EvaluationIndicator``, so the project 自评's rules (``services/evaluation.py``) score both.
Money in 元 (integer 分 in the database: the Σ over the department's projects); scores and
percents with four decimals.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, Money, Percent, ScaledDecimal, UTCDateTime, utcnow
from tracker.models.department import DepartmentIndicator
from tracker.models.projects import DepartmentYear


class DepartmentEvaluation(Base):
    """The 部门整体支出绩效自评表 of one department year, attempt ``number``."""

    __tablename__ = "department_evaluation"
    __table_args__ = (UniqueConstraint("department_year_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_year_id: Mapped[int] = mapped_column(
        ForeignKey("department_year.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    year: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)  # 12-31 of ``year``
    # 年度预算（元）: Σ over the department's projects of the year
    initial_budget: Mapped[Decimal] = mapped_column(Money())  # 年初预算数
    annual_budget: Mapped[Decimal] = mapped_column(Money())  # 全年预算数
    spent: Mapped[Decimal] = mapped_column(Money())  # 全年执行数
    ledger_closed_through: Mapped[date | None] = mapped_column(Date)
    goal: Mapped[str | None] = mapped_column(Text)  # 年度总体目标: 预期目标
    goal_actual: Mapped[str | None] = mapped_column(Text)  # 实际完成情况
    execution_rate: Mapped[Decimal | None] = mapped_column(Percent())
    execution_weight: Mapped[Decimal] = mapped_column(ScaledDecimal(4))
    execution_score: Mapped[Decimal] = mapped_column(ScaledDecimal(4))
    total: Mapped[Decimal] = mapped_column(ScaledDecimal(4))
    grade: Mapped[str] = mapped_column(String(2))
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    warnings_reason: Mapped[str | None] = mapped_column(Text)
    sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    frozen_by: Mapped[str | None] = mapped_column(String(80))
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    department_year: Mapped[DepartmentYear] = relationship()
    indicators: Mapped[list[DepartmentEvaluationIndicator]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan",
        order_by="DepartmentEvaluationIndicator.position")

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


class DepartmentEvaluationIndicator(Base):
    """One indicator row of the department 自评表: the target as read (or corrected), the
    实际完成值, 分值 and 得分."""

    __tablename__ = "department_evaluation_indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("department_evaluation.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int | None] = mapped_column(
        ForeignKey("department_indicator.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer)
    goal: Mapped[str] = mapped_column(String(300))  # 分项
    level1: Mapped[str] = mapped_column(String(50))
    level2: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))
    op: Mapped[str | None] = mapped_column(String(2))
    target_raw: Mapped[str] = mapped_column(String(500))
    target_number: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4))
    target_unit: Mapped[str | None] = mapped_column(String(50))
    deadline: Mapped[date | None] = mapped_column(Date)
    given_weight: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))
    weight: Mapped[Decimal] = mapped_column(ScaledDecimal(4))
    actual_raw: Mapped[str | None] = mapped_column(String(500))
    actual: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4))
    achievement: Mapped[str | None] = mapped_column(String(20))
    edited_score: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4))
    completed_on: Mapped[date | None] = mapped_column(Date)
    score: Mapped[Decimal] = mapped_column(ScaledDecimal(4))
    note: Mapped[str | None] = mapped_column(String(300))
    deviation_reason: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))

    evaluation: Mapped[DepartmentEvaluation] = relationship(back_populates="indicators")
    indicator: Mapped[DepartmentIndicator | None] = relationship()
