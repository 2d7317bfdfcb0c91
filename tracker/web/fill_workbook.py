"""填报表 pages (issue #17): download a unit's prefilled workbook, upload it filled, see the
preview (every change, every refusal), confirm.  The upload is kept between preview and
confirm (``services.uploads``), so what is applied is exactly the file previewed."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from tracker.errors import TrackerError
from tracker.models import Role, Unit
from tracker.services import ledger_lock, progress_workbook, uploads
from tracker.services.monitoring.pages import default_as_of
from tracker.web.access import READERS, roles_required, visible_project
from tracker.web.context import config, db_session, reads_only
from tracker.web.downloads import XLSX_MIMETYPE, attachment

blueprint = Blueprint("fill", __name__, url_prefix="/monitoring/fill")

UPLOADERS = (Role.unit_staff, Role.finance)  # and admin
KINDS = {"monitoring": "运行监控（指标完成值与偏差说明）", "self-eval": "年终自评（自评草稿）"}


def _kind() -> str:
    kind = request.args.get("kind", "")
    return kind if kind in KINDS else "monitoring"


def _today() -> date:
    return datetime.now(config().tz).date()


def _units() -> list[Unit]:
    """The units the current user may download (and, with a role that reports, upload) for."""
    if current_user.sees_everything:
        return list(db_session().scalars(select(Unit).order_by(Unit.code, Unit.name)))
    return sorted(current_user.units, key=lambda u: (u.code or "", u.name))


def _as_of() -> date:
    text = request.values.get("as_of", "").strip()
    try:
        return date.fromisoformat(text) if text else default_as_of(_today().year, _today())
    except ValueError:
        return default_as_of(_today().year, _today())


@blueprint.route("")
@roles_required(*READERS)
def index():  # type: ignore[no-untyped-def]
    return render_template("fill/index.html", units=_units(), as_of=_as_of(),
                           unit_id=request.args.get("unit", type=int),
                           project_id=request.args.get("project", type=int), kinds=KINDS, kind=_kind(),
                           may_upload=current_user.role in (Role.admin, *UPLOADERS))


@blueprint.route("/download")
@roles_required(*READERS)
def download():  # type: ignore[no-untyped-def]
    """The workbook of ``?unit=`` (or of ``?project=``'s unit, that project only) at ``?as_of=``."""
    project_id = request.args.get("project", type=int)
    unit_id = request.args.get("unit", type=int)
    if unit_id is None and project_id is not None:
        unit_id = visible_project(project_id).unit_id
    unit = {u.id: u for u in _units()}.get(unit_id or 0)
    as_of = _as_of()
    if unit is None:
        flash("请选择单位。", "error")
        return redirect(url_for("fill.index", as_of=as_of.isoformat()))
    try:
        data = progress_workbook.template(db_session(), unit, as_of, config().secret_key,
                                          kind=_kind(), project_id=project_id)
    except TrackerError as error:
        flash(str(error), "error")
        return redirect(url_for("fill.index", unit=unit.id, as_of=as_of.isoformat()))
    title = "自评填报表" if _kind() == "self-eval" else "填报表"
    return attachment(data, f"{unit.name}_{title}_{as_of.isoformat()}.xlsx",
                      f"fill-{unit.id}-{as_of.isoformat()}.xlsx", XLSX_MIMETYPE)


def _allowed() -> set[int] | None:
    return None if current_user.sees_everything else {u.id for u in current_user.units}


def _run(token: str, apply: bool) -> progress_workbook.WorkbookImport:
    name, data = uploads.load(config().instance_path, token)[0]
    return progress_workbook.import_workbook(
        db_session(), data, filename=name, actor=current_user, today=_today(),
        secret=config().secret_key, apply=apply, allowed_unit_ids=_allowed(),
        limits=config().file_limits)


@blueprint.route("/preview", methods=["POST"])
@reads_only
@roles_required(*UPLOADERS)
def preview():  # type: ignore[no-untyped-def]
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择填好的填报表（.xlsx）。", "error")
        return redirect(url_for("fill.index"))
    token = uploads.save(config().instance_path, [(upload.filename, upload.read())])
    result = _run(token, apply=False)
    db_session().rollback()
    if result.refusals:
        uploads.discard(config().instance_path, token)
        token = ""
    return render_template("fill/preview.html", result=result, token=token,
                           file_name=upload.filename), (422 if result.refusals else 200)


@blueprint.route("/confirm", methods=["POST"])
@roles_required(*UPLOADERS)
def confirm():  # type: ignore[no-untyped-def]
    token = request.form.get("token", "")
    session = db_session()

    def write() -> progress_workbook.WorkbookImport:
        done = _run(token, apply=True)
        if done.applied:
            session.commit()
        else:
            session.rollback()
        return done

    result = ledger_lock.retrying(write, rollback=session.rollback)
    if not result.applied:
        return render_template("fill/preview.html", result=result, token="", file_name=""), 422
    uploads.discard(config().instance_path, token)
    flash(f"已保存填报表：{len(result.changes)} 项改动"
          f"{f'，{result.unchanged} 项与已填报相同' if result.unchanged else ''}。", "info")
    if result.kind == "self-eval":
        return redirect(url_for("evaluations.index", year=result.as_of.year if result.as_of else None))
    return redirect(url_for("monitoring.overview", as_of=result.as_of.isoformat() if result.as_of else None))
