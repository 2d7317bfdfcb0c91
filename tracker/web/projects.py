"""The project list."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from tracker.models import AuditEntry, Project, Role
from tracker.reports import page_tables
from tracker.services.projects import (
    findings_by_project,
    project_ledger,
    project_list_page,
    project_list_rows,
    visible_years,
)
from tracker.web.access import READERS, roles_required, scope_projects, visible_project
from tracker.web.context import config, db_session
from tracker.web.downloads import wants_xlsx, xlsx

blueprint = Blueprint("projects", __name__)
#: Projects per page of the list (a province holds 50,000; the download has them all).
PROJECT_LIST_PAGE_SIZE = 100


@blueprint.route("/")
def home():  # type: ignore[no-untyped-def]
    """Leaders start on the cockpit; everyone else on the project list."""
    if current_user.is_authenticated and current_user.role is Role.leader:
        return redirect(url_for("cockpit.index"))
    return redirect(url_for("projects.index"))


@blueprint.route("/projects")
@roles_required(*READERS)
def index():  # type: ignore[no-untyped-def]
    session = db_session()
    years = visible_years(session, current_user)
    year = request.args.get("year", type=int) or (years[0] if years else None)
    query = scope_projects(select(Project).where(Project.year == year), current_user)
    if wants_xlsx():
        return xlsx(page_tables.projects(project_list_rows(session, query), year))
    page = max(request.args.get("page", 1, type=int), 1)
    projects, total = project_list_page(session, query, page, PROJECT_LIST_PAGE_SIZE)
    return render_template("projects/index.html", projects=projects, years=years, year=year,
                           page=page, page_size=PROJECT_LIST_PAGE_SIZE, total=total)


@blueprint.route("/projects/<int:project_id>")
@roles_required(*READERS)
def detail(project_id: int):  # type: ignore[no-untyped-def]
    project = visible_project(project_id)
    session = db_session()
    findings = findings_by_project(session, [project.id])[project.id]
    history = session.scalars(select(AuditEntry).where(
        AuditEntry.entity == "project", AuditEntry.entity_id == project.id
    ).order_by(AuditEntry.at.desc())).all()
    if wants_xlsx():
        return xlsx(page_tables.project_detail(project, findings, history, config().tz))
    return render_template("projects/detail.html", project=project, findings=findings,
                           history=history)


@blueprint.route("/projects/quality")
@roles_required(*READERS)
def quality():  # type: ignore[no-untyped-def]
    session = db_session()
    years = visible_years(session, current_user)
    year = request.args.get("year", type=int) or (years[0] if years else None)
    projects = session.scalars(scope_projects(
        select(Project).where(Project.year == year), current_user
    ).order_by(Project.quality_score.asc().nulls_last(), Project.id)).all()
    findings = findings_by_project(session, [p.id for p in projects])
    if wants_xlsx():
        return xlsx(page_tables.quality(projects, findings, year))
    return render_template("projects/quality.html", projects=projects, findings=findings,
                           years=years, year=year)


LEDGER_PAGE_SIZE = 100


@blueprint.route("/projects/<int:project_id>/ledger")
@roles_required(*READERS)
def ledger_rows(project_id: int):  # type: ignore[no-untyped-def]
    """The ledger rows behind a project's spending: where every 元 comes from."""
    project = visible_project(project_id)
    as_of = request.args.get("as_of", type=date.fromisoformat)
    if wants_xlsx():
        every_row = project_ledger(db_session(), project.id, as_of, 1, None)[0]
        return xlsx(page_tables.ledger_rows(project, every_row, as_of))
    page = max(request.args.get("page", 1, type=int), 1)
    rows, total, count = project_ledger(db_session(), project.id, as_of, page, LEDGER_PAGE_SIZE)
    return render_template("projects/ledger.html", project=project, rows=rows, total=total,
                           count=count, as_of=as_of, page=page, page_size=LEDGER_PAGE_SIZE)
