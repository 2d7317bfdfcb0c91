"""Alert mail: each subscribed user receives, in one message, the alerts they may see that
were not mailed to them yet.  Sent only when ``TRACKER_SMTP_HOST`` is set.

What was mailed is recorded per alert and user (``AlertDelivery``), not as a cursor "last alert
id mailed": two writers (the scheduler and an import) can commit an alert with a smaller id
after a larger one was already mailed, and a cursor would skip it for good.  Alerts up to the
subscription's ``mailed_through`` (the old cursor, carried over) count as mailed.  So that a run
does not read every alert ever raised, each subscription keeps ``settled_through``: the alerts
up to it are committed and dealt with; it moves up only to an id below which no alert can
still commit (``settled_alert_id``).

Exactly once, even with two senders at a time: ``deliver`` claims one user's subscription for
its transaction (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; on SQLite a write first,
which takes the database's one write lock), reads the alerts not delivered yet, sends, and
records their deliveries in that same transaction.  A second sender skips the claimed row
(PostgreSQL) or waits and then finds the deliveries (SQLite).  The caller commits right after
each ``deliver``; only a crash between the server's acceptance and that commit can mail a
message twice.

Corrections (``services/corrections``): a withdrawn alert (它所依据的台账批次已撤销) is not mailed
any more, and its withdrawal notice is mailed only to a user who had been mailed the withdrawn
alert, so those told of an alert are told once of its withdrawal, and nobody else is.

A failed send records nothing delivered and records the failure on the subscription:
the next try waits (``TEMPORARY_BACKOFF`` for 4xx answers and unreachable servers,
``PERMANENT_BACKOFF`` for an address the server refuses with 5xx); after the last permanent
backoff the address is marked ``undeliverable`` (邮件无法送达) and no more mail goes to it
until someone changes it.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import ColumnElement, and_, exists, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from tracker.core.labels import ALERT_KINDS
from tracker.config import Config
from tracker.errors import ValidationFailed
from tracker.models import Alert, AlertDelivery, AlertSubscription, User
from tracker.models.monitoring import ALERTS_IN_FLIGHT_LOCK
from tracker.services import audit
from tracker.services.monitoring.alerts import visible_to

log = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
MAX_ALERTS_PER_MAIL = 100
#: Waits after the 1st, 2nd, 3rd… failed send in a row of a temporary failure (4xx, server
#: unreachable); the last one repeats.
TEMPORARY_BACKOFF = (timedelta(minutes=10), timedelta(minutes=30), timedelta(hours=1))
#: Waits after the 1st, 2nd, 3rd refusal of the address (5xx); one more refusal and the
#: address is given up (邮件无法送达).
PERMANENT_BACKOFF = (timedelta(minutes=10), timedelta(hours=1), timedelta(hours=6))


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


def subscribe(session: Session, user: User, email: str,
              actor: User | str | None = None) -> AlertSubscription | None:
    """Set (or, with an empty address, remove) ``user``'s e-mail address, where they receive
    alert mail; ``actor`` is who did it (default: the user).  A new subscription starts after
    the newest existing alert: older alerts are not mailed.  A changed address starts afresh
    (failures and 邮件无法送达 forgotten)."""
    email = email.strip()
    current = session.get(AlertSubscription, user.id)
    if not email:
        if current is not None:
            session.delete(current)
            session.flush()
            audit.record(session, actor or user, "set_email", "app_user", user.id,
                         username=user.username, email=None)
        return None
    if len(email) > 254 or not EMAIL.match(email):
        raise ValidationFailed(f"邮箱地址无效：“{email}”")
    if current is None:
        newest = session.scalar(select(Alert.id).order_by(Alert.id.desc()).limit(1)) or 0
        current = AlertSubscription(user_id=user.id, email=email, mailed_through=newest,
                                    settled_through=newest, start_alert_id=newest)
        session.add(current)
    elif current.email == email:
        return current
    else:
        current.email = email
        current.failures, current.refusals, current.next_attempt_at = 0, 0, None
        current.last_error, current.undeliverable = None, False
    session.flush()
    audit.record(session, actor or user, "set_email", "app_user", user.id, username=user.username,
                 email=email)
    return current


def addresses(session: Session) -> dict[int, AlertSubscription]:
    """Every user's e-mail address and delivery state, by user id."""
    return {s.user_id: s for s in session.scalars(select(AlertSubscription))}


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
        if settings.public_url and alert.project_id:  # the page at the date the alert speaks of
            lines.append(f"    {settings.public_url}/projects/{alert.project_id}/monitoring"
                         f"?as_of={alert.as_of.isoformat()}")
    if len(alerts) > len(shown):
        lines.append(f"……另有 {len(alerts) - len(shown)} 条，请登录系统查看。")
    if settings.public_url:
        lines += ["", f"全部提醒：{settings.public_url}/alerts"]
    lines += ["", "（本邮件由系统自动发送，请勿回复。）"]
    message.set_content("\n".join(lines))
    return message


