"""The 项目支出绩效自评表 workbook of one unit and year (DOMAIN §3), from a ``SelfEvalForm``.

Sheets, in order: 汇总 (one row per project: budget, spending, 执行率, score, grade, state;
then the projects without a submitted evaluation), one sheet per project in the official
layout, and 数据来源 (which evaluation each sheet shows, when it was submitted and by whom,
the ledger's closed-through date, and the ledger batches).

The project sheet, columns A–J::

    项目支出绩效自评表 / （2025年度）
    项目名称 | …
    主管部门 | … | 实施单位 | …
    项目资金（万元） | | 年初预算数 | 全年预算数 | 全年执行数 | 分值 | 执行率 | 得分
                    | 年度资金总额 / 其中：本年财政拨款 / 上年结转资金 / 其他资金
    年度总体目标 | 预期目标 | 实际完成情况
    绩效指标 | 一级指标 | 二级指标 | 三级指标 | 年度指标值 | 实际完成值 | 分值 | 得分 | 偏差原因分析及改进措施
    总分 | 分值合计 (100) | 总分 | 自评等级 | 优/良/中/差

Only the total row of the money block is scored; the fund-source rows show their 全年预算数
where the target table split it and leave unknown amounts blank.  A standard 一级 category
(产出 / 效益 / 满意度) with no indicator gets a row saying so (its weight went to the other
categories when the evaluation was scored).  A draft (not submitted) says so in red on its
sheet and in the summary.  Cell values depend only on the form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from tracker.core.labels import GRADES
from tracker.core.money import yuan_to_wan
from tracker.core.weights import CATEGORIES, CATEGORY_LABELS, category_of
from tracker.reports.forms import SelfEvalForm, SelfEvalIndicatorLine, SelfEvalSheet
from tracker.reports.official_workbook import (
    DASH,
    RED,
    Sheet,
    Styles,
    finish,
    fraction,
    goal_rows,
    group_cells,
    new_workbook,
    project_rows,
    row_points,
    sheet_names,
    shown,
)

SUMMARY = "汇总"
SOURCES = "数据来源"
TITLE = "项目支出绩效自评表"
#: A 区块 | B 一级 | C 二级 | D 三级 | E 年度指标值 | F 实际完成值 | G 分值 | H 得分 | I–J 偏差原因
WIDTHS = (7, 10, 11, 22, 15, 15, 8, 8, 17, 17)
SUMMARY_WIDTHS = (5, 14, 30, 18, 14, 14, 9, 9, 6, 12, 34)
SOURCE_WIDTHS = (30, 16, 12, 18, 12, 14, 60)


def build(form: SelfEvalForm) -> bytes:
    """The workbook's bytes (xlsx)."""
    workbook, output = new_workbook(f"{form.unit_name}{form.year}年度{TITLE}", form.generated_on)
    styles = Styles(workbook)
    lay_out(form, lambda name, widths: Sheet(workbook, styles, name, widths))
    return finish(workbook, output)


def lay_out(form: SelfEvalForm, new_sheet: Callable[[str, Sequence[float]], Sheet]) -> None:
    """Every sheet of the workbook, each made by ``new_sheet(name, column widths)`` (the
    benchmark passes an openpyxl stand-in to time the same layout cell by cell)."""
    names = sheet_names((s.project_name for s in form.sheets), taken=(SUMMARY, SOURCES))
    _summary(new_sheet(SUMMARY, SUMMARY_WIDTHS), form)
    for name, sheet in zip(names, form.sheets, strict=True):
        _project(new_sheet(name, WIDTHS), sheet)
    _sources(new_sheet(SOURCES, SOURCE_WIDTHS), form)


# --- 汇总 ------------------------------------------------------------------------------------


