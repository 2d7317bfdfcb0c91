"""Policy settings: thresholds, weights, bands, the monitoring month, the default plan.

Stored as two JSON documents (``monitoring`` and ``evaluation``) in the ``setting`` table;
anything not stored takes the DOMAIN.md default defined by ``tracker.core.settings``."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from tracker.core.settings import EvaluationSettings, MonitoringSettings
from tracker.models import Setting


def _stored(session: Session, key: str) -> dict[str, Any]:
    row = session.get(Setting, key)
    return dict(row.value) if row is not None and isinstance(row.value, dict) else {}


def monitoring_settings(session: Session) -> MonitoringSettings:
    return MonitoringSettings.from_dict({**MonitoringSettings().to_dict(), **_stored(session, "monitoring")})


def evaluation_settings(session: Session) -> EvaluationSettings:
    return EvaluationSettings.from_dict({**EvaluationSettings().to_dict(), **_stored(session, "evaluation")})


def save_monitoring_settings(session: Session, values: dict[str, Any], actor: str) -> MonitoringSettings:
    """Validate (ValueError in Chinese on bad input) and store."""
    settings = MonitoringSettings.from_dict({**monitoring_settings(session).to_dict(), **values})
    _store(session, "monitoring", settings.to_dict(), actor)
    return settings


def _store(session: Session, key: str, value: dict[str, Any], actor: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value, updated_by=actor))
    else:
        row.value = value
        row.updated_by = actor
    session.flush()
