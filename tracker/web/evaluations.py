"""年终自评 pages: the year list per unit, and one project's 自评表 (a form while it is a
draft, read-only once frozen) with its earlier evaluations."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from tracker.errors import ValidationFailed
from tracker.models import DepartmentEvaluation, Evaluation, Project, Role
from tracker.reports import page_tables
from tracker.services import evaluation, evaluation_views
from tracker.services.projects import visible_years
from tracker.web.access import READERS, roles_required, scope_projects, visible_project
from tracker.web.context import config, db_session
from tracker.web.downloads import wants_xlsx, xlsx

blueprint = Blueprint("evaluations", __name__)

EDITORS = (Role.unit_staff,)  # and admin


def _today() -> date:
    return datetime.now(config().tz).date()


def _may_edit() -> bool:
    return current_user.role in (Role.admin, *EDITORS)


def _default_year(years: list[int], today: date) -> int | None:
    """The newest year that has reached 12-31, else the newest."""
    ended = [y for y in years if date(y, 12, 31) <= today]
    return ended[0] if ended else (years[0] if years else None)


@blueprint.route("/evaluations")
@roles_required(*READERS)
def index():  # type: ignore[no-untyped-def]
    session = db_session()
    years = visible_years(session, current_user)
    year = request.args.get("year", type=int) or _default_year(years, _today())
    unit_id = request.args.get("unit", type=int)
    ids = None if current_user.sees_everything else list(session.scalars(scope_projects(
        select(Project.id).where(Project.year == year), current_user)))
    rows = evaluation_views.year_overview(session, year, ids) if year else []
    units = sorted({(r.project.unit_id, r.project.unit.label) for r in rows}, key=lambda u: u[1])
    shown = [r for r in rows if unit_id is None or r.project.unit_id == unit_id]
    if wants_xlsx():
        return xlsx(page_tables.evaluations(shown, year))
    return render_template("evaluations/index.html", rows=shown, years=years, year=year,
                           units=units, unit_id=unit_id, may_edit=_may_edit(),
                           year_ended=bool(year) and date(year, 12, 31) <= _today())


@blueprint.route("/evaluations/create", methods=["POST"])
@roles_required(*EDITORS)
def create_all():  # type: ignore[no-untyped-def]
    session = db_session()
    year, unit_id = request.form.get("year", type=int), request.form.get("unit", type=int)
    if year is None:
        flash("请选择年度。", "error")
        return redirect(url_for("evaluations.index"))
    ids = None if current_user.sees_everything else list(session.scalars(scope_projects(
        select(Project.id).where(Project.year == year), current_user)))
    try:
        result = evaluation.create_drafts(session, year, current_user, _today(), ids, unit_id)
        session.commit()
        flash(f"已为 {len(result.created)} 个项目创建自评草稿；{result.already} 个项目已有自评。", "info")
        for project, reason in result.failed:
            flash(f"{project.name}：{reason}", "error")
    except ValidationFailed as failure:
        session.rollback()
        flash(str(failure), "error")
    return redirect(url_for("evaluations.index", year=year, unit=unit_id))


@blueprint.route("/projects/<int:project_id>/evaluation")
@roles_required(*READERS)
def project(project_id: int):  # type: ignore[no-untyped-def]
    item = visible_project(project_id)
    page = evaluation_views.evaluation_page(db_session(), item, _today(),
                                      request.args.get("number", type=int))
    if wants_xlsx():
        return xlsx(page_tables.evaluation(item, page.evaluation, page.history, config().tz))
    return render_template("evaluations/project.html", page=page, may_edit=_may_edit(),
                           form={}, error=None, freezing=False, saved=request.args.get("saved"))


@blueprint.route("/projects/<int:project_id>/evaluation/new", methods=["POST"])
@roles_required(*EDITORS)
def create(project_id: int):  # type: ignore[no-untyped-def]
    item, session = visible_project(project_id), db_session()
    try:
        made = evaluation.create_draft(session, item, current_user, _today())
        session.commit()
        flash(f"已创建第{made.number}次自评草稿，实际完成值取自截至12月31日的最新填报。", "info")
    except ValidationFailed as failure:
        session.rollback()
        flash(str(failure), "error")
    return redirect(url_for("evaluations.project", project_id=item.id))


@blueprint.route("/projects/<int:project_id>/evaluation/<int:number>", methods=["POST"])
@roles_required(*EDITORS)
def save(project_id: int, number: int):  # type: ignore[no-untyped-def]
    """Save the draft; with ``action=freeze`` then submit it (the edits stay saved when the
    submission is refused)."""
    item, session = visible_project(project_id), db_session()
    draft = evaluation.evaluation_by_number(session, item, number)
    freezing = request.form.get("action") == "freeze"
    try:
        evaluation.update_draft(session, draft, posted_edit(draft), current_user)
        session.commit()
        if freezing:
            evaluation.freeze(session, draft, current_user, request.form.get("warnings_reason", ""))
            session.commit()
    except ValidationFailed as failure:
        session.rollback()
        page = evaluation_views.evaluation_page(session, item, _today(), number)
        errors = getattr(failure, "fields", None) or {"": str(failure)}
        return render_template("evaluations/project.html", page=page, may_edit=True, form=request.form,
                               errors=errors, error=errors.get(""), freezing=freezing), 400
    # back where the save button was, saying there what happened
    return redirect(url_for("evaluations.project", project_id=item.id, number=number,
                            saved="frozen" if freezing else "saved", _anchor="evaluation-submit"))


def posted_edit(draft: Evaluation | DepartmentEvaluation) -> evaluation.EvaluationEdit:
    """The posted form as an edit of a 自评 draft (the project's or the 部门整体's: the same
    fields); a field that is not posted stays unchanged."""
    form = request.form
    rows = {row.id: evaluation.IndicatorEdit(
        actual=form.get(f"actual_{row.id}"), achievement=form.get(f"achievement_{row.id}"),
        score=form.get(f"score_{row.id}"), completed_on=form.get(f"completed_on_{row.id}"),
        deviation_reason=form.get(f"reason_{row.id}"))
        for row in draft.indicators}
    return evaluation.EvaluationEdit(goal_actual=form.get("goal_actual"), indicators=rows)
