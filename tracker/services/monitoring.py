"""双监控 of many projects at once: evaluate, freeze checkpoints, refresh the daily status,
turn status changes and overdue work into alerts, summarise what an import changed.

Every rule comes from ``tracker.core``; this module only gathers inputs in bulk and stores
results.  An evaluation of every project reads a handful of grouped queries (projects with
their plan points, indicators each with the progress report that counts, ledger coverage per
unit, spending from ``project_month_spending``, and only inside a month the rows of its days)
and never scans ledger rows for whole months; exact columns are read as their stored
integers, values that repeat across rows come packed as JSON texts that serve as memo keys,
each distinct plan becomes one ``PlanCurve``, and identical indicator inputs are judged once
per evaluation (memos live for one call only).

Decisions (DOMAIN is silent):

- A project's checkpoints are its own plan dates when the target table gave a plan
  (``PlanPoint.is_default`` false), else 03-31 / 06-30 / 10-31 / 12-31; the monitoring
  cut-off (end of month N) is always one too.
- On its day (23:30) a checkpoint is evaluated and stored: frozen at once when the unit's
  ledger covers it, else provisional (not shown as frozen) until a night when the ledger
  covers it: then it is evaluated again and frozen; until then a reminder says the ledger is missing.  A
  checkpoint nobody evaluated on its day (scheduler down, project imported later) is
  evaluated as of its date at the next run and marked late.  A frozen snapshot is never
  changed.
- The daily (current) status judges money at the last day the ledger covers (never after
  today), because a date the ledger does not cover cannot be judged; indicators are judged
  at today.  Evaluating an explicit date judges both at that date.
- Every stored evaluation (snapshot) and status alert records the ledger batches it rests on
  (``basis_ids``), so that undoing a batch reaches what was derived from it
  (``tracker.services.corrections``).  An import or undo re-evaluates every project whose
  spending or ledger coverage it changes (``ledger_import``), through ``summarize_changes``.
- Transitions of the overall colour that raise an alert: to yellow or red from anything
  else (turned), yellow → red (worsened), yellow/red → green/blue (recovered).  Red →
  yellow and anything to or from grey raise none.
"""

from __future__ import annotations

import gc
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Result,
    Select,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased

from tracker.core.labels import ALERT_KINDS, COLOUR_LABELS
from tracker.core.forecast import Forecast, forecast_year_end
from tracker.core.indicators import IndicatorStatus, is_level, judge_indicator, results_status
from tracker.core.money import MoneyStatus, judge_money, ledger_covers, round_money
from tracker.core.plan import (
    PlanCheckpoint,
    PlanCurve,
    default_plan_for,
    month_end,
    monitoring_cutoff,
    project_plan,
)
from tracker.core.settings import TIME_PROGRESS_PLAN, MonitoringSettings
from tracker.core.status import Colour, overall_status
from tracker.errors import ValidationFailed
from tracker.models import (
    Alert,
    AlertRead,
    DeviationExplanation,
    Indicator,
    LedgerBatch,
    LedgerRow,
    PlanPoint,
    ProgressReport,
    Project,
    ProjectMonthSpending,
    Setting,
    Snapshot,
    Unit,
    User,
)
from tracker.services import audit
from tracker.services.adjustments import Version, versions_at_dates
from tracker.services.settings import monitoring_settings, save_monitoring_settings
from tracker.services.spending import counted_rows, ledger_closed_through

ZERO = Decimal("0.00")
STANDARD_CHECKPOINTS = ((3, 31), (6, 30), (10, 31), (12, 31))
FLAGGED: frozenset[str] = frozenset({"yellow", "red"})
REMINDER_SETTINGS_KEY = "monitoring_reminders"
REMINDER_WINDOW = timedelta(days=92)  # a quarter: reminders concern the latest checkpoint only



# --- reminder settings --------------------------------------------------------------------


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
    row = session.get(Setting, REMINDER_SETTINGS_KEY)
    stored = dict(row.value) if row is not None and isinstance(row.value, dict) else {}
    return ReminderSettings.from_dict({**ReminderSettings().to_dict(), **stored})


def save_reminder_settings(session: Session, values: dict[str, Any], actor: str) -> ReminderSettings:
    """Validate (ValueError in Chinese) and store."""
    settings = ReminderSettings.from_dict({**reminder_settings(session).to_dict(), **values})
    row = session.get(Setting, REMINDER_SETTINGS_KEY)
    if row is None:
        session.add(Setting(key=REMINDER_SETTINGS_KEY, value=settings.to_dict(), updated_by=actor))
    else:
        row.value, row.updated_by = settings.to_dict(), actor
    session.flush()
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
        raise ValidationFailed(f"设置不完整，缺少：{'、'.join(missing)}")
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


# --- evaluation ---------------------------------------------------------------------------


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


class _ProjectInput(NamedTuple):
    """A project as evaluation and reminders read it (``_load_projects``)."""

    id: int
    unit_id: int
    year: int
    name: str
    budget: Decimal
    plan: PlanCurve
    checkpoints: tuple[date, ...]


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


