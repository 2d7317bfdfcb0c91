"""The official forms' records (``tracker.reports.forms``) from what is stored: read only.

绩效监控情况表 (1-N月 of a year, one unit):

- Figures: the project's frozen snapshot at the cut-off (the last day of month N) — the
  round's figures, a ``checkpoint`` snapshot (the cut-off is a checkpoint of every project)
  or a ``round`` one — and the sheet says 已冻结.  Without a frozen one (the ledger did not
  cover the cut-off yet, the round is not open, or N is not the monitoring month) the figures
  are evaluated now at the cut-off (``monitoring.evaluate.evaluate``) and the sheet says 未冻结; a
  provisional (unfrozen) snapshot is not used, as today's evaluation supersedes it.
- 偏差说明: the project's newest ``DeviationExplanation`` dated in the year and on or before
  the cut-off (by date, then entry); 全年预计完成情况 per indicator from its forecasts.
- 1-N月执行情况: each indicator's newest progress report on or before the cut-off (by date,
  then entry), as text: the value with the target's unit, the qualitative level, or the
  completion date.
- A project yellow or red at the cut-off with no 偏差说明 is ``explanation_missing`` (listed
  by ``missing_explanations`` before anything is generated); nothing is filled in for it.

项目支出绩效自评表 (a year, one unit):

- Each project's newest frozen ``Evaluation`` of the year (highest ``number`` with
  ``frozen_at``).  Projects without one are listed in ``missing``; with ``include_drafts``
  a project that has only drafts is shown from its newest draft, marked 草稿 (and is then not
  in ``missing``).  Frozen evaluations never change, so the same frozen data gives the same
  form (for the same ``today``).
- 数据来源: per evaluation its number, submission time and submitter, the ledger's
  closed-through date and what its ``sources`` names; for the workbook the ledger batches the
  evaluations' ``sources`` name, else the unit's batches of the year that were active when
  the last of them was submitted (imported before, not undone before).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from tracker.core.labels import actor_label
from tracker.core.money import round_money
from tracker.core.plan import month_end
from tracker.errors import NotFound, ValidationFailed
from tracker.models import (
    DepartmentYear,
    DeviationExplanation,
    Evaluation,
    Indicator,
    LedgerBatch,
    MonitoringRound,
    ProgressReport,
    Project,
    Snapshot,
    Unit,
    User,
)
from tracker.reports.forms import (
    MonitoringIndicatorLine,
    MonitoringRoundForm,
    MonitoringSheet,
    SelfEvalForm,
    SelfEvalIndicatorLine,
    SelfEvalSheet,
)
from tracker.services import department, department_evaluation
from tracker.services.monitoring.evaluate import ProjectEvaluation, evaluate
from tracker.services.spending import ledger_closed_through
from tracker.services.projects import scope_projects, visible_years
from tracker.services.settings import monitoring_settings

FLAGGED = ("yellow", "red")
ROUND_SNAPSHOT_KINDS = ("round", "checkpoint")  # a 'round' snapshot wins over a checkpoint one
DEFAULT_TIMEZONE = ZoneInfo("Asia/Shanghai")
#: 1-N月执行情况 of qualitative indicators, in the monitoring form's wording (DOMAIN §2)
ACHIEVEMENT_TEXT = {
    "achieved": "达成目标",
    "partial": "部分达成目标并具有一定效果",
    "not_achieved": "未达成目标且效果较差",
}


def _unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(f"单位 {unit_id} 不存在")
    return unit


def _projects(session: Session, year: int, unit_id: int | None) -> list[Project]:
    query = select(Project).where(Project.year == year)
    if unit_id is not None:
        query = query.where(Project.unit_id == unit_id)
    return list(session.scalars(query.options(selectinload(Project.indicators), selectinload(Project.unit))
                                .order_by(Project.unit_id, Project.id)))


def cutoff_of(year: int, month: int) -> date:
    if not 1 <= month <= 12:
        raise ValidationFailed(f"月份应为1至12，当前为 {month}")
    return month_end(year, month)


@dataclass(frozen=True)
class ReportChoice:
    """What the 报表 page offers one user, and what is chosen: the years with projects the
    user may see (newest first), the units with such projects in the chosen year, and N."""

    years: tuple[int, ...]
    year: int | None  # None: no visible project at all
    month: int
    units: tuple[tuple[int, str], ...]  # (id, label)
    unit_id: int | None  # None: the unit asked for is not one of ``units`` (or there is none)


def choose(session: Session, user: User, *, year: int | None, month: int | None,
           unit_id: int | None, today: date) -> ReportChoice:
    """The year (asked, else this year, else the newest earlier one, else the newest), the
    month (asked, else the monitoring month of the settings) and the unit (asked — only one
    the user may see — else the first).  Unit staff see their own units only."""
    years = tuple(visible_years(session, user))
    if month is None or not 1 <= month <= 12:
        month = monitoring_settings(session).monitoring_month
    if not years:
        return ReportChoice((), None, month, (), None)
    if year not in years:
        year = today.year if today.year in years else next((y for y in years if y < today.year), years[0])
    units_query = scope_projects(
        select(Unit.id, Unit.code, Unit.name).join(Project, Project.unit_id == Unit.id)
        .where(Project.year == year).distinct().order_by(Unit.code, Unit.name, Unit.id), user)
    units = tuple((uid, f"{code} {name}".strip()) for uid, code, name in session.execute(units_query))
    if unit_id is None:
        unit_id = units[0][0] if units else None
    elif unit_id not in {uid for uid, _ in units}:
        unit_id = None
    return ReportChoice(years, year, month, units, unit_id)


# --- 绩效监控情况表 ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _RoundFigures:
    """One project's money and statuses at the cut-off, from its frozen snapshot or evaluated now."""

    budget: Decimal
    spent: Decimal
    execution_rate: Decimal | None
    planned_pct: Decimal
    money_status: str
    overall_status: str
    ledger_covered: bool
    ledger_closed_through: date | None
    forecast: Decimal
    colours: dict[int, str]  # indicator id → colour
    frozen_on: date | None  # None: not frozen
    withdrawn_batch_id: int | None = None  # the frozen snapshot rests on this undone batch
    recomputed: ProjectEvaluation | None = None  # then: evaluated now, shown beside


