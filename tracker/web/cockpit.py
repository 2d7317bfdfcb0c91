"""领导驾驶舱: one screen of a year's budget execution and results, for a unit filter and date.

Building the page for 10,000 projects takes seconds (a full 双监控 evaluation, every month
end, 100,000 indicators), so its parts are rendered once per (year, unit filter, date, the
user's scope, data version) and kept (``page_cache``); only the selection form and the
user's unread alerts are made per request.  The data version changes with every committed
write that can change a figure (``tracker.db``), so a kept part is never out of date, with
one exception: the whole-province page (every unit, for a user who sees everything) whose
last build was slow (50,000 projects: seconds) is shown as last built after a commit, with
its time (页面数据截至 HH:MM，正在更新), while one thread rebuilds it
(``page_cache.kept_or_latest``): during an import nobody waits for that rebuild.  When the
page chose its date itself (the opening date) and that date moved to one never built (an
import extended the ledgers, a new day), the last built date is shown, labelled with its date
and 正在更新, while the new one is built; only a date asked for and never built answers 202
with a self-refreshing "正在后台计算" page.  The server builds the opening date's page at start
and keeps it built (``warm``).  A page of one unit, or of a user's own units, is always
rebuilt at once and exact.

``?format=xlsx`` (导出 Excel) gives the page's tables for the same selection, read by the
same ``cockpit.gather`` for the same user (so unit staff get their own units only).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, current_app, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.reports import page_tables
from tracker.reports.cockpit import ALERTS_SHOWN, TEXT, Cockpit, alert_count_text, build_cockpit
from tracker.services import cockpit, department
from tracker.services.gc_pause import collector_paused
from tracker.web.access import READERS, roles_required
from tracker.web.context import config, db_session
from tracker.web.downloads import wants_xlsx, xlsx
from tracker.db import Database, data_version
from tracker.models import Role, User
from tracker.web.page_cache import Shown, kept, kept_or_latest, page_cache

T = TypeVar("T")
log = logging.getLogger(__name__)
blueprint = Blueprint("cockpit", __name__)
SECTIONS = ("overview", "curve", "heatmap", "ranking", "indicators", "laggards")


class WebLinks:
    """Where the cockpit's figures lead (``tracker.reports.cockpit.Links``)."""

    def project(self, project_id: int, as_of: date) -> str:
        return url_for("monitoring.project", project_id=project_id, as_of=as_of.isoformat())

    def overview(self, as_of: date, status: str | None = None) -> str:
        return url_for("monitoring.overview", as_of=as_of.isoformat(), status=status)

    def cockpit(self, as_of: date, unit_id: int | None) -> str:
        return url_for("cockpit.index", year=as_of.year, unit=unit_id, as_of=as_of.isoformat())


@blueprint.route("/cockpit")
@roles_required(*READERS)
def index():  # type: ignore[no-untyped-def]
    session, scope = db_session(), cockpit.scope(current_user)
    offered = kept(session, ("cockpit-choices", scope), lambda: cockpit.choices(session, current_user))
    selection = cockpit.choose(
        session, current_user, year=request.args.get("year", type=int),
        unit_id=request.args.get("unit", type=int), as_of=request.args.get("as_of", ""),
        today=datetime.now(config().tz).date(), offered=offered)
    if wants_xlsx():
        return _workbook(session, selection)
    whole = scope is None and selection.unit_id is None  # may be shown as last built
    sections = _sections(session, current_user.id, selection, scope, whole)
    departments = _departments(session, selection, scope, whole)
    shown_as_of = selection.as_of if sections.key is None else sections.key[3]
    if (selection.as_of if departments.key is None else departments.key[3]) != shown_as_of:
        departments = Shown([])  # of another date than the rest: shown once rebuilt
    built_at = min((p.built_at for p in (departments, sections) if p.built_at is not None), default=None)
    pending = sections.pending or departments.pending
    alerts, alerts_total = cockpit.unread_alerts(session, current_user, selection, limit=ALERTS_SHOWN)
    page = render_template("cockpit/index.html", selection=selection, departments=departments.value or [],
                           sections=sections.value, pending=pending, shown_as_of=shown_as_of,
                           built_at=None if built_at is None else built_at.astimezone(config().tz).strftime("%H:%M"),
                           alerts=alerts, alerts_count=alert_count_text(alerts_total), links=WebLinks())
    return (page, 202) if pending else page  # 202: accepted, being computed (the page refreshes itself)


def _key(kind: str, selection: cockpit.Selection, scope: frozenset[int] | None) -> tuple[Any, ...]:
    """The page-cache key of a part (the date is item 3: ``Shown.key[3]``)."""
    return (kind, selection.year, selection.unit_id, selection.as_of, scope)


def _family(kind: str, selection: cockpit.Selection, scope: frozenset[int] | None) -> tuple[Any, ...] | None:
    """The keys of a part that differ only in the date, when the page chose the date itself
    (the opening date): while the whole province at a new opening date is built, the last
    built date is shown, labelled (``kept_or_latest``).  A date asked for is never replaced."""
    return None if selection.opening is None else (kind, selection.year, selection.unit_id, "opening", scope)


