"""The two Word reports, drafted from the form records for the clerk to edit:

- ``monitoring_report``: 部门1-N月预算绩效运行监控报告 from a ``MonitoringRoundForm``
  (一、总体情况; 二、执行进度滞后项目及原因分析; 三、可能无法完成绩效目标的项目; 四、下一步工作打算);
- ``self_eval_report``: 部门整体支出绩效自评报告 from a ``SelfEvalForm`` with the sections of
  DOMAIN §3 (一、部门（单位）概况 … 五、自评结果应用及公开).

Both return the bytes of a .docx: A4, real Heading 1/2/3 styles with East-Asian fonts set on
the styles (黑体 / 楷体 / 仿宋 / 宋体 through ``w:eastAsia``), tables in "Table Grid", the charts of
``tracker.reports.charts`` as inline PNG images.  Money is printed in 万元 with two decimals,
rates in % with two decimals, scores with two decimals (ROUND_HALF_UP, from ``Decimal``).

Nothing is invented: the explanations (原因说明, 纠偏措施, 偏差原因分析及改进措施, goals, the
unit's 职能) are quoted from the records, and where one is missing the text says so with a
highlighted marker “【待补充：…】” for the clerk to fill in.  The sentences around the figures
are fixed drafting phrases chosen by the data (who is behind plan, what is missing).

Deterministic: the same record gives the same bytes (with ``charts=False``; PNG rendering
may differ in the last bit).  The only date in the text and in the document properties is
the record's ``generated_on``; the zip entries carry a fixed timestamp.

Charts: drawn in one kaleido session per document; if that fails (no Chromium, a crash), the
document is still produced, with a sentence saying the charts could not be drawn, and a
warning is logged.  ``charts=False`` leaves them out silently.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import TypeVar

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from tracker.core.labels import CAUSES, COLOUR_LABELS, GRADES, LIKELIHOODS, MONEY_STATUS_LABELS
from tracker.core.money import round_money, wan_text
from tracker.reports.charts import (
    Chart,
    ChartsUnavailable,
    execution_chart,
    grade_chart,
    render_png,
    score_chart,
)
from tracker.reports.forms import (
    MonitoringRoundForm,
    MonitoringSheet,
    SelfEvalForm,
    SelfEvalIndicatorLine,
    SelfEvalSheet,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


MONITORING_SECTIONS = ("一、总体情况", "二、执行进度滞后项目及原因分析",
                       "三、可能无法完成绩效目标的项目", "四、下一步工作打算")
SELF_EVAL_SECTIONS = ("一、部门（单位）概况", "二、绩效目标实现情况", "三、存在的问题及原因分析",
                      "四、改进措施及下一步打算", "五、自评结果应用及公开")
CHARTS_FAILED = "图表未能生成"

TEXT_WIDTH_CM = 15.6  # A4 21 cm − 2.8 cm − 2.6 cm margins
MAX_FIGURE_HEIGHT_CM = 20.0


# --- numbers --------------------------------------------------------------------------------



def _two(value: Decimal) -> str:
    rounded = round_money(value)
    return str(rounded if rounded else Decimal("0.00"))  # never "-0.00"


def pct(value: Decimal | None) -> str:
    """Percent value with two decimals and the sign: ``87.5`` → ``'87.50%'``; None → ``'—'``."""
    return "—" if value is None else f"{_two(value)}%"


def score(value: Decimal) -> str:
    return _two(value)


def _ratio(part: Decimal, whole: Decimal) -> Decimal | None:
    return None if whole == 0 else part * 100 / whole


def _chinese_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)


def _ordinal(n: int) -> str:
    """1 → （一）."""
    return f"（{_chinese_number(n)}）"


def _names(items: Iterable[str], limit: int = 8) -> str:
    """A、B、C (at most ``limit`` names, then 等)."""
    items = list(items)
    return "、".join(items[:limit]) + ("等" if len(items) > limit else "")


def _project_list(items: Iterable[str], limit: int = 8) -> str:
    """'A、B共 2 个项目', or 'A、…、H等 12 个项目' beyond ``limit`` names."""
    items = list(items)
    if len(items) > limit:
        return f"{'、'.join(items[:limit])}等 {len(items)} 个项目"
    return f"{'、'.join(items)}共 {len(items)} 个项目"


def _counts(labels: dict[str, str], values: Iterable[str]) -> str:
    """'红灯 1 个、黄灯 2 个' in the order of ``labels``, zero counts left out."""
    values = list(values)
    parts = [f"{label} {values.count(code)} 个" for code, label in labels.items() if code in values]
    return "、".join(parts)


@dataclass(frozen=True)
class Pending:
    """Text the record lacks: printed as the highlighted marker “【待补充：what】”."""

    what: str

    def __str__(self) -> str:
        return f"【待补充：{self.what}】"


Part = str | Pending


def _quoted(text: str, missing: str) -> Part:
    text = text.strip()
    return f"“{text}”" if text else Pending(missing)


# --- 绩效运行监控报告 ---------------------------------------------------------------------------


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


@dataclass(frozen=True)
class Draft:
    """A drafted document and what its reader should be told about it."""

    data: bytes  # the .docx
    charts_problem: str | None = None  # why the charts are missing (None: drawn, or not asked for)
    pending: int = 0  # how many “【待补充：…】” markers the clerk has to fill in


def monitoring_report(form: MonitoringRoundForm, *, charts: bool = True) -> bytes:
    """The 部门1-N月预算绩效运行监控报告 of one unit, as .docx bytes."""
    return draft_monitoring_report(form, charts=charts).data


def self_eval_report(form: SelfEvalForm, *, charts: bool = True) -> bytes:
    """The 部门整体支出绩效自评报告 of one unit, as .docx bytes."""
    return draft_self_eval_report(form, charts=charts).data


def draft_monitoring_report(form: MonitoringRoundForm, *, charts: bool = True) -> Draft:
    """``monitoring_report`` with what the caller should tell the user."""
    sheets = form.sheets
    n = form.month
    chart_list = [execution_chart(sheets, n)] if sheets else []
    w = _Writer(f"{form.unit_name}{form.year}年1-{n}月预算绩效运行监控报告", chart_list, charts)
    w.centered(f"（数据截至 {form.cutoff.year}年{form.cutoff.month}月{form.cutoff.day}日）")

    # 一、总体情况
    w.heading(MONITORING_SECTIONS[0], 1)
    budget = sum((s.annual_budget for s in sheets), Decimal(0))
    initial = sum((s.initial_budget for s in sheets), Decimal(0))
    spent = sum((s.spent for s in sheets), Decimal(0))
    forecast = sum((s.forecast for s in sheets), Decimal(0))
    rate = _ratio(spent, budget)
    plan = _ratio(sum((s.annual_budget * s.planned_pct for s in sheets), Decimal(0)) / 100, budget)
    sentence = (f"截至{form.cutoff.year}年{form.cutoff.month}月{form.cutoff.day}日，{form.unit_name}纳入"
                f"绩效运行监控的项目共 {len(sheets)} 个，全年预算数合计 {wan_text(budget)} 万元（年初预算数合计 "
                f"{wan_text(initial)} 万元），1-{n}月累计执行 {wan_text(spent)} 万元，执行率 {pct(rate)}")
    if rate is not None and plan is not None:
        gap = plan - rate
        sentence += f"，按预算加权的计划进度为 {pct(plan)}，" + (
            f"落后计划进度 {_two(gap)} 个百分点" if gap > 0 else
            f"超出计划进度 {_two(-gap)} 个百分点" if gap < 0 else "与计划进度持平")
    sentence += (f"。预计全年执行 {wan_text(forecast)} 万元，预计结转结余 {wan_text(budget - forecast)} 万元。")
    w.para(sentence)
    if sheets:
        w.para(f"按资金执行进度判断：{_counts(MONEY_STATUS_LABELS, [s.money_status for s in sheets])}。"
               f"综合资金执行和绩效指标完成情况（双监控）：{_counts(COLOUR_LABELS, [s.overall_status for s in sheets])}。")
    uncovered = [s.project_name for s in sheets if not s.ledger_covered]
    if uncovered:
        w.para(f"{_project_list(uncovered)}的台账尚未覆盖监控截止日，相关执行数为暂估数。")
    unfrozen = [s for s in sheets if not s.frozen]
    if sheets and unfrozen:
        w.para(f"有 {len(unfrozen)} 个项目的截止日数据尚未冻结，按{_day(form.generated_on)}的数据计算，"
               "定稿前请重新生成。")
    if sheets:
        w.table(f"{form.unit_name}1-{n}月项目资金执行情况",
                ["序号", "项目名称", "全年预算数（万元）", f"1-{n}月执行数（万元）", "执行率",
                 "计划进度", "偏差（百分点）", "资金状态", "综合状态"],
                [[str(i), s.project_name, wan_text(s.annual_budget), wan_text(s.spent), pct(s.execution_rate),
                  pct(s.planned_pct), "—" if _gap(s) is None else _two(_gap(s)),  # type: ignore[arg-type]
                  MONEY_STATUS_LABELS.get(s.money_status, s.money_status),
                  COLOUR_LABELS.get(s.overall_status, s.overall_status)]
                 for i, s in enumerate(sheets, 1)]
                + [["", "合计", wan_text(budget), wan_text(spent), pct(rate), pct(plan),
                    "—" if rate is None or plan is None else _two(plan - rate), "", ""]],
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
        text = f"执行进度滞后或超支的项目共 {len(behind)} 个（{_counts(MONEY_STATUS_LABELS, [s.money_status for s in behind])}）"
        if lagging:
            text += (f"；滞后项目全年预算数合计 {wan_text(sum((s.annual_budget for s in lagging), Decimal(0)))} 万元，"
                     f"1-{n}月执行 {wan_text(sum((s.spent for s in lagging), Decimal(0)))} 万元，按计划进度应支未支 "
                     f"{wan_text(sum((_lag_amount(s) for s in lagging), Decimal(0)))} 万元")
        w.para(text + "。各项目情况和单位填报的原因说明、纠偏措施如下。")
        for i, s in enumerate(behind, 1):
            w.heading(f"{_ordinal(i)}{s.project_name}", 2)
            w.para(_money_sentence(s, n))
            _explanation(w, s)

    # 三、可能无法完成绩效目标的项目
    w.heading(MONITORING_SECTIONS[2], 1)
    indicators = [i for s in sheets for i in s.indicators]
    if indicators:
        w.para(f"纳入监控的绩效指标共 {len(indicators)} 项，1-{n}月完成情况："
               f"{_counts(_INDICATOR_LABELS, [i.colour for i in indicators])}。")
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
        w.para(f"根据1-{n}月绩效指标完成情况和单位填报的完成目标可能性，{_project_list(s.project_name for s in risky)}"
               f"存在不能完成全年绩效目标的风险。")
        for i, s in enumerate(risky, 1):
            w.heading(f"{_ordinal(i)}{s.project_name}", 2)
            w.para("年度总体目标：", _quoted(s.goal, "未填写年度总体目标"), "；目标实际累计完成情况：",
                   _quoted(s.goal_progress, "未填写目标实际累计完成情况"), "。")
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
                      f"{_project_list(s.project_name for s in lagging)}落实纠偏措施，按计划应支未支的 "
                      f"{wan_text(sum((_lag_amount(s) for s in lagging), Decimal(0)))} 万元尽快形成支出。"])
    overspent = [s for s in behind if s.money_status == "overspent"]
    if overspent:
        steps.append([f"核实超支原因。{_project_list(s.project_name for s in overspent)}的执行数已超过全年预算数，"
                      "请核实支出口径，必要时按程序调整预算。"])
    missing = [s for s in sheets if s.explanation_missing or (_behind(s) and not _has_explanation(s))]
    if missing:
        steps.append([f"补充偏差说明。{_project_list(s.project_name for s in missing)}"
                      "尚未填写偏差原因说明和纠偏措施，请尽快补充。"])
    if uncovered:
        steps.append([f"补齐财务台账。{_project_list(uncovered)}的台账尚未覆盖监控截止日，请财务部门导入截至"
                      f"{form.cutoff.month}月底的台账后重新生成本报告。"])
    grey = [i for i in indicators if i.colour == "grey"]
    if risky or grey:
        text = "加强绩效目标跟踪。"
        if risky:
            text += f"对可能无法完成绩效目标的{_project_list(s.project_name for s in risky)}逐项跟踪指标完成情况；"
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
        w.para(_ordinal(i), *parts)

    _data_note(w, form.generated_on, form.sources)
    return Draft(w.to_bytes(form.generated_on), w.failure, w.pending)


_INDICATOR_LABELS = {c: COLOUR_LABELS[c] for c in ("green", "blue", "yellow", "red", "grey")}


def _day(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _money_sentence(s: MonitoringSheet, month: int) -> str:
    code = f"项目编码 {s.project_code}，" if s.project_code else ""
    text = (f"{code}实施单位{s.implementing_unit}。全年预算数 {wan_text(s.annual_budget)} 万元，1-{month}月执行 "
            f"{wan_text(s.spent)} 万元，执行率 {pct(s.execution_rate)}，计划进度 {pct(s.planned_pct)}")
    gap = _gap(s)
    if gap is not None and gap > 0:
        text += f"，落后 {_two(gap)} 个百分点，按计划进度应支未支 {wan_text(_lag_amount(s))} 万元"
    elif s.money_status == "overspent":
        text += f"，执行数超过全年预算数 {wan_text(s.spent - s.annual_budget)} 万元"
    text += f"，资金状态为{MONEY_STATUS_LABELS.get(s.money_status, s.money_status)}。"
    text += f"预计全年执行 {wan_text(s.forecast)} 万元。"
    if not s.ledger_covered:
        text += "（台账未覆盖截止日，数字为暂估。）"
    return text


def _explanation(w: _Writer, s: MonitoringSheet, *, likelihood: bool = True) -> None:
    """偏差原因 / 原因说明 / 纠偏措施 / 完成目标可能性 as recorded, or the marker."""
    if not _has_explanation(s):
        w.para("原因说明：", Pending("该项目未填写偏差说明"))
        w.para("纠偏措施：", Pending("该项目未填写纠偏措施"))
        return
    if s.causes:
        w.para(f"偏差原因：{'、'.join(CAUSES.get(c, c) for c in s.causes)}。")
    w.para("原因说明：", _quoted(s.reason, "未填写原因说明"))
    w.para("纠偏措施：", _quoted(s.corrective_actions, "未填写纠偏措施"))
    if likelihood and s.likelihood:
        w.para(f"完成目标可能性：{LIKELIHOODS.get(s.likelihood, s.likelihood)}。")


def _level1_label(level1: str) -> str:
    text = level1.strip()
    for word in ("产出", "成本", "效益", "满意度"):
        if word in text:
            return f"{word}指标"
    return text or "其他"


def _group_by(items: Iterable[T], key: Callable[[T], str]) -> list[tuple[str, list[T]]]:
    """Groups in the order 产出 / 成本 / 效益 / 满意度 first, then as they come."""
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    order = {label: i for i, label in enumerate(("产出指标", "成本指标", "效益指标", "满意度指标"))}
    return sorted(groups.items(), key=lambda kv: order.get(kv[0], len(order)))


def _data_note(w: _Writer, generated_on: date, sources: Sequence[str]) -> None:
    w.note(f"本报告由 tracker 于{_day(generated_on)}根据系统数据起草，供编辑修改后使用。"
           + ("数据来源：" + "；".join(sources) + "。" if sources else ""))


# --- 部门整体支出绩效自评报告 -------------------------------------------------------------------

OUTPUT_GROUPS = ("数量指标", "质量指标", "时效指标", "成本指标")


def _category(line: SelfEvalIndicatorLine) -> str:
    """产出 (成本 of the 2021 framework included) / 效益 / 满意度 / other."""
    if "产出" in line.level1 or "成本" in line.level1:
        return "产出指标"
    if "效益" in line.level1:
        return "效益指标"
    if "满意" in line.level1:
        return "满意度指标"
    return line.level1.strip() or "其他指标"


def _output_group(line: SelfEvalIndicatorLine) -> str:
    for group in OUTPUT_GROUPS:
        if group[:2] in line.level2:
            return group
    if "成本" in line.level1:
        return "成本指标"
    return line.level2.strip() or "其他"


def _level2(line: SelfEvalIndicatorLine) -> str:
    text = line.level2.strip()
    return text if not text or text.endswith("指标") or text.endswith("满意度") else text + "指标"


def _below_full(line: SelfEvalIndicatorLine) -> bool:
    return line.score < line.weight


def _kind_note(line: SelfEvalIndicatorLine) -> str:
    return {"reverse": "（反向指标，越低越好）", "qualitative": "（定性指标）",
            "deadline": "（时限指标）"}.get(line.kind, "")


def _department_results(w: _Writer, form: SelfEvalForm) -> None:
    """部门整体绩效指标 (read from the 分项绩效目标) scored like a project: a sentence and a table."""
    lines = form.department_lines
    if not lines and not form.department_unscored:
        return
    if lines and form.department_total is not None:
        w.para(f"部门整体绩效指标（摘自分项绩效目标）共 {len(lines)} 项，按项目支出绩效自评的规则评分"
               f"（预算执行率按部门全部项目计算，为 {pct(form.department_execution_rate)}），"
               f"部门整体自评得分 {score(form.department_total)} 分，等级：{form.department_grade}。")
        w.table(f"{form.unit_name}{form.year}年度部门整体绩效指标完成情况",
                ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"],
                [[line.level1, line.level2, line.name + _kind_note(line), line.target_raw,
                  line.actual_raw or Pending("未填报"), score(line.weight), score(line.score)] for line in lines],
                widths=[1.8, 2.2, 4.2, 2.2, 2.2, 1.5, 1.5], numeric=(5, 6))
    for finding in form.department_unscored:
        w.para(f"{finding}（未评分）。")


def draft_self_eval_report(form: SelfEvalForm, *, charts: bool = True) -> Draft:
    """``self_eval_report`` with what the caller should tell the user."""
    sheets = form.sheets
    chart_list = [score_chart(sheets), grade_chart(sheets)] if sheets else []
    w = _Writer(f"{form.unit_name}{form.year}年度部门整体支出绩效自评报告", chart_list, charts)

    # 一、部门（单位）概况
    w.heading(SELF_EVAL_SECTIONS[0], 1)
    w.heading("（一）部门职能", 2)
    _text_block(w, form.unit_functions, "部门（单位）职能，系统中没有该项资料")
    w.heading("（二）年度绩效目标", 2)
    w.para("部门整体绩效目标（摘自绩效目标表）：")
    _text_block(w, form.unit_overview, "部门整体绩效目标，绩效目标表中未提供")
    if sheets:
        w.para(f"{form.year}年度{form.unit_name}纳入自评的项目共 {len(sheets)} 个，各项目年度总体目标如下。")
        for i, s in enumerate(sheets, 1):
            w.para(f"{i}. {s.project_name}：", _quoted(s.goal, "未填写年度总体目标"))
    else:
        w.para(f"{form.year}年度{form.unit_name}尚无定稿的项目自评结果。")
    w.heading("（三）预算及执行情况", 2)
    initial = sum((s.initial_budget for s in sheets), Decimal(0))
    budget = sum((s.annual_budget for s in sheets), Decimal(0))
    spent = sum((s.spent for s in sheets), Decimal(0))
    rate = _ratio(spent, budget)
    parts = [(label, [getattr(s, attr) for s in sheets]) for label, attr in
             (("本年财政拨款", "fiscal_funds"), ("上年结转资金", "carryover"), ("其他资金", "other_funds"))]
    split = "、".join(f"{label} {wan_text(sum((v for v in values if v is not None), Decimal(0)))} 万元"
                      for label, values in parts)
    if sheets:
        w.para(f"{form.year}年度纳入自评的项目年初预算数合计 {wan_text(initial)} 万元，全年预算数合计 {wan_text(budget)} 万元"
               f"（其中{split}），全年执行数合计 {wan_text(spent)} 万元，预算执行率 {pct(rate)}，"
               f"结转结余 {wan_text(budget - spent)} 万元。")
    else:
        w.para("尚无定稿的项目自评结果，预算及执行情况在自评定稿后生成。")
    unsplit = [s.project_name for s in sheets if s.fiscal_funds is None]
    if unsplit:
        w.para(f"{_project_list(unsplit)}的预算未区分资金来源，未计入上述分项。")
    if form.missing:
        w.para(f"另有{_project_list(form.missing)}尚无定稿的自评结果，未纳入本报告。")
    if sheets:
        w.table(f"{form.unit_name}{form.year}年度预算及执行情况",
                ["资金来源", "年初预算数（万元）", "全年预算数（万元）", "全年执行数（万元）", "执行率"],
                [["年度资金总额", wan_text(initial), wan_text(budget), wan_text(spent), pct(rate)]]
                + [[f"其中：{label}" if i == 0 else label, "—",
                    wan_text(sum((v for v in values if v is not None), Decimal(0))), "—", "—"]
                   for i, (label, values) in enumerate(parts)],
                widths=[4.0, 2.9, 2.9, 2.9, 2.9], numeric=range(1, 5))

    # 二、绩效目标实现情况
    w.heading(SELF_EVAL_SECTIONS[1], 1)
    _department_results(w, form)
    if sheets:
        totals = [s.total for s in sheets]
        average = sum(totals, Decimal(0)) / len(totals)
        best = max(sheets, key=lambda s: s.total)
        worst = min(sheets, key=lambda s: s.total)
        w.para(f"纳入自评的 {len(sheets)} 个项目平均得分 {score(average)} 分，最高 {score(best.total)} 分"
               f"（{best.project_name}），最低 {score(worst.total)} 分（{worst.project_name}）。"
               f"评价等级：{_grade_counts(sheets)}。")
        w.table(f"{form.unit_name}{form.year}年度项目支出绩效自评结果",
                ["序号", "项目名称", "全年预算数（万元）", "全年执行数（万元）", "执行率", "自评得分", "等级"],
                [[str(i), s.project_name, wan_text(s.annual_budget), wan_text(s.spent), pct(s.execution_rate),
                  score(s.total), s.grade] for i, s in enumerate(sheets, 1)]
                + [["", "合计", wan_text(budget), wan_text(spent), pct(rate), f"平均 {score(average)}", ""]],
                widths=[0.9, 4.9, 2.1, 2.1, 1.7, 2.0, 1.2], numeric=range(2, 6), total_row=True)
        w.chart(0, "各项目自评得分")
        w.chart(1, "自评等级分布")
        w.para("各项目年度总体目标实际完成情况：")
        for i, s in enumerate(sheets, 1):
            w.para(f"{i}. {s.project_name}：", _quoted(s.goal_actual, "未填写实际完成情况"))
    else:
        w.para("尚无定稿的项目自评结果。")
    lines = [(s, line) for s in sheets for line in s.indicators]
    categories = (("（一）产出指标完成情况", "产出指标", OUTPUT_GROUPS), ("（二）效益指标完成情况", "效益指标", ()),
                  ("（三）满意度指标完成情况", "满意度指标", ()))
    for heading, label, groups in categories:
        _category_section(w, heading, label, [(s, line) for s, line in lines if _category(line) == label],
                          groups=groups, any_sheets=bool(sheets))
    others = [(s, line) for s, line in lines if _category(line) not in ("产出指标", "效益指标", "满意度指标")]
    if others:
        _category_section(w, "（四）其他指标完成情况", "其他指标", others)

    # 三、存在的问题及原因分析
    w.heading(SELF_EVAL_SECTIONS[2], 1)
    low_rate = [s for s in sheets if s.execution_rate is not None and s.execution_rate < 100]
    short = [(s, line) for s, line in lines if _below_full(line)]
    warned = [(s, message) for s in sheets for message in s.warnings]
    weak_grades = [s for s in sheets if s.grade in ("中", "差")]
    problems = 0
    if low_rate:
        problems += 1
        w.para(f"{_ordinal(problems)}预算执行方面。{len(low_rate)} 个项目预算执行率未达到 100%，结转结余合计 "
               f"{wan_text(sum((s.annual_budget - s.spent for s in low_rate), Decimal(0)))} 万元："
               + "；".join(f"{s.project_name}执行率 {pct(s.execution_rate)}，未支出 {wan_text(s.annual_budget - s.spent)} 万元"
                          for s in low_rate) + "。", "原因：", Pending("请说明预算未执行完毕的原因"))
    if short:
        problems += 1
        w.para(f"{_ordinal(problems)}绩效目标实现方面。{len(short)} 项绩效指标未得满分，偏差原因分析及改进措施"
               "如下表（摘自各项目自评表）。")
        w.table("未得满分的绩效指标及偏差原因",
                ["项目名称", "三级指标", "年度指标值", "实际完成值", "得分/分值", "偏差原因分析及改进措施"],
                [[s.project_name, line.name + _kind_note(line), line.target_raw,
                  line.actual_raw or Pending("未填写"), f"{score(line.score)}/{score(line.weight)}",
                  line.deviation_reason.strip() or Pending("该指标未填写偏差原因分析及改进措施")]
                 for s, line in short],
                widths=[2.6, 2.6, 2.0, 2.0, 2.1, 4.3], numeric=(4,))
    if weak_grades:
        problems += 1
        w.para(f"{_ordinal(problems)}自评等级方面。{_names(f'{s.project_name}（{s.grade}，{score(s.total)} 分）' for s in weak_grades)}"
               "自评等级为中或差。")
    if warned:
        problems += 1
        w.para(f"{_ordinal(problems)}自评审核提示。" + "；".join(f"{s.project_name}：{m}" for s, m in warned) + "。")
    if form.missing:
        problems += 1
        w.para(f"{_ordinal(problems)}自评覆盖方面。{_project_list(form.missing)}尚无定稿的自评结果。")
    if not problems:
        w.para("自评未发现预算执行和绩效目标实现方面的偏差。")
    w.para("其他问题及原因：", Pending("单位结合实际补充"))

    # 四、改进措施及下一步打算
    w.heading(SELF_EVAL_SECTIONS[3], 1)
    measures: list[list[Part]] = []
    if low_rate:
        measures.append([f"加强预算执行管理。对执行率未达到 100% 的{_project_list(s.project_name for s in low_rate)}，"
                         "分析结转结余原因，科学编制下一年度支出计划，加快预算执行。"])
    if short:
        unexplained = [line for _, line in short if not line.deviation_reason.strip()]
        text = "落实绩效指标改进措施。各项目按第三部分所列偏差原因分析及改进措施逐项整改"
        text += f"；其中 {len(unexplained)} 项指标尚未填写偏差原因分析及改进措施，请补充。" if unexplained else "。"
        measures.append([text])
    over = [m for _, m in warned if "指标值的" in m and "以上" in m]
    if over:
        measures.append(["完善绩效目标设置。对完成值明显超过指标值的指标，在下一年度合理调整指标值。"])
    if form.missing:
        measures.append([f"完成全部项目自评。尽快完成{_names(form.missing)}的自评并定稿。"])
    measures.append(["其他改进措施：", Pending("单位结合实际补充")])
    for i, parts_ in enumerate(measures, 1):
        w.para(_ordinal(i), *parts_)

    # 五、自评结果应用及公开
    w.heading(SELF_EVAL_SECTIONS[4], 1)
    if sheets:
        text = (f"本次自评的 {len(sheets)} 个项目中，{_grade_counts(sheets)}。自评结果将作为{form.year + 1}年度"
                "预算安排、政策调整和改进管理的参考依据")
        text += (f"；对自评等级为中、差的{_names(s.project_name for s in weak_grades)}，将督促整改并在下一年度"
                 "预算安排中重点关注。" if weak_grades else "。")
        w.para(text)
    w.para("公开：本报告及项目支出绩效自评表按规定随部门决算公开。", Pending("公开的时间和方式"))

    _data_note(w, form.generated_on, form.sources)
    return Draft(w.to_bytes(form.generated_on), w.failure, w.pending)


def _text_block(w: _Writer, text: str, missing: str) -> None:
    """A text from the records, one paragraph per line, or the marker."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    for line in lines:
        w.para(line)
    if not lines:
        w.para(Pending(missing))


