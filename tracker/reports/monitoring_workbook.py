"""The 绩效监控情况表 workbook of one unit for 1-N月 (DOMAIN §2), from a ``MonitoringRoundForm``.

Sheets, in order: 汇总 (one row per project: budget, spending, 执行率, planned progress, money
and overall status, 完成目标可能性, whether the 偏差说明 is there, frozen or not), one sheet per
project in the official layout, and 数据来源 (round, snapshots, ledger batches).

The project sheet, columns A–Q::

    绩效监控情况表 / （2025年1-6月）
    项目名称 | …
    主管部门 | … | 实施单位 | …
    项目资金（万元） | | 年初预算数 | 1-N月执行数 | 1-N月执行率 | 全年预计执行数 | 说明
                    | 年度资金总额 / 其中：财政拨款 / 其他资金
    年度总体目标 | 全年预期目标 | 目标实际累计完成情况
    绩效指标 | 一级 | 二级 | 三级 | 年度指标值 | 1-N月执行情况 | 全年预计完成情况 |
             偏差原因分析（经费保障 制度保障 人员保障 硬件条件保障 其他）|
             完成目标可能性（确定能 有可能 完全不可能）| 原因说明 | 纠偏措施

Decisions (DOMAIN is silent):

- The 偏差说明 is recorded per project (causes, 完成目标可能性, 原因说明, 纠偏措施), so those
  columns are merged over all indicator rows and ticked (√) once, rather than repeating the
  project's answer on every indicator as if each had been analysed on its own.
  全年预计完成情况 is per indicator.
- A project yellow or red at the cut-off without a 偏差说明 shows “未填写偏差说明” in red in
  原因说明, and “未填写” in the summary; nothing is filled in for it.
- The ledger does not split spending by fund source.  When the whole 年初预算数 is 财政拨款
  (其他资金 0 or not given) the 财政拨款 row repeats the total's 执行数 / 执行率 / 预计执行数
  (and 其他资金 0 shows 0); otherwise those cells stay blank.
- Figures not frozen (no frozen snapshot at the cut-off) and figures the ledger does not
  cover are said so in red in the 说明 cell and in the summary's 数据状态.
"""

from __future__ import annotations

from decimal import Decimal

from tracker.core.labels import CAUSES, COLOUR_LABELS, LIKELIHOODS, MONEY_STATUS_LABELS
from tracker.core.money import wan_text, yuan_to_wan
from tracker.reports.forms import MonitoringRoundForm, MonitoringSheet
from tracker.reports.official_workbook import (
    DASH,
    RED,
    STATUS_FILLS,
    TICK,
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
)

SUMMARY = "汇总"
SOURCES = "数据来源"
TITLE = "绩效监控情况表"
MISSING_TEXT = "未填写偏差说明"
NOT_REPORTED = "未填报"
#: A 区块 | B 一级 | C 二级 | D 三级 | E 年度指标值 | F 1-N月执行情况 | G 全年预计完成情况 |
#: H–L 偏差原因 | M–O 完成目标可能性 | P 原因说明 | Q 纠偏措施
WIDTHS = (7, 8, 9, 17, 11, 13, 13, 5.5, 5.5, 5.5, 6.5, 5.5, 5.5, 5.5, 6.5, 19, 19)
CAUSE_COL = 7
LIKELIHOOD_COL = CAUSE_COL + len(CAUSES)
REASON_COL = LIKELIHOOD_COL + len(LIKELIHOODS)
ACTIONS_COL = REASON_COL + 1
SUMMARY_WIDTHS = (5, 14, 30, 13, 13, 10, 9, 8, 8, 11, 14, 20)
SOURCE_WIDTHS = (120,)


def build(form: MonitoringRoundForm) -> bytes:
    """The workbook's bytes (xlsx)."""
    period = f"{form.year}年1-{form.month}月"
    workbook, output = new_workbook(f"{form.unit_name}{period}{TITLE}", form.generated_on)
    styles = Styles(workbook)
    names = sheet_names((s.project_name for s in form.sheets), taken=(SUMMARY, SOURCES))
    _summary(Sheet(workbook, styles, SUMMARY, SUMMARY_WIDTHS), form)
    for name, sheet in zip(names, form.sheets, strict=True):
        _project(Sheet(workbook, styles, name, WIDTHS), sheet)
    _sources(Sheet(workbook, styles, SOURCES, SOURCE_WIDTHS), form)
    return finish(workbook, output)


