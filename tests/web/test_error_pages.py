"""Every error page is Chinese, rolls back, and shows no traceback or library English: database
faults injected for real (see tests/database_faults.py), an unavailable database, an unexpected
exception and the HTTP errors a person can meet."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tracker import create_app, migration
from tracker.db import make_engine
from tracker.errors import ImportRejected
from tracker.models import Role, Unit
from tracker.services.users import create_user
from tracker.web.context import db_session
from tests.database_faults import FAULTS, english_words


def page_text(html: str) -> str:
    """What a person reads: the page without tags, scripts and styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def assert_chinese_page(html: str) -> None:
    text = page_text(html)
    assert "Traceback" not in html and 'File "' not in html
    assert english_words(text) == [], english_words(text)


def _app(url: str, instance: Path, **settings: object) -> Flask:
    app = create_app({"database_url": url, "instance_path": str(instance), "testing": True,
                      "secret_key": "test-secret", **settings})

    @app.route("/_test/fault/<name>", methods=["GET"])
    def fault(name: str):  # type: ignore[no-untyped-def]
        FAULTS[name][0](db_session())
        db_session().commit()
        return "不应到达这里"

    @app.route("/_test/explode")
    def explode():  # type: ignore[no-untyped-def]
        db_session().add(Unit(code="X", name="半途单位"))
        db_session().flush()
        raise ValueError("invalid literal for int() with base 10: 'abc'")

    @app.route("/_test/abort/<int:code>")
    def aborted(code: int):  # type: ignore[no-untyped-def]
        abort(code)

    @app.route("/_test/rejected")
    def rejected():  # type: ignore[no-untyped-def]
        raise ImportRejected("第 3 行“金额”不是数字", location="台账 第1页")

    return app


def _sign_in(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        session = app.extensions["tracker.db"].session()
        user = create_user(session, "张科长", Role.leader, "correct-horse-battery")
        session.commit()
        user_id = user.get_id()
        session.close()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = user_id
        flask_session["_fresh"] = True


@pytest.fixture()
def fault_app(fresh_database_url: str, tmp_path: Path) -> Iterator[Flask]:
    engine = make_engine(fresh_database_url)
    migration.upgrade(fresh_database_url, engine)
    engine.dispose()
    app = _app(fresh_database_url, tmp_path)
    yield app
    app.extensions["tracker.db"].dispose()


def _units(app: Flask) -> int:
    with app.extensions["tracker.db"].engine.connect() as connection:
        return connection.execute(select(func.count(Unit.id))).scalar_one()


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_a_database_fault_shows_a_chinese_page(fault: str, fault_app: Flask) -> None:
    inject, backend, expected = FAULTS[fault]
    if not fault_app.extensions["tracker.config"].database_url.startswith(
            "sqlite" if backend == "sqlite" else "postgresql"):
        pytest.skip(f"{fault} is a {backend} fault")
    client = fault_app.test_client()
    _sign_in(fault_app, client)
    response = client.get(f"/_test/fault/{fault}")
    html = response.get_data(as_text=True)
    assert response.status_code == (507 if fault == "disk_full" else 503)
    assert expected in html
    assert_chinese_page(html)
    if response.status_code == 503:
        assert response.headers["Retry-After"].isdigit()
    fault_app.extensions["tracker.db"].dispose()  # drop the connection the fault changed
    assert _units(fault_app) == 0


@pytest.mark.parametrize("url", ["postgresql+psycopg://nobody@127.0.0.1:9/none",
                                 "sqlite:////no/such/folder/tracker.db"])
def test_an_unavailable_database_shows_a_chinese_page(url: str, tmp_path: Path) -> None:
    """The signed-in user cannot even be loaded: the page is drawn without them."""
    app = _app(url, tmp_path)
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = "1:somekey"
    response = client.get("/projects")
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "数据库不可用" in html
    assert_chinese_page(html)


def test_an_unexpected_error_shows_no_english(fault_app: Flask) -> None:
    client = fault_app.test_client()
    _sign_in(fault_app, client)
    response = client.get("/_test/explode")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "改动已全部撤销" in html
    assert "invalid literal" not in html
    assert_chinese_page(html)
    assert _units(fault_app) == 0


@pytest.mark.parametrize(("path", "method", "status", "words"), [
    ("/_test/abort/400", "get", 400, "请求无效"),
    ("/logout", "post", 400, "页面已过期"),                 # no CSRF token: Flask-WTF's CSRFError
    ("/_test/abort/403", "get", 403, "没有权限"),
    ("/no-such-page", "get", 404, "页面不存在"),
    ("/logout", "get", 405, "不支持的操作"),
    ("/_test/abort/413", "get", 413, "文件太大"),
    ("/_test/rejected", "get", 422, "第 3 行“金额”不是数字"),
    ("/_test/abort/500", "get", 500, "系统出错"),
    ("/_test/abort/503", "get", 503, "暂时无法处理"),
])
def test_http_error_pages_are_chinese(path: str, method: str, status: int, words: str,
                                      fault_app: Flask) -> None:
    client = fault_app.test_client()
    _sign_in(fault_app, client)
    response = getattr(client, method)(path)
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert words in html
    assert_chinese_page(html)


def test_a_too_large_upload_is_refused_in_chinese(fresh_database_url: str, tmp_path: Path) -> None:
    app = _app(fresh_database_url, tmp_path, max_upload_bytes=1000,
               flask={"WTF_CSRF_ENABLED": False})
    response = app.test_client().post("/login", data={"username": "x" * 5000})
    html = response.get_data(as_text=True)
    assert response.status_code == 413 and "超过了允许的大小" in html
    assert_chinese_page(html)
