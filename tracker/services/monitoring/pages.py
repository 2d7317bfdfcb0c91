"""What the monitoring pages show: one project at a date (each checkpoint's frozen value
beside today's recomputation, progress and explanation history) and the overview."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker.core.plan import monitoring_cutoff
from tracker.models import DeviationExplanation, Indicator, ProgressReport, Project, Snapshot
from tracker.services.monitoring.evaluate import (
    IndicatorEvaluation,
    ProjectEvaluation,
    evaluate,
    evaluate_dates,
)
from tracker.services.monitoring.projects import load_projects
from tracker.services.settings import monitoring_settings


@dataclass(frozen=True)
class CheckpointRow:
    checkpoint: date
    frozen: Snapshot | None
    now: ProjectEvaluation
    history: tuple[Snapshot, ...] = ()  # earlier frozen versions (re-frozen), newest first


@dataclass
class ProjectMonitoring:
    """What the monitoring page of one project shows at ``as_of``."""

    project: Project
    as_of: date
    evaluation: ProjectEvaluation
    frozen: Snapshot | None  # the frozen checkpoint evaluation at as_of, if any
    checkpoints: list[CheckpointRow]
    indicators: list[tuple[Indicator, IndicatorEvaluation]]
    history: dict[int, list[ProgressReport]]
    explanations: list[DeviationExplanation] = field(default_factory=list)
    cutoff: date | None = None


def project_monitoring(session: Session, project: Project, as_of: date) -> ProjectMonitoring:
    """One project at ``as_of`` (which must fall in the project's year), with each checkpoint's
    frozen value beside today's recomputation, and the progress and explanation history."""
    if as_of.year != project.year:
        raise ValueError(f"判断日期应在项目年度（{project.year}年）内")
    settings = monitoring_settings(session)
    checkpoints = load_projects(session, [project.year], [project.id], settings)[0].checkpoints
    evaluations = evaluate_dates(session, [as_of, *checkpoints], [project.id])
    evaluation = evaluations[as_of][project.id]
    frozen = {s.as_of: s for s in session.scalars(select(Snapshot).where(
        Snapshot.project_id == project.id, Snapshot.kind == "checkpoint", Snapshot.frozen.is_(True)))}
    replaced: dict[date, list[Snapshot]] = defaultdict(list)
    for old in session.scalars(select(Snapshot).where(
            Snapshot.project_id == project.id, Snapshot.kind == "replaced")
            .order_by(Snapshot.version.desc())):
        replaced[old.as_of].append(old)
    rows = [CheckpointRow(c, frozen.get(c), evaluations[c][project.id], tuple(replaced.get(c, ())))
            for c in checkpoints]
    by_id = {i.indicator_id: i for i in evaluation.indicators}
    history: dict[int, list[ProgressReport]] = defaultdict(list)
    for report in session.scalars(select(ProgressReport).where(ProgressReport.project_id == project.id)
                                  .order_by(ProgressReport.reported_on.desc(), ProgressReport.id.desc())):
        history[report.indicator_id].append(report)
    explanations = list(session.scalars(select(DeviationExplanation).where(
        DeviationExplanation.project_id == project.id).order_by(DeviationExplanation.id.desc())))
    return ProjectMonitoring(
        project=project, as_of=as_of, evaluation=evaluation, frozen=frozen.get(as_of),
        checkpoints=rows, indicators=[(i, by_id[i.id]) for i in project.indicators],
        history=history, explanations=explanations,
        cutoff=monitoring_cutoff(project.year, settings))


OVERALL_ORDER = {"red": 0, "yellow": 1, "green": 2, "blue": 3, "grey": 4}


def overview(session: Session, as_of: date, project_ids: Iterable[int] | None) -> list[tuple[Project, ProjectEvaluation]]:
    """Every (visible) project of ``as_of``'s year with its evaluation, worst first (the
    export; the page shows ``overview_page``)."""
    evaluations = evaluate(session, as_of, project_ids)
    projects = {p.id: p for start in range(0, len(evaluations), 1000) for p in session.scalars(
        select(Project).where(Project.id.in_(list(evaluations)[start:start + 1000])))}
    rows = [(projects[pid], e) for pid, e in evaluations.items()]
    return sorted(rows, key=lambda r: (OVERALL_ORDER[r[1].overall], r[0].unit_id, r[0].id))


def overview_order(session: Session, as_of: date, project_ids: Iterable[int] | None) -> list[tuple[int, str]]:
    """(project id, overall colour) of every (visible) project of ``as_of``'s year, worst
    first, then by unit and id: the overview's order and counts, small enough to keep
    (50,000 pairs) so that a page evaluates only its own projects."""
    evaluations = evaluate(session, as_of, project_ids)
    ordered = sorted(evaluations.values(), key=lambda e: (OVERALL_ORDER[e.overall], e.unit_id, e.project_id))
    return [(e.project_id, e.overall) for e in ordered]


def overview_page(session: Session, as_of: date, project_ids: list[int]) -> list[tuple[Project, ProjectEvaluation]]:
    """The projects ``project_ids`` (one page, in that order) with their evaluation at ``as_of``."""
    if not project_ids:
        return []
    evaluations = evaluate(session, as_of, project_ids)
    projects = {p.id: p for p in session.scalars(
        select(Project).where(Project.id.in_(project_ids)).options(selectinload(Project.unit)))}
    return [(projects[pid], evaluations[pid]) for pid in project_ids if pid in evaluations]


def colour_counts(colours: Iterable[str]) -> dict[str, int]:
    counts = {colour: 0 for colour in OVERALL_ORDER}
    for colour in colours:
        counts[colour] += 1
    return counts


def default_as_of(year: int, today: date) -> date:
    """Today inside the project's year; its 12-31 for a past year, 01-01 for a future one."""
    if year < today.year:
        return date(year, 12, 31)
    if year > today.year:
        return date(year, 1, 1)
    return today
