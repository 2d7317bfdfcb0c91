"""Ledger imports (台账): batches, their rows, matching rules, mapping profiles, monthly totals.

A batch is one imported export of one source (e.g. 国库集中支付, 用友明细账) for one unit. A newer
batch of the same unit and source replaces the older rows inside the period it covers; the old
rows are kept, marked ``superseded_by_batch_id`` (the first active batch replacing them; see
``services.ledger_import._replacing_batch``), so undoing the newer batch restores the rows no
other active batch still replaces.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    ForeignKey,
    Index,
    Integer,
    ScalarSelect,
    String,
    Text,
    UniqueConstraint,
    event,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, MappedColumn, Session, column_property, mapped_column, relationship

from tracker.db import Base, Money, UTCDateTime, utcnow
from tracker.models.projects import Project
from tracker.models.units import Unit


class LedgerBatch(Base):
    __tablename__ = "ledger_batch"
    __table_args__ = (
        # the database itself refuses a second active batch of the same file for the same unit
        # and source (two imports at the same moment; issue #21)
        Index("uq_ledger_batch_active_checksum", "unit_id", "source", "checksum", unique=True,
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
    )

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


# Reference texts of a row, stored once each in ``ledger_text`` and referred to by id
# (``<name>_text_id``): the same 预算单位, 项目名称, 功能分类, 指标文号 … repeat on every row of an
# export, and stored inline they made a million-row import write ~340 MB instead of ~130 MB
# (measured: 2.7× the insert time, 3× the commit).  摘要 and 凭证号, mostly distinct per row,
# stay in the row.
INTERNED_TEXTS = ("sheet", "account_code", "account_name", "project_code", "project_name",
                  "project_ref_raw", "document_no", "unit_name", "functional_class",
                  "economic_class", "fund_nature", "status", "not_counted_reason")


class LedgerText(Base):
    """One distinct reference text of ledger rows.  Append-only: a text, once stored, keeps its
    id for ever (rows refer to it without a foreign key, which would cost PostgreSQL a
    trigger per row and text per import).  Looked up by ``digest`` (a unique index on the
    text itself would refuse texts longer than a PostgreSQL index row)."""

    __tablename__ = "ledger_text"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(32), unique=True)
    value: Mapped[str] = mapped_column(Text)

    @staticmethod
    def digest_of(value: str) -> str:
        return hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]


def _text_of(text_id: MappedColumn[int | None]) -> ScalarSelect[str | None]:
    return select(LedgerText.value).where(LedgerText.id == text_id).scalar_subquery()


class LedgerRow(Base):
    """One transaction row as read, with whether it counts as project spending and why not.

    The reference texts (``INTERNED_TEXTS``) read like columns (``row.project_name``) and are
    written through ``intern_texts``: in bulk by ``services.ledger_rows``, and for a row made
    here with those names as keywords, when the session flushes it."""

    __tablename__ = "ledger_row"
    __table_args__ = (
        Index("ix_ledger_row_project_date", "project_id", "date"),
        Index("ix_ledger_row_date", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("ledger_batch.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(Integer)  # the batch's unit (kept beside it for filters)
    row_number: Mapped[int] = mapped_column(Integer)
    date: Mapped[date] = mapped_column(Date)
    voucher: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)  # 摘要
    debit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    credit: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    amount: Mapped[Decimal] = mapped_column(Money())  # signed spending amount
    counts: Mapped[bool] = mapped_column(Boolean)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="SET NULL"))
    match_method: Mapped[str | None] = mapped_column(String(20))  # code/name/document_no/rule/manual
    superseded_by_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("ledger_batch.id", ondelete="SET NULL"))

    sheet_text_id: Mapped[int | None] = mapped_column(Integer)
    account_code_text_id: Mapped[int | None] = mapped_column(Integer)
    account_name_text_id: Mapped[int | None] = mapped_column(Integer)
    project_code_text_id: Mapped[int | None] = mapped_column(Integer)
    project_name_text_id: Mapped[int | None] = mapped_column(Integer)
    project_ref_raw_text_id: Mapped[int | None] = mapped_column(Integer)
    document_no_text_id: Mapped[int | None] = mapped_column(Integer)  # 指标文号
    unit_name_text_id: Mapped[int | None] = mapped_column(Integer)  # 预算单位 / 实施单位 of the row
    functional_class_text_id: Mapped[int | None] = mapped_column(Integer)
    economic_class_text_id: Mapped[int | None] = mapped_column(Integer)
    fund_nature_text_id: Mapped[int | None] = mapped_column(Integer)  # 资金性质
    status_text_id: Mapped[int | None] = mapped_column(Integer)  # 支付状态
    not_counted_reason_text_id: Mapped[int | None] = mapped_column(Integer)

    sheet: Mapped[str | None] = column_property(_text_of(sheet_text_id))
    account_code: Mapped[str | None] = column_property(_text_of(account_code_text_id))
    account_name: Mapped[str | None] = column_property(_text_of(account_name_text_id))
    project_code: Mapped[str | None] = column_property(_text_of(project_code_text_id))
    project_name: Mapped[str | None] = column_property(_text_of(project_name_text_id))
    project_ref_raw: Mapped[str | None] = column_property(_text_of(project_ref_raw_text_id))
    document_no: Mapped[str | None] = column_property(_text_of(document_no_text_id))
    unit_name: Mapped[str | None] = column_property(_text_of(unit_name_text_id))
    functional_class: Mapped[str | None] = column_property(_text_of(functional_class_text_id))
    economic_class: Mapped[str | None] = column_property(_text_of(economic_class_text_id))
    fund_nature: Mapped[str | None] = column_property(_text_of(fund_nature_text_id))
    status: Mapped[str | None] = column_property(_text_of(status_text_id))
    not_counted_reason: Mapped[str | None] = column_property(_text_of(not_counted_reason_text_id))

    project: Mapped[Project | None] = relationship()

    def __init__(self, **values: Any) -> None:
        texts = {name: values.pop(name) for name in INTERNED_TEXTS if name in values}
        super().__init__(**values)
        self.pending_texts = texts


def intern_texts(connection: Connection, values: Iterable[str]) -> dict[str, int]:
    """The ``ledger_text`` id of every text, storing the new ones.  Concurrent imports may
    store the same new text: the second insert does nothing and reads the first one's id."""
    by_digest = {LedgerText.digest_of(value): value for value in set(values)}
    ids: dict[str, int] = {}

    def look_up(digests: list[str]) -> None:
        for start in range(0, len(digests), 500):
            for digest, text_id, value in connection.execute(
                    select(LedgerText.digest, LedgerText.id, LedgerText.value)
                    .where(LedgerText.digest.in_(digests[start:start + 500]))):
                if value != by_digest[digest]:  # pragma: no cover - a sha256 collision
                    raise RuntimeError(f"ledger_text digest {digest} holds another text")
                ids[value] = text_id

    look_up(list(by_digest))
    # in digest order: two imports storing the same new texts wait for each other in the
    # same order instead of deadlocking on PostgreSQL's unique index
    missing = sorted(digest for digest, value in by_digest.items() if value not in ids)
    if missing:
        dialect = connection.dialect.name
        insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
        connection.execute(insert(LedgerText).on_conflict_do_nothing(index_elements=["digest"]),
                           [{"digest": digest, "value": by_digest[digest]} for digest in missing])
        look_up(missing)
    return ids


