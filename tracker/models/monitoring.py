"""双监控 records: indicator progress reports, deviation explanations, evaluation snapshots,
alerts and who has read them, and where each user wants alert mail.

Nothing here is ever overwritten except the one ``daily`` snapshot per project, which the
daily refresh replaces, and the marks a correction adds: a snapshot frozen on a ledger batch
that was later undone is marked (``withdrawn_batch_id``), an alert that rested on it is marked
withdrawn, and a re-freeze keeps the old snapshot as kind ``replaced``.  Progress reports and explanations keep their whole history: the
newest one (by its date, then by id) is the one that counts.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from tracker.core.labels import CAUSES, LIKELIHOODS
from tracker.db import Base, Money, Percent, ScaledDecimal, UTCDateTime, utcnow
from tracker.models.projects import Indicator, Project



class ProgressReport(Base):
    """当前完成值 of one indicator as of ``reported_on``, as the unit reported it.

    Quantitative / reverse indicators carry ``value``; qualitative ones ``achievement`` (one of
    the three levels); deadline ones ``completed_on`` once done.  ``evidence_sha256`` names the
    stored 佐证材料 file (``instance/evidence/<sha256>``), ``evidence_name`` its original name.
    """

    __tablename__ = "progress_report"
    #: ``ix_progress_report_latest`` holds the id too: "the report that counts at a date" (the
    #: newest ``reported_on`` ≤ the date, the last entered of that day) is then one index-only
    #: probe per indicator, without reading or sorting the rows (half the time at 500,000
    #: indicators on PostgreSQL, benchmarks/province_scale.py).
    __table_args__ = (Index("ix_progress_report_indicator_date", "indicator_id", "reported_on"),
                      Index("ix_progress_report_latest", "indicator_id", "reported_on", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    reported_on: Mapped[date] = mapped_column(Date)  # the date the value is as of
    value: Mapped[Decimal | None] = mapped_column(ScaledDecimal(4))
    achievement: Mapped[str | None] = mapped_column(String(20))  # achieved / partial / not_achieved
    completed_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    evidence_name: Mapped[str | None] = mapped_column(String(255))
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    evidence_size: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    indicator: Mapped[Indicator] = relationship()


class DeviationExplanation(Base):
    """偏差说明 of a project for one checkpoint (or the monitoring cut-off): causes,
    完成目标可能性, 原因说明, 纠偏措施, and 全年预计完成情况 per indicator (``forecasts``)."""

    __tablename__ = "deviation_explanation"
    __table_args__ = (Index("ix_deviation_explanation_project_as_of", "project_id", "as_of"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    as_of: Mapped[date] = mapped_column(Date)  # the checkpoint explained
    causes: Mapped[list[str]] = mapped_column(JSON, default=list)  # codes of CAUSES
    likelihood: Mapped[str] = mapped_column(String(12))  # code of LIKELIHOODS
    reason: Mapped[str | None] = mapped_column(Text)  # 原因说明
    corrective_actions: Mapped[str | None] = mapped_column(Text)  # 纠偏措施
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    project: Mapped[Project] = relationship()
    forecasts: Mapped[list[IndicatorForecast]] = relationship(
        back_populates="explanation", cascade="all, delete-orphan", order_by="IndicatorForecast.id"
    )

    @property
    def cause_labels(self) -> list[str]:
        return [CAUSES.get(code, code) for code in self.causes]

    @property
    def likelihood_label(self) -> str:
        return LIKELIHOODS.get(self.likelihood, self.likelihood)


class IndicatorForecast(Base):
    """全年预计完成情况 of one indicator, as stated in an explanation (free text: a number
    with its unit, or a sentence for qualitative indicators)."""

    __tablename__ = "indicator_forecast"
    __table_args__ = (UniqueConstraint("explanation_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    explanation_id: Mapped[int] = mapped_column(
        ForeignKey("deviation_explanation.id", ondelete="CASCADE"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id", ondelete="CASCADE"))
    forecast: Mapped[str] = mapped_column(String(500))

    explanation: Mapped[DeviationExplanation] = relationship(back_populates="forecasts")
    indicator: Mapped[Indicator] = relationship()


class Snapshot(Base):
    """One evaluation of a project, stored.

    ``kind`` 'checkpoint': the evaluation at a checkpoint date, provisional (``frozen`` false)
    while the ledger does not cover it yet, then frozen and never changed afterwards (the
    monitoring round's cut-off is always a checkpoint, so its figures are these too), except
    by a re-freeze after a correction: the snapshot then becomes kind 'replaced' (history, its
    values as they were) and a new 'checkpoint' one with the next ``version`` takes its place.
    ``kind`` 'daily': the project's current status,
    one row per project, replaced by every refresh (``as_of`` = the day of the refresh, money
    judged at ``money_as_of`` = the last day the ledger covers).  Money in 元, percents in %.
    ``indicators`` holds each indicator's id, colour, label, value and ratio.
    """

    __tablename__ = "snapshot"
    __table_args__ = (
        UniqueConstraint("project_id", "kind", "as_of", "version"),
        Index("ix_snapshot_kind_as_of", "kind", "as_of"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))  # checkpoint / daily / check
    as_of: Mapped[date] = mapped_column(Date)
    money_as_of: Mapped[date] = mapped_column(Date)
    frozen: Mapped[bool] = mapped_column(Boolean, default=False)
    evaluated_on: Mapped[date] = mapped_column(Date)  # local date the evaluation was made
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    budget: Mapped[Decimal] = mapped_column(Money())  # 全年预算数
    spent: Mapped[Decimal] = mapped_column(Money())  # 累计支出
    execution_rate: Mapped[Decimal | None] = mapped_column(Percent())  # 执行率
    planned_pct: Mapped[Decimal] = mapped_column(Percent())  # 计划累计进度
    gap_points: Mapped[Decimal | None] = mapped_column(Percent())  # 计划 − 执行率
    ratio: Mapped[Decimal | None] = mapped_column(Percent())  # v
    money_status: Mapped[str] = mapped_column(String(12))  # red/yellow/green/grey/overspent
    money_note: Mapped[str | None] = mapped_column(String(200))
    ledger_closed_through: Mapped[date | None] = mapped_column(Date)
    ledger_covered: Mapped[bool] = mapped_column(Boolean)
    results_status: Mapped[str] = mapped_column(String(8))
    overall_status: Mapped[str] = mapped_column(String(8))
    forecast: Mapped[Decimal] = mapped_column(Money())  # 全年预计执行数 (by plan)
    carry_over: Mapped[Decimal] = mapped_column(Money())  # 预计结转结余 (by plan)
    forecast_run_rate: Mapped[Decimal] = mapped_column(Money())
    carry_over_run_rate: Mapped[Decimal] = mapped_column(Money())
    indicators: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: Evaluated by the scheduler's catch-up after its date had passed (nothing was running
    #: at the checkpoint's 23:30), not on time.
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The ledger batches the evaluation rested on: the unit's active batches that reach into
    #: the project's year (their rows and their periods, which make the ledger's coverage).
    #: None: evaluated before this was recorded.
    basis_batch_ids: Mapped[list[int] | None] = mapped_column(JSON)
    #: Set when one of ``basis_batch_ids`` was undone after the evaluation (基于已撤销的台账批次):
    #: the values stay as they were, the page shows the recomputation beside them.
    withdrawn_batch_id: Mapped[int | None] = mapped_column(Integer)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: 1 for the first freeze; each re-freeze of a checkpoint after a correction adds one.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    #: Who confirmed a re-freeze (None: frozen by the system).
    frozen_by: Mapped[str | None] = mapped_column(String(80))

    project: Mapped[Project] = relationship()

    @property
    def withdrawn_basis(self) -> bool:
        """基于已撤销的台账批次."""
        return self.withdrawn_batch_id is not None


class Alert(Base):
    """Something a person should look at: a status change, a checkpoint the ledger does not
    cover, an overdue report or explanation, an import's change summary.

    Visible to whoever may see ``unit_id``'s projects.  ``key`` makes one-off alerts
    (reminders) idempotent; status changes have none and may recur."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("key"), Index("ix_alert_unit_id_id", "unit_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id", ondelete="CASCADE"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(8))  # red / yellow / green / grey
    as_of: Mapped[date] = mapped_column(Date)
    message: Mapped[str] = mapped_column(Text)
    key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The ledger batches the status behind this alert rested on (status alerts only).
    basis_batch_ids: Mapped[list[int] | None] = mapped_column(JSON)
    #: Withdrawn (已撤销) because the batch ``withdrawn_batch_id`` it rested on was undone:
    #: shown struck through, not counted as unread, not mailed any more.
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withdrawn_batch_id: Mapped[int | None] = mapped_column(Integer)
    #: A withdrawal notice (kind 'withdrawn'): the alert it withdraws.  Mailed only to those
    #: who were mailed that alert.
    withdraws_alert_id: Mapped[int | None] = mapped_column(Integer)

    project: Mapped[Project | None] = relationship()


#: PostgreSQL advisory lock key: a transaction that inserts alerts holds it shared until it ends,
#: so the alert mail knows, by taking it exclusively for a moment, that no alert is in flight.
ALERTS_IN_FLIGHT_LOCK = 21_002


@event.listens_for(Session, "before_flush")
def _alerts_in_flight(session: Session, _context: Any, _instances: Any) -> None:
    if any(isinstance(o, Alert) for o in session.new):
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"),
                               {"key": ALERTS_IN_FLIGHT_LOCK})