def _rate(out: Sheet, row: int, first_col: int, last_col: int, rate: Decimal | None,
          **changes: object) -> None:
    if rate is None:
        out.merge(row, first_col, row, last_col, DASH, "center", **changes)
    else:
        out.merge(row, first_col, row, last_col, fraction(rate), "percent", **changes)


def data_state(sheet: MonitoringSheet) -> str:
    """已冻结 / 未冻结, and 台账未覆盖 when the ledger does not reach the cut-off."""
    state = "已冻结" if sheet.frozen else "未冻结（按生成时数据计算）"
    if sheet.withdrawn_batch_id is not None:
        rate = "—" if sheet.recomputed_rate is None else f"{sheet.recomputed_rate:.2f}%"
        status = COLOUR_LABELS.get(sheet.recomputed_status or "grey", "")
        state += (f"；基于已撤销的台账批次 {sheet.withdrawn_batch_id}，待财务确认后重新冻结"
                  f"（按当前数据重算：执行率 {rate}，总体{status}）")
    if not sheet.ledger_covered:
        closed = sheet.ledger_closed_through
        state += "；台账未覆盖" + (f"（入账至{closed.isoformat()}）" if closed else "（未导入台账）")
    return state


# --- 汇总 ------------------------------------------------------------------------------------


def _summary(out: Sheet, form: MonitoringRoundForm) -> None:
    last = out.last_col
    period = f"1-{form.month}月"
    out.merge(0, 0, 0, last, f"{form.unit_name}{form.year}年{period}绩效监控情况汇总表", "title")
    out.height(0, 30)
    out.merge(1, 0, 1, last, f"数据截至：{form.cutoff.isoformat()}　　生成日期："
              f"{form.generated_on.isoformat()}　　金额单位：万元", "note")
    headers = ("序号", "项目编码", "项目名称", "全年预算数", f"{period}执行数", f"{period}执行率",
               "计划进度", "资金状态", "总体状态", "完成目标可能性", "偏差说明", "数据状态")
    for col, header in enumerate(headers):
        out.put(2, col, header, "header")
    out.height(2, 28)
    row = 3
    budget = spent = Decimal(0)
    for number, sheet in enumerate(form.sheets, start=1):
        state = data_state(sheet)
        out.put(row, 0, number, "integer")
        out.put(row, 1, sheet.project_code or "", "text")
        out.put(row, 2, sheet.project_name, "text")
        out.put(row, 3, yuan_to_wan(sheet.annual_budget), "money")
        out.put(row, 4, yuan_to_wan(sheet.spent), "money")
        _rate(out, row, 5, 5, sheet.execution_rate)
        out.put(row, 6, fraction(sheet.planned_pct), "percent")
        out.put(row, 7, MONEY_STATUS_LABELS[sheet.money_status], "center",
                bg_color=STATUS_FILLS[sheet.money_status])
        out.put(row, 8, COLOUR_LABELS[sheet.overall_status], "center",
                bg_color=STATUS_FILLS[sheet.overall_status])
        out.put(row, 9, LIKELIHOODS.get(sheet.likelihood, sheet.likelihood) if sheet.likelihood else "",
                "center")
        when = sheet.explanation_as_of
        explained = "已填写" + (f"（{when.isoformat()}）" if when else "")
        if sheet.explanation_missing:
            out.put(row, 10, "未填写", "center", font_color=RED, bold=True)
        elif sheet.likelihood is not None:
            out.put(row, 10, explained, "center")
        else:
            out.put(row, 10, DASH, "center")
        out.put(row, 11, state, "center", **({} if sheet.frozen and sheet.ledger_covered
                                              else {"font_color": RED}))
        out.height(row, row_points([(sheet.project_name, out.width(2)), (explained, out.width(10)),
                                    (state, out.width(11))]))
        budget += sheet.annual_budget
        spent += sheet.spent
        row += 1
    out.merge(row, 0, row, 2, f"合计（{len(form.sheets)} 个项目）", "label", bold=True)
    out.put(row, 3, yuan_to_wan(budget), "money", bold=True)
    out.put(row, 4, yuan_to_wan(spent), "money", bold=True)
    _rate(out, row, 5, 5, spent * 100 / budget if budget else None, bold=True)
    for col in range(6, last + 1):
        out.put(row, col, None, "text")
    out.height(row, 22)
    row += 1
    missing = [s.project_name for s in form.sheets if s.explanation_missing]
    if missing:
        line = f"红灯或黄灯但未填写偏差说明的项目（{len(missing)} 个）：{'、'.join(missing)}"
        out.merge(row, 0, row, last, line, "note", font_color=RED, bold=True)
        out.height(row, row_points([(line, out.width(0, last))], minimum=18))
    out.print_setup((0, 2), freeze_below=3)


