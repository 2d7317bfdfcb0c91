"""Ledger imports (台账): batches, their rows, matching rules, mapping profiles, monthly totals.

A batch is one imported export of one source (e.g. 国库集中支付, 用友明细账) for one unit. A newer
batch of the same unit and source replaces the older rows inside the period it covers; the old
rows are kept, marked ``superseded_by_batch_id``, so undoing the newer batch restores them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import Base, Money, UTCDateTime, utcnow
from tracker.models.projects import Project
from tracker.models.units import Unit


class LedgerBatch(Base):
    __tablename__ = "ledger_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"), index=True)
    source: Mapped[str] = mapped_column(String(80))  # the export's origin, e.g. 国库集中支付
    source_kind: Mapped[str] = mapped_column(String(20))  # payment_list / ledger
    file_name: Mapped[str] = mapped_column(String(255))
    checksum: Mapped[str] = mapped_column(String(64), index=True)  # sha256 of the file
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    period_source: Mapped[str] = mapped_column(String(20))  # stated / declared / transactions
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(10), default="active")  # active / undone
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by: Mapped[str | None] = mapped_column(String(80))
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    transactions: Mapped[int] = mapped_column(Integer, default=0)
    summary_rows_skipped: Mapped[int] = mapped_column(Integer, default=0)
    counted_rows: Mapped[int] = mapped_column(Integer, default=0)
    counted_total: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    matched_rows: Mapped[int] = mapped_column(Integer, default=0)
    unmatched_rows: Mapped[int] = mapped_column(Integer, default=0)
    replaced_rows: Mapped[int] = mapped_column(Integer, default=0)
    totals_stated: Mapped[Decimal | None] = mapped_column(Money())
    totals_parsed: Mapped[Decimal | None] = mapped_column(Money())
    totals_ok: Mapped[bool | None] = mapped_column(Boolean)
    totals_override_reason: Mapped[str | None] = mapped_column(Text)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    findings: Mapped[list[Any]] = mapped_column(JSON, default=list)

    unit: Mapped[Unit] = relationship()


class LedgerRow(Base):
    """One transaction row as read, with whether it counts as project spending and why not."""

    __tablename__ = "ledger_row"
    __table_args__ = (
        Index("ix_ledger_row_project_date", "project_id", "date"),
        Index("ix_ledger_row_date", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ledger_batch.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="RESTRICT"))
    sheet: Mapped[str | None] = mapped_column(Text)
    row_number: Mapped[int] = mapped_column(Integer)
    date: Mapped[date] = mapped_column(Date)
    voucher: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)  # 摘要
    account_code: Mapped[str | None] = mapped_column(Text)
    account_name: Mapped[str | None] = mapped_column(Text)
    project_code: Mapped[str | None] = mapped_column(Text)
    project_name: Mapped[str | None] = mapped_column(Text)
    project_ref_raw: Mapped[str | None] = mapped_column(Text)
    document_no: Mapped[str | None] = mapped_column(Text)  # 指标文号
    unit_name: Mapped[str | None] = mapped_column(Text)  # 预算单位 / 实施单位 of the row
    functional_class: Mapped[str | None] = mapped_column(Text)
    economic_class: Mapped[str | None] = mapped_column(Text)
    fund_nature: Mapped[str | None] = mapped_column(Text)  # 资金性质
    status: Mapped[str | None] = mapped_column(Text)  # 支付状态
    debit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    credit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    amount: Mapped[Decimal] = mapped_column(Money())  # signed spending amount
    counts: Mapped[bool] = mapped_column(Boolean)
    not_counted_reason: Mapped[str | None] = mapped_column(Text)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="SET NULL"))
    match_method: Mapped[str | None] = mapped_column(String(20))  # code/name/document_no/rule/manual
    superseded_by_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_batch.id", ondelete="SET NULL"))

    project: Mapped[Project | None] = relationship()


class MatchRule(Base):
    """A unit's saved rule: account code prefix and/or 摘要 keyword → project, within dates."""

    __tablename__ = "match_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    account_prefix: Mapped[str | None] = mapped_column(String(40))
    summary_keyword: Mapped[str | None] = mapped_column(String(100))
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    project: Mapped[Project] = relationship()


class MappingProfile(Base):
    """A named column mapping (canonical field → header text) for one export source."""

    __tablename__ = "mapping_profile"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    source: Mapped[str | None] = mapped_column(String(80))
    mapping: Mapped[dict[str, str]] = mapped_column(JSON)
    count_rule: Mapped[str | None] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProjectMonthSpending(Base):
    """Counted, matched, active spending of a project per calendar month, kept current inside
    every import / undo / assignment transaction so monitoring never rescans ledger rows."""

    __tablename__ = "project_month_spending"

    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"),
                                            primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month
    amount: Mapped[Decimal] = mapped_column(Money())
    row_count: Mapped[int] = mapped_column(Integer)
