"""Recording who did what, and reading it back (the audit page, a project's trail)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from tracker.models import AuditEntry, User


def record(
    session: Session,
    actor: User | str,
    action: str,
    entity: str,
    entity_id: int | None = None,
    **details: Any,
) -> AuditEntry:
    """Add one audit entry; it is written with the caller's next flush and lands or not with
    the caller's transaction."""
    entry = AuditEntry(
        user_id=actor.id if isinstance(actor, User) else None,
        actor=actor.username if isinstance(actor, User) else actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        details=details,
    )
    session.add(entry)
    return entry


# --- reading the log ------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page filters by; empty means "any".  Dates are local (Asia/Shanghai)
    calendar days, both ends inclusive."""

    actor: str = ""
    action: str = ""
    entity: str = ""
    date_from: date | None = None
    date_to: date | None = None


def entries_query(wanted: AuditFilter, tz: tzinfo) -> Select[tuple[AuditEntry]]:
    """Entries matching ``wanted``, newest first (the actor by substring, the rest exactly)."""
    query = select(AuditEntry)
    if wanted.actor:
        query = query.where(AuditEntry.actor.contains(wanted.actor, autoescape=True))
    if wanted.action:
        query = query.where(AuditEntry.action == wanted.action)
    if wanted.entity:
        query = query.where(AuditEntry.entity == wanted.entity)
    if wanted.date_from is not None:
        query = query.where(AuditEntry.at >= datetime.combine(wanted.date_from, time.min, tz))
    if wanted.date_to is not None:
        end = datetime.combine(wanted.date_to + timedelta(days=1), time.min, tz)
        query = query.where(AuditEntry.at < end)
    return query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())


def entries_page(session: Session, wanted: AuditFilter, tz: tzinfo, page: int, size: int
                 ) -> tuple[list[AuditEntry], int]:
    """One page of matching entries and how many match in all."""
    query = entries_query(wanted, tz)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    entries = session.scalars(query.limit(size).offset((max(page, 1) - 1) * size)).all()
    return list(entries), total


def filter_choices(session: Session) -> tuple[list[str], list[str]]:
    """The actions and the entities that occur in the log, for the filter menus."""
    actions = session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    entities = session.scalars(select(AuditEntry.entity).distinct().order_by(AuditEntry.entity))
    return list(actions), list(entities)


def project_trail_query(project_id: int) -> Select[tuple[AuditEntry]]:
    """Entries about one project: the project itself (entity ``project``) and everything whose
    details name it (``project_id``: progress reports, assigned ledger rows, evaluations…),
    newest first."""
    return select(AuditEntry).where(or_(
        and_(AuditEntry.entity == "project", AuditEntry.entity_id == project_id),
        AuditEntry.details["project_id"].as_integer() == project_id,
    )).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
