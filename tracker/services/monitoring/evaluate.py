"""双监控 of many projects at one or several dates: money (spending from
``tracker.services.spending``, the plan curve from ``projects``), every indicator with the
progress report that counts, and the overall colour.  Nothing is written."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import Connection, Date, Select, and_, bindparam, case, func, select, true
from sqlalchemy.orm import Session, aliased

from tracker.core.forecast import Forecast, forecast_year_end
from tracker.core.indicators import IndicatorStatus, is_level, judge_indicator, results_status
from tracker.core.labels import COLOUR_LABELS
from tracker.core.money import MoneyStatus, judge_money, ledger_covers, round_money
from tracker.core.settings import MonitoringSettings
from tracker.core.status import Colour, overall_status
from tracker.models import DeviationExplanation, Indicator, Project, ProgressReport
from tracker.services.adjustments import versions_at_dates
from tracker.services.bulk_read import (
    Converted,
    SideReads,
    as_date,
    cached_statement,
    fetch_tuples,
    jit_off,
    json_array,
    scaled,
    session_tuples,
    stored_int,
    stored_text,
)
from tracker.services.gc_pause import collector_paused
from tracker.services.monitoring.projects import (
    PlanReader,
    ProjectInput,
    project_filter,
    project_inputs,
    project_rows,
    statement_scope,
)
from tracker.services.monitoring.settings import reminder_settings
from tracker.services.settings import monitoring_settings
from tracker.services.spending import ledger_closed_through, spent_through

ZERO = Decimal("0.00")


class LatestReport(NamedTuple):
    """The report that counts for an indicator at a date: the newest by date, then by entry."""

    report_id: int
    reported_on: date
    value: Decimal | None
    achievement: str | None
    completed_on: date | None


class IndicatorEvaluation(NamedTuple):
    indicator_id: int
    report: LatestReport | None
    status: IndicatorStatus


class ProjectEvaluation(NamedTuple):
    """Everything 双监控 says about one project at ``as_of`` (money at ``money_as_of``).
    (A named tuple like the other results here: immutable, and made in a fifth of the time
    of a frozen dataclass with thirteen fields, which counts at 10,000 projects.)"""

    project_id: int
    unit_id: int
    as_of: date
    money_as_of: date
    budget: Decimal  # 全年预算数, 元
    spent: Decimal  # 累计支出, 元
    money: MoneyStatus
    ledger_closed_through: date | None
    ledger_covered: bool
    forecast: Forecast
    indicators: tuple[IndicatorEvaluation, ...]
    results: Colour
    overall: Colour

    @property
    def overall_label(self) -> str:
        return COLOUR_LABELS[self.overall]

    def snapshot_values(self) -> dict[str, Any]:
        """Column values of a ``Snapshot`` (exact: 分 and 1/10000 of a point)."""
        return {
            "project_id": self.project_id, "as_of": self.as_of, "money_as_of": self.money_as_of,
            "budget": self.budget, "spent": self.spent,
            "execution_rate": _pct(self.money.execution_rate),
            "planned_pct": _pct(self.money.planned_pct),
            "gap_points": _pct(self.money.gap_points), "ratio": _pct(self.money.ratio),
            "money_status": self.money.status, "money_note": self.money.note,
            "ledger_closed_through": self.ledger_closed_through,
            "ledger_covered": self.ledger_covered,
            "results_status": self.results, "overall_status": self.overall,
            "forecast": round_money(self.forecast.by_plan),
            "carry_over": round_money(self.forecast.carry_over_by_plan),
            "forecast_run_rate": round_money(self.forecast.by_run_rate),
            "carry_over_run_rate": round_money(self.forecast.carry_over_by_run_rate),
            "indicators": [_indicator_json(i) for i in self.indicators],
        }

def _pct(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _indicator_json(evaluation: IndicatorEvaluation) -> dict[str, Any]:
    report, status = evaluation.report, evaluation.status
    return {
        "id": evaluation.indicator_id, "colour": status.colour, "label": status.label,
        "value": None if report is None or report.value is None else str(report.value),
        "achievement": None if report is None else report.achievement,
        "reported_on": None if report is None else report.reported_on.isoformat(),
        "ratio": None if status.ratio is None else str(_pct(status.ratio)),
        "overdue": status.report_overdue,
    }


def target_text(target: Mapping[str, Any]) -> str:
    """An indicator's target of an earlier version, as ``_indicator_evaluations`` reads it."""
    number = target.get("target_number")
    return json.dumps([target.get("kind"), target.get("op"),
                       None if number is None else int(Decimal(number) * 10000), target.get("deadline"),
                       target.get("target_unit")])