def _kept(session: Session, whole: bool, key: tuple[Any, ...], build: Callable[[Session], T],
          family: tuple[Any, ...] | None = None, task: tuple[str, tuple[Any, ...]] | None = None) -> Shown[T]:
    """A part kept per data version; the whole-province one may be its last build, the last
    build of another opening date, or pending (``kept_or_latest``; ``task``: the same build
    by name, for the server's build process, ``tracker.web.builder.TASKS``)."""
    if whole:
        return kept_or_latest(session, key, build, family, task)
    return Shown(kept(session, key, lambda: build(session)))


def _departments(session: Session, selection: cockpit.Selection, scope: frozenset[int] | None,
                 whole: bool) -> Shown[list[Any]]:
    """The 部门整体 lines of the page (kept like the sections)."""
    if selection.year is None:
        return Shown([])
    return _kept(session, whole, _key("cockpit-departments", selection, scope),
                 lambda reading: _build_departments(reading, selection, scope),
                 _family("cockpit-departments", selection, scope), ("cockpit-departments", (selection, scope)))


def _build_departments(reading: Session, selection: cockpit.Selection, scope: frozenset[int] | None) -> list[Any]:
    assert selection.year is not None
    units = {selection.unit_id} if selection.unit_id else scope
    return department.department_lines(reading, selection.year, None if units is None else set(units),
                                       selection.as_of)


def _workbook(session: Session, selection: cockpit.Selection):  # type: ignore[no-untyped-def]
    """The page's tables at ``selection`` as one workbook; 404 when there is nothing to show."""
    with collector_paused():
        data = cockpit.gather(session, current_user, selection)
        if data is None:
            abort(404)
        return xlsx(page_tables.cockpit(data))


def _sections(session: Session, user_id: int, selection: cockpit.Selection, scope: frozenset[int] | None,
              whole: bool) -> Shown[dict[str, Markup] | None]:
    """The page's parts at ``selection`` for a user of ``scope`` (kept per data version;
    ``whole``: may be the last build, see ``_kept``); ``user_id``: the user asking (what is
    read depends on them only through ``scope``)."""
    return _kept(session, whole, _key("cockpit", selection, scope),
                 lambda reading: _build_sections(reading, user_id, selection),
                 _family("cockpit", selection, scope), ("cockpit", (user_id, selection)))


def _build_sections(reading: Session, user_id: int, selection: cockpit.Selection) -> dict[str, Markup] | None:
    user = reading.get(User, user_id)  # the request's user, or read again by a thread of its own
    with collector_paused():
        data = cockpit.gather(reading, user, selection, alerts=False)
        return None if data is None else render_sections(build_cockpit(data, WebLinks()))


def render_sections(page: Cockpit) -> dict[str, Markup]:
    """Each part of ``templates/cockpit/_sections.html`` rendered for ``page``."""
    parts = current_app.jinja_env.get_template("cockpit/_sections.html").make_module(
        {"page": page, "links": WebLinks(), **TEXT})
    return {name: Markup(getattr(parts, name)()) for name in SECTIONS}


# --- warming: the whole-province page built before the first leader asks for it ----------

WARM_SECONDS = 60.0  # how often the server looks whether the page at the opening date is built
REWARM_SECONDS = 600.0  # a build older than this and behind the data is rebuilt unasked


def warm(app: Flask, every: float = WARM_SECONDS) -> threading.Thread:
    """Keep the whole-province cockpit at its opening date built, in a thread of the server
    (``tracker serve``): at start, whenever the opening date moves (a new day, an import that
    extends the ledgers) and, once the data changed (the scheduler's nightly job, imports),
    when its last build is ``REWARM_SECONDS`` old — so the first leader of the day finds it
    built.  The workers of one server share the build (``page_cache``'s folder)."""
    def run() -> None:
        while True:
            try:
                with app.app_context():
                    warm_once()
            except Exception:  # the next round tries again; requests build on their own
                log.exception("预先计算全省驾驶舱失败")
            time.sleep(every)

    thread = threading.Thread(target=run, name="cockpit-warm", daemon=True)
    thread.start()
    return thread


def warm_once(now: datetime | None = None) -> bool:
    """One round of ``warm`` (in an application context); whether it built anything."""
    database: Database = current_app.extensions["tracker.db"]
    with current_app.test_request_context("/"):  # links
        session = database.session()
        try:
            user = session.scalars(select(User).where(User.role != Role.unit_staff, User.active.is_(True))
                                   .order_by(User.id).limit(1)).first()
            if user is None:
                return False
            moment = now or datetime.now(UTC)
            selection = cockpit.choose(session, user, year=None, unit_id=None, as_of="",
                                       today=moment.astimezone(config().tz).date())
            if selection.year is None:
                return False
            cache, version = page_cache(), data_version(session)
            key = _key("cockpit", selection, None)
            last = cache.last_build(key)
            if last is not None and (last.version == version
                                     or (moment - last.at).total_seconds() < REWARM_SECONDS):
                return False
            user_id = user.id
            builds: tuple[tuple[str, Callable[[], Any]], ...] = (
                ("cockpit", lambda: _build_sections(session, user_id, selection)),
                ("cockpit-departments", lambda: _build_departments(session, selection, None)))
            for kind, build in builds:
                cache.timed(_key(kind, selection, None), version, build, _family(kind, selection, None))
            return True
        finally:
            session.close()
