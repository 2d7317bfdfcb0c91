"""Recording who did what."""

from __future__ import annotations

from typing import Any

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
