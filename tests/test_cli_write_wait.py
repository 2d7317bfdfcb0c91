"""SQLite: a CLI command that writes waits for the write lock another writer (an import) holds,
instead of failing at once with 数据库正忙 when its transaction, having read, comes to write."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tracker import migration
from tracker.cli import Context, cli
from tracker.config import Config
from tracker.db import Database
from tracker.models import AlertSubscription, User


def test_a_command_that_reads_then_writes_waits_for_an_import_holding_the_write_lock(fresh_database_url: str, tmp_path: Path) -> None:
    if not fresh_database_url.startswith("sqlite"):
        pytest.skip("SQLite's one write lock; PostgreSQL locks rows")
    database = Database(fresh_database_url)
    migration.upgrade(fresh_database_url, database.engine)
    context = Context()
    context.__dict__["config"] = Config.from_env({"database_url": fresh_database_url,
                                                  "instance_path": str(tmp_path)})
    context.__dict__["database"] = database

    runner = CliRunner()
    created = runner.invoke(cli, ["user", "create", "--username", "zhang", "--role", "finance",
                                  "--password", "s3cret-pass"], obj=context)
    assert created.exit_code == 0, created.output

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
        # reads the user, then writes its subscription: a deferred transaction could not wait
        result = runner.invoke(cli, ["user", "update", "zhang", "--email", "zhang@example.gov.cn"], obj=context)
        waited = released.is_set()
    finally:
        finisher.join()
        holder.close()
    try:
        assert result.exit_code == 0, result.output
        assert "数据库正忙" not in result.output
        assert waited  # it finished only after the import let the lock go
        with database.session() as session:
            user = session.scalar(select(User).where(User.username == "zhang"))
            assert user is not None and session.get(AlertSubscription, user.id).email == "zhang@example.gov.cn"
    finally:
        database.dispose()
