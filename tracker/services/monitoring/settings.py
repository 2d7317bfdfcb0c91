"""Reminder grace periods (stored as one setting) and the admin form that saves them together
with the monitoring settings (``tracker.services.settings``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy.orm import Session

from tracker.core.labels import MONITORING_SETTING_LABELS
from tracker.core.settings import TIME_PROGRESS_PLAN
from tracker.errors import ValidationFailed
from tracker.models import User
from tracker.services import audit
from tracker.services.settings import monitoring_settings, save_monitoring_settings, store_setting, stored_setting

REMINDER_SETTINGS_KEY = "monitoring_reminders"


@dataclass(frozen=True)
class ReminderSettings:
    """Grace periods, in days after a checkpoint, before work counts as overdue.

    - ``progress_due_days``: every indicator needs a 当前完成值 reported after the previous
      checkpoint, within this many days after the checkpoint (default 10).
    - ``explanation_due_days``: a project frozen yellow or red at a checkpoint needs its 偏差说明
      within this many days after the checkpoint was frozen (default 15).
    - ``ledger_due_days``: the ledger should cover a checkpoint this many days after it
      (default 0: remind the day after the checkpoint).
    """

    progress_due_days: int = 10
    explanation_due_days: int = 15
    ledger_due_days: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 366:
                raise ValueError(f"提醒期限应为0至366之间的整数天数，当前为 {value!r}")

    def to_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReminderSettings:
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"提醒设置中有未知的设置项：{'、'.join(unknown)}")
        values: dict[str, int] = {}
        for key, value in data.items():
            try:
                values[key] = int(str(value).strip())
            except ValueError:
                raise ValueError(f"提醒期限应为整数天数，当前为 {value!r}") from None
        return cls(**values)


def reminder_settings(session: Session) -> ReminderSettings:
    row = stored_setting(session, REMINDER_SETTINGS_KEY)
    stored = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
    return ReminderSettings.from_dict({**ReminderSettings().to_dict(), **stored})


def save_reminder_settings(session: Session, values: dict[str, Any], actor: str) -> ReminderSettings:
    """Validate (ValueError in Chinese) and store."""
    settings = ReminderSettings.from_dict({**reminder_settings(session).to_dict(), **values})
    store_setting(session, REMINDER_SETTINGS_KEY, settings.to_dict(), actor)
    return settings


MONITORING_FIELDS = ("red_below", "yellow_below", "blue_from", "time_progress_method",
                     "default_plan", "monitoring_month")


def parse_default_plan(text: str) -> list[list[str]] | str:
    """默认支出计划 as typed: empty = 序时进度; else “3:25, 6:50, 10:80, 12:100” (month:percent)."""
    text = text.strip().replace("，", ",").replace("：", ":").replace("%", "")
    if not text:
        return TIME_PROGRESS_PLAN
    pairs = []
    for part in filter(None, (p.strip() for p in text.replace(";", ",").split(","))):
        month, sep, pct = part.partition(":")
        if not sep:
            raise ValueError(f"默认支出计划应写成“月份:累计百分比”，如“6:50, 12:100”，当前为“{part}”")
        pairs.append([month.strip(), pct.strip()])
    return pairs


def update_settings(session: Session, form: Mapping[str, str], actor: User | str) -> None:
    """Save the admin page's monitoring and reminder settings (ValidationFailed in Chinese).
    Frozen snapshots keep the settings they were made with."""
    missing = [name for name in (*MONITORING_FIELDS, *ReminderSettings().to_dict())
               if name not in form and name != "default_plan"]
    if missing:
        raise ValidationFailed(f"设置不完整，缺少：{'、'.join(MONITORING_SETTING_LABELS[n] for n in missing)}")
    values: dict[str, Any] = {name: form[name].strip() for name in MONITORING_FIELDS
                              if name != "default_plan"}
    try:
        values["default_plan"] = parse_default_plan(form.get("default_plan", ""))
        saved = save_monitoring_settings(session, values, _actor_name(actor))
        reminders = save_reminder_settings(
            session, {k: form[k] for k in ReminderSettings().to_dict()}, _actor_name(actor))
    except ValueError as error:
        raise ValidationFailed(str(error)) from None
    audit.record(session, actor, "update", "setting", None,
                 monitoring=saved.to_dict(), reminders=reminders.to_dict())


def settings_form_values(session: Session) -> dict[str, str]:
    """Current monitoring and reminder settings as the admin form shows them."""
    values = {k: str(v) for k, v in monitoring_settings(session).to_dict().items()}
    plan = monitoring_settings(session).default_plan
    values["default_plan"] = "" if plan is None else ", ".join(
        f"{month}:{pct.normalize():f}" for month, pct in plan)
    values.update({k: str(v) for k, v in reminder_settings(session).to_dict().items()})
    return values


def _actor_name(actor: User | str) -> str:
    return actor.username if isinstance(actor, User) else actor
