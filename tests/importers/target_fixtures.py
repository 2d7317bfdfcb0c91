"""Builders of real .docx / .xlsx / .pdf target documents for the importer tests.

The table specs below are transcribed by hand from the seed documents (cells as printed, a blank
一级/二级 cell where the original merges it with the row above).  The builders lay them out the
way real exports do: Word tables with merged cells, one worksheet per project or several
projects on one sheet (merged cells, numbers as numbers), a ruled PDF table, and the seed 001
PDF text drawn line by line.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
INDICATOR_HEADER = ("一级指标", "二级指标", "三级指标", "绩效指标描述", "指标值", "指标值确定依据")
CJK_FONT = "STSong-Light"


@dataclass(frozen=True)
class TableSpec:
    """One 绩效目标表 in the 河北 layout (seeds 000/002/003), cells as printed."""

    title: str
    unit_line: str
    code: str
    name: str
    budget: str
    fiscal: str
    other: str
    purpose: str
    plan_header: str
    plan_labels: tuple[str, str, str, str]
    plan_values: tuple[str, str, str, str]
    goal: str
    indicator_rows: tuple[tuple[str, str, str, str, str, str], ...]


SEED_000_P1 = TableSpec(
    title="1.2025年省级技术创新引导专项资金预算绩效目标表",
    unit_line="306001唐山市路南区科学技术局本级",
    code="13020225P00892710002C",
    name="2025年省级技术创新引导专项资金预算",
    budget="300.00",
    fiscal="300.00",
    other="",
    purpose="确保财政专项资金支出的“产出”与资金使用项目单位的主要任务完成情况一致。",
    plan_header="资金支出计划（%）",
    plan_labels=("3月底", "6月底", "10月底", "12月底"),
    plan_values=("25%", "50%", "75%", "100%"),
    goal="1.确保财政专项资金支出的“产出”与资金使用项目单位的主要任务完成情况一致。",
    indicator_rows=(
        ("产出指标", "数量指标", "年内认定的科技项目", "年内认定的科技项目完成个数", "≥1个", "文件依据"),
        ("", "质量指标", "培训或辅导企业覆盖率", "高企科小等科技培训", "≥80%", "文件依据"),
        ("", "时效指标", "资金支出完成率", "资金支出完成率", "≥100%", "文件依据"),
        ("", "成本指标", "总成本", "总成本", "≤300万元", "文件依据"),
        ("效益指标", "经济效益指标", "规上工业企业研发经费支出总额", "规上企业研发经费投入", "≥23000万元", "文件依据"),
        ("", "社会效益指标", "科技成果转化数", "科技成果转化量", "≥5项", "文件依据"),
        ("满意度指标", "服务对象满意度指标", "群众满意度", "群众满意度", "≥90%", "文件依据"),
    ),
)

SEED_000_P4 = TableSpec(
    title="4.劳务费绩效目标表",
    unit_line="306001唐山市路南区科学技术局本级",
    code="13020225P00813510002A",
    name="劳务费",
    budget="5.10",
    fiscal="5.10",
    other="",
    purpose="派遣人员资金发放",
    plan_header="资金支出计划（%）",
    plan_labels=("3月底", "6月底", "10月底", "12月底"),
    plan_values=("25%", "50%", "75%", "10%"),
    goal="1.确保财政专项资金支出的“产出”与资金使用项目单位的主要任务完成情况一致。",
    indicator_rows=(
        ("产出指标", "数量指标", "发放次数", "工资保险发放数量", "12月", "文件依据"),
        ("", "时效指标", "发放时效", "工资保险是否及时发放", "≥95%", "文件依据"),
        ("", "成本指标", "项目支出", "经费支出数额", "≤30万元", "文件依据"),
        ("", "质量指标", "发放质量", "经费支出质量", "≥95%", "文件依据"),
        ("效益指标", "经济效益指标", "符合经济发展趋势", "是否符合经济发展趋势", "≥95%", "文件依据"),
        ("", "社会效益指标", "社会影响力", "是否具有社会影响力", "≥95%", "文件依据"),
        ("", "可持续影响指标", "可持续影响力", "是否具有可持续影响力", "≥95%", "文件依据"),
        ("满意度指标", "服务对象满意度指标", "派遣人员满意度", "派遣人员是否满意", "文字描述", "文件依据"),
    ),
)

SEED_002_P1 = TableSpec(
    title="高新技术企业扶持资金项目绩效目标表",
    unit_line="",
    code="\u3000",
    name="高新技术企业扶持资金",
    budget="1280万元",
    fiscal="1280万元",
    other="",
    purpose="按照《高新区高新技术企业培育发展暂行方法》，2023年度预计128家申请高新技术企业补助资金，"
    "每家企业补助10万元，合计1280万元。",
    plan_header="资金支出计划（累进进度%）",
    plan_labels=("第一季度", "第二季度", "第三季度", "第四季度"),
    plan_values=("\u30000", "0\u3000", "\u30000", "100%"),
    goal="目标1：发挥财政资金引导作用，推动高新技术企业创新能力不断增强。\n目标2：加强科技园区建设，推动高新技术企业发展。",
    indicator_rows=(
        ("产出指标", "数量指标", "补助高企数量", "2023年度拨付高企数量", "≥60家", "年度计划"),
        ("", "", "扶持科技型企业的数量", "2023年度高企支持资金扶持科技企业的数量", "≥60家", "年度计划"),
        ("", "成本指标", "下发资金标准", "下达2023年度高新技术企业支持资金标准", "10万元/家", "工作经验"),
        ("", "质量指标", "符合高企补助的条件的企业资金补助率",
         "获得高企资金补助的企业占全部符合高企补助条件企业的比率", "=100%", "文件要求"),
        ("", "时效指标", "补助资金发放时间", "及时发放补助资金", "2023年12月31日前", "年度计划"),
        ("效果指标", "社会效益指标", "企业创新创业水平是否提升", "区内企业创新创业水平是否提升", "是", "工作经验"),
        ("满意度指标", "服务对象满意度指标", "高新技术企业满意度", "拨付资金企业满意度", "≥90%", "工作经验"),
    ),
)


def seed_bytes(name: str) -> bytes:
    return next(SEEDS.glob(f"{name}_*.txt")).read_bytes()


def _vertical_runs(rows: Sequence[Sequence[str]], column: int) -> list[tuple[int, int]]:
    """(first, last) row indexes of each cell that the blank cells below it continue."""
    runs: list[tuple[int, int]] = []
    for index, row in enumerate(rows):
        if row[column] or not runs:
            runs.append((index, index))
        else:
            runs[-1] = (runs[-1][0], index)
    return [run for run in runs if run[1] > run[0]]


# ---------------------------------------------------------------------------
# Word


def _docx_put(table: Any, row: int, column: int, text: str, *, to_row: int | None = None,
              to_column: int | None = None) -> None:
    """Write ``text`` in a cell, first merging it down to ``to_row`` / right to ``to_column``."""
    cell = table.cell(row, column)
    if to_row is not None or to_column is not None:
        last_row = row if to_row is None else to_row
        last_column = column if to_column is None else to_column
        cell = cell.merge(table.cell(last_row, last_column))
    cell.text = text


def docx_bytes(tables: Sequence[TableSpec], *, intro: Sequence[str] = ()) -> bytes:
    """A Word document: intro paragraphs, then per project its title, a head table (7 columns,
    merged cells) and an indicator table (6 columns, 一级/二级 merged vertically)."""
    from docx import Document

    document = Document()
    for text in intro:
        document.add_paragraph(text)
    for spec in tables:
        document.add_paragraph(spec.title)
        head = document.add_table(rows=7, cols=7)
        put = partial(_docx_put, head)
        put(0, 0, spec.unit_line, to_column=4)
        put(0, 5, "单位：万元", to_column=6)
        put(1, 0, "项目编码")
        put(1, 1, spec.code, to_column=2)
        put(1, 3, "项目名称", to_column=4)  # a label spanning two columns, as many forms have
        put(1, 5, spec.name, to_column=6)
        put(2, 0, "预算规模及资金用途", to_row=3)
        budget_row = ("预算数", spec.budget, "其中：财政资金", spec.fiscal, "其他资金", spec.other)
        for column, text in enumerate(budget_row, 1):
            put(2, column, text)
        put(3, 1, spec.purpose, to_column=6)
        put(4, 0, spec.plan_header, to_row=5)
        for column in range(3):
            put(4, column + 1, spec.plan_labels[column])
            put(5, column + 1, spec.plan_values[column])
        put(4, 4, spec.plan_labels[3], to_column=6)
        put(5, 4, spec.plan_values[3], to_column=6)
        put(6, 0, "绩效目标")
        put(6, 1, spec.goal, to_column=6)
        document.add_paragraph("")
        rows = spec.indicator_rows
        indicators = document.add_table(rows=len(rows) + 1, cols=6)
        for column, text in enumerate(INDICATOR_HEADER):
            indicators.cell(0, column).text = text
        for column in (0, 1):
            for first, last in _vertical_runs(rows, column):
                indicators.cell(first + 1, column).merge(indicators.cell(last + 1, column))
        for index, row in enumerate(rows, start=1):
            for column, text in enumerate(row):
                if text or column > 1:
                    indicators.cell(index, column).text = text
        document.add_paragraph("")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# Excel


def _write_project(sheet: object, top: int, spec: TableSpec, *, numbers: bool) -> int:
    """Write one project from row ``top``; return the next free row."""
    from openpyxl.worksheet.worksheet import Worksheet

    assert isinstance(sheet, Worksheet)

    def put(row: int, column: int, value: object, to_row: int | None = None, to_column: int | None = None,
            number_format: str | None = None) -> None:
        cell = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # text such as "=100%", not a formula
        if number_format:
            cell.number_format = number_format
        if to_row is not None or to_column is not None:
            sheet.merge_cells(start_row=row, start_column=column,
                              end_row=row if to_row is None else to_row,
                              end_column=column if to_column is None else to_column)

    def amount(text: str) -> object:
        return float(text) if numbers and text.replace(".", "").isdigit() else (text or None)

    def percent(text: str) -> tuple[object, str | None]:
        if numbers and text.endswith("%") and text[:-1].isdigit():
            return int(text[:-1]) / 100, "0%"
        return text or None, None

    row = top
    put(row, 1, spec.title, to_column=7)
    row += 1
    if spec.unit_line:
        put(row, 1, spec.unit_line, to_column=5)
        put(row, 6, "单位：万元", to_column=7)
        row += 1
    put(row, 1, "项目编码")
    put(row, 2, spec.code, to_column=3)
    put(row, 4, "项目名称", to_column=5)  # a label spanning two columns, as many forms have
    put(row, 6, spec.name, to_column=7)
    row += 1
    put(row, 1, "预算规模及资金用途", to_row=row + 1)
    for column, value in enumerate(
        ("预算数", amount(spec.budget), "其中：财政资金", amount(spec.fiscal), "其他资金", amount(spec.other)), 2
    ):
        put(row, column, value)
    put(row + 1, 2, spec.purpose, to_column=7)
    row += 2
    put(row, 1, spec.plan_header, to_row=row + 1)
    for column in range(4):
        value, number_format = percent(spec.plan_values[column])
        span = 7 if column == 3 else None
        put(row, column + 2, spec.plan_labels[column], to_column=span)
        put(row + 1, column + 2, value, to_column=span, number_format=number_format)
    row += 2
    put(row, 1, "绩效目标")
    put(row, 2, spec.goal, to_column=7)
    row += 2  # a blank row between the head and the indicators, as between two Word tables
    for column, text in enumerate(INDICATOR_HEADER, 1):
        put(row, column, text)
    first_indicator = row + 1
    for index, indicator in enumerate(spec.indicator_rows):
        for column, text in enumerate(indicator, 1):
            if text:
                put(first_indicator + index, column, text)
    for column in (0, 1):
        for first, last in _vertical_runs(spec.indicator_rows, column):
            sheet.merge_cells(start_row=first_indicator + first, start_column=column + 1,
                              end_row=first_indicator + last, end_column=column + 1)
    return first_indicator + len(spec.indicator_rows) + 1


def xlsx_bytes(tables: Sequence[TableSpec], *, one_sheet: bool, intro: Sequence[str] = ()) -> bytes:
    """One worksheet per project (amounts and percentages as numbers) or all on one sheet (text);
    ``intro`` lines go in single cells above the first table."""
    from openpyxl import Workbook

    workbook = Workbook()
    first = workbook.active
    assert first is not None
    if one_sheet:
        first.title = "绩效目标"
        for row, text in enumerate(intro, start=1):
            first.cell(row=row, column=1, value=text)
        row = len(intro) + 1
        for spec in tables:
            row = _write_project(first, row, spec, numbers=False) + 1
    else:
        workbook.remove(first)
        for number, spec in enumerate(tables, start=1):
            _write_project(workbook.create_sheet(f"项目{number}"), 1, spec, numbers=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------
# PDF


def _register_cjk_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def text_pdf_bytes(lines: Sequence[str], *, lines_per_page: int = 60) -> bytes:
    """Each line drawn as text in the built-in CJK font, ``第 N 页`` at the foot of every page."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _register_cjk_font()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    width, height = A4
    printed = [line for line in lines if line.strip()]
    pages = [printed[start: start + lines_per_page] for start in range(0, len(printed), lines_per_page)]
    for number, page in enumerate(pages, start=1):
        pdf.setFont(CJK_FONT, 10)
        for index, line in enumerate(page):
            pdf.drawString(40, height - 40 - 12.5 * index, line.strip())
        pdf.drawString(width / 2 - 20, 20, f"第 {number} 页")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def blank_pdf_bytes() -> bytes:
    """A valid PDF with a drawing and no text (what a scanned page looks like to an extractor)."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.rect(100, 100, 200, 300, fill=1)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def table_pdf_bytes(tables: Sequence[TableSpec]) -> bytes:
    """A PDF with each project as a heading and two ruled tables (spans like the Word original)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import (
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    _register_cjk_font()
    style = ParagraphStyle("cell", fontName=CJK_FONT, fontSize=8, leading=10)
    heading = ParagraphStyle("heading", fontName=CJK_FONT, fontSize=11, leading=14)

    def cell(text: str) -> Paragraph:
        return Paragraph(text.replace("\n", "<br/>"), style)

    story: list[object] = []
    for spec in tables:
        story.append(Paragraph(spec.title, heading))
        head = [
            [spec.unit_line, "", "", "", "", "单位：万元", ""],
            ["项目编码", spec.code, "", "项目名称", "", spec.name, ""],
            ["预算规模及资金用途", "预算数", spec.budget, "其中：财政资金", spec.fiscal, "其他资金", spec.other],
            ["", spec.purpose, "", "", "", "", ""],
            [spec.plan_header, *spec.plan_labels, "", ""],
            ["", *spec.plan_values, "", ""],
            ["绩效目标", spec.goal, "", "", "", "", ""],
        ]
        spans = [
            ("SPAN", (0, 0), (4, 0)), ("SPAN", (5, 0), (6, 0)),
            ("SPAN", (1, 1), (2, 1)), ("SPAN", (3, 1), (4, 1)), ("SPAN", (5, 1), (6, 1)),
            ("SPAN", (0, 2), (0, 3)), ("SPAN", (1, 3), (6, 3)), ("SPAN", (0, 4), (0, 5)),
            ("SPAN", (4, 4), (6, 4)), ("SPAN", (4, 5), (6, 5)), ("SPAN", (1, 6), (6, 6)),
        ]
        grid = [("GRID", (0, 0), (-1, -1), 0.5, "black"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
        story.append(Table([[cell(text) for text in row] for row in head],
                           colWidths=[70] + [68] * 6, style=TableStyle(grid + spans)))
        story.append(Spacer(1, 8))
        rows = spec.indicator_rows
        merges = [("SPAN", (column, first + 1), (column, last + 1))
                  for column in (0, 1) for first, last in _vertical_runs(rows, column)]
        story.append(Table([[cell(text) for text in row] for row in (INDICATOR_HEADER, *rows)],
                           colWidths=[60, 70, 95, 120, 70, 70], style=TableStyle(grid + merges)))
        story.append(Spacer(1, 16))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, leftMargin=30, rightMargin=30).build(story)
    return buffer.getvalue()
