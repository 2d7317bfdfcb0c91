"""调整 pages: a project's adjustments (versions of 全年预算数, plan and targets) and the form
that records a new one (finance and admin)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from tracker.errors import ValidationFailed
from tracker.models import Role
from tracker.reports import page_tables
from tracker.services import adjustments
from tracker.web.access import READERS, roles_required, visible_project
from tracker.web.context import config, db_session
from tracker.web.downloads import wants_xlsx, xlsx

blueprint = Blueprint("adjustments", __name__)

ADJUSTERS = (Role.finance,)  # and admin


@blueprint.route("/projects/<int:project_id>/adjustments")
@roles_required(*READERS)
def index(project_id: int):  # type: ignore[no-untyped-def]
    item = visible_project(project_id)
    may_adjust = current_user.role in (Role.admin, *ADJUSTERS)
    items = adjustments.adjustments_of(db_session(), item)
    if wants_xlsx():
        return xlsx(page_tables.adjustments(item, items, config().tz))
    return render_template("projects/adjustments.html", project=item, form={}, error=None,
                           items=items, may_adjust=may_adjust)


@blueprint.route("/projects/<int:project_id>/adjustments", methods=["POST"])
@roles_required(*ADJUSTERS)
def create(project_id: int):  # type: ignore[no-untyped-def]
    item, session = visible_project(project_id), db_session()
    form = adjustments.AdjustmentForm(
        effective_on=request.form.get("effective_on", ""), reason=request.form.get("reason", ""),
        approver=request.form.get("approver", ""), document=request.form.get("document", ""),
        budget=request.form.get("budget", ""), plan=request.form.get("plan", ""),
        targets={k.removeprefix("target_"): v for k, v in request.form.items() if k.startswith("target_")})
    try:
        adjustments.adjust(session, item, form, current_user)
        session.commit()
    except ValidationFailed as failure:
        session.rollback()
        return render_template("projects/adjustments.html", project=item, form=request.form,
                               error=str(failure), items=adjustments.adjustments_of(session, item),
                               may_adjust=True), 400
    flash("已记录调整；此前日期的监控仍按调整前的版本计算。", "info")
    return redirect(url_for("adjustments.index", project_id=item.id))