def _raw(column: Any) -> Any:
    """An exact column (Money / Percent) read as its stored integer, for bulk reads."""
    return type_coerce(column, BigInteger)


def _text(column: Any) -> Any:
    """A date column read as stored (ISO text on SQLite, a date on PostgreSQL)."""
    return type_coerce(column, String)


def blank_checkpoint(raw: Any) -> ColumnElement[int]:
    """SQL for ``tracker.core.plan.is_blank_checkpoint`` of a plan point's raw text: 1 when
    the cell was printed empty (the point is skipped by the plan curve), else 0."""
    return case((func.trim(raw) == "", 1), else_=0)


def plan_curves(session: Session, year: int, ids: Sequence[int] | None,
                settings: MonitoringSettings) -> dict[int, PlanCurve]:
    """Each project's plan curve of ``year`` (all projects, or those of ``ids``), exactly as
    ``evaluate`` reads it (``tracker.core.plan.project_plan``)."""
    return {p.id: p.plan for p in _load_projects(session, [year], ids, settings)}


def _scaled(value: int | None, scale: int) -> Decimal | None:
    """The Decimal a ``ScaledDecimal(scale)`` column holds (same value and exponent)."""
    return None if value is None else Decimal(value).scaleb(-scale)


def _day(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def _rows(session: Session, query: Select[Any], parameters: Mapping[str, Any] | None = None) -> Result[Any]:
    """The rows of a select of plain columns through the session's connection: Core rows,
    without the ORM's per-row processing (about a sixth of the time of reading 100,000
    indicators).
    Pending changes are flushed first, as ``session.execute`` would."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(query, parameters)


class _Converted(dict[Any, Any]):
    """A memo of one conversion of column values, for one call: bulk reads repeat a few
    values (dates, targets) many times, and each is converted once."""

    def __init__(self, convert: Callable[[Any], Any]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, value: Any) -> Any:
        converted = self[value] = self.convert(value)
        return converted


def _project_filter(column: Any, years: Sequence[int], ids: Sequence[int] | None) -> ColumnElement[bool]:
    """``column`` (a project id) limited to projects of ``years`` and, if given, ``ids``."""
    if ids is not None:
        return column.in_(ids)
    return column.in_(select(Project.id).where(Project.year.in_(years)))


def _load_projects(session: Session, years: Sequence[int], ids: Sequence[int] | None,
                   settings: MonitoringSettings, versions: Mapping[int, Version] | None = None
                   ) -> list[_ProjectInput]:
    """The projects of ``years`` (all, or those of ``ids``) by id, each with its plan as a
    ``PlanCurve`` (its own points of its year, as their monotone envelope when they dip; else
    the default plan) and its checkpoints.  Projects with the same points share one curve."""
    return _project_inputs(_project_rows(session, years, ids), _PlanReader(years, settings), versions)


def _project_rows(session: Session, years: Sequence[int], ids: Sequence[int] | None) -> list[Any]:
    """The rows ``_project_inputs`` reads: (id, unit, year, name, budget in 分, plan points).

    A project's plan points come in its row as the text of a JSON array of (checkpoint,
    percent, is_default, blank) arrays, in no particular order (``PlanCurve`` sorts them): one column
    instead of a row of four columns per point, and the text is the memo key."""
    query = _statement(session, ("projects", ids is None), lambda: _project_query(session, ids is None))
    return list(_rows(session, query, _scope(years, ids)).all())


def _project_query(session: Session, every: bool) -> Select[Any]:
    points = (select(_json_arrays(session)(
                  PlanPoint.checkpoint, _raw(PlanPoint.cumulative_pct), PlanPoint.is_default,
                  blank_checkpoint(PlanPoint.raw)))
              .where(PlanPoint.project_id == Project.id).correlate(Project).scalar_subquery())
    query = select(Project.id, Project.unit_id, Project.year, Project.name,
                   _raw(Project.annual_budget), points).where(Project.year.in_(bindparam("years", expanding=True)))
    if not every:
        query = query.where(Project.id.in_(bindparam("ids", expanding=True)))
    return query.order_by(Project.id)


_STATEMENTS: dict[tuple[Any, ...], Select[Any]] = {}


def _statement(session: Session, key: tuple[Any, ...], build: Callable[[], Select[Any]]) -> Select[Any]:
    """A query of this module built once per database kind and shape, its values passed as
    parameters (``_scope``, ``as_of``…): building a select costs more than running it for one
    project, and a project page evaluates five dates."""
    key = (session.get_bind().dialect.name, *key)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = build()
    return statement


def _scope(years: Sequence[int], ids: Sequence[int] | None) -> dict[str, Any]:
    """The parameters of a statement built for every project of ``years`` or for those of
    ``ids`` among them."""
    return {"years": list(years)} if ids is None else {"years": list(years), "ids": list(ids)}


def _project_inputs(rows: Sequence[Any], plans: _PlanReader,
                    versions: Mapping[int, Version] | None) -> list[_ProjectInput]:
    """``_project_rows`` as ``_ProjectInput``s, with the budget and plan of ``versions``
    (调整: the values valid at the date evaluated) where a project has one."""
    if versions:
        rows = [_version_of(row, versions[row[0]]) if row[0] in versions else row for row in rows]
    return [_ProjectInput(pid, unit_id, year, name, _scaled(budget, 2), *plans[year, stored])
            for pid, unit_id, year, name, budget, stored in rows]


def _version_of(row: Sequence[Any], version: Version) -> tuple[Any, ...]:
    """A row of ``_load_projects`` with the budget and plan of an earlier version."""
    pid, unit_id, year, name, budget, stored = row
    if version.budget is not None:
        budget = int(version.budget * 100)
    if version.plan is not None:
        stored = json.dumps([[p.checkpoint.isoformat(), int(p.cumulative_pct * 10000), False]
                             for p in version.plan])
    return pid, unit_id, year, name, budget, stored


def _target_text(target: Mapping[str, Any]) -> str:
    """An indicator's target of an earlier version, as ``_indicator_evaluations`` reads it."""
    number = target.get("target_number")
    return json.dumps([target.get("kind"), target.get("op"),
                       None if number is None else int(Decimal(number) * 10000), target.get("deadline"),
                       target.get("target_unit")])


