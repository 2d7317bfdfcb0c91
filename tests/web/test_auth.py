from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import TEST_PASSWORD, csrf_token, post_form
from tracker.models import AuditEntry, Role


def _login(client: FlaskClient, username: str, password: str):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": csrf_token(client)})


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
