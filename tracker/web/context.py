"""Per-request database session and configuration access."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from tracker.config import Config
from tracker.db import Database


def database() -> Database:
    return current_app.extensions["tracker.db"]


def config() -> Config:
    return current_app.extensions["tracker.config"]


def db_session() -> Session:
    """The request's session, opened on first use and closed when the request ends.
    Views commit; services only flush."""
    if "db_session" not in g:
        g.db_session = database().session()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close_session)
