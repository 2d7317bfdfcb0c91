"""Stored evaluations: checkpoint snapshots (recorded on their day, frozen once the ledger
covers them), the daily status with the alerts its transitions raise, and the summary of
what an import or undo changed.  Each records the ledger batches it rests on (``basis_ids``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from tracker.core.labels import ALERT_KINDS, COLOUR_LABELS
from tracker.core.money import ledger_covers
from tracker.models import LedgerBatch, Project, Snapshot
from tracker.services.monitoring.alerts import insert_alerts
from tracker.services.monitoring.bulk_write import insert_rows, update_rows
from tracker.services.monitoring.evaluate import ProjectEvaluation, evaluate, evaluate_dates
from tracker.services.monitoring.projects import load_projects, project_filter
from tracker.services.monitoring.settings import reminder_settings
from tracker.services.settings import monitoring_settings
from tracker.services.spending import ledger_closed_through

FLAGGED: frozenset[str] = frozenset({"yellow", "red"})


def ledger_basis(session: Session, unit_ids: Iterable[int] | None = None
                 ) -> dict[int, list[tuple[int, date, date]]]:
    """Per unit, its active ledger batches as (id, period start, period end), by id: what an
    evaluation rests on (``basis_ids``)."""
    query = select(LedgerBatch.unit_id, LedgerBatch.id, LedgerBatch.period_start, LedgerBatch.period_end
                   ).where(LedgerBatch.status == "active").order_by(LedgerBatch.id)
    if unit_ids is not None:
        query = query.where(LedgerBatch.unit_id.in_(sorted(set(unit_ids))))
    basis: dict[int, list[tuple[int, date, date]]] = defaultdict(list)
    for unit_id, batch_id, start, end in session.execute(query):
        basis[unit_id].append((batch_id, start, end))
    return basis


def basis_ids(basis: Mapping[int, list[tuple[int, date, date]]], unit_id: int, year: int) -> list[int]:
    """The batches an evaluation of a project of ``unit_id`` in ``year`` rests on: the unit's
    active batches whose period reaches into the year (their rows are its spending, their
    periods its ledger coverage).  Decision: every source counts here, since coverage is the
    earliest over sources."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    return [bid for bid, start, end in basis.get(unit_id, ()) if start <= last and end >= first]


def record_checkpoints(session: Session, day: date, project_ids: Iterable[int] | None = None,
                       *, today: date | None = None) -> list[Snapshot]:
    """The checkpoint evaluation of ``day`` (the 23:30 job on the day itself, or ``tracker
    check --save`` later, then marked late): every project whose checkpoint is ``day`` gets
    its checkpoint snapshot, frozen at once when the ledger already covers the day, else
    provisional until ``freeze_checkpoints`` freezes it; a frozen one is never touched.
    Returns the snapshots created or refreshed."""
    return _store_checkpoints(session, day, project_ids, on_day=True, evaluated_on=today or day,
                              read_back=True).snapshots


def freeze_checkpoints(session: Session, today: date,
                       project_ids: Iterable[int] | None = None) -> list[Snapshot]:
    """Bring every passed checkpoint (checkpoint < today, this year or last) up to date:
    a provisional snapshot is re-evaluated and frozen once the ledger covers its date; a
    checkpoint that has no snapshot at all (nothing was running at its 23:30, or the project
    was imported later) is evaluated as of its date now and marked ``late``.  Frozen
    snapshots are never touched.  A project frozen yellow or red gets an alert asking for its
    偏差说明.  Returns the snapshots created or changed."""
    return _store_checkpoints(session, today, project_ids, on_day=False, evaluated_on=today,
                              read_back=True).snapshots


@dataclass(frozen=True)
class StoredCheckpoints:
    """What a checkpoint run stored: snapshots created or changed, how many of them late, and
    (when read back) the snapshots themselves, without their indicator lists."""

    count: int
    late: int
    snapshots: list[Snapshot]