class _PlanReader(dict[Any, tuple[PlanCurve, tuple[date, ...]]]):
    """(year, plan points as read) → (plan curve, checkpoints), once per distinct input.
    (A memo of its own rather than a ``_Converted`` of its bound ``_read``: that would be a
    reference cycle, left for the paused garbage collector to find.)"""

    def __init__(self, years: Sequence[int], settings: MonitoringSettings) -> None:
        super().__init__()
        days = _Converted(_day)
        self.points = _Converted(lambda stored: PlanCheckpoint(days[stored[0]], _scaled(stored[1], 4)))
        self.cutoff = {year: monitoring_cutoff(year, settings) for year in years}
        self.default = {year: (PlanCurve(default_plan_for(year, settings)),
                               _standard_checkpoints(year, settings)) for year in years}

    def __missing__(self, key: tuple[int, str | None]) -> tuple[PlanCurve, tuple[date, ...]]:
        read = self[key] = self._read(key)
        return read

    def _read(self, key: tuple[int, str | None]) -> tuple[PlanCurve, tuple[date, ...]]:
        year, stored = key
        own: list[tuple[date, Decimal, bool]] = []
        given: set[date] = set()  # dates the target table named (not the default plan's)
        for day, pct, is_default, *blank in json.loads(stored) if stored else ():
            point = self.points[day, pct]
            if point.checkpoint.year == year:
                own.append((point.checkpoint, point.cumulative_pct, bool(blank and blank[0])))
                if not is_default:
                    given.add(point.checkpoint)
        default, standard = self.default[year]
        plan = project_plan(own, year, default)
        return plan, (tuple(sorted({*given, self.cutoff[year]})) if given else standard)


def _standard_checkpoints(year: int, settings: MonitoringSettings) -> tuple[date, ...]:
    dates = {date(year, m, d) for m, d in STANDARD_CHECKPOINTS}
    return tuple(sorted(dates | {monitoring_cutoff(year, settings)}))


def checkpoints_of(session: Session, project: Project) -> tuple[date, ...]:
    """The checkpoint dates of one project (own plan dates or the standard four, plus the
    monitoring cut-off)."""
    loaded = _load_projects(session, [project.year], [project.id], monitoring_settings(session))
    return loaded[0].checkpoints


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


def _spent_at(session: Session, day: date, ids: Sequence[int] | None) -> dict[int, Decimal]:
    """Cumulative spending per project from 1 January to ``day`` (as ``spent_through``):
    whole months from ``project_month_spending``, and ``day``'s own month from it too when
    ``day`` is the month's last day, else from the ledger rows (``_month_so_far``)."""
    month_start = day.replace(day=1)
    whole_month = day == month_end(day.year, day.month)
    scope = {} if ids is None else {"ids": list(ids)}
    months = _statement(session, ("months", ids is None), lambda: _months_query(ids is None))
    totals: dict[int, int] = dict(_rows(session, months, {
        "first": date(day.year, 1, 1), "before": month_end(day.year, day.month) if whole_month else month_start,
        **scope}).all())
    if not whole_month:
        by_id = ids is None and session.get_bind().dialect.name == "sqlite"
        so_far = _statement(session, ("month so far", ids is None, by_id),
                            lambda: _month_so_far(ids is None, by_id))
        for pid, amount in _rows(session, so_far, {"start": month_start, "day": day, **scope}).all():
            totals[pid] = totals.get(pid, 0) + amount
    return {pid: Decimal(total).scaleb(-2) for pid, total in totals.items()}  # 分 → 元


