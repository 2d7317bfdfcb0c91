"""SQLite: a POST request's transaction waits for the write lock another writer (an import)
holds, instead of failing at once with 数据库正忙; a GET page does not wait for it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.conftest import TEST_PASSWORD, csrf_token
from tracker import create_app, migration
from tracker.models import AlertSubscription, Role
from tracker.services.users import create_user


def test_a_post_that_reads_then_writes_waits_for_an_import_a_get_does_not(
        fresh_database_url: str, tmp_path: Path) -> None:
    if not fresh_database_url.startswith("sqlite"):
        pytest.skip("SQLite's one write lock; PostgreSQL locks rows")
    app = create_app({"database_url": fresh_database_url, "instance_path": str(tmp_path), "testing": True,
                      "secret_key": "test-secret"})
    database = app.extensions["tracker.db"]
    migration.upgrade(fresh_database_url, database.engine)
    with database.session() as session:
        user = create_user(session, "leader1", Role.leader, TEST_PASSWORD)
        session.commit()
        user_id, key = user.id, user.get_id()
    client = app.test_client()
    with client.session_transaction() as flask_session:
        flask_session["_user_id"], flask_session["_fresh"] = key, True
    token = csrf_token(client, "/alerts")

    holder = database.engine.connect()  # an import, writing for about a second
    holder.exec_driver_sql("UPDATE unit SET id = id WHERE 0")  # takes the write lock
    released = threading.Event()

    def finish_later() -> None:
        time.sleep(1.0)
        holder.commit()
        released.set()

    finisher = threading.Thread(target=finish_later)
    try:
        finisher.start()
        started = time.monotonic()
        page = client.get("/alerts")
        get_seconds = time.monotonic() - started
        assert page.status_code == 200 and not released.is_set()
        response = client.post("/alerts/email", data={"csrf_token": token, "email": "leader@example.gov.cn"})
        post_seconds = time.monotonic() - started
    finally:
        finisher.join()
        holder.close()
    try:
        assert get_seconds < 0.8  # read while the import held the lock
        assert response.status_code == 302, response.get_data(as_text=True)
        assert post_seconds >= 0.9  # waited for the import to finish
        with database.session() as session:
            assert session.get(AlertSubscription, user_id).email == "leader@example.gov.cn"
    finally:
        database.dispose()


def test_a_write_session_waits_where_a_deferred_one_fails_at_once(fresh_database_url: str) -> None:
    """What a scheduler job gets (``Database.session(write=True)``): its transaction reads, then
    writes, after the other writer is done.  A deferred transaction that read first cannot wait."""
    if not fresh_database_url.startswith("sqlite"):
        pytest.skip("SQLite's one write lock; PostgreSQL locks rows")
    from sqlalchemy import func, select
    from sqlalchemy.exc import OperationalError

    from tracker.db import Database
    from tracker.models import Unit

    database = Database(fresh_database_url)
    try:
        migration.upgrade(fresh_database_url, database.engine)
        holder = database.engine.connect()
        holder.exec_driver_sql("UPDATE unit SET id = id WHERE 0")  # takes the write lock

        with database.session() as deferred:
            deferred.scalar(select(func.count()).select_from(Unit))
            deferred.add(Unit(code="D1", name="先读后写"))
            started = time.monotonic()
            with pytest.raises(OperationalError, match="database is locked"):
                deferred.flush()
            assert time.monotonic() - started < 0.5  # no wait: the busy timeout does not apply

        finisher = threading.Timer(1.0, holder.commit)
        finisher.start()
        try:
            started = time.monotonic()
            with database.session(write=True) as session:
                session.scalar(select(func.count()).select_from(Unit))
                session.add(Unit(code="W1", name="写会话"))
                session.commit()
            assert time.monotonic() - started >= 0.9
        finally:
            finisher.join()
            holder.close()
        with database.session() as session:
            assert session.scalars(select(Unit.code)).all() == ["W1"]
    finally:
        database.dispose()
