"""Admin pages (users, 自评 settings), the audit log and a project's audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import TEST_PASSWORD, post_form
from tests.monitoring_builders import make_project, make_unit
from tracker.models import AuditEntry, Role, User
from tracker.services import audit
from tracker.services.settings import evaluation_settings


def _entries(session, action: str, entity: str = "app_user") -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.entity == entity).order_by(AuditEntry.id)))


def _login(app, username: str, password: str):  # type: ignore[no-untyped-def]
    fresh = app.test_client()
    response = post_form(fresh, "/login", {"username": username, "password": password},
                         token_from="/login")
    return fresh, response


def test_admin_creates_unit_staff_who_sees_only_that_unit(app, client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    mine, other = make_unit(session, "甲单位"), make_unit(session, "乙单位")
    own = make_project(session, mine, name="甲的项目")
    foreign = make_project(session, other, name="乙的项目")
    session.commit()
    logged_in(Role.admin)
    assert "甲单位" in client.get("/admin/users/new").get_data(as_text=True)
    response = post_form(client, "/admin/users/new", {
        "username": "zhang", "role": "unit_staff", "password": "long-enough-1", "unit_id": [str(mine.id)]})
    assert response.status_code == 302
    created = session.scalar(select(User).where(User.username == "zhang"))
    assert created.role is Role.unit_staff and [u.id for u in created.units] == [mine.id]
    entry = _entries(session, "create")[-1]
    assert entry.details == {"username": "zhang", "role": "unit_staff", "units": [mine.id]}
    assert entry.actor.startswith("admin")
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "zhang" in listing and "甲单位" in listing and "从未登录" in listing

    staff, response = _login(app, "zhang", "long-enough-1")
    assert response.status_code == 302
    html = staff.get("/projects").get_data(as_text=True)
    assert "甲的项目" in html and "乙的项目" not in html
    assert staff.get(f"/projects/{foreign.id}").status_code == 404
    assert staff.get(f"/projects/{foreign.id}/audit").status_code == 404
    assert staff.get(f"/projects/{own.id}/audit").status_code == 200
    assert "从未登录" not in client.get("/admin/users").get_data(as_text=True).split("zhang", 1)[1].split("</tr>", 1)[0]


def test_unit_staff_needs_a_unit_and_passwords_need_eight_characters(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.admin)
    response = post_form(client, "/admin/users/new",
                         {"username": "li", "role": "unit_staff", "password": "long-enough-1"})
    assert response.status_code == 400 and "必须至少关联一个单位" in response.get_data(as_text=True)
    response = post_form(client, "/admin/users/new",
                         {"username": "li", "role": "leader", "password": "short"})
    assert response.status_code == 400 and "密码至少 8 位" in response.get_data(as_text=True)
    assert session.scalar(select(User).where(User.username == "li")) is None


def test_forms_need_the_csrf_token(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    admin = logged_in(Role.admin)
    response = client.post("/admin/users/new",
                           data={"username": "wang", "role": "leader", "password": "long-enough-1"})
    assert response.status_code == 400
    assert client.post(f"/admin/users/{admin.id}", data={"role": "leader"}).status_code == 400
    assert client.post("/admin/evaluation-settings", data={}).status_code == 400
    assert session.scalar(select(User).where(User.username == "wang")) is None


@pytest.mark.parametrize("role", [Role.finance, Role.leader, Role.unit_staff, Role.auditor])
def test_non_admins_are_refused(client, logged_in, role: Role) -> None:  # type: ignore[no-untyped-def]
    logged_in(role)
    for url in ("/admin/users", "/admin/users/new", "/admin/evaluation-settings"):
        if role is Role.finance and url == "/admin/users":
            continue  # finance may open the list, to set e-mail addresses (test_user_email.py)
        assert client.get(url).status_code == 403
    assert post_form(client, "/admin/users/new", {"username": "x", "role": "admin",
                                                  "password": "long-enough-1"}).status_code == 403


def test_an_admin_cannot_demote_or_deactivate_themselves(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    admin = logged_in(Role.admin)
    response = post_form(client, f"/admin/users/{admin.id}", {"role": "leader", "active": "1"})
    assert response.status_code == 400
    assert "不能取消自己的系统管理员角色" in response.get_data(as_text=True)
    response = post_form(client, f"/admin/users/{admin.id}", {"role": "admin"})  # active unticked
    assert response.status_code == 400 and "不能停用自己的账号" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, admin.id).role is Role.admin and session.get(User, admin.id).active
    assert _entries(session, "update") == []


def test_editing_a_user_is_audited_and_deactivation_locks_them_out(app, client, logged_in, make_user, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session, "丙单位")
    session.commit()
    logged_in(Role.admin)
    other = make_user(Role.leader, username="zhao")
    response = post_form(client, f"/admin/users/{other.id}",
                         {"role": "unit_staff", "unit_id": [str(unit.id)], "active": "1"})
    assert response.status_code == 302
    assert _entries(session, "update")[-1].details["changes"] == {
        "role": ["leader", "unit_staff"], "units": [[], [unit.id]]}
    assert _login(app, "zhao", TEST_PASSWORD)[1].status_code == 302

    assert post_form(client, f"/admin/users/{other.id}",
                     {"role": "unit_staff", "unit_id": [str(unit.id)]}).status_code == 302
    assert _entries(session, "update")[-1].details["changes"] == {"active": [True, False]}
    assert _login(app, "zhao", TEST_PASSWORD)[1].status_code == 401
    assert "已停用" in client.get("/admin/users").get_data(as_text=True)


def test_password_reset_is_audited_without_the_password(app, client, logged_in, make_user, session) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.admin)
    other = make_user(Role.finance, username="qian")
    response = post_form(client, f"/admin/users/{other.id}/password", {"password": "short"})
    assert response.status_code == 400 and "密码至少 8 位" in response.get_data(as_text=True)
    assert post_form(client, f"/admin/users/{other.id}/password",
                     {"password": "a-new-password"}).status_code == 302
    entry = _entries(session, "reset_password")[-1]
    assert entry.entity_id == other.id and "a-new-password" not in str(entry.details)
    assert _login(app, "qian", TEST_PASSWORD)[1].status_code == 401
    assert _login(app, "qian", "a-new-password")[1].status_code == 302


def test_evaluation_settings_are_validated_and_audited(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.admin)
    values = {**evaluation_settings(session).to_dict(), "output_weight": "40", "execution_weight": "20"}
    response = post_form(client, "/admin/evaluation-settings", values)
    assert response.status_code == 302
    assert evaluation_settings(session).execution_weight == 20
    entry = _entries(session, "update", "setting")[-1]
    assert entry.details == {"key": "evaluation", "changes": {
        "output_weight": ["50", "40"], "execution_weight": ["10", "20"]}}
    response = post_form(client, "/admin/evaluation-settings", {**values, "effect_weight": "35"})
    assert response.status_code == 400 and "权重合计应为100" in response.get_data(as_text=True)
    response = post_form(client, "/admin/evaluation-settings", {**values, "good_from": ""})
    assert response.status_code == 400 and "“良”分数线" in response.get_data(as_text=True)
    session.expire_all()
    assert evaluation_settings(session).effect_weight == 30
    assert 'value="40"' in client.get("/admin/evaluation-settings").get_data(as_text=True)


@pytest.mark.parametrize(("role", "status"), [(Role.auditor, 200), (Role.admin, 200),
                                              (Role.leader, 403), (Role.finance, 403),
                                              (Role.unit_staff, 403)])
def test_only_auditors_and_admins_read_the_audit_log(client, logged_in, role: Role, status: int) -> None:  # type: ignore[no-untyped-def]
    logged_in(role)
    assert client.get("/audit").status_code == status


def test_audit_log_filters_pages_and_shows_local_time(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    base = datetime(2025, 3, 1, 16, 30, tzinfo=UTC)  # 2025-03-02 00:30 in Shanghai
    for n in range(60):
        entry = audit.record(session, "财务甲", "import", "ledger_batch", n, file=f"f{n}.xlsx")
        entry.at = base + timedelta(minutes=n)
    audit.record(session, "系统", "update", "setting", None, key="x<script>").at = base - timedelta(days=2)
    session.commit()
    logged_in(Role.auditor)
    html = client.get("/audit?actor=财务&action=import").get_data(as_text=True)
    assert "共 <strong>60</strong> 条" in html and "2025-03-02 01:29:00" in html  # newest first
    assert "f59.xlsx" in html and "f9.xlsx" not in html and "下一页" in html
    page2 = client.get("/audit?actor=财务&action=import&page=2").get_data(as_text=True)
    assert "f9.xlsx" in page2 and "上一页" in page2 and "actor=" in page2.split("上一页")[0][-200:]
    html = client.get("/audit?entity=setting&from=2025-02-27&to=2025-02-28").get_data(as_text=True)
    assert "共 <strong>1</strong> 条" in html and "x&lt;script&gt;" in html
    html = client.get("/audit?entity=setting&from=2025-03-01").get_data(as_text=True)
    assert "共 <strong>0</strong> 条" in html
    assert "不是有效日期" in client.get("/audit?from=yesterday").get_data(as_text=True)


def test_project_trail_collects_entries_naming_the_project(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session)
    project, neighbour = make_project(session, unit), make_project(session, unit)
    audit.record(session, "导入员", "update", "project", project.id, changes={"name": ["旧", "新"]})
    audit.record(session, "填报员", "report_progress", "indicator", 77, project_id=project.id)
    audit.record(session, "财务", "assign", "ledger_row", None, project_id=project.id, rows=[1, 2])
    audit.record(session, "别人", "report_progress", "indicator", 78, project_id=neighbour.id)
    session.commit()
    logged_in(Role.unit_staff, units=[unit])
    html = client.get(f"/projects/{project.id}/audit").get_data(as_text=True)
    assert "导入员" in html and "填报员" in html and "财务" in html and "别人" not in html
    assert f"/projects/{project.id}/audit" in client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "审计日志</a>" not in html  # unit staff are not pointed at the whole log


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(app, client, logged_in, make_user, session) -> None:  # type: ignore[no-untyped-def]
    admin = logged_in(Role.admin)
    make_user(Role.finance, username="sun")
    elsewhere, response = _login(app, "sun", TEST_PASSWORD)
    assert response.status_code == 302 and elsewhere.get("/projects").status_code == 200
    other = session.scalar(select(User).where(User.username == "sun"))
    assert post_form(client, f"/admin/users/{other.id}/password", {"password": "another-password"}).status_code == 302
    assert elsewhere.get("/projects").status_code == 302  # the old session now leads to the login page
    # the administrator resetting their own password stays signed in here, but not elsewhere
    mine, response = _login(app, admin.username, TEST_PASSWORD)
    assert response.status_code == 302
    assert post_form(client, f"/admin/users/{admin.id}/password", {"password": "my-new-password"}).status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert mine.get("/admin/users").status_code == 302


def test_a_projects_trail_and_change_list_read_in_chinese(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit = make_unit(session)
    project = make_project(session, unit)
    audit.record(session, "导入员", "update", "project", project.id, source="目标表.docx",
                 changes={"initial_budget": ["1000000", "1200000"], "plan": [["6月 50%"], ["6月 60%"]]})
    audit.record(session, "调整员", "adjust_project", "project", project.id, effective_on="2025-07-01",
                 budget=["1200000", "900000"], plan=None, targets=[])
    audit.record(session, "cli", "update", "project", project.id, changes={"goal": ["旧目标", "新目标"]})
    session.commit()
    logged_in(Role.leader)
    trail = client.get(f"/projects/{project.id}/audit").get_data(as_text=True)
    assert "年初预算数（元）：1000000 → 1200000；支出计划：6月 50% → 6月 60%" in trail
    assert "调整项目（adjust_project）" in trail and "<dt title=\"effective_on\">生效日期</dt>" in trail
    for raw in (">changes<", ">source<", ">budget<", ">effective_on<", "initial_budget"):
        assert raw not in trail  # a key is at most a tooltip (title="…"), never the text shown
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "导入员 · 修改" in page and "年初预算数（元）、支出计划" in page and "· update" not in page
    assert "命令行 · 修改" in page and "· cli ·" not in page  # no person: the word for the command line
    assert "<td>命令行（cli）</td>" in trail  # the log keeps the code the 操作人 filter finds


@pytest.mark.parametrize("name", ["cli", "System", "scheduler", "demo"])
def test_the_names_of_the_command_line_and_the_scheduler_are_no_ones_username(client, logged_in, session, name) -> None:  # type: ignore[no-untyped-def]
    logged_in(Role.admin)
    response = post_form(client, "/admin/users/new", {"username": name, "role": "finance", "password": TEST_PASSWORD},
                         token_from="/admin/users/new")
    assert "留给系统记录" in response.get_data(as_text=True)
    assert session.scalar(select(User.id).where(User.username == name)) is None