def _round_figures(session: Session, projects: Sequence[Project], cutoff: date) -> dict[int, _RoundFigures]:
    ids = [p.id for p in projects]
    snapshots: dict[int, Snapshot] = {}
    for kind in reversed(ROUND_SNAPSHOT_KINDS):  # 'round' last, so it replaces a checkpoint one
        for start in range(0, len(ids), 500):
            for snapshot in session.scalars(select(Snapshot).where(
                    Snapshot.kind == kind, Snapshot.as_of == cutoff, Snapshot.frozen.is_(True),
                    Snapshot.project_id.in_(ids[start:start + 500]))):
                snapshots[snapshot.project_id] = snapshot
    figures = {pid: _from_snapshot(s) for pid, s in snapshots.items()}
    live = [pid for pid in ids if pid not in figures]
    withdrawn = [pid for pid, s in snapshots.items() if s.withdrawn_batch_id is not None]
    if live or withdrawn:
        for pid, evaluation in evaluate(session, cutoff, live + withdrawn).items():
            figures[pid] = replace(figures[pid], recomputed=evaluation) if pid in figures \
                else _from_evaluation(evaluation)
    return figures


def _from_snapshot(snapshot: Snapshot) -> _RoundFigures:
    return _RoundFigures(
        budget=snapshot.budget, spent=snapshot.spent, execution_rate=snapshot.execution_rate,
        planned_pct=snapshot.planned_pct, money_status=snapshot.money_status,
        overall_status=snapshot.overall_status, ledger_covered=snapshot.ledger_covered,
        ledger_closed_through=snapshot.ledger_closed_through, forecast=snapshot.forecast,
        colours={int(i["id"]): str(i["colour"]) for i in snapshot.indicators or () if "id" in i},
        frozen_on=snapshot.evaluated_on, withdrawn_batch_id=snapshot.withdrawn_batch_id)


