"""What every command shares: the configuration and database (opened only when needed), the
transaction a command owns, reading files given on the command line, the lock-wait notice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import json

import click

from tracker.config import Config

if TYPE_CHECKING:  # SQLAlchemy is imported when a command opens the database, not by `tracker`
    from sqlalchemy.orm import Session

    from tracker.db import Database


#: the --json option of a command that does one thing: it prints one JSON object
json_object_option = click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")


def echo_json(value: Any) -> None:
    """``--json`` output: one array (a listing) or one object (an action), never JSON lines."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


class Context:
    """Configuration and database, opened only when a command needs them."""

    @cached_property
    def config(self) -> Config:
        return Config.from_env()

    @cached_property
    def database(self) -> Database:
        from tracker.db import Database

        return Database(self.config.database_url)

    def today(self) -> date:
        """Today in the configured time zone (the boundary reads the clock, services do not)."""
        return datetime.now(self.config.tz).date()

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Session]:
        """The command's unit of work: commit on success, roll back on any error.  ``write``: the
        command writes; on SQLite its transaction takes the write lock as it begins and so waits
        for an import holding it instead of failing at its first write (``Database.session``).
        The ledger commands leave it off: they wait on the unit's lock (``ledger_lock``) and tell
        the user so, and an import's reading phase must not hold the write lock."""
        session = self.database.session(write=write)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


pass_context = click.make_pass_decorator(Context, ensure=True)


def read_files(paths: tuple[str, ...]) -> list[Any]:
    from tracker.services.target_import import UploadedFile

    files = []
    for path in paths:
        file = Path(path)
        if not file.is_file():
            raise click.UsageError(f"文件不存在：{path}")
        files.append(UploadedFile(file.name, file.read_bytes()))
    return files


def waiting_notice() -> Any:
    """Tells the user once, on stderr, that the command waits for another import of the unit."""
    from tracker.services.ledger_lock import WAITING_MESSAGE

    told: list[bool] = []

    def notice() -> None:
        if not told:
            told.append(True)
            click.echo(WAITING_MESSAGE, err=True)

    return notice
