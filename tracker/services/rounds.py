"""The yearly 绩效运行监控 round (1-N月): opened at the end of month N.

Opening a round records it (once per year and month), makes sure every project of the year
has its checkpoint snapshot at the cut-off (the end of month N is a checkpoint of every
project, see ``tracker.services.monitoring.snapshots``), and tells each unit that its 绩效监控情况表 are
due: which of its projects are yellow or red at the cut-off and so need a 偏差说明.  The
tables themselves are built from that data by ``tracker.services.reporting``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.core.plan import month_end
from tracker.core.labels import COLOUR_LABELS
from tracker.models import Alert, MonitoringRound, Project, Snapshot
from tracker.services import audit
from tracker.services.monitoring.alerts import add_alerts
from tracker.services.monitoring.snapshots import FLAGGED, freeze_every_checkpoint, record_every_checkpoint
from tracker.services.settings import monitoring_settings


def round_of(session: Session, year: int, month: int) -> MonitoringRound | None:
    return session.scalar(select(MonitoringRound).where(
        MonitoringRound.year == year, MonitoringRound.month == month))


def due_round(session: Session, today: date) -> tuple[int, int] | None:
    """(year, N) of the round that should be open by ``today`` and is not: this year's, once
    the end of month N (setting) has come, when the year has projects (a round of no
    projects monitors nothing)."""
    month = monitoring_settings(session).monitoring_month
    cutoff = month_end(today.year, month)
    if today < cutoff or round_of(session, today.year, month) is not None:
        return None
    if session.scalar(select(Project.id).where(Project.year == today.year).limit(1)) is None:
        return None
    return today.year, month


def open_round(session: Session, year: int, month: int, today: date, actor: str) -> MonitoringRound:
    """Open the round 1-``month``月 of ``year`` (idempotent: an open round is returned as it is).

    Opened after its cut-off day it is marked ``late`` (the scheduler was not running)."""
    existing = round_of(session, year, month)
    if existing is not None:
        return existing
    cutoff = month_end(year, month)
    late = today > cutoff
    round_ = MonitoringRound(year=year, month=month, cutoff=cutoff, opened_on=today, late=late,
                             actor=actor)
    session.add(round_)
    # the cut-off's checkpoint snapshots: on the day itself, or caught up (late) afterwards
    if today == cutoff:
        record_every_checkpoint(session, today)
    elif today > cutoff:
        freeze_every_checkpoint(session, today)
    _round_alerts(session, round_, today)
    session.flush()
    audit.record(session, actor, "monitoring_round.open", "monitoring_round", round_.id,
                 year=year, month=month, cutoff=cutoff.isoformat(), late=late)
    return round_


def _round_alerts(session: Session, round_: MonitoringRound, today: date) -> list[Alert]:
    """One alert per unit: the round is open, and which projects need a 偏差说明."""
    rows = session.execute(
        select(Project.unit_id, Project.name, Snapshot.overall_status)
        .join(Snapshot, (Snapshot.project_id == Project.id) & (Snapshot.kind == "checkpoint")
              & (Snapshot.as_of == round_.cutoff), isouter=True)
        .where(Project.year == round_.year)
        .order_by(Project.unit_id, Project.id)).all()
    flagged: dict[int, list[str]] = defaultdict(list)
    units: set[int] = set()
    for unit_id, name, colour in rows:
        units.add(unit_id)
        if colour in FLAGGED:
            flagged[unit_id].append(f"{name}（{COLOUR_LABELS[colour]}）")
    period = f"{round_.year}年1-{round_.month}月"
    alerts = []
    for unit_id in sorted(units):
        names = flagged.get(unit_id, [])
        message = f"{period}预算绩效运行监控已开始，请核对本单位项目的绩效监控情况表。"
        if names:
            message += f"以下项目在{round_.cutoff.isoformat()}为黄灯或红灯，需填写偏差说明：{'、'.join(names)}。"
        alerts.append(Alert(unit_id=unit_id, project_id=None, kind="round_opened",
                            severity="yellow" if names else "green", as_of=round_.cutoff,
                            message=message, key=f"round:{round_.year}:{round_.month}:{unit_id}"))
    return add_alerts(session, alerts)
