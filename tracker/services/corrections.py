"""Corrections reach what was derived from them (issue #24): a ledger batch undone after
evaluations rested on it, and the re-freeze that finance confirms afterwards.

Decisions (the issue leaves them open):

- An evaluation rests on the unit's active ledger batches that reach into the project's year
  (``monitoring.snapshots.basis_ids``), recorded on every snapshot and status alert as it is made.
- Undo (``withdraw_batch``, in the undo's transaction): every frozen checkpoint snapshot and
  daily snapshot resting on the batch — the batch in its basis, and the undo changing the
  project's spending or the coverage of the snapshot's date — is marked (``withdrawn_batch_id``: 基于已撤销的台账批次);
  its values never change.  Every alert resting on it that is not withdrawn yet is marked
  withdrawn and gets one withdrawal notice (an alert of kind ``withdrawn``, key
  ``withdrawn:<alert id>``), which the alert mail sends only to those it had mailed the
  withdrawn alert to (``notifications.deliver``).  A marked snapshot asks for no 偏差说明 any
  more (no reminder), until it is re-frozen.
- Re-freeze (``refreeze``, finance or admin): each marked frozen checkpoint of the chosen
  projects (or one date) is evaluated from the current data and frozen again as the next
  ``version``; the old snapshot stays as kind ``replaced`` (history, shown on the page).  A
  checkpoint the ledger does not cover any more cannot be frozen and stays marked.  Frozen
  yellow or red again, it raises a new 检查点预警 and its 偏差说明 is due afresh.  Audited.
  It takes the ledger lock of the projects' units first (``ledger_lock``): a re-freeze waits
  for an import or undo of the unit, and two re-freezes of one snapshot at a time make one
  new version, the second finds nothing left to re-freeze.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, cast, exists, false, func, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from tracker.core.labels import ALERT_KINDS, COLOUR_LABELS
from tracker.core.money import ledger_covers
from tracker.db import utcnow
from tracker.errors import ValidationFailed
from tracker.models import Alert, LedgerBatch, Project, Snapshot, User
from tracker.services import audit
from tracker.services.ledger_lock import lock_unit
from tracker.services.monitoring.alerts import add_alerts
from tracker.services.monitoring.evaluate import evaluate
from tracker.services.monitoring.settings import reminder_settings
from tracker.services.monitoring.snapshots import FLAGGED, basis_ids, ledger_basis


@dataclass(frozen=True)
class Withdrawal:
    """What an undo withdrew: snapshots marked, alerts withdrawn (each with one notice)."""

    snapshots: int
    alerts: int


def _rests_on(basis: list[int] | None, batch_id: int) -> bool:
    return bool(basis) and batch_id in basis  # type: ignore[operator]


def _basis_holds(session: Session, basis: Any, batch_id: int) -> ColumnElement[bool]:
    """SQL: the JSON list of batch ids ``basis`` holds ``batch_id`` (so only the rows resting on
    a batch are read, not every snapshot of the unit)."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(basis, JSONB).contains(cast([batch_id], JSONB))
    element = func.json_each(basis).table_valued("value")
    return exists(select(1).select_from(element).where(element.c.value == batch_id))


def _may_rest(project_id: Any, day: Any, changed: set[int], moved: bool,
              closed_after: date | None) -> ColumnElement[bool]:
    """SQL, the ``rests`` test of ``withdraw_batch``: the project's spending changed, or the
    coverage moved and no longer reaches the date."""
    ids = sorted(p for p in changed if p is not None)
    spending = project_id.in_(ids) if ids else false()
    if not moved:
        return spending
    return or_(spending, true() if closed_after is None else day > closed_after)