def record_every_checkpoint(session: Session, day: date) -> StoredCheckpoints:
    """``record_checkpoints`` of every project, as the scheduler's jobs run it: nothing is read
    back (50,000 snapshots at province scale)."""
    return _store_checkpoints(session, day, None, on_day=True, evaluated_on=day, read_back=False)


def freeze_every_checkpoint(session: Session, today: date) -> StoredCheckpoints:
    """``freeze_checkpoints`` of every project, nothing read back (the nightly job and the
    catch-up: up to 200,000 snapshots)."""
    return _store_checkpoints(session, today, None, on_day=False, evaluated_on=today, read_back=False)


#: Evaluate every project of the year (and skip those not due) rather than name the due ones
#: when more than this share of the year's projects is due: the query of every project is the
#: cheaper one (no list of 50,000 ids to send, convert and plan).
WHOLE_YEAR_SHARE = 0.5
#: Such dates evaluated together (``evaluate_dates``): the catch-up's passed checkpoints read
#: projects, plans and ledger coverage once.  Province scale, 3 dates of 50,000 projects: about
#: 1 s less CPU here and 0.5 s less in PostgreSQL (of 27 s and 17 s), for 300 MB more held.
DATES_AT_ONCE = 4


def _store_checkpoints(session: Session, today: date, project_ids: Iterable[int] | None,
                       *, on_day: bool, evaluated_on: date, read_back: bool) -> StoredCheckpoints:
    settings = monitoring_settings(session)
    reminders = reminder_settings(session)
    ids = None if project_ids is None else sorted(set(project_ids))
    years = [today.year] if on_day else [today.year - 1, today.year]
    projects = load_projects(session, years, ids, settings)
    closed = ledger_closed_through(session, {p.unit_id for p in projects} if ids else None)
    # (project, date) → (id, frozen): the keys only, not 200,000 snapshots as ORM objects
    existing = {(pid, as_of): (sid, frozen) for pid, as_of, sid, frozen in session.execute(
        select(Snapshot.project_id, Snapshot.as_of, Snapshot.id, Snapshot.frozen).where(
            Snapshot.kind == "checkpoint", project_filter(Snapshot.project_id, years, ids)))}
    due: dict[date, list[int]] = defaultdict(list)
    per_year: dict[int, int] = defaultdict(int)
    for project in projects:
        per_year[project.year] += 1
        for checkpoint in project.checkpoints:
            passed = checkpoint == today if on_day else checkpoint < today
            snapshot = existing.get((project.id, checkpoint))
            if not passed or (snapshot is not None and snapshot[1]):
                continue
            covered = ledger_covers(closed.get(project.unit_id), checkpoint)
            if snapshot is None or covered or on_day:
                due[checkpoint].append(project.id)
    names = {p.id: p.name for p in projects}
    basis = ledger_basis(session, {p.unit_id for p in projects} if ids else None) if due else {}
    del projects
    count = late = 0
    changed_ids: list[int] = []
    alerts: list[dict[str, Any]] = []  # added once at the end: one query for all the keys
    explain_by = evaluated_on + timedelta(days=reminders.explanation_due_days)

    def rows(evaluations: list[ProjectEvaluation], checkpoint: date, new: bool) -> Iterator[dict[str, Any]]:
        """The snapshot rows of ``evaluations`` that are new (or that replace a provisional
        one), their alerts noted on the way: made while the rows before them are stored."""
        for evaluation in evaluations:
            held = existing.get((evaluation.project_id, checkpoint))
            if (held is None) != new:
                continue
            values = evaluation.snapshot_values()
            values["basis_batch_ids"] = basis_ids(basis, evaluation.unit_id, checkpoint.year)
            if evaluation.ledger_covered and evaluation.overall in FLAGGED:
                alerts.append(_alert(
                    evaluation, "checkpoint_flagged",
                    f"项目“{names[evaluation.project_id]}”在{checkpoint.isoformat()}检查点为"
                    f"{COLOUR_LABELS[evaluation.overall]}（{_money_text(evaluation)}），"
                    f"请于{explain_by.isoformat()}前填写偏差说明。",
                    key=f"checkpoint:{evaluation.project_id}:{checkpoint.isoformat()}",
                    basis=values["basis_batch_ids"]))
            if held is None:
                yield {"kind": "checkpoint", "late": evaluated_on > checkpoint,
                       "frozen": evaluation.ledger_covered, "evaluated_on": evaluated_on, **values}
            else:
                changed_ids.append(held[0])
                del values["project_id"]  # unchanged: not set again (a foreign key check each)
                yield {"id": held[0], "frozen": evaluation.ledger_covered, "evaluated_on": evaluated_on, **values}

    # dates where most projects are due: every project evaluated, up to DATES_AT_ONCE dates
    # by one evaluate_dates (projects, plans and coverage read once for them)
    whole = [day for day, pids in sorted(due.items())
             if ids is None and len(pids) > WHOLE_YEAR_SHARE * per_year[day.year]]
    batches = [whole[start:start + DATES_AT_ONCE] for start in range(0, len(whole), DATES_AT_ONCE)]
    evaluated: dict[date, dict[int, ProjectEvaluation]] = {}
    for checkpoint, pids in sorted(due.items()):
        if checkpoint not in whole:
            evaluations = list(evaluate(session, checkpoint, pids).values())
        else:
            if checkpoint not in evaluated:
                evaluated = evaluate_dates(session, next(b for b in batches if checkpoint in b))
            wanted = set(pids)
            evaluations = [e for e in evaluated.pop(checkpoint).values() if e.project_id in wanted]
        first = len(alerts)
        added = insert_rows(session, Snapshot, rows(evaluations, checkpoint, True))
        count += added + update_rows(session, Snapshot, rows(evaluations, checkpoint, False),
                                     {"kind": "checkpoint", "as_of": checkpoint})
        alerts[first:] = _in_order(alerts[first:], evaluations)
        late += added if evaluated_on > checkpoint else 0
        del evaluations
    _expire_held(session, changed_ids)
    insert_alerts(session, alerts)
    session.flush()
    stored = _read_back(session, due) if read_back and count else []
    return StoredCheckpoints(count, late, stored)


