"""Policy settings: thresholds, weights, bands, the monitoring month, the default plan.

Stored as two JSON documents (``monitoring`` and ``evaluation``) in the ``setting`` table;
anything not stored takes the DOMAIN.md default defined by ``tracker.core.settings``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.core.labels import EVALUATION_LABELS
from tracker.core.settings import EvaluationSettings, LedgerSettings, MonitoringSettings
from tracker.errors import ValidationFailed
from tracker.models import Setting, User
from tracker.services import audit


_READ = "tracker.settings_read"  # session.info: None, or (transaction, {key: row}) read in it


def read_settings_once(session: Session) -> None:
    """Let ``stored_setting`` read the ``setting`` table once per transaction of ``session``
    (a web request's: a page reads several settings, and ``session.get`` asked the database
    again each time for a key never stored).  Other sessions read a key each time they ask."""
    session.info.setdefault(_READ, None)


def stored_setting(session: Session, key: str) -> Setting | None:
    """The ``setting`` row of ``key`` (None: not stored).  In a session of
    ``read_settings_once`` the first read of a transaction reads every row (the table holds
    a few) and the later ones of the same transaction use them; a write goes through
    ``store_setting``, which keeps them true."""
    if _READ not in session.info:
        return session.get(Setting, key)
    read = session.info[_READ]
    transaction = session.get_transaction()
    if read is not None and transaction is not None and read[0] is transaction:
        return read[1].get(key)
    rows = {row.key: row for row in session.scalars(select(Setting))}
    session.info[_READ] = (session.get_transaction(), rows)
    return rows.get(key)


def store_setting(session: Session, key: str, value: dict[str, Any], actor: str) -> None:
    """Store ``value`` under ``key`` (flushed)."""
    row = stored_setting(session, key)
    if row is None:
        row = Setting(key=key, value=value, updated_by=actor)
        session.add(row)
    else:
        row.value = value
        row.updated_by = actor
    session.flush()
    if (read := session.info.get(_READ)) is not None:
        read[1][key] = row


def _stored(session: Session, key: str) -> dict[str, Any]:
    row = stored_setting(session, key)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def monitoring_settings(session: Session) -> MonitoringSettings:
    return MonitoringSettings.from_dict({**MonitoringSettings().to_dict(), **_stored(session, "monitoring")})


def evaluation_settings(session: Session) -> EvaluationSettings:
    return EvaluationSettings.from_dict({**EvaluationSettings().to_dict(), **_stored(session, "evaluation")})


def ledger_settings(session: Session) -> LedgerSettings:
    return LedgerSettings.from_dict({**LedgerSettings().to_dict(), **_stored(session, "ledger")})


def save_ledger_settings(session: Session, values: dict[str, Any], actor: str) -> LedgerSettings:
    """Validate (ValueError in Chinese on bad input) and store."""
    settings = LedgerSettings.from_dict({**ledger_settings(session).to_dict(), **values})
    store_setting(session, "ledger", settings.to_dict(), actor)
    return settings


def update_reconcile_threshold(session: Session, text: str, actor: User) -> LedgerSettings:
    """Save the 对账差异阈值 (元) from the reconciliation page (ValidationFailed in Chinese) and
    audit the change."""
    before = ledger_settings(session).reconcile_threshold
    try:
        saved = save_ledger_settings(session, {"reconcile_threshold": (text or "").strip()}, actor.username)
    except ValueError as error:
        raise ValidationFailed(str(error)) from None
    audit.record(session, actor, "update", "setting", None, key="ledger",
                 changes={"reconcile_threshold": [str(before), str(saved.reconcile_threshold)]})
    return saved


def save_monitoring_settings(session: Session, values: dict[str, Any], actor: str) -> MonitoringSettings:
    """Validate (ValueError in Chinese on bad input) and store."""
    settings = MonitoringSettings.from_dict({**monitoring_settings(session).to_dict(), **values})
    store_setting(session, "monitoring", settings.to_dict(), actor)
    return settings


def save_evaluation_settings(session: Session, values: dict[str, Any], actor: str) -> EvaluationSettings:
    """Validate (ValueError in Chinese on bad input) and store."""
    settings = EvaluationSettings.from_dict({**evaluation_settings(session).to_dict(), **values})
    store_setting(session, "evaluation", settings.to_dict(), actor)
    return settings


def update_evaluation_settings(session: Session, form: Mapping[str, str], actor: User) -> dict[str, list[str]]:
    """Save the admin page's 自评 settings (every field required; ValidationFailed in Chinese)
    and audit what changed.  Drafts are rescored with them on their next save; frozen
    evaluations keep the scores they were submitted with."""
    names = list(EvaluationSettings().to_dict())
    missing = [name for name in names if not (form.get(name) or "").strip()]
    if missing:
        raise ValidationFailed(f"设置不完整，请填写：{'、'.join(EVALUATION_LABELS[n] for n in missing)}")
    before = evaluation_settings(session).to_dict()
    try:
        saved = save_evaluation_settings(session, {n: form[n].strip() for n in names}, actor.username)
    except ValueError as error:
        raise ValidationFailed(str(error)) from None
    after = saved.to_dict()
    changes = {k: [before[k], after[k]] for k in names if before[k] != after[k]}
    audit.record(session, actor, "update", "setting", None, key="evaluation", changes=changes)
    return changes
