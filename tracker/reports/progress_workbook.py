"""The 填报表 a unit fills in Excel or WPS and uploads back (issue #17): bytes of an .xlsx.

Kind ``monitoring`` — sheets: 指标填报 (one row per indicator, fill 本次完成值 / 完成日期 / 备注), 偏差说明 (one row
per project, yellow and red ones first: tick causes, pick 完成目标可能性, write 全年预计完成情况,
原因说明, 纠偏措施), 部门整体 when the unit has department indicators for the year (one row per
indicator: fill 本次完成值 — a number, a level or the completion date —, 完成日期, 偏差说明) and
the hidden 标识 (unit, date, kind, signed).  Kind ``self-eval`` — one
sheet, 自评填报: each indicator row of each project's open 自评 draft, its fillable cells
(实际完成值, 完成情况, 偏差原因分析及改进措施) holding what the draft holds now.  The layout (sheet names,
headers, identifiers) is ``tracker.importers.progress_workbook``'s, which reads the file back.

Fixed cells are locked and the sheets protected without a password; fillable cells are
unlocked and shaded.  Filtering works on the protected sheet; Excel refuses to sort a range
with locked cells whatever the protection allows, so a clerk who wants to sort lifts the
protection (审阅 → 撤销工作表保护, no password): the protection prevents slips, not
tampering, which the signed identifiers catch — and the fixed cells are never read back.  Drop-downs are Excel data validation:
the three achievement levels for qualitative indicators, a date for deadline indicators and
for 完成日期, a tick for the causes, the three likelihoods.  Pages are A4 landscape, one page
wide, the header row repeated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

import xlsxwriter

from tracker.core.labels import ACHIEVEMENT_LABELS, COLOUR_LABELS, INDICATOR_KIND_LABELS, LIKELIHOODS
from tracker.importers.progress_workbook import (
    CAUSE_HEADERS,
    DEPARTMENT_HEADERS,
    DEPARTMENT_KIND,
    DEPARTMENT_SHEET,
    EXPLANATION_HEADERS,
    EXPLANATION_SHEET,
    HEADER_ROW,
    INDICATOR_HEADERS,
    INDICATOR_SHEET,
    META_SHEET,
    SELF_EVAL_HEADERS,
    SELF_EVAL_SHEET,
    TICK,
    meta_signature,
    row_identifier,
)
from tracker.reports.table_export import neutralise



@dataclass(frozen=True)
class IndicatorLine:
    project_id: int
    project_code: str | None
    project_name: str
    indicator_id: int
    level1: str
    level2: str
    name: str
    target: str
    kind: str  # quantitative / reverse / qualitative / deadline
    unit: str | None
    latest: str  # the latest reported value as shown on the pages, '' if none
    latest_on: date | None


@dataclass(frozen=True)
class ExplanationLine:
    project_id: int
    project_code: str | None
    project_name: str
    status: str  # 红灯 / 黄灯 …
    checkpoint: date  # the checkpoint the explanation is recorded for
    budget_wan: Decimal
    spent_wan: Decimal
    execution_pct: Decimal | None
    planned_pct: Decimal | None


@dataclass(frozen=True)
class SelfEvalLine:
    """One indicator row of a project's open 自评 draft, with what the draft holds now."""

    project_id: int
    project_code: str | None
    project_name: str
    row_id: int  # EvaluationIndicator id
    level1: str
    level2: str
    name: str
    target: str
    kind: str
    unit: str | None
    weight: Decimal
    score: Decimal
    actual: str  # 实际完成值 as the draft shows it (a deadline row: its completion date)
    completed_on: date | None
    band: str  # the qualitative level's label, '' if none
    reason: str


@dataclass(frozen=True)
class DepartmentIndicatorLine:
    """One 部门整体 indicator of the unit's department year, with its latest report."""

    department_year_id: int
    indicator_id: int
    goal: str  # 分项
    level1: str
    level2: str
    name: str
    target: str
    kind: str
    unit: str | None
    latest: str
    latest_on: date | None


@dataclass(frozen=True)
class FillTemplate:
    unit_id: int
    unit_name: str
    as_of: date
    kind: str
    indicators: list[IndicatorLine]
    explanations: list[ExplanationLine]
    self_eval: list[SelfEvalLine] = field(default_factory=list)
    #: projects of the unit without an open 自评 draft (not in the 自评 sheet)
    without_draft: list[str] = field(default_factory=list)
    #: the unit's 部门整体 indicators of the year (the 部门整体 sheet; none: no sheet)
    department: list[DepartmentIndicatorLine] = field(default_factory=list)


