"""Reminders of overdue work: a passed checkpoint the ledger does not cover (per unit),
indicators without progress since the previous checkpoint, 偏差说明 not given in time."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.core.labels import COLOUR_LABELS
from tracker.core.money import ledger_covers
from tracker.models import Alert, DeviationExplanation, Indicator, ProgressReport, Project, Snapshot, Unit
from tracker.services.monitoring.alerts import add_alerts
from tracker.services.monitoring.projects import ProjectInput, load_projects
from tracker.services.monitoring.settings import ReminderSettings, reminder_settings
from tracker.services.monitoring.snapshots import FLAGGED
from tracker.services.settings import monitoring_settings
from tracker.services.spending import ledger_closed_through

REMINDER_WINDOW = timedelta(days=92)  # a quarter: reminders concern the latest checkpoint only


def send_reminders(session: Session, today: date) -> list[Alert]:
    """Raise the reminders that are due and not raised before: a passed checkpoint the ledger
    does not cover (per unit), indicators without progress since the previous checkpoint
    (per project), and 偏差说明 not given in time (per project and checkpoint)."""
    settings = monitoring_settings(session)
    reminders = reminder_settings(session)
    years = [today.year - 1, today.year]
    projects = load_projects(session, years, None, settings)
    closed = ledger_closed_through(session)
    alerts = _ledger_reminders(session, projects, closed, today, reminders)
    alerts += _progress_reminders(session, projects, today, reminders)
    alerts += _explanation_reminders(session, years, today, reminders)
    return add_alerts(session, alerts)


def _latest_passed(checkpoints: Sequence[date], today: date, grace: int) -> tuple[date, date] | None:
    """(latest checkpoint whose grace period is over, the checkpoint before it); checkpoints
    more than ``REMINDER_WINDOW`` past are not reminded of any more (old data, first run)."""
    passed = [c for c in checkpoints
              if c + timedelta(days=grace) < today and today - c <= REMINDER_WINDOW]
    if not passed:
        return None
    index = checkpoints.index(passed[-1])
    previous = checkpoints[index - 1] if index else date(passed[-1].year - 1, 12, 31)
    return passed[-1], previous


def _ledger_reminders(session: Session, projects: list[ProjectInput], closed: dict[int, date],
                      today: date, reminders: ReminderSettings) -> list[Alert]:
    latest: dict[int, date] = {}
    for project in projects:
        found = _latest_passed(project.checkpoints, today, reminders.ledger_due_days)
        if found and found[0] > latest.get(project.unit_id, date.min):
            latest[project.unit_id] = found[0]
    units = {uid: name for uid, name in session.execute(
        select(Unit.id, Unit.name).where(Unit.id.in_(list(latest))))}
    alerts = []
    for unit_id, checkpoint in sorted(latest.items()):
        through = closed.get(unit_id)
        if ledger_covers(through, checkpoint):
            continue
        state = f"台账只导入到{through.isoformat()}" if through else "尚未导入台账"
        alerts.append(Alert(
            unit_id=unit_id, project_id=None, kind="ledger_missing", severity="grey", as_of=checkpoint,
            message=f"{units[unit_id]}：检查点{checkpoint.isoformat()}已过，{state}，"
                    "该检查点的资金执行情况无法判断，请导入覆盖该日期的台账。",
            key=f"ledger:{unit_id}:{checkpoint.isoformat()}"))
    return alerts


def _progress_reminders(session: Session, projects: list[ProjectInput], today: date,
                        reminders: ReminderSettings) -> list[Alert]:
    due = {p.id: found for p in projects
           if (found := _latest_passed(p.checkpoints, today, reminders.progress_due_days))}
    if not due:
        return []
    latest = {iid: day for iid, day in session.execute(
        select(ProgressReport.indicator_id, func.max(ProgressReport.reported_on))
        .where(ProgressReport.project_id.in_(list(due))).group_by(ProgressReport.indicator_id))}
    completed = set(session.scalars(select(ProgressReport.indicator_id).where(
        ProgressReport.project_id.in_(list(due)), ProgressReport.completed_on.is_not(None))))
    missing: dict[int, list[str]] = defaultdict(list)
    for pid, iid, name, kind in session.execute(
            select(Indicator.project_id, Indicator.id, Indicator.name, Indicator.kind)
            .where(Indicator.project_id.in_(list(due))).order_by(Indicator.project_id, Indicator.position)):
        if kind == "deadline" and iid in completed:
            continue
        if latest.get(iid) is None or latest[iid] <= due[pid][1]:
            missing[pid].append(name)
    by_id = {p.id: p for p in projects}
    alerts = []
    for pid, names in sorted(missing.items()):
        checkpoint, previous = due[pid]
        listed = f"{len(names)} 项（{'、'.join(names)}）"  # whole: the unit needs every name
        alerts.append(Alert(
            unit_id=by_id[pid].unit_id, project_id=pid, kind="progress_overdue", severity="grey",
            as_of=checkpoint,
            message=f"项目“{by_id[pid].name}”{checkpoint.isoformat()}检查点的绩效指标完成值填报已逾期："
                    f"{listed}自{previous.isoformat()}后未填报。",
            key=f"progress:{pid}:{checkpoint.isoformat()}"))
    return alerts


def _explanation_reminders(session: Session, years: Sequence[int], today: date,
                           reminders: ReminderSettings) -> list[Alert]:
    # a snapshot resting on an undone batch asks for nothing until it is re-frozen
    flagged = session.execute(
        select(Snapshot.project_id, Snapshot.as_of, Snapshot.evaluated_on, Snapshot.overall_status,
               Project.unit_id, Project.name, Snapshot.version, Snapshot.basis_batch_ids)
        .join(Project, Project.id == Snapshot.project_id)
        .where(Snapshot.kind == "checkpoint", Snapshot.frozen.is_(True),
               Snapshot.withdrawn_batch_id.is_(None),
               Snapshot.overall_status.in_(FLAGGED), Project.year.in_(years))).all()
    explained = {(pid, day) for pid, day in session.execute(
        select(DeviationExplanation.project_id, DeviationExplanation.as_of))}
    alerts = []
    for pid, checkpoint, evaluated_on, colour, unit_id, name, version, basis in flagged:
        deadline = max(checkpoint, evaluated_on) + timedelta(days=reminders.explanation_due_days)
        if today > deadline and (pid, checkpoint) not in explained:
            alerts.append(Alert(
                unit_id=unit_id, project_id=pid, kind="explanation_overdue", severity=colour,
                as_of=checkpoint,
                message=f"项目“{name}”在{checkpoint.isoformat()}检查点为{COLOUR_LABELS[colour]}，"
                        f"偏差说明应于{deadline.isoformat()}前填写，已逾期。",
                key=f"explanation:{pid}:{checkpoint.isoformat()}" + (f":v{version}" if version > 1 else ""),
                basis_batch_ids=basis))
    return alerts
