"""领导驾驶舱: one screen of a year's budget execution and results, for a unit filter and date.

Building the page for 10,000 projects takes seconds (a full 双监控 evaluation, every month
end, 100,000 indicators), so its parts are rendered once per (year, unit filter, date, the
user's scope, data version) and kept (``page_cache``); only the selection form and the
user's unread alerts are made per request.  The data version changes with every committed
write that can change a figure (``tracker.db``), so a kept part is never out of date.

``?format=xlsx`` (导出 Excel) gives the page's tables for the same selection, read by the
same ``cockpit.gather`` for the same user (so unit staff get their own units only).
"""

from __future__ import annotations

from datetime import date, datetime

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
from tracker.web.page_cache import kept

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
    departments = [] if selection.year is None else kept(
        session, ("cockpit-departments", selection.year, selection.unit_id, selection.as_of, scope),
        lambda: department.department_lines(session, selection.year, None if units is None else set(units),
                                            selection.as_of))
    return render_template("cockpit/index.html", selection=selection, departments=departments,
                           sections=_sections(session, selection, scope),
                           alerts=cockpit.unread_alerts(session, current_user, selection),
                           alerts_shown=ALERTS_SHOWN, links=WebLinks())


def _workbook(session: Session, selection: cockpit.Selection):  # type: ignore[no-untyped-def]
    """The page's tables at ``selection`` as one workbook; 404 when there is nothing to show."""
    with collector_paused():
        data = cockpit.gather(session, current_user, selection)
        if data is None:
            abort(404)
        return xlsx(page_tables.cockpit(data))


def _sections(session: Session, selection: cockpit.Selection,
              scope: frozenset[int] | None) -> dict[str, Markup] | None:
    """The page's parts at ``selection`` for a user of ``scope`` (kept per data version)."""
    def build() -> dict[str, Markup] | None:
        with collector_paused():
            data = cockpit.gather(session, current_user, selection, alerts=False)
            return None if data is None else render_sections(build_cockpit(data, WebLinks()))

    return kept(session, ("cockpit", selection.year, selection.unit_id, selection.as_of, scope), build)


def render_sections(page: Cockpit) -> dict[str, Markup]:
    """Each part of ``templates/cockpit/_sections.html`` rendered for ``page``."""
    parts = current_app.jinja_env.get_template("cockpit/_sections.html").make_module(
        {"page": page, "links": WebLinks(), **TEXT})
    return {name: Markup(getattr(parts, name)()) for name in SECTIONS}
