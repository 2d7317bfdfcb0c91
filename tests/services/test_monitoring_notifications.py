"""Alert mail against a real SMTP server (aiosmtpd) on 127.0.0.1: each alert mailed once (also
with two senders at a time), failures backed off, a refused address given up and shown."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy import select

from tests.monitoring_builders import make_unit
from tracker import jobs, migration
from tracker.cli import Context, cli
from tracker.config import Config
from tracker.db import Database
from tracker.errors import MailFailed, ValidationFailed
from tracker.models import Alert, AlertDelivery, AlertSubscription, AuditEntry, Role
from tracker.services import notifications
from tracker.services.monitoring.alerts import insert_alerts
from tracker.services.notifications import Mailer, SmtpSettings, deliver, due_recipients, subscribe
from tracker.services.users import create_user

NOW = datetime(2025, 7, 5, 2, 0, tzinfo=UTC)


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False  # refuse every message at DATA (554)
        self.refused_rcpt: dict[str, str] = {}  # address → answer at RCPT ("550 …", "450 …")
        self.delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # type: ignore[no-untyped-def]  # noqa: N802
        if address in self.refused_rcpt:
            return self.refused_rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]  # noqa: N802
        if self.refuse:
            return "554 refused for the test"
        if self.delay:
            time.sleep(self.delay)  # blocks the server's loop: widens the window of a race
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def recipients(self) -> list[str]:
        return sorted(str(m["To"]) for m in self.messages)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture()
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _config(port: int) -> Config:
    return Config(smtp_host="127.0.0.1", smtp_port=port, smtp_sender="jixiao@example.gov.cn",
                  smtp_timeout=5, public_url="https://jixiao.example.gov.cn/")


def _settings(port: int) -> SmtpSettings:
    settings = SmtpSettings.from_config(_config(port))
    assert settings is not None
    return settings


def _alert(session, unit, message: str, project_id: int | None = None) -> Alert:  # type: ignore[no-untyped-def]
    alert = Alert(unit_id=unit.id, project_id=project_id, kind="turned_red", severity="red",
                  as_of=date(2025, 6, 30), message=message)
    session.add(alert)
    session.flush()
    return alert


def _delivered(session, user_id: int) -> list[int]:  # type: ignore[no-untyped-def]
    """Ids of the alerts recorded as mailed to ``user_id``."""
    return list(session.scalars(select(AlertDelivery.alert_id).where(AlertDelivery.user_id == user_id)
                                .order_by(AlertDelivery.alert_id)))


def _deliver_all(session, port: int, now: datetime = NOW) -> list[str]:  # type: ignore[no-untyped-def]
    with Mailer(_settings(port)) as mailer:
        return [deliver(session, mailer, user_id, now) for user_id in due_recipients(session, now)]


def test_each_subscriber_gets_their_visible_new_alerts_once(app, session, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp
    mine, theirs = make_unit(session, "本单位"), make_unit(session, "他单位")
    _alert(session, mine, "旧提醒：订阅前的")
    staff = create_user(session, "staff-mail", Role.unit_staff, "password123", units=[mine])
    leader = create_user(session, "leader-mail", Role.leader, "password123")
    subscribe(session, staff, "staff@example.gov.cn")
    subscribe(session, leader, "leader@example.gov.cn")
    _alert(session, mine, "项目“甲”转为红灯", project_id=None)
    _alert(session, theirs, "项目“乙”转为红灯")
    session.commit()

    jobs.alert_mail(app.extensions["tracker.db"], _config(port))

    by_recipient = {m["To"]: m for m in inbox.messages}
    assert sorted(by_recipient) == ["leader@example.gov.cn", "staff@example.gov.cn"]
    staff_mail = by_recipient["staff@example.gov.cn"].get_content()
    assert "项目“甲”转为红灯" in staff_mail and "乙" not in staff_mail and "旧提醒" not in staff_mail
    assert "https://jixiao.example.gov.cn/alerts" in staff_mail
    leader_mail = by_recipient["leader@example.gov.cn"]
    assert leader_mail["Subject"] == "预算绩效运行监控：2 条新提醒"
    assert leader_mail["From"] == "jixiao@example.gov.cn"
    jobs.alert_mail(app.extensions["tracker.db"], _config(port))  # nothing new: nothing mailed again
    assert len(inbox.messages) == 2


def test_mail_links_carry_the_date_the_alert_speaks_of(session, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp
    unit = make_unit(session)
    user = create_user(session, "leader-link", Role.leader, "password123")
    subscribe(session, user, "leader@example.gov.cn")
    from tests.monitoring_builders import make_project

    project = make_project(session, unit)
    _alert(session, unit, "项目转为红灯", project_id=project.id)

    assert _deliver_all(session, port) == [notifications.SENT]
    body = inbox.messages[0].get_content()
    assert f"https://jixiao.example.gov.cn/projects/{project.id}/monitoring?as_of=2025-06-30" in body


def test_a_refused_or_unreachable_server_keeps_the_alerts_and_waits(session, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp
    unit = make_unit(session)
    user = create_user(session, "auditor-mail", Role.auditor, "password123")
    subscribe(session, user, "audit@example.gov.cn")
    alert = _alert(session, unit, "检查点台账未覆盖")

    closed = _free_port()
    assert _deliver_all(session, closed) == [notifications.FAILED]
    subscription = session.get(AlertSubscription, user.id)
    assert _delivered(session, user.id) == [] and subscription.failures == 1
    assert subscription.next_attempt_at == NOW + timedelta(minutes=10)
    assert f"无法连接邮件服务器 127.0.0.1:{closed}" == subscription.last_error
    assert due_recipients(session, NOW + timedelta(minutes=9)) == []  # backing off

    later = NOW + timedelta(minutes=10)
    assert _deliver_all(session, port, later) == [notifications.SENT]
    assert _delivered(session, user.id) == [alert.id]
    assert (subscription.failures, subscription.next_attempt_at, subscription.last_error) == (0, None, None)
    assert [m["To"] for m in inbox.messages] == ["audit@example.gov.cn"]


def test_temporary_refusals_back_off_and_never_give_up(session, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp
    unit = make_unit(session)
    user = create_user(session, "leader-busy", Role.leader, "password123")
    subscribe(session, user, "busy@example.gov.cn")
    _alert(session, unit, "项目转为红灯")
    inbox.refused_rcpt["busy@example.gov.cn"] = "450 4.2.1 mailbox busy"

    now, waits = NOW, []
    for _ in range(5):
        assert _deliver_all(session, port, now) == [notifications.FAILED]
        subscription = session.get(AlertSubscription, user.id)
        waits.append(subscription.next_attempt_at - now)
        now = subscription.next_attempt_at
    assert waits == [timedelta(minutes=10), timedelta(minutes=30), timedelta(hours=1),
                     timedelta(hours=1), timedelta(hours=1)]
    assert subscription.last_error == "450 4.2.1 mailbox busy" and not subscription.undeliverable


def test_a_permanently_refused_address_backs_off_then_stops(session, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp
    unit = make_unit(session)
    user = create_user(session, "staff-gone", Role.leader, "password123")
    other = create_user(session, "leader-ok", Role.leader, "password123")
    subscribe(session, user, "gone@example.gov.cn")
    subscribe(session, other, "ok@example.gov.cn")
    _alert(session, unit, "项目转为红灯")
    inbox.refused_rcpt["gone@example.gov.cn"] = "550 5.1.1 mailbox unavailable"

    assert _deliver_all(session, port) == [notifications.FAILED, notifications.SENT]
    subscription = session.get(AlertSubscription, user.id)
    now, outcomes, waits = NOW, [], []
    while subscription.next_attempt_at is not None:
        waits.append(subscription.next_attempt_at - now)
        now = subscription.next_attempt_at
        outcomes += [o for o in _deliver_all(session, port, now) if o != notifications.NOTHING_NEW]
    assert waits == [timedelta(minutes=10), timedelta(hours=1), timedelta(hours=6)]
    assert outcomes == [notifications.FAILED, notifications.FAILED, notifications.UNDELIVERABLE]
    assert subscription.undeliverable and subscription.last_error == "550 5.1.1 mailbox unavailable"
    assert due_recipients(session, now + timedelta(days=30)) == [other.id]  # stopped for good
    assert inbox.recipients() == ["ok@example.gov.cn"]

    subscribe(session, user, "new@example.gov.cn", actor="cli")  # a new address starts afresh
    assert not subscription.undeliverable and subscription.failures == 0
    assert _deliver_all(session, port, now) == [notifications.SENT, notifications.NOTHING_NEW]
    assert inbox.recipients() == ["new@example.gov.cn", "ok@example.gov.cn"]


def test_a_run_whose_sends_all_failed_fails_the_job_and_the_command(app, session, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp
    unit = make_unit(session)
    user = create_user(session, "leader-fail", Role.leader, "password123")
    subscribe(session, user, "leader@example.gov.cn")
    _alert(session, unit, "项目转为红灯")
    session.commit()
    database = app.extensions["tracker.db"]
    inbox.refuse = True

    with pytest.raises(MailFailed, match="提醒邮件全部发送失败：1 位用户未收到"):
        jobs.alert_mail(database, _config(port))

    session.get(AlertSubscription, user.id).next_attempt_at = None  # due again, still refused
    session.commit()
    context = Context()
    context.__dict__["config"] = replace(app.extensions["tracker.config"], smtp_host="127.0.0.1",
                                         smtp_port=port)
    context.__dict__["database"] = database
    result = CliRunner().invoke(cli, ["scheduler", "run", "--once", "alert-mail"], obj=context)
    assert result.exit_code != 0 and isinstance(result.exception, MailFailed)
    assert MailFailed.exit_code == 6

    inbox.refuse = False
    session.get(AlertSubscription, user.id).next_attempt_at = None
    session.commit()
    result = CliRunner().invoke(cli, ["scheduler", "run", "--once", "alert-mail"], obj=context)
    assert result.exit_code == 0, result.output
    assert inbox.recipients() == ["leader@example.gov.cn"]


def test_mail_is_off_without_an_smtp_host(app) -> None:  # type: ignore[no-untyped-def]
    assert SmtpSettings.from_config(Config()) is None
    jobs.alert_mail(app.extensions["tracker.db"], Config())  # returns without touching anything


def test_subscription_is_validated_audited_and_can_be_removed(session) -> None:  # type: ignore[no-untyped-def]
    user = create_user(session, "leader-sub", Role.leader, "password123")
    with pytest.raises(ValidationFailed, match="邮箱地址无效"):
        subscribe(session, user, "not-an-address")
    with pytest.raises(ValidationFailed):
        subscribe(session, user, "a@b.cn\r\nBcc: x@y.cn")
    subscribe(session, user, "leader@example.gov.cn", actor="cli")
    assert subscribe(session, user, "") is None
    assert session.scalar(select(AlertSubscription)) is None
    trail = session.scalars(select(AuditEntry).where(AuditEntry.action == "set_email")
                            .order_by(AuditEntry.id)).all()
    assert [(e.actor, e.details["email"]) for e in trail] == [
        ("cli", "leader@example.gov.cn"), ("leader-sub", None)]


def test_two_senders_at_once_mail_each_alert_exactly_once(fresh_database_url, smtp) -> None:  # type: ignore[no-untyped-def]
    """Two alert-mail runs at the same time against one real database (SQLite file or
    PostgreSQL): every subscriber receives exactly one message."""
    inbox, port = smtp
    inbox.delay = 0.02
    database = Database(fresh_database_url)
    try:
        migration.upgrade(fresh_database_url, database.engine)
        with database.session() as session:
            unit = make_unit(session)
            for number in range(12):
                user = create_user(session, f"leader{number}", Role.leader, "password123")
                subscribe(session, user, f"leader{number}@example.gov.cn")
            _alert(session, unit, "项目转为红灯")
            session.commit()

        start, errors = threading.Barrier(2), []

        def sender() -> None:
            try:
                start.wait(5)
                jobs.alert_mail(database, _config(port))
            except Exception as error:  # noqa: BLE001 - reported by the assertion below
                errors.append(error)

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert inbox.recipients() == sorted(f"leader{n}@example.gov.cn" for n in range(12))
    finally:
        database.dispose()


def test_temporary_failures_before_a_refusal_do_not_shorten_its_backoff() -> None:
    """Three temporary failures, then a 5xx: the refusal starts its own backoff (10 min), the
    address is not given up at once (refusals and temporary failures are counted apart)."""
    from tracker.services.notifications import SendFailed, _record_failure

    subscription = AlertSubscription(user_id=1, email="a@example.gov.cn", failures=0, refusals=0)
    for _ in range(3):
        assert _record_failure(subscription, SendFailed(False, "421 try later"), NOW) == notifications.FAILED
    assert _record_failure(subscription, SendFailed(True, "550 no such user"), NOW) == notifications.FAILED
    assert not subscription.undeliverable
    assert subscription.next_attempt_at == NOW + timedelta(minutes=10)


@pytest.mark.parametrize("bulk", [False, True], ids=["orm", "insert_alerts"])
def test_an_alert_committed_after_a_newer_one_was_mailed_is_mailed_next_time(fresh_database_url, smtp, bulk) -> None:  # type: ignore[no-untyped-def]
    """Two writers on a real database: an import's alert got the smaller id but commits after
    the scheduler's alert, with the larger id, was mailed.  The import's alert is mailed on the
    next run, once.  (SQLite has one writer at a time: there the mail waits for the import.)
    ``bulk``: the late alert written as the jobs write theirs (``insert_alerts``, no ORM flush)."""
    inbox, port = smtp
    database = Database(fresh_database_url)
    try:
        migration.upgrade(fresh_database_url, database.engine)
        with database.session() as session:
            unit = make_unit(session)
            user = create_user(session, "leader-late", Role.leader, "password123")
            subscribe(session, user, "leader@example.gov.cn")
            session.commit()
            unit_id, user_id = unit.id, user.id

        def alert(session, message: str, bulk: bool = False) -> int:  # type: ignore[no-untyped-def]
            values = {"unit_id": unit_id, "kind": "turned_red", "severity": "red", "as_of": date(2025, 6, 30),
                      "message": message}
            if bulk:
                assert insert_alerts(session, [values]) == 1
                return session.scalar(select(Alert.id).where(Alert.message == message))
            row = Alert(**values)
            session.add(row)
            session.flush()
            return row.id

        importing = database.session()  # the import: its alert is numbered first, committed last
        late_id = alert(importing, "导入的提醒：编号较小，提交较晚", bulk)
        if database.engine.dialect.name == "postgresql":
            with database.session() as scheduler:
                early_id = alert(scheduler, "调度的提醒：编号较大，先提交")
                scheduler.commit()
            assert early_id > late_id
            jobs.alert_mail(database, _config(port))
            assert len(inbox.messages) == 1 and "调度的提醒" in inbox.messages[0].get_content()
            importing.commit()
        else:  # the mail run waits for the import's write lock, then sees its alert
            mail = threading.Thread(target=jobs.alert_mail, args=(database, _config(port)))
            mail.start()
            time.sleep(0.5)
            assert inbox.messages == []
            importing.commit()
            mail.join(30)
        importing.close()
        jobs.alert_mail(database, _config(port))
        jobs.alert_mail(database, _config(port))  # nothing new: nothing mailed again
        bodies = [m.get_content() for m in inbox.messages]
        assert sum("导入的提醒" in body for body in bodies) == 1
        assert "导入的提醒" in bodies[-1] and "调度的提醒" not in bodies[-1]
        with database.session() as session:
            assert late_id in _delivered(session, user_id)
            assert session.get(AlertSubscription, user_id).settled_through >= late_id
    finally:
        database.dispose()
