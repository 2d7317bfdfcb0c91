"""Ledger imports in the browser: upload → preview (editable mapping) → confirm; batches with
undo; the unmatched queue with assign / make-rule; mapping profiles; reconciliation of a
unit's sources (对账) with the choice of the source that counts.

The mapping form (templates/ledger/_mapping.html) appears wherever a message asks for it: on the
import page when the layout was not recognised, and in the preview.  It names each canonical
field in Chinese (``FIELDS``) with a drop-down of the file's own headers, and answers the
preview's questions (unknown 支付状态, the project of a sheet without one); all of it goes into
the preview's plan and, when named, into a mapping profile."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tracker.core.labels import second_source_kept
from tracker.errors import ChoiceNeeded, ImportRejected, UnrecognisedLayout, ValidationFailed
from tracker.importers.ledger.header import FIELDS
from tracker.models import LedgerBatch, MappingProfile, Project, Role, Unit
from tracker.reports import page_tables
from tracker.services import counting_source, ledger_import, ledger_lock, ledger_queue, reconcile, uploads
from tracker.services.settings import ledger_settings, update_reconcile_threshold
from tracker.web.access import roles_required
from tracker.web.context import config, db_session, reads_only
from tracker.web.downloads import wants_xlsx, xlsx

blueprint = Blueprint("ledger", __name__, url_prefix="/ledger")

FINANCE = (Role.admin, Role.finance)
READERS = (Role.admin, Role.finance, Role.leader, Role.auditor)
BATCHES_PAGE_SIZE = 100  # batches a page of /ledger/batches shows
STATUS_ANSWERS = {"counts": True, "not_counted": False}  # the form's values → counts


def _form_options() -> dict[str, str | None]:
    return {key: (request.form.get(key) or "").strip() or None
            for key in ("unit", "source", "profile", "period")}


def _mapping() -> dict[str, str] | None:
    mapping = {f: request.form[f"map_{f}"].strip() for f in FIELDS
               if (request.form.get(f"map_{f}") or "").strip()}
    return mapping or None


def _answers() -> tuple[dict[str, bool], dict[str, int]]:
    """The mapping form's answers: 支付状态 text → counts (``status_text_N`` / ``status_answer_N``)
    and sheet → project id (``sheet_name_N`` / ``sheet_project_N``); unanswered ones left out."""
    statuses: dict[str, bool] = {}
    sheets: dict[str, int] = {}
    for key, text in request.form.items():
        if key.startswith("status_text_"):
            answer = request.form.get("status_answer_" + key.removeprefix("status_text_"), "")
            if answer in STATUS_ANSWERS:
                statuses[text] = STATUS_ANSWERS[answer]
        elif key.startswith("sheet_name_"):
            chosen = request.form.get("sheet_project_" + key.removeprefix("sheet_name_"), "")
            if chosen.isdigit():
                sheets[text] = int(chosen)
    return statuses, sheets


def _page_context() -> dict[str, object]:
    session = db_session()
    return {"units": session.scalars(select(Unit).order_by(Unit.code, Unit.name)).all(),
            "profiles": session.scalars(select(MappingProfile).order_by(MappingProfile.name)).all()}


@blueprint.route("/import")
@roles_required(*FINANCE)
def import_form():  # type: ignore[no-untyped-def]
    return render_template("ledger/import.html", **_page_context())


@blueprint.route("/upload", methods=["POST"])
@reads_only
@roles_required(*FINANCE)
def upload():  # type: ignore[no-untyped-def]
    """The file alone, sent by the import page's script so that it can show the bytes sent;
    answers the token the preview then reads the stored file by, and for a text export its
    number of lines (nothing is parsed here)."""
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        return jsonify(error="请选择要导入的文件。"), 400
    data = sent.read()
    token = uploads.save(config().instance_path, [(sent.filename, data)])
    # a text export's lines, counted (not read): what the page says the server is reading
    lines = data.count(b"\n") if sent.filename.lower().endswith((".csv", ".txt")) else None
    return jsonify(token=token, lines=lines)


@blueprint.route("/preview", methods=["POST"])
@reads_only
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
    statuses, sheets = _answers()
    try:
        result = ledger_import.prepare(db_session(), ledger_import.LedgerUpload(name, data),
                                       mapping=_mapping(), statuses=statuses, sheet_projects=sheets,
                                       limits=config().file_limits, **_form_options())
    except (ImportRejected, ValidationFailed) as error:
        choices = error.choices if isinstance(error, UnrecognisedLayout) else ()
        if isinstance(error, ImportRejected) and not isinstance(error, ChoiceNeeded) and not choices:
            uploads.discard(config().instance_path, token)  # a refused file goes at once
            token = ""
        return render_template("ledger/import.html", error=str(error), token=token, file_name=name,
                               options=_form_options(), choices=choices, mapping=_mapping() or {},
                               fields=FIELDS, **_page_context()), 422
    options = _form_options()
    return _preview_page(result, token, options["profile"], options["period"])


def _preview_page(preview: ledger_import.LedgerPreview, token: str, profile: str | None,
                  period: str | None, status: int = 200, parse: str | None = None):  # type: ignore[no-untyped-def]
    """The preview, with the plan its confirm form carries (what this preview decided) and
    its parse kept beside the upload (``parse``: the id it is kept under already)."""
    if parse is None:
        parse = uploads.save_result(config().instance_path, token, preview.upload.checksum,
                                    ledger_import.parse_to_keep(preview.parse), secret=config().secret_key,
                                    schema=ledger_import.PARSE_SCHEMA)
    plan = uploads.save_plan(config().instance_path, token,
                             ledger_import.preview_plan(preview, profile=profile, period=period, parse=parse))
    options = {"unit": str(preview.unit.id), "source": preview.source, "profile": profile, "period": period}
    return render_template("ledger/preview.html", preview=preview, token=token, plan=plan,
                           options=options, fields=FIELDS), status


@blueprint.route("/confirm", methods=["POST"])
@roles_required(*FINANCE)
def confirm():  # type: ignore[no-untyped-def]
    """Import exactly what the preview showed: its plan (unit, source, period, answers) is
    matched again, against the database as it is now, on the parse the preview kept (the file
    is not read again); the write waits for any other import of the unit."""
    token = request.form.get("token", "")
    name, data = uploads.load(config().instance_path, token)[0]
    plan = uploads.load_plan(config().instance_path, token, request.form.get("plan", ""))
    kept = str(plan.get("parse") or "")
    parse = uploads.load_result(config().instance_path, token, kept, str(plan.get("checksum")),
                                secret=config().secret_key, schema=ledger_import.PARSE_SCHEMA)
    session = db_session()
    preview, changed = ledger_import.prepare_as_previewed(session, ledger_import.LedgerUpload(name, data),
                                                          parse, plan)
    if changed and preview.duplicate_of is None:  # (a duplicate is answered by commit: 已导入过)
        flash("预览之后数据已有变化（如另一导入、匹配规则或项目），以下为按当前数据重新生成的预览，"
              "尚未导入，请核对后再确认。", "error")
        return _preview_page(preview, token, plan.get("profile"), plan.get("period"), 409, kept)

    def write() -> ledger_import.LedgerResult:
        result = ledger_import.commit(session, preview, current_user, request.form.get("override_reason"),
                                      today=_today())
        if not result.imported:
            session.rollback()
            return result
        if (request.form.get("profile_name") or "").strip():
            ledger_queue.save_profile(session, request.form["profile_name"], dict(preview.parse.mapping),
                                      preview.source, current_user, status_answers=preview.status_answers,
                                      sheet_projects=preview.sheet_projects)
        session.commit()
        return result

    result = ledger_lock.retrying(write, rollback=session.rollback)
    waited = _waited(result.waited)
    if not result.imported:
        flash(f"未导入：{result.reason}{waited}", "error")
        return _preview_page(preview, token, plan.get("profile"), plan.get("period"), 422, kept)
    uploads.discard(config().instance_path, token)
    if preview.counts_now:
        counted = (f"计入支出 {preview.counted_rows:,} 行 {preview.counted_total:,.2f} 元，"
                   f"待匹配 {preview.unmatched_rows:,} 行")
    else:
        kept, matched = preview.kept_for_reconciliation
        counted = second_source_kept(preview.counting_source, kept, matched, "，可在“台账对账”页核对")
    differences = f"对账差异 {result.differences:,} 项，已发预警。" if result.differences else ""
    flash(f"已导入批次 {result.batch.id}：{counted}，替换旧行 {result.batch.replaced_rows:,} 行。{differences}"
          f"{result.changes.text if result.changes else ''}{waited}", "info")
    return redirect(url_for("ledger.batches"))


def _waited(seconds: float) -> str:
    """The page's word for a wait on another import of the unit (the CLI says it while waiting)."""
    if seconds < ledger_lock.WAIT_NOTICE_SECONDS:
        return ""
    return f"（曾等待另一导入完成 {seconds:.0f} 秒）"


