"""Projects with their department year, spending plan and performance indicators."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, Money, Percent, ScaledDecimal, UTCDateTime, utcnow
from tracker.models.units import Unit


class DepartmentYear(Base):
    """A unit's year: the department-level texts of its 绩效目标 document."""

    __tablename__ = "department_year"
    __table_args__ = (UniqueConstraint("unit_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    year: Mapped[int] = mapped_column(Integer)
    overall_goal: Mapped[str | None] = mapped_column(Text)  # 总体绩效目标
    sub_goals: Mapped[str | None] = mapped_column(Text)  # 分项绩效目标
    safeguards: Mapped[str | None] = mapped_column(Text)  # 保障措施
    source_file: Mapped[str | None] = mapped_column(String(255))

    unit: Mapped[Unit] = relationship()


class Project(Base):
    """One budget project of one year.  Natural key: unit + year + code, or the name
    where the code is missing (``natural_key`` holds whichever applies)."""

    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("unit_id", "year", "natural_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    code: Mapped[str | None] = mapped_column(String(64))  # 项目编码
    name: Mapped[str] = mapped_column(String(300))  # 项目名称
    natural_key: Mapped[str] = mapped_column(String(320))
    title: Mapped[str | None] = mapped_column(String(300))  # the table's own heading
    supervising_department: Mapped[str | None] = mapped_column(String(200))  # 主管部门
    implementing_unit: Mapped[str | None] = mapped_column(String(200))  # 实施单位
    initial_budget: Mapped[Decimal] = mapped_column(Money())  # 年初预算数, 元
    annual_budget: Mapped[Decimal] = mapped_column(Money())  # 全年预算数, 元 (adjusted)
    fiscal_funds: Mapped[Decimal | None] = mapped_column(Money())  # 财政资金, 元
    other_funds: Mapped[Decimal | None] = mapped_column(Money())  # 其他资金, 元
    carryover: Mapped[Decimal | None] = mapped_column(Money())  # 上年结转, 元
    purpose: Mapped[str | None] = mapped_column(Text)  # 资金用途
    goal: Mapped[str | None] = mapped_column(Text)  # 年度总体绩效目标
    source_file: Mapped[str | None] = mapped_column(String(255))
    source_location: Mapped[str | None] = mapped_column(String(255))
    quality_score: Mapped[int | None] = mapped_column(Integer)  # target review, 0–100
    plan_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit] = relationship()
    plan_points: Mapped[list[PlanPoint]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="PlanPoint.checkpoint"
    )
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="Indicator.position"
    )

    @staticmethod
    def make_natural_key(code: str | None, name: str) -> str:
        return code if code else f"名称:{name}"

    def __repr__(self) -> str:
        return f"<Project {self.year} {self.code or '-'} {self.name}>"


class PlanPoint(Base):
    """资金支出计划: cumulative percent of the budget planned by a checkpoint date."""

    __tablename__ = "plan_point"
    __table_args__ = (UniqueConstraint("project_id", "checkpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    checkpoint: Mapped[date] = mapped_column(Date)
    cumulative_pct: Mapped[Decimal] = mapped_column(Percent())
    raw: Mapped[str | None] = mapped_column(String(100))  # the cell as printed
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)  # from settings, not the document

    project: Mapped[Project] = relationship(back_populates="plan_points")


class Indicator(Base):
    """绩效指标: 一级 / 二级 / 三级 with the target value as printed and as parsed."""

    __tablename__ = "indicator"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    level1: Mapped[str] = mapped_column(String(50))
    level2: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    target_raw: Mapped[str] = mapped_column(String(500))
    op: Mapped[str | None] = mapped_column(String(2))
    target_number: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4))
    target_unit: Mapped[str | None] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(20))  # quantitative / reverse / qualitative / deadline
    deadline: Mapped[date | None] = mapped_column(Date)
    basis: Mapped[str | None] = mapped_column(Text)  # 指标值确定依据
    weight: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))  # 分值
    source_location: Mapped[str | None] = mapped_column(String(255))

    project: Mapped[Project] = relationship(back_populates="indicators")
