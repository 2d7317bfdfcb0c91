"""A user's e-mail address: set by finance or an administrator (page and CLI), its delivery
trouble shown (邮件无法送达), and alert links that open the project at the alert's date."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from tests.conftest import post_form
from tests.monitoring_builders import make_project, make_unit
from tracker.models import Alert, AlertSubscription, AuditEntry, Role, User
from tracker.services.notifications import subscribe
from tracker.services.users import create_user


def test_finance_sets_a_users_email_and_nothing_else(client, logged_in, make_user, session) -> None:  # type: ignore[no-untyped-def]
    staff = make_user(Role.leader, username="wang")
    logged_in(Role.finance)

    listing = client.get("/admin/users").get_data(as_text=True)
    assert "wang" in listing and "设置邮箱" in listing and "新建用户" not in listing
    page = client.get(f"/admin/users/{staff.id}").get_data(as_text=True)
    assert "提醒邮箱" in page and "重设密码" not in page and 'name="role"' not in page
    assert post_form(client, f"/admin/users/{staff.id}", {"role": "admin", "active": "1"}).status_code == 403

    response = post_form(client, f"/admin/users/{staff.id}/email", {"email": "wang@example"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "邮箱地址无效：“wang@example”" in page and 'value="wang@example"' in page
    assert session.get(AlertSubscription, staff.id) is None

    response = post_form(client, f"/admin/users/{staff.id}/email", {"email": "wang@example.gov.cn"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(AlertSubscription, staff.id).email == "wang@example.gov.cn"
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "set_email")).one()
    assert entry.actor.startswith("finance") and entry.details["email"] == "wang@example.gov.cn"
    assert session.get(User, staff.id).role is Role.leader
    assert "wang@example.gov.cn" in client.get("/admin/users").get_data(as_text=True)


def test_an_undeliverable_address_is_shown_with_the_servers_answer(app, client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    me = logged_in(Role.leader)
    subscription = subscribe(session, me, "gone@example.gov.cn")
    subscription.failures, subscription.undeliverable = 4, True
    subscription.last_error = "550 5.1.1 mailbox unavailable"
    session.commit()

    page = client.get("/alerts").get_data(as_text=True)
    assert "邮件无法送达" in page and "服务器答复：550 5.1.1 mailbox unavailable" in page
    boss = create_user(session, "boss", Role.admin, "password123")
    session.commit()
    admin = app.test_client()
    with admin.session_transaction() as flask_session:
        flask_session["_user_id"] = boss.get_id()
    assert "邮件无法送达" in admin.get("/admin/users").get_data(as_text=True)
    edit = admin.get(f"/admin/users/{me.id}").get_data(as_text=True)
    assert "邮件无法送达" in edit and "550 5.1.1 mailbox unavailable" in edit and "重设密码" in edit


def test_alert_links_open_the_project_at_the_alerts_date(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session)
    project = make_project(session, unit, year=2025)
    session.add(Alert(unit_id=unit.id, project_id=project.id, kind="turned_red", severity="red",
                      as_of=date(2025, 6, 30), message="项目转为红灯"))
    session.commit()
    logged_in(Role.leader)
    page = client.get("/alerts").get_data(as_text=True)
    assert f"/projects/{project.id}/monitoring?as_of=2025-06-30" in page


def test_cli_sets_the_email_at_creation_and_later(runner, session) -> None:  # type: ignore[no-untyped-def]
    result = runner("user", "create", "--username", "li", "--role", "leader",
                    "--password", "password123", "--email", "li@example.gov.cn")
    assert result.exit_code == 0, result.output
    assert "提醒邮箱 li@example.gov.cn" in result.output
    li = session.scalar(select(User).where(User.username == "li"))
    assert session.get(AlertSubscription, li.id).email == "li@example.gov.cn"

    result = runner("user", "update", "li", "--email", "li.new@example.gov.cn")
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert session.get(AlertSubscription, li.id).email == "li.new@example.gov.cn"

    bad = runner("user", "update", "li", "--email", "not-an-address")
    assert bad.exit_code != 0 and "邮箱地址无效" in str(bad.exception)
    missing = runner("user", "update", "nobody", "--email", "x@example.gov.cn")
    assert missing.exit_code != 0 and "没有用户“nobody”" in str(missing.exception)

    assert runner("user", "update", "li", "--email", "").exit_code == 0
    session.expire_all()
    assert session.get(AlertSubscription, li.id) is None