def _months_query(every: bool) -> Select[tuple[int, int]]:
    """Spending per project (in 分) of the months from ``first`` to before ``before``."""
    query = select(ProjectMonthSpending.project_id, func.sum(_raw(ProjectMonthSpending.amount))).where(
        ProjectMonthSpending.month >= bindparam("first", type_=Date()),
        ProjectMonthSpending.month < bindparam("before", type_=Date()),
    ).group_by(ProjectMonthSpending.project_id)
    if not every:
        query = query.where(ProjectMonthSpending.project_id.in_(bindparam("ids", expanding=True)))
    return query


def _month_so_far(every: bool, by_id: bool = False) -> Select[tuple[int, int]]:
    """Spending per project (in 分) from ``start`` to ``day`` (parameters), from the rows
    that count, of every project or of ``ids``.

    ``by_id`` (SQLite, every project): the rows are picked as ``id IN (ids of the rows of those
    days)``.  The date index then only gives ids (it holds them), and SQLite reads the table
    for the sorted ids page after page, instead of one scattered page per row in date order
    (rows of one day lie all over the table once several imports overlap or an export is not
    sorted by date): about 0.12 s instead of 0.2 s for half a month of 1,000,000 rows.  The
    same rows either way; with a list of projects their (project, date) index is better.
    (An index holding every column read here, (date, project_id, amount, counts,
    superseded_by_batch_id, batch_id), would let the plain date range read that index alone,
    a third of the time again; ``benchmarks/monitoring.py`` measures it.)"""
    start, day = bindparam("start", type_=Date()), bindparam("day", type_=Date())
    if by_id:
        dated = aliased(LedgerRow)
        days = LedgerRow.id.in_(select(dated.id).where(dated.date >= start, dated.date <= day))
    else:
        days = and_(LedgerRow.date >= start, LedgerRow.date <= day)
    query = counted_rows(select(LedgerRow.project_id, func.sum(_raw(LedgerRow.amount)))).where(
        days).group_by(LedgerRow.project_id)
    if not every:
        query = query.where(LedgerRow.project_id.in_(bindparam("ids", expanding=True)))
    return query


class _IndicatorJudge:
    """``judge_indicator`` at one date, from an indicator's stored values as
    ``_indicator_evaluations`` reads them: its own (kind, operator, target, deadline) and its
    report's (value, achievement, completed_on), each packed as the text of a JSON array, and
    its reporting deadline.  Each distinct text is read once and each distinct input judged
    once per evaluation (the core function is pure, so this changes nothing but the time
    taken).  ``statuses`` is the memo of judgements, ``reports`` the report values read."""

    def __init__(self, as_of: date, settings: MonitoringSettings) -> None:
        self.as_of, self.settings = as_of, settings
        days = self.days = _Converted(_day)
        numbers = _Converted(lambda value: _scaled(value, 4))

        def indicator(text: str) -> tuple[Any, ...]:
            kind, op, target, deadline, unit = json.loads(text)
            return kind, op, numbers[target], days[deadline], unit

        def report(text: str | None) -> tuple[Any, ...]:  # None: nothing reported yet
            value, achievement, completed_on = json.loads(text) if text else (None, None, None)
            return numbers[value], achievement, days[completed_on]

        # Conversions are functions over the other memos, never bound methods of the judge
        # (that would be a reference cycle, left for the paused garbage collector to find).
        self.indicators, self.reports = _Converted(indicator), _Converted(report)
        self.statuses: dict[tuple[date, str, str | None, bool, str | None], IndicatorStatus] = {}
        self.names = _Converted(lambda name: is_level(None, None, name))  # name → a level's words

    def judge(self, reporting_deadline: date, indicator: str, report: str | None, named_level: bool,
              likelihood: str | None) -> IndicatorStatus:
        kind, op, target, deadline, unit = self.indicators[indicator]
        try:  # (kind, operator, target, deadline) and (value, achievement, completed_on)
            return judge_indicator(kind, op, target, deadline, *self.reports[report],
                                   self.as_of, self.settings, reporting_deadline,
                                   level=named_level or is_level(op, unit, None), likelihood=likelihood)
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


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while an evaluation builds its many small
    objects (a few for each of 100,000 indicators): they form no reference cycles, and
    without the pause the collector walks the whole growing heap again and again (a tenth to
    a fifth of the time of a full evaluation).  Reference counting frees everything as
    usual; a collector paused by someone else is left paused.

    On resuming, the objects made meanwhile (a quarter of a million for 10,000 projects) go
    straight to the oldest generation (``gc.freeze()`` then ``gc.unfreeze()``, which moves
    them without looking at them) instead of being walked by the young collection that the
    first allocation after ``gc.enable()`` would start: a tenth of the evaluation's time.
    The evaluation's objects need no cycle detection; another thread's young objects of
    that moment are only looked at later, by the next full collection.  Skipped when
    someone keeps objects frozen (``gc.unfreeze()`` would release theirs)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        gc.enable()


