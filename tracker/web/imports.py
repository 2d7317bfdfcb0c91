"""Importing 绩效目标 documents in the browser: upload → preview → confirm → result."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from tracker.errors import ImportRejected
from tracker.models import Role, TargetImport
from tracker.reports import page_tables
from tracker.services import uploads
from tracker.services.target_import import (DOCUMENTS_SCHEMA, UploadedFile, apply_import, plan_documents,
                                            plan_import)
from tracker.web.access import roles_required
from tracker.web.context import config, db_session, reads_only
from tracker.web.downloads import wants_xlsx, xlsx

blueprint = Blueprint("imports", __name__, url_prefix="/imports")

IMPORTERS = (Role.admin, Role.finance)


def _year() -> int | None:
    value = (request.form.get("year") or "").strip()
    return int(value) if value.isdigit() else None


@blueprint.route("/targets")
@roles_required(*IMPORTERS)
def targets():  # type: ignore[no-untyped-def]
    query = select(TargetImport).order_by(TargetImport.id.desc())
    if wants_xlsx():
        return xlsx(page_tables.target_imports(db_session().scalars(query), config().tz))
    history = db_session().scalars(query.limit(50)).all()
    return render_template("imports/targets.html", history=history)


@blueprint.route("/targets/preview", methods=["POST"])
@reads_only
@roles_required(*IMPORTERS)
def targets_preview():  # type: ignore[no-untyped-def]
    """Read and plan the files; the bytes and the documents read are kept for the confirmation."""
    files = [UploadedFile(f.filename or "未命名文件", f.read())
             for f in request.files.getlist("files") if f.filename]
    if not files:
        flash("请选择要导入的文件。", "error")
        return redirect(url_for("imports.targets"))
    try:
        plan = plan_import(db_session(), files, _year(), limits=config().file_limits)
    except ImportRejected as error:  # refused before anything was stored under uploads/
        return render_template("imports/targets.html", history=[], error=str(error)), 422
    token = uploads.save(config().instance_path, [(f.name, f.data) for f in files])
    checksum = uploads.checksum_of(files)  # one preview per upload: kept under its checksum
    uploads.save_result(config().instance_path, token, checksum,
                        {"year": _year(), "documents": [d.document for d in plan.documents]},
                        secret=config().secret_key, schema=DOCUMENTS_SCHEMA, result_id=checksum[:16])
    return render_template("imports/targets_preview.html", plan=plan, token=token, year=_year())


@blueprint.route("/targets/confirm", methods=["POST"])
@roles_required(*IMPORTERS)
def targets_confirm():  # type: ignore[no-untyped-def]
    """Plan again, against the database as it is now, the documents the preview read (the
    files are not read again), and apply."""
    token = request.form.get("token", "")
    files = [UploadedFile(name, data) for name, data in uploads.load(config().instance_path, token)]
    checksum = uploads.checksum_of(files)
    read = uploads.load_result(config().instance_path, token, checksum[:16], checksum,
                               secret=config().secret_key, schema=DOCUMENTS_SCHEMA)
    session = db_session()
    plan = plan_documents(session, files, read["documents"], read["year"])
    apply_import(session, plan, current_user)
    session.commit()
    uploads.discard(config().instance_path, token)
    flash(f"导入完成：新建 {plan.count('created')} 个、更新 {plan.count('updated')} 个、"
          f"未变 {plan.count('unchanged')} 个项目。", "info")
    return redirect(url_for("imports.targets"))
