"""Alert mail: each subscribed user receives, in one message, the alerts they may see that
were raised since their last mail.  Sent only when ``TRACKER_SMTP_HOST`` is set.

The cursor (``AlertSubscription.last_alert_id``) moves only after the server accepted the
message, so a failed send is retried by the next run and nothing is mailed twice.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.config import Config
from tracker.errors import ValidationFailed
from tracker.models import Alert, AlertSubscription, User
from tracker.services.monitoring import ALERT_KINDS, visible_alerts_after

log = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
MAX_ALERTS_PER_MAIL = 100


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str
    password: str
    starttls: bool
    use_ssl: bool
    sender: str
    timeout: float
    public_url: str = ""

    @classmethod
    def from_config(cls, config: Config) -> SmtpSettings | None:
        """None when no SMTP host is configured (mail is off)."""
        if not config.smtp_host:
            return None
        return cls(config.smtp_host, config.smtp_port, config.smtp_username, config.smtp_password,
                   config.smtp_starttls, config.smtp_ssl, config.smtp_sender, config.smtp_timeout,
                   config.public_url.rstrip("/"))


def subscribe(session: Session, user: User, email: str) -> AlertSubscription | None:
    """Set (or, with an empty address, remove) where ``user`` receives alert mail.  A new
    subscription starts after the newest existing alert: old alerts are not mailed."""
    email = email.strip()
    current = session.get(AlertSubscription, user.id)
    if not email:
        if current is not None:
            session.delete(current)
            session.flush()
        return None
    if len(email) > 254 or not EMAIL.match(email):
        raise ValidationFailed(f"邮箱地址无效：“{email}”")
    if current is None:
        newest = session.scalar(select(Alert.id).order_by(Alert.id.desc()).limit(1)) or 0
        current = AlertSubscription(user_id=user.id, email=email, last_alert_id=newest)
        session.add(current)
    else:
        current.email = email
    session.flush()
    return current


def compose(subscription: AlertSubscription, user: User, alerts: list[Alert],
            settings: SmtpSettings) -> EmailMessage:
    shown = alerts[:MAX_ALERTS_PER_MAIL]
    message = EmailMessage()
    message["Subject"] = f"预算绩效运行监控：{len(alerts)} 条新提醒"
    message["From"] = settings.sender
    message["To"] = subscription.email
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    lines = [f"{user.username}，您好：", "", f"有 {len(alerts)} 条新的监控提醒：", ""]
    for alert in shown:
        lines.append(f"【{ALERT_KINDS.get(alert.kind, alert.kind)}】{alert.message}")
        if settings.public_url and alert.project_id:
            lines.append(f"    {settings.public_url}/projects/{alert.project_id}/monitoring")
    if len(alerts) > len(shown):
        lines.append(f"……另有 {len(alerts) - len(shown)} 条，请登录系统查看。")
    if settings.public_url:
        lines += ["", f"全部提醒：{settings.public_url}/alerts"]
    lines += ["", "（本邮件由系统自动发送，请勿回复。）"]
    message.set_content("\n".join(lines))
    return message


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    if settings.use_ssl:
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                context=ssl.create_default_context())
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    if settings.starttls:
        smtp.starttls(context=ssl.create_default_context())
    return smtp


@dataclass(frozen=True)
class MailResult:
    sent: int  # messages accepted
    failed: int  # users whose message could not be sent (retried next time)


def send_pending(session: Session, settings: SmtpSettings | None) -> MailResult:
    """Mail every subscribed user the alerts raised since their last mail (flush only)."""
    if settings is None:
        return MailResult(0, 0)
    pending = []
    for subscription, user in session.execute(
            select(AlertSubscription, User).join(User, User.id == AlertSubscription.user_id)
            .where(User.active.is_(True)).order_by(AlertSubscription.user_id)):
        alerts = visible_alerts_after(session, user, subscription.last_alert_id)
        if alerts:
            pending.append((subscription, user, alerts))
    if not pending:
        return MailResult(0, 0)
    sent = failed = 0
    try:
        smtp = _connect(settings)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("SMTP %s:%s unreachable: %s", settings.host, settings.port, error)
        return MailResult(0, len(pending))
    with smtp:
        if settings.username:
            smtp.login(settings.username, settings.password)
        for subscription, user, alerts in pending:
            try:
                smtp.send_message(compose(subscription, user, alerts, settings))
            except smtplib.SMTPException as error:
                log.warning("alert mail to %s refused: %s", subscription.email, error)
                failed += 1
                continue
            subscription.last_alert_id = alerts[-1].id
            sent += 1
    session.flush()
    return MailResult(sent, failed)
