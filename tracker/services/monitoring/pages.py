"""What the monitoring pages show: one project at a date (each checkpoint's frozen value
beside today's recomputation, progress and explanation history) and the overview."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from tracker.core.plan import monitoring_cutoff
from tracker.core.settings import MonitoringSettings
from tracker.models import (
    DeviationExplanation,
    Indicator,
    LedgerRow,
    ProgressReport,
    Project,
    ProjectMonthSpending,
    Snapshot,
)
from tracker.services.adjustments import versions_at_dates
from tracker.services.bulk_read import as_date, stored_int
from tracker.services.monitoring.evaluate import (
    ZERO,
    ColourMemo,
    IndicatorEvaluation,
    IndicatorJudge,
    LatestReport,
    ProjectEvaluation,
    evaluate,
    evaluate_project,
    target_text,
)
from tracker.services.monitoring.projects import PlanReader, project_inputs, project_rows
from tracker.services.monitoring.settings import reminder_settings
from tracker.services.settings import monitoring_settings
from tracker.services.spending import counted_rows, ledger_closed_through, month_end


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
    reports = list(session.scalars(select(ProgressReport).where(ProgressReport.project_id == project.id)
                                   .order_by(ProgressReport.reported_on.desc(), ProgressReport.id.desc())))
    explanations = list(session.scalars(select(DeviationExplanation).where(
        DeviationExplanation.project_id == project.id).order_by(DeviationExplanation.id.desc())))
    checkpoints, evaluations = project_at_dates(session, project, as_of, settings, reports, explanations)
    evaluation = evaluations[as_of]
    frozen: dict[date, Snapshot] = {}
    replaced: dict[date, list[Snapshot]] = defaultdict(list)
    for snapshot in session.scalars(select(Snapshot).where(  # one read: frozen and replaced
            Snapshot.project_id == project.id, Snapshot.kind.in_(("checkpoint", "replaced")))
            .order_by(Snapshot.version.desc(), Snapshot.id.desc())):
        if snapshot.kind == "replaced":
            replaced[snapshot.as_of].append(snapshot)
        elif snapshot.frozen:
            frozen.setdefault(snapshot.as_of, snapshot)
    rows = [CheckpointRow(c, frozen.get(c), evaluations[c], tuple(replaced.get(c, ())))
            for c in checkpoints]
    by_id = {i.indicator_id: i for i in evaluation.indicators}
    history: dict[int, list[ProgressReport]] = defaultdict(list)
    for report in reports:
        history[report.indicator_id].append(report)
    return ProjectMonitoring(
        project=project, as_of=as_of, evaluation=evaluation, frozen=frozen.get(as_of),
        checkpoints=rows, indicators=[(i, by_id[i.id]) for i in project.indicators],
        history=history, explanations=explanations,
        cutoff=monitoring_cutoff(project.year, settings))


def project_at_dates(session: Session, project: Project, as_of: date, settings: MonitoringSettings,
                     reports: Sequence[ProgressReport], explanations: Sequence[DeviationExplanation]
                     ) -> tuple[tuple[date, ...], dict[date, ProjectEvaluation]]:
    """The project's checkpoints and its evaluation at ``as_of`` and at each of them: what
    ``evaluate_dates`` gives for it (``tests/services/test_monitoring_pages_batch.py``
    compares them), from one read of each input instead of a spending, likelihood and
    indicator query per date.  ``reports`` are the project's progress reports newest first
    (by date, then by entry) and ``explanations`` its 偏差说明, as the page reads them anyway;
    the rules are ``evaluate``'s own (``IndicatorJudge``, ``evaluate_project``)."""
    grace = timedelta(days=reminder_settings(session).progress_due_days)
    rows, plans = project_rows(session, [project.year], [project.id]), PlanReader([project.year], settings)
    checkpoints = project_inputs(rows, plans, None)[0].checkpoints
    days = sorted({as_of, *checkpoints})
    versions = versions_at_dates(session, days, [project.id])
    closed = ledger_closed_through(session, [project.unit_id]).get(project.unit_id)
    spent = _spent_at(session, project.id, days)
    indicators = sorted(project.indicators, key=lambda i: (i.position, i.id))  # the query's order
    texts = {i.id: _indicator_text(i) for i in indicators}
    report_texts = {r.id: _report_text(r) for r in reports}
    latest_first = sorted(explanations, key=lambda e: (e.as_of, e.id), reverse=True)
    results: dict[date, ProjectEvaluation] = {}
    for day in days:
        (inputs,) = project_inputs(rows, plans, versions[day])
        targets = {iid: target_text(t) for v in versions[day].values() for iid, t in v.targets.items()}
        likely = next((e.likelihood for e in latest_first
                       if date(day.year, 1, 1) <= e.as_of <= day), None)
        overdue = day > inputs.checkpoints[0] + grace
        judge = IndicatorJudge(day, settings)
        evaluated = []
        for indicator in indicators:
            counts = next((r for r in reports if r.indicator_id == indicator.id and r.reported_on <= day), None)
            reported = None if counts is None else report_texts[counts.id]
            status = judge.judge(overdue, targets.get(indicator.id, texts[indicator.id]), reported,
                                 judge.names[indicator.name], likely)
            report = None if counts is None else LatestReport(counts.id, counts.reported_on, *judge.reports[reported])
            evaluated.append(IndicatorEvaluation(indicator.id, report, status))
        results[day] = evaluate_project(inputs, day, day, spent.get(day, ZERO), closed, tuple(evaluated),
                                         settings, ColourMemo())
    return checkpoints, results


def _indicator_text(indicator: Indicator) -> str:
    """An indicator's own values as ``evaluate``'s indicator query packs them."""
    number = indicator.target_number
    return json.dumps([indicator.kind, indicator.op, None if number is None else int(number.scaleb(4)),
                       None if indicator.deadline is None else indicator.deadline.isoformat(),
                       indicator.target_unit])


def _report_text(report: ProgressReport) -> str:
    """A report's values as ``evaluate``'s indicator query packs them."""
    return json.dumps([None if report.value is None else int(report.value.scaleb(4)), report.achievement,
                       None if report.completed_on is None else report.completed_on.isoformat()])


def _spent_at(session: Session, project_id: int, days: Sequence[date]) -> dict[date, Decimal]:
    """``spending.spent_through`` of one project at each of ``days`` (one year): its month
    totals in one read, and the counted rows of the months a day ends inside in another."""
    months = dict(session.execute(select(ProjectMonthSpending.month, stored_int(ProjectMonthSpending.amount))
                                  .where(ProjectMonthSpending.project_id == project_id)).all())
    months = {as_date(month): amount for month, amount in months.items()}
    partial = [day for day in days if day != month_end(day)]
    by_day: dict[date, int] = {}
    if partial:
        by_day = {as_date(d): amount for d, amount in session.execute(
            counted_rows(select(LedgerRow.date, func.sum(stored_int(LedgerRow.amount))))
            .where(LedgerRow.project_id == project_id,
                   or_(*(and_(LedgerRow.date >= day.replace(day=1), LedgerRow.date <= day) for day in partial)))
            .group_by(LedgerRow.date)).all()}
    spent: dict[date, Decimal] = {}
    for day in days:
        start, whole = day.replace(day=1), day == month_end(day)
        before = month_end(day) if whole else start
        amounts = [a for m, a in months.items() if date(day.year, 1, 1) <= m < before]
        if not whole:
            amounts += [a for d, a in by_day.items() if start <= d <= day]
        if amounts:
            spent[day] = Decimal(sum(amounts)).scaleb(-2)
    return spent


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
