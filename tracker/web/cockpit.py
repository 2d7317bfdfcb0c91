"""领导驾驶舱: one screen of a year's budget execution and results, for a unit filter and date.

Building the page for 10,000 projects takes seconds (a full 双监控 evaluation, every month
end, 100,000 indicators), so its parts are rendered once per (year, unit filter, date, the
user's scope, data version) and kept (``page_cache``); only the selection form and the
user's unread alerts are made per request.  The data version changes with every committed
write that can change a figure (``tracker.db``), so a kept part is never out of date, with
one exception: the whole-province page (every unit, for a user who sees everything) whose
last build was slow (50,000 projects: seconds) is shown as last built after a commit, with
its time (页面数据截至 HH:MM，正在更新), while one thread rebuilds it
(``page_cache.kept_or_latest``): during an import nobody waits for that rebuild.  A page of
one unit, or of a user's own units, is always rebuilt at once and exact.

``?format=xlsx`` (导出 Excel) gives the page's tables for the same selection, read by the
same ``cockpit.gather`` for the same user (so unit staff get their own units only).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any, TypeVar

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import Session

from tracker.reports import page_tables
from tracker.reports.cockpit import ALERTS_SHOWN, TEXT, Cockpit, build_cockpit
from tracker.services import cockpit, department
from tracker.services.gc_pause import collector_paused
from tracker.web.access import READERS, roles_required
from tracker.web.context import config, db_session
from tracker.web.downloads import wants_xlsx, xlsx
from tracker.models import User
from tracker.web.page_cache import Shown, kept, kept_or_latest

T = TypeVar("T")
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
    units = {selection.unit_id} if selection.unit_id else scope
    whole = scope is None and selection.unit_id is None  # may be shown as last built
    departments = Shown([]) if selection.year is None else _kept(
        session, whole, ("cockpit-departments", selection.year, selection.unit_id, selection.as_of, scope),
        lambda s: department.department_lines(s, selection.year, None if units is None else set(units),
                                              selection.as_of))
    sections = _sections(session, selection, scope, whole)
    built_at = min((p.built_at for p in (departments, sections) if p.built_at is not None), default=None)
    return render_template("cockpit/index.html", selection=selection, departments=departments.value or [],
                           sections=sections.value, pending=sections.pending or departments.pending,
                           built_at=None if built_at is None else built_at.astimezone(config().tz).strftime("%H:%M"),
                           alerts=cockpit.unread_alerts(session, current_user, selection),
                           alerts_shown=ALERTS_SHOWN, links=WebLinks())


def _kept(session: Session, whole: bool, key: tuple[Any, ...], build: Callable[[Session], T]) -> Shown[T]:
    """A part kept per data version; the whole-province one may be its last build, or
    pending (``kept_or_latest``)."""
    if whole:
        return kept_or_latest(session, key, build)
    return Shown(kept(session, key, lambda: build(session)))


def _workbook(session: Session, selection: cockpit.Selection):  # type: ignore[no-untyped-def]
    """The page's tables at ``selection`` as one workbook; 404 when there is nothing to show."""
    with collector_paused():
        data = cockpit.gather(session, current_user, selection)
        if data is None:
            abort(404)
        return xlsx(page_tables.cockpit(data))


def _sections(session: Session, selection: cockpit.Selection, scope: frozenset[int] | None,
              whole: bool) -> Shown[dict[str, Markup] | None]:
    """The page's parts at ``selection`` for a user of ``scope`` (kept per data version;
    ``whole``: may be the last build, see ``_kept``)."""
    user_id = current_user.id

    def build(reading: Session) -> dict[str, Markup] | None:
        user = reading.get(User, user_id)  # the request's user, or read again by a rebuild thread
        with collector_paused():
            data = cockpit.gather(reading, user, selection, alerts=False)
            return None if data is None else render_sections(build_cockpit(data, WebLinks()))

    return _kept(session, whole, ("cockpit", selection.year, selection.unit_id, selection.as_of, scope), build)


def render_sections(page: Cockpit) -> dict[str, Markup]:
    """Each part of ``templates/cockpit/_sections.html`` rendered for ``page``."""
    parts = current_app.jinja_env.get_template("cockpit/_sections.html").make_module(
        {"page": page, "links": WebLinks(), **TEXT})
    return {name: Markup(getattr(parts, name)()) for name in SECTIONS}