def _in_order(alerts: list[dict[str, Any]], evaluations: list[ProjectEvaluation]) -> list[dict[str, Any]]:
    """``alerts`` in the order of the projects evaluated (one pass would have raised them so)."""
    order = {evaluation.project_id: place for place, evaluation in enumerate(evaluations)}
    return sorted(alerts, key=lambda alert: order[alert["project_id"]])


def _read_back(session: Session, due: Mapping[date, list[int]]) -> list[Snapshot]:
    """The checkpoint snapshots of ``due`` (per date, in its order), without their indicator
    lists (read again if asked)."""
    stored: list[Snapshot] = []
    for checkpoint, pids in sorted(due.items()):
        found: dict[int, Snapshot] = {}
        for start in range(0, len(pids), 1000):
            found.update((s.project_id, s) for s in session.scalars(
                select(Snapshot).where(Snapshot.kind == "checkpoint", Snapshot.as_of == checkpoint,
                                       Snapshot.project_id.in_(pids[start:start + 1000]))
                .options(defer(Snapshot.indicators))))
        stored.extend(found[pid] for pid in pids if pid in found)
    return stored


@dataclass(frozen=True)
class Transition:
    project_id: int
    name: str
    kind: str  # turned_yellow / turned_red / worsened / recovered
    old: str | None
    new: str


def transition_kind(old: str | None, new: str) -> str | None:
    """Which alert a change of overall colour from ``old`` to ``new`` raises, if any."""
    if new in FLAGGED and old not in FLAGGED:
        return f"turned_{new}"
    if old == "yellow" and new == "red":
        return "worsened"
    if old in FLAGGED and new in ("green", "blue"):
        return "recovered"
    return None