def _from_evaluation(evaluation: ProjectEvaluation) -> _RoundFigures:
    money = evaluation.money
    return _RoundFigures(
        budget=evaluation.budget, spent=evaluation.spent,
        execution_rate=None if money.execution_rate is None else _pct(money.execution_rate),
        planned_pct=_pct(money.planned_pct), money_status=money.status,
        overall_status=evaluation.overall, ledger_covered=evaluation.ledger_covered,
        ledger_closed_through=evaluation.ledger_closed_through,
        forecast=round_money(evaluation.forecast.by_plan),
        colours={i.indicator_id: i.status.colour for i in evaluation.indicators}, frozen_on=None)


def _pct(value: Decimal) -> Decimal:
    """A percent as a snapshot stores it (four places, 四舍五入)."""
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _explanations(session: Session, ids: Sequence[int], cutoff: date) -> dict[int, DeviationExplanation]:
    """Per project, the newest explanation dated in the cut-off's year, on or before it."""
    newest: dict[int, DeviationExplanation] = {}
    for start in range(0, len(ids), 500):
        for explanation in session.scalars(
                select(DeviationExplanation).options(selectinload(DeviationExplanation.forecasts))
                .where(DeviationExplanation.project_id.in_(ids[start:start + 500]),
                       DeviationExplanation.as_of >= date(cutoff.year, 1, 1),
                       DeviationExplanation.as_of <= cutoff)
                .order_by(DeviationExplanation.as_of, DeviationExplanation.id)):
            newest[explanation.project_id] = explanation
    return newest


def _progress(session: Session, ids: Sequence[int], cutoff: date) -> dict[int, ProgressReport]:
    """Per indicator, the newest progress report on or before the cut-off."""
    newest: dict[int, ProgressReport] = {}
    for start in range(0, len(ids), 500):
        for report in session.scalars(
                select(ProgressReport).where(ProgressReport.project_id.in_(ids[start:start + 500]),
                                             ProgressReport.reported_on <= cutoff,
                                             ProgressReport.reported_on >= date(cutoff.year, 1, 1))
                .order_by(ProgressReport.reported_on, ProgressReport.id)):
            newest[report.indicator_id] = report
    return newest


def progress_text(indicator: Indicator, report: ProgressReport | None) -> str:
    """1-N月执行情况 of one indicator: “18家”, “部分达成目标并具有一定效果”, “已于2025年5月20日完成”."""
    if report is None:
        return ""
    if report.value is not None:
        return f"{report.value.normalize():f}{indicator.target_unit or ''}"
    if report.achievement:
        return ACHIEVEMENT_TEXT.get(report.achievement, report.achievement)
    if report.completed_on is not None:
        day = report.completed_on
        return f"已于{day.year}年{day.month}月{day.day}日完成"
    return (report.note or "").strip()


@dataclass(frozen=True)
class MissingExplanation:
    """A project yellow or red at the cut-off with no 偏差说明 for the round."""

    project_id: int
    project_name: str
    unit_id: int
    unit_name: str
    status: str  # red / yellow


def missing_explanations(session: Session, year: int, month: int,
                         unit_id: int | None = None) -> list[MissingExplanation]:
    """The projects (of one unit, or all) that are yellow or red at the end of month N and
    have no 偏差说明 dated in the year up to then: what the 绩效监控情况表 will mark."""
    cutoff = cutoff_of(year, month)
    projects = _projects(session, year, unit_id)
    figures = _round_figures(session, projects, cutoff)
    explained = _explanations(session, [p.id for p in projects], cutoff)
    return [MissingExplanation(p.id, p.name, p.unit_id, p.unit.name, figures[p.id].overall_status)
            for p in projects
            if figures[p.id].overall_status in FLAGGED and p.id not in explained]


