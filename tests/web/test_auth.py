from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text

from tests.conftest import TEST_PASSWORD, csrf_token, post_form
from tracker import create_app
from tracker.models import AuditEntry, Role, User
from tracker.services.users import ensure_admin


def _login(client: FlaskClient, username: str, password: str, remember: str = "",  # type: ignore[no-untyped-def]
           address: str = "127.0.0.1", headers: dict[str, str] | None = None):
    data = {"username": username, "password": password, "csrf_token": csrf_token(client)}
    if remember:
        data["remember"] = remember
    return client.post("/login", data=data, headers=headers or {},
                       environ_base={"REMOTE_ADDR": address})


def test_login_page_is_chinese_and_has_csrf(client: FlaskClient) -> None:
    page = client.get("/login")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html and "登录" in html and 'name="csrf_token"' in html


def test_login_then_logout(client, make_user, session) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.leader)
    response = _login(client, user.username, TEST_PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").headers["Location"].endswith("/cockpit")  # a leader's landing page
    assert client.get("/projects").status_code == 200
    assert session.query(AuditEntry).filter_by(action="login", user_id=user.id).count() == 1
    response = post_form(client, "/logout")
    assert response.status_code == 302
    assert client.get("/projects").status_code == 302  # back to the login page


def test_wrong_password_and_unknown_user_read_the_same(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.leader)
    wrong_password = _login(client, user.username, "not-the-password")
    unknown_user = _login(client, "nobody", TEST_PASSWORD)
    assert wrong_password.status_code == unknown_user.status_code == 401
    for response in (wrong_password, unknown_user):
        assert "用户名或密码不正确" in response.get_data(as_text=True)


def test_ten_failures_in_a_minute_slow_down_further_tries(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.leader)
    for _ in range(10):
        assert _login(client, user.username, "wrong-password").status_code == 401
    blocked = _login(client, user.username, TEST_PASSWORD)  # even the right password waits
    assert blocked.status_code == 429
    assert "请一分钟后再试" in blocked.get_data(as_text=True)


def test_post_without_csrf_token_is_refused(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.leader)
    response = client.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)  # CSRFError, said in Chinese


def test_open_redirect_is_ignored(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.leader)
    response = client.post("/login?next=https://evil.example/", data={
        "username": user.username, "password": TEST_PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/"


def test_session_cookie_is_httponly_and_samesite(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.leader)
    response = _login(client, user.username, TEST_PASSWORD)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- sessions end on the server -----------------------------------------------------------


def _replay(app: Flask, name: str, value: str) -> FlaskClient:
    """A fresh browser holding only one copied cookie."""
    other = app.test_client()
    other.set_cookie(name, value)
    return other


def test_logout_refuses_a_session_cookie_copied_before(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.leader)
    assert _login(client, user.username, TEST_PASSWORD).status_code == 302
    copied = client.get_cookie("session").value
    assert _replay(app, "session", copied).get("/projects").status_code == 200  # the copy works...
    post_form(client, "/logout")
    replayed = _replay(app, "session", copied).get("/projects")
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]  # ...not after


def test_logout_refuses_the_remember_me_cookie(app, client, make_user, session) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.leader)
    response = _login(client, user.username, TEST_PASSWORD, remember="y")
    assert response.status_code == 302
    remembered = client.get_cookie("remember_token").value
    assert _replay(app, "remember_token", remembered).get("/projects").status_code == 200
    post_form(client, "/logout")
    assert _replay(app, "remember_token", remembered).get("/projects").status_code == 302
    assert session.query(AuditEntry).filter_by(action="logout", user_id=user.id).count() == 1


def test_changing_ones_password_ends_the_other_sessions_but_not_this_one(app, client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.leader)
    _login(client, user.username, TEST_PASSWORD)
    elsewhere = app.test_client()
    _login(elsewhere, user.username, TEST_PASSWORD)
    response = post_form(client, "/account/password", {
        "current": TEST_PASSWORD, "new": "a-new-pass-1234", "confirm": "a-new-pass-1234"})
    assert response.status_code == 302
    assert client.get("/projects").status_code == 200
    assert elsewhere.get("/projects").status_code == 302