# --- one project --------------------------------------------------------------------------


def _project(out: Sheet, sheet: MonitoringSheet) -> None:
    last = out.last_col
    out.merge(0, 0, 0, last, TITLE, "title")
    out.height(0, 30)
    out.merge(1, 0, 1, last, f"（{sheet.year}年1-{sheet.month}月）", "subtitle")
    project_rows(out, sheet.project_name, sheet.supervising_department, sheet.implementing_unit,
                 label_end=2, department_end=7, unit_label_end=11)
    row = _money(out, 4, sheet)
    row = goal_rows(out, row, 7, ("全年预期目标", sheet.goal), ("目标实际累计完成情况", sheet.goal_progress))
    row = _indicators(out, row, sheet)
    _notes(out, row, sheet)
    out.print_setup((0, 3))


#: money block columns: (first, last) of 年初预算数, 执行数, 执行率, 预计执行数, 说明
MONEY_COLUMNS = ((4, 5), (6, 8), (9, 11), (12, 14), (15, 16))


def _money(out: Sheet, top: int, sheet: MonitoringSheet) -> int:
    period = f"1-{sheet.month}月"
    out.merge(top, 0, top + 3, 0, "项目资金（万元）", "label")
    out.merge(top, 1, top, 3, None, "header")
    for (first, last), header in zip(MONEY_COLUMNS, ("年初预算数", f"{period}执行数", f"{period}执行率",
                                                     "全年预计执行数", "说明"), strict=True):
        out.merge(top, first, top, last, header, "header")
    all_fiscal = sheet.fiscal_funds is not None and sheet.fiscal_funds == sheet.initial_budget \
        and not sheet.other_funds
    total = (sheet.spent, sheet.execution_rate, sheet.forecast)
    nothing = (Decimal(0), None, Decimal(0))
    _fund_row(out, top + 1, "年度资金总额", sheet.initial_budget, total)
    _fund_row(out, top + 2, "其中：财政拨款", sheet.fiscal_funds, total if all_fiscal else None)
    _fund_row(out, top + 3, "其他资金", sheet.other_funds,
              nothing if all_fiscal and sheet.other_funds is not None else None)
    note = (f"计划进度 {sheet.planned_pct:.2f}%；资金{MONEY_STATUS_LABELS[sheet.money_status]}，"
            f"总体{COLOUR_LABELS[sheet.overall_status]}\n{data_state(sheet)}")
    first, last = MONEY_COLUMNS[-1]
    out.merge(top + 1, first, top + 3, last, note, "text",
              **({} if sheet.frozen and sheet.ledger_covered else {"font_color": RED}))
    out.height(top, 28)
    needed = row_points([(note, out.width(first, last))]) + 6
    for row in range(top + 1, top + 4):
        out.height(row, max(20.0, needed / 3))
    return top + 4


def _fund_row(out: Sheet, row: int, label: str, budget: Decimal | None,
              figures: tuple[Decimal, Decimal | None, Decimal] | None) -> None:
    """One row of the money block: 年初预算数 and (spent, 执行率, 全年预计执行数), or blanks
    where the split by fund source is not known."""
    (b1, b2), (s1, s2), (r1, r2), (f1, f2), _ = MONEY_COLUMNS
    out.merge(row, 1, row, 3, label, "text")
    out.merge(row, b1, row, b2, None if budget is None else yuan_to_wan(budget), "money")
    if figures is None:
        out.merge(row, s1, row, s2, None, "money")
        out.merge(row, r1, row, r2, None, "center")
        out.merge(row, f1, row, f2, None, "money")
        return
    spent, rate, forecast = figures
    out.merge(row, s1, row, s2, yuan_to_wan(spent), "money")
    _rate(out, row, r1, r2, rate)
    out.merge(row, f1, row, f2, yuan_to_wan(forecast), "money")