def monitoring_round_form(session: Session, year: int, month: int, unit_id: int,
                          today: date) -> MonitoringRoundForm:
    """The 绩效监控情况表 of every project of ``unit_id`` for 1-``month``月 of ``year``."""
    cutoff = cutoff_of(year, month)
    unit = _unit(session, unit_id)
    projects = _projects(session, year, unit_id)
    ids = [p.id for p in projects]
    figures = _round_figures(session, projects, cutoff)
    explanations = _explanations(session, ids, cutoff)
    reports = _progress(session, ids, cutoff)
    sheets = tuple(_monitoring_sheet(p, year, month, cutoff, figures[p.id], explanations.get(p.id),
                                     reports) for p in projects)
    return MonitoringRoundForm(
        unit_name=unit.name, year=year, month=month, cutoff=cutoff, sheets=sheets,
        generated_on=today,
        sources=_monitoring_sources(session, unit, year, month, cutoff, sheets))


def _monitoring_sheet(project: Project, year: int, month: int, cutoff: date, figures: _RoundFigures,
                      explanation: DeviationExplanation | None,
                      reports: dict[int, ProgressReport]) -> MonitoringSheet:
    forecasts = {f.indicator_id: f.forecast for f in explanation.forecasts} if explanation else {}
    recomputed = figures.recomputed
    lines = tuple(MonitoringIndicatorLine(
        level1=i.level1, level2=i.level2, name=i.name, target_raw=i.target_raw,
        progress=progress_text(i, reports.get(i.id)), forecast=forecasts.get(i.id, ""),
        colour=figures.colours.get(i.id, "grey")) for i in project.indicators)
    return MonitoringSheet(
        project_id=project.id, project_code=project.code, project_name=project.name,
        supervising_department=project.supervising_department or "",
        implementing_unit=project.implementing_unit or project.unit.name,
        year=year, month=month, cutoff=cutoff,
        initial_budget=project.initial_budget, fiscal_funds=project.fiscal_funds,
        other_funds=project.other_funds, annual_budget=figures.budget, spent=figures.spent,
        execution_rate=figures.execution_rate, forecast=figures.forecast,
        planned_pct=figures.planned_pct, money_status=figures.money_status,
        overall_status=figures.overall_status, ledger_covered=figures.ledger_covered,
        frozen=figures.frozen_on is not None, goal=project.goal or "", goal_progress="",
        indicators=lines,
        causes=tuple(explanation.causes) if explanation else (),
        likelihood=explanation.likelihood if explanation else None,
        reason=(explanation.reason or "") if explanation else "",
        corrective_actions=(explanation.corrective_actions or "") if explanation else "",
        explanation_missing=explanation is None and figures.overall_status in FLAGGED,
        frozen_on=figures.frozen_on, ledger_closed_through=figures.ledger_closed_through,
        explanation_as_of=explanation.as_of if explanation else None,
        withdrawn_batch_id=figures.withdrawn_batch_id,
        recomputed_rate=None if recomputed is None or recomputed.money.execution_rate is None
        else _pct(recomputed.money.execution_rate),
        recomputed_status=None if recomputed is None else recomputed.overall)


def _monitoring_sources(session: Session, unit: Unit, year: int, month: int, cutoff: date,
                        sheets: Sequence[MonitoringSheet]) -> tuple[str, ...]:
    round_ = session.scalar(select(MonitoringRound).where(MonitoringRound.year == year,
                                                          MonitoringRound.month == month))
    lines = [f"监控轮次：{year}年1-{month}月，截止日 {cutoff.isoformat()}，" + (
        f"{round_.opened_on.isoformat()} 开启" + ("（补开）" if round_.late else "")
        if round_ else "尚未开启")]
    frozen = [s for s in sheets if s.frozen]
    lines.append(f"资金与状态：{len(frozen)} 个项目取截止日的冻结快照，"
                 f"{len(sheets) - len(frozen)} 个项目按生成时的数据计算（未冻结）")
    withdrawn = [s.project_name for s in sheets if s.withdrawn_batch_id is not None]
    if withdrawn:
        lines.append(f"更正：{len(withdrawn)} 个项目的冻结快照基于已撤销的台账批次（{'、'.join(withdrawn)}），"
                     "表中为冻结值并附按当前数据重算的结果，待财务确认后重新冻结")
    explained = sum(1 for s in sheets if s.likelihood is not None)
    missing = [s.project_name for s in sheets if s.explanation_missing]
    lines.append(f"偏差说明：{explained} 个项目取截止日前最新一份；未填写（红灯/黄灯）{len(missing)} 个"
                 + (f"：{'、'.join(missing)}" if missing else ""))
    closed = ledger_closed_through(session, [unit.id]).get(unit.id)
    lines.append(f"台账截止日：{closed.isoformat() if closed else '尚未导入台账'}")
    batches = session.scalars(select(LedgerBatch).where(
        LedgerBatch.unit_id == unit.id, LedgerBatch.status == "active",
        LedgerBatch.period_start <= cutoff, LedgerBatch.period_end >= date(year, 1, 1))
        .order_by(LedgerBatch.id))
    lines.extend(_batch_line(b) for b in batches)
    return tuple(lines)