_INDICATOR_WIDTHS = (12, 22, 9, 10, 22, 12, 6, 6, 12, 11, 14, 11, 20, 4)
_EXPLANATION_WIDTHS = (12, 22, 7, 11, 10, 10, 8, 8, 5, 5, 5, 6, 5, 11, 18, 22, 22, 4)


def progress_workbook(template: FillTemplate, secret: str) -> bytes:
    """The workbook's bytes."""
    out = BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    styles = _styles(book)
    if template.kind == "self-eval":
        _self_eval_sheet(book, styles, template, secret)
    else:
        _indicator_sheet(book, styles, template, secret)
        _explanation_sheet(book, styles, template, secret)
        if template.department:
            _department_sheet(book, styles, template, secret)
    meta = book.add_worksheet(META_SHEET)
    for row, (key, value) in enumerate((
            ("unit", str(template.unit_id)), ("as_of", template.as_of.isoformat()),
            ("kind", template.kind),
            ("signature", meta_signature(secret, template.unit_id, template.as_of, template.kind)),
            ("unit_name", template.unit_name))):
        meta.write_string(row, 0, key)
        meta.write_string(row, 1, neutralise(value))
    meta.hide()
    meta.protect()
    book.close()
    return out.getvalue()


def _styles(book: xlsxwriter.Workbook) -> dict[str, object]:
    base = {"font_name": "宋体", "font_size": 10, "border": 1, "valign": "vcenter", "text_wrap": True}
    fill = {**base, "locked": False, "bg_color": "#FFF9D6"}
    return {
        "title": book.add_format({"font_name": "宋体", "font_size": 14, "bold": True}),
        "header": book.add_format({**base, "bold": True, "align": "center", "bg_color": "#E8EEF7"}),
        "text": book.add_format(base),
        "number": book.add_format({**base, "num_format": "0.00"}),
        "date": book.add_format({**base, "num_format": "yyyy-mm-dd"}),
        "fill": book.add_format(fill),
        "fill_date": book.add_format({**fill, "num_format": "yyyy-mm-dd"}),
        "red": book.add_format({**base, "font_color": "#C00000", "bold": True}),
        "yellow": book.add_format({**base, "font_color": "#9C6500", "bold": True}),
    }


def _page(sheet: object, widths: tuple[int, ...], last_row: int) -> None:
    sheet.set_landscape()  # type: ignore[attr-defined]
    sheet.set_paper(9)  # type: ignore[attr-defined]  # A4
    sheet.fit_to_pages(1, 0)  # type: ignore[attr-defined]
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)  # type: ignore[attr-defined]
    sheet.repeat_rows(HEADER_ROW - 1)  # type: ignore[attr-defined]
    sheet.freeze_panes(HEADER_ROW, 0)  # type: ignore[attr-defined]
    for column, width in enumerate(widths[:-1]):
        sheet.set_column(column, column, width)  # type: ignore[attr-defined]
    hidden = len(widths) - 1
    sheet.set_column(hidden, hidden, widths[-1], None, {"hidden": True})  # type: ignore[attr-defined]
    sheet.print_area(0, 0, max(last_row, HEADER_ROW - 1), hidden - 1)  # type: ignore[attr-defined]
    sheet.autofilter(HEADER_ROW - 1, 0, max(last_row, HEADER_ROW - 1), hidden - 1)  # type: ignore[attr-defined]
    sheet.protect("", {"sort": True, "autofilter": True, "format_columns": True,  # type: ignore[attr-defined]
                       "format_rows": True})


def _header(sheet: object, styles: dict[str, object], title: str, headers: tuple[str, ...]) -> None:
    sheet.write_string(0, 0, title, styles["title"])  # type: ignore[attr-defined]
    for column, text in enumerate(headers):
        sheet.write_string(HEADER_ROW - 1, column, text, styles["header"])  # type: ignore[attr-defined]


def _indicator_sheet(book: xlsxwriter.Workbook, styles: dict[str, object], template: FillTemplate,
                     secret: str) -> None:
    sheet = book.add_worksheet(INDICATOR_SHEET)
    _header(sheet, styles, f"{template.unit_name} 绩效指标完成值填报表（截至 {template.as_of.isoformat()}；"
                           f"完成日期留空即为 {template.as_of.isoformat()}）", INDICATOR_HEADERS)
    column = {h: i for i, h in enumerate(INDICATOR_HEADERS)}
    row = HEADER_ROW - 1
    for row, line in enumerate(template.indicators, start=HEADER_ROW):
        fixed = (line.project_code or "", line.project_name, line.level1, line.level2, line.name,
                 line.target, INDICATOR_KIND_LABELS.get(line.kind, line.kind), line.unit or "", line.latest)
        for index, text in enumerate(fixed):
            sheet.write_string(row, index, neutralise(text), styles["text"])
        _progress_cells(sheet, styles, row, column, line, template.as_of.year, "备注", late=False)
        sheet.write_string(row, column["标识"], row_identifier(
            secret, template.unit_id, template.as_of, template.kind, line.project_id, line.indicator_id))
    _page(sheet, _INDICATOR_WIDTHS, row)