class IndicatorJudge:
    """``judge_indicator`` at one date, from an indicator's stored values as
    ``_indicator_evaluations`` reads them: its own (kind, operator, target, deadline) and its
    report's (value, achievement, completed_on), each packed as the text of a JSON array, and
    its reporting deadline.  Each distinct text is read once and each distinct input judged
    once per evaluation (the core function is pure, so this changes nothing but the time
    taken).  ``reports`` is the memo of the report values read."""

    def __init__(self, as_of: date, settings: MonitoringSettings) -> None:
        self.as_of, self.settings = as_of, settings
        self.day_before = as_of - timedelta(days=1)
        days = self.days = Converted(as_date)
        numbers = Converted(lambda value: scaled(value, 4))

        def indicator(text: str) -> tuple[Any, ...]:  # (kind, op, target, deadline, a level by its op or unit)
            kind, op, target, deadline, unit = json.loads(text)
            return kind, op, numbers[target], days[deadline], is_level(op, unit, None)

        def report(text: str | None) -> tuple[Any, ...]:  # None: nothing reported yet
            value, achievement, completed_on = json.loads(text) if text else (None, None, None)
            return numbers[value], achievement, days[completed_on]

        # Conversions are functions over the other memos, never bound methods of the judge
        # (that would be a reference cycle, left for the paused garbage collector to find).
        self.indicators, self.reports = Converted(indicator), Converted(report)
        self.names = Converted(lambda name: is_level(None, None, name))  # name → a level's words

    def judge(self, overdue: bool, indicator: str, report: str | None, named_level: bool,
              likelihood: str | None) -> IndicatorStatus:
        """``overdue``: ``as_of`` is past the project's reporting deadline, all that the rules
        read of it (``judge_indicator`` compares the two and nothing else), so projects of
        different deadlines share their judgements; it is passed on as a deadline the day
        before ``as_of`` (overdue) or none."""
        kind, op, target, deadline, level = self.indicators[indicator]
        value, achievement, completed_on = self.reports[report]
        try:
            return judge_indicator(kind, op, target, deadline, value, achievement, completed_on,
                                   self.as_of, self.settings, self.day_before if overdue else None,
                                   level=named_level or level, likelihood=likelihood)
        except ValueError as error:  # an indicator the importer could not parse fully
            return IndicatorStatus("grey", COLOUR_LABELS["grey"], note=str(error))


def evaluate(session: Session, as_of: date, project_ids: Iterable[int] | None = None, *,
             money_at_ledger_date: bool = False) -> dict[int, ProjectEvaluation]:
    """双监控 of the projects of ``as_of``'s year (all of them, or those of ``project_ids``;
    projects of other years are skipped) at ``as_of``.

    ``money_at_ledger_date``: judge money at min(as_of, the unit's ledger closed-through
    date) when that lies in the year — the current status; otherwise money is judged at
    ``as_of`` and is grey “台账未覆盖” when the ledger does not reach it.
    """
    with collector_paused():
        return _evaluate_dates(session, [as_of], project_ids, money_at_ledger_date)[as_of]


def evaluate_dates(session: Session, dates: Iterable[date], project_ids: Iterable[int] | None = None,
                   *, money_at_ledger_date: bool = False) -> dict[date, dict[int, ProjectEvaluation]]:
    """``evaluate`` at each of ``dates`` (a project page: today and every checkpoint), the
    same results, reading once what does not depend on the date: settings, adjustments,
    projects and plans, ledger coverage, and the indicator query (built once, run per date)."""
    with collector_paused():
        return _evaluate_dates(session, dates, project_ids, money_at_ledger_date)