@event.listens_for(Session, "before_flush")
def _intern_pending_texts(session: Session, _context: object, _instances: object) -> None:
    rows = [row for row in session.new if isinstance(row, LedgerRow) and getattr(row, "pending_texts", None)]
    if not rows:
        return
    ids = intern_texts(session.connection(), (value for row in rows
                                              for value in row.pending_texts.values() if value))
    for row in rows:
        for name, value in row.pending_texts.items():
            setattr(row, f"{name}_text_id", ids[value] if value else None)
        row.pending_texts = {}


class MatchRule(Base):
    """A unit's saved rule: account code prefix, 摘要 keyword and/or the text that names the
    project on the row (项目 / 辅助核算 / 项目编码, compared without spaces) → project, within
    dates.  Every condition given must hold."""

    __tablename__ = "match_rule"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"), index=True)
    account_prefix: Mapped[str | None] = mapped_column(String(40))
    summary_keyword: Mapped[str | None] = mapped_column(String(100))
    project_text: Mapped[str | None] = mapped_column(Text)  # 项目 / 辅助核算 text of the row
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    project: Mapped[Project] = relationship()


class MappingProfile(Base):
    """A named column mapping (canonical field → header text) for one export source, with the
    answers to what the preview asked: ``status_answers`` (支付状态 text → counts or not) and
    ``sheet_projects`` (sheet name → project id)."""

    __tablename__ = "mapping_profile"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    source: Mapped[str | None] = mapped_column(String(80))
    mapping: Mapped[dict[str, str]] = mapped_column(JSON)
    count_rule: Mapped[str | None] = mapped_column(String(40))
    status_answers: Mapped[dict[str, bool] | None] = mapped_column(JSON)
    sheet_projects: Mapped[dict[str, int] | None] = mapped_column(JSON)
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
