"""填报表 in Excel (issue #17): build a unit's prefilled workbook, and preview / apply a filled one.

Applying goes through ``record_progress`` and ``record_explanation``, the functions the web
forms use, so an uploaded value is the same record as a typed one (history, alerts,
snapshots and reports see it) and is refused for the same reasons, in the same words.

Decisions (the issue is silent):

- 完成日期 is the date the value is as of (the form's 完成值日期); left blank it is the
  workbook's date.  For a deadline indicator 本次完成值 is the completion date.
- A row with nothing filled in is not reported.  A 备注 alone is recorded as a progress note
  for a deadline indicator (as the web form allows) and refused for the others, which need a
  value; so is a 完成日期 without a value.
- Re-uploading changes nothing: a row equal to the newest report of the same indicator and
  date (value, level, completion date, note) is left out, and so is a 偏差说明 equal to the
  newest one of its project and checkpoint.
- 偏差说明 is recorded for the workbook's date when it is one of the project's checkpoints,
  else for the latest checkpoint before it (as the web form defaults); its
  全年预计完成情况 is one text per project, recorded for each of the project's indicators.
  有可能 / 完全不可能 need a ticked cause, 全年预计完成情况 and 原因说明.
- The whole upload is one unit of work: with any refusal nothing is applied, and a preview
  applies inside a savepoint that is rolled back, so it shows exactly what applying would do.
- The 部门整体 sheet (a unit with department indicators for the year) is built and applied by
  ``services/department_workbook.py`` through ``department.add_progress``, inside the same
  savepoint: a refusal there leaves the project sheets unsaved too, and the other way round.
- Applying takes the unit's lock (``ledger_lock.lock_unit``, the one ledger imports take) as
  its first statement, so two confirms of one file (a double click, two clerks) run one after
  the other and the second finds everything already there; the boundary runs it through
  ``ledger_lock.retrying``.  Sharing the ledger's lock also means a workbook and a ledger
  import of the same unit never interleave their alerts and snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.core.achievement import parse_achievement
from tracker.core.labels import ACHIEVEMENT_LABELS, CAUSES, COLOUR_LABELS, LIKELIHOODS
from tracker.core.money import yuan_to_wan
from tracker.errors import EvaluationFrozen, FormInvalid, NotFound, TrackerError
from tracker.importers.file_limits import DEFAULT_LIMITS, FileLimits
from tracker.importers.progress_workbook import (
    EXPLANATION_SHEET,
    INDICATOR_SHEET,
    SELF_EVAL_SHEET,
    FilledWorkbook,
    Refusal,
    SelfEvalEntry,
    read_filled_workbook,
)
from tracker.importers.target_values import format_number, parse_reported_number
from tracker.models import (
    DeviationExplanation,
    Evaluation,
    EvaluationIndicator,
    Indicator,
    ProgressReport,
    Project,
    Unit,
    User,
)
from tracker.reports.progress_workbook import (
    ExplanationLine,
    FillTemplate,
    IndicatorLine,
    SelfEvalLine,
    progress_workbook,
)
from tracker.services import audit, department_workbook
from tracker.services.evaluation import EvaluationEdit, IndicatorEdit, evaluations_of, update_draft
from tracker.services.ledger_lock import lock_unit
from tracker.services.monitoring.evaluate import evaluate
from tracker.services.progress import (
    ExplanationForm,
    ProgressForm,
    explanation_date,
    latest_explanation,
    record_explanation,
    record_progress,
)

_ORDER = {"red": 0, "yellow": 1, "grey": 2, "green": 3, "blue": 4}


# --- the template -------------------------------------------------------------------------


def template(session: Session, unit: Unit, as_of: date, secret: str, *, kind: str = "monitoring",
             project_id: int | None = None) -> bytes:
    """The 填报表 of ``unit`` (or of its one project ``project_id``) as of ``as_of``."""
    query = select(Project).where(Project.unit_id == unit.id, Project.year == as_of.year)
    if project_id is not None:
        query = query.where(Project.id == project_id)
    projects = list(session.scalars(query.order_by(Project.code, Project.name, Project.id)))
    if project_id is not None and not projects:
        raise NotFound(f"{unit.name}在{as_of.year}年没有这个项目")
    if kind == "self-eval":
        return _self_eval_template(session, unit, as_of, projects, secret)
    evaluations = evaluate(session, as_of, [p.id for p in projects]) if projects else {}
    indicators: list[IndicatorLine] = []
    explanations: list[ExplanationLine] = []
    for project in projects:
        evaluation = evaluations[project.id]
        reports = {i.indicator_id: i.report for i in evaluation.indicators}
        for indicator in project.indicators:
            latest = reports.get(indicator.id)
            indicators.append(IndicatorLine(
                project.id, project.code, project.name, indicator.id, indicator.level1,
                indicator.level2, indicator.name, indicator.target_raw, indicator.kind,
                indicator.target_unit, _shown(latest), latest.reported_on if latest else None))
        explanations.append(ExplanationLine(
            project.id, project.code, project.name, COLOUR_LABELS[evaluation.overall],
            explanation_date(session, project, as_of.isoformat(), as_of + timedelta(days=1)),
            yuan_to_wan(evaluation.budget), yuan_to_wan(evaluation.spent), evaluation.money.execution_rate,
            evaluation.money.planned_pct))
    order = {e.project_id: _ORDER[evaluations[e.project_id].overall] for e in explanations}
    explanations.sort(key=lambda e: order[e.project_id])
    lines = department_workbook.sheet_lines(session, unit, as_of) if project_id is None else []
    return progress_workbook(FillTemplate(unit.id, unit.name, as_of, kind, indicators, explanations,
                                          department=lines), secret)


def _self_eval_template(session: Session, unit: Unit, as_of: date, projects: list[Project],
                        secret: str) -> bytes:
    lines: list[SelfEvalLine] = []
    without: list[str] = []
    for project in projects:
        history = evaluations_of(session, project)
        if not history or history[-1].frozen:
            without.append(project.name)
            continue
        for row in history[-1].indicators:
            lines.append(SelfEvalLine(
                project.id, project.code, project.name, row.id, row.level1, row.level2, row.name,
                row.target_raw, row.kind, row.target_unit, row.weight, row.score,
                row.actual_raw or "", row.completed_on,
                ACHIEVEMENT_LABELS.get(row.achievement or "", ""), row.deviation_reason or ""))
    return progress_workbook(FillTemplate(unit.id, unit.name, as_of, "self-eval", [], [], lines, without), secret)


def _shown(report: Any, unit: str | None = None) -> str:
    """A reported value as the pages show it (a number with ``unit``: ``95%``, ``4家``)."""
    if report is None:
        return ""
    if report.value is not None:
        return format_number(report.value) + (unit or "")
    if report.achievement:
        return ACHIEVEMENT_LABELS.get(report.achievement, report.achievement)
    if report.completed_on:
        return f"已于 {report.completed_on.isoformat()} 完成"
    return "已填报进展"


# --- preview and apply --------------------------------------------------------------------


@dataclass
class WorkbookImport:
    """What an upload changes (or would), and what it refuses; ``applied``: it was saved."""

    unit: Unit | None = None
    as_of: date | None = None
    kind: str = "monitoring"
    changes: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    unchanged: int = 0
    applied: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"applied": self.applied, "kind": self.kind, "unit": self.unit.name if self.unit else None,
                "as_of": self.as_of.isoformat() if self.as_of else None,
                "changes": self.changes, "unchanged": self.unchanged,
                "refusals": [r.as_json() for r in self.refusals]}


_PROGRESS_COLUMNS = {"value": "本次完成值", "achievement": "本次完成值", "reported_on": "完成日期",
                     "note": "备注", "indicator_id": "标识"}
_EXPLANATION_COLUMNS = {"as_of": "说明检查点", "causes": "偏差原因", "likelihood": "完成目标可能性",
                        "forecasts": "全年预计完成情况", "reason": "原因说明"}


def import_workbook(session: Session, data: bytes, *, filename: str, actor: User | str, today: date,
                    secret: str, apply: bool, allowed_unit_ids: set[int] | None = None,
                    limits: FileLimits = DEFAULT_LIMITS) -> WorkbookImport:
    """Preview (``apply`` false) or apply a filled 填报表.  Applied only when nothing is
    refused; otherwise (and always for a preview) the database is left as it was.
    ``allowed_unit_ids``: the units ``actor`` may report for (None: any)."""
    result = WorkbookImport()
    try:
        parsed = read_filled_workbook(data, secret, filename=filename, limits=limits)
    except TrackerError as error:
        result.refusals.append(Refusal("", None, "", str(error)))
        return result
    result.refusals.extend(parsed.refusals)
    if parsed.unit_id is None:
        return result
    if apply:  # one change of a unit's figures at a time: re-uploads wait, then find it done
        lock_unit(session, parsed.unit_id)
    result.unit, result.as_of, result.kind = session.get(Unit, parsed.unit_id), parsed.as_of, parsed.kind
    if result.unit is None:
        result.refusals.append(Refusal("", None, "", "填报表所属的单位已不存在"))
        return result
    if allowed_unit_ids is not None and result.unit.id not in allowed_unit_ids:
        result.refusals.append(Refusal("", None, "", f"您不能为“{result.unit.name}”上传填报表（只能上传本单位的）"))
        return result
    savepoint = session.begin_nested()
    try:
        if parsed.kind == "self-eval":
            _apply_self_eval(session, parsed, result, actor)
        else:
            _apply(session, parsed, result, actor, today)
    except BaseException:
        savepoint.rollback()
        raise
    if apply and not result.refusals:
        if result.changes:
            audit.record(session, actor, "import_progress_workbook", "unit", result.unit.id,
                         file=filename, as_of=parsed.as_of.isoformat() if parsed.as_of else None,
                         changes=len(result.changes))
        savepoint.commit()
        result.applied = True
    else:
        savepoint.rollback()
    return result


def _apply(session: Session, parsed: FilledWorkbook, result: WorkbookImport, actor: User | str,
           today: date) -> None:
    assert parsed.as_of is not None and result.unit is not None
    ids = {e.project_id for e in parsed.indicators} | {e.project_id for e in parsed.explanations}
    projects = {p.id: p for p in session.scalars(select(Project).where(Project.id.in_(ids)))} if ids else {}
    indicators = {i.id: i for i in session.scalars(select(Indicator).where(
        Indicator.id.in_([e.indicator_id for e in parsed.indicators])))} if parsed.indicators else {}
    for entry in parsed.indicators:
        project, indicator = projects.get(entry.project_id), indicators.get(entry.indicator_id)
        if not _own(project, result, INDICATOR_SHEET, entry.row) or project is None:
            continue
        if indicator is None or indicator.project_id != project.id:
            result.refusals.append(Refusal(INDICATOR_SHEET, entry.row, "标识", "该指标已不存在，请重新下载填报表"))
            continue
        form = _progress_form(indicator, entry, parsed.as_of)
        if _same_as_reported(session, indicator, form):
            result.unchanged += 1
            continue
        old = _latest(session, indicator, form.reported_on)
        try:
            report = record_progress(session, project, form, today, actor)
        except FormInvalid as invalid:
            for name, message in invalid.fields.items():
                result.refusals.append(Refusal(INDICATOR_SHEET, entry.row,
                                               _PROGRESS_COLUMNS.get(name, "本次完成值"), message))
            continue
        result.changes.append({
            "sheet": INDICATOR_SHEET, "row": entry.row, "project": project.name,
            "project_code": project.code, "indicator": indicator.name, "indicator_id": indicator.id,
            "reported_on": report.reported_on.isoformat(), "old": old,
            "new": _shown(report, indicator.target_unit)})
    for explanation in parsed.explanations:
        project = projects.get(explanation.project_id)
        if not _own(project, result, EXPLANATION_SHEET, explanation.row) or project is None:
            continue
        _explain(session, project, explanation, parsed.as_of, result, actor)
    if parsed.department:
        changes, refusals, unchanged = department_workbook.apply_entries(
            session, result.unit, parsed.department, parsed.as_of, actor, today)
        result.changes += changes
        result.refusals += refusals
        result.unchanged += unchanged


def _own(project: Project | None, result: WorkbookImport, sheet: str, row: int) -> bool:
    assert result.unit is not None
    if project is None:
        result.refusals.append(Refusal(sheet, row, "标识", "该项目已不存在，请重新下载填报表"))
        return False
    if project.unit_id != result.unit.id:
        result.refusals.append(Refusal(sheet, row, "项目编码",
                                       f"项目“{project.name}”不属于“{result.unit.name}”，不能在本单位的填报表中填报"))
        return False
    return True


def _progress_form(indicator: Indicator, entry: Any, as_of: date) -> ProgressForm:
    reported_on = (entry.reported_on or as_of).isoformat()
    base = {"indicator_id": str(indicator.id), "reported_on": reported_on, "note": entry.note}
    if indicator.kind == "qualitative":
        return ProgressForm(**base, achievement=entry.value.text)
    if indicator.kind == "deadline":
        completed = entry.value.day.isoformat() if entry.value.day else entry.value.text
        return ProgressForm(**base, completed_on=completed)
    return ProgressForm(**base, value=entry.value.text)


def _newest_on(session: Session, indicator: Indicator, day: str) -> ProgressReport | None:
    return session.scalar(select(ProgressReport).where(
        ProgressReport.indicator_id == indicator.id, ProgressReport.reported_on == date.fromisoformat(day)
    ).order_by(ProgressReport.id.desc()).limit(1))


def _same_as_reported(session: Session, indicator: Indicator, form: ProgressForm) -> bool:
    """The newest report of this indicator and date says exactly what ``form`` says."""
    try:
        newest = _newest_on(session, indicator, form.reported_on)
    except ValueError:
        return False
    if newest is None:
        return False
    try:
        if indicator.kind == "qualitative":
            same = newest.achievement == parse_achievement(form.achievement)
        elif indicator.kind == "deadline":
            text = form.completed_on.strip()
            same = (newest.completed_on.isoformat() if newest.completed_on else "") == text
        else:
            same = newest.value == parse_reported_number(form.value, indicator.target_unit, "")
    except ValueError:
        return False
    return same and (newest.note or "") == form.note.strip()[:2000]


def _latest(session: Session, indicator: Indicator, day: str) -> str:
    """The value that counted before the upload at ``day`` (the newest on or before it)."""
    report = session.scalar(select(ProgressReport).where(
        ProgressReport.indicator_id == indicator.id, ProgressReport.reported_on <= date.fromisoformat(day)
    ).order_by(ProgressReport.reported_on.desc(), ProgressReport.id.desc()).limit(1))
    return _shown(report, indicator.target_unit)


_LIKELIHOOD_CODES = {label: code for code, label in LIKELIHOODS.items()}
_CAUSE_CODES = {label: code for code, label in CAUSES.items()}


def _explain(session: Session, project: Project, entry: Any, as_of: date, result: WorkbookImport,
             actor: User | str) -> None:
    checkpoint = explanation_date(session, project, as_of.isoformat(), as_of + timedelta(days=1))
    likelihood = _LIKELIHOOD_CODES.get(entry.likelihood.strip(), entry.likelihood.strip())
    refused = False
    if entry.likelihood and likelihood not in LIKELIHOODS:
        result.refusals.append(Refusal(EXPLANATION_SHEET, entry.row, "完成目标可能性",
                                       f"完成目标可能性应为“确定能”“有可能”或“完全不可能”，当前为“{entry.likelihood}”"))
        refused = True
    elif likelihood in ("possible", "impossible") and not entry.reason.strip():
        result.refusals.append(Refusal(EXPLANATION_SHEET, entry.row, "原因说明",
                                       f"完成目标可能性为“{LIKELIHOODS[likelihood]}”时，请填写原因说明"))
        refused = True
    if likelihood in ("possible", "impossible") and not entry.forecast.strip():
        result.refusals.append(Refusal(EXPLANATION_SHEET, entry.row, "全年预计完成情况",
                                       f"完成目标可能性为“{LIKELIHOODS[likelihood]}”时，请填写全年预计完成情况"))
        refused = True
    form = ExplanationForm(
        as_of=checkpoint.isoformat(), causes=tuple(_CAUSE_CODES[c] for c in entry.causes),
        likelihood=likelihood, reason=entry.reason, corrective_actions=entry.corrective_actions,
        forecasts={str(i.id): entry.forecast for i in project.indicators} if entry.forecast.strip() else {})
    if refused:
        return
    if _same_explanation(session, project, checkpoint, form):
        result.unchanged += 1
        return
    old = latest_explanation(session, project, checkpoint)
    try:
        record_explanation(session, project, form, actor)
    except FormInvalid as invalid:
        for name, message in invalid.fields.items():
            if name == "forecasts" and not entry.forecast.strip():
                message = f"完成目标可能性为“{LIKELIHOODS.get(likelihood, '')}”时，请填写全年预计完成情况"
            result.refusals.append(Refusal(EXPLANATION_SHEET, entry.row,
                                           _EXPLANATION_COLUMNS.get(name, "完成目标可能性"), message))
        return
    result.changes.append({
        "sheet": EXPLANATION_SHEET, "row": entry.row, "project": project.name,
        "project_code": project.code, "indicator": "偏差说明", "indicator_id": None,
        "reported_on": checkpoint.isoformat(),
        "old": old.likelihood_label if old else "", "new": LIKELIHOODS[likelihood]})


def _same_explanation(session: Session, project: Project, checkpoint: date, form: ExplanationForm) -> bool:
    newest: DeviationExplanation | None = latest_explanation(session, project, checkpoint)
    if newest is None:
        return False
    forecasts = {str(f.indicator_id): f.forecast for f in newest.forecasts}
    wanted = {k: v.strip()[:500] for k, v in form.forecasts.items() if v.strip()}
    return (newest.likelihood == form.likelihood
            and list(newest.causes) == [c for c in CAUSES if c in form.causes]
            and (newest.reason or "") == form.reason.strip()[:2000]
            and (newest.corrective_actions or "") == form.corrective_actions.strip()[:2000]
            and forecasts == wanted)


# --- 自评 -----------------------------------------------------------------------------------

_SELF_EVAL_COLUMNS = {"actual": "实际完成值", "completed_on": "实际完成值", "achievement": "完成情况",
                      "score": "完成情况", "reason": "偏差原因分析及改进措施"}


def _apply_self_eval(session: Session, parsed: FilledWorkbook, result: WorkbookImport,
                     actor: User | str) -> None:
    """Each project's rows become one ``update_draft`` of its open draft (the rows that differ
    from what the draft holds); refusals by the row and column of the cell concerned."""
    rows = {r.id: r for r in session.scalars(select(EvaluationIndicator).where(
        EvaluationIndicator.id.in_([e.row_id for e in parsed.self_eval])))} if parsed.self_eval else {}
    projects = {p.id: p for p in session.scalars(select(Project).where(
        Project.id.in_({e.project_id for e in parsed.self_eval})))} if parsed.self_eval else {}
    by_evaluation: dict[int, list[tuple[SelfEvalEntry, EvaluationIndicator]]] = {}
    for entry in parsed.self_eval:
        project, row = projects.get(entry.project_id), rows.get(entry.row_id)
        if not _own(project, result, SELF_EVAL_SHEET, entry.row) or project is None:
            continue
        if row is None or row.evaluation.project_id != project.id:
            result.refusals.append(Refusal(SELF_EVAL_SHEET, entry.row, "标识",
                                           "该自评指标已不存在（自评已重新生成），请重新下载填报表"))
            continue
        by_evaluation.setdefault(row.evaluation_id, []).append((entry, row))
    for pairs in by_evaluation.values():
        evaluation: Evaluation = pairs[0][1].evaluation
        edits = {row.id: (entry, _self_eval_edit(row, entry)) for entry, row in pairs}
        changed = {rid: edit for rid, (entry, edit) in edits.items() if not _self_eval_same(rows[rid], edit)}
        result.unchanged += len(edits) - len(changed)
        if not changed:
            continue
        if evaluation.frozen:
            first = min(edits[rid][0].row for rid in changed)
            result.refusals.append(Refusal(SELF_EVAL_SHEET, first, "实际完成值",
                                           f"“{evaluation.project.name}”的第{evaluation.number}次自评已提交冻结，不能再修改；"
                                           "如需重新评价，请在自评页面新建一次自评后重新下载填报表"))
            continue
        before = {rid: _self_eval_text(rows[rid]) for rid in changed}
        try:
            update_draft(session, evaluation, EvaluationEdit(indicators=changed), actor)
        except EvaluationFrozen as error:
            result.refusals.append(Refusal(SELF_EVAL_SHEET, edits[next(iter(changed))][0].row, "实际完成值", str(error)))
            continue
        except FormInvalid as invalid:
            for name, message in invalid.fields.items():
                field_name, _, row_id = name.rpartition("_")
                entry = edits[int(row_id)][0] if row_id.isdigit() and int(row_id) in edits else pairs[0][0]
                result.refusals.append(Refusal(SELF_EVAL_SHEET, entry.row,
                                               _SELF_EVAL_COLUMNS.get(field_name, "实际完成值"), message))
            continue
        for rid in changed:
            row = rows[rid]
            result.changes.append({
                "sheet": SELF_EVAL_SHEET, "row": edits[rid][0].row, "project": evaluation.project.name,
                "project_code": evaluation.project.code, "indicator": row.name, "indicator_id": row.indicator_id,
                "reported_on": evaluation.as_of.isoformat(), "old": before[rid], "new": _self_eval_text(row),
                "score": format_number(row.score), "total": format_number(evaluation.total),
                "grade": evaluation.grade})


def _self_eval_edit(row: EvaluationIndicator, entry: SelfEvalEntry) -> IndicatorEdit:
    """The row's cells as an edit of the draft: the sheet shows the whole draft, so a cell
    left empty clears what was there."""
    if row.kind == "deadline":
        completed = entry.actual.day.isoformat() if entry.actual.day else entry.actual.text
        return IndicatorEdit(completed_on=completed, deviation_reason=entry.reason)
    if row.kind == "qualitative":
        return IndicatorEdit(actual=entry.actual.text, achievement=entry.band, deviation_reason=entry.reason)
    return IndicatorEdit(actual=entry.actual.text, deviation_reason=entry.reason)


def _self_eval_same(row: EvaluationIndicator, edit: IndicatorEdit) -> bool:
    """``edit`` says what the draft row already holds."""
    if (edit.deviation_reason or "").strip() != (row.deviation_reason or ""):
        return False
    if row.kind == "deadline":
        return (edit.completed_on or "").strip() == (row.completed_on.isoformat() if row.completed_on else "")
    if (edit.actual or "").strip() != (row.actual_raw or ""):
        return False
    if row.kind == "qualitative":
        try:
            band = parse_achievement(edit.achievement) if (edit.achievement or "").strip() else None
        except ValueError:
            return False
        return band == row.achievement
    return True


def _self_eval_text(row: EvaluationIndicator) -> str:
    parts = [row.actual_raw or ""]
    if row.kind == "qualitative" and row.achievement:
        parts.append(ACHIEVEMENT_LABELS[row.achievement])
    text = "；".join(p for p in parts if p)
    return text + ("（有偏差原因分析）" if row.deviation_reason else "")