def _batch_line(batch: LedgerBatch) -> str:
    """A ledger batch as a 数据来源 line (only what never changes after the import)."""
    return (f"台账批次 #{batch.id}：{batch.source}，{batch.file_name}，"
            f"{batch.period_start.isoformat()}至{batch.period_end.isoformat()}，计入 {batch.counted_rows} 行 "
            f"{batch.counted_total:,.2f} 元，{batch.imported_at.date().isoformat()} 由 {batch.actor} 导入")


# --- 项目支出绩效自评表 ------------------------------------------------------------------------


@dataclass(frozen=True)
class MissingEvaluation:
    """A project with no frozen (submitted) 自评 of its year."""

    project_id: int
    project_name: str
    unit_id: int
    unit_name: str
    has_draft: bool


def _evaluations(session: Session, ids: Sequence[int], year: int, *, frozen: bool) -> dict[int, Evaluation]:
    """Per project, its newest (highest number) frozen evaluation — or newest draft."""
    chosen: dict[int, Evaluation] = {}
    state = Evaluation.frozen_at.is_not(None) if frozen else Evaluation.frozen_at.is_(None)
    for start in range(0, len(ids), 500):
        newest = (select(Evaluation.project_id, func.max(Evaluation.number).label("number"))
                  .where(Evaluation.project_id.in_(ids[start:start + 500]), Evaluation.year == year, state)
                  .group_by(Evaluation.project_id).subquery())
        for evaluation in session.scalars(
                select(Evaluation).join(newest, (newest.c.project_id == Evaluation.project_id)
                                        & (newest.c.number == Evaluation.number))
                .options(selectinload(Evaluation.indicators))):
            chosen[evaluation.project_id] = evaluation
    return chosen


def missing_evaluations(session: Session, year: int, unit_id: int | None = None) -> list[MissingEvaluation]:
    """The projects (of one unit, or all) of ``year`` without a frozen 自评: what the 自评表
    workbook will list as missing."""
    projects = _projects(session, year, unit_id)
    ids = [p.id for p in projects]
    frozen = _evaluations(session, ids, year, frozen=True)
    drafts = set(session.scalars(select(Evaluation.project_id).where(
        Evaluation.project_id.in_(ids), Evaluation.year == year, Evaluation.frozen_at.is_(None))))
    return [MissingEvaluation(p.id, p.name, p.unit_id, p.unit.name, p.id in drafts)
            for p in projects if p.id not in frozen]


