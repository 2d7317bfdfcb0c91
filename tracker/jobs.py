"""Job bodies: open a session (a write session: on SQLite it waits for an import's write lock),
call a service, commit, log.  Scheduled by ``tracker.scheduler``;
each can also be run once with ``tracker scheduler run --once JOB_ID``.

``today`` is the date in the configured time zone (Asia/Shanghai by default) unless given."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, datetime

from tracker.config import Config
from tracker.db import Database, utcnow
from tracker.errors import MailFailed
from tracker.services import department, notifications, rounds
from tracker.services.monitoring.reminders import send_reminders
from tracker.services.monitoring.snapshots import freeze_every_checkpoint, record_every_checkpoint, refresh_daily

log = logging.getLogger(__name__)


def _today(config: Config, today: date | None) -> date:
    return today or datetime.now(config.tz).date()


def checkpoint_evaluation(database: Database, config: Config, today: date | None = None) -> None:
    """On a checkpoint's own day (23:30): evaluate and store the checkpoint of every project
    whose checkpoint it is (frozen at once when the ledger covers the day, else provisional)."""
    day = _today(config, today)
    with database.session(write=True) as session:
        stored = record_every_checkpoint(session, day)
        session.commit()
    log.info("检查点评价 %s：保存快照 %d 个", day, stored.count)


def monitoring_round(database: Database, config: Config, today: date | None = None) -> None:
    """At the end of month N (setting): open the year's 绩效运行监控 round."""
    day = _today(config, today)
    with database.session(write=True) as session:
        due = rounds.due_round(session, day)
        if due is None:
            return
        opened = rounds.open_round(session, *due, today=day, actor="scheduler")
        session.commit()
    log.info("已开启 %d 年 1-%d 月绩效运行监控%s", opened.year, opened.month,
             "（补开）" if opened.late else "")


def catch_up(database: Database, config: Config, today: date | None = None) -> None:
    """On start: what was missed while nothing ran.  Passed checkpoints never evaluated are
    evaluated as of their dates and marked late, a round whose month-end passed is opened
    (late), and the current status is refreshed."""
    day = _today(config, today)
    with database.session(write=True) as session:
        stored = freeze_every_checkpoint(session, day)
        due = rounds.due_round(session, day)
        opened = rounds.open_round(session, *due, today=day, actor="scheduler") if due else None
        transitions = refresh_daily(session, day)
        session.commit()
    log.info("启动补跑 %s：检查点快照 %d 个（其中补评 %d 个），监控轮次：%s，状态变化 %d 个",
             day, stored.count, stored.late,
             f"已开启 {opened.year} 年 1-{opened.month} 月" if opened else "无到期", len(transitions))


def daily_evaluation(database: Database, config: Config, today: date | None = None) -> None:
    """Freeze the checkpoints the ledger now covers, refresh every project's current status
    and raise alerts for the projects whose colour changed."""
    day = _today(config, today)
    with database.session(write=True) as session:
        frozen = freeze_every_checkpoint(session, day)
        transitions = refresh_daily(session, day)
        session.commit()
    log.info("每日评价 %s：冻结检查点快照 %d 个，状态变化 %d 个", day, frozen.count, len(transitions))


def reminders(database: Database, config: Config, today: date | None = None) -> None:
    """Raise the reminders that have fallen due (ledger, progress, explanations; department progress)."""
    day = _today(config, today)
    with database.session(write=True) as session:
        raised = send_reminders(session, day)
        raised += department.send_reminders(session, day)  # 部门整体 indicators, the same rule
        session.commit()
    log.info("提醒 %s：生成 %d 条", day, len(raised))


def alert_mail(database: Database, config: Config, today: date | None = None) -> None:
    """Mail each subscribed user their new alerts (nothing when no SMTP host is set).

    One transaction per user: claimed, sent and marked sent together, committed at once, so
    two senders at a time still mail each alert once.  Raises ``MailFailed`` (the command
    exits non-zero) when there was mail to send and the server accepted none of it."""
    settings = notifications.SmtpSettings.from_config(config)
    if settings is None:
        log.debug("提醒邮件：未配置邮件服务器，不发送")
        return
    now = utcnow()
    with database.session() as session:
        recipients = notifications.due_recipients(session, now)
    outcomes: Counter[str] = Counter()
    with notifications.Mailer(settings) as mailer:
        for user_id in recipients:
            with database.session(write=True) as session:
                outcomes[notifications.deliver(session, mailer, user_id, now)] += 1
                session.commit()
    result = notifications.MailResult(outcomes[notifications.SENT], outcomes[notifications.FAILED],
                                      outcomes[notifications.UNDELIVERABLE])
    log.info("提醒邮件：发送 %d 封，失败 %d 封（稍后重试），%d 个地址无法送达已停止发送",
             result.sent, result.failed, result.given_up)
    if result.all_failed:
        raise MailFailed(f"提醒邮件全部发送失败：{result.failed + result.given_up} 位用户未收到"
                         "（原因见日志；“提醒”页和用户管理页显示无法送达的地址）")
