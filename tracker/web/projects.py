"""The project list."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from tracker.models import Project
from tracker.web.access import READERS, roles_required, scope_projects
from tracker.web.context import db_session

blueprint = Blueprint("projects", __name__)


@blueprint.route("/")
def home():  # type: ignore[no-untyped-def]
    return redirect(url_for("projects.index"))


@blueprint.route("/projects")
@roles_required(*READERS)
def index():  # type: ignore[no-untyped-def]
    session = db_session()
    years = list(session.scalars(scope_projects(
        select(Project.year).distinct().order_by(Project.year.desc()), current_user)))
    year = request.args.get("year", type=int) or (years[0] if years else None)
    query = scope_projects(select(Project).where(Project.year == year), current_user)
    projects = session.scalars(query.order_by(Project.unit_id, Project.id)).all()
    return render_template("projects/index.html", projects=projects, years=years, year=year)