class AlertRead(Base):
    """That ``user_id`` has read ``alert_id``."""

    __tablename__ = "alert_read"

    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AlertSubscription(Base):
    """Where a user wants alert mail (the user's one e-mail address), and how delivery to it
    is going.  Which alerts were mailed is recorded per alert (``AlertDelivery``)."""

    __tablename__ = "alert_subscription"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    #: Alerts up to this id count as mailed: the cursor of the mail before deliveries were
    #: recorded per alert, carried over as it stood (= ``start_alert_id`` for newer subscriptions).
    mailed_through: Mapped[int] = mapped_column(Integer, default=0)
    #: Every alert up to this id is settled for the user (committed, and mailed or never to be
    #: mailed): the mail looks only above it.  Moved only where no alert below it can still
    #: commit (``notifications.settled_alert_id``).
    settled_through: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: The newest alert when the subscription began: alerts up to it were never mailed to the
    #: user (so neither is the withdrawal of one of them).
    start_alert_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    #: Sends that failed in a row since the last one the server accepted.
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: refusals (5xx) in a row: only these decide when mail to the address stops
    refusals: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: No send before this instant (backing off after a failure); None: at the next run.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The server's answer to the last failed send (code and text, as it gave them).
    last_error: Mapped[str | None] = mapped_column(Text)
    #: The server refused the address permanently, often enough: no more mail until the address
    #: changes (shown as 邮件无法送达).
    undeliverable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class AlertDelivery(Base):
    """That ``alert_id`` was mailed to ``user_id`` (in the message the server accepted at
    ``sent_at``).  One row per alert and user, so an alert whose transaction committed after a
    newer one had been mailed is still mailed, once."""

    __tablename__ = "alert_delivery"
    __table_args__ = (Index("ix_alert_delivery_alert_id", "alert_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MonitoringRound(Base):
    """The yearly 绩效运行监控 round for 1-``month``月 of ``year``: opened by the scheduler at the
    end of month N (or by hand).  ``cutoff`` (the last day of month N) is a checkpoint of
    every project, so the round's figures are the projects' checkpoint snapshots at that
    date (frozen once the ledger covers it); the 绩效监控情况表 are built from them and the
    projects' deviation explanations."""

    __tablename__ = "monitoring_round"
    __table_args__ = (UniqueConstraint("year", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)  # N of 1-N月
    cutoff: Mapped[date] = mapped_column(Date)  # last day of month N
    opened_on: Mapped[date] = mapped_column(Date)  # local date it was opened
    late: Mapped[bool] = mapped_column(Boolean, default=False)  # opened by the catch-up
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
