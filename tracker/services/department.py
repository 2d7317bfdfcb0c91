"""The department's own indicators: read on target import, listed, reported on, self-evaluated.

* ``sync_indicators`` re-reads ``DepartmentYear.sub_goals`` into ``DepartmentIndicator`` rows.
  Re-importing the same text changes nothing; an indicator whose 分项 and name are still in the
  document keeps its id and its progress wherever it moved (a corrected value updates it); one the
  document no longer has is removed.
* ``correct`` lets finance correct or complete what was read (name, 一级/二级, 指标值, 分值),
  keeping before/after and the reason (``DepartmentCorrection``) and an audit entry.
* ``add_progress`` records a 当前完成值 (number, qualitative level or completion date).
* ``monitor`` is the department's 双监控 at a date: money = its projects' spending against their
  summed plans (计划进度 = Σ 计划进度 × 全年预算数 ÷ Σ 全年预算数), results = its own indicators
  judged by the project rules; overall = the worse of the two.
* ``self_evaluation`` scores the 部门整体支出绩效自评表 with the project rules of
  ``tracker.core.evaluation``: money = all the department's projects of the year (全年执行数 vs
  Σ 全年预算数), indicators = the latest report on or before 31 Dec.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from tracker.core.achievement import ACHIEVEMENT_LABELS, parse_achievement
from tracker.core.categories import LEVEL1_LABELS, LEVEL1_ORDER
from tracker.core.evaluation import IndicatorResult, SelfEvaluation, evaluate
from tracker.core.indicators import IndicatorStatus, is_level, judge_indicator, results_status
from tracker.core.money import MoneyStatus, judge_money
from tracker.core.plan import monitoring_cutoff
from tracker.core.status import Colour, overall_status
from tracker.errors import TrackerError
from tracker.importers.department_targets import (
    indicator_findings,
    infer_levels,
    read_department_goals,
    read_department_table,
)
from tracker.importers.target_values import parse_reported_number, parse_target_value
from tracker.models import (
    Alert,
    DepartmentCorrection,
    DepartmentIndicator,
    DepartmentProgress,
    DepartmentYear,
    Project,
    Unit,
)
from tracker.services import audit
from tracker.services.monitoring.alerts import add_alerts
from tracker.services.monitoring.evaluate import evaluate as evaluate_monitoring
from tracker.services.monitoring.projects import STANDARD_CHECKPOINTS
from tracker.services.monitoring.reminders import REMINDER_WINDOW
from tracker.services.monitoring.settings import reminder_settings
from tracker.services.settings import evaluation_settings, monitoring_settings
from tracker.services.spending import spent_through


class DepartmentError(TrackerError):
    """A department indicator request that cannot be carried out (message in Chinese)."""


def sync_indicators(session: Session, record: DepartmentYear,
                    table_rows: tuple[tuple[str, ...], ...] = ()) -> list[DepartmentIndicator]:
    """Read ``record.sub_goals`` (and a 部门整体绩效目标表's ``table_rows``) into its indicator rows (flush)."""
    rows: list[dict[str, Any]] = []
    goals = read_department_goals(record.sub_goals, year=record.year) + read_department_table(
        table_rows, year=record.year)
    for goal in goals:
        if not goal.indicators:
            rows.append(dict(goal=goal.title, goal_target=goal.target, name=None, level1="", level2="",
                             target_raw="", op=None, target_number=None, target_unit=None,
                             kind="qualitative", deadline=None, source="", weight=None,
                             findings="\n".join(goal.findings)))
        for item in goal.indicators:
            rows.append(dict(goal=goal.title, goal_target=goal.target, name=item.name, level1=item.level1,
                             level2=item.level2, target_raw=item.value.raw, op=item.value.op,
                             target_number=item.value.number, target_unit=item.value.unit,
                             kind=item.value.kind, deadline=item.value.deadline, source=item.source,
                             weight=item.weight, findings="\n".join(item.findings) or None))
    existing = list(session.scalars(select(DepartmentIndicator).where(
        DepartmentIndicator.department_year_id == record.id).order_by(DepartmentIndicator.position)))
    at_position = {row.position: row for row in existing}
    by_key: dict[tuple[str, str | None], list[DepartmentIndicator]] = {}
    for row in existing:
        by_key.setdefault((row.goal, row.name), []).append(row)
    taken: set[int] = set()
    planned: list[tuple[int, DepartmentIndicator | None, dict[str, Any] | None]] = []
    for position, values in enumerate(rows, start=1):
        row = at_position.get(position)
        if row is not None and row.id not in taken and row.corrections and row.goal == values["goal"]:
            taken.add(row.id)  # finance corrected it: its version stands until corrected again
            planned.append((position, row, None))
            continue
        row = next((r for r in by_key.get((values["goal"], values["name"]), []) if r.id not in taken), None)
        if row is not None:  # the same 分项 and name, wherever it moved: its progress stays
            taken.add(row.id)
        planned.append((position, row, values))
    for row in existing:
        if row.id not in taken:
            session.delete(row)
    for position, row, _values in planned:  # out of the way of UNIQUE (year, position) first
        if row is not None and row.position != position:
            row.position = -position
    session.flush()
    result = []
    for position, row, values in planned:
        if row is None:
            row = DepartmentIndicator(department_year_id=record.id, position=position)
            session.add(row)
        if row.position != position:
            row.position = position
        for key, value in (values or {}).items():
            if getattr(row, key) != value:
                setattr(row, key, value)
        result.append(row)
    session.flush()
    return result


def _department_years(session: Session, year: int | None, unit_code: str | None) -> list[DepartmentYear]:
    query = select(DepartmentYear).join(Unit).options(selectinload(DepartmentYear.unit))
    if year is not None:
        query = query.where(DepartmentYear.year == year)
    if unit_code is not None:
        query = query.where((Unit.code == unit_code) | (Unit.name == unit_code))
    return list(session.scalars(query.order_by(DepartmentYear.year, Unit.code, Unit.name)))


def indicators_of(session: Session, record: DepartmentYear) -> list[DepartmentIndicator]:
    return list(session.scalars(
        select(DepartmentIndicator).where(DepartmentIndicator.department_year_id == record.id)
        .options(selectinload(DepartmentIndicator.reports)).order_by(DepartmentIndicator.position)))


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    normal = value.normalize()
    return int(normal) if normal == normal.to_integral_value() else float(normal)


def export_rows(session: Session, year: int | None = None, unit_code: str | None = None) -> list[dict[str, Any]]:
    """One object per department indicator (the ``export department-indicators`` contract)."""
    out = []
    for record in _department_years(session, year, unit_code):
        for row in indicators_of(session, record):
            out.append({
                "unit_code": record.unit.code or None, "unit_name": record.unit.name, "year": record.year,
                "goal": row.goal, "indicator": row.name, "operator": row.op,
                "value": _number(row.target_number), "measure_unit": row.target_unit,
                "qualitative": row.kind == "qualitative", "findings": row.finding_list,
                "source": row.source or None,
            })
    return out


def find_department_year(session: Session, unit_code: str, year: int) -> DepartmentYear:
    found = _department_years(session, year, unit_code)
    if not found:
        raise DepartmentError(f"没有找到单位“{unit_code}”{year}年的部门整体绩效目标，请先导入绩效目标文件")
    if len(found) > 1:
        names = "、".join(record.unit.name for record in found)
        raise DepartmentError(f"单位编码“{unit_code}”对应多个单位（{names}），请改用单位名称")
    return found[0]


def find_indicator(session: Session, record: DepartmentYear, position: int, *,
                   empty_goal: bool = False) -> DepartmentIndicator:
    """The indicator at ``position``; ``empty_goal`` also finds a 分项 without indicator (to complete it)."""
    row = session.scalar(select(DepartmentIndicator).where(
        DepartmentIndicator.department_year_id == record.id, DepartmentIndicator.position == position))
    if row is None or (row.name is None and not empty_goal):
        raise DepartmentError(f"{record.unit.name}{record.year}年没有第{position}个部门整体绩效指标")
    return row


def find_indicator_by_ref(session: Session, record: DepartmentYear, ref: str) -> DepartmentIndicator:
    """An indicator by its 序号 (position) or its 三级 name (unique within the department year)."""
    text = ref.strip()
    if text.isdigit():
        return find_indicator(session, record, int(text))
    matches = [row for row in indicators_of(session, record) if row.name == text]
    if len(matches) != 1:
        how = "没有" if not matches else f"有{len(matches)}个"
        raise DepartmentError(f"{record.unit.name}{record.year}年{how}名为“{text}”的部门整体绩效指标，请改用指标序号")
    return matches[0]


MAX_NOTE = 2000  # 偏差说明 and 更正原因, as the project forms


def add_progress(session: Session, row: DepartmentIndicator, *, reported_on: date, actor: str,
                 raw: str, note: str = "", today: date | None = None) -> DepartmentProgress:
    """Record a 当前完成值 on a department indicator (flush, audited): a number for a 定量/反向
    indicator, one of the three levels for a 定性 one, the completion date for a 时限 one.
    History is kept; the latest report counts.  As for a project: dated in the department's
    year and, given ``today``, not after it."""
    number = level = completed = None
    label = f"“{row.name}”的完成值"
    year = row.department_year.year
    errors = []
    if reported_on.year != year or (today is not None and reported_on > today):
        latest = min(today, date(year, 12, 31)) if today is not None else date(year, 12, 31)
        errors.append(f"完成值日期应在{year}年内且不晚于今天（{year}-01-01 至 {latest.isoformat()}），"
                      f"当前为 {reported_on.isoformat()}")
    if len(note.strip()) > MAX_NOTE:
        errors.append(f"偏差说明最多{MAX_NOTE}字")
    try:
        if row.kind in ("quantitative", "reverse") and row.target_number is not None:
            number = parse_reported_number(raw, row.target_unit, label, row.target_number)
        elif row.kind == "deadline" and row.deadline is not None:
            try:
                completed = date.fromisoformat(raw.strip())
            except ValueError:
                raise ValueError(f"{label}应为完成日期 YYYY-MM-DD，当前为“{raw.strip()}”") from None
        else:
            level = parse_achievement(raw)
    except ValueError as error:
        errors.append(str(error))
    if errors:
        raise DepartmentError("；".join(errors))
    entry = DepartmentProgress(indicator=row, reported_on=reported_on, value=number, achievement=level,
                               completed_on=completed, note=note.strip() or None, actor=actor)
    session.add(entry)
    session.flush()
    audit.record(session, actor, "report", "department_indicator", row.id,
                 reported_on=reported_on.isoformat(), value=raw.strip())
    return entry


_CORRECTED = ("name", "level1", "level2", "target_raw", "weight")
#: the longest text each corrected field holds (its column)
_LENGTHS = (("name", "指标名称", 500), ("level2", "二级指标", 100), ("target", "指标值", 500),
            ("reason", "更正原因", MAX_NOTE))
_LEVEL1 = tuple(LEVEL1_LABELS[code] for code in LEVEL1_ORDER)


def _snapshot(row: DepartmentIndicator) -> dict[str, Any]:
    return {key: None if getattr(row, key) is None else str(getattr(row, key)) for key in _CORRECTED}


def correct(session: Session, row: DepartmentIndicator, *, actor: str, reason: str, name: str = "",
            level1: str = "", level2: str = "", target: str = "", weight: str = "") -> DepartmentCorrection:
    """Correct or complete a department indicator as read (blank = unchanged; flush, audited).

    The 指标值 is re-read as a project 指标值 is; the findings are reviewed again, so a value that
    is now measurable clears its finding.  A 分项 without indicator is completed by giving a name
    and a 指标值.  All errors are collected and raised together."""
    errors: list[str] = []
    if not reason.strip():
        errors.append("请填写更正原因")
    new_name = name.strip() or row.name
    if not new_name:
        errors.append(f"分项“{row.goal}”没有绩效指标，补充时请填写指标名称")
    if level1.strip() and level1.strip() not in _LEVEL1:
        errors.append(f"一级指标应为{'、'.join(_LEVEL1)}之一，当前为“{level1.strip()}”")
    given = {"name": name, "level2": level2, "target": target, "reason": reason}
    errors += [f"{label}最多{limit}字" for key, label, limit in _LENGTHS if len(given[key].strip()) > limit]
    points: Decimal | None = row.weight
    if weight.strip():
        try:
            points = Decimal(weight.strip())
        except ArithmeticError:
            points = None
        if points is None or not points.is_finite() or points < 0 or points > 100:
            errors.append(f"分值应为 0–100 之间的数字，当前为“{weight.strip()}”")
        elif points != points.quantize(Decimal("0.01")):
            errors.append(f"分值最多保留2位小数，当前为“{weight.strip()}”")
    raw = target.strip() or row.target_raw
    value = parse_target_value(raw, level2=level2.strip() or row.level2 or None, year=row.department_year.year)
    if value.number is not None and not _storable(value.number):
        errors.append(f"指标值的数值过大或小数位超过4位，当前为“{raw}”")
    if errors:
        raise DepartmentError("；".join(errors))
    before = _snapshot(row)
    row.name = new_name
    inferred = infer_levels(new_name or "", value)
    row.level1 = level1.strip() or row.level1 or inferred[0]
    row.level2 = level2.strip() or row.level2 or inferred[1]
    row.target_raw, row.op, row.target_number, row.target_unit = raw, value.op, value.number, value.unit
    row.kind, row.deadline, row.weight = value.kind, value.deadline, points
    row.findings = "\n".join(indicator_findings(new_name or "", value)) or None
    if not row.source:
        row.source = f"财务补充：{reason.strip()}"
    entry = DepartmentCorrection(indicator=row, reason=reason.strip(), before=before, after=_snapshot(row),
                                 actor=actor)
    session.add(entry)
    session.flush()
    audit.record(session, actor, "correct", "department_indicator", row.id, reason=reason.strip(),
                 before=entry.before, after=entry.after)
    return entry


def _storable(number: Decimal) -> bool:
    """Fits a 4-place scaled BIGINT column (``target_number``)."""
    try:
        return number.is_finite() and number == number.quantize(Decimal("0.0001")) and abs(number) < 10 ** 14
    except ArithmeticError:
        return False


@dataclass(frozen=True)
class DepartmentSelfEvaluation:
    """The scored 部门整体支出绩效自评表 of one unit and year."""

    unit_name: str
    unit_code: str | None
    year: int
    overall_goal: str | None
    initial_budget: Decimal  # 年初预算数, 元 (Σ projects)
    annual_budget: Decimal  # 全年预算数, 元
    spent: Decimal  # 全年执行数, 元
    rows: tuple[DepartmentIndicator, ...]  # scored indicators, in order
    actuals: tuple[str, ...]  # 实际完成值 as shown, per row
    evaluation: SelfEvaluation
    unscored_findings: tuple[str, ...]  # 分项 without indicators


def _latest(row: DepartmentIndicator, as_of: date) -> DepartmentProgress | None:
    entries = [entry for entry in row.reports if entry.reported_on <= as_of]
    return entries[-1] if entries else None


def _result(row: DepartmentIndicator, entry: DepartmentProgress | None) -> tuple[IndicatorResult, str]:
    kind, op, target = row.kind, row.op, row.target_number
    if kind in ("quantitative", "reverse") and target is None or kind == "deadline" and row.deadline is None:
        kind, op, target = "qualitative", None, None
    reason = (entry.note or "") if entry else ""
    result = IndicatorResult(
        level1=row.level1, name=row.name or "", kind=kind, operator=op, target=target,  # type: ignore[arg-type]
        actual=entry.value if entry else None, achievement=entry.achievement if entry else None,
        deadline=row.deadline, completed_on=entry.completed_on if entry else None,
        weight=row.weight, deviation_reason=reason)
    if entry is None:
        shown = ""
    elif entry.value is not None:
        shown = f"{_number(entry.value)}{row.target_unit or ''}"
    elif entry.achievement:
        shown = ACHIEVEMENT_LABELS[parse_achievement(entry.achievement)]
    else:
        shown = entry.completed_on.isoformat() if entry.completed_on else ""
    return result, shown


def self_evaluation(session: Session, record: DepartmentYear) -> DepartmentSelfEvaluation:
    """部门整体支出绩效自评: 执行率 over all the department's projects, indicators by the project rules."""
    settings = evaluation_settings(session)
    year_end = date(record.year, 12, 31)
    projects = list(session.scalars(select(Project).where(
        Project.unit_id == record.unit_id, Project.year == record.year)))
    spent_by_project = spent_through(session, year_end, [project.id for project in projects]) if projects else {}
    initial = sum((p.initial_budget for p in projects), Decimal(0))
    annual = sum((p.annual_budget for p in projects), Decimal(0))
    spent = sum((spent_by_project.get(p.id, Decimal(0)) for p in projects), Decimal(0))
    all_rows = indicators_of(session, record)
    rows = tuple(row for row in all_rows if row.name is not None)
    pairs = [_result(row, _latest(row, year_end)) for row in rows]
    evaluation = evaluate([result for result, _ in pairs], spent, annual, settings)
    unscored = tuple(f for row in all_rows if row.name is None for f in row.finding_list)
    return DepartmentSelfEvaluation(
        unit_name=record.unit.name, unit_code=record.unit.code or None, year=record.year,
        overall_goal=record.overall_goal, initial_budget=initial, annual_budget=annual, spent=spent,
        rows=rows, actuals=tuple(shown for _, shown in pairs), evaluation=evaluation,
        unscored_findings=unscored)


@dataclass(frozen=True)
class DepartmentMonitoring:
    """部门整体 双监控 at ``as_of``."""

    as_of: date
    budget: Decimal  # Σ 全年预算数, 元
    spent: Decimal  # Σ 累计支出, 元
    money: MoneyStatus
    indicators: tuple[tuple[DepartmentIndicator, IndicatorStatus], ...]
    results: Colour
    overall: Colour


def monitor(session: Session, record: DepartmentYear, as_of: date, *,
            money_at_ledger_date: bool = False) -> DepartmentMonitoring:
    """The department's 双监控 at ``as_of`` (see the module notes); money is grey 台账未覆盖 when
    the ledger of any of its projects does not reach the date."""
    ids = list(session.scalars(select(Project.id).where(
        Project.unit_id == record.unit_id, Project.year == record.year)))
    evaluations = list(evaluate_monitoring(session, as_of, ids, money_at_ledger_date=money_at_ledger_date).values())
    return _monitoring(session, evaluations, indicators_of(session, record), as_of)


def reporting_deadline(session: Session, year: int) -> date:
    """The day after which an unreported department indicator is 逾期未填报: the first checkpoint
    of the year plus the progress grace days — the project rule (DOMAIN §2).  A department has
    no spending plan of its own, so its checkpoints are the standard ones."""
    grace = reminder_settings(session).progress_due_days
    return _checkpoints(session, year)[0] + timedelta(days=grace)


def _checkpoints(session: Session, year: int) -> tuple[date, ...]:
    cutoff = monitoring_cutoff(year, monitoring_settings(session))
    return tuple(sorted({date(year, m, d) for m, d in STANDARD_CHECKPOINTS} | {cutoff}))


def _monitoring(session: Session, evaluations: list[Any], rows: list[DepartmentIndicator],
                as_of: date) -> DepartmentMonitoring:
    settings = monitoring_settings(session)
    budget = sum((e.budget for e in evaluations), Decimal(0))
    spent = sum((e.spent for e in evaluations), Decimal(0))
    planned = (sum((e.money.planned_pct * e.budget for e in evaluations), Decimal(0)) / budget
               if budget else Decimal(0))
    covered = bool(evaluations) and all(e.ledger_covered for e in evaluations)
    money = judge_money(spent, budget, planned, settings, covered)
    deadline = reporting_deadline(session, as_of.year)
    judged = []
    for row in rows:
        if row.name is None:
            continue
        entry = _latest(row, as_of)
        kind, op, target = row.kind, row.op, row.target_number
        if kind in ("quantitative", "reverse") and target is None or kind == "deadline" and row.deadline is None:
            kind, op, target = "qualitative", None, None
        status = judge_indicator(
            kind, op, target, row.deadline, entry.value if entry else None, entry.achievement if entry else None,
            entry.completed_on if entry else None, as_of, settings, deadline,
            level=is_level(op, row.target_unit, row.name))
        judged.append((row, status))
    results = results_status(status for _, status in judged)
    return DepartmentMonitoring(as_of, budget, spent, money, tuple(judged), results,
                                overall_status(money.colour, results))


@dataclass(frozen=True)
class DepartmentLine:
    """One line of the cockpit's 部门整体 table: plain values (kept in the page cache, pickled)."""

    record_id: int
    unit_name: str
    money: MoneyStatus
    results: Colour
    overall: Colour


def department_lines(session: Session, year: int, unit_ids: set[int] | None, as_of: date
                     ) -> list[DepartmentLine]:
    """The cockpit's 部门整体 lines: each department year of ``year`` that has indicators (of
    ``unit_ids``, None = all), monitored at ``as_of`` (money at the ledger's date).  One
    evaluation of all their projects and one query for all their indicators, whatever the
    number of departments."""
    query = select(DepartmentYear).where(DepartmentYear.year == year).options(selectinload(DepartmentYear.unit))
    if unit_ids is not None:
        query = query.where(DepartmentYear.unit_id.in_(unit_ids))
    records = list(session.scalars(query.order_by(DepartmentYear.unit_id)))
    if not records:
        return []
    indicators: dict[int, list[DepartmentIndicator]] = {record.id: [] for record in records}
    for row in session.scalars(
            select(DepartmentIndicator).where(DepartmentIndicator.department_year_id.in_(list(indicators)))
            .options(selectinload(DepartmentIndicator.reports))
            .order_by(DepartmentIndicator.department_year_id, DepartmentIndicator.position)):
        indicators[row.department_year_id].append(row)
    records = [record for record in records if any(row.name for row in indicators[record.id])]
    units = {record.unit_id for record in records}
    if not records:
        return []
    ids = list(session.scalars(select(Project.id).where(Project.unit_id.in_(units), Project.year == year)))
    by_unit: dict[int, list[Any]] = {unit_id: [] for unit_id in units}
    for evaluation in evaluate_monitoring(session, as_of, ids, money_at_ledger_date=True).values():
        by_unit[evaluation.unit_id].append(evaluation)
    lines = []
    for record in records:
        watch = _monitoring(session, by_unit[record.unit_id], indicators[record.id], as_of)
        lines.append(DepartmentLine(record.id, record.unit.name, watch.money, watch.results, watch.overall))
    return lines


def send_reminders(session: Session, today: date) -> list[Alert]:
    """进度填报逾期 for department indicators, by the project rule: at the latest checkpoint whose
    grace period is over (within the reminder window), the department's indicators without a
    report since the checkpoint before it (a completed 时限 indicator needs none) — one alert
    per department year and checkpoint, raised once (``key``).  Returns the alerts added."""
    grace = reminder_settings(session).progress_due_days
    alerts = []
    for year in (today.year - 1, today.year):
        checkpoints = _checkpoints(session, year)
        passed = [c for c in checkpoints
                  if c + timedelta(days=grace) < today and today - c <= REMINDER_WINDOW]
        if not passed:
            continue
        checkpoint = passed[-1]
        index = checkpoints.index(checkpoint)
        previous = checkpoints[index - 1] if index else date(year - 1, 12, 31)
        records = session.scalars(select(DepartmentYear).where(DepartmentYear.year == year)
                                  .options(selectinload(DepartmentYear.unit)).order_by(DepartmentYear.id))
        for record in records:
            missing = [row.name for row in indicators_of(session, record) if row.name is not None
                       and not any(e.completed_on is not None for e in row.reports)
                       and not any(previous < e.reported_on for e in row.reports)]
            if not missing:
                continue
            alerts.append(Alert(
                unit_id=record.unit_id, project_id=None, kind="progress_overdue", severity="grey",
                as_of=checkpoint,
                message=f"{record.unit.name}{year}年部门整体绩效{checkpoint.isoformat()}检查点的指标完成值填报已逾期："
                        f"{len(missing)} 项（{'、'.join(missing)}）自{previous.isoformat()}后未填报。",
                key=f"department-progress:{record.id}:{checkpoint.isoformat()}"))
    return add_alerts(session, alerts)
