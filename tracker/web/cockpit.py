"""领导驾驶舱: one screen of a year's budget execution and results, for a unit filter and date."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from tracker.reports.cockpit import TEXT, build_cockpit
from tracker.services import cockpit
from tracker.web.access import READERS, roles_required
from tracker.web.context import config, db_session

blueprint = Blueprint("cockpit", __name__)


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
    session = db_session()
    selection = cockpit.choose(
        session, current_user, year=request.args.get("year", type=int),
        unit_id=request.args.get("unit", type=int), as_of=request.args.get("as_of", ""),
        today=datetime.now(config().tz).date())
    data = cockpit.gather(session, current_user, selection)
    page = build_cockpit(data, WebLinks()) if data is not None else None
    return render_template("cockpit/index.html", selection=selection, page=page, links=WebLinks(),
                           **TEXT)
