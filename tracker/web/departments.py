"""部门整体绩效 pages: the department's own indicators with their findings, progress entry
(unit staff), finance's corrections, the department 自评 (a draft unit staff edit, frozen when
submitted, as for projects) and the 部门整体支出绩效自评表 download (the frozen 自评 once there
is one)."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from tracker.core.achievement import ACHIEVEMENT_LABELS
from tracker.errors import ValidationFailed
from tracker.models import DepartmentYear, Role
from tracker.reports import department_self_eval_workbook
from tracker.services import department, department_evaluation
from tracker.web.evaluations import posted_edit
from tracker.web.access import READERS, roles_required
from tracker.web.context import config, db_session
from tracker.web.downloads import XLSX_MIMETYPE, attachment

blueprint = Blueprint("departments", __name__)

REPORTERS = (Role.unit_staff,)  # and admin, as for project indicators (and the 自评 drafts)
CORRECTORS = (Role.finance,)  # and admin


def _visible(record_id: int) -> DepartmentYear:
    record = db_session().get(DepartmentYear, record_id)
    if record is None or not (current_user.sees_everything or record.unit in current_user.units):
        abort(404)
    return record


def _page(record: DepartmentYear, *, error: str | None = None, form: dict[str, str] | None = None,
          failed: int | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    session = db_session()
    role = current_user.role
    today = datetime.now(config().tz).date()
    as_of = min(today, date(record.year, 12, 31)) if today.year >= record.year else date(record.year, 1, 1)
    watch = department.monitor(session, record, as_of, money_at_ledger_date=True)
    return render_template(
        "departments/detail.html", record=record, rows=department.indicators_of(session, record),
        result=department.self_evaluation(session, record), error=error, form=form or {}, failed=failed,
        may_report=role in (Role.admin, *REPORTERS), may_correct=role in (Role.admin, *CORRECTORS),
        labels=ACHIEVEMENT_LABELS, today=as_of.isoformat(), monitoring=watch,  # a day the year allows
        statuses={row.position: status for row, status in watch.indicators}), status


@blueprint.route("/departments")
@roles_required(*READERS)
def index():  # type: ignore[no-untyped-def]
    records = [r for r in db_session().scalars(select(DepartmentYear).order_by(DepartmentYear.year.desc()))
               if current_user.sees_everything or r.unit in current_user.units]
    return render_template("departments/index.html", records=records)


@blueprint.route("/departments/<int:record_id>")
@roles_required(*READERS)
def detail(record_id: int):  # type: ignore[no-untyped-def]
    return _page(_visible(record_id))


@blueprint.route("/departments/<int:record_id>/indicators/<int:position>/progress", methods=["POST"])
@roles_required(*REPORTERS)
def report(record_id: int, position: int):  # type: ignore[no-untyped-def]
    record, session = _visible(record_id), db_session()
    try:
        row = department.find_indicator(session, record, position)
        text = request.form.get("reported_on", "").strip()
        if not text:
            raise department.DepartmentError("请填写完成值日期（YYYY-MM-DD）")
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise department.DepartmentError(f"完成值日期应为 YYYY-MM-DD，当前为“{text}”") from None
        department.add_progress(session, row, reported_on=day, actor=current_user.username,
                                raw=request.form.get("value", ""), note=request.form.get("note", ""), today=_today())
        session.commit()
    except department.DepartmentError as failure:
        session.rollback()
        return _page(record, error=str(failure), form=dict(request.form), failed=position, status=400)
    flash("已填报完成值。", "info")
    return redirect(url_for("departments.detail", record_id=record.id))


@blueprint.route("/departments/<int:record_id>/indicators/<int:position>/correct", methods=["POST"])
@roles_required(*CORRECTORS)
def correct(record_id: int, position: int):  # type: ignore[no-untyped-def]
    record, session = _visible(record_id), db_session()
    try:
        row = department.find_indicator(session, record, position, empty_goal=True)
        department.correct(session, row, actor=current_user.username, **{
            key: request.form.get(key, "") for key in ("reason", "name", "level1", "level2", "target", "weight")})
        session.commit()
    except department.DepartmentError as failure:
        session.rollback()
        return _page(record, error=str(failure), form=dict(request.form), failed=position, status=400)
    flash("已更正；更正前后的内容已留痕，再次导入目标文件不会覆盖。", "info")
    return redirect(url_for("departments.detail", record_id=record.id))


@blueprint.route("/departments/<int:record_id>/self-eval.xlsx")
@roles_required(*READERS)
def self_eval(record_id: int):  # type: ignore[no-untyped-def]
    record = _visible(record_id)
    data = department_self_eval_workbook.build(department_evaluation.printable(db_session(), record))
    name = f"{record.unit.name}{record.year}年度部门整体支出绩效自评表"
    return attachment(data, f"{name}.xlsx", f"department-self-eval-{record.year}.xlsx", XLSX_MIMETYPE)


def _today() -> date:
    return datetime.now(config().tz).date()


@blueprint.route("/departments/<int:record_id>/evaluation")
@roles_required(*READERS)
def evaluation(record_id: int):  # type: ignore[no-untyped-def]
    record = _visible(record_id)
    page = department_evaluation.evaluation_page(db_session(), record, _today(), request.args.get("number", type=int))
    return render_template("departments/evaluation.html", page=page, may_edit=current_user.role in (Role.admin, *REPORTERS),
                           form={}, errors={}, error=None, freezing=False, saved=request.args.get("saved"))


@blueprint.route("/departments/<int:record_id>/evaluation/new", methods=["POST"])
@roles_required(*REPORTERS)
def create_evaluation(record_id: int):  # type: ignore[no-untyped-def]
    record, session = _visible(record_id), db_session()
    try:
        made = department_evaluation.create_draft(session, record, current_user, _today())
        session.commit()
        flash(f"已创建第{made.number}次部门整体自评草稿，实际完成值取自截至12月31日的最新填报。", "info")
    except ValidationFailed as failure:
        session.rollback()
        flash(str(failure), "error")
    return redirect(url_for("departments.evaluation", record_id=record.id))


@blueprint.route("/departments/<int:record_id>/evaluation/<int:number>", methods=["POST"])
@roles_required(*REPORTERS)
def save_evaluation(record_id: int, number: int):  # type: ignore[no-untyped-def]
    """Save the draft; with ``action=freeze`` then submit it (the edits stay saved when the
    submission is refused)."""
    record, session = _visible(record_id), db_session()
    draft = department_evaluation.evaluation_by_number(session, record, number)
    freezing = request.form.get("action") == "freeze"
    try:
        department_evaluation.update_draft(session, draft, posted_edit(draft), current_user)
        session.commit()
        if freezing:
            department_evaluation.freeze(session, draft, current_user, request.form.get("warnings_reason", ""))
            session.commit()
    except ValidationFailed as failure:
        session.rollback()
        page = department_evaluation.evaluation_page(session, record, _today(), number)
        errors = getattr(failure, "fields", None) or {"": str(failure)}
        return render_template("departments/evaluation.html", page=page, may_edit=True, form=request.form,
                               errors=errors, error=errors.get(""), freezing=freezing, saved=None), 400
    return redirect(url_for("departments.evaluation", record_id=record.id, number=number,
                            saved="frozen" if freezing else "saved", _anchor="evaluation-submit"))