def withdraw_batch(session: Session, batch: LedgerBatch, changed: Iterable[int],
                   closed_before: date | None, closed_after: date | None) -> Withdrawal:
    """Mark what rested on ``batch``, being undone in this transaction (flush only).

    A snapshot or alert rests on it when the batch is in its basis and undoing it changes what
    it was computed from: the project's spending (``changed``: the projects with rows in the
    batch or rows it had replaced), or the ledger's coverage of its date (the unit's
    closed-through date went from ``closed_before`` to ``closed_after`` and no longer reaches
    it).  Of a unit's other projects nothing is withdrawn: their figures stand."""
    now = utcnow()
    changed = set(changed)
    moved = closed_after != closed_before

    def rests(basis: list[int] | None, project_id: int | None, day: date) -> bool:
        return _rests_on(basis, batch.id) and (
            project_id in changed or (moved and not ledger_covers(closed_after, day)))

    if not changed and not moved:
        return Withdrawal(0, 0)  # nothing it was computed from changed
    marked = 0
    for snapshot in session.scalars(
            select(Snapshot).join(Project, Project.id == Snapshot.project_id).where(
                Project.unit_id == batch.unit_id, Snapshot.withdrawn_batch_id.is_(None),
                _basis_holds(session, Snapshot.basis_batch_ids, batch.id),
                _may_rest(Snapshot.project_id, Snapshot.as_of, changed, moved, closed_after),
                ((Snapshot.kind == "checkpoint") & Snapshot.frozen.is_(True)) | (Snapshot.kind == "daily"))):
        if rests(snapshot.basis_batch_ids, snapshot.project_id, snapshot.as_of):
            snapshot.withdrawn_batch_id, snapshot.withdrawn_at = batch.id, now
            marked += snapshot.kind == "checkpoint"
    alerts = [a for a in session.scalars(select(Alert).where(
        Alert.unit_id == batch.unit_id, Alert.withdrawn_at.is_(None),
        _basis_holds(session, Alert.basis_batch_ids, batch.id),
        _may_rest(Alert.project_id, Alert.as_of, changed, moved, closed_after),
    ).order_by(Alert.id)) if rests(a.basis_batch_ids, a.project_id, a.as_of)]
    names = {pid: name for pid, name in session.execute(select(Project.id, Project.name).where(
        Project.id.in_({a.project_id for a in alerts if a.project_id})))}
    notices = []
    for alert in alerts:
        alert.withdrawn_at, alert.withdrawn_batch_id = now, batch.id
        subject = f"项目“{names[alert.project_id]}”" if alert.project_id in names else ""
        notices.append(Alert(
            unit_id=alert.unit_id, project_id=alert.project_id, kind="withdrawn", severity="grey",
            as_of=alert.as_of,
            message=f"已撤销：{subject}{alert.as_of.isoformat()}的{_what(alert)}基于已撤销的台账批次 "
                    f"{batch.id}（{batch.file_name}），请以更正后的数据为准。",
            key=f"withdrawn:{alert.id}", withdraws_alert_id=alert.id))
    add_alerts(session, notices)
    session.flush()
    return Withdrawal(marked, len(alerts))


def _what(alert: Alert) -> str:
    """“红灯预警（检查点预警）”, or “‘状态好转’提醒” for an alert that warned of nothing."""
    kind = ALERT_KINDS.get(alert.kind, alert.kind)
    if alert.severity in FLAGGED:
        return f"{COLOUR_LABELS[alert.severity]}预警（{kind}）"
    return f"“{kind}”提醒"


@dataclass
class RefreezeResult:
    refrozen: list[Snapshot] = field(default_factory=list)  # the new versions
    uncovered: list[tuple[int, date]] = field(default_factory=list)  # (project, checkpoint) not covered

    @property
    def text(self) -> str:
        text = f"已按当前数据重新冻结 {len(self.refrozen)} 个检查点评价，原冻结值保留为历史版本。"
        if self.uncovered:
            text += (f"另有 {len(self.uncovered)} 个检查点台账尚未覆盖，无法冻结，仍标记为"
                     "基于已撤销的台账批次；导入覆盖该日期的台账后再重新冻结。")
        return text

    def as_json(self) -> dict[str, object]:
        return {"refrozen": [{"project_id": s.project_id, "as_of": s.as_of.isoformat(), "version": s.version,
                              "overall_status": s.overall_status, "snapshot_id": s.id} for s in self.refrozen],
                "uncovered": [{"project_id": pid, "as_of": day.isoformat()} for pid, day in self.uncovered]}