class SendFailed(Exception):
    """A message was not accepted.  ``permanent``: the server refused the address (5xx);
    ``reason``: what the server said (code and text), or why it could not be reached."""

    def __init__(self, permanent: bool, reason: str) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.reason = reason


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _failure(error: Exception, settings: SmtpSettings) -> SendFailed:
    """Classify a failed send: only a refusal of the recipient or the message (5xx) is
    permanent; a refused sender, a failed login or greeting is the server's configuration and
    is retried like a temporary failure."""
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, text = next(iter(error.recipients.values()))
        return SendFailed(500 <= code < 600, _answer(code, text))
    if isinstance(error, smtplib.SMTPDataError):
        return SendFailed(500 <= error.smtp_code < 600, _answer(error.smtp_code, error.smtp_error))
    if isinstance(error, smtplib.SMTPResponseException):
        return SendFailed(False, _answer(error.smtp_code, error.smtp_error))
    return SendFailed(False, f"无法连接邮件服务器 {settings.host}:{settings.port}")


class Mailer:
    """One SMTP connection for a run of sends: opened at the first send, opened again after
    the server dropped it.  When the server cannot be reached, every later send of the same
    run fails at once instead of waiting for the timeout again."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._unreachable: SendFailed | None = None

    def send(self, message: EmailMessage) -> None:
        if self._unreachable is not None:
            raise self._unreachable
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except OSError as error:  # smtplib's errors are OSErrors too: refused greeting, login
                self._unreachable = _failure(error, self.settings)
                log.warning("邮件服务器 %s:%s 不可用：%s", self.settings.host, self.settings.port, error)
                raise self._unreachable from error
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPServerDisconnected as error:
            self._smtp = None  # the next send connects again
            raise _failure(error, self.settings) from error
        except OSError as error:
            if not isinstance(error, smtplib.SMTPException):
                self._smtp = None
            raise _failure(error, self.settings) from error

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        if settings.use_ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                                  context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


#: What ``deliver`` did for one user.
SENT, NOTHING_NEW, BUSY, FAILED, UNDELIVERABLE = "sent", "nothing_new", "busy", "failed", "undeliverable"


@dataclass(frozen=True)
class MailResult:
    sent: int  # messages accepted
    failed: int  # users whose message was not accepted this time (retried after a wait)
    given_up: int = 0  # users whose address was given up this time (邮件无法送达)

    @property
    def all_failed(self) -> bool:
        """Something was to be sent and nothing was accepted."""
        return self.sent == 0 and (self.failed + self.given_up) > 0


def due_recipients(session: Session, now: datetime) -> list[int]:
    """Ids of the active users whose mail may go out at ``now``: address not given up, not
    waiting after a failure."""
    return list(session.scalars(
        select(AlertSubscription.user_id).join(User, User.id == AlertSubscription.user_id)
        .where(User.active.is_(True), *_due(now)).order_by(AlertSubscription.user_id)))


def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Not given up, and not waiting after a failure."""
    return (AlertSubscription.undeliverable.is_(False),
            or_(AlertSubscription.next_attempt_at.is_(None), AlertSubscription.next_attempt_at <= now))


def _claim(session: Session, user_id: int, now: datetime) -> AlertSubscription | None:
    """Lock ``user_id``'s subscription for this transaction, if it is still due and no other
    sender holds it."""
    if session.get_bind().dialect.name == "sqlite":
        # A write first: SQLite takes its single write lock now, so a second sender waits here
        # until this transaction ends, and then reads the deliveries this one recorded.
        session.execute(update(AlertSubscription).where(AlertSubscription.user_id == user_id)
                        .values(updated_at=AlertSubscription.updated_at))
    return session.scalar(
        select(AlertSubscription).where(AlertSubscription.user_id == user_id, *_due(now))
        .with_for_update(skip_locked=True).execution_options(populate_existing=True))


