"""Shared fixtures: ``app``, ``session`` (rolled back per test), ``client``, ``runner``,
``logged_in(role)``.

Every database test runs on SQLite, and again on PostgreSQL when
``TRACKER_TEST_DATABASE_URL`` is set (the ``database_url`` fixture is parametrised).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from tracker import create_app, migration
from tracker.cli import Context, cli
from tracker.config import Config
from tracker.db import Database
from tracker.models import Role, Unit, User
from tracker.services.users import create_user

PG_URL = os.environ.get("TRACKER_TEST_DATABASE_URL", "")
# ``tracker import ledger`` run in this process (``cli.main`` reads its configuration from the
# environment) would lower pytest's own priority for every test after it, and the servers and
# commands the tests start inherit it; tests/test_import_priority.py asks for it explicitly.
os.environ.setdefault("TRACKER_IMPORT_NICENESS", "0")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
TEST_PASSWORD = "correct-horse-battery"


def reset_postgres(url: str, schema: str = "public") -> None:
    """Drop and recreate ``schema`` so every run starts from an empty database."""
    engine = create_engine(url.split("?", 1)[0], isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture(scope="session")
def instance_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    return str(tmp_path_factory.mktemp("instance"))


@pytest.fixture(scope="session")
def app(database_url: str, instance_path: str) -> Iterator[Flask]:
    application = create_app(
        {"database_url": database_url, "instance_path": instance_path, "testing": True,
         "secret_key": "test-secret", "import_niceness": 0}  # in-process imports keep pytest's priority
    )
    database: Database = application.extensions["tracker.db"]
    migration.upgrade(database_url, database.engine)
    yield application
    database.dispose()


@pytest.fixture()
def session(app: Flask) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test.

    The app's session factory is pointed at the same connection, so requests and CLI
    commands see the test's data and their commits become savepoints.  Pages kept by the
    app's page cache are dropped, so no test sees another's."""
    app.extensions.pop("tracker.page_cache", None)
    database: Database = app.extensions["tracker.db"]
    connection = database.engine.connect()
    outer = connection.begin()
    original = database.session_factory
    database.session_factory = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )
    test_session = database.session_factory()
    try:
        yield test_session
    finally:
        test_session.close()
        database.session_factory = original
        outer.rollback()
        connection.close()


@pytest.fixture()
def client(app: Flask, session: Session) -> FlaskClient:
    return app.test_client()


class CliInvoker:
    """Runs ``tracker …`` in-process against the test database and transaction."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        context = Context()
        context.__dict__["config"] = self.app.extensions["tracker.config"]
        context.__dict__["database"] = self.app.extensions["tracker.db"]
        return self.runner.invoke(cli, list(args), obj=context, input=input)


@pytest.fixture()
def runner(app: Flask, session: Session) -> CliInvoker:
    return CliInvoker(app)


def csrf_token(client: FlaskClient, url: str = "/login") -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def post_form(client: FlaskClient, url: str, data: dict[str, Any] | None = None,
              token_from: str = "/projects", **kwargs: Any):  # type: ignore[no-untyped-def]
    """POST a form the way a browser does: with the CSRF token of a page it loaded."""
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client, token_from)
    return client.post(url, data=payload, **kwargs)


@pytest.fixture()
def make_user(session: Session) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def factory(role: Role | str, units: list[Unit] | None = None,
                username: str | None = None) -> User:
        user = create_user(session, username or f"{Role(role).value}{next(counter)}", role,
                           TEST_PASSWORD, units=units)
        session.commit()
        return user

    return factory


@pytest.fixture()
def logged_in(client: FlaskClient, make_user: Callable[..., User]) -> Callable[..., User]:
    """``logged_in("finance")`` creates a user with that role and signs the client in."""

    def login(role: Role | str, units: list[Unit] | None = None) -> User:
        user = make_user(role, units)
        with client.session_transaction() as flask_session:
            flask_session["_user_id"] = user.get_id()
            flask_session["_fresh"] = True
        return user

    return login


@pytest.fixture()
def fresh_database_url(database_url: str, tmp_path: Any) -> Iterator[str]:
    """An empty database of the same backend, for migration tests."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    schema = "migration_test"
    reset_postgres(database_url, schema)
    separator = "&" if "?" in database_url else "?"
    yield f"{database_url}{separator}options=-csearch_path%3D{schema}"
    reset_postgres(database_url, schema)


__all__ = ["Config", "TEST_PASSWORD", "csrf_token", "post_form"]


@pytest.fixture()
def tracker_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                 tmp_path: Any) -> Callable[..., tuple[int, str, str]]:
    """``tracker_main(url, *args)`` → (exit code, stdout, stderr) of the ``tracker`` entry point
    (``tracker.cli.main``, its top-level handler included), on ``url`` with ``tmp_path`` as the
    instance folder."""
    from tracker.cli import main

    def run(url: str, *args: str) -> tuple[int, str, str]:
        monkeypatch.setenv("TRACKER_DATABASE_URL", url)
        monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
        monkeypatch.delenv("TRACKER_DEBUG", raising=False)
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main(list(args))
            raise SystemExit(0)
        captured = capsys.readouterr()
        return int(exited.value.code or 0), captured.out, captured.err

    return run
