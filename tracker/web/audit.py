"""The audit log (auditors and administrators) and a project's audit trail (whoever may see
the project, unit staff included for their own units' projects)."""

from __future__ import annotations

from datetime import date
from functools import partial

from flask import Blueprint, flash, render_template, request
from flask_login import current_user

from tracker.core.labels import ACTOR_LABELS
from tracker.models import Role
from tracker.models.audit import (
    ACTION_LABELS,
    ENTITY_LABELS,
    FIELD_LABELS,
    audit_label,
    detail_label,
    detail_lines,
)
from tracker.reports import page_tables
from tracker.services import audit
from tracker.web.access import READERS, roles_required, visible_project
from tracker.web.context import config, db_session
from tracker.web.downloads import MAX_ROWS, wants_xlsx, xlsx

blueprint = Blueprint("audit", __name__)

PAGE_SIZE = 50
FILTER_FIELDS = ("actor", "action", "entity", "from", "to")


def _date(name: str, label: str) -> date | None:
    text = request.args.get(name, "").strip()
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        flash(f"{label}“{text}”不是有效日期（YYYY-MM-DD），已忽略。", "error")
        return None


def _filter() -> audit.AuditFilter:
    return audit.AuditFilter(
        actor=request.args.get("actor", "").strip(), action=request.args.get("action", "").strip(),
        entity=request.args.get("entity", "").strip(),
        date_from=_date("from", "起始日期"), date_to=_date("to", "截止日期"))


# The audit vocabulary in templates: ``audit_action`` / ``audit_entity`` / ``audit_actor`` give
# ``新建（create）`` (the code is what the log's filters take), ``audit_word`` an action's word
# alone (a project's 变更记录), ``audit_field`` a changed field's word, ``audit_details`` an
# entry's details as (key, word, text).
for _name, _filter_function in {
    "audit_action": partial(audit_label, labels=ACTION_LABELS),
    "audit_entity": partial(audit_label, labels=ENTITY_LABELS),
    "audit_actor": partial(audit_label, labels=ACTOR_LABELS),
    "audit_word": partial(detail_label, labels=ACTION_LABELS),
    "audit_field": partial(detail_label, labels=FIELD_LABELS),
    "audit_details": detail_lines,
}.items():
    blueprint.add_app_template_filter(_filter_function, _name)


@blueprint.route("/audit")
@roles_required(Role.auditor)
def index():  # type: ignore[no-untyped-def]
    wanted, session, tz = _filter(), db_session(), config().tz
    if wants_xlsx():
        entries = session.scalars(audit.entries_query(wanted, tz).limit(MAX_ROWS))
        return xlsx(page_tables.audit_entries(entries, tz))
    page = max(request.args.get("page", 1, type=int), 1)
    entries, total = audit.entries_page(session, wanted, tz, page, PAGE_SIZE)
    actions, entities = audit.filter_choices(session)
    args = {k: request.args[k] for k in FILTER_FIELDS if request.args.get(k, "").strip()}
    return render_template("audit/index.html", entries=entries, total=total, page=page,
                           page_size=PAGE_SIZE, wanted=wanted, actions=actions,
                           entities=entities, args=args)


@blueprint.route("/projects/<int:project_id>/audit")
@roles_required(*READERS)
def project_trail(project_id: int):  # type: ignore[no-untyped-def]
    project, session, tz = visible_project(project_id), db_session(), config().tz
    entries = session.scalars(audit.project_trail_query(project.id).limit(MAX_ROWS))
    if wants_xlsx():
        return xlsx(page_tables.audit_entries(entries, tz, f"审计记录-{project.name}",
                                              f"audit-project-{project.id}"))
    return render_template("audit/project.html", project=project, entries=list(entries),
                           may_read_log=current_user.role in (Role.admin, Role.auditor))
