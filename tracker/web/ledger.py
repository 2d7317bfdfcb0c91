"""Ledger imports in the browser: upload → preview (editable mapping) → confirm; batches with
undo; the unmatched queue with assign / make-rule; mapping profiles."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from tracker.errors import ChoiceNeeded, ImportRejected, ValidationFailed
from tracker.models import LedgerBatch, MappingProfile, Project, Role, Unit
from tracker.reports import page_tables
from tracker.services import ledger_import, ledger_queue, uploads
from tracker.web.access import roles_required
from tracker.web.context import config, db_session
from tracker.web.downloads import wants_xlsx, xlsx

blueprint = Blueprint("ledger", __name__, url_prefix="/ledger")

FINANCE = (Role.admin, Role.finance)
READERS = (Role.admin, Role.finance, Role.leader, Role.auditor)
MAPPING_FIELDS = ("date", "voucher", "summary", "account_code", "account_name", "debit", "credit",
                  "direction", "amount", "project", "project_code", "project_name",
                  "document_no", "unit", "status")


def _form_options() -> dict[str, str | None]:
    return {key: (request.form.get(key) or "").strip() or None
            for key in ("unit", "source", "profile", "period")}


def _mapping() -> dict[str, str] | None:
    mapping = {f: request.form[f"map_{f}"].strip() for f in MAPPING_FIELDS
               if (request.form.get(f"map_{f}") or "").strip()}
    return mapping or None


def _page_context() -> dict[str, object]:
    session = db_session()
    return {"units": session.scalars(select(Unit).order_by(Unit.code, Unit.name)).all(),
            "profiles": session.scalars(select(MappingProfile).order_by(MappingProfile.name)).all()}


@blueprint.route("/import")
@roles_required(*FINANCE)
def import_form():  # type: ignore[no-untyped-def]
    return render_template("ledger/import.html", **_page_context())


@blueprint.route("/preview", methods=["POST"])
@roles_required(*FINANCE)
def preview():  # type: ignore[no-untyped-def]
    token = request.form.get("token", "")
    if not token:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            flash("请选择要导入的文件。", "error")
            return redirect(url_for("ledger.import_form"))
        token = uploads.save(config().instance_path, [(upload.filename, upload.read())])
    name, data = uploads.load(config().instance_path, token)[0]
    try:
        result = ledger_import.prepare(db_session(), ledger_import.LedgerUpload(name, data),
                                       mapping=_mapping(), limits=config().file_limits,
                                       **_form_options())
    except (ImportRejected, ValidationFailed) as error:
        if isinstance(error, ImportRejected) and not isinstance(error, ChoiceNeeded):
            uploads.discard(config().instance_path, token)  # a refused file goes at once
            token = ""
        return render_template("ledger/import.html", error=str(error), token=token, file_name=name,
                               options=_form_options(), **_page_context()), 422
    return render_template("ledger/preview.html", preview=result, token=token,
                           options=_form_options(), fields=MAPPING_FIELDS)


@blueprint.route("/confirm", methods=["POST"])
@roles_required(*FINANCE)
def confirm():  # type: ignore[no-untyped-def]
    token = request.form.get("token", "")
    name, data = uploads.load(config().instance_path, token)[0]
    session = db_session()
    preview = ledger_import.prepare(session, ledger_import.LedgerUpload(name, data),
                                    mapping=_mapping(), limits=config().file_limits,
                                    **_form_options())
    if (request.form.get("profile_name") or "").strip():
        ledger_queue.save_profile(session, request.form["profile_name"], dict(preview.parse.mapping),
                                  preview.source, current_user)
    result = ledger_import.commit(session, preview, current_user, request.form.get("override_reason"),
                                  today=_today())
    if not result.imported:
        session.rollback()
        flash(f"未导入：{result.reason}", "error")
        return render_template("ledger/preview.html", preview=preview, token=token,
                               options=_form_options(), fields=MAPPING_FIELDS), 422
    session.commit()
    uploads.discard(config().instance_path, token)
    flash(f"已导入批次 {result.batch.id}：计入支出 {preview.counted_rows} 行，"
          f"待匹配 {preview.unmatched_rows} 行，替换旧行 {result.batch.replaced_rows} 行。"
          f"{result.changes.text if result.changes else ''}", "info")
    return redirect(url_for("ledger.batches"))


@blueprint.route("/batches")
@roles_required(*READERS)
def batches():  # type: ignore[no-untyped-def]
    rows = db_session().scalars(select(LedgerBatch).order_by(LedgerBatch.id.desc())).all()
    if wants_xlsx():
        return xlsx(page_tables.batches(rows, config().tz))
    return render_template("ledger/batches.html", batches=rows)


@blueprint.route("/batches/<int:batch_id>/undo", methods=["POST"])
@roles_required(*FINANCE)
def undo(batch_id: int):  # type: ignore[no-untyped-def]
    session = db_session()
    try:
        batch, changes = ledger_import.undo(session, batch_id, current_user, today=_today())
    except ValidationFailed as error:
        flash(str(error), "error")
        return redirect(url_for("ledger.batches"))
    session.commit()
    flash(f"已撤销批次 {batch.id}，被它替换的旧行已恢复。{changes.text if changes else ''}", "info")
    return redirect(url_for("ledger.batches"))


@blueprint.route("/unmatched")
@roles_required(*FINANCE)
def unmatched():  # type: ignore[no-untyped-def]
    session = db_session()
    if wants_xlsx():
        return xlsx(page_tables.unmatched(session.scalars(ledger_queue.unmatched_query())))
    rows = session.scalars(ledger_queue.unmatched_query().limit(500)).all()
    unit_ids = {r.unit_id for r in rows}
    projects = session.scalars(select(Project).where(Project.unit_id.in_(unit_ids))
                               .order_by(Project.year.desc(), Project.name)).all()
    return render_template("ledger/unmatched.html", rows=rows, projects=projects)


@blueprint.route("/unmatched/assign", methods=["POST"])
@roles_required(*FINANCE)
def assign():  # type: ignore[no-untyped-def]
    session = db_session()
    try:
        row_ids = [int(v) for v in request.form.getlist("row_id")]
        project_id = int(request.form.get("project_id", ""))
        count, rule = ledger_queue.assign(
            session, row_ids, project_id, current_user,
            rule_account_prefix=request.form.get("rule_account") or None,
            rule_keyword=request.form.get("rule_keyword") or None,
            rule_from=_date(request.form.get("rule_from")), rule_to=_date(request.form.get("rule_to")))
    except (ValueError, ValidationFailed) as error:
        flash(f"未分配：{error}" if isinstance(error, ValidationFailed) else "请选择行和项目。", "error")
        return redirect(url_for("ledger.unmatched"))
    session.commit()
    flash(f"已分配 {count} 行" + ("，并保存为规则。" if rule else "。"), "info")
    return redirect(url_for("ledger.unmatched"))


def _today() -> date:
    return datetime.now(config().tz).date()


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