def settled_alert_id(session: Session) -> int | None:
    """The highest alert id below which no alert can still commit, or None when an alert may be
    in flight.  SQLite: called holding the write lock (``deliver``'s claim), so no other writer
    is in a transaction.  PostgreSQL: every transaction inserting alerts holds
    ``ALERTS_IN_FLIGHT_LOCK`` shared until it ends; taking it exclusively for a moment proves
    none is in flight, and ids given out afterwards are larger than the newest one read here."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return session.scalar(select(func.max(Alert.id))) or 0
    key = {"key": ALERTS_IN_FLIGHT_LOCK}
    if not connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), key):
        return None
    try:
        return session.scalar(select(func.max(Alert.id))) or 0
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"), key)


def undelivered(session: Session, user: User, subscription: AlertSubscription) -> list[Alert]:
    """The alerts to mail ``user`` now, oldest first: those they may see, not mailed to them yet
    (above ``settled_through``, without a delivery), not withdrawn; a withdrawal notice only
    when the alert it withdraws had been mailed to them (a delivery, or carried over from the
    old cursor: ``start_alert_id`` < id ≤ ``mailed_through``)."""
    def mailed(alert_id: ColumnElement[int]) -> ColumnElement[bool]:
        return or_(and_(alert_id > subscription.start_alert_id, alert_id <= subscription.mailed_through),
                   exists().where(AlertDelivery.user_id == user.id, AlertDelivery.alert_id == alert_id))

    return list(session.scalars(
        select(Alert).where(visible_to(user), Alert.id > subscription.settled_through,
                            Alert.withdrawn_at.is_(None),
                            ~exists().where(AlertDelivery.user_id == user.id, AlertDelivery.alert_id == Alert.id),
                            Alert.withdraws_alert_id.is_(None) | mailed(Alert.withdraws_alert_id))
        .order_by(Alert.id)))


def deliver(session: Session, mailer: Mailer, user_id: int, now: datetime) -> str:
    """Claim ``user_id``'s subscription, mail the alerts not mailed to them yet and record
    their deliveries, or record why the server did not take it (flush only; the caller commits
    at once, so the claim ends).  Returns SENT, NOTHING_NEW, BUSY, FAILED or UNDELIVERABLE.
    Once everything found was mailed, ``settled_through`` moves up to the settled id read
    before looking (``settled_alert_id``), so the next run reads only newer alerts."""
    subscription = _claim(session, user_id, now)
    if subscription is None:
        return BUSY
    user = session.get(User, user_id)
    if user is None or not user.active:
        return NOTHING_NEW
    settled = settled_alert_id(session)  # before reading: every alert up to it is read below
    alerts = undelivered(session, user, subscription)
    if not alerts:
        _settle(session, subscription, settled)
        return NOTHING_NEW
    try:
        mailer.send(compose(subscription, user, alerts, mailer.settings))
    except SendFailed as failure:
        outcome = _record_failure(subscription, failure, now)
        session.flush()
        log.warning("提醒邮件未送达 %s（%s）：%s", subscription.email,
                    "地址被拒收" if failure.permanent else "暂时失败", failure.reason)
        return outcome
    session.execute(insert(AlertDelivery), [{"user_id": user_id, "alert_id": a.id, "sent_at": now}
                                            for a in alerts])
    subscription.failures, subscription.refusals = 0, 0
    subscription.next_attempt_at, subscription.last_error = None, None
    _settle(session, subscription, settled)
    return SENT


def _settle(session: Session, subscription: AlertSubscription, settled: int | None) -> None:
    if settled is not None and settled > subscription.settled_through:
        subscription.settled_through = settled
    session.flush()


def _record_failure(subscription: AlertSubscription, failure: SendFailed, now: datetime) -> str:
    """Count the failure and set the next try.  Refusals and temporary failures back off on
    their own counts, so temporary trouble before a refusal never shortens the refusal's backoff."""
    subscription.failures += 1
    subscription.refusals = subscription.refusals + 1 if failure.permanent else 0
    subscription.last_error = failure.reason[:1000]
    if failure.permanent:
        if subscription.refusals > len(PERMANENT_BACKOFF):
            subscription.undeliverable, subscription.next_attempt_at = True, None
            return UNDELIVERABLE
        subscription.next_attempt_at = now + PERMANENT_BACKOFF[subscription.refusals - 1]
        return FAILED
    subscription.next_attempt_at = now + TEMPORARY_BACKOFF[min(subscription.failures, len(TEMPORARY_BACKOFF)) - 1]
    return FAILED
