"""Per-request database session and configuration access, and the one clock of every page:
``local_time`` shows a stored (UTC) time in the configured zone (``Config.timezone``,
Asia/Shanghai by default), ``time_zone_label`` names that zone."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from flask import Flask, current_app, g, has_request_context, request
from markupsafe import Markup
from sqlalchemy.orm import Session

from tracker.config import Config
from tracker.core.labels import actor_label, finding_severity_label, template_labels
from tracker.core.money import decimal_text
from tracker.db import Database
from tracker.services.settings import read_settings_once


def database() -> Database:
    return current_app.extensions["tracker.db"]


def config() -> Config:
    return current_app.extensions["tracker.config"]


#: Methods that never write: their requests read without waiting for a writer.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_READS_ONLY = "tracker_reads_only"

View = TypeVar("View", bound=Callable[..., Any])


def reads_only(view: View) -> View:
    """Mark a POST view that writes nothing (a preview): its session does not take SQLite's
    write lock, so a long parse never makes an import wait (see ``db.WRITE_INTENT``)."""
    setattr(view, _READS_ONLY, True)
    return view


def db_session() -> Session:
    """The request's session, opened on first use and closed when the request ends.
    Views commit; services only flush.  A POST request's session writes: on SQLite each of its
    transactions waits for the write lock as it begins (an import holding it is waited for,
    not answered with 数据库正忙); GET pages and ``reads_only`` views never wait for it."""
    if "db_session" not in g:
        view = current_app.view_functions.get(request.endpoint or "") if has_request_context() else None
        write = has_request_context() and request.method not in READ_METHODS \
            and not getattr(view, _READS_ONLY, False)
        g.db_session = database().session(write=write)
        read_settings_once(g.db_session)
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


ZONE_LABELS = {"Asia/Shanghai": "北京时间"}


def local_time(moment: datetime | None, seconds: bool = False) -> str:
    """A stored time (UTC; naive means UTC) as wall-clock text in the configured zone."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(config().tz).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def time_zone_label() -> str:
    """How pages name the configured zone: 北京时间 for Asia/Shanghai, else the zone's name."""
    name = config().timezone
    return ZONE_LABELS.get(name, f"{name} 时间")


def money(amount: Decimal | int | None) -> str:
    """An amount in 元 as pages show it: thousands separated, two decimals (12,345.60)."""
    return "" if amount is None else f"{Decimal(amount):,.2f}"


def thousands(count: int | None) -> str:
    """A count as pages show it, separated like money (74,868)."""
    return "" if count is None else f"{count:,}"


#: What ``script_json`` writes as escapes: what could end or confuse a <script> element.
_SCRIPT_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027"})


def script_json(value: Any) -> Markup:
    """``value`` as compact JSON for a ``<script type="application/json">`` element: Chinese
    text as itself (UTF-8, 3 bytes a character, where ``tojson`` writes 6-byte ``\\uXXXX``
    escapes), no spaces, and ``< > & '`` escaped as ``tojson`` does, so the text can never end
    the element."""
    return Markup(json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES))


def init_app(app: Flask) -> None:
    app.add_template_filter(money, "money")
    app.add_template_filter(script_json, "script_json")
    app.add_template_filter(finding_severity_label, "severity_label")
    app.add_template_filter(thousands, "thousands")
    app.add_template_filter(actor_label, "actor")
    app.add_template_filter(decimal_text, "plain")
    app.teardown_appcontext(_close_session)
    app.add_template_filter(local_time, "local_time")
    app.add_template_global(time_zone_label, "time_zone_label")
    # Every code → word table of core.labels (COLOUR_LABELS, CAUSES, status_label …) in every
    # template; globals rather than a context processor so imported macros see them too.
    for name, value in template_labels().items():
        app.add_template_global(value, name)
