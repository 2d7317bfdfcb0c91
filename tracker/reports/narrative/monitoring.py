"""部门1-N月预算绩效运行监控报告, drafted from a ``MonitoringRoundForm``: 一、总体情况;
二、执行进度滞后项目及原因分析; 三、可能无法完成绩效目标的项目; 四、下一步工作打算."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TypeVar

from tracker.core.categories import LEVEL1_LABELS, level1_of, level1_position
from tracker.core.labels import CAUSES, COLOUR_LABELS, LIKELIHOODS, MONEY_STATUS_LABELS
from tracker.core.money import wan_text
from tracker.reports.charts import execution_chart
from tracker.reports.forms import MonitoringRoundForm, MonitoringSheet
from tracker.reports.narrative.docx_writer import Part, Pending, Writer
from tracker.reports.narrative.phrases import (
    Draft,
    counts,
    data_note,
    day_text,
    ordinal,
    pct,
    project_list,
    quoted,
    ratio,
    two,
)

T = TypeVar("T")

MONITORING_SECTIONS = ("一、总体情况", "二、执行进度滞后项目及原因分析",
                       "三、可能无法完成绩效目标的项目", "四、下一步工作打算")


def _behind(sheet: MonitoringSheet) -> bool:
    return sheet.money_status in ("red", "yellow", "overspent")


def _has_explanation(sheet: MonitoringSheet) -> bool:
    return not sheet.explanation_missing and bool(
        sheet.causes or sheet.likelihood or sheet.reason.strip() or sheet.corrective_actions.strip())


def _gap(sheet: MonitoringSheet) -> Decimal | None:
    """Planned% − 执行率 in points (positive = behind plan)."""
    return None if sheet.execution_rate is None else sheet.planned_pct - sheet.execution_rate


def _at_risk(sheet: MonitoringSheet) -> bool:
    return sheet.likelihood in ("possible", "impossible") or any(
        i.colour in ("red", "yellow") for i in sheet.indicators)


def _lag_amount(sheet: MonitoringSheet) -> Decimal:
    """滞后金额 = 全年预算数 × 计划进度 − 累计支出 (0 when ahead)."""
    return max(sheet.annual_budget * sheet.planned_pct / 100 - sheet.spent, Decimal(0))


_SEVERITY = {"red": 0, "yellow": 1, "overspent": 2}


def monitoring_report(form: MonitoringRoundForm, *, charts: bool = True) -> bytes:
    """The 部门1-N月预算绩效运行监控报告 of one unit, as .docx bytes."""
    return draft_monitoring_report(form, charts=charts).data


def draft_monitoring_report(form: MonitoringRoundForm, *, charts: bool = True) -> Draft:
    """``monitoring_report`` with what the caller should tell the user."""
    sheets = form.sheets
    n = form.month
    chart_list = [execution_chart(sheets, n)] if sheets else []
    w = Writer(f"{form.unit_name}{form.year}年1-{n}月预算绩效运行监控报告", chart_list, charts)
    w.centered(f"（数据截至 {form.cutoff.year}年{form.cutoff.month}月{form.cutoff.day}日）")

    # 一、总体情况
    w.heading(MONITORING_SECTIONS[0], 1)
    budget = sum((s.annual_budget for s in sheets), Decimal(0))
    initial = sum((s.initial_budget for s in sheets), Decimal(0))
    spent = sum((s.spent for s in sheets), Decimal(0))
    forecast = sum((s.forecast for s in sheets), Decimal(0))
    rate = ratio(spent, budget)
    plan = ratio(sum((s.annual_budget * s.planned_pct for s in sheets), Decimal(0)) / 100, budget)
    sentence = (f"截至{form.cutoff.year}年{form.cutoff.month}月{form.cutoff.day}日，{form.unit_name}纳入"
                f"绩效运行监控的项目共 {len(sheets)} 个，全年预算数合计 {wan_text(budget)} 万元（年初预算数合计 "
                f"{wan_text(initial)} 万元），1-{n}月累计执行 {wan_text(spent)} 万元，执行率 {pct(rate)}")
    if rate is not None and plan is not None:
        gap = plan - rate
        sentence += f"，按预算加权的计划进度为 {pct(plan)}，" + (
            f"落后计划进度 {two(gap)} 个百分点" if gap > 0 else
            f"超出计划进度 {two(-gap)} 个百分点" if gap < 0 else "与计划进度持平")
    sentence += (f"。预计全年执行 {wan_text(forecast)} 万元，预计结转结余 {wan_text(budget - forecast)} 万元。")
    w.para(sentence)
    if sheets:
        w.para(f"按资金执行进度判断：{counts(MONEY_STATUS_LABELS, [s.money_status for s in sheets])}。"
               f"综合资金执行和绩效指标完成情况（双监控）：{counts(COLOUR_LABELS, [s.overall_status for s in sheets])}。")
    uncovered = [s.project_name for s in sheets if not s.ledger_covered]
    if uncovered:
        w.para(f"{project_list(uncovered)}的台账尚未覆盖监控截止日，相关执行数为暂估数。")
    unfrozen = [s for s in sheets if not s.frozen]
    if sheets and unfrozen:
        w.para(f"有 {len(unfrozen)} 个项目的截止日数据尚未冻结，按{day_text(form.generated_on)}的数据计算，"
               "定稿前请重新生成。")
    if sheets:
        w.table(f"{form.unit_name}1-{n}月项目资金执行情况",
                ["序号", "项目名称", "全年预算数（万元）", f"1-{n}月执行数（万元）", "执行率",
                 "计划进度", "偏差（百分点）", "资金状态", "综合状态"],
                [[str(i), s.project_name, wan_text(s.annual_budget), wan_text(s.spent), pct(s.execution_rate),
                  pct(s.planned_pct), "—" if _gap(s) is None else two(_gap(s)),  # type: ignore[arg-type]
                  MONEY_STATUS_LABELS.get(s.money_status, s.money_status),
                  COLOUR_LABELS.get(s.overall_status, s.overall_status)]
                 for i, s in enumerate(sheets, 1)]
                + [["", "合计", wan_text(budget), wan_text(spent), pct(rate), pct(plan),
                    "—" if rate is None or plan is None else two(plan - rate), "", ""]],
                widths=[0.8, 3.4, 1.8, 1.8, 1.5, 1.5, 1.5, 1.6, 1.7], numeric=range(2, 7), total_row=True)
        w.chart(0, f"1-{n}月各项目执行率与计划进度")

    # 二、执行进度滞后项目及原因分析
    w.heading(MONITORING_SECTIONS[1], 1)
    behind = sorted((s for s in sheets if _behind(s)),
                    key=lambda s: (_SEVERITY[s.money_status], -(_gap(s) or Decimal(0)), s.project_name))
    lagging = [s for s in behind if s.money_status in ("red", "yellow")]
    if not behind:
        w.para(f"截至1-{n}月，没有执行进度滞后（红灯、黄灯）或超支的项目。")
    else:
        text = f"执行进度滞后或超支的项目共 {len(behind)} 个（{counts(MONEY_STATUS_LABELS, [s.money_status for s in behind])}）"
        if lagging:
            text += (f"；滞后项目全年预算数合计 {wan_text(sum((s.annual_budget for s in lagging), Decimal(0)))} 万元，"
                     f"1-{n}月执行 {wan_text(sum((s.spent for s in lagging), Decimal(0)))} 万元，按计划进度应支未支 "
                     f"{wan_text(sum((_lag_amount(s) for s in lagging), Decimal(0)))} 万元")
        w.para(text + "。各项目情况和单位填报的原因说明、纠偏措施如下。")
        for i, s in enumerate(behind, 1):
            w.heading(f"{ordinal(i)}{s.project_name}", 2)
            w.para(_money_sentence(s, n))
            _explanation(w, s)

    # 三、可能无法完成绩效目标的项目
    w.heading(MONITORING_SECTIONS[2], 1)
    indicators = [i for s in sheets for i in s.indicators]
    if indicators:
        w.para(f"纳入监控的绩效指标共 {len(indicators)} 项，1-{n}月完成情况："
               f"{counts(_INDICATOR_LABELS, [i.colour for i in indicators])}。")
        groups = _group_by(indicators, lambda i: _level1_label(i.level1))
        w.table(f"1-{n}月绩效指标完成情况统计",
                ["一级指标", "指标数", *_INDICATOR_LABELS.values()],
                [[label, str(len(items)), *(str(sum(1 for i in items if i.colour == c)) for c in _INDICATOR_LABELS)]
                 for label, items in groups]
                + [["合计", str(len(indicators)),
                    *(str(sum(1 for i in indicators if i.colour == c)) for c in _INDICATOR_LABELS)]],
                widths=[3.6, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0], numeric=range(1, 7), total_row=True)
    risky = [s for s in sheets if _at_risk(s)]
    if not risky:
        w.para(f"根据1-{n}月绩效指标完成情况和单位填报的完成目标可能性，暂未发现可能无法完成绩效目标的项目。")
    else:
        w.para(f"根据1-{n}月绩效指标完成情况和单位填报的完成目标可能性，{project_list(s.project_name for s in risky)}"
               f"存在不能完成全年绩效目标的风险。")
        for i, s in enumerate(risky, 1):
            w.heading(f"{ordinal(i)}{s.project_name}", 2)
            w.para("年度总体目标：", quoted(s.goal, "未填写年度总体目标"), "；目标实际累计完成情况：",
                   quoted(s.goal_progress, "未填写目标实际累计完成情况"), "。")
            weak = [line for line in s.indicators if line.colour in ("red", "yellow")]
            if weak:
                w.table(f"{s.project_name}完成情况偏差的指标",
                        ["一级指标", "三级指标", "年度指标值", f"1-{n}月执行情况", "全年预计完成情况", "状态"],
                        [[_level1_label(line.level1), line.name, line.target_raw,
                          line.progress or Pending("未填报"), line.forecast or Pending("未填写"),
                          COLOUR_LABELS.get(line.colour, line.colour)] for line in weak],
                        widths=[2.0, 3.6, 2.6, 2.6, 3.2, 1.6])
            if s.likelihood:
                w.para(f"完成目标可能性：{LIKELIHOODS.get(s.likelihood, s.likelihood)}。")
            if _behind(s):
                w.para("原因说明和纠偏措施见本报告第二部分。")
            else:
                _explanation(w, s, likelihood=False)

    # 四、下一步工作打算
    w.heading(MONITORING_SECTIONS[3], 1)
    steps: list[list[Part]] = []
    if lagging:
        steps.append([f"加快滞后项目支出进度。督促执行进度滞后的"
                      f"{project_list(s.project_name for s in lagging)}落实纠偏措施，按计划应支未支的 "
                      f"{wan_text(sum((_lag_amount(s) for s in lagging), Decimal(0)))} 万元尽快形成支出。"])
    overspent = [s for s in behind if s.money_status == "overspent"]
    if overspent:
        steps.append([f"核实超支原因。{project_list(s.project_name for s in overspent)}的执行数已超过全年预算数，"
                      "请核实支出口径，必要时按程序调整预算。"])
    missing = [s for s in sheets if s.explanation_missing or (_behind(s) and not _has_explanation(s))]
    if missing:
        steps.append([f"补充偏差说明。{project_list(s.project_name for s in missing)}"
                      "尚未填写偏差原因说明和纠偏措施，请尽快补充。"])
    if uncovered:
        steps.append([f"补齐财务台账。{project_list(uncovered)}的台账尚未覆盖监控截止日，请财务部门导入截至"
                      f"{form.cutoff.month}月底的台账后重新生成本报告。"])
    grey = [i for i in indicators if i.colour == "grey"]
    if risky or grey:
        text = "加强绩效目标跟踪。"
        if risky:
            text += f"对可能无法完成绩效目标的{project_list(s.project_name for s in risky)}逐项跟踪指标完成情况；"
        if grey:
            text += f"督促填报尚未填报完成值的 {len(grey)} 项指标；"
        steps.append([text.rstrip("；") + "。"])
    carry_over = budget - forecast
    if carry_over > 0:
        steps.append([f"统筹预计结转结余资金。全年预计结转结余 {wan_text(carry_over)} 万元，对预计难以支出的资金"
                      "及时按程序调整或收回统筹使用。"])
    if not steps:
        steps.append(["各项目资金执行和绩效指标完成情况总体符合计划，下一步继续按计划推进，做好全年绩效目标跟踪。"])
    steps.append(["其他工作打算：", Pending("单位结合实际补充")])
    for i, parts in enumerate(steps, 1):
        w.para(ordinal(i), *parts)

    data_note(w, form.generated_on, form.sources)
    return Draft(w.to_bytes(form.generated_on), w.failure, w.pending)


_INDICATOR_LABELS = {c: COLOUR_LABELS[c] for c in ("green", "blue", "yellow", "red", "grey")}


def _money_sentence(s: MonitoringSheet, month: int) -> str:
    code = f"项目编码 {s.project_code}，" if s.project_code else ""
    text = (f"{code}实施单位{s.implementing_unit}。全年预算数 {wan_text(s.annual_budget)} 万元，1-{month}月执行 "
            f"{wan_text(s.spent)} 万元，执行率 {pct(s.execution_rate)}，计划进度 {pct(s.planned_pct)}")
    gap = _gap(s)
    if gap is not None and gap > 0:
        text += f"，落后 {two(gap)} 个百分点，按计划进度应支未支 {wan_text(_lag_amount(s))} 万元"
    elif s.money_status == "overspent":
        text += f"，执行数超过全年预算数 {wan_text(s.spent - s.annual_budget)} 万元"
    text += f"，资金状态为{MONEY_STATUS_LABELS.get(s.money_status, s.money_status)}。"
    text += f"预计全年执行 {wan_text(s.forecast)} 万元。"
    if not s.ledger_covered:
        text += "（台账未覆盖截止日，数字为暂估。）"
    return text


def _explanation(w: Writer, s: MonitoringSheet, *, likelihood: bool = True) -> None:
    """偏差原因 / 原因说明 / 纠偏措施 / 完成目标可能性 as recorded, or the marker."""
    if not _has_explanation(s):
        w.para("原因说明：", Pending("该项目未填写偏差说明"))
        w.para("纠偏措施：", Pending("该项目未填写纠偏措施"))
        return
    if s.causes:
        w.para(f"偏差原因：{'、'.join(CAUSES.get(c, c) for c in s.causes)}。")
    w.para("原因说明：", quoted(s.reason, "未填写原因说明"))
    w.para("纠偏措施：", quoted(s.corrective_actions, "未填写纠偏措施"))
    if likelihood and s.likelihood:
        w.para(f"完成目标可能性：{LIKELIHOODS.get(s.likelihood, s.likelihood)}。")


def _level1_label(level1: str) -> str:
    """The 一级 an indicator falls in (``core.categories``), by its name; the text as printed when
    it names none."""
    code = level1_of(level1)
    return LEVEL1_LABELS[code] if code else (level1.strip() or "其他")


def _group_by(items: Iterable[T], key: Callable[[T], str]) -> list[tuple[str, list[T]]]:
    """Groups in the order 产出 / 成本 / 效益 / 满意度 first, then as they come."""
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return sorted(groups.items(), key=lambda kv: level1_position(kv[0]))