def _grade_counts(sheets: Sequence[SelfEvalSheet]) -> str:
    return "、".join(f"{g} {sum(1 for s in sheets if s.grade == g)} 个" for g in GRADES)


def _indicator_sentence(s: SelfEvalSheet, line: SelfEvalIndicatorLine) -> list[Part]:
    return [f"{s.project_name}“{line.name}”{_kind_note(line)}年度指标值 {line.target_raw}，实际完成值 ",
            line.actual_raw or Pending("未填写"),
            f"，得分 {score(line.score)}（分值 {score(line.weight)}）"]


def _category_section(w: _Writer, heading: str, label: str,
                      lines: list[tuple[SelfEvalSheet, SelfEvalIndicatorLine]],
                      groups: Sequence[str] = (), any_sheets: bool = True) -> None:
    """One 一级 category: totals, then each 二级 (the standard ones even when empty), a table."""
    w.heading(heading, 2)
    if not any_sheets:
        w.para("尚无定稿的项目自评结果。")
        return
    if not lines:
        w.para(f"纳入自评的项目均未设置{label}，该类指标的分值已按规定分配至其他指标。")
        return
    weight = sum((line.weight for _, line in lines), Decimal(0))
    points = sum((line.score for _, line in lines), Decimal(0))
    full = sum(1 for _, line in lines if not _below_full(line))
    w.para(f"{label}共 {len(lines)} 项，分值合计 {score(weight)} 分，得分合计 {score(points)} 分，"
           f"得分率 {pct(_ratio(points, weight))}；达到满分 {full} 项，未达满分 {len(lines) - full} 项。")
    key = _output_group if groups else _level2
    found: dict[str, list[tuple[SelfEvalSheet, SelfEvalIndicatorLine]]] = {}
    for s, line in lines:
        found.setdefault(key(line) or "其他", []).append((s, line))
    names = list(groups) + [g for g in found if g not in groups]
    for i, group in enumerate(names, 1):
        members = found.get(group, [])
        lead = f"{i}. "
        if groups:
            w.heading(f"{i}. {group}", 3)
            lead = ""
        if not members:
            w.para(f"{lead}纳入自评的项目未设置{group}。")
            continue
        short = [(s, line) for s, line in members if _below_full(line)]
        text = f"{lead}{group}共 {len(members)} 项，达到满分 {len(members) - len(short)} 项"
        if not short:
            w.para(text + "，均完成年度指标值。")
            continue
        parts: list[Part] = [text + "；未达满分的是："]
        for j, (s, line) in enumerate(short):
            parts += _indicator_sentence(s, line) + ["；" if j < len(short) - 1 else "。"]
        w.para(*parts)
    w.table(f"{label}完成情况",
            ["项目名称", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"],
            [[s.project_name, line.level2, line.name + _kind_note(line), line.target_raw,
              line.actual_raw or Pending("未填写"), score(line.weight), score(line.score)]
             for group in names for s, line in found.get(group, [])],
            widths=[3.2, 1.8, 3.4, 2.2, 2.2, 1.4, 1.4], numeric=(5, 6))


# --- writing the document -------------------------------------------------------------------

_FONTS = {  # style → (East-Asian font, size pt, bold)
    "Normal": ("仿宋", 14, False),
    "Body Text": ("仿宋", 14, False),
    "Title": ("宋体", 22, True),
    "Heading 1": ("黑体", 16, False),
    "Heading 2": ("楷体", 15, True),
    "Heading 3": ("仿宋", 14, True),
    "Caption": ("黑体", 10.5, False),
}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _set_fonts(style_element: object, east_asia: str, latin: str = "Times New Roman") -> None:
    """Explicit fonts on a style's (or docDefaults') rPr; theme fonts removed, else they win."""
    rpr = style_element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


class _Writer:
    """A python-docx Document with the house styles, numbered tables and figures."""

    def __init__(self, title: str, charts: Sequence[Chart], draw: bool) -> None:
        self.title = title
        self.doc = Document()
        self.tables = 0
        self.figures = 0
        self.images: list[bytes] = []
        self.failure: str | None = None
        self.failure_told = False
        self._charts = charts
        self._after_block = False  # the last thing added was a table or a figure
        self.pending = 0  # markers written
        if draw and charts:
            try:
                self.images = render_png(charts)
            except ChartsUnavailable as exc:
                self.failure = str(exc)
                log.warning("%s：%s（%s）", CHARTS_FAILED, exc, title)
        self._page()
        self._styles()
        heading = self.doc.add_paragraph(title, style="Title")
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def _page(self) -> None:
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.top_margin, section.bottom_margin = Cm(3.0), Cm(2.8)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
        # page number in the footer: "— 1 —"
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer.add_run("— ")
        run = footer.add_run()
        for tag, text in (("begin", None), (None, "PAGE"), ("end", None)):
            if tag:
                field = OxmlElement("w:fldChar")
                field.set(qn("w:fldCharType"), tag)
                run._r.append(field)
            else:
                instr = OxmlElement("w:instrText")
                instr.set(qn("xml:space"), "preserve")
                instr.text = text
                run._r.append(instr)
        footer.add_run(" —")

    def _styles(self) -> None:
        styles = self.doc.styles
        defaults = styles.element.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        fonts = rpr.find(qn("w:rFonts"))
        for attr in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
        fonts.set(qn("w:ascii"), "Times New Roman")
        fonts.set(qn("w:hAnsi"), "Times New Roman")
        fonts.set(qn("w:eastAsia"), "仿宋")
        lang = rpr.find(qn("w:lang"))
        if lang is not None:
            lang.set(qn("w:eastAsia"), "zh-CN")
        for name, (east_asia, size, bold) in _FONTS.items():
            style = styles[name]
            _set_fonts(style.element, east_asia)
            style.font.size = Pt(size)
            style.font.bold = bold
            style.font.color.rgb = RGBColor(0, 0, 0)
            fmt = style.paragraph_format
            fmt.line_spacing = 1.25 if name in ("Normal", "Body Text") else 1.0
            fmt.space_after = Pt(0) if name in ("Normal", "Body Text", "Caption") else Pt(6)
        styles["Body Text"].paragraph_format.first_line_indent = Pt(28)  # two characters
        styles["Body Text"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        for name in ("Heading 1", "Heading 2", "Heading 3"):
            styles[name].paragraph_format.space_before = Pt(12 if name == "Heading 1" else 6)
            styles[name].paragraph_format.first_line_indent = Pt(28) if name != "Heading 1" else None
        title = styles["Title"].element
        ppr = title.find(qn("w:pPr"))
        if ppr is not None and ppr.find(qn("w:pBdr")) is not None:
            ppr.remove(ppr.find(qn("w:pBdr")))
        styles["Title"].paragraph_format.space_after = Pt(12)
        styles["Caption"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        styles["Caption"].paragraph_format.space_before = Pt(6)
        styles["Caption"].paragraph_format.space_after = Pt(3)
        table_text = styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
        table_text.base_style = styles["Normal"]
        table_text.font.size = Pt(9)
        table_text.paragraph_format.line_spacing = 1.0
        table_text.paragraph_format.first_line_indent = None
        note = styles.add_style("Data Note", WD_STYLE_TYPE.PARAGRAPH)
        note.base_style = styles["Normal"]
        note.font.size = Pt(10.5)
        note.paragraph_format.space_before = Pt(18)

    # -- content --

    def heading(self, text: str, level: int) -> None:
        self.doc.add_heading(text, level)
        self._after_block = False

    def centered(self, text: str) -> None:
        self.doc.add_paragraph(text, style="Normal").alignment = WD_ALIGN_PARAGRAPH.CENTER

    def para(self, *parts: Part, style: str = "Body Text") -> None:
        paragraph = self.doc.add_paragraph(style=style)
        if self._after_block:  # a little air below a table or a figure
            paragraph.paragraph_format.space_before = Pt(6)
            self._after_block = False
        self._runs(paragraph, parts)

    def note(self, text: str) -> None:
        self.doc.add_paragraph(text, style="Data Note")

    def _runs(self, paragraph: object, parts: Iterable[Part]) -> None:
        for part in parts:
            run = paragraph.add_run(str(part))  # type: ignore[attr-defined]
            if isinstance(part, Pending):
                self.pending += 1
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW
                run.font.bold = True

    def table(self, caption: str, header: Sequence[str], rows: Sequence[Sequence[Part]], *,
              widths: Sequence[float], numeric: Iterable[int] = (), total_row: bool = False) -> None:
        """表N caption above; a bold, shaded header row repeated on every page; fixed widths."""
        self.tables += 1
        self.doc.add_paragraph(f"表{self.tables} {caption}", style="Caption").paragraph_format.keep_with_next = True
        numeric = set(numeric)
        scale = min(1.0, TEXT_WIDTH_CM / sum(widths))
        table = self.doc.add_table(rows=1 + len(rows), cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        table._tbl.tblPr.append(layout)
        for column, width in zip(table.columns, widths):
            column.width = Cm(width * scale)
        for r, values in enumerate([list(header), *rows]):
            row = table.rows[r]
            props = row._tr.get_or_add_trPr()
            props.append(OxmlElement("w:cantSplit"))  # a row never breaks across pages
            if r == 0:
                props.append(OxmlElement("w:tblHeader"))  # header repeated on every page
            for c, (cell, value) in enumerate(zip(row.cells, values)):
                cell.width = Cm(widths[c] * scale)
                paragraph = cell.paragraphs[0]
                paragraph.style = self.doc.styles["Table Text"]
                if r == 0:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                    _shade(cell, "D9D9D9")
                elif c in numeric:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                self._runs(paragraph, [value])
                if r == 0 or (total_row and r == len(rows)):
                    for run in paragraph.runs:
                        run.font.bold = True
        self._after_block = True

    def chart(self, index: int, caption: str) -> None:
        """图N: the index-th chart of the document, or (once) the sentence that charts failed."""
        if index < len(self.images):
            chart = self._charts[index]
            width = min(chart.width_cm, MAX_FIGURE_HEIGHT_CM * chart.width / chart.height)
            picture = self.doc.add_paragraph(style="Normal")
            picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
            picture.paragraph_format.space_before = Pt(9)
            picture.paragraph_format.keep_with_next = True
            picture.add_run().add_picture(io.BytesIO(self.images[index]), width=Cm(width))
            self.figures += 1
            self.doc.add_paragraph(f"图{self.figures} {caption}", style="Caption")
            self._after_block = True
            if chart.note:
                self.para(chart.note)
        elif self.failure and not self.failure_told:
            self.failure_told = True
            self.para(f"（{CHARTS_FAILED}：{self.failure}。请在编辑时补充图表或重新生成本报告。）")

    def to_bytes(self, generated_on: date) -> bytes:
        props = self.doc.core_properties
        stamp = datetime.combine(generated_on, time())
        props.title = self.title
        props.author = props.last_modified_by = "tracker"
        props.created = props.modified = props.last_printed = stamp
        props.revision = 1
        props.comments = ""
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return _fixed_zip_times(buffer.getvalue())


def _shade(cell: object, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)  # type: ignore[attr-defined]


def _fixed_zip_times(data: bytes) -> bytes:
    """The same package with every entry dated 1980-01-01, so equal documents are equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