def _evaluate_dates(session: Session, dates: Iterable[date], project_ids: Iterable[int] | None,
                    money_at_ledger_date: bool) -> dict[date, dict[int, ProjectEvaluation]]:
    settings = monitoring_settings(session)
    reminders = reminder_settings(session)
    grace = timedelta(days=reminders.progress_due_days)
    ids = None if project_ids is None else sorted(set(project_ids))
    days = sorted(set(dates))
    versions = versions_at_dates(session, days, ids)
    stored: dict[int, tuple[list[Any], _PlanReader]] = {}  # per year
    indicator_query = _statement(session, ("indicators", ids is None), lambda: _indicator_query(session, ids is None))
    closed: dict[int, date] = {}
    closed_units: set[int] | None = set()  # units whose coverage was read (None: all)
    spent_memo: dict[tuple[date, tuple[int, ...] | None], dict[int, Decimal]] = {}
    results: dict[date, dict[int, ProjectEvaluation]] = {}
    for as_of in days:
        year = as_of.year
        if year not in stored:
            stored[year] = (_project_rows(session, [year], ids), _PlanReader([year], settings))
        rows, plans = stored[year]
        projects = _project_inputs(rows, plans, versions[as_of])
        if not projects:
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
        for day in distinct:
            day_ids = None if ids is None and len(distinct) == 1 else \
                tuple(pid for pid, d in money_dates.items() if d == day)
            if (day, day_ids) not in spent_memo:
                spent_memo[day, day_ids] = _spent_at(session, day, None if day_ids is None else list(day_ids))
            spent[day] = spent_memo[day, day_ids]
        indicators = _indicator_evaluations(
            session, indicator_query, {"as_of": as_of, **_scope([year], ids)}, {p.id: p.checkpoints[0] + grace for p in projects}, settings,
            {iid: _target_text(t) for v in versions[as_of].values() for iid, t in v.targets.items()},
            _likelihoods(session, as_of, year, ids))
        colours = _ColourMemo()
        evaluations = results[as_of] = {}
        for project in projects:
            day = money_dates[project.id]
            evaluations[project.id] = _evaluate_project(
                project, as_of, day, spent[day].get(project.id, ZERO), closed.get(project.unit_id),
                tuple(indicators.get(project.id, ())), settings, colours)
    return results


def _likelihoods(session: Session, as_of: date, year: int, ids: Sequence[int] | None) -> dict[int, str]:
    """Per project, the 完成目标可能性 of its newest 偏差说明 for a checkpoint on or before
    ``as_of`` (newest checkpoint, then the last entered).  Decision: the form asks for one
    likelihood per project, so a deadline indicator not yet due reads its project's (DOMAIN
    §2: "not yet due → green (按期推进) unless the reporter's 完成目标可能性 says 有可能 (yellow)
    or 完全不可能 (red)").  One query; explanations are few."""
    query = (select(DeviationExplanation.project_id, DeviationExplanation.likelihood)
             .where(DeviationExplanation.as_of <= as_of, DeviationExplanation.as_of >= date(year, 1, 1),
                    _project_filter(DeviationExplanation.project_id, [year], ids))
             .order_by(DeviationExplanation.project_id, DeviationExplanation.as_of, DeviationExplanation.id))
    return {pid: likelihood for pid, likelihood in session.execute(query)}


def _indicator_query(session: Session, every: bool) -> Select[Any]:
    """The query of ``_indicator_evaluations``, with the date as the parameter ``as_of`` and
    the projects as ``_scope``'s: per indicator of the projects in order, its own values and the
    report that counts at ``as_of`` (reported_on ≤ as_of, the newest date, and of several on
    that date the last entered).

    There is a row per indicator (100,000 in the benchmark), so each costs as little as it
    can.  The driver converts every column of every row separately (on SQLite with the GIL
    released and taken back each time), so the values that repeat across indicators come as
    two texts, a JSON array each: the indicator's kind, operator, target and deadline, and
    its report's value, achievement and completion date (null without a report).  The texts
    are the memo keys and are read once each; only the ids, the report date and the name (a
    level's words, ``is_level``) are columns of their own."""
    other = aliased(ProgressReport)
    latest = (select(other.id).where(other.indicator_id == Indicator.id,
                                     other.reported_on <= bindparam("as_of", type_=Date()))
              .order_by(other.reported_on.desc(), other.id.desc()).limit(1)
              .correlate(Indicator).scalar_subquery())
    json_array = _json_array(session)
    return (select(Indicator.project_id, Indicator.id, ProgressReport.id, _text(ProgressReport.reported_on),
                   json_array(Indicator.kind, Indicator.op, _raw(Indicator.target_number),
                              Indicator.deadline, Indicator.target_unit), Indicator.name,
                   case((ProgressReport.id.is_not(None), json_array(
                       _raw(ProgressReport.value), ProgressReport.achievement, ProgressReport.completed_on))))
            .outerjoin(ProgressReport, ProgressReport.id == latest)
            .where(Indicator.project_id.in_(select(Project.id).where(Project.year.in_(bindparam("years", expanding=True))))
                   if every else and_(Indicator.project_id.in_(bindparam("ids", expanding=True)),
                                      Indicator.project_id.in_(select(Project.id).where(
                                          Project.year.in_(bindparam("years", expanding=True)),
                                          Project.id.in_(bindparam("ids", expanding=True))))))
            .order_by(Indicator.project_id, Indicator.position, Indicator.id))