@blueprint.route("/batches")
@roles_required(*READERS)
def batches():  # type: ignore[no-untyped-def]
    """Newest first, ``BATCHES_PAGE_SIZE`` a page (a province imports 200 units × 12 months a
    year); the export holds every batch."""
    session = db_session()
    newest = select(LedgerBatch).order_by(LedgerBatch.id.desc())
    if wants_xlsx():
        return xlsx(page_tables.batches(session.scalars(newest).all(), config().tz))
    total = session.scalar(select(func.count(LedgerBatch.id))) or 0
    last = max(1, -(-total // BATCHES_PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int), 1), last)  # past the end: the last page
    rows = session.scalars(newest.options(selectinload(LedgerBatch.unit))
                           .offset((page - 1) * BATCHES_PAGE_SIZE).limit(BATCHES_PAGE_SIZE)).all()
    return render_template("ledger/batches.html", batches=rows, page=page, page_size=BATCHES_PAGE_SIZE,
                           total=total)


@blueprint.route("/batches/<int:batch_id>/undo", methods=["POST"])
@roles_required(*FINANCE)
def undo(batch_id: int):  # type: ignore[no-untyped-def]
    session = db_session()

    def write() -> tuple[LedgerBatch, object, float]:
        done = ledger_import.undo(session, batch_id, current_user, today=_today())
        session.commit()
        return done

    try:
        batch, changes, waited = ledger_lock.retrying(write, rollback=session.rollback)
    except ValidationFailed as error:
        session.rollback()
        flash(str(error), "error")
        return redirect(url_for("ledger.batches"))
    flash(f"已撤销批次 {batch.id}，被它替换、且没有其他有效批次替换的旧行已恢复。"
          f"{changes.text if changes else ''}{_waited(waited)}", "info")
    return redirect(url_for("ledger.batches"))


@blueprint.route("/unmatched")
@roles_required(*FINANCE)
def unmatched():  # type: ignore[no-untyped-def]
    session = db_session()
    if wants_xlsx():
        return xlsx(page_tables.unmatched(session.scalars(ledger_queue.unmatched_query())))
    queue = ledger_queue.grouped(session, request.args.get("page", 1, type=int) or 1)
    samples = [ledger_queue.sample_rows(session, g) for g in queue.groups]
    return render_template("ledger/unmatched.html", queue=queue, samples=samples,
                           per_page=ledger_queue.GROUPS_PER_PAGE)


@blueprint.route("/unmatched/assign", methods=["POST"])
@roles_required(*FINANCE)
def assign():  # type: ignore[no-untyped-def]
    """One group (scope=group: every row of it as it stands now) or the ticked rows."""
    session = db_session()
    form = request.form
    back = redirect(url_for("ledger.unmatched", page=form.get("page", 1, type=int)))
    try:
        project_id = int(form.get("project_id", ""))
    except ValueError:
        flash("未分配：请选择项目。", "error")
        return back
    row_ids = [int(v) for v in form.getlist("row_id") if v.isdigit()]
    try:
        rule_from, rule_to = _date(form.get("rule_from")), _date(form.get("rule_to"))
    except ValueError:
        flash("未分配：规则有效期应为 YYYY-MM-DD 格式的日期。", "error")
        return back

    def write() -> tuple[int, object, int]:
        if form.get("scope") == "group":
            done = ledger_queue.assign_group(
                session, form.get("unit_id", 0, type=int), form.get("kind", ""), form.get("text", ""),
                project_id, current_user, save_rule=form.get("save_rule") == "1",
                rule_keyword=form.get("rule_keyword") or None)
        else:
            count, rule = ledger_queue.assign(
                session, row_ids, project_id, current_user,
                rule_account_prefix=form.get("rule_account") or None,
                rule_keyword=form.get("rule_keyword") or None,
                rule_from=rule_from, rule_to=rule_to)
            done = (count, rule, 0)
        session.commit()
        return done

    try:
        count, rule, elsewhere = ledger_lock.retrying(write, rollback=session.rollback)
    except ValidationFailed as error:
        session.rollback()
        flash(f"未分配：{error}", "error")
        return back
    flash(f"已分配 {count:,} 行" + (f"（其中 {elsewhere:,} 行在其他组，也符合新规则）" if elsewhere else "")
          + ("，并保存为规则。" if rule else "。"), "info")
    return back


@blueprint.route("/reconcile")
@roles_required(*READERS)
def reconciliation():  # type: ignore[no-untyped-def]
    """Per unit with several sources: each project's 账面数, 国库已支付数 and difference,
    flagged first; the source that counts, and (finance) the form to choose another."""
    session = db_session()
    unit_id, asked, error = _reconcile_args()
    as_of, basis = reconcile.page_date(session, asked, unit_id)
    lines = reconcile.reconcile(session, as_of, unit_id) if as_of else []
    if wants_xlsx() and as_of:
        return xlsx(page_tables.reconciliation(lines, as_of))
    units = reconcile.reconciled_units(session, unit_id)
    return render_template("ledger/reconcile.html", lines=lines, as_of=as_of, basis=basis, error=error,
                           units=units, unit_id=unit_id,
                           sources={u.id: counting_source.unit_sources(session, u.id) for u in units},
                           threshold=ledger_settings(session).reconcile_threshold,
                           all_units=session.scalars(select(Unit).order_by(Unit.code, Unit.name)).all())


def _reconcile_args() -> tuple[int | None, date | None, str | None]:
    """The page's unit and date; a date that does not parse is named, and the default shown."""
    unit = (request.args.get("unit") or "").strip()
    text = (request.args.get("as_of") or "").strip()
    try:
        asked = date.fromisoformat(text) if text else None
    except ValueError:
        return (int(unit) if unit.isdigit() else None), None, f"日期“{text}”无法识别，应为 YYYY-MM-DD；已显示默认日期"
    return (int(unit) if unit.isdigit() else None), asked, None


@blueprint.route("/reconcile/rows")
@roles_required(*READERS)
def reconciliation_rows():  # type: ignore[no-untyped-def]
    """The drill-down of one line: its months and the rows of both sources behind it."""
    session = db_session()
    unit_id, as_of, _error = _reconcile_args()
    project = (request.args.get("project") or "").strip()
    project_id = int(project) if project.isdigit() else None
    if project_id is not None:  # a project's line: its unit (the unit alone: its unmatched rows)
        unit_id = session.scalar(select(Project.unit_id).where(Project.id == project_id))
    if unit_id is None or as_of is None:
        flash("请从对账页的“明细”链接进入。", "error")
        return redirect(url_for("ledger.reconciliation"))
    line = next((i for i in reconcile.reconcile(session, as_of, unit_id) if i.project_id == project_id), None)
    if line is None:
        flash("该单位在所选日期没有这个项目的对账数据。", "error")
        return redirect(url_for("ledger.reconciliation", unit=unit_id, as_of=as_of.isoformat()))
    start = date(as_of.year, 1, 1)
    rows = reconcile.rows_behind(session, unit_id, project_id, start, as_of)
    if wants_xlsx():
        return xlsx(page_tables.reconciliation_rows(line, rows, start, as_of))
    return render_template("ledger/reconcile_rows.html", line=line, rows=rows, start=start, as_of=as_of,
                           threshold=ledger_settings(session).reconcile_threshold)


@blueprint.route("/reconcile/counting-source", methods=["POST"])
@roles_required(*FINANCE)
def choose_counting_source():  # type: ignore[no-untyped-def]
    session = db_session()
    unit_text = (request.form.get("unit_id") or "").strip()
    unit_id = int(unit_text) if unit_text.isdigit() else 0  # no such unit: 不存在
    back = url_for("ledger.reconciliation", unit=request.form.get("back_unit") or None,
                   as_of=request.form.get("as_of") or None)

    def write() -> counting_source.SourceChoice:
        done = counting_source.choose(session, unit_id, request.form.get("source", ""), current_user,
                                      today=_today())
        session.commit()
        return done

    try:
        choice = ledger_lock.retrying(write, rollback=session.rollback)
    except ValidationFailed as error:
        session.rollback()
        flash(f"未改动：{error}", "error")
        return redirect(back)
    flash(choice.text + (choice.changes.text if choice.changes else ""), "info")
    return redirect(back)


@blueprint.route("/reconcile/threshold", methods=["POST"])
@roles_required(Role.admin)
def reconcile_threshold():  # type: ignore[no-untyped-def]
    """The admin sets the 对账差异阈值 (元) the page highlights and alerts by."""
    session = db_session()
    try:
        saved = update_reconcile_threshold(session, request.form.get("reconcile_threshold", ""), current_user)
        session.commit()
    except ValidationFailed as error:
        session.rollback()
        flash(f"未保存：{error}", "error")
    else:
        flash(f"对账差异阈值已设为 {saved.reconcile_threshold} 元。", "info")
    return redirect(url_for("ledger.reconciliation"))


def _today() -> date:
    return datetime.now(config().tz).date()


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