def self_eval_form(session: Session, year: int, unit_id: int, today: date, *,
                   include_drafts: bool = False, timezone: tzinfo = DEFAULT_TIMEZONE) -> SelfEvalForm:
    """The 项目支出绩效自评表 of every project of ``unit_id`` in ``year`` with a frozen 自评 (or,
    with ``include_drafts``, its newest draft, marked).  ``timezone``: for submission times."""
    unit = _unit(session, unit_id)
    projects = _projects(session, year, unit_id)
    ids = [p.id for p in projects]
    chosen = _evaluations(session, ids, year, frozen=True)
    if include_drafts:
        drafts = _evaluations(session, [pid for pid in ids if pid not in chosen], year, frozen=False)
        chosen.update(drafts)
    sheets = tuple(_self_eval_sheet(p, chosen[p.id], timezone) for p in projects if p.id in chosen)
    missing = tuple(p.name for p in projects if p.id not in chosen)
    overview = session.scalar(select(DepartmentYear.overall_goal).where(
        DepartmentYear.unit_id == unit_id, DepartmentYear.year == year))
    used = [chosen[p.id] for p in projects if p.id in chosen]
    form = SelfEvalForm(
        unit_name=unit.name, year=year, sheets=sheets, generated_on=today,
        sources=_self_eval_sources(session, unit, year, used, len(missing)),
        unit_overview=overview or "", missing=missing)
    return _with_department(session, form, unit_id, year)


def _with_department(session: Session, form: SelfEvalForm, unit_id: int, year: int) -> SelfEvalForm:
    """The form with the department's own indicators scored (二、绩效目标实现情况), if any were read."""
    record = session.scalar(select(DepartmentYear).where(
        DepartmentYear.unit_id == unit_id, DepartmentYear.year == year))
    if record is None or not department.indicators_of(session, record):
        return form
    result = department_evaluation.printable(session, record)  # the frozen 自评 when submitted
    lines = tuple(SelfEvalIndicatorLine(
        level1=line.level1, level2=line.level2, name=line.name, target_raw=line.target_raw or "（未给出）",
        actual_raw=line.actual_raw, weight=line.weight, score=line.score,
        deviation_reason=line.deviation_reason, kind=line.kind)
        for line in result.lines)
    return replace(form, department_lines=lines, department_total=result.total,
                   department_grade=result.grade, department_execution_rate=result.execution_rate,
                   department_unscored=result.unscored_findings)


def _self_eval_sheet(project: Project, evaluation: Evaluation, timezone: tzinfo) -> SelfEvalSheet:
    lines = tuple(SelfEvalIndicatorLine(
        level1=i.level1, level2=i.level2, name=i.name, target_raw=i.target_raw,
        actual_raw=i.actual_raw or "", weight=i.weight, score=i.score,
        deviation_reason=i.deviation_reason or "", kind=i.kind)
        for i in sorted(evaluation.indicators, key=lambda i: (i.position, i.id)))
    frozen_at = evaluation.frozen_at
    return SelfEvalSheet(
        project_id=project.id, evaluation_id=evaluation.id, evaluation_number=evaluation.number,
        frozen=evaluation.frozen, project_code=project.code, project_name=project.name,
        supervising_department=project.supervising_department or "",
        implementing_unit=project.implementing_unit or project.unit.name, year=evaluation.year,
        initial_budget=evaluation.initial_budget, annual_budget=evaluation.annual_budget,
        spent=evaluation.spent, fiscal_funds=evaluation.fiscal_funds, carryover=evaluation.carryover,
        other_funds=evaluation.other_funds, execution_weight=evaluation.execution_weight,
        execution_rate=evaluation.execution_rate, execution_score=evaluation.execution_score,
        goal=evaluation.goal or "", goal_actual=evaluation.goal_actual or "", indicators=lines,
        total=evaluation.total, grade=evaluation.grade,
        warnings=tuple(_warning_text(w) for w in evaluation.warnings or ()),
        frozen_at=None if frozen_at is None else frozen_at.astimezone(timezone).replace(tzinfo=None),
        frozen_by=actor_label(evaluation.frozen_by),
        ledger_closed_through=evaluation.ledger_closed_through,
        sources=source_lines(evaluation.sources or {}))


def _warning_text(warning: Any) -> str:
    if isinstance(warning, dict):
        return str(warning.get("message") or warning.get("code") or "")
    return str(warning)