def _summary(out: Sheet, form: SelfEvalForm) -> None:
    last = out.last_col
    out.merge(0, 0, 0, last, f"{form.unit_name}{form.year}年度项目支出绩效自评汇总表", "title")
    out.height(0, 30)
    out.merge(1, 0, 1, last, f"生成日期：{form.generated_on.isoformat()}　　金额单位：万元", "note")
    headers = ("序号", "项目编码", "项目名称", "实施单位", "全年预算数", "全年执行数", "执行率",
               "自评得分", "等级", "状态", "提示")
    for col, header in enumerate(headers):
        out.put(2, col, header, "header")
    out.height(2, 24)
    row = 3
    budget = spent = Decimal(0)
    grades = dict.fromkeys(GRADES, 0)
    for number, sheet in enumerate(form.sheets, start=1):
        warning = "；".join(sheet.warnings)
        out.put(row, 0, number, "integer")
        out.put(row, 1, sheet.project_code or "", "text")
        out.put(row, 2, sheet.project_name, "text")
        out.put(row, 3, sheet.implementing_unit, "text")
        out.put(row, 4, yuan_to_wan(sheet.annual_budget), "money")
        out.put(row, 5, yuan_to_wan(sheet.spent), "money")
        _rate(out, row, 6, sheet.execution_rate)
        out.put(row, 7, shown(sheet.total), "score")
        out.put(row, 8, sheet.grade, "center")
        if sheet.frozen:
            out.put(row, 9, "已提交", "center")
        else:
            out.put(row, 9, "草稿（未提交）", "center", font_color=RED)
        out.put(row, 10, warning, "text")
        out.height(row, row_points([(sheet.project_name, out.width(2)), (warning, out.width(10))]))
        budget += sheet.annual_budget
        spent += sheet.spent
        if sheet.frozen and sheet.grade in grades:
            grades[sheet.grade] += 1
        row += 1
    for name in form.missing:
        out.put(row, 0, None, "integer")
        out.put(row, 1, None, "text")
        out.put(row, 2, name, "text")
        for col in range(3, 9):
            out.put(row, col, None, "text")
        out.put(row, 9, "未提交自评", "center", font_color=RED, bold=True)
        out.put(row, 10, "没有已提交的自评表，未生成该项目的自评表", "text", font_color=RED)
        out.height(row, row_points([(name, out.width(2))]))
        row += 1
    out.merge(row, 0, row, 3, f"合计（{len(form.sheets)} 个项目）", "label", bold=True)
    out.put(row, 4, yuan_to_wan(budget), "money", bold=True)
    out.put(row, 5, yuan_to_wan(spent), "money", bold=True)
    _rate(out, row, 6, spent * 100 / budget if budget else None, bold=True)
    for col in range(7, last + 1):
        out.put(row, col, None, "text")
    out.height(row, 22)
    row += 1
    drafts = sum(1 for s in form.sheets if not s.frozen)
    counts = "、".join(f"{grade} {count} 个" for grade, count in grades.items())
    line = f"等级分布（已提交）：{counts}"
    if drafts:
        line += f"；草稿 {drafts} 个"
    if form.missing:
        line += f"；未提交自评 {len(form.missing)} 个"
    out.merge(row, 0, row, last, line + "。", "note", font_color=RED if drafts or form.missing else None)
    out.print_setup((0, 2), freeze_below=3)


def _rate(out: Sheet, row: int, col: int, rate: Decimal | None, **changes: object) -> None:
    if rate is None:
        out.put(row, col, DASH, "center", **changes)
    else:
        out.put(row, col, fraction(rate), "percent", **changes)


# --- one project --------------------------------------------------------------------------


def _project(out: Sheet, sheet: SelfEvalSheet) -> None:
    last = out.last_col
    out.merge(0, 0, 0, last, TITLE, "title")
    out.height(0, 30)
    subtitle = f"（{sheet.year}年度）"
    if sheet.frozen:
        out.merge(1, 0, 1, last, subtitle, "subtitle")
    else:
        out.merge(1, 0, 1, last, subtitle + "草稿，未提交", "subtitle", font_color=RED, bold=True)
    project_rows(out, sheet.project_name, sheet.supervising_department, sheet.implementing_unit,
                 label_end=1, department_end=4, unit_label_end=6)
    row = _money(out, 4, sheet)
    row = goal_rows(out, row, 5, ("预期目标", sheet.goal), ("实际完成情况", sheet.goal_actual))
    row = _indicators(out, row, sheet)
    _notes(out, row, sheet)
    out.print_setup((0, 3))


