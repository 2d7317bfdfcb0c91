"""部门整体支出绩效自评报告, drafted from a ``SelfEvalForm`` with the sections of DOMAIN §3
(一、部门（单位）概况 … 五、自评结果应用及公开): the unit's projects' 自评 and the 部门整体
indicators, grouped by 一级 and 二级."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from tracker.core.categories import LEVEL1_LABELS, level1_of, weighed_in
from tracker.core.labels import GRADES
from tracker.core.money import wan_text
from tracker.reports.charts import grade_chart, score_chart
from tracker.reports.forms import SelfEvalForm, SelfEvalIndicatorLine, SelfEvalSheet
from tracker.reports.narrative.docx_writer import Part, Pending, Writer
from tracker.reports.narrative.phrases import (
    Draft,
    data_note,
    names,
    ordinal,
    pct,
    project_list,
    quoted,
    ratio,
    score,
)

SELF_EVAL_SECTIONS = ("一、部门（单位）概况", "二、绩效目标实现情况", "三、存在的问题及原因分析",
                      "四、改进措施及下一步打算", "五、自评结果应用及公开")


def self_eval_report(form: SelfEvalForm, *, charts: bool = True) -> bytes:
    """The 部门整体支出绩效自评报告 of one unit, as .docx bytes."""
    return draft_self_eval_report(form, charts=charts).data


OUTPUT_GROUPS = ("数量指标", "质量指标", "时效指标", "成本指标")


def _category(line: SelfEvalIndicatorLine) -> str:
    """产出 (成本 of the 2021 framework included, as the weights count it) / 效益 / 满意度 by the
    一级 (``core.categories``) / the 一级 as printed when it names none."""
    code = level1_of(line.level1)
    return LEVEL1_LABELS[weighed_in(code)] if code else (line.level1.strip() or "其他指标")


def _output_group(line: SelfEvalIndicatorLine) -> str:
    for group in OUTPUT_GROUPS:
        if group[:2] in line.level2:
            return group
    if level1_of(line.level1) == "cost":
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


def _department_results(w: Writer, form: SelfEvalForm) -> None:
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
    w = Writer(f"{form.unit_name}{form.year}年度部门整体支出绩效自评报告", chart_list, charts)

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
            w.para(f"{i}. {s.project_name}：", quoted(s.goal, "未填写年度总体目标"))
    else:
        w.para(f"{form.year}年度{form.unit_name}尚无定稿的项目自评结果。")
    w.heading("（三）预算及执行情况", 2)
    initial = sum((s.initial_budget for s in sheets), Decimal(0))
    budget = sum((s.annual_budget for s in sheets), Decimal(0))
    spent = sum((s.spent for s in sheets), Decimal(0))
    rate = ratio(spent, budget)
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
        w.para(f"{project_list(unsplit)}的预算未区分资金来源，未计入上述分项。")
    if form.missing:
        w.para(f"另有{project_list(form.missing)}尚无定稿的自评结果，未纳入本报告。")
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
            w.para(f"{i}. {s.project_name}：", quoted(s.goal_actual, "未填写实际完成情况"))
    else:
        w.para("尚无定稿的项目自评结果。")
    lines = [(s, line) for s in sheets for line in s.indicators]
    weighed = [LEVEL1_LABELS[code] for code in ("output", "effect", "satisfaction")]  # 成本 inside 产出
    for i, label in enumerate(weighed, 1):
        _category_section(w, f"{ordinal(i)}{label}完成情况", label,
                          [(s, line) for s, line in lines if _category(line) == label],
                          groups=OUTPUT_GROUPS if i == 1 else (), any_sheets=bool(sheets))
    others = [(s, line) for s, line in lines if _category(line) not in weighed]
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
        w.para(f"{ordinal(problems)}预算执行方面。{len(low_rate)} 个项目预算执行率未达到 100%，结转结余合计 "
               f"{wan_text(sum((s.annual_budget - s.spent for s in low_rate), Decimal(0)))} 万元："
               + "；".join(f"{s.project_name}执行率 {pct(s.execution_rate)}，未支出 {wan_text(s.annual_budget - s.spent)} 万元"
                          for s in low_rate) + "。", "原因：", Pending("请说明预算未执行完毕的原因"))
    if short:
        problems += 1
        w.para(f"{ordinal(problems)}绩效目标实现方面。{len(short)} 项绩效指标未得满分，偏差原因分析及改进措施"
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
        w.para(f"{ordinal(problems)}自评等级方面。{names(f'{s.project_name}（{s.grade}，{score(s.total)} 分）' for s in weak_grades)}"
               "自评等级为中或差。")
    if warned:
        problems += 1
        w.para(f"{ordinal(problems)}自评审核提示。" + "；".join(f"{s.project_name}：{m}" for s, m in warned) + "。")
    if form.missing:
        problems += 1
        w.para(f"{ordinal(problems)}自评覆盖方面。{project_list(form.missing)}尚无定稿的自评结果。")
    if not problems:
        w.para("自评未发现预算执行和绩效目标实现方面的偏差。")
    w.para("其他问题及原因：", Pending("单位结合实际补充"))

    # 四、改进措施及下一步打算
    w.heading(SELF_EVAL_SECTIONS[3], 1)
    measures: list[list[Part]] = []
    if low_rate:
        measures.append([f"加强预算执行管理。对执行率未达到 100% 的{project_list(s.project_name for s in low_rate)}，"
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
        measures.append([f"完成全部项目自评。尽快完成{names(form.missing)}的自评并定稿。"])
    measures.append(["其他改进措施：", Pending("单位结合实际补充")])
    for i, parts_ in enumerate(measures, 1):
        w.para(ordinal(i), *parts_)

    # 五、自评结果应用及公开
    w.heading(SELF_EVAL_SECTIONS[4], 1)
    if sheets:
        text = (f"本次自评的 {len(sheets)} 个项目中，{_grade_counts(sheets)}。自评结果将作为{form.year + 1}年度"
                "预算安排、政策调整和改进管理的参考依据")
        text += (f"；对自评等级为中、差的{names(s.project_name for s in weak_grades)}，将督促整改并在下一年度"
                 "预算安排中重点关注。" if weak_grades else "。")
        w.para(text)
    w.para("公开：本报告及项目支出绩效自评表按规定随部门决算公开。", Pending("公开的时间和方式"))

    data_note(w, form.generated_on, form.sources)
    return Draft(w.to_bytes(form.generated_on), w.failure, w.pending)


def _text_block(w: Writer, text: str, missing: str) -> None:
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


def _category_section(w: Writer, heading: str, label: str,
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
           f"得分率 {pct(ratio(points, weight))}；达到满分 {full} 项，未达满分 {len(lines) - full} 项。")
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