def _indicators(out: Sheet, top: int, sheet: MonitoringSheet) -> int:
    period = f"1-{sheet.month}月"
    for col, header in ((1, "一级指标"), (2, "二级指标"), (3, "三级指标"), (4, "年度指标值"),
                        (5, f"{period}执行情况"), (6, "全年预计完成情况"),
                        (REASON_COL, "原因说明"), (ACTIONS_COL, "纠偏措施")):
        out.merge(top, col, top + 1, col, header, "header")
    out.merge(top, CAUSE_COL, top, LIKELIHOOD_COL - 1, "偏差原因分析", "header")
    out.merge(top, LIKELIHOOD_COL, top, REASON_COL - 1, "完成目标可能性", "header")
    for offset, label in enumerate((*CAUSES.values(), *LIKELIHOODS.values())):
        out.put(top + 1, CAUSE_COL + offset, label, "header")
    out.height(top, 22)
    out.height(top + 1, 44)
    first = top + 2
    lines = sheet.indicators
    heights = []
    for offset, line in enumerate(lines):
        row = first + offset
        progress = line.progress or NOT_REPORTED
        out.put(row, 3, line.name, "text")
        out.put(row, 4, line.target_raw, "center")
        out.put(row, 5, progress, "center", **({} if line.progress else {"font_color": "#7F7F7F"}))
        out.put(row, 6, line.forecast, "center")
        heights.append(row_points([(line.level1, out.width(1)), (line.level2, out.width(2)),
                                   (line.name, out.width(3)), (line.target_raw, out.width(4)),
                                   (progress, out.width(5)), (line.forecast, out.width(6))]))
    if not lines:
        out.merge(first, 1, first, 6, "未设置绩效指标", "text")
        heights.append(20.0)
    group_cells(out, first, [(line.level1, line.level2) for line in sheet.indicators])
    end = first + len(heights) - 1
    _explanation(out, first, end, sheet)
    needed = row_points([(sheet.reason or MISSING_TEXT, out.width(REASON_COL)),
                         (sheet.corrective_actions, out.width(ACTIONS_COL))])
    if sum(heights) < needed:  # the merged explanation cells need more room than the rows give
        heights = [h + (needed - sum(heights)) / len(heights) for h in heights]
    for offset, points in enumerate(heights):
        out.height(first + offset, points)
    out.merge(top, 0, end, 0, "绩效指标", "label")
    return end + 1


def _explanation(out: Sheet, first: int, end: int, sheet: MonitoringSheet) -> None:
    """The project's 偏差说明 over all indicator rows: ticks, 原因说明, 纠偏措施."""
    for offset, code in enumerate(CAUSES):
        out.merge(first, CAUSE_COL + offset, end, CAUSE_COL + offset,
                  TICK if code in sheet.causes else None, "tick")
    for offset, code in enumerate(LIKELIHOODS):
        out.merge(first, LIKELIHOOD_COL + offset, end, LIKELIHOOD_COL + offset,
                  TICK if code == sheet.likelihood else None, "tick")
    if sheet.explanation_missing:
        out.merge(first, REASON_COL, end, REASON_COL, MISSING_TEXT, "text", font_color=RED, bold=True)
    else:
        out.merge(first, REASON_COL, end, REASON_COL, sheet.reason, "text")
    out.merge(first, ACTIONS_COL, end, ACTIONS_COL, sheet.corrective_actions, "text")


def _notes(out: Sheet, row: int, sheet: MonitoringSheet) -> None:
    last = out.last_col
    notes = ["注：金额单位万元；执行率 = 执行数 ÷ 全年预算数"
             f"（全年预算数 {wan_text(sheet.annual_budget, grouped=True)} 万元）；偏差原因分析、完成目标可能性、原因说明、"
             "纠偏措施按项目填写" + (f"（{sheet.explanation_as_of.isoformat()} 的偏差说明）"
                                    if sheet.explanation_as_of else "") + "。"]
    if sheet.explanation_missing:
        notes.append(f"本项目截至{sheet.cutoff.isoformat()}为{COLOUR_LABELS[sheet.overall_status]}，"
                     "尚未填写偏差说明。")
    for offset, note in enumerate(notes):
        out.merge(row + offset, 0, row + offset, last, note, "note",
                  **({"font_color": RED} if offset else {}))
        out.height(row + offset, row_points([(note, out.width(0, last))], minimum=18))


# --- 数据来源 ----------------------------------------------------------------------------------


def _sources(out: Sheet, form: MonitoringRoundForm) -> None:
    out.put(0, 0, SOURCES, "title")
    out.height(0, 30)
    out.put(1, 0, f"单位：{form.unit_name}　　监控期间：{form.year}年1-{form.month}月（截至"
            f"{form.cutoff.isoformat()}）　　生成日期：{form.generated_on.isoformat()}", "note")
    row = 2
    for line in form.sources or ("（无）",):
        out.put(row, 0, line, "text")
        out.height(row, row_points([(line, out.width(0))]))
        row += 1
    out.print_setup((0, 1))
