"""The 部门整体 sheet of the 填报表 (issue #23 on top of #17): its lines, and applying what a
unit filled in through ``department.add_progress`` — the function the department page uses —
so an uploaded value is the same record as a typed one and is refused in the same words.

Decisions, as for the project sheet (``services/progress_workbook.py``): 完成日期 left blank
is the workbook's date; 偏差说明 is the report's note; a row equal to the newest report of the
same indicator and date (value, level, completion date and note) is left out, so re-uploading
changes nothing; a row naming a department year of another unit, or an indicator no longer
there, is refused.  A 偏差说明 alone (no 本次完成值) is refused: a department report needs a value.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.core.achievement import parse_achievement
from tracker.core.labels import ACHIEVEMENT_LABELS
from tracker.importers.progress_workbook import DEPARTMENT_SHEET, DepartmentEntry, Refusal
from tracker.importers.target_values import format_number, parse_reported_number
from tracker.models import DepartmentIndicator, DepartmentProgress, DepartmentYear, Unit, User
from tracker.reports.progress_workbook import DepartmentIndicatorLine
from tracker.services import department


def entry_kind(row: DepartmentIndicator) -> str:
    """What a report of ``row`` holds, as ``department.add_progress`` reads it: a number
    (quantitative / reverse with a 指标值), a completion date (deadline with a date), else a level."""
    if row.kind in ("quantitative", "reverse") and row.target_number is not None:
        return row.kind
    if row.kind == "deadline" and row.deadline is not None:
        return "deadline"
    return "qualitative"


def shown(entry: DepartmentProgress | None, unit: str | None) -> str:
    """A department report as the pages show it."""
    if entry is None:
        return ""
    if entry.value is not None:
        return format_number(entry.value) + (unit or "")
    if entry.achievement:
        return ACHIEVEMENT_LABELS.get(entry.achievement, entry.achievement)
    return f"已于 {entry.completed_on.isoformat()} 完成" if entry.completed_on else ""


def sheet_lines(session: Session, unit: Unit, as_of: date) -> list[DepartmentIndicatorLine]:
    """The 部门整体 rows of ``unit``'s 填报表 at ``as_of``: its department indicators of the year
    (a 分项 without indicator has nothing to report and is left out)."""
    record = session.scalar(select(DepartmentYear).where(
        DepartmentYear.unit_id == unit.id, DepartmentYear.year == as_of.year))
    if record is None:
        return []
    lines = []
    for row in department.indicators_of(session, record):
        if row.name is None:
            continue
        latest = next((e for e in reversed(row.reports) if e.reported_on <= as_of), None)
        lines.append(DepartmentIndicatorLine(
            record.id, row.id, row.goal, row.level1, row.level2, row.name, row.target_raw, entry_kind(row),
            row.target_unit, shown(latest, row.target_unit), latest.reported_on if latest else None))
    return lines


def apply_entries(session: Session, unit: Unit, entries: list[DepartmentEntry], as_of: date,
                  actor: User | str, today: date) -> tuple[list[dict[str, Any]], list[Refusal], int]:
    """Record each filled row (flush): (changes as the preview lists them, refusals, unchanged).
    A 完成日期 outside the year or after ``today`` is refused, as on the page."""
    changes: list[dict[str, Any]] = []
    refusals: list[Refusal] = []
    unchanged = 0
    rows = {r.id: r for r in session.scalars(select(DepartmentIndicator).where(
        DepartmentIndicator.id.in_([e.indicator_id for e in entries])))} if entries else {}
    name = actor.username if isinstance(actor, User) else actor
    for entry in entries:
        row = rows.get(entry.indicator_id)
        if row is None or row.department_year_id != entry.department_year_id or row.name is None:
            refusals.append(Refusal(DEPARTMENT_SHEET, entry.row, "标识", "该部门整体绩效指标已不存在，请重新下载填报表"))
            continue
        if row.department_year.unit_id != unit.id:
            refusals.append(Refusal(DEPARTMENT_SHEET, entry.row, "标识",
                                    f"该指标不属于“{unit.name}”，不能在本单位的填报表中填报"))
            continue
        if entry.value.blank:
            refusals.append(Refusal(DEPARTMENT_SHEET, entry.row, "本次完成值",
                                    f"请填写“{row.name}”的本次完成值（只填完成日期或偏差说明不能保存）"))
            continue
        day = entry.reported_on or as_of
        kind = entry_kind(row)
        raw = entry.value.day.isoformat() if kind == "deadline" and entry.value.day else entry.value.text
        if _same_as_reported(row, day, kind, raw, entry.note):
            unchanged += 1
            continue
        old = next((e for e in reversed(row.reports) if e.reported_on <= day), None)
        old_text = shown(old, row.target_unit)
        try:
            report = department.add_progress(session, row, reported_on=day, actor=name, raw=raw, note=entry.note,
                                             today=today)
        except department.DepartmentError as error:
            refusals.append(Refusal(DEPARTMENT_SHEET, entry.row, "本次完成值", str(error)))
            continue
        changes.append({
            "sheet": DEPARTMENT_SHEET, "row": entry.row, "project": f"部门整体（{row.goal}）",
            "project_code": None, "indicator": row.name, "indicator_id": None,
            "department_indicator_id": row.id, "reported_on": day.isoformat(), "old": old_text,
            "new": shown(report, row.target_unit)})
    return changes, refusals, unchanged


def _same_as_reported(row: DepartmentIndicator, day: date, kind: str, raw: str, note: str) -> bool:
    """The newest report of ``row`` dated ``day`` says exactly what the cell says."""
    newest = next((e for e in reversed(row.reports) if e.reported_on == day), None)
    if newest is None or (newest.note or "") != note.strip():
        return False
    try:
        if kind == "deadline":
            return newest.completed_on == date.fromisoformat(raw.strip())
        if kind == "qualitative":
            return newest.achievement == parse_achievement(raw)
        return newest.value is not None and newest.value == parse_reported_number(raw, row.target_unit, "")
    except (ValueError, ArithmeticError):
        return False
