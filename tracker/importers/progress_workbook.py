"""Read a filled 填报表 (the workbook ``tracker.reports.progress_workbook`` writes): file →
entries + refusals, no database.

The layout lives here, once: sheet names, header texts, and the signed identifiers.  Each
data row carries a hidden identifier ``<project id>:<indicator id>:<mac>`` (indicator id 0 on
the 偏差说明 sheet; the 自评 draft's row id on 自评填报), where ``mac`` is an HMAC of the app's
secret key over the workbook's unit, date and kind and the row's ids; the hidden sheet ``标识`` holds the unit, date and
kind with their own MAC.  Rows are found by these identifiers, never by their position, so a
clerk may sort or filter; an identifier that was edited does not verify and is refused.

A ``monitoring`` workbook of a unit with 部门整体 indicators for the year also has the sheet
部门整体: one row per department indicator (identifier ``<department year id>:<department
indicator id>:<mac>``, signed with the kind ``department`` so that a project row pasted there,
or a department row pasted on 指标填报, does not verify).

A ``self-eval`` workbook has one sheet, 自评填报, whose rows name a project and a row of its
open 自评 draft (``EvaluationIndicator``); every fillable cell is read, since the sheet shows
the whole draft.

What the reader refuses (each with sheet, row, column and a Chinese reason): a workbook
that is not ours or whose identifiers were edited, a 完成日期 that is not a date, a tick
that is not a tick.  What needs the database (a value against the indicator's unit, the
three levels, the 完成目标可能性 rules, a project of another unit) is judged by
``tracker.services.progress_workbook`` through the same functions the web forms use.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from collections.abc import Iterator
from typing import Any

from tracker.core.labels import CAUSES
from tracker.importers.archive_guard import check_archive
from tracker.importers.file_limits import DEFAULT_LIMITS, FileLimits

INDICATOR_SHEET = "指标填报"
EXPLANATION_SHEET = "偏差说明"
SELF_EVAL_SHEET = "自评填报"
DEPARTMENT_SHEET = "部门整体"
DEPARTMENT_KIND = "department"  # the kind its row identifiers are signed with
META_SHEET = "标识"
HEADER_ROW = 2  # 1-based: the title is row 1
ID_HEADER = "标识"

#: 指标填报 columns, in order (the fillable ones: 本次完成值, 完成日期, 备注).
INDICATOR_HEADERS = ("项目编码", "项目名称", "一级指标", "二级指标", "三级指标", "年度指标值",
                     "指标类型", "计量单位", "最近填报值", "最近填报日期",
                     "本次完成值", "完成日期", "备注", ID_HEADER)
#: 偏差说明 columns, in order; the five cause columns are CAUSES' labels.
EXPLANATION_HEADERS = ("项目编码", "项目名称", "监控状态", "说明检查点", "全年预算数（万元）",
                       "累计支出（万元）", "执行率（%）", "计划进度（%）",
                       *CAUSES.values(),
                       "完成目标可能性", "全年预计完成情况", "原因说明", "纠偏措施", ID_HEADER)
CAUSE_HEADERS = tuple(CAUSES.values())
#: 自评填报 columns (the fillable ones: 实际完成值, 完成情况, 偏差原因分析及改进措施); one row per
#: indicator row of the project's open 自评 draft (identifier: project id, evaluation row id).
SELF_EVAL_HEADERS = ("项目编码", "项目名称", "一级指标", "二级指标", "三级指标", "年度指标值",
                     "指标类型", "计量单位", "分值", "得分", "实际完成值", "完成情况",
                     "偏差原因分析及改进措施", ID_HEADER)
#: 部门整体 columns (the fillable ones: 本次完成值 — a number, one of the three levels or the
#: completion date —, 完成日期, 偏差说明); one row per department indicator.
DEPARTMENT_HEADERS = ("分项", "一级指标", "二级指标", "三级指标", "年度指标值", "指标类型", "计量单位",
                      "最近填报值", "最近填报日期", "本次完成值", "完成日期", "偏差说明", ID_HEADER)
TICK = "√"
_TICKS = {"√", "✓", "✔", "是", "1", "Y", "y", "TRUE", "True", "true"}
KINDS = ("monitoring", "self-eval")
#: the sheet a workbook of each kind must have
MAIN_SHEET = {"monitoring": INDICATOR_SHEET, "self-eval": SELF_EVAL_SHEET}


def sign(secret: str, *parts: object) -> str:
    """16 hex digits of HMAC-SHA256 over ``parts`` joined by ``|``."""
    message = "|".join(str(p) for p in parts).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()[:16]


def row_identifier(secret: str, unit_id: int, as_of: date, kind: str, project_id: int,
                   indicator_id: int) -> str:
    return f"{project_id}:{indicator_id}:{sign(secret, unit_id, as_of.isoformat(), kind, project_id, indicator_id)}"


def meta_signature(secret: str, unit_id: int, as_of: date, kind: str) -> str:
    return sign(secret, "workbook", unit_id, as_of.isoformat(), kind)


@dataclass(frozen=True)
class Refusal:
    """Why one cell (or the whole file: ``row`` None) cannot be applied."""

    sheet: str
    row: int | None
    column: str
    message: str

    def as_json(self) -> dict[str, object]:
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True)
class Cell:
    """A fillable cell as read: its text (a number as typed, a percent-formatted number with
    ``%``) and, when it reads as a date, the date."""

    text: str
    day: date | None = None

    @property
    def blank(self) -> bool:
        return not self.text


@dataclass(frozen=True)
class IndicatorEntry:
    row: int
    project_id: int
    indicator_id: int
    value: Cell
    reported_on: date | None  # 完成日期; None: blank (the workbook's date)
    note: str


@dataclass(frozen=True)
class ExplanationEntry:
    row: int
    project_id: int
    causes: tuple[str, ...]  # labels of the ticked columns
    likelihood: str
    forecast: str
    reason: str
    corrective_actions: str


@dataclass(frozen=True)
class SelfEvalEntry:
    """A 自评填报 row as the workbook has it (every fillable cell: the sheet shows the whole
    draft, so a cell emptied means cleared)."""

    row: int
    project_id: int
    row_id: int  # EvaluationIndicator id
    actual: Cell
    band: str
    reason: str


@dataclass(frozen=True)
class DepartmentEntry:
    """A filled 部门整体 row: 本次完成值 as typed, 完成日期, 偏差说明 (the progress note)."""

    row: int
    department_year_id: int
    indicator_id: int  # DepartmentIndicator id
    value: Cell
    reported_on: date | None
    note: str


@dataclass
class FilledWorkbook:
    unit_id: int | None = None
    as_of: date | None = None
    kind: str = "monitoring"
    indicators: list[IndicatorEntry] = field(default_factory=list)
    explanations: list[ExplanationEntry] = field(default_factory=list)
    self_eval: list[SelfEvalEntry] = field(default_factory=list)
    department: list[DepartmentEntry] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)


_DATE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")


def read_date(value: Any) -> date | None:
    """A date from a cell: an Excel date, or text like 2025-06-30, 2025/6/30, 2025年6月30日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    match = _DATE.match(value)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _cell(cell: Any) -> Cell:
    value = cell.value
    if value is None:
        return Cell("")
    if isinstance(value, bool):
        return Cell("是" if value else "否")
    if isinstance(value, (datetime, date)):
        day = read_date(value)
        return Cell(day.isoformat() if day else "", day)
    if isinstance(value, (int, float)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if "%" in (cell.number_format or ""):  # typed 95% in Excel: stored as 0.95
            number *= 100
            return Cell(f"{_plain(number)}%")
        return Cell(_plain(number))
    text = str(value).strip()
    return Cell(text, read_date(text))


def _plain(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


def read_filled_workbook(data: bytes, secret: str, *, filename: str = "填报表.xlsx",
                         limits: FileLimits = DEFAULT_LIMITS) -> FilledWorkbook:
    """The entries of a filled 填报表 and what is refused in it.  Raises the archive guard's
    error for a file that is not a workbook or breaks a size limit."""
    check_archive(filename, data, limits, "fill", location=filename)
    from openpyxl import load_workbook

    try:
        book = load_workbook(BytesIO(data), data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        result = FilledWorkbook()
        result.refusals.append(Refusal("", None, "", "无法打开该文件：不是有效的 .xlsx 工作簿"))
        return result
    result = FilledWorkbook()
    if META_SHEET not in book.sheetnames or not set(MAIN_SHEET.values()) & set(book.sheetnames):
        result.refusals.append(Refusal("", None, "", "这不是本系统下载的填报表（缺少“指标填报”或“标识”工作表），"
                                                     "请先下载填报表再填写"))
        return result
    meta = {str(row[0]).strip(): row[1] for row in book[META_SHEET].iter_rows(values_only=True)
            if row and row[0] is not None and len(row) > 1}
    try:
        unit_id = int(str(meta.get("unit")))
        as_of = date.fromisoformat(str(meta.get("as_of")))
        kind = str(meta.get("kind"))
    except (TypeError, ValueError):
        unit_id, as_of, kind = 0, date(1900, 1, 1), ""
    if kind not in KINDS or not hmac.compare_digest(str(meta.get("signature") or ""),
                                                     meta_signature(secret, unit_id, as_of, kind)):
        result.refusals.append(Refusal(META_SHEET, None, "", "工作簿的标识被修改或不属于本系统，"
                                                             "请重新下载填报表后填写"))
        return result
    result.unit_id, result.as_of, result.kind = unit_id, as_of, kind
    if MAIN_SHEET[kind] not in book.sheetnames:
        result.refusals.append(Refusal("", None, "", f"填报表缺少“{MAIN_SHEET[kind]}”工作表，请重新下载填报表后填写"))
        return result
    if kind == "self-eval":
        _read_self_eval(book[SELF_EVAL_SHEET], secret, result)
        return result
    _read_indicators(book[INDICATOR_SHEET], secret, result)
    if EXPLANATION_SHEET in book.sheetnames:
        _read_explanations(book[EXPLANATION_SHEET], secret, result)
    if DEPARTMENT_SHEET in book.sheetnames:
        _read_department(book[DEPARTMENT_SHEET], secret, result)
    return result


def _columns(sheet: Any, expected: tuple[str, ...], result: FilledWorkbook) -> dict[str, int] | None:
    """Header text → 0-based column, found by text in the header row (columns may not move,
    but a missing one is named)."""
    header = [str(c.value).strip() if c.value is not None else "" for c in sheet[HEADER_ROW]]
    columns = {text: index for index, text in enumerate(header) if text}
    missing = [h for h in expected if h not in columns]
    if missing:
        result.refusals.append(Refusal(sheet.title, HEADER_ROW, "、".join(missing),
                                       f"表头缺少“{'”“'.join(missing)}”列，请使用下载的填报表，不要删除列"))
        return None
    return columns


def _identify(sheet: Any, row: tuple[Any, ...], columns: dict[str, int], secret: str,
              result: FilledWorkbook, indicator_row: bool, kind: str | None = None) -> tuple[int, int] | None:
    """The (project id, indicator id) a row's hidden identifier names, verified; None (with a
    refusal) when it was edited; None silently for a row without one (a clerk's note)."""
    number = row[0].row
    text = row[columns[ID_HEADER]].value
    if text is None or str(text).strip() == "":
        return None
    parts = str(text).strip().split(":")
    assert result.unit_id is not None and result.as_of is not None
    try:
        project_id, indicator_id = int(parts[0]), int(parts[1])
        valid = len(parts) == 3 and hmac.compare_digest(
            str(text).strip(), row_identifier(secret, result.unit_id, result.as_of, kind or result.kind,
                                              project_id, indicator_id))
    except (ValueError, IndexError):
        valid = False
    if not valid or (indicator_id == 0) == indicator_row:
        result.refusals.append(Refusal(sheet.title, number, ID_HEADER,
                                       "隐藏的行标识被修改，无法确定是哪个指标或项目；请重新下载填报表，"
                                       "不要改动或复制“标识”列"))
        return None
    return project_id, indicator_id


def _unidentified(sheet: Any, row: tuple[Any, ...], columns: dict[str, int], cells: list[Cell],
                  result: FilledWorkbook) -> bool:
    """A row without an identifier: skipped when nothing is filled in (a blank or a note
    line), refused when something is (a row the clerk added cannot be matched)."""
    if str(row[columns[ID_HEADER]].value or "").strip():
        return False
    if not _blank_row(cells):
        result.refusals.append(Refusal(sheet.title, row[0].row, ID_HEADER,
                                       "该行没有隐藏的行标识（新增或复制的行），无法确定是哪个指标或项目；"
                                       "请在下载的原有行中填写"))
    return True


def _blank_row(cells: list[Cell]) -> bool:
    return all(c.blank for c in cells)


def _identified_rows(sheet: Any, secret: str, result: FilledWorkbook, headers: Any, fillable: tuple[str, ...],
                     *, indicator_row: bool, kind: str | None = None
                     ) -> Iterator[tuple[int, tuple[int, int], dict[str, Cell]]]:
    """The sheet's rows whose hidden identifier checks out, as (row number, ids, the fillable
    cells by header).  A filled row without an identifier, an identifier that does not check out
    and a copied row (the same indicator or project twice) are refused and skipped."""
    columns = _columns(sheet, headers, result)
    if columns is None:
        return
    what = "指标" if indicator_row else "项目"
    seen: dict[int, int] = {}
    for row in sheet.iter_rows(min_row=HEADER_ROW + 1):
        if not row or len(row) <= columns[ID_HEADER]:
            continue
        cells = {h: _cell(row[columns[h]]) for h in fillable}
        number = row[0].row
        if _unidentified(sheet, row, columns, list(cells.values()), result):
            continue
        ids = _identify(sheet, row, columns, secret, result, indicator_row=indicator_row, kind=kind)
        if ids is None:
            continue
        key = ids[1] if indicator_row else ids[0]
        if key in seen:
            result.refusals.append(Refusal(sheet.title, number, ID_HEADER,
                                           f"与第{seen[key]}行是同一个{what}（行被复制），请删除其中一行"))
            continue
        seen[key] = number
        yield number, ids, cells


def _read_indicators(sheet: Any, secret: str, result: FilledWorkbook) -> None:
    result.indicators.extend(IndicatorEntry(*entry) for entry in _progress_rows(
        sheet, secret, result, INDICATOR_HEADERS, "备注", None))


def _progress_rows(sheet: Any, secret: str, result: FilledWorkbook, headers: Any, note_header: str,
                   kind: str | None) -> Iterator[tuple[int, int, int, Cell, date | None, str]]:
    """The filled rows of a progress sheet (指标填报 or 部门整体): row number, the two ids, 本次完成值
    as typed, 完成日期 and the note; a 完成日期 that is not a date is refused, blank rows skipped."""
    fillable = ("本次完成值", "完成日期", note_header)
    for number, ids, cells in _identified_rows(sheet, secret, result, headers, fillable,
                                               indicator_row=True, kind=kind):
        value, day, note = (cells[h] for h in fillable)
        if _blank_row([value, day, note]):
            continue
        if not day.blank and day.day is None:
            result.refusals.append(Refusal(sheet.title, number, "完成日期",
                                           f"完成日期应为日期（如 2025-06-30），当前为“{day.text}”"))
            continue
        yield number, ids[0], ids[1], value, day.day, note.text


def _read_explanations(sheet: Any, secret: str, result: FilledWorkbook) -> None:
    text_headers = ("完成目标可能性", "全年预计完成情况", "原因说明", "纠偏措施")
    for number, ids, cells in _identified_rows(sheet, secret, result, EXPLANATION_HEADERS,
                                               (*CAUSE_HEADERS, *text_headers), indicator_row=False):
        ticks = {h: cells[h] for h in CAUSE_HEADERS}
        texts = {h: cells[h].text for h in text_headers}
        if all(t.blank for t in ticks.values()) and not any(texts.values()):
            continue
        wrong = [h for h, t in ticks.items() if not t.blank and t.text not in _TICKS]
        if wrong:
            for header in wrong:
                result.refusals.append(Refusal(sheet.title, number, header,
                                               f"偏差原因请打“{TICK}”或留空，当前为“{ticks[header].text}”"))
            continue
        result.explanations.append(ExplanationEntry(
            number, ids[0], tuple(h for h, t in ticks.items() if not t.blank),
            texts["完成目标可能性"], texts["全年预计完成情况"], texts["原因说明"], texts["纠偏措施"]))


def _read_self_eval(sheet: Any, secret: str, result: FilledWorkbook) -> None:
    fillable = ("实际完成值", "完成情况", "偏差原因分析及改进措施")
    for number, ids, cells in _identified_rows(sheet, secret, result, SELF_EVAL_HEADERS, fillable,
                                               indicator_row=True):
        actual, band, reason = (cells[h] for h in fillable)
        result.self_eval.append(SelfEvalEntry(number, ids[0], ids[1], actual, band.text, reason.text))


def _read_department(sheet: Any, secret: str, result: FilledWorkbook) -> None:
    result.department.extend(DepartmentEntry(*entry) for entry in _progress_rows(
        sheet, secret, result, DEPARTMENT_HEADERS, "偏差说明", DEPARTMENT_KIND))