def withdrawn_snapshots(session: Session, project_ids: Iterable[int], as_of: date | None = None
                        ) -> list[Snapshot]:
    """The frozen checkpoint snapshots of ``project_ids`` (at ``as_of``, if given) marked as
    resting on an undone batch."""
    query = select(Snapshot).where(
        Snapshot.project_id.in_(sorted(set(project_ids))), Snapshot.kind == "checkpoint",
        Snapshot.frozen.is_(True), Snapshot.withdrawn_batch_id.is_not(None))
    if as_of is not None:
        query = query.where(Snapshot.as_of == as_of)
    return list(session.scalars(query.order_by(Snapshot.as_of, Snapshot.project_id)
                                .execution_options(populate_existing=True)))


def refreeze(session: Session, project_ids: Iterable[int], actor: User | str, today: date,
             as_of: date | None = None) -> RefreezeResult:
    """Freeze again, from the current data, the marked checkpoint snapshots of ``project_ids``
    (at ``as_of``, if given; flush only).  ValidationFailed when there is nothing to re-freeze.
    Takes the units' ledger locks first; the boundary runs it in ``ledger_lock.retrying``."""
    ids = sorted(set(project_ids))
    for unit_id in sorted(set(session.scalars(select(Project.unit_id).where(Project.id.in_(ids))))):
        lock_unit(session, unit_id)
    marked = withdrawn_snapshots(session, ids, as_of)
    if not marked:
        raise ValidationFailed("没有基于已撤销台账批次的冻结检查点评价需要重新冻结"
                               + (f"（{as_of.isoformat()}）" if as_of else ""))
    by_date: dict[date, dict[int, Snapshot]] = defaultdict(dict)
    for snapshot in marked:
        by_date[snapshot.as_of][snapshot.project_id] = snapshot
    units = {pid: uid for pid, uid, in session.execute(select(Project.id, Project.unit_id).where(
        Project.id.in_({s.project_id for s in marked})))}
    names = {pid: name for pid, name in session.execute(select(Project.id, Project.name).where(
        Project.id.in_(list(units))))}
    basis = ledger_basis(session, set(units.values()))
    due_days = reminder_settings(session).explanation_due_days
    actor_name = actor.username if isinstance(actor, User) else actor
    result = RefreezeResult()
    for checkpoint, olds in sorted(by_date.items()):
        for pid, evaluation in evaluate(session, checkpoint, list(olds)).items():
            old = olds[pid]
            if not evaluation.ledger_covered:
                result.uncovered.append((pid, checkpoint))
                continue
            old.kind = "replaced"
            session.flush()  # the old version leaves the 'checkpoint' key before the new one takes it
            values = evaluation.snapshot_values()
            values["basis_batch_ids"] = basis_ids(basis, units[pid], checkpoint.year)
            new = Snapshot(kind="checkpoint", frozen=True, evaluated_on=today, late=old.late,
                           version=old.version + 1, frozen_by=actor_name, **values)
            session.add(new)
            session.flush()
            result.refrozen.append(new)
            audit.record(session, actor, "refreeze", "snapshot", new.id, project_id=pid,
                         as_of=checkpoint.isoformat(), version=new.version, replaced_snapshot=old.id,
                         withdrawn_batch=old.withdrawn_batch_id,
                         before=old.overall_status, after=new.overall_status)
            if evaluation.overall in FLAGGED:
                deadline = today + timedelta(days=due_days)
                add_alerts(session, [Alert(
                    unit_id=units[pid], project_id=pid, kind="checkpoint_flagged",
                    severity=evaluation.overall, as_of=checkpoint, basis_batch_ids=values["basis_batch_ids"],
                    message=f"项目“{names[pid]}”在{checkpoint.isoformat()}检查点按更正后的台账重新冻结为"
                            f"{COLOUR_LABELS[evaluation.overall]}，请于{deadline.isoformat()}前填写偏差说明。",
                    key=f"checkpoint:{pid}:{checkpoint.isoformat()}:v{new.version}")])
    session.flush()
    return result