#: Evaluations of at least this many projects read their indicators on a second connection
#: (``SideReads``: PostgreSQL, a transaction that has written nothing), a range of projects at
#: a time, while this thread reads projects and spending, judges money and then takes the
#: indicators of one range as the server reads the next.
SIDE_READS_FROM = 2000
#: Projects per range of the indicator query read on the second connection.
SIDE_RANGE_PROJECTS = 5000
#: Ranges the second connection may read before this thread takes them: a whole date's (ten
#: at 50,000 projects), so the server never waits while money is judged; rows of about one
#: date are held, as reading them at once would.
SIDE_RANGES_AHEAD = 12


def _evaluate_dates(session: Session, dates: Iterable[date], project_ids: Iterable[int] | None,
                    money_at_ledger_date: bool) -> dict[date, dict[int, ProjectEvaluation]]:
    ids = None if project_ids is None else sorted(set(project_ids))
    days = sorted(set(dates))
    side = None
    if ids is None or len(ids) >= SIDE_READS_FROM:
        ranged = cached_statement(session, ("indicators", "range" if ids is None else "ids"),
                                  lambda: _indicator_query(session, "range" if ids is None else "ids"))
        side = SideReads.open(session, lambda connection: _indicator_ranges(
            connection, ranged, days, ids, not money_at_ledger_date), ahead=SIDE_RANGES_AHEAD)
    with jit_off(session):
        if side is None:
            return _evaluate_all(session, days, ids, money_at_ledger_date, None)
        with side:
            return _evaluate_all(session, days, ids, money_at_ledger_date, side)


def _indicator_ranges(connection: Connection, query: Select[Any], days: Sequence[date],
                      ids: Sequence[int] | None, spent: bool) -> Iterator[tuple[date, str, Any]]:
    """On the second connection (``SideReads``): per date, with ``spent`` first the spending
    at the date (date, "spent", ``spent_through`` of ``ids``: money judged at the date itself,
    the partial month's rows summed while the session reads the projects), then the rows of
    ``_indicator_query`` a range of projects at a time in project order (date, "rows", rows),
    then (date, "end", None).  Without JIT: each range is index probes, and compiling it took
    PostgreSQL 12–20 ms a range (its EXPLAIN ANALYZE at 50,000 indicators), 4–5 % of the
    range's time."""
    connection.exec_driver_sql("SET LOCAL jit = off")
    for as_of in days:
        if spent:
            with Session(bind=connection) as reading:  # closed before the yield; the connection stays
                amounts = spent_through(reading, as_of, ids)
            yield as_of, "spent", amounts
        scope = statement_scope([as_of.year], ids)
        if ids is None:
            low, high, count = connection.execute(
                select(func.min(Project.id), func.max(Project.id), func.count())
                .where(Project.year == as_of.year)).one()
            if count:
                parts = max(1, min(32, round(count / SIDE_RANGE_PROJECTS)))
                step = (high - low) // parts + 1
                for start in range(low, high + 1, step):
                    yield as_of, "rows", fetch_tuples(connection, query, {
                        "as_of": as_of, **scope, "low": start, "high": start + step - 1})
        else:
            for start in range(0, len(ids), SIDE_RANGE_PROJECTS):
                part = ids[start:start + SIDE_RANGE_PROJECTS]
                yield as_of, "rows", fetch_tuples(connection, query, {"as_of": as_of, **scope, "ids": part})
        yield as_of, "end", None