def _money(out: Sheet, top: int, sheet: SelfEvalSheet) -> int:
    """项目资金（万元）: a header row and four fund rows; returns the next free row."""
    last = out.last_col
    out.merge(top, 0, top + 4, 0, "项目资金（万元）", "label")
    out.merge(top, 1, top, 2, None, "header")
    for col, header in ((3, "年初预算数"), (4, "全年预算数"), (5, "全年执行数"), (6, "分值"), (7, "执行率")):
        out.put(top, col, header, "header")
    out.merge(top, 8, top, last, "得分", "header")
    total = top + 1
    out.merge(total, 1, total, 2, "年度资金总额", "text")
    out.put(total, 3, yuan_to_wan(sheet.initial_budget), "money")
    out.put(total, 4, yuan_to_wan(sheet.annual_budget), "money")
    out.put(total, 5, yuan_to_wan(sheet.spent), "money")
    out.put(total, 6, shown(sheet.execution_weight), "score")
    _rate(out, total, 7, sheet.execution_rate)
    out.merge(total, 8, total, last, shown(sheet.execution_score), "score")
    for row, (label, amount) in enumerate((("其中：本年财政拨款", sheet.fiscal_funds),
                                           ("上年结转资金", sheet.carryover),
                                           ("其他资金", sheet.other_funds)), start=total + 1):
        out.merge(row, 1, row, 2, label, "text")
        out.put(row, 3, None, "money")
        out.put(row, 4, None if amount is None else yuan_to_wan(amount), "money")
        out.put(row, 5, None, "money")
        out.put(row, 6, DASH, "center")
        out.put(row, 7, DASH, "center")
        out.merge(row, 8, row, last, DASH, "center")
    for row in range(top, top + 5):
        out.height(row, 20)
    return top + 5


class _Missing:
    """A standard 一级 category (by its rank in ``CATEGORIES``) without indicators: one row
    saying so."""

    def __init__(self, rank: int) -> None:
        self.rank = rank
        self.label = CATEGORY_LABELS[CATEGORIES[rank]]


def _rank(row: SelfEvalIndicatorLine | _Missing) -> int | None:
    if isinstance(row, _Missing):
        return row.rank
    try:
        return CATEGORIES.index(category_of(row.level1))
    except ValueError:  # not one of 产出/成本/效益/满意度
        return None


def indicator_rows(lines: tuple[SelfEvalIndicatorLine, ...]) -> list[SelfEvalIndicatorLine | _Missing]:
    """The indicators in their order, with a ``_Missing`` row for each standard 一级 category
    that has none, placed after the rows of the categories before it."""
    rows: list[SelfEvalIndicatorLine | _Missing] = list(lines)
    present = {_rank(line) for line in lines}
    for rank in range(len(CATEGORIES)):
        if rank in present:
            continue
        at = 0
        for index, row in enumerate(rows):
            row_rank = _rank(row)
            if row_rank is not None and row_rank < rank:
                at = index + 1
        rows.insert(at, _Missing(rank))
    return rows