def refresh_daily(session: Session, today: date,
                  project_ids: Iterable[int] | None = None) -> list[Transition]:
    """Re-evaluate the current status of this year's projects (and last year's, at 12-31),
    replace each project's daily snapshot, and raise an alert for every transition.  A daily
    snapshot marked as resting on an undone batch is no status to change from: its alerts were
    withdrawn, so the new status raises what it would raise from nothing."""
    ids = None if project_ids is None else sorted(set(project_ids))
    transitions: list[Transition] = []
    basis = ledger_basis(session)
    for as_of in (date(today.year - 1, 12, 31), today):
        evaluations = evaluate(session, as_of, ids, money_at_ledger_date=True)
        if not evaluations:
            continue
        pids = list(evaluations) if ids is not None else None
        old = {pid: (sid, colour, withdrawn) for pid, sid, colour, withdrawn in session.execute(
            select(Snapshot.project_id, Snapshot.id, Snapshot.overall_status, Snapshot.withdrawn_batch_id)
            .where(Snapshot.kind == "daily", project_filter(Snapshot.project_id, [as_of.year], pids)))}
        names = {pid: name for pid, name in session.execute(select(Project.id, Project.name).where(
            project_filter(Project.id, [as_of.year], pids)))}
        alerts: list[dict[str, Any]] = []
        changed_ids: list[int] = []
        first = len(transitions)

        def rows(evaluations: dict[int, ProjectEvaluation], as_of: date, new: bool) -> Iterator[dict[str, Any]]:
            """The daily rows that are new (or that replace the project's last one), with
            the transitions and alerts noted on the way."""
            for pid, evaluation in evaluations.items():
                previous = old.get(pid)
                if (previous is None) != new:
                    continue
                old_colour = previous[1] if previous and previous[2] is None else None
                values = evaluation.snapshot_values()
                values["basis_batch_ids"] = basis_ids(basis, evaluation.unit_id, as_of.year)
                kind = transition_kind(old_colour, evaluation.overall)
                if kind is not None:
                    transitions.append(Transition(pid, names[pid], kind, old_colour, evaluation.overall))
                    alerts.append(_alert(evaluation, kind, _transition_message(
                        names[pid], kind, old_colour, evaluation), basis=values["basis_batch_ids"]))
                if previous is None:
                    yield {"kind": "daily", "frozen": False, "evaluated_on": today, **values}
                else:
                    changed_ids.append(previous[0])
                    del values["project_id"]  # unchanged: not set again (a foreign key check each)
                    yield {"id": previous[0], "evaluated_on": today, "withdrawn_batch_id": None,
                           "withdrawn_at": None, **values}

        insert_rows(session, Snapshot, rows(evaluations, as_of, True))
        update_rows(session, Snapshot, rows(evaluations, as_of, False), {"kind": "daily"})
        # in the order of the projects, as one pass would have raised them
        order = {pid: place for place, pid in enumerate(evaluations)}
        alerts.sort(key=lambda alert: order[alert["project_id"]])
        transitions[first:] = sorted(transitions[first:], key=lambda t: order[t.project_id])
        del evaluations
        _expire_held(session, changed_ids)
        insert_alerts(session, alerts)
    session.flush()
    return transitions


def _expire_held(session: Session, ids: Iterable[int]) -> None:
    """Expire the snapshots of ``ids`` this session holds, so they read what a bulk UPDATE
    wrote."""
    wanted = set(ids)
    if not wanted:
        return
    for held in list(session.identity_map.values()):
        if isinstance(held, Snapshot) and held.id in wanted:
            session.expire(held)


def _money_text(evaluation: ProjectEvaluation) -> str:
    money = evaluation.money
    if money.execution_rate is None:
        return f"资金{money.label}"
    return (f"截至{evaluation.money_as_of.isoformat()}执行率{money.execution_rate:.2f}%，"
            f"计划{money.planned_pct:.2f}%，资金{money.label}，绩效指标{COLOUR_LABELS[evaluation.results]}")


