"""Job bodies: open a session, call a service, commit, log.  Scheduled by ``tracker.scheduler``;
each can also be run once with ``tracker scheduler run --once JOB_ID``.

``today`` is the date in the configured time zone (Asia/Shanghai by default) unless given."""

from __future__ import annotations

import logging
from datetime import date, datetime

from tracker.config import Config
from tracker.db import Database
from tracker.services import monitoring, notifications

log = logging.getLogger(__name__)


def _today(config: Config, today: date | None) -> date:
    return today or datetime.now(config.tz).date()


def daily_evaluation(database: Database, config: Config, today: date | None = None) -> None:
    """Freeze the checkpoints the ledger now covers, refresh every project's current status
    and raise alerts for the projects whose colour changed."""
    day = _today(config, today)
    with database.session() as session:
        frozen = monitoring.freeze_checkpoints(session, day)
        transitions = monitoring.refresh_daily(session, day)
        session.commit()
    log.info("daily evaluation %s: %d checkpoint snapshots frozen, %d status changes",
             day, len(frozen), len(transitions))


def reminders(database: Database, config: Config, today: date | None = None) -> None:
    """Raise the reminders that have fallen due (ledger, progress, explanations)."""
    day = _today(config, today)
    with database.session() as session:
        raised = monitoring.send_reminders(session, day)
        session.commit()
    log.info("reminders %s: %d raised", day, len(raised))


def alert_mail(database: Database, config: Config, today: date | None = None) -> None:
    """Mail each subscribed user their new alerts (nothing when no SMTP host is set)."""
    settings = notifications.SmtpSettings.from_config(config)
    if settings is None:
        log.debug("alert mail: no SMTP host configured")
        return
    with database.session() as session:
        result = notifications.send_pending(session, settings)
        session.commit()
    log.info("alert mail: %d sent, %d failed (retried next run)", result.sent, result.failed)