def _indicators(out: Sheet, top: int, sheet: SelfEvalSheet) -> int:
    last = out.last_col
    headers = ((1, "一级指标"), (2, "二级指标"), (3, "三级指标"), (4, "年度指标值"), (5, "实际完成值"),
               (6, "分值"), (7, "得分"))
    for col, header in headers:
        out.put(top, col, header, "header")
    out.merge(top, 8, top, last, "偏差原因分析及改进措施", "header")
    out.height(top, 24)
    rows = indicator_rows(sheet.indicators)
    first = top + 1
    for offset, line in enumerate(rows):
        row = first + offset
        if isinstance(line, _Missing):
            out.put(row, 1, line.label, "label")
            out.merge(row, 2, row, 3, "未设置本类指标", "text")
            for col in (4, 5, 6, 7):
                out.put(row, col, DASH, "center")
            out.merge(row, 8, row, last, None, "text")
            out.height(row, 20)
            continue
        out.put(row, 3, line.name, "text")
        out.put(row, 4, line.target_raw, "center")
        out.put(row, 5, line.actual_raw, "center")
        out.put(row, 6, shown(line.weight), "score")
        out.put(row, 7, shown(line.score), "score")
        out.merge(row, 8, row, last, line.deviation_reason, "text")
        out.height(row, row_points([(line.level1, out.width(1)), (line.level2, out.width(2)),
                                    (line.name, out.width(3)), (line.target_raw, out.width(4)),
                                    (line.actual_raw, out.width(5)),
                                    (line.deviation_reason, out.width(8, last))]))
    group_cells(out, first, [None if isinstance(line, _Missing) else (line.level1, line.level2)
                             for line in rows])
    end = first + len(rows) - 1  # never empty: a category without indicators has its own row
    out.merge(top, 0, end, 0, "绩效指标", "label")
    total = end + 1
    weights = sum((line.weight for line in sheet.indicators), sheet.execution_weight)
    out.merge(total, 0, total, 5, "总分", "label", bold=True)
    out.put(total, 6, shown(weights), "score", bold=True)
    out.put(total, 7, shown(sheet.total), "score", bold=True)
    out.put(total, 8, "自评等级", "label", bold=True)
    out.put(total, 9, sheet.grade, "label", bold=True)
    out.height(total, 24)
    return total + 1


def _notes(out: Sheet, row: int, sheet: SelfEvalSheet) -> None:
    last = out.last_col
    notes = []
    if not sheet.frozen:
        notes.append("本表为草稿（未提交），数值可能变化。")
    notes.extend(f"提示：{warning}" for warning in sheet.warnings)
    for offset, note in enumerate(notes):
        out.merge(row + offset, 0, row + offset, last, note, "note", font_color=RED)
        out.height(row + offset, row_points([(note, out.width(0, last))], minimum=18))


# --- 数据来源 ----------------------------------------------------------------------------------


def _sources(out: Sheet, form: SelfEvalForm) -> None:
    last = out.last_col
    out.merge(0, 0, 0, last, SOURCES, "title")
    out.height(0, 30)
    out.merge(1, 0, 1, last, f"单位：{form.unit_name}　　年度：{form.year}　　生成日期："
              f"{form.generated_on.isoformat()}", "note")
    headers = ("项目名称", "自评记录", "状态", "提交时间", "提交人", "台账截止日", "依据")
    for col, header in enumerate(headers):
        out.put(2, col, header, "header")
    row = 3
    for sheet in form.sheets:
        basis = "；".join(sheet.sources)
        out.put(row, 0, sheet.project_name, "text")
        out.put(row, 1, f"自评表 #{sheet.evaluation_id}（第 {sheet.evaluation_number} 次）", "center")
        if sheet.frozen:
            out.put(row, 2, "已提交（冻结）", "center")
        else:
            out.put(row, 2, "草稿", "center", font_color=RED)
        out.put(row, 3, "" if sheet.frozen_at is None else sheet.frozen_at.strftime("%Y-%m-%d %H:%M"), "center")
        out.put(row, 4, sheet.frozen_by, "center")
        closed = sheet.ledger_closed_through
        out.put(row, 5, "" if closed is None else closed.isoformat(), "center")
        out.put(row, 6, basis, "text")
        out.height(row, row_points([(sheet.project_name, out.width(0)), (basis, out.width(6))]))
        row += 1
    for name in form.missing:
        out.put(row, 0, name, "text")
        out.merge(row, 1, row, last, "没有已提交的自评表", "text", font_color=RED)
        row += 1
    row += 1
    out.merge(row, 0, row, last, "台账批次及其他来源", "header")
    row += 1
    for line in form.sources or ("（无）",):
        out.merge(row, 0, row, last, line, "text")
        out.height(row, row_points([(line, out.width(0, last))]))
        row += 1
    out.print_setup((0, 2), freeze_below=3)
