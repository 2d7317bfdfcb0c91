"""The 部门整体支出绩效自评表 workbook of one unit and year, from a ``DepartmentSelfEvaluation``.

One sheet, columns A–H, in the official layout::

    部门整体支出绩效自评表 / （2023年度）
    部门名称 | …
    年度预算（万元） | 年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分
    年度总体目标 | 预期目标 | 实际完成情况
    绩效指标 | 一级指标 | 二级指标 | 三级指标 | 年度指标值 | 实际完成值 | 分值 | 得分 | 偏差原因分析及改进措施
    总分 | 100 | 总分 | 自评等级

Money is shown in 万元 (2 places); scores to 2 places.  Prints A4 landscape, one page wide, the
indicator header repeated on every page.  Below the table: the 分项 that had no
indicator (not scored) and the consistency warnings of the scoring.
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from tracker.core.money import round_money, yuan_to_wan
from tracker.core.scoring import round_score
from tracker.reports.table_export import neutralise
from tracker.services.department import DepartmentSelfEvaluation

TITLE = "部门整体支出绩效自评表"
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="center")


def _wan(yuan: Decimal) -> Decimal:
    """万元 with two decimals, half up, as the form prints them."""
    return round_money(yuan_to_wan(yuan))


def _cell(value: object) -> object:
    if isinstance(value, str):
        return neutralise(value)
    return value


def build(result: DepartmentSelfEvaluation) -> bytes:
    """The workbook's bytes (xlsx)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = TITLE
    for column, width in zip("ABCDEFGHI", (12, 12, 14, 26, 14, 14, 8, 8, 30)):
        sheet.column_dimensions[column].width = width
    evaluation = result.evaluation
    lines: list[list[object]] = [
        [TITLE], [f"（{result.year}年度）"],
        ["部门名称", result.unit_name],
        ["年度预算（万元）", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        ["年度资金总额", _wan(result.initial_budget), _wan(result.annual_budget), _wan(result.spent),
         evaluation.execution_weight,
         None if evaluation.execution_rate is None else f"{round_score(evaluation.execution_rate)}%",
         round_score(evaluation.execution_score)],
        ["年度总体目标", "预期目标", "", "", "", "实际完成情况"],
        ["", result.overall_goal or "", "", "", "", ""],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
         "偏差原因分析及改进措施"],
    ]
    for row, score, actual in zip(result.rows, evaluation.indicators, result.actuals):
        lines.append(["", row.level1, row.level2, row.name, row.target_raw or "（未给出）", actual,
                      score.weight, round_score(score.score), score.indicator.deviation_reason or score.note or ""])
    lines.append(["总分", "", "", "", "", "", Decimal(100), evaluation.rounded_total, f"自评等级：{evaluation.grade}"])
    for text in result.unscored_findings:
        lines.append([f"未评分：{text}"])
    for warning in evaluation.warnings:
        lines.append([f"提示：{warning.message}"])
    for values in lines:
        sheet.append([_cell(value) for value in values])
    first, last = 9, 8 + len(result.rows)  # indicator rows
    table_end = last + 1
    merges = ["A1:I1", "A2:I2", "B3:I3", "A6:A7", "B6:E6", "F6:I6", "B7:E7", "F7:I7"]
    if result.rows:
        merges.append(f"A8:A{last}")
    merges.append(f"A{table_end}:F{table_end}")
    for extra in range(table_end + 1, len(lines) + 1):
        merges.append(f"A{extra}:I{extra}")
    for cells in merges:
        sheet.merge_cells(cells)
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = sheet["A2"].alignment = Alignment(horizontal="center")
    for row in sheet.iter_rows(min_row=3, max_row=table_end, max_col=9):
        for cell in row:
            cell.border = _BOX
            cell.alignment = _WRAP
    for column in "BCDG":
        sheet[f"{column}5"].number_format = "0.00"
    for number in range(first, table_end + 1):
        for column in "GH":
            sheet[f"{column}{number}"].number_format = "0.00"
    sheet.row_dimensions[7].height = max(30, 15 * (len(result.overall_goal or "") // 30 + 1))
    for number, row in zip(range(first, last + 1), result.rows):
        longest = max(len(row.name or ""), len(row.target_raw or ""))
        sheet.row_dimensions[number].height = max(18, 15 * (longest // 12 + 1))
    for extra in range(table_end + 1, len(lines) + 1):
        sheet[f"A{extra}"].alignment = Alignment(wrap_text=True)
        sheet.row_dimensions[extra].height = 30
    # prints like the other forms: A4 landscape, one page wide, the indicator header repeated
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "8:8"
    sheet.print_options.horizontalCentered = True
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
