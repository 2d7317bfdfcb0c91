"""领导驾驶舱: what the cockpit page shows one user for a year, a unit filter and a date.

Scope: unit staff see their own units' projects and alerts only; every other role sees all.
``choose`` settles the year, unit and date from what was asked (saying what it changed);
``gather`` reads 双监控 (``monitoring.evaluate.evaluate``) at the date, the money of every project at
each month end of the year (the department curve and the unit × checkpoint matrix), the
indicators' 一级, the newest 偏差说明 of each lagging project dated on or before the date, and
the user's unread alerts of that year.  Nothing is written.

Month ends: a full evaluation per month end would judge every indicator twelve more times
for nothing (the curve and the matrix show money only).  Money at a month end is read from
the homes ``evaluate`` reads it from: spending (``spending.spent_at_month_ends``, the month
totals of ``spending.spent_through``), the plan curve (``monitoring.projects.plan_curves``)
and ledger coverage (``spending.ledger_closed_through``), in three grouped queries;
``tests/services/test_cockpit.py`` checks it equals ``evaluate`` at every month end.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from tracker.core.money import ledger_covers
from tracker.core.plan import month_end, monitoring_cutoff
from tracker.core.settings import MonitoringSettings
from tracker.models import (
    Alert,
    AlertRead,
    DeviationExplanation,
    Indicator,
    Project,
    Unit,
    User,
)
from tracker.core.labels import ALERT_KINDS, CAUSES, LIKELIHOODS
from tracker.reports.cockpit import (
    ALERTS_COUNTED,
    AlertLine,
    CockpitInput,
    ExplanationFacts,
    IndicatorResult,
    MonthEndMoney,
    ProjectRow,
)
from tracker.services.bulk_read import plain_rows
from tracker.services.monitoring.evaluate import ProjectEvaluation, evaluate
from tracker.services.monitoring.projects import STANDARD_CHECKPOINTS, plan_curves
from tracker.services.opening_date import (
    CheckpointChoice,
    OpeningDate,
    checkpoint_choices,
    default_year,
    opening_date,
)
from tracker.services.settings import monitoring_settings
from tracker.services.spending import ledger_closed_through, spent_at_month_ends

LAGGING = ("red", "yellow")
CHUNK = 500
ZERO = Decimal("0.00")
ALERTS_READ = 1000  # unread alerts read for the export at most (its sheet says how many there are)


@dataclass(frozen=True)
class Selection:
    """The year, unit filter and date the page shows, what could be chosen, and notes on
    anything changed from what was asked."""

    years: tuple[int, ...]  # years with visible projects, newest first
    year: int | None  # None: no visible project at all
    units: tuple[tuple[int, str], ...]  # (id, label) of visible units with projects that year
    unit_id: int | None
    as_of: date
    notes: tuple[str, ...] = ()
    opening: OpeningDate | None = None  # set when the date is the default (why it was chosen)

    @property
    def checkpoints(self) -> tuple[CheckpointChoice, ...]:
        """3月底/6月底/10月底/12月底 of the year, offered as one-click dates."""
        return () if self.year is None else checkpoint_choices(self.year)


def visible(query: Select[Any], user: User) -> Select[Any]:
    """Limit a project query to what ``user`` may see (unit staff: their own units)."""
    if user.sees_everything:
        return query
    return query.where(Project.unit_id.in_([unit.id for unit in user.units]))


@dataclass(frozen=True)
class Choices:
    """What the user can choose from: the years with projects they see (newest first) and,
    per year, the (id, label) of those units with projects, by code and name."""

    years: tuple[int, ...]
    units: Mapping[int, tuple[tuple[int, str], ...]]


def choices(session: Session, user: User) -> Choices:
    """The years and units ``user`` can choose from (one grouped query)."""
    units: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for year, uid, code, name in session.execute(visible(
            select(Project.year, Unit.id, Unit.code, Unit.name).join(Unit, Project.unit_id == Unit.id)
            .distinct().order_by(Project.year.desc(), Unit.code, Unit.name), user)):
        units[year].append((uid, f"{code} {name}".strip()))
    return Choices(tuple(units), {year: tuple(found) for year, found in units.items()})


def choose(session: Session, user: User, *, year: int | None, unit_id: int | None,
           as_of: str, today: date, offered: Choices | None = None) -> Selection:
    """The year (asked, else ``opening_date.default_year``), the unit (only one the user may
    see) and the date: the one asked, moved to the year's first or last day when it lies
    outside the year; by default the latest date the shown units' ledgers cover
    (``opening_date.opening_date``, whose note says so).  ``offered``: ``choices(session,
    user)`` when already read."""
    notes: list[str] = []
    offered = offered or choices(session, user)
    years = offered.years
    if not years:
        return Selection((), None, (), None, today, ())
    if year is not None and year not in years:
        notes.append(f"{year} 年没有可查看的项目，已改为显示其他年度。")
        year = None
    if year is None:
        year = default_year(years, today)
        assert year is not None
    units = offered.units[year]
    if unit_id is not None and unit_id not in {uid for uid, _ in units}:
        notes.append("所选单位在该年度没有可查看的项目，已显示全部单位。")
        unit_id = None
    shown = [uid for uid, _ in units if unit_id is None or uid == unit_id]
    day, note, opening = _as_of(as_of, year, lambda: opening_date(session, year, shown, today))
    return Selection(years, year, units, unit_id, day, tuple(notes + ([note] if note else [])), opening)


def _as_of(text: str, year: int,
           opening: Callable[[], OpeningDate]) -> tuple[date, str | None, OpeningDate | None]:
    """The date asked (moved into ``year``), else the opening date; a note on any change."""
    text = text.strip()
    if not text:
        default = opening()
        return default.as_of, None, default
    try:
        chosen = date.fromisoformat(text)
    except ValueError:
        default = opening()
        return default.as_of, f"日期“{text}”无效，已按 {default.as_of.isoformat()} 计算。", default
    if chosen.year == year:
        return chosen, None, None
    moved = date(year, 12, 31) if chosen.year > year else date(year, 1, 1)
    edge = "年末" if moved.month == 12 else "年初"
    return moved, f"所选日期 {chosen.isoformat()} 不在 {year} 年内，已按{edge} {moved.isoformat()} 计算。", None


def scope(user: User) -> frozenset[int] | None:
    """The units whose projects ``user`` sees; None: every unit.  What ``gather`` reads
    depends on the user through this alone (besides the alerts)."""
    return None if user.sees_everything else frozenset(unit.id for unit in user.units)


def gather(session: Session, user: User, selection: Selection, *,
           alerts: bool = True) -> CockpitInput | None:
    """Everything the page needs at ``selection``; None when there is no project to show.
    ``alerts=False``: without the user's unread alerts (``unread_alerts``), so the rest
    depends on ``scope(user)`` and the data only."""
    if selection.year is None:
        return None
    year, as_of = selection.year, selection.as_of
    settings = monitoring_settings(session)
    scoped = visible(select(Project.id).where(Project.year == year), user)
    if selection.unit_id is not None:
        scoped = scoped.where(Project.unit_id == selection.unit_id)
    ids = list(session.scalars(scoped))
    if not ids:
        return None
    everything = user.sees_everything and selection.unit_id is None
    names = dict(session.execute(select(Project.id, Project.name).where(Project.id.in_(scoped))).all())
    now = evaluate(session, as_of, None if everything else ids)
    rows = [_row(e, names[pid]) for pid, e in now.items()]
    cutoff = monitoring_cutoff(year, settings)
    shown = _shown_units(selection)
    listed, total = unread_alerts(session, user, selection) if alerts else ([], 0)
    return CockpitInput(
        year=year, as_of=as_of, settings=settings,
        units={uid: name for uid, name in session.execute(
            select(Unit.id, Unit.name).where(Unit.id.in_(shown)).order_by(Unit.code, Unit.name))},
        projects=rows,
        month_ends=month_end_money(session, year, scoped, rows, settings),
        checkpoints=sorted({date(year, m, d) for m, d in STANDARD_CHECKPOINTS} | {cutoff}),
        cutoff=cutoff,
        indicators=_indicators(session, scoped, now),
        explanations=_explanations(session, [r.project_id for r in rows if r.money_status in LAGGING],
                                   as_of),
        alerts=listed, alerts_total=total,
        unit_id=selection.unit_id)


def unread_alerts(session: Session, user: User, selection: Selection, *,
                  limit: int | None = None) -> tuple[list[AlertLine], int]:
    """The user's unread alerts of the selected year for the units shown, newest first, at
    most ``limit`` of them, and how many there are in all (counted by the database when there
    are more than ``limit``: the page lists ten and must not read thousands to count them; at
    most ``ALERTS_COUNTED + 1``, see ``alert_count_text``)."""
    if selection.year is None:
        return [], 0
    shown = _shown_units(selection)
    limit = ALERTS_READ if limit is None else limit
    listed = _alerts(session, user, selection.year, shown, limit=limit)
    if len(listed) < limit:
        return listed, len(listed)
    return listed, _alert_count(session, user, selection.year, shown)


def _shown_units(selection: Selection) -> set[int]:
    return {uid for uid, _ in selection.units if selection.unit_id is None or uid == selection.unit_id}


def _row(evaluation: ProjectEvaluation, name: str) -> ProjectRow:
    money = evaluation.money
    return ProjectRow(
        project_id=evaluation.project_id, unit_id=evaluation.unit_id, name=name,
        budget=evaluation.budget, spent=evaluation.spent, execution_rate=money.execution_rate,
        planned_pct=money.planned_pct, ratio=money.ratio, gap_points=money.gap_points,
        money_status=money.status, results=evaluation.results, overall=evaluation.overall,
        ledger_covered=evaluation.ledger_covered, forecast=evaluation.forecast.by_plan,
        carry_over=evaluation.forecast.carry_over_by_plan, money_note=money.note)


def month_end_money(session: Session, year: int, scoped: Select[Any], rows: Iterable[ProjectRow],
                    settings: MonitoringSettings) -> dict[date, list[MonthEndMoney]]:
    """``rows`` (the projects at the date) at every month end of ``year``: cumulative spending
    (``spending.spent_at_month_ends``), planned % (``plan_curves``) and ledger coverage
    (``spending.ledger_closed_through``), the very readers ``evaluate`` uses."""
    rows = list(rows)
    spent = spent_at_month_ends(session, year, scoped)
    plans = plan_curves(session, year, [r.project_id for r in rows], settings)
    closed = ledger_closed_through(session, {r.unit_id for r in rows})
    days = [month_end(year, month) for month in range(1, 13)]
    covered = {uid: [ledger_covers(closed.get(uid), day) for day in days] for uid in {r.unit_id for r in rows}}
    result: dict[date, list[MonthEndMoney]] = {day: [] for day in days}
    columns = [result[day] for day in days]
    planned: dict[int, list[Decimal]] = {}  # id of a (shared) curve → its value at each month end
    nothing = [ZERO] * 12
    for row in rows:
        plan = plans[row.project_id]
        if id(plan) not in planned:
            planned[id(plan)] = [plan.at(day) for day in days]
        for column, total, pct, reached in zip(columns, spent.get(row.project_id, nothing),
                                               planned[id(plan)], covered[row.unit_id]):
            column.append(MonthEndMoney(row.project_id, row.unit_id, row.budget, total, pct, reached))
    return result


def _indicators(session: Session, scoped: Select[Any],
                evaluations: dict[int, ProjectEvaluation]) -> list[IndicatorResult]:
    statuses = {i.indicator_id: i.status for e in evaluations.values() for i in e.indicators}
    results = []
    for iid, pid, level1, name, target in plain_rows(session, select(
            Indicator.id, Indicator.project_id, Indicator.level1, Indicator.name, Indicator.target_raw)
            .where(Indicator.project_id.in_(scoped))
            .order_by(Indicator.project_id, Indicator.position, Indicator.id)):
        status = statuses.get(iid)
        if status is not None:
            results.append(IndicatorResult(pid, level1, name, target, status.colour, status.label,
                                           status.report_overdue))
    return results


def _explanations(session: Session, project_ids: Iterable[int], as_of: date) -> dict[int, ExplanationFacts]:
    """The newest 偏差说明 of each project with a checkpoint on or before ``as_of``."""
    ids = sorted(set(project_ids))
    found: dict[int, ExplanationFacts] = {}
    for start in range(0, len(ids), CHUNK):
        for e in session.scalars(
                select(DeviationExplanation)
                .where(DeviationExplanation.project_id.in_(ids[start:start + CHUNK]),
                       DeviationExplanation.as_of <= as_of)
                .order_by(DeviationExplanation.as_of.desc(), DeviationExplanation.id.desc())):
            found.setdefault(e.project_id, ExplanationFacts(
                as_of=e.as_of, causes=tuple(CAUSES.get(c, c) for c in e.causes),
                likelihood=LIKELIHOODS.get(e.likelihood, e.likelihood), reason=e.reason,
                corrective_actions=e.corrective_actions, actor=e.actor))
    return found


def _unread(user: User, year: int, unit_ids: set[int]) -> list[ColumnElement[bool]]:
    """The conditions of ``user``'s unread alerts of ``year`` for ``unit_ids``."""
    read = select(AlertRead.alert_id).where(AlertRead.user_id == user.id)
    return [Alert.unit_id.in_(sorted(unit_ids)), Alert.as_of >= date(year, 1, 1),
            Alert.as_of <= date(year, 12, 31), Alert.id.not_in(read)]


def _alerts(session: Session, user: User, year: int, unit_ids: set[int], *,
            limit: int) -> list[AlertLine]:
    """The user's unread alerts of ``year`` for ``unit_ids`` (units the user sees), newest
    first, at most ``limit``."""
    return [AlertLine(aid, ALERT_KINDS.get(kind, kind), severity, as_of, message, project_id)
            for aid, kind, severity, as_of, message, project_id in session.execute(
                select(Alert.id, Alert.kind, Alert.severity, Alert.as_of, Alert.message, Alert.project_id)
                .where(*_unread(user, year, unit_ids))
                .order_by(Alert.id.desc()).limit(limit))]


def _alert_count(session: Session, user: User, year: int, unit_ids: set[int]) -> int:
    """How many unread alerts there are, counted up to ``ALERTS_COUNTED + 1`` (a page view must
    not count a province's year of alerts; ``reports.cockpit.alert_count_text`` says "more than")."""
    found = select(Alert.id).where(*_unread(user, year, unit_ids)).limit(ALERTS_COUNTED + 1).subquery()
    return session.scalar(select(func.count()).select_from(found)) or 0