def _evaluate_all(session: Session, days: Sequence[date], ids: Sequence[int] | None,
                  money_at_ledger_date: bool, side: SideReads | None) -> dict[date, dict[int, ProjectEvaluation]]:
    settings = monitoring_settings(session)
    reminders = reminder_settings(session)
    grace = timedelta(days=reminders.progress_due_days)
    versions = versions_at_dates(session, days, ids)
    stored: dict[int, tuple[list[Any], PlanReader]] = {}  # per year
    closed: dict[int, date] = {}
    closed_units: set[int] | None = set()  # units whose coverage was read (None: all)
    spent_memo: dict[tuple[date, tuple[int, ...] | None], dict[int, Decimal]] = {}
    results: dict[date, dict[int, ProjectEvaluation]] = {}
    for as_of in days:
        year = as_of.year
        if year not in stored:
            stored[year] = (project_rows(session, [year], ids), PlanReader([year], settings))
        rows, plans = stored[year]
        projects = project_inputs(rows, plans, versions[as_of])
        if not projects:
            if side is not None:
                for _ in _side_items(side, as_of, ("spent", "rows")):  # read and dropped: nothing to judge
                    pass
            results[as_of] = {}
            continue
        if closed_units is not None:
            if ids is None:
                closed, closed_units = ledger_closed_through(session), None
            elif missing := {p.unit_id for p in projects} - closed_units:
                closed.update(ledger_closed_through(session, missing))
                closed_units |= missing
        money_dates = {p.id: _money_date(as_of, closed.get(p.unit_id), money_at_ledger_date)
                       for p in projects}
        spent: dict[date, dict[int, Decimal]] = {}
        distinct = set(money_dates.values())
        if side is not None and not money_at_ledger_date:  # read on the side (``_indicator_ranges``)
            spent[as_of] = next(_side_items(side, as_of, ("spent",)))
            distinct = set()
        for day in distinct:
            day_ids = None if ids is None and len(distinct) == 1 else \
                tuple(pid for pid, d in money_dates.items() if d == day)
            if (day, day_ids) not in spent_memo:
                spent_memo[day, day_ids] = spent_through(session, day, day_ids)
            spent[day] = spent_memo[day, day_ids]
        money = [_money_of(project, money_dates[project.id], spent[money_dates[project.id]].get(project.id, ZERO),
                           closed.get(project.unit_id), settings) for project in projects]
        likelihoods = _likelihoods(session, as_of, year, ids)
        if side is None:
            query = cached_statement(session, ("indicators", "every" if ids is None else "ids"),
                                     lambda: _indicator_query(session, "every" if ids is None else "ids"))
            chunks: Iterable[list[Any]] = (
                session_tuples(session, query, {"as_of": as_of, **statement_scope([year], ids)}),)
        else:
            chunks = _side_items(side, as_of, ("rows",))
        indicators = _indicator_evaluations(
            chunks, as_of, {p.id: p.checkpoints[0] + grace for p in projects}, settings,
            {iid: target_text(t) for v in versions[as_of].values() for iid, t in v.targets.items()},
            likelihoods)
        colours = ColourMemo()
        evaluations = results[as_of] = {}
        none = ()
        for project, money_side in zip(projects, money):
            found = indicators.get(project.id)
            evaluations[project.id] = _assembled(project, as_of, money_side,
                                                 none if found is None else tuple(found), colours)
    return results


def evaluate_project(project: ProjectInput, as_of: date, money_as_of: date, spent: Decimal,
                     closed: date | None, indicators: tuple[IndicatorEvaluation, ...],
                     settings: MonitoringSettings, colours: ColourMemo) -> ProjectEvaluation:
    """One project's evaluation from its inputs and its judged indicators: what ``evaluate``
    gives for it (for a page that read the project's own inputs, ``pages.project_at_dates``)."""
    return _assembled(project, as_of, _money_of(project, money_as_of, spent, closed, settings), indicators,
                      colours)


def _assembled(project: ProjectInput, as_of: date,
               money: tuple[date, Decimal, date | None, bool, MoneyStatus, Forecast],
               indicators: tuple[IndicatorEvaluation, ...], colours: ColourMemo) -> ProjectEvaluation:
    """The evaluation of ``project`` from its money side (``_money_of``) and its indicators,
    made with ``tuple.__new__`` (what the named tuple's ``__new__`` does, without its call)."""
    money_as_of, amount, ledger_closed, covered, judged, forecast = money
    result = colours.results_of(indicators)
    return tuple.__new__(ProjectEvaluation, (
        project.id, project.unit_id, as_of, money_as_of, project.budget, amount, judged,
        ledger_closed, covered, forecast, indicators, result, colours.overall_of(judged.colour, result)))


def _side_items(side: SideReads, as_of: date, kinds: tuple[str, ...]) -> Iterator[Any]:
    """What ``_indicator_ranges`` reads for ``as_of``, of ``kinds``, as it comes: up to the
    date's end (rows), or the one item (spent)."""
    while True:
        day, kind, item = side.next_item()
        if day != as_of or (kind != "end" and kind not in kinds):
            raise RuntimeError(f"{kind} of {day} read on the side while evaluating {as_of}")
        if kind == "end":
            return
        yield item
        if kind == "spent" and kinds == ("spent",):
            return


