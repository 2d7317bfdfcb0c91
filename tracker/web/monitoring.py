"""双监控 pages: the overview, one project at a date, progress and explanation forms, the
evidence files, the alerts inbox and the administrator's monitoring settings."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.errors import ValidationFailed
from tracker.models import AlertSubscription, Project, Role
from tracker.core.labels import ALERT_KINDS
from tracker.reports import page_tables
from tracker.services import cockpit, corrections, ledger_lock, notifications, progress
from tracker.services.monitoring import alerts as monitoring_alerts
from tracker.services.monitoring import pages as monitoring_pages
from tracker.services.monitoring import settings as monitoring_form
from tracker.services.opening_date import OpeningDate, checkpoint_choices, default_year, opening_date
from tracker.web.access import READERS, roles_required, scope_projects, visible_project
from tracker.web.context import config, db_session
from tracker.web.downloads import MAX_ROWS, wants_xlsx, xlsx
from tracker.web.page_cache import Shown, kept, kept_or_latest

blueprint = Blueprint("monitoring", __name__)

REPORTERS = (Role.unit_staff,)  # and admin
REFREEZERS = (Role.finance,)  # and admin: confirm a re-freeze after a correction
OVERVIEW_PAGE_SIZE = 100  # projects a page of the overview evaluates and shows
PROGRESS_FIELDS = ("indicator_id", "reported_on", "value", "achievement", "completed_on", "note")


def _today() -> date:
    return datetime.now(config().tz).date()


def _as_of(year: int | None, fallback_year: int | None = None) -> date:
    """``?as_of=`` if it is a date (inside ``year`` when given); else the default date (in
    ``year``, else ``fallback_year``, else this year)."""
    default = monitoring_pages.default_as_of(year or fallback_year or _today().year, _today())
    text = request.args.get("as_of", "").strip()
    if not text:
        return default
    try:
        chosen = date.fromisoformat(text)
    except ValueError:
        flash(f"日期“{text}”无效，已改为 {default.isoformat()}。", "error")
        return default
    if year is not None and chosen.year != year:
        flash(f"判断日期应在项目年度（{year}年）内，已改为 {default.isoformat()}。", "error")
        return default
    return chosen


def _overview_date(session: Session) -> tuple[date, OpeningDate | None, tuple[int, ...]]:
    """The overview's date: the one asked, else the opening date (``opening_date``) of the
    year asked or the latest year with projects the user sees; with the years that have
    projects."""
    offered = kept(session, ("cockpit-choices", cockpit.scope(current_user)),
                   lambda: cockpit.choices(session, current_user))
    asked = request.args.get("year", type=int)
    year = asked if asked in offered.years else default_year(offered.years, _today())
    if request.args.get("as_of", "").strip() or year is None:
        return _as_of(None, year), None, offered.years
    opening = opening_date(session, year, [uid for uid, _ in offered.units[year]], _today())
    return opening.as_of, opening, offered.years


@blueprint.route("/monitoring")
@roles_required(*READERS)
def overview():  # type: ignore[no-untyped-def]
    session = db_session()
    as_of, opening, years = _overview_date(session)
    ids = None if current_user.sees_everything else list(session.scalars(
        scope_projects(select(Project.id).where(Project.year == as_of.year), current_user)))
    status = request.args.get("status", "")
    if wants_xlsx():
        rows = monitoring_pages.overview(session, as_of, ids)
        return xlsx(page_tables.monitoring_overview(
            [r for r in rows if not status or r[1].overall == status], as_of))
    # The order and counts of every visible project are kept (per data version; for the
    # whole province shown as last built while rebuilt, see ``kept_or_latest``); a page
    # evaluates its own 100 projects, so its figures are always current.
    key = ("monitoring-order", as_of, cockpit.scope(current_user))
    if ids is None:
        shown_order = kept_or_latest(session, key, lambda s: monitoring_pages.overview_order(s, as_of, None),
                                     task=("monitoring-order", (as_of,)))
    else:
        shown_order = Shown(kept(session, key, lambda: monitoring_pages.overview_order(session, as_of, ids)))
    order, built_at = shown_order.value or [], shown_order.built_at
    shown = [pid for pid, colour in order if not status or colour == status]
    last = max(1, -(-len(shown) // OVERVIEW_PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int), 1), last)  # past the end: the last page
    start = (page - 1) * OVERVIEW_PAGE_SIZE
    rows = monitoring_pages.overview_page(session, as_of, shown[start:start + OVERVIEW_PAGE_SIZE])
    return render_template("monitoring/overview.html", rows=rows, total=len(shown), page=page,
                           page_size=OVERVIEW_PAGE_SIZE,
                           counts=monitoring_pages.colour_counts(colour for _pid, colour in order),
                           built_at=None if built_at is None else built_at.astimezone(config().tz).strftime("%H:%M"),
                           pending=shown_order.pending, as_of=as_of, status=status, opening=opening, years=years,
                           checkpoints=checkpoint_choices(as_of.year))


@blueprint.route("/projects/<int:project_id>/monitoring")
@roles_required(*READERS)
def project(project_id: int):  # type: ignore[no-untyped-def]
    item, session = visible_project(project_id), db_session()
    asked = bool(request.args.get("as_of", "").strip())
    as_of = _as_of(item.year) if asked else opening_date(session, item.year, [item.unit_id], _today()).as_of
    view = monitoring_pages.project_monitoring(session, item, as_of)
    if wants_xlsx():
        return xlsx(page_tables.project_monitoring(view, config().tz))
    return render_template("monitoring/project.html", m=view, today=_today(),
                           may_report=current_user.role in (Role.admin, *REPORTERS),
                           may_refreeze=current_user.role in (Role.admin, *REFREEZERS),
                           may_upload=current_user.role in (Role.admin, Role.unit_staff, Role.finance))


@blueprint.route("/projects/<int:project_id>/monitoring/refreeze", methods=["POST"])
@roles_required(*REFREEZERS)
def refreeze(project_id: int):  # type: ignore[no-untyped-def]
    item, session = visible_project(project_id), db_session()
    text = request.form.get("as_of", "").strip()
    try:
        chosen = date.fromisoformat(text) if text else None
    except ValueError:
        flash(f"检查点日期“{text}”无效，未重新冻结。", "error")
        return redirect(url_for("monitoring.project", project_id=item.id))
    def write() -> corrections.RefreezeResult:
        done = corrections.refreeze(session, [item.id], current_user, _today(), chosen)
        session.commit()
        return done

    try:
        flash(ledger_lock.retrying(write, rollback=session.rollback).text, "info")
    except ValidationFailed as failure:
        session.rollback()
        flash(str(failure), "error")
    return redirect(url_for("monitoring.project", project_id=item.id, as_of=text or None))


@blueprint.route("/projects/<int:project_id>/progress", methods=["GET", "POST"])
@roles_required(*REPORTERS)
def progress_form(project_id: int):  # type: ignore[no-untyped-def]
    """Each indicator's card; a save returns to the same card (``#indicator-<id>``), or, asked
    by ``progress.js`` (``X-Requested-With: fetch``), answers with that card alone."""
    item, session, errors, saved = visible_project(project_id), db_session(), {}, None
    if request.method == "POST":
        form = progress.ProgressForm(**{k: request.form.get(k, "") for k in PROGRESS_FIELDS})
        upload = request.files.get("evidence")
        evidence = progress.Evidence(upload.filename, upload.read()) if upload and upload.filename else None
        try:
            report = progress.record_progress(session, item, form, _today(), current_user, evidence,
                                              config().instance_path)
            session.commit()
            saved = report.indicator_id
            if not _inline():
                return redirect(url_for("monitoring.progress_form", project_id=item.id, saved=saved,
                                        _anchor=f"indicator-{saved}"))
        except ValidationFailed as failure:
            session.rollback()
            errors = getattr(failure, "fields", None) or {"": str(failure)}
    return _progress_page(item, errors, saved or request.args.get("saved", type=int))


def _inline() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _progress_page(item: Project, errors: dict[str, str], saved: int | None):  # type: ignore[no-untyped-def]
    session, today = db_session(), _today()
    opening = opening_date(session, item.year, [item.unit_id], today)
    view = monitoring_pages.project_monitoring(session, item, opening.as_of)
    posted = request.form if errors else {}
    values = dict(m=view, form=posted, errors={k: v for k, v in errors.items() if k}, saved=saved,
                  error=errors.get(""), reported_on=opening.as_of, reported_on_basis=opening.reason,
                  latest=monitoring_pages.default_as_of(item.year, today))
    status = 400 if errors else 200
    if _inline() and request.method == "POST":
        wanted = request.form.get("indicator_id", "")
        for indicator, state in view.indicators:
            if str(indicator.id) == wanted:
                return render_template("monitoring/_progress_card.html", i=indicator, ie=state,
                                       **{**values, "saved": saved == indicator.id}), status
    return render_template("monitoring/progress.html", **values), status


@blueprint.route("/projects/<int:project_id>/explanation", methods=["GET", "POST"])
@roles_required(*REPORTERS)
def explanation(project_id: int):  # type: ignore[no-untyped-def]
    item, session, errors = visible_project(project_id), db_session(), {}
    if request.method == "POST":
        form = progress.ExplanationForm(
            as_of=request.form.get("as_of", ""), causes=tuple(request.form.getlist("causes")),
            likelihood=request.form.get("likelihood", ""), reason=request.form.get("reason", ""),
            corrective_actions=request.form.get("corrective_actions", ""),
            forecasts={k.removeprefix("forecast_"): v for k, v in request.form.items()
                       if k.startswith("forecast_")})
        try:
            progress.record_explanation(session, item, form, current_user)
            session.commit()
            flash("已保存偏差说明。", "info")
            return redirect(url_for("monitoring.project", project_id=item.id, as_of=form.as_of))
        except ValidationFailed as failure:
            session.rollback()
            errors = getattr(failure, "fields", None) or {"": str(failure)}
    as_of = progress.explanation_date(session, item, request.values.get("as_of", ""), _today())
    view = monitoring_pages.project_monitoring(session, item, as_of)
    return render_template("monitoring/explanation.html", m=view, errors=errors, form=request.form), (400 if errors else 200)


@blueprint.route("/projects/<int:project_id>/evidence")
@roles_required(*READERS)
def evidence(project_id: int):  # type: ignore[no-untyped-def]
    item, session = visible_project(project_id), db_session()
    report_id = request.args.get("report", type=int)
    if report_id is None:
        return render_template("monitoring/evidence.html", project=item,
                               reports=progress.evidence_reports(session, item))
    report = progress.report_with_evidence(session, item, report_id)
    path = progress.evidence_path(config().instance_path, report.evidence_sha256 or "")
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype="application/octet-stream", as_attachment=True,
                     download_name=report.evidence_name or "evidence")


@blueprint.route("/alerts")
@roles_required(*READERS)
def alerts():  # type: ignore[no-untyped-def]
    session = db_session()
    unread = request.args.get("unread") == "1"
    if wants_xlsx():
        return xlsx(page_tables.alerts(
            monitoring_alerts.alerts_for(session, current_user, unread_only=unread, limit=MAX_ROWS),
            ALERT_KINDS, config().tz))
    items = monitoring_alerts.alerts_for(session, current_user, unread_only=unread)
    subscription = session.get(AlertSubscription, current_user.id)
    return render_template("monitoring/alerts.html", items=items, unread=unread,
                           subscription=subscription,
                           mail_on=bool(config().smtp_host))


@blueprint.route("/alerts/read", methods=["POST"])
@roles_required(*READERS)
def alerts_read():  # type: ignore[no-untyped-def]
    ids = None if request.form.get("all") else [
        int(v) for v in request.form.getlist("alert_id") if v.isdigit()]
    session = db_session()
    count = monitoring_alerts.mark_read(session, current_user, ids)
    session.commit()
    flash(f"已将 {count} 条提醒标为已读。", "info")
    return redirect(url_for("monitoring.alerts"))


@blueprint.route("/alerts/email", methods=["POST"])
@roles_required(*READERS)
def alert_email():  # type: ignore[no-untyped-def]
    session = db_session()
    try:
        saved = notifications.subscribe(session, current_user, request.form.get("email", ""))
        session.commit()
        flash(f"提醒邮件将发送到 {saved.email}。" if saved else "已停止发送提醒邮件。", "info")
    except ValidationFailed as failure:
        session.rollback()
        flash(str(failure), "error")
    return redirect(url_for("monitoring.alerts"))


@blueprint.route("/admin/monitoring-settings", methods=["GET", "POST"])
@roles_required(Role.admin)
def settings():  # type: ignore[no-untyped-def]
    session, error = db_session(), None
    if request.method == "POST":
        try:
            monitoring_form.update_settings(session, request.form, current_user)
            session.commit()
            flash("监控设置已保存；已冻结的检查点评价不受影响。", "info")
            return redirect(url_for("monitoring.settings"))
        except ValidationFailed as failure:
            session.rollback()
            error = str(failure)
    values = request.form if error else monitoring_form.settings_form_values(session)
    return render_template("monitoring/settings.html", values=values, error=error), (400 if error else 200)
