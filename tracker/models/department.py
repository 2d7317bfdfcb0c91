"""The department's own indicators (部门整体绩效指标) and the progress reported on them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, ScaledDecimal, UTCDateTime, utcnow
from tracker.models.projects import DepartmentYear


class DepartmentIndicator(Base):
    """One indicator read from a 分项绩效目标's prose, keyed to its DepartmentYear by position.

    A 分项 without any indicator is kept as a row with ``name`` None, so its finding is stored
    and shown; such a row is never scored.  ``findings`` holds the review findings (Chinese),
    one per line.
    """

    __tablename__ = "department_indicator"
    __table_args__ = (UniqueConstraint("department_year_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_year_id: Mapped[int] = mapped_column(
        ForeignKey("department_year.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    goal: Mapped[str] = mapped_column(String(300))  # 分项 title
    goal_target: Mapped[str | None] = mapped_column(Text)  # the 分项's 绩效目标 text
    name: Mapped[str | None] = mapped_column(String(500))  # 三级指标; None: the 分项 has none
    level1: Mapped[str] = mapped_column(String(50))
    level2: Mapped[str] = mapped_column(String(100))
    target_raw: Mapped[str] = mapped_column(String(500))
    op: Mapped[str | None] = mapped_column(String(2))
    target_number: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4))
    target_unit: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20))  # quantitative / reverse / qualitative / deadline
    deadline: Mapped[date | None] = mapped_column(Date)
    weight: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))  # 分值 set by the unit
    source: Mapped[str] = mapped_column(Text)  # the sentence it came from
    findings: Mapped[str | None] = mapped_column(Text)

    department_year: Mapped[DepartmentYear] = relationship()
    reports: Mapped[list[DepartmentProgress]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan",
        order_by="(DepartmentProgress.reported_on, DepartmentProgress.id)",
    )

    corrections: Mapped[list[DepartmentCorrection]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", order_by="DepartmentCorrection.id",
    )

    @property
    def finding_list(self) -> list[str]:
        return [line for line in (self.findings or "").splitlines() if line]


class DepartmentProgress(Base):
    """A 当前完成值 reported on a department indicator, as of ``reported_on``."""

    __tablename__ = "department_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("department_indicator.id", ondelete="CASCADE"), index=True
    )
    reported_on: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4))
    achievement: Mapped[str | None] = mapped_column(String(20))  # achieved / partial / not_achieved
    completed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)  # 偏差原因分析及改进措施
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    indicator: Mapped[DepartmentIndicator] = relationship(back_populates="reports")


class DepartmentCorrection(Base):
    """Finance's correction of a department indicator as read from the prose (audited, versioned
    like 调整): what it replaced and what it set, with the reason.  A corrected indicator keeps
    finance's version when the document is imported again."""

    __tablename__ = "department_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("department_indicator.id", ondelete="CASCADE"), index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    # {"name", "level1", "level2", "target_raw", "weight"}: strings or null
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    indicator: Mapped[DepartmentIndicator] = relationship(back_populates="corrections")