def _likelihoods(session: Session, as_of: date, year: int, ids: Sequence[int] | None) -> dict[int, str]:
    """Per project, the 完成目标可能性 of its newest 偏差说明 for a checkpoint on or before
    ``as_of`` (newest checkpoint, then the last entered).  Decision: the form asks for one
    likelihood per project, so a deadline indicator not yet due reads its project's (DOMAIN
    §2: "not yet due → green (按期推进) unless the reporter's 完成目标可能性 says 有可能 (yellow)
    or 完全不可能 (red)").  One query; explanations are few."""
    query = (select(DeviationExplanation.project_id, DeviationExplanation.likelihood)
             .where(DeviationExplanation.as_of <= as_of, DeviationExplanation.as_of >= date(year, 1, 1),
                    project_filter(DeviationExplanation.project_id, [year], ids))
             .order_by(DeviationExplanation.project_id, DeviationExplanation.as_of, DeviationExplanation.id))
    return {pid: likelihood for pid, likelihood in session.execute(query)}


def _indicator_query(session: Session, shape: str) -> Select[Any]:
    """The query of ``_indicator_evaluations``, with the date as the parameter ``as_of`` and
    the projects as ``statement_scope``'s: per indicator of the projects in order, its own values and the
    report that counts at ``as_of`` (reported_on ≤ as_of, the newest date, and of several on
    that date the last entered).

    There is a row per indicator (100,000 in the benchmark), so each costs as little as it
    can.  The driver converts every column of every row separately (on SQLite with the GIL
    released and taken back each time), so the values that repeat across indicators come as
    two texts, a JSON array each: the indicator's kind, operator, target and deadline, and
    its report's value, achievement and completion date (null without a report).  The texts
    are the memo keys and are read once each; only the ids, the report date and the name (a
    level's words, ``is_level``) are columns of their own."""
    array = json_array(session)
    as_of = bindparam("as_of", type_=Date())
    if session.get_bind().dialect.name == "postgresql":
        # LATERAL: one backward probe of ix_progress_report_latest (indicator_id, reported_on,
        # id) per indicator, rows already by project for the final order (an incremental sort
        # in memory).  The correlated subquery below made PostgreSQL hash every report and
        # run the probe again per join candidate, then sort 500,000 wide rows on disk:
        # 9.7 s against 3 s at 500,000 indicators.
        report = (select(ProgressReport.id, ProgressReport.reported_on, ProgressReport.value,
                         ProgressReport.achievement, ProgressReport.completed_on)
                  .where(ProgressReport.indicator_id == Indicator.id, ProgressReport.reported_on <= as_of)
                  .order_by(ProgressReport.reported_on.desc(), ProgressReport.id.desc()).limit(1)
                  .lateral("latest_report"))
        source = select(Indicator.project_id, Indicator.id, report.c.id, stored_text(report.c.reported_on),
                        array(Indicator.kind, Indicator.op, stored_int(Indicator.target_number),
                              Indicator.deadline, Indicator.target_unit), Indicator.name,
                        case((report.c.id.is_not(None), array(
                            stored_int(report.c.value), report.c.achievement, report.c.completed_on)))
                        ).outerjoin(report, true())
    else:  # SQLite: the correlated subquery is one index probe per indicator already
        other = aliased(ProgressReport)
        latest = (select(other.id).where(other.indicator_id == Indicator.id, other.reported_on <= as_of)
                  .order_by(other.reported_on.desc(), other.id.desc()).limit(1)
                  .correlate(Indicator).scalar_subquery())
        source = (select(Indicator.project_id, Indicator.id, ProgressReport.id, stored_text(ProgressReport.reported_on),
                         array(Indicator.kind, Indicator.op, stored_int(Indicator.target_number),
                               Indicator.deadline, Indicator.target_unit), Indicator.name,
                         case((ProgressReport.id.is_not(None), array(
                             stored_int(ProgressReport.value), ProgressReport.achievement,
                             ProgressReport.completed_on))))
                  .outerjoin(ProgressReport, ProgressReport.id == latest))
    years = Project.year.in_(bindparam("years", expanding=True))
    if shape == "ids":
        ids = bindparam("ids", expanding=True)
        scope = and_(Indicator.project_id.in_(ids),
                     Indicator.project_id.in_(select(Project.id).where(years, Project.id.in_(ids))))
    else:
        scope = Indicator.project_id.in_(select(Project.id).where(years))
        if shape == "range":  # the projects from ``low`` to ``high`` (``_indicator_ranges``)
            scope = and_(Indicator.project_id.between(bindparam("low"), bindparam("high")), scope)
    return (source.where(scope)
            .order_by(Indicator.project_id, Indicator.position, Indicator.id))