def _indicator_evaluations(session: Session, query: Select[Any], parameters: dict[str, Any],
                           reporting_deadlines: Mapping[int, date], settings: MonitoringSettings,
                           targets: Mapping[int, str] | None = None,
                           likelihoods: Mapping[int, str] | None = None
                           ) -> dict[int, list[IndicatorEvaluation]]:
    """Per project, its indicators in order (``_indicator_query``'s rows with ``parameters``),
    each with the report that counts at the date ``as_of`` of the parameters and its status.  The named tuples are made with
    ``tuple.__new__`` (what their generated ``__new__`` does, without a Python call each)."""
    judge = _IndicatorJudge(parameters["as_of"], settings)
    days, reports, statuses, names = judge.days, judge.reports, judge.statuses, judge.names
    likelihoods = likelihoods or {}
    new = tuple.__new__
    evaluations: dict[int, list[IndicatorEvaluation]] = {}
    current: int | None = None
    for pid, iid, rid, reported_on, indicator, name, reported in _rows(session, query, parameters).all():
        if pid != current:  # rows come project by project
            current, due, likely = pid, reporting_deadlines[pid], likelihoods.get(pid)
            add = evaluations.setdefault(pid, []).append
        if targets and iid in targets:  # 调整: the target valid at ``as_of``
            indicator = targets[iid]
        key = (due, indicator, reported, names[name], likely)
        status = statuses.get(key)
        if status is None:
            status = statuses[key] = judge.judge(*key)
        report = None if rid is None else new(LatestReport, (rid, days[reported_on]) + reports[reported])
        add(new(IndicatorEvaluation, (iid, report, status)))
    return evaluations


