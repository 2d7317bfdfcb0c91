"""Alert mail against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tests.monitoring_builders import make_unit
from tracker.config import Config
from tracker.errors import ValidationFailed
from tracker.models import Alert, AlertSubscription, Role
from tracker.services.notifications import SmtpSettings, send_pending, subscribe
from tracker.services.users import create_user


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = False

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]  # noqa: N802
        if self.refuse:
            return "554 refused for the test"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


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


def _settings(port: int) -> SmtpSettings:
    config = Config(smtp_host="127.0.0.1", smtp_port=port, smtp_sender="jixiao@example.gov.cn",
                    smtp_timeout=5, public_url="https://jixiao.example.gov.cn/")
    settings = SmtpSettings.from_config(config)
    assert settings is not None
    return settings


def _alert(session, unit, message: str) -> Alert:  # type: ignore[no-untyped-def]
    alert = Alert(unit_id=unit.id, kind="turned_red", severity="red", as_of=date(2025, 7, 5),
                  message=message)
    session.add(alert)
    session.flush()
    return alert


def test_each_subscriber_gets_their_visible_new_alerts_once(session, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp
    mine, theirs = make_unit(session, "本单位"), make_unit(session, "他单位")
    _alert(session, mine, "旧提醒：订阅前的")
    staff = create_user(session, "staff-mail", Role.unit_staff, "password123", units=[mine])
    leader = create_user(session, "leader-mail", Role.leader, "password123")
    subscribe(session, staff, "staff@example.gov.cn")
    subscribe(session, leader, "leader@example.gov.cn")
    _alert(session, mine, "项目“甲”转为红灯")
    _alert(session, theirs, "项目“乙”转为红灯")

    result = send_pending(session, _settings(port))

    assert (result.sent, result.failed) == (2, 0)
    by_recipient = {m["To"]: m for m in inbox.messages}
    staff_mail = by_recipient["staff@example.gov.cn"].get_content()
    assert "项目“甲”转为红灯" in staff_mail and "乙" not in staff_mail and "旧提醒" not in staff_mail
    assert "https://jixiao.example.gov.cn/alerts" in staff_mail
    leader_mail = by_recipient["leader@example.gov.cn"]
    assert leader_mail["Subject"] == "预算绩效运行监控：2 条新提醒"
    assert leader_mail["From"] == "jixiao@example.gov.cn"
    assert send_pending(session, _settings(port)).sent == 0  # nothing new: nothing mailed again


def test_a_refused_or_unreachable_server_keeps_the_alerts_for_next_time(session, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp
    unit = make_unit(session)
    user = create_user(session, "auditor-mail", Role.auditor, "password123")
    subscribe(session, user, "audit@example.gov.cn")
    alert = _alert(session, unit, "检查点台账未覆盖")

    inbox.refuse = True
    assert send_pending(session, _settings(port)).failed == 1
    closed = _free_port()
    assert send_pending(session, _settings(closed)).failed == 1
    assert session.get(AlertSubscription, user.id).last_alert_id < alert.id

    inbox.refuse = False
    assert send_pending(session, _settings(port)).sent == 1
    assert session.get(AlertSubscription, user.id).last_alert_id == alert.id
    assert [m["To"] for m in inbox.messages] == ["audit@example.gov.cn"]


def test_mail_is_off_without_an_smtp_host(session) -> None:  # type: ignore[no-untyped-def]
    assert SmtpSettings.from_config(Config()) is None
    assert send_pending(session, None).sent == 0


def test_subscription_is_validated_and_can_be_removed(session) -> None:  # type: ignore[no-untyped-def]
    user = create_user(session, "leader-sub", Role.leader, "password123")
    with pytest.raises(ValidationFailed, match="邮箱地址无效"):
        subscribe(session, user, "not-an-address")
    with pytest.raises(ValidationFailed):
        subscribe(session, user, "a@b.cn\r\nBcc: x@y.cn")
    subscribe(session, user, "leader@example.gov.cn")
    assert subscribe(session, user, "") is None
    assert session.scalar(select(AlertSubscription)) is None