def _transition_message(name: str, kind: str, old: str | None, evaluation: ProjectEvaluation) -> str:
    before = f"由{COLOUR_LABELS[old]}" if old else ""
    return (f"项目“{name}”{before}{ALERT_KINDS[kind]}："
            f"当前{COLOUR_LABELS[evaluation.overall]}（{_money_text(evaluation)}）。")


@dataclass(frozen=True)
class ChangeSummary:
    """What an import (or undo) changed: projects re-evaluated (every project whose ledger
    coverage or spending it changed), newly yellow/red, worsened, recovered; checkpoints
    frozen by it; and, for an undo, frozen checkpoint evaluations marked as resting on the
    undone batch and alerts withdrawn."""

    new: tuple[Transition, ...] = ()
    worsened: tuple[Transition, ...] = ()
    recovered: tuple[Transition, ...] = ()
    frozen: int = 0
    evaluated: int = 0
    withdrawn_snapshots: int = 0
    withdrawn_alerts: int = 0

    @property
    def text(self) -> str:
        tail = f"；重新评价 {self.evaluated} 个项目；新冻结检查点评价 {self.frozen} 个。"
        if self.withdrawn_snapshots or self.withdrawn_alerts:
            tail = (f"{tail[:-1]}；{self.withdrawn_snapshots} 个已冻结的检查点评价基于已撤销的台账批次"
                    f"（已标记，待财务确认后重新冻结），撤回预警 {self.withdrawn_alerts} 条。")
        if not (self.new or self.worsened or self.recovered):
            return "项目状态无变化" + tail
        parts = []
        for label, items in (("新增预警", self.new), ("恶化", self.worsened), ("好转", self.recovered)):
            if items:
                names = "、".join(t.name for t in items[:5]) + ("等" if len(items) > 5 else "")
                parts.append(f"{label} {len(items)} 个（{names}）")
        return "；".join(parts) + tail


def summarize_changes(session: Session, project_ids: Iterable[int], as_of: date, *,
                      withdrawn: tuple[int, int] = (0, 0)) -> ChangeSummary:
    """After a ledger import (or undo): freeze the checkpoints the ledger now covers, refresh
    the current status of ``project_ids`` (``as_of`` = today, local date), raise the alerts
    and return the summary (``withdrawn``: snapshots marked and alerts withdrawn by an undo).
    Bulk: one evaluation per date for all the projects, never one per project."""
    ids = sorted(set(project_ids))
    if not ids:
        return ChangeSummary(withdrawn_snapshots=withdrawn[0], withdrawn_alerts=withdrawn[1])
    frozen = freeze_checkpoints(session, as_of, ids)
    transitions = refresh_daily(session, as_of, ids)
    evaluated = session.scalar(select(func.count(Project.id)).where(
        Project.id.in_(ids), Project.year.in_([as_of.year - 1, as_of.year]))) or 0
    return ChangeSummary(
        new=tuple(t for t in transitions if t.kind.startswith("turned")),
        worsened=tuple(t for t in transitions if t.kind == "worsened"),
        recovered=tuple(t for t in transitions if t.kind == "recovered"),
        frozen=len(frozen), evaluated=evaluated,
        withdrawn_snapshots=withdrawn[0], withdrawn_alerts=withdrawn[1])


def _alert(evaluation: ProjectEvaluation, kind: str, message: str,
           key: str | None = None, basis: list[int] | None = None) -> dict[str, Any]:
    # as_of: the date the evaluation speaks of (mail and page links open the project there):
    # the checkpoint, or the day of the refresh (12-31 for last year's projects)
    return {"unit_id": evaluation.unit_id, "project_id": evaluation.project_id, "kind": kind,
            "severity": evaluation.overall, "as_of": evaluation.as_of, "message": message, "key": key,
            "basis_batch_ids": basis}