def source_lines(sources: dict[str, Any]) -> tuple[str, ...]:
    """An evaluation's ``sources`` as 数据来源 lines: the keys ``tracker.services.evaluation``
    writes in Chinese, in a fixed order, then any other key as it is (sorted)."""
    lines = []
    if sources.get("as_of"):
        lines.append(f"数据截至：{sources['as_of']}")
    if isinstance(sources.get("ledger_batches"), list):
        lines.append("计入的台账批次：" + ("、".join(f"#{b}" for b in sources["ledger_batches"]) or "无"))
    if "ledger_closed_through" in sources:
        lines.append(f"台账截止日：{sources['ledger_closed_through'] or '尚未导入台账'}")
    if isinstance(sources.get("progress_reports"), list):
        reports = sources["progress_reports"]
        lines.append(f"完成值填报记录：{len(reports)} 条" + (
            "（" + "、".join(f"#{r}" for r in reports) + "）" if reports else ""))
    settings = sources.get("settings")
    if isinstance(settings, dict):
        lines.append(_settings_line(settings))
    known = {"as_of", "ledger_batches", "ledger_closed_through", "progress_reports", "settings"}
    lines.extend(f"{key}：{_plain(sources[key])}" for key in sorted(set(sources) - known))
    return tuple(lines)


def _settings_line(settings: dict[str, Any]) -> str:
    names = (("output_weight", "产出"), ("effect_weight", "效益"), ("satisfaction_weight", "满意度"),
             ("execution_weight", "预算执行率"))
    weights = "、".join(f"{label} {settings[key]}" for key, label in names if key in settings)
    bands = (("excellent_from", "优"), ("good_from", "良"), ("fair_from", "中"))
    grades = "、".join(f"{label}≥{settings[key]}" for key, label in bands if key in settings)
    return "评分设置：" + "；".join(part for part in (f"权重 {weights}" if weights else "",
                                                   f"等级 {grades}" if grades else "") if part)


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return "，".join(f"{k} {_plain(v)}" for k, v in sorted(value.items()))
    if isinstance(value, (list, tuple)):
        return "、".join(_plain(v) for v in value) or "无"
    return "" if value is None else str(value)


def _batch_ids(sources: dict[str, Any]) -> list[int] | None:
    """The ledger batch ids an evaluation's ``sources`` names, if it names any."""
    for key in ("ledger_batches", "batches"):
        value = sources.get(key)
        if isinstance(value, list):
            ids = []
            for item in value:
                if isinstance(item, int):
                    ids.append(item)
                elif isinstance(item, dict):
                    found = item.get("id", item.get("batch_id"))
                    if isinstance(found, int):
                        ids.append(found)
            return ids
    return None


def _self_eval_sources(session: Session, unit: Unit, year: int, used: Iterable[Evaluation],
                       missing: int) -> tuple[str, ...]:
    used = list(used)
    frozen = [e for e in used if e.frozen]
    lines = [f"自评表：{len(frozen)} 个项目使用已提交（冻结）的自评，{len(used) - len(frozen)} 个使用草稿，"
             f"{missing} 个没有自评"]
    named: set[int] = set()
    any_named = False
    for evaluation in used:
        ids = _batch_ids(evaluation.sources or {})
        if ids is not None:
            any_named = True
            named.update(ids)
    query = select(LedgerBatch).where(LedgerBatch.unit_id == unit.id).order_by(LedgerBatch.id)
    if any_named:
        batches = list(session.scalars(query.where(LedgerBatch.id.in_(sorted(named)))))
    else:
        query = query.where(LedgerBatch.period_start <= date(year, 12, 31),
                            LedgerBatch.period_end >= date(year, 1, 1))
        if used and len(frozen) == len(used):
            moment: datetime = max(e.frozen_at for e in frozen if e.frozen_at is not None)
            query = query.where(LedgerBatch.imported_at <= moment,
                                (LedgerBatch.undone_at.is_(None)) | (LedgerBatch.undone_at > moment))
        else:  # drafts follow the ledger as it is now
            query = query.where(LedgerBatch.status == "active")
        batches = list(session.scalars(query))
    lines.extend(_batch_line(b) for b in batches)
    if not batches:
        lines.append("台账批次：无")
    return tuple(lines)
