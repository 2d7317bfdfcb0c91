"""Alerts: added once per key, read per user (everything, or their units'), marked read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, select, text, true
from sqlalchemy.orm import Session

from tracker.models import Alert, AlertRead, User
from tracker.models.monitoring import ALERTS_IN_FLIGHT_LOCK
from tracker.services.monitoring.bulk_write import insert_rows, is_postgresql


def add_alerts(session: Session, alerts: list[Alert]) -> list[Alert]:
    """Add ``alerts``, skipping those whose ``key`` was raised before."""
    keys = [a.key for a in alerts if a.key]
    seen: set[str] = set()
    for start in range(0, len(keys), 500):
        seen |= set(session.scalars(select(Alert.key).where(Alert.key.in_(keys[start:start + 500]))))
    added = []
    for alert in alerts:
        if alert.key is not None:
            if alert.key in seen:
                continue
            seen.add(alert.key)
        session.add(alert)
        added.append(alert)
    session.flush()
    return added


def insert_alerts(session: Session, rows: list[dict[str, Any]]) -> int:
    """``add_alerts`` for many (a job's 50,000): column values in, nothing read back (an ORM
    flush would read every id back), written by COPY on PostgreSQL (``bulk_write``).  Like an
    ORM flush of alerts (``models.monitoring._alerts_in_flight``) it holds the alerts-in-flight
    lock shared until the transaction ends, so the alert mail never settles past an alert
    that is not committed yet.  Returns how many were added."""
    keys = [row["key"] for row in rows if row.get("key")]
    seen = _raised(session, keys)
    added = []
    for row in rows:
        key = row.get("key")
        if key is not None:
            if key in seen:
                continue
            seen.add(key)
        added.append({"key": None, **row})
    if not added:
        return 0
    if is_postgresql(session):
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": ALERTS_IN_FLIGHT_LOCK})
    return insert_rows(session, Alert, added)


def _raised(session: Session, keys: list[str]) -> set[str]:
    """Which of ``keys`` an alert has already: one query on PostgreSQL (the keys as one array
    parameter), 500 keys a query on SQLite."""
    if not keys:
        return set()
    if is_postgresql(session):
        return set(session.scalars(text("SELECT key FROM alert WHERE key = ANY(:keys)"), {"keys": keys}))
    seen: set[str] = set()
    for start in range(0, len(keys), 500):
        seen |= set(session.scalars(select(Alert.key).where(Alert.key.in_(keys[start:start + 500]))))
    return seen


def visible_to(user: User) -> ColumnElement[bool]:
    if user.sees_everything:
        return true()
    return Alert.unit_id.in_([unit.id for unit in user.units])


@dataclass(frozen=True)
class AlertItem:
    alert: Alert
    read: bool


def alerts_for(session: Session, user: User, *, unread_only: bool = False,
               limit: int = 200) -> list[AlertItem]:
    """The alerts ``user`` may see (everything, or their units'), newest first."""
    read = select(AlertRead.alert_id).where(AlertRead.user_id == user.id)
    query = select(Alert, Alert.id.in_(read)).where(visible_to(user))
    if unread_only:
        query = query.where(Alert.id.not_in(read))
    rows = session.execute(query.order_by(Alert.id.desc()).limit(limit)).all()
    return [AlertItem(alert, bool(is_read)) for alert, is_read in rows]


def unread_count(session: Session, user: User) -> int:
    """Unread alerts ``user`` may see, withdrawn ones (已撤销) not counted."""
    read = select(AlertRead.alert_id).where(AlertRead.user_id == user.id)
    return session.scalar(select(func.count(Alert.id)).where(
        visible_to(user), Alert.id.not_in(read), Alert.withdrawn_at.is_(None))) or 0


def mark_read(session: Session, user: User, alert_ids: Iterable[int] | None) -> int:
    """Mark ``alert_ids`` (None = all visible) read for ``user``; returns how many changed."""
    read = select(AlertRead.alert_id).where(AlertRead.user_id == user.id)
    query = select(Alert.id).where(visible_to(user), Alert.id.not_in(read))
    if alert_ids is not None:
        query = query.where(Alert.id.in_(sorted(set(alert_ids))))
    ids = list(session.scalars(query))
    session.add_all(AlertRead(alert_id=aid, user_id=user.id) for aid in ids)
    session.flush()
    return len(ids)


def visible_alerts_after(session: Session, user: User, after_id: int) -> list[Alert]:
    """Alerts ``user`` may see with an id above ``after_id``, oldest first (for mail)."""
    return list(session.scalars(select(Alert).where(visible_to(user), Alert.id > after_id)
                                .order_by(Alert.id)))