def _indicator_evaluations(chunks: Iterable[Sequence[Any]], as_of: date,
                           reporting_deadlines: Mapping[int, date], settings: MonitoringSettings,
                           targets: Mapping[int, str] | None = None,
                           likelihoods: Mapping[int, str] | None = None
                           ) -> dict[int, list[IndicatorEvaluation]]:
    """Per project, its indicators in order (the rows of ``_indicator_query`` at ``as_of``, in
    one or several consecutive chunks), each with the report that counts at ``as_of`` and its
    status, judged once per distinct (overdue, likelihood, level, indicator text, report
    text): the memo is nested in that order, so a row builds no key of its own.  The named
    tuples are made with ``tuple.__new__`` (what their generated ``__new__`` does, without a
    Python call each)."""
    judge = IndicatorJudge(as_of, settings)
    days, reports, names = judge.days, judge.reports, judge.names
    likelihoods = likelihoods or {}
    memos: dict[tuple[bool, str | None], tuple[dict[str, dict[str | None, IndicatorStatus]], ...]] = {}
    new = tuple.__new__
    evaluations: dict[int, list[IndicatorEvaluation]] = {}
    current: int | None = None
    for rows in chunks:
        for pid, iid, rid, reported_on, indicator, name, reported in rows:
            if pid != current:  # rows come project by project
                current, overdue, likely = pid, as_of > reporting_deadlines[pid], likelihoods.get(pid)
                memo = memos.get((overdue, likely))
                if memo is None:
                    memo = memos[overdue, likely] = ({}, {})  # by a level's words in the name or not
                add = evaluations.setdefault(pid, []).append
            if targets and iid in targets:  # 调整: the target valid at ``as_of``
                indicator = targets[iid]
            level = names[name]
            by_report = memo[level].get(indicator)
            if by_report is None:
                by_report = memo[level][indicator] = {}
            status = by_report.get(reported)
            if status is None:
                status = by_report[reported] = judge.judge(overdue, indicator, reported, level, likely)
            if rid is None:
                add(new(IndicatorEvaluation, (iid, None, status)))
            else:
                add(new(IndicatorEvaluation, (iid, new(LatestReport, (rid, days[reported_on], *reports[reported])),
                                              status)))
    return evaluations


def _money_date(as_of: date, closed: date | None, at_ledger_date: bool) -> date:
    if at_ledger_date and closed is not None and date(as_of.year, 1, 1) <= closed < as_of:
        return closed
    return as_of


_status_colour = attrgetter("status.colour")


class ColourMemo:
    """``results_status`` by the set of indicator colours and ``overall_status`` by the pair
    of colours, once per distinct input per evaluation: both depend on nothing else."""

    def __init__(self) -> None:
        self.results: dict[frozenset[str], Colour] = {}
        self.overall: dict[tuple[Colour, Colour], Colour] = {}

    def results_of(self, indicators: tuple[IndicatorEvaluation, ...]) -> Colour:
        key = frozenset(map(_status_colour, indicators))
        colour = self.results.get(key)
        if colour is None:
            colour = self.results[key] = results_status(i.status for i in indicators)
        return colour

    def overall_of(self, money: Colour, results: Colour) -> Colour:
        colour = self.overall.get((money, results))
        if colour is None:
            colour = self.overall[money, results] = overall_status(money, results)
        return colour


def _money_of(project: ProjectInput, money_as_of: date, spent: Decimal, closed: date | None,
              settings: MonitoringSettings) -> tuple[date, Decimal, date | None, bool, MoneyStatus, Forecast]:
    """The money side of a project's evaluation (judged before its indicators are read, while
    the second connection reads them): (money_as_of, spent, closed, covered, status, forecast)."""
    covered = ledger_covers(closed, money_as_of)
    return (money_as_of, spent, closed, covered,
            judge_money(spent, project.budget, project.plan.at(money_as_of), settings, covered),
            forecast_year_end(spent, project.budget, project.plan, money_as_of, settings.time_progress_method))
