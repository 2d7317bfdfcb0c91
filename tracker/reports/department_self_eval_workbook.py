"""The 部门整体支出绩效自评表 workbook of one unit and year, from a ``DepartmentSelfEvalForm``
(the newest frozen attempt as stored, or the current figures: ``department_evaluation.printable``).

One sheet, columns A–H, in the official layout::

    部门整体支出绩效自评表 / （2023年度）
    部门名称 | …
    年度预算（万元） | 年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分
    年度总体目标 | 预期目标 | 实际完成情况
    绩效指标 | 一级指标 | 二级指标 | 三级指标 | 年度指标值 | 实际完成值 | 分值 | 得分 | 偏差原因分析及改进措施
    总分 | 100 | 总分 | 自评等级

Money is shown in 万元 (2 places); scores to 2 places.  Prints A4 landscape, one page wide, the
indicator header repeated on every page.  Below the table: the 分项 that had no
indicator (not scored), the consistency warnings of the scoring, and which attempt this is
(第N次自评, submitted by whom) or that it is computed from the current data, not submitted.
"""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from tracker.core.money import round_money, yuan_to_wan
from tracker.core.scoring import round_score
from tracker.reports.table_export import neutralise
from tracker.services.department_evaluation import DepartmentSelfEvalForm

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


def build(result: DepartmentSelfEvalForm) -> bytes:
    """The workbook's bytes (xlsx)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = TITLE
    for column, width in zip("ABCDEFGHI", (12, 12, 14, 26, 14, 14, 8, 8, 30)):
        sheet.column_dimensions[column].width = width
    lines: list[list[object]] = [
        [TITLE], [f"（{result.year}年度）"],
        ["部门名称", result.unit_name],
        ["年度预算（万元）", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        ["年度资金总额", _wan(result.initial_budget), _wan(result.annual_budget), _wan(result.spent),
         result.execution_weight,
         None if result.execution_rate is None else f"{round_score(result.execution_rate)}%",
         round_score(result.execution_score)],
        ["年度总体目标", "预期目标", "", "", "", "实际完成情况"],
        ["", result.overall_goal or "", "", "", "", result.goal_actual or ""],
        ["绩效指标", "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
         "偏差原因分析及改进措施"],
    ]
    for line in result.lines:
        lines.append(["", line.level1, line.level2, line.name, line.target_raw or "（未给出）", line.actual_raw,
                      line.weight, round_score(line.score), line.deviation_reason or line.note])
    lines.append(["总分", "", "", "", "", "", Decimal(100), round_score(result.total), f"自评等级：{result.grade}"])
    for text in result.unscored_findings:
        lines.append([f"未评分：{text}"])
    for warning in result.warnings:
        lines.append([f"提示：{warning}"])
    if result.number is None:
        lines.append(["尚未提交部门整体自评：以上按当前数据计算，提交后以提交时的内容为准。"])
    else:
        lines.append([f"第{result.number}次部门整体自评，由{result.frozen_by}提交。" if result.frozen_by
                      else f"第{result.number}次部门整体自评草稿（未提交）。"])
    for values in lines:
        sheet.append([_cell(value) for value in values])
    first, last = 9, 8 + len(result.lines)  # indicator rows
    table_end = last + 1
    merges = ["A1:I1", "A2:I2", "B3:I3", "A6:A7", "B6:E6", "F6:I6", "B7:E7", "F7:I7"]
    if result.lines:
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
    longest_goal = max(len(result.overall_goal or ""), len(result.goal_actual or ""))
    sheet.row_dimensions[7].height = max(30, 15 * (longest_goal // 30 + 1))
    for number, row in zip(range(first, last + 1), result.lines):
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
