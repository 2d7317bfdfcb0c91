from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tracker import migration
from tracker.db import make_engine
from tracker.models import AuditEntry, Role, User


def test_user_create(runner, session) -> None:  # type: ignore[no-untyped-def]
    result = runner("user", "create", "--username", "zhang", "--role", "finance",
                    "--password", "s3cret-pass")
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.username == "zhang"))
    assert user is not None and user.role is Role.finance and user.check_password("s3cret-pass")
    assert session.scalar(select(AuditEntry).where(AuditEntry.entity_id == user.id)).actor == "cli"


def test_user_create_refuses_a_short_password(runner) -> None:  # type: ignore[no-untyped-def]
    result = runner("user", "create", "--username", "li", "--role", "leader", "--password", "123")
    assert result.exit_code != 0
    assert "密码至少 8 位" in str(result.exception)


def test_admin_ensure_generates_and_writes_a_password(runner, app, session) -> None:  # type: ignore[no-untyped-def]
    session.execute(text("DELETE FROM app_user"))  # inside the test's rolled-back transaction
    session.commit()
    result = runner("admin", "ensure")
    assert result.exit_code == 0, result.output
    written = Path(app.extensions["tracker.config"].instance_path, "initial-admin.txt")
    password = written.read_text(encoding="utf-8").split("password: ")[1].strip()
    assert password in result.output
    admin = session.scalar(select(User).where(User.username == "admin"))
    assert admin is not None and admin.check_password(password)
    again = runner("admin", "ensure")
    assert "已存在" in again.output


def _tracker(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "TRACKER_INSTANCE_PATH": str(tmp_path), **env}
    return subprocess.run([sys.executable, "-m", "tracker.cli", *args], capture_output=True,
                          text=True, env=environment, timeout=60)


@pytest.mark.parametrize(("url", "expected"), [
    ("mysql://root@localhost/x", "不支持的数据库地址"),
    ("postgresql+psycopg://nobody@127.0.0.1:9/none", "数据库不可用"),
])
def test_bad_database_urls_give_one_line_and_no_traceback(tmp_path: Path, url: str, expected: str) -> None:
    result = _tracker(tmp_path, "db", "current", TRACKER_DATABASE_URL=url)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    engine = make_engine(url)
    migration.upgrade(url, engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    engine.dispose()
    for command in (("db", "upgrade"), ("serve", "--port", "1")):
        result = _tracker(tmp_path, *command, TRACKER_DATABASE_URL=url)
        assert result.returncode != 0
        assert "比本程序新" in result.stderr and "Traceback" not in result.stderr


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = _tracker(tmp_path, "serve", "--port", "1",
                      TRACKER_DATABASE_URL=f"sqlite:///{tmp_path / 'empty.db'}")
    assert result.returncode != 0 and "tracker db upgrade" in result.stderr


def test_demo_load_prints_how_to_sign_in_as_each_role_and_nothing_else_makes_demo_users(tmp_path: Path) -> None:
    database = {"TRACKER_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}"}
    for args in (("db", "upgrade"), ("admin", "ensure")):
        assert _tracker(tmp_path, *args, **database).returncode == 0
    assert not (tmp_path / "demo-users.txt").exists()  # a tracker without the demo data has none
    done = _tracker(tmp_path, "demo", "load", **database)
    assert done.returncode == 0, done.stderr
    written = (tmp_path / "demo-users.txt").read_text(encoding="utf-8").split()
    finance, leader, staff = written[2], written[5], written[8]
    assert f"财务人员：用户名 demo-finance  密码 {finance}" in done.stdout
    assert f"领导：用户名 demo-leader  密码 {leader}" in done.stdout
    assert f"单位填报人员：用户名 demo-unit  密码 {staff}，填报单位：" in done.stdout
    engine = make_engine(database["TRACKER_DATABASE_URL"])
    with engine.connect() as connection:
        roles = dict(connection.execute(text("SELECT username, role FROM app_user")).all())
    engine.dispose()
    assert roles == {"admin": "admin", "demo-finance": "finance", "demo-leader": "leader",
                     "demo-unit": "unit_staff"}
