"""年终自评 records: one ``Evaluation`` per project and attempt, with its scored indicators.

An evaluation is a draft while the unit edits it (实际完成值, qualitative choices and scores
inside their bands, 偏差原因分析及改进措施, 实际完成情况 of the overall goal); submitting it
freezes it (``frozen_at`` set): from then on nothing in it changes, whatever later ledger
imports or progress reports say.  A new evaluation of the same project gets the next
``number``; every one is kept.

Money in 元 (integer 分 in the database); scores and percents with four decimals (the
form shows two).  ``sources`` names what the figures were built from: the ledger batches
counted, the ledger's closed-through date, the progress reports used.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, Money, Percent, ScaledDecimal, UTCDateTime, utcnow
from tracker.models.projects import Indicator, Project


class Evaluation(Base):
    """The 项目支出绩效自评表 of one project for its year, attempt ``number``."""

    __tablename__ = "evaluation"
    __table_args__ = (UniqueConstraint("project_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … per project
    year: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)  # 12-31 of ``year``: spending and progress up to it
    # 项目资金（元）as valid at ``as_of``
    initial_budget: Mapped[Decimal] = mapped_column(Money())  # 年初预算数
    annual_budget: Mapped[Decimal] = mapped_column(Money())  # 全年预算数
    fiscal_funds: Mapped[Decimal | None] = mapped_column(Money())  # 本年财政拨款
    carryover: Mapped[Decimal | None] = mapped_column(Money())  # 上年结转资金
    other_funds: Mapped[Decimal | None] = mapped_column(Money())  # 其他资金
    spent: Mapped[Decimal] = mapped_column(Money())  # 全年执行数 (ledger, 1-1 … as_of)
    ledger_closed_through: Mapped[date | None] = mapped_column(Date)
    # 年度总体目标
    goal: Mapped[str | None] = mapped_column(Text)  # 预期目标
    goal_actual: Mapped[str | None] = mapped_column(Text)  # 实际完成情况
    # Scores, recomputed from the indicators by the service on every change of a draft
    execution_rate: Mapped[Decimal | None] = mapped_column(Percent())  # None when budget is 0
    execution_weight: Mapped[Decimal] = mapped_column(ScaledDecimal(4))
    execution_score: Mapped[Decimal] = mapped_column(ScaledDecimal(4))
    total: Mapped[Decimal] = mapped_column(ScaledDecimal(4))  # 总分, full precision to 4 places
    grade: Mapped[str] = mapped_column(String(2))  # 优 / 良 / 中 / 差
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{code, message}]
    warnings_reason: Mapped[str | None] = mapped_column(Text)  # why it was submitted despite them
    sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    frozen_by: Mapped[str | None] = mapped_column(String(80))
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    project: Mapped[Project] = relationship()
    indicators: Mapped[list[EvaluationIndicator]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan",
        order_by="EvaluationIndicator.position")

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None


class EvaluationIndicator(Base):
    """One 绩效指标 row of the 自评表: the target as approved, the 实际完成值, 分值 and 得分."""

    __tablename__ = "evaluation_indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int | None] = mapped_column(ForeignKey("indicator.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer)
    level1: Mapped[str] = mapped_column(String(50))
    level2: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))  # quantitative / reverse / qualitative / deadline
    op: Mapped[str | None] = mapped_column(String(2))
    target_raw: Mapped[str] = mapped_column(String(500))  # 年度指标值 as printed
    target_number: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4))
    target_unit: Mapped[str | None] = mapped_column(String(50))
    deadline: Mapped[date | None] = mapped_column(Date)
    given_weight: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))  # 分值 in the target table
    weight: Mapped[Decimal] = mapped_column(ScaledDecimal(4))  # 分值 used
    actual_raw: Mapped[str | None] = mapped_column(String(500))  # 实际完成值 as shown
    actual: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4))
    achievement: Mapped[str | None] = mapped_column(String(20))  # qualitative band code
    edited_score: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4))  # qualitative, in band
    completed_on: Mapped[date | None] = mapped_column(Date)  # deadline indicators
    score: Mapped[Decimal] = mapped_column(ScaledDecimal(4))  # 得分
    note: Mapped[str | None] = mapped_column(String(300))  # scoring note (e.g. 未填报)
    deviation_reason: Mapped[str | None] = mapped_column(Text)  # 偏差原因分析及改进措施
    source: Mapped[str | None] = mapped_column(String(200))  # where 实际完成值 came from

    evaluation: Mapped[Evaluation] = relationship(back_populates="indicators")
    indicator: Mapped[Indicator | None] = relationship()