def _explanation_sheet(book: xlsxwriter.Workbook, styles: dict[str, object], template: FillTemplate,
                       secret: str) -> None:
    sheet = book.add_worksheet(EXPLANATION_SHEET)
    _header(sheet, styles, f"{template.unit_name} 偏差说明（截至 {template.as_of.isoformat()}；红灯、黄灯项目在前，"
                           f"偏差原因打“{TICK}”）", EXPLANATION_HEADERS)
    column = {h: i for i, h in enumerate(EXPLANATION_HEADERS)}
    row = HEADER_ROW - 1
    for row, line in enumerate(template.explanations, start=HEADER_ROW):
        sheet.write_string(row, 0, neutralise(line.project_code or ""), styles["text"])
        sheet.write_string(row, 1, neutralise(line.project_name), styles["text"])
        colour = {COLOUR_LABELS["red"]: "red", COLOUR_LABELS["yellow"]: "yellow"}.get(line.status, "text")
        sheet.write_string(row, 2, line.status, styles[colour])
        sheet.write_datetime(row, 3, _datetime(line.checkpoint), styles["date"])
        for index, number in enumerate((line.budget_wan, line.spent_wan, line.execution_pct,
                                        line.planned_pct), start=4):
            if number is None:
                sheet.write_blank(row, index, None, styles["text"])
            else:
                sheet.write_number(row, index, float(number), styles["number"])
        for header in CAUSE_HEADERS:
            sheet.write_blank(row, column[header], None, styles["fill"])
            sheet.data_validation(row, column[header], row, column[header], {
                "validate": "list", "source": [TICK], "error_title": header,
                "error_message": f"打“{TICK}”或留空"})
        likelihood = column["完成目标可能性"]
        sheet.write_blank(row, likelihood, None, styles["fill"])
        sheet.data_validation(row, likelihood, row, likelihood, {
            "validate": "list", "source": list(LIKELIHOODS.values()), "error_title": "完成目标可能性",
            "error_message": "请从下拉列表选择"})
        for header in ("全年预计完成情况", "原因说明", "纠偏措施"):
            sheet.write_blank(row, column[header], None, styles["fill"])
        sheet.write_string(row, column["标识"], row_identifier(
            secret, template.unit_id, template.as_of, template.kind, line.project_id, 0))
    _page(sheet, _EXPLANATION_WIDTHS, row)


_SELF_EVAL_WIDTHS = (12, 22, 9, 10, 22, 12, 6, 6, 7, 7, 16, 16, 30, 4)


def _self_eval_sheet(book: xlsxwriter.Workbook, styles: dict[str, object], template: FillTemplate,
                     secret: str) -> None:
    sheet = book.add_worksheet(SELF_EVAL_SHEET)
    missing = f"；尚无自评草稿、未列入：{'、'.join(template.without_draft)}" if template.without_draft else ""
    _header(sheet, styles, f"{template.unit_name} {template.as_of.year}年 项目支出绩效自评填报表（自评草稿的当前内容，"
                           f"改后上传）{missing}", SELF_EVAL_HEADERS)
    column = {h: i for i, h in enumerate(SELF_EVAL_HEADERS)}
    levels = list(ACHIEVEMENT_LABELS.values())
    row = HEADER_ROW - 1
    for row, line in enumerate(template.self_eval, start=HEADER_ROW):
        fixed = (line.project_code or "", line.project_name, line.level1, line.level2, line.name,
                 line.target, INDICATOR_KIND_LABELS.get(line.kind, line.kind), line.unit or "")
        for index, text in enumerate(fixed):
            sheet.write_string(row, index, neutralise(text), styles["text"])
        sheet.write_number(row, column["分值"], float(line.weight), styles["number"])
        sheet.write_number(row, column["得分"], float(line.score), styles["number"])
        actual = column["实际完成值"]
        if line.kind == "deadline":
            if line.completed_on is not None:
                sheet.write_datetime(row, actual, _datetime(line.completed_on), styles["fill_date"])
            else:
                sheet.write_blank(row, actual, None, styles["fill_date"])
            sheet.data_validation(row, actual, row, actual, _date_rule(
                template.as_of.year, "实际完成值", "时限指标填完成日期（如 2025-10-31）", late=True))
        else:
            sheet.write_string(row, actual, neutralise(line.actual), styles["fill"])
        band = column["完成情况"]
        if line.kind == "qualitative":
            sheet.write_string(row, band, line.band, styles["fill"])
            sheet.data_validation(row, band, row, band, {
                "validate": "list", "source": levels, "error_title": "完成情况",
                "error_message": "请从下拉列表选择三档之一"})
        else:
            sheet.write_blank(row, band, None, styles["text"])
        sheet.write_string(row, column["偏差原因分析及改进措施"], neutralise(line.reason), styles["fill"])
        sheet.write_string(row, column["标识"], row_identifier(
            secret, template.unit_id, template.as_of, template.kind, line.project_id, line.row_id))
    _page(sheet, _SELF_EVAL_WIDTHS, row)