def _json_array(session: Session) -> Callable[..., ColumnElement[str]]:
    """SQL for the text of a JSON array of some columns (numbers, text, dates as ISO text,
    null): ``json_array`` on SQLite, ``json_build_array`` as text on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return lambda *columns: cast(func.json_build_array(*columns), Text)
    return func.json_array


def _json_arrays(session: Session) -> Callable[..., ColumnElement[str]]:
    """SQL aggregating some columns of the rows of a group into the text of a JSON array of
    arrays (null or ``[]`` for no rows): ``json_group_array(json_array(…))`` on SQLite,
    ``json_agg(json_build_array(…))`` as text on PostgreSQL."""
    if session.get_bind().dialect.name == "postgresql":
        return lambda *columns: cast(func.json_agg(func.json_build_array(*columns)), Text)
    return lambda *columns: func.json_group_array(func.json_array(*columns))


def _money_date(as_of: date, closed: date | None, at_ledger_date: bool) -> date:
    if at_ledger_date and closed is not None and date(as_of.year, 1, 1) <= closed < as_of:
        return closed
    return as_of


_status_colour = attrgetter("status.colour")


class _ColourMemo:
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


def _evaluate_project(project: _ProjectInput, as_of: date, money_as_of: date, spent: Decimal,
                      closed: date | None, indicators: tuple[IndicatorEvaluation, ...],
                      settings: MonitoringSettings, colours: _ColourMemo) -> ProjectEvaluation:
    covered = ledger_covers(closed, money_as_of)
    money = judge_money(spent, project.budget, project.plan.at(money_as_of), settings, covered)
    results = colours.results_of(indicators)
    return ProjectEvaluation(
        project_id=project.id, unit_id=project.unit_id, as_of=as_of, money_as_of=money_as_of,
        budget=project.budget, spent=spent, money=money, ledger_closed_through=closed,
        ledger_covered=covered,
        forecast=forecast_year_end(spent, project.budget, project.plan, money_as_of,
                                   settings.time_progress_method),
        indicators=indicators, results=results, overall=colours.overall_of(money.colour, results))


# --- snapshots ----------------------------------------------------------------------------


def record_checkpoints(session: Session, day: date, project_ids: Iterable[int] | None = None,
                       *, today: date | None = None) -> list[Snapshot]:
    """The checkpoint evaluation of ``day`` (the 23:30 job on the day itself, or ``tracker
    check --save`` later, then marked late): every project whose checkpoint is ``day`` gets
    its checkpoint snapshot, frozen at once when the ledger already covers the day, else
    provisional until ``freeze_checkpoints`` freezes it; a frozen one is never touched.
    Returns the snapshots created or refreshed."""
    return _store_checkpoints(session, day, project_ids, on_day=True, evaluated_on=today or day)


def freeze_checkpoints(session: Session, today: date,
                       project_ids: Iterable[int] | None = None) -> list[Snapshot]:
    """Bring every passed checkpoint (checkpoint < today, this year or last) up to date:
    a provisional snapshot is re-evaluated and frozen once the ledger covers its date; a
    checkpoint that has no snapshot at all (nothing was running at its 23:30, or the project
    was imported later) is evaluated as of its date now and marked ``late``.  Frozen
    snapshots are never touched.  A project frozen yellow or red gets an alert asking for its
    偏差说明.  Returns the snapshots created or changed."""
    return _store_checkpoints(session, today, project_ids, on_day=False, evaluated_on=today)


def _store_checkpoints(session: Session, today: date, project_ids: Iterable[int] | None,
                       *, on_day: bool, evaluated_on: date) -> list[Snapshot]:
    settings = monitoring_settings(session)
    reminders = reminder_settings(session)
    ids = None if project_ids is None else sorted(set(project_ids))
    years = [today.year] if on_day else [today.year - 1, today.year]
    projects = _load_projects(session, years, ids, settings)
    closed = ledger_closed_through(session, {p.unit_id for p in projects} if ids else None)
    existing = {(s.project_id, s.as_of): s for s in session.scalars(select(Snapshot).where(
        Snapshot.kind == "checkpoint", _project_filter(Snapshot.project_id, years, ids)))}
    due: dict[date, list[int]] = defaultdict(list)
    for project in projects:
        for checkpoint in project.checkpoints:
            passed = checkpoint == today if on_day else checkpoint < today
            snapshot = existing.get((project.id, checkpoint))
            if not passed or (snapshot is not None and snapshot.frozen):
                continue
            covered = ledger_covers(closed.get(project.unit_id), checkpoint)
            if snapshot is None or covered or on_day:
                due[checkpoint].append(project.id)
    names = {p.id: p.name for p in projects}
    basis = ledger_basis(session, {p.unit_id for p in projects} if ids else None) if due else {}
    stored: list[Snapshot] = []
    for checkpoint, pids in sorted(due.items()):
        for evaluation in evaluate(session, checkpoint, pids).values():
            values = evaluation.snapshot_values()
            values["basis_batch_ids"] = basis_ids(basis, evaluation.unit_id, checkpoint.year)
            snapshot = existing.get((evaluation.project_id, checkpoint))
            if snapshot is None:
                snapshot = Snapshot(kind="checkpoint", late=evaluated_on > checkpoint, **values)
                session.add(snapshot)
            else:
                for key, value in values.items():
                    setattr(snapshot, key, value)
            snapshot.frozen = evaluation.ledger_covered
            snapshot.evaluated_on = evaluated_on
            stored.append(snapshot)
            if snapshot.frozen and evaluation.overall in FLAGGED:
                deadline = evaluated_on + timedelta(days=reminders.explanation_due_days)
                add_alerts(session, [_alert(
                    evaluation, "checkpoint_flagged",
                    f"项目“{names[evaluation.project_id]}”在{checkpoint.isoformat()}检查点为"
                    f"{COLOUR_LABELS[evaluation.overall]}（{_money_text(evaluation)}），"
                    f"请于{deadline.isoformat()}前填写偏差说明。",
                    key=f"checkpoint:{evaluation.project_id}:{checkpoint.isoformat()}",
                    basis=values["basis_batch_ids"])])
    session.flush()
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
        old = {s.project_id: s for s in session.scalars(select(Snapshot).where(
            Snapshot.kind == "daily", _project_filter(Snapshot.project_id, [as_of.year], pids)))}
        names = {pid: name for pid, name in session.execute(select(Project.id, Project.name).where(
            _project_filter(Project.id, [as_of.year], pids)))}
        alerts = []
        for pid, evaluation in evaluations.items():
            previous = old.get(pid)
            old_colour = previous.overall_status if previous and not previous.withdrawn_basis else None
            values = evaluation.snapshot_values()
            values["basis_batch_ids"] = basis_ids(basis, evaluation.unit_id, as_of.year)
            if previous is None:
                session.add(Snapshot(kind="daily", frozen=False, evaluated_on=today, **values))
            else:
                for key, value in values.items():
                    setattr(previous, key, value)
                previous.evaluated_on = today
                previous.withdrawn_batch_id = previous.withdrawn_at = None
            kind = transition_kind(old_colour, evaluation.overall)
            if kind is not None:
                transitions.append(Transition(pid, names[pid], kind, old_colour, evaluation.overall))
                alerts.append(_alert(evaluation, kind, _transition_message(
                    names[pid], kind, old_colour, evaluation), basis=values["basis_batch_ids"]))
        add_alerts(session, alerts)
    session.flush()
    return transitions


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


# --- reminders ----------------------------------------------------------------------------


def send_reminders(session: Session, today: date) -> list[Alert]:
    """Raise the reminders that are due and not raised before: a passed checkpoint the ledger
    does not cover (per unit), indicators without progress since the previous checkpoint
    (per project), and 偏差说明 not given in time (per project and checkpoint)."""
    settings = monitoring_settings(session)
    reminders = reminder_settings(session)
    years = [today.year - 1, today.year]
    projects = _load_projects(session, years, None, settings)
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


def _ledger_reminders(session: Session, projects: list[_ProjectInput], closed: dict[int, date],
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


def _progress_reminders(session: Session, projects: list[_ProjectInput], today: date,
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


# --- alerts -------------------------------------------------------------------------------


def _alert(evaluation: ProjectEvaluation, kind: str, message: str,
           key: str | None = None, basis: list[int] | None = None) -> Alert:
    # as_of: the date the evaluation speaks of (mail and page links open the project there):
    # the checkpoint, or the day of the refresh (12-31 for last year's projects)
    return Alert(unit_id=evaluation.unit_id, project_id=evaluation.project_id, kind=kind,
                 severity=evaluation.overall, as_of=evaluation.as_of, message=message, key=key,
                 basis_batch_ids=basis)


def add_alerts(session: Session, alerts: list[Alert]) -> list[Alert]:
    """Add ``alerts``, skipping those whose ``key`` was raised before."""
    keys = [a.key for a in alerts if a.key]
    seen: set[str] = set()
    for start in range(0, len(keys), 500):
        seen |= set(session.scalars(select(Alert.key).where(Alert.key.in_(keys[start:start + 500]))))
    added = []
    for alert in alerts:
        if alert.key is not None:
            if alert.key in seen:
                continue
            seen.add(alert.key)
        session.add(alert)
        added.append(alert)
    session.flush()
    return added


def _visible(user: User) -> ColumnElement[bool]:
    if user.sees_everything:
        return true()
    return Alert.unit_id.in_([unit.id for unit in user.units])


@dataclass(frozen=True)
class AlertItem:
    alert: Alert
    read: bool


def alerts_for(session: Session, user: User, *, unread_only: bool = False,
               limit: int = 200) -> list[AlertItem]:
    """The alerts ``user`` may see (everything, or their units'), newest first."""
    read = select(AlertRead.alert_id).where(AlertRead.user_id == user.id)
    query = select(Alert, Alert.id.in_(read)).where(_visible(user))
    if unread_only:
        query = query.where(Alert.id.not_in(read))
    rows = session.execute(query.order_by(Alert.id.desc()).limit(limit)).all()
    return [AlertItem(alert, bool(is_read)) for alert, is_read in rows]


def unread_count(session: Session, user: User) -> int:
    """Unread alerts ``user`` may see, withdrawn ones (已撤销) not counted."""
    read = select(AlertRead.alert_id).where(AlertRead.user_id == user.id)
    return session.scalar(select(func.count(Alert.id)).where(
        _visible(user), Alert.id.not_in(read), Alert.withdrawn_at.is_(None))) or 0


def mark_read(session: Session, user: User, alert_ids: Iterable[int] | None) -> int:
    """Mark ``alert_ids`` (None = all visible) read for ``user``; returns how many changed."""
    read = select(AlertRead.alert_id).where(AlertRead.user_id == user.id)
    query = select(Alert.id).where(_visible(user), Alert.id.not_in(read))
    if alert_ids is not None:
        query = query.where(Alert.id.in_(sorted(set(alert_ids))))
    ids = list(session.scalars(query))
    session.add_all(AlertRead(alert_id=aid, user_id=user.id) for aid in ids)
    session.flush()
    return len(ids)


def visible_alerts_after(session: Session, user: User, after_id: int) -> list[Alert]:
    """Alerts ``user`` may see with an id above ``after_id``, oldest first (for mail)."""
    return list(session.scalars(select(Alert).where(_visible(user), Alert.id > after_id)
                                .order_by(Alert.id)))


# --- one project, for the page ------------------------------------------------------------


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
    checkpoints = _load_projects(session, [project.year], [project.id], settings)[0].checkpoints
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


def overview(session: Session, as_of: date, project_ids: Iterable[int] | None) -> list[tuple[Project, ProjectEvaluation]]:
    """Every (visible) project of ``as_of``'s year with its evaluation, worst first."""
    evaluations = evaluate(session, as_of, project_ids)
    order = {"red": 0, "yellow": 1, "green": 2, "blue": 3, "grey": 4}
    projects = {p.id: p for start in range(0, len(evaluations), 1000) for p in session.scalars(
        select(Project).where(Project.id.in_(list(evaluations)[start:start + 1000])))}
    rows = [(projects[pid], e) for pid, e in evaluations.items()]
    return sorted(rows, key=lambda r: (order[r[1].overall], r[0].unit_id, r[0].id))


def colour_counts(rows: Iterable[tuple[Project, ProjectEvaluation]]) -> dict[str, int]:
    counts = {colour: 0 for colour in ("red", "yellow", "green", "blue", "grey")}
    for _project, evaluation in rows:
        counts[evaluation.overall] += 1
    return counts


def default_as_of(year: int, today: date) -> date:
    """Today inside the project's year; its 12-31 for a past year, 01-01 for a future one."""
    if year < today.year:
        return date(year, 12, 31)
    if year > today.year:
        return date(year, 1, 1)
    return today