def test_change_password_errors_stand_by_their_fields(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.leader)
    _login(client, user.username, TEST_PASSWORD)
    response = post_form(client, "/account/password", {"current": "wrong", "new": "short",
                                                        "confirm": "other"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "当前密码不正确" in html and "新密码至少 8 位" in html and "两次输入的新密码不一致" in html


# --- the login brake ----------------------------------------------------------------------


def test_guessing_between_logins_to_ones_own_account_meets_the_brake(client, make_user) -> None:  # type: ignore[no-untyped-def]
    victim, own = make_user(Role.admin), make_user(Role.leader)
    statuses = []
    for _ in range(3):  # nine guesses at the victim, one login of one's own, repeated
        statuses += [_login(client, victim.username, f"guess-{i}").status_code for i in range(9)]
        statuses.append(_login(client, own.username, TEST_PASSWORD).status_code)
    assert 429 in statuses
    assert statuses.index(429) == 11  # the first round's nine, the own login, one more guess


def test_failures_for_one_account_are_counted_across_addresses(client, make_user) -> None:  # type: ignore[no-untyped-def]
    victim, other = make_user(Role.admin), make_user(Role.leader)
    for i in range(10):
        assert _login(client, victim.username, "guess", address=f"198.51.100.{i}").status_code == 401
    assert _login(client, victim.username, TEST_PASSWORD, address="198.51.100.99").status_code == 429
    # the brake is on that account, not on the newcomer's address
    assert _login(client, other.username, TEST_PASSWORD, address="198.51.100.99").status_code == 302


def test_a_success_clears_that_accounts_own_failures(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.leader)
    for i in range(9):
        _login(client, user.username, "typo", address=f"198.51.100.{i}")
    assert _login(client, user.username, TEST_PASSWORD, address="198.51.100.50").status_code == 302
    post_form(client, "/logout")
    for i in range(9):
        _login(client, user.username, "typo", address=f"198.51.100.{i}")
    assert _login(client, user.username, TEST_PASSWORD, address="198.51.100.51").status_code == 302


def test_forwarded_for_is_not_trusted_by_default(client, make_user, session) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.leader)
    for i in range(10):  # a new made-up address each time does not escape the brake
        _login(client, f"nobody{i}", "guess", headers={"X-Forwarded-For": f"203.0.113.{i}"})
    assert _login(client, user.username, TEST_PASSWORD,
                  headers={"X-Forwarded-For": "203.0.113.200"}).status_code == 429


def test_forwarded_for_gives_the_address_behind_one_proxy_hop(app, make_user, session) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.leader)
    with _another_app(app, proxy_hops=1) as proxied:
        client = proxied.test_client()
        for i in range(10):
            _login(client, f"nobody{i}", "guess", headers={"X-Forwarded-For": "203.0.113.7"})
        assert _login(client, user.username, TEST_PASSWORD,
                      headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
        assert _login(client, user.username, TEST_PASSWORD,
                      headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 302
    entry = session.query(AuditEntry).filter_by(action="login", user_id=user.id).one()
    assert entry.details["address"] == "203.0.113.8"


def test_an_unknown_name_costs_one_password_hash_check_like_a_known_one(client, make_user, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tracker.models import users as user_model

    checked: list[str] = []
    real_check = user_model.check_password_hash

    def counting_check(pwhash: str, password: str) -> bool:
        checked.append(pwhash.split("$", 1)[0])  # the hasher and its cost
        return real_check(pwhash, password)

    monkeypatch.setattr(user_model, "check_password_hash", counting_check)
    known = make_user(Role.leader)
    inactive = make_user(Role.leader)
    inactive.active = False
    for name in (known.username, "nobody-by-this-name", inactive.username):
        assert _login(client, name, "not-the-password").status_code == 401
    assert len(checked) == 3 and len(set(checked)) == 1
    assert checked[0] == known.password_hash.split("$", 1)[0]


# --- cookies ------------------------------------------------------------------------------


def _set_cookies(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_remember_cookie_is_httponly_and_lax(client, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.leader)
    cookies = _set_cookies(_login(client, user.username, TEST_PASSWORD, remember="y"))
    for name in ("session", "remember_token"):
        assert "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]
        assert "Secure" not in cookies[name]  # plain HTTP by default


def test_remember_cookie_is_secure_whenever_the_session_cookie_is(app, make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.leader)
    with _another_app(app, session_cookie_secure=True) as secure:
        client = secure.test_client()
        cookies = _set_cookies(_login(client, user.username, TEST_PASSWORD, remember="y"))
    for name in ("session", "remember_token"):
        assert "Secure" in cookies[name] and "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]


@contextmanager
def _another_app(app: Flask, **overrides: Any) -> Iterator[Flask]:
    """A second app on the same database and test transaction, with other settings."""
    config = app.extensions["tracker.config"]
    other = create_app({"database_url": config.database_url, "instance_path": config.instance_path,
                        "testing": True, "secret_key": config.secret_key, **overrides})
    other.extensions["tracker.db"].dispose()
    other.extensions["tracker.db"].session_factory = app.extensions["tracker.db"].session_factory
    try:
        yield other
    finally:
        other.extensions["tracker.db"].dispose()


# --- the first administrator --------------------------------------------------------------


def test_a_generated_first_admin_password_must_be_changed_at_first_login(app, client, runner, session) -> None:  # type: ignore[no-untyped-def]
    session.execute(text("DELETE FROM app_user"))  # inside the test's rolled-back transaction
    session.commit()
    assert runner("admin", "ensure").exit_code == 0
    written = Path(app.extensions["tracker.config"].instance_path, "initial-admin.txt")
    password = written.read_text(encoding="utf-8").split("password: ")[1].strip()
    response = _login(client, "admin", password)
    assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    for url in ("/", "/projects", "/admin/users"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    page = client.get("/account/password").get_data(as_text=True)
    assert "初始密码是系统生成的" in page and "驾驶舱" not in page  # no menu leading nowhere
    response = post_form(client, "/account/password", {
        "current": password, "new": "chosen-by-admin-1", "confirm": "chosen-by-admin-1"},
        token_from="/account/password")
    assert response.status_code == 302
    assert not written.exists()
    assert client.get("/admin/users").status_code == 200
    admin = session.scalar(select(User).where(User.username == "admin"))
    assert admin is not None and not admin.must_change_password and admin.check_password("chosen-by-admin-1")


def test_a_given_first_admin_password_and_other_users_are_not_forced(session, tmp_path) -> None:  # type: ignore[no-untyped-def]
    session.execute(text("DELETE FROM app_user"))
    ensured = ensure_admin(session, "given-by-operator", tmp_path)
    assert ensured.created and ensured.password is None
    admin = session.scalar(select(User).where(User.username == "admin"))
    assert admin is not None and not admin.must_change_password
    assert not (tmp_path / "initial-admin.txt").exists()