_DEPARTMENT_WIDTHS = (18, 10, 12, 24, 12, 6, 6, 12, 11, 14, 11, 24, 4)


def _department_sheet(book: xlsxwriter.Workbook, styles: dict[str, object], template: FillTemplate,
                      secret: str) -> None:
    sheet = book.add_worksheet(DEPARTMENT_SHEET)
    _header(sheet, styles, f"{template.unit_name} {template.as_of.year}年 部门整体绩效指标完成值填报表（截至 "
                           f"{template.as_of.isoformat()}；完成日期留空即为 {template.as_of.isoformat()}）",
            DEPARTMENT_HEADERS)
    column = {h: i for i, h in enumerate(DEPARTMENT_HEADERS)}
    row = HEADER_ROW - 1
    for row, line in enumerate(template.department, start=HEADER_ROW):
        fixed = (line.goal, line.level1, line.level2, line.name, line.target,
                 INDICATOR_KIND_LABELS.get(line.kind, line.kind), line.unit or "", line.latest)
        for index, text in enumerate(fixed):
            sheet.write_string(row, index, neutralise(text), styles["text"])
        _progress_cells(sheet, styles, row, column, line, template.as_of.year, "偏差说明", late=True)
        sheet.write_string(row, column["标识"], row_identifier(
            secret, template.unit_id, template.as_of, DEPARTMENT_KIND, line.department_year_id, line.indicator_id))
    _page(sheet, _DEPARTMENT_WIDTHS, row)


def _progress_cells(sheet: Any, styles: dict[str, object], row: int, column: dict[str, int], line: Any,
                    year: int, note: str, *, late: bool) -> None:
    """The cells a progress row shares on the 指标填报 and 部门整体 sheets: 最近填报日期, 本次完成值
    (a date for a 时限 indicator — ``late``: also after the year —, one of the three levels for a
    定性 one, else a number in the indicator's unit), 完成日期 and the ``note`` column."""
    if line.latest_on is not None:
        sheet.write_datetime(row, column["最近填报日期"], _datetime(line.latest_on), styles["date"])
    else:
        sheet.write_blank(row, column["最近填报日期"], None, styles["text"])
    value = column["本次完成值"]
    if line.kind == "deadline":
        sheet.write_blank(row, value, None, styles["fill_date"])
        sheet.data_validation(row, value, row, value, _date_rule(
            year, "本次完成值", "时限指标填完成日期（如 2025-06-30）", late=late))
    else:
        sheet.write_blank(row, value, None, styles["fill"])
        if line.kind == "qualitative":
            sheet.data_validation(row, value, row, value, {
                "validate": "list", "source": list(ACHIEVEMENT_LABELS.values()), "error_title": "本次完成值",
                "error_message": "请从下拉列表选择三档之一"})
        elif line.unit:
            sheet.data_validation(row, value, row, value, {
                "validate": "any", "input_title": "本次完成值",
                "input_message": f"填数字，单位{line.unit}（可不写单位）"})
    sheet.write_blank(row, column["完成日期"], None, styles["fill_date"])
    sheet.data_validation(row, column["完成日期"], row, column["完成日期"],
                          _date_rule(year, "完成日期", "完成值所截至的日期，留空即为表头日期"))
    sheet.write_blank(row, column[note], None, styles["fill"])


def _date_rule(year: int, title: str, message: str, late: bool = False) -> dict[str, object]:
    """A date of ``year`` (``late``: or after it — a deadline met late is still a date)."""
    from datetime import datetime

    return {"validate": "date", "criteria": "between", "minimum": datetime(year, 1, 1),
            "maximum": datetime(year + 5 if late else year, 12, 31), "input_title": title, "input_message": message,
            "error_title": title, "error_message": f"请填写日期，如 {year}-06-30"}


def _datetime(day: date):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime(day.year, day.month, day.day)
