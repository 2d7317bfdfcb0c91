"""The two Word reports, read back with python-docx against a worked example typed by hand.

Monitoring round 1-6月 2025 of 市科技局, four projects (money in 元):

| project       | 全年预算数 | 1-6月执行 | 执行率 | 计划 | status | explanation              |
|---------------|-----------|----------|--------|------|--------|--------------------------|
| 科技创新券补助 | 1,000,000 | 200,000  | 20%    | 50%  | red    | causes, reason, measures |
| 实验室设备购置 | 2,345,000 | 820,750  | 35%    | 50%  | yellow | missing → marker         |
| 科普活动经费   | 500,000   | 260,000  | 52%    | 50%  | green  | —                        |
| 专利资助       | 0         | 0        | —      | 50%  | grey   | —                        |

Σ 全年预算数 3,845,000 元 = 384.50 万元; Σ 执行 1,280,750 元 = 128.075 → 128.08 万元;
执行率 1,280,750 ÷ 3,845,000 = 33.3095% → 33.31%; plan 50.00%, 16.69 points behind;
滞后金额 (red + yellow) = (500,000 − 200,000) + (1,172,500 − 820,750) = 651,750 → 65.18 万元.

Self-evaluation 2024: 科技创新券补助 (执行率 95%, reverse cost indicator 12 against ≤10 → 16 of 20,
no deviation reason → marker; total 93.50 优) and 科普活动 (qualitative 质量 indicator, total 69.41 中),
no 效益 indicators at all, 专利资助 not evaluated.  Average (93.50 + 69.41) ÷ 2 = 81.455 → 81.46.

Only the two documents of the ``drawn`` fixture start Chromium (one kaleido session each).
"""

from __future__ import annotations

import io
import logging
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_COLOR_INDEX
from docx.oxml.ns import qn

from tracker.reports import charts, narrative
from tracker.reports.forms import (
    MonitoringIndicatorLine,
    MonitoringRoundForm,
    MonitoringSheet,
    SelfEvalForm,
    SelfEvalIndicatorLine,
    SelfEvalSheet,
)
from tracker.reports.narrative import (
    MONITORING_SECTIONS,
    SELF_EVAL_SECTIONS,
    monitoring_report,
    self_eval_report,
)

CUTOFF = date(2025, 6, 30)


def sheet(project_id: int, name: str, *, budget: int, spent: int, rate: str | None, status: str,
          indicators: tuple[MonitoringIndicatorLine, ...] = (), **extra: object) -> MonitoringSheet:
    fields: dict[str, object] = dict(
        project_id=project_id, project_code=f"KJ2025-{project_id:03d}", project_name=name,
        supervising_department="市科技局", implementing_unit="市科技局", year=2025, month=6,
        cutoff=CUTOFF, initial_budget=Decimal(budget), fiscal_funds=Decimal(budget), other_funds=Decimal(0),
        annual_budget=Decimal(budget), spent=Decimal(spent),
        execution_rate=None if rate is None else Decimal(rate), forecast=Decimal(budget),
        planned_pct=Decimal("50"), money_status=status, overall_status=status, ledger_covered=True,
        frozen=True, goal=f"{name}年度目标", goal_progress="", indicators=indicators)
    fields.update(extra)
    return MonitoringSheet(**fields)  # type: ignore[arg-type]


def line(level1: str, level2: str, name: str, target: str, progress: str, colour: str,
         forecast: str = "") -> MonitoringIndicatorLine:
    return MonitoringIndicatorLine(level1, level2, name, target, progress, forecast, colour)


def worked_monitoring_form() -> MonitoringRoundForm:
    """The monitoring worked example of the module docstring."""
    return MonitoringRoundForm(
        unit_name="市科技局", year=2025, month=6, cutoff=CUTOFF, generated_on=date(2025, 7, 5),
        sources=("国库集中支付 2025-01-01..2025-06-30（批次 3）", "6月底监控快照"),
        sheets=(
            sheet(1, "科技创新券补助", budget=1_000_000, spent=200_000, rate="20", status="red",
                  initial_budget=Decimal(800_000),
                  indicators=(line("产出指标", "数量指标", "补助企业数量", "≥50家", "12家", "red", "50家"),
                              line("满意度指标", "服务对象满意度", "企业满意度", "≥90%", "", "grey")),
                  causes=("funding", "other"), likelihood="possible",
                  reason="申报企业集中在下半年，补助资金尚未拨付", corrective_actions="7月完成第二批评审并拨付"),
            sheet(2, "实验室设备购置", budget=2_345_000, spent=820_750, rate="35", status="yellow",
                  forecast=Decimal(2_000_000),
                  indicators=(line("产出指标", "数量指标", "设备采购数量", "=10台", "6台", "yellow"),),
                  explanation_missing=True),
            sheet(3, "科普活动经费", budget=500_000, spent=260_000, rate="52", status="green",
                  indicators=(line("产出指标", "数量指标", "举办科普活动场次", "≥20次", "12次", "green"),)),
            sheet(4, "专利资助", budget=0, spent=0, rate=None, status="grey", ledger_covered=False),
        ),
    )


def indicator(level1: str, level2: str, name: str, target: str, actual: str, weight: str, points: str,
              reason: str = "", kind: str = "quantitative") -> SelfEvalIndicatorLine:
    return SelfEvalIndicatorLine(level1, level2, name, target, actual, Decimal(weight), Decimal(points),
                                 reason, kind)


def evaluation(project_id: int, name: str, *, budget: int, spent: int, rate: str, exec_score: str,
               indicators: tuple[SelfEvalIndicatorLine, ...], total: str, grade: str,
               **extra: object) -> SelfEvalSheet:
    fields: dict[str, object] = dict(
        project_id=project_id, evaluation_id=10 + project_id, evaluation_number=1, frozen=True,
        project_code=f"KJ2024-{project_id:03d}", project_name=name, supervising_department="市科技局",
        implementing_unit="市科技局", year=2024, initial_budget=Decimal(budget), annual_budget=Decimal(budget),
        spent=Decimal(spent), fiscal_funds=Decimal(budget), carryover=Decimal(0), other_funds=Decimal(0),
        execution_weight=Decimal(10), execution_rate=Decimal(rate), execution_score=Decimal(exec_score),
        goal=f"{name}的年度目标", goal_actual=f"{name}的完成情况", indicators=indicators,
        total=Decimal(total), grade=grade)
    fields.update(extra)
    return SelfEvalSheet(**fields)  # type: ignore[arg-type]


def worked_self_eval_form() -> SelfEvalForm:
    """The self-evaluation worked example of the module docstring."""
    return SelfEvalForm(
        unit_name="市科技局", year=2024, generated_on=date(2025, 2, 10),
        unit_overview="推动全市科技创新能力提升，年度科技投入增长10%。",
        unit_functions="市科技局负责全市科技创新政策制定、科技计划项目管理和科学技术普及工作。",
        missing=("专利资助",), sources=("2024年度自评（定稿）", "国库集中支付 2024-01-01..2024-12-31"),
        sheets=(
            evaluation(1, "科技创新券补助", budget=1_000_000, spent=950_000, rate="95", exec_score="9.5",
                       total="93.5", grade="优", indicators=(
                           indicator("产出指标", "数量指标", "补助企业数量", "≥50家", "45家", "20", "18",
                                     "部分企业未通过评审；明年提前组织申报"),
                           indicator("产出指标", "质量指标", "验收合格率", "≥95%", "100%", "20", "20"),
                           indicator("产出指标", "时效指标", "补助发放完成时间", "2024年12月31日前",
                                     "2024年11月20日", "20", "20", kind="deadline"),
                           indicator("产出指标", "成本指标", "单家企业补助标准", "≤10万元/家", "12万元/家",
                                     "20", "16", kind="reverse"),
                           indicator("满意度指标", "服务对象满意度指标", "企业满意度", "≥90%", "92%", "10", "10"),
                       )),
            evaluation(2, "科普活动", budget=500_000, spent=300_000, rate="60", exec_score="6",
                       total="69.41", grade="中", fiscal_funds=Decimal(400_000), carryover=Decimal(100_000),
                       warnings=("结余率40.00%超过20%，请说明原因",), indicators=(
                           indicator("产出指标", "数量指标", "举办科普活动场次", "≥20次", "12次", "40", "24",
                                     "受场地限制，部分活动延期；下年度提前预订场地"),
                           indicator("产出指标", "质量指标", "活动质量", "达到预期目标",
                                     "部分达成年度指标并具有一定效果", "40", "30", "部分活动覆盖面不足",
                                     kind="qualitative"),
                           indicator("满意度指标", "服务对象满意度指标", "参与群众满意度", "≥85%", "80%", "10",
                                     "9.41"),
                       )),
        ),
    )


@pytest.fixture(scope="module")
def monitoring_form() -> MonitoringRoundForm:
    return worked_monitoring_form()


@pytest.fixture(scope="module")
def self_eval_form() -> SelfEvalForm:
    return worked_self_eval_form()


# --- reading documents back -------------------------------------------------------------------


def read(data: bytes) -> DocxDocument:
    return Document(io.BytesIO(data))


def headings(doc: DocxDocument, level: int) -> list[str]:
    return [p.text for p in doc.paragraphs if p.style.name == f"Heading {level}"]


def text(doc: DocxDocument) -> str:
    return "\n".join(p.text for p in doc.paragraphs)


def section(doc: DocxDocument, start: str, end: str | None = None) -> list[str]:
    """Paragraph texts from the heading ``start`` up to the heading ``end`` (excluded)."""
    texts = [p.text for p in doc.paragraphs]
    first = texts.index(start)
    last = texts.index(end) if end else len(texts)
    return texts[first + 1:last]


def table_after(doc: DocxDocument, caption_word: str) -> list[list[str]]:
    """Cell texts of the table whose 表N caption contains ``caption_word``."""
    body = doc.element.body
    for child in body.iterchildren():
        if child.tag == qn("w:p") and "".join(t.text or "" for t in child.iter(qn("w:t"))).startswith("表") \
                and caption_word in "".join(t.text or "" for t in child.iter(qn("w:t"))):
            tbl = child.getnext()
            assert tbl.tag == qn("w:tbl"), f"no table after the caption {caption_word}"
            table = next(t for t in doc.tables if t._tbl is tbl)
            return [[cell.text for cell in row.cells] for row in table.rows]
    raise AssertionError(f"no table captioned {caption_word}")


def image_count(doc: DocxDocument) -> int:
    return sum(1 for rel in doc.part.rels.values() if rel.reltype.endswith("/image"))


# --- 绩效运行监控报告 -------------------------------------------------------------------------------


def test_monitoring_headings_figures_and_tables(monitoring_form: MonitoringRoundForm) -> None:
    doc = read(monitoring_report(monitoring_form, charts=False))
    assert doc.paragraphs[0].text == "市科技局2025年1-6月预算绩效运行监控报告"
    assert doc.paragraphs[0].style.name == "Title"
    assert headings(doc, 1) == list(MONITORING_SECTIONS)
    overview = "\n".join(section(doc, MONITORING_SECTIONS[0], MONITORING_SECTIONS[1]))
    for phrase in ("纳入绩效运行监控的项目共 4 个", "全年预算数合计 384.50 万元", "年初预算数合计 364.50 万元",
                   "1-6月累计执行 128.08 万元", "执行率 33.31%", "计划进度为 50.00%",
                   "落后计划进度 16.69 个百分点", "预计全年执行 350.00 万元", "预计结转结余 34.50 万元",
                   "红灯 1 个、黄灯 1 个、绿灯 1 个、无法判断 1 个",
                   "专利资助共 1 个项目的台账尚未覆盖监控截止日"):
        assert phrase in overview, phrase

    rows = table_after(doc, "项目资金执行情况")
    assert rows[0] == ["序号", "项目名称", "全年预算数（万元）", "1-6月执行数（万元）", "执行率", "计划进度",
                       "偏差（百分点）", "资金状态", "综合状态"]
    assert rows[1] == ["1", "科技创新券补助", "100.00", "20.00", "20.00%", "50.00%", "30.00", "红灯", "红灯"]
    assert rows[2] == ["2", "实验室设备购置", "234.50", "82.08", "35.00%", "50.00%", "15.00", "黄灯", "黄灯"]
    assert rows[4] == ["4", "专利资助", "0.00", "0.00", "—", "50.00%", "—", "无法判断", "无法判断"]
    assert rows[5] == ["", "合计", "384.50", "128.08", "33.31%", "50.00%", "16.69", "", ""]


def test_monitoring_projects_behind_plan_quote_or_mark_explanations(
        monitoring_form: MonitoringRoundForm) -> None:
    doc = read(monitoring_report(monitoring_form, charts=False))
    behind = section(doc, MONITORING_SECTIONS[1], MONITORING_SECTIONS[2])
    assert headings(doc, 2)[:2] == ["（一）科技创新券补助", "（二）实验室设备购置"]  # red before yellow
    assert "执行进度滞后或超支的项目共 2 个（红灯 1 个、黄灯 1 个）" in behind[0]
    assert "按计划进度应支未支 65.18 万元" in behind[0]
    red = section(doc, "（一）科技创新券补助", "（二）实验室设备购置")
    assert "执行率 20.00%，计划进度 50.00%，落后 30.00 个百分点，按计划进度应支未支 30.00 万元" in red[0]
    assert red[1:] == ["偏差原因：经费保障、其他。", "原因说明：“申报企业集中在下半年，补助资金尚未拨付”",
                       "纠偏措施：“7月完成第二批评审并拨付”", "完成目标可能性：有可能。"]
    yellow = section(doc, "（二）实验室设备购置", MONITORING_SECTIONS[2])
    assert yellow[1:] == ["原因说明：【待补充：该项目未填写偏差说明】", "纠偏措施：【待补充：该项目未填写纠偏措施】"]
    marker = next(p for p in doc.paragraphs if p.text == "原因说明：【待补充：该项目未填写偏差说明】")
    assert marker.runs[-1].font.highlight_color == WD_COLOR_INDEX.YELLOW
    assert "科普活动经费" not in "\n".join(behind)


def test_monitoring_risks_and_next_steps(monitoring_form: MonitoringRoundForm) -> None:
    doc = read(monitoring_report(monitoring_form, charts=False))
    risks = "\n".join(section(doc, MONITORING_SECTIONS[2], MONITORING_SECTIONS[3]))
    assert "纳入监控的绩效指标共 4 项，1-6月完成情况：绿灯 1 个、黄灯 1 个、红灯 1 个、无法判断 1 个" in risks
    assert "科技创新券补助、实验室设备购置共 2 个项目存在不能完成全年绩效目标的风险" in risks
    assert "目标实际累计完成情况：【待补充：未填写目标实际累计完成情况】" in risks
    counts = table_after(doc, "绩效指标完成情况统计")
    assert counts[0] == ["一级指标", "指标数", "绿灯", "蓝灯", "黄灯", "红灯", "无法判断"]
    assert counts[1:] == [["产出指标", "3", "1", "0", "1", "1", "0"], ["满意度指标", "1", "0", "0", "0", "0", "1"],
                          ["合计", "4", "1", "0", "1", "1", "1"]]
    weak = table_after(doc, "实验室设备购置完成情况偏差的指标")
    assert weak[1] == ["产出指标", "设备采购数量", "=10台", "6台", "【待补充：未填写】", "黄灯"]
    steps = section(doc, MONITORING_SECTIONS[3])
    assert steps[0].startswith("（一）加快滞后项目支出进度。督促执行进度滞后的科技创新券补助、实验室设备购置共 2 个项目落实")
    assert any("补充偏差说明。实验室设备购置共 1 个项目" in s for s in steps)
    assert any("补齐财务台账。专利资助" in s for s in steps)
    assert any("督促填报尚未填报完成值的 1 项指标" in s for s in steps)
    assert any("全年预计结转结余 34.50 万元" in s for s in steps)
    assert steps[-1] == "本报告由 tracker 于2025年7月5日根据系统数据起草，供编辑修改后使用。数据来源：" \
                        "国库集中支付 2025-01-01..2025-06-30（批次 3）；6月底监控快照。"


def test_monitoring_without_lagging_projects_says_so(monitoring_form: MonitoringRoundForm) -> None:
    calm = replace(monitoring_form, sheets=(monitoring_form.sheets[2],))
    doc = read(monitoring_report(calm, charts=False))
    assert headings(doc, 1) == list(MONITORING_SECTIONS)
    assert section(doc, MONITORING_SECTIONS[1], MONITORING_SECTIONS[2]) == [
        "截至1-6月，没有执行进度滞后（红灯、黄灯）或超支的项目。"]


# --- 部门整体支出绩效自评报告 -----------------------------------------------------------------------


def test_self_eval_sections_and_figures(self_eval_form: SelfEvalForm) -> None:
    doc = read(self_eval_report(self_eval_form, charts=False))
    assert doc.paragraphs[0].text == "市科技局2024年度部门整体支出绩效自评报告"
    assert headings(doc, 1) == list(SELF_EVAL_SECTIONS)
    assert headings(doc, 2) == ["（一）部门职能", "（二）年度绩效目标", "（三）预算及执行情况",
                                "（一）产出指标完成情况", "（二）效益指标完成情况", "（三）满意度指标完成情况"]
    assert headings(doc, 3) == ["1. 数量指标", "2. 质量指标", "3. 时效指标", "4. 成本指标"]
    assert section(doc, "（一）部门职能", "（二）年度绩效目标") == [self_eval_form.unit_functions]
    assert section(doc, "（二）年度绩效目标", "（三）预算及执行情况") == [
        "部门整体绩效目标（摘自绩效目标表）：", "推动全市科技创新能力提升，年度科技投入增长10%。",
        "2024年度市科技局纳入自评的项目共 2 个，各项目年度总体目标如下。",
        "1. 科技创新券补助：“科技创新券补助的年度目标”", "2. 科普活动：“科普活动的年度目标”"]
    budget = "\n".join(section(doc, "（三）预算及执行情况", SELF_EVAL_SECTIONS[1]))
    for phrase in ("年初预算数合计 150.00 万元", "全年预算数合计 150.00 万元", "本年财政拨款 140.00 万元",
                   "上年结转资金 10.00 万元", "全年执行数合计 125.00 万元", "预算执行率 83.33%",
                   "另有专利资助共 1 个项目尚无定稿的自评结果"):
        assert phrase in budget, phrase
    results = "\n".join(section(doc, SELF_EVAL_SECTIONS[1], "（一）产出指标完成情况"))
    assert "平均得分 81.46 分，最高 93.50 分（科技创新券补助），最低 69.41 分（科普活动）" in results
    assert "评价等级：优 1 个、良 0 个、中 1 个、差 0 个" in results
    rows = table_after(doc, "项目支出绩效自评结果")
    assert rows == [
        ["序号", "项目名称", "全年预算数（万元）", "全年执行数（万元）", "执行率", "自评得分", "等级"],
        ["1", "科技创新券补助", "100.00", "95.00", "95.00%", "93.50", "优"],
        ["2", "科普活动", "50.00", "30.00", "60.00%", "69.41", "中"],
        ["", "合计", "150.00", "125.00", "83.33%", "平均 81.46", ""],
    ]
    funds = table_after(doc, "预算及执行情况")
    assert funds[1] == ["年度资金总额", "150.00", "150.00", "125.00", "83.33%"]
    assert [r[0] for r in funds[2:]] == ["其中：本年财政拨款", "上年结转资金", "其他资金"]


def test_self_eval_indicator_categories(self_eval_form: SelfEvalForm) -> None:
    doc = read(self_eval_report(self_eval_form, charts=False))
    output = "\n".join(section(doc, "（一）产出指标完成情况", "（二）效益指标完成情况"))
    assert "产出指标共 6 项，分值合计 160.00 分，得分合计 128.00 分，得分率 80.00%；达到满分 2 项，未达满分 4 项" in output
    assert "科技创新券补助“单家企业补助标准”（反向指标，越低越好）年度指标值 ≤10万元/家，实际完成值 12万元/家，" \
           "得分 16.00（分值 20.00）" in output
    assert "科普活动“活动质量”（定性指标）" in output
    assert section(doc, "（二）效益指标完成情况", "（三）满意度指标完成情况") == [
        "纳入自评的项目均未设置效益指标，该类指标的分值已按规定分配至其他指标。"]
    table = table_after(doc, "产出指标完成情况")
    assert table[0] == ["项目名称", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"]
    assert [r[2] for r in table[1:]] == ["补助企业数量", "举办科普活动场次", "验收合格率", "活动质量（定性指标）",
                                         "补助发放完成时间（时限指标）", "单家企业补助标准（反向指标，越低越好）"]
    assert table[-1][3:] == ["≤10万元/家", "12万元/家", "20.00", "16.00"]


def test_self_eval_problems_measures_and_use(self_eval_form: SelfEvalForm) -> None:
    doc = read(self_eval_report(self_eval_form, charts=False))
    problems = section(doc, SELF_EVAL_SECTIONS[2], SELF_EVAL_SECTIONS[3])
    assert problems[0].startswith("（一）预算执行方面。2 个项目预算执行率未达到 100%，结转结余合计 25.00 万元")
    assert problems[0].endswith("原因：【待补充：请说明预算未执行完毕的原因】")
    shortfalls = table_after(doc, "未得满分的绩效指标及偏差原因")
    assert shortfalls[0][-1] == "偏差原因分析及改进措施"
    by_name = {r[1]: r for r in shortfalls[1:]}
    assert by_name["补助企业数量"][-1] == "部分企业未通过评审；明年提前组织申报"
    assert by_name["单家企业补助标准（反向指标，越低越好）"][-2:] == [
        "16.00/20.00", "【待补充：该指标未填写偏差原因分析及改进措施】"]
    assert by_name["参与群众满意度"][-1] == "【待补充：该指标未填写偏差原因分析及改进措施】"
    joined = "\n".join(problems)
    assert "科普活动（中，69.41 分）自评等级为中或差" in joined
    assert "科普活动：结余率40.00%超过20%，请说明原因" in joined
    measures = "\n".join(section(doc, SELF_EVAL_SECTIONS[3], SELF_EVAL_SECTIONS[4]))
    assert "其中 2 项指标尚未填写偏差原因分析及改进措施，请补充" in measures
    assert "完成全部项目自评。尽快完成专利资助的自评并定稿" in measures
    use = section(doc, SELF_EVAL_SECTIONS[4])
    assert use[0].startswith("本次自评的 2 个项目中，优 1 个、良 0 个、中 1 个、差 0 个。自评结果将作为2025年度")
    assert "对自评等级为中、差的科普活动" in use[0]


def test_self_eval_without_functions_or_overview_marks_them(self_eval_form: SelfEvalForm) -> None:
    doc = read(self_eval_report(replace(self_eval_form, unit_overview="", unit_functions=""), charts=False))
    assert section(doc, "（一）部门职能", "（二）年度绩效目标") == ["【待补充：部门（单位）职能，系统中没有该项资料】"]
    assert section(doc, "（二）年度绩效目标", "（三）预算及执行情况")[:2] == [
        "部门整体绩效目标（摘自绩效目标表）：", "【待补充：部门整体绩效目标，绩效目标表中未提供】"]


# --- both: layout, determinism, charts ------------------------------------------------------------


def test_page_styles_and_fonts(monitoring_form: MonitoringRoundForm) -> None:
    doc = read(monitoring_report(monitoring_form, charts=False))
    page = doc.sections[0]
    assert (round(page.page_width.cm, 1), round(page.page_height.cm, 1)) == (21.0, 29.7)
    for name, font in (("Heading 1", "黑体"), ("Heading 2", "楷体"), ("Normal", "仿宋"), ("Title", "宋体")):
        fonts = doc.styles[name].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) == font
        assert fonts.get(qn("w:eastAsiaTheme")) is None
    for table in doc.tables:
        assert table.style.name == "Table Grid"
        assert sum(c.width for c in table.columns) <= page.page_width - page.left_margin - page.right_margin
    assert doc.core_properties.created.date() == date(2025, 7, 5)


def test_same_record_same_document(monitoring_form: MonitoringRoundForm, self_eval_form: SelfEvalForm) -> None:
    assert monitoring_report(monitoring_form, charts=False) == monitoring_report(monitoring_form, charts=False)
    assert self_eval_report(self_eval_form, charts=False) == self_eval_report(self_eval_form, charts=False)


def test_no_charts_no_images(monitoring_form: MonitoringRoundForm, self_eval_form: SelfEvalForm) -> None:
    for data in (monitoring_report(monitoring_form, charts=False), self_eval_report(self_eval_form, charts=False)):
        doc = read(data)
        assert len(doc.inline_shapes) == 0 and image_count(doc) == 0
        assert narrative.CHARTS_FAILED not in text(doc)


def test_failed_charts_still_give_the_document(monitoring_form: MonitoringRoundForm,
                                               monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    with caplog.at_level(logging.WARNING, logger="tracker.reports.narrative"):
        doc = read(monitoring_report(monitoring_form))
    assert len(doc.inline_shapes) == 0
    failed = [p.text for p in doc.paragraphs if narrative.CHARTS_FAILED in p.text]
    assert failed == ["（图表未能生成：未找到 Chromium 浏览器（/nonexistent/chromium）。请在编辑时补充图表或重新生成本报告。）"]
    assert any(narrative.CHARTS_FAILED in r.getMessage() for r in caplog.records)
    assert headings(doc, 1) == list(MONITORING_SECTIONS)


@pytest.fixture(scope="module")
def drawn(monitoring_form: MonitoringRoundForm, self_eval_form: SelfEvalForm,
          tmp_path_factory: pytest.TempPathFactory) -> dict[str, DocxDocument]:
    """Both documents with charts: the only two kaleido sessions of this file."""
    if not Path(charts.DEBIAN_CHROMIUM).is_file():
        pytest.skip(f"Debian's Chromium ({charts.DEBIAN_CHROMIUM}) is not installed: charts cannot be drawn")
    folder = tmp_path_factory.mktemp("narrative")
    documents = {}
    for name, data in (("monitoring", monitoring_report(monitoring_form)),
                       ("self-eval", self_eval_report(self_eval_form))):
        (folder / f"{name}.docx").write_bytes(data)
        documents[name] = read(data)
    return documents


def test_charts_are_inline_images(drawn: dict[str, DocxDocument]) -> None:
    monitoring, self_eval = drawn["monitoring"], drawn["self-eval"]
    assert len(monitoring.inline_shapes) == 1 and image_count(monitoring) == 1
    assert len(self_eval.inline_shapes) == 2 and image_count(self_eval) == 2
    captions = [p.text for p in self_eval.paragraphs if p.style.name == "Caption" and p.text.startswith("图")]
    assert captions == ["图1 各项目自评得分", "图2 自评等级分布"]
    assert "图1 1-6月各项目执行率与计划进度" in text(monitoring)
    assert "全年预算数为 0 的 1 个项目没有执行率，未列入图中。" in text(monitoring)
    for doc in (monitoring, self_eval):
        assert narrative.CHARTS_FAILED not in text(doc)
        for shape in doc.inline_shapes:
            assert shape.width.cm <= narrative.TEXT_WIDTH_CM + 0.01
        for rel in doc.part.rels.values():
            if rel.reltype.endswith("/image"):
                assert rel.target_part.blob[:4] == b"\x89PNG"


# --- the command --------------------------------------------------------------------------------


def test_cli_writes_both_reports_from_the_database(runner, session, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from tests.monitoring_builders import add_ledger, make_project, make_unit

    unit = make_unit(session, "市科技局")
    project = make_project(session, unit, name="科技创新券补助", budget="1000000", plan={"06-30": "50"},
                           indicators=[{"name": "补助企业数量", "target_raw": "≥50家", "target_number": Decimal(50),
                                        "target_unit": "家"}])
    add_ledger(session, unit, ("2025-01-01", "2025-06-30"), [(project, "2025-03-15", "200000")])
    session.commit()

    out = tmp_path / "监控报告.docx"
    result = runner("report", "narrative", "--year", "2025", "--unit", "市科技局", "--kind", "monitoring",
                    "--month", "6", "--no-charts", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"已生成 {out}：市科技局2025年1-6月预算绩效运行监控报告，1 个项目" in result.output
    doc = read(out.read_bytes())
    assert headings(doc, 1) == list(MONITORING_SECTIONS)
    assert "全年预算数合计 100.00 万元" in text(doc) and "1-6月累计执行 20.00 万元" in text(doc)
    assert "原因说明：【待补充：该项目未填写偏差说明】" in text(doc)  # red, nothing explained

    out = tmp_path / "自评报告.docx"
    result = runner("report", "narrative", "--year", "2025", "--unit", str(unit.id), "--kind", "self-eval",
                    "--no-charts", "--out", str(out))
    assert result.exit_code == 0, result.output
    doc = read(out.read_bytes())
    assert headings(doc, 1) == list(SELF_EVAL_SECTIONS)
    assert "另有科技创新券补助共 1 个项目尚无定稿的自评结果" in text(doc)


def test_overspent_and_empty_forms(monitoring_form: MonitoringRoundForm, self_eval_form: SelfEvalForm) -> None:
    over = replace(monitoring_form.sheets[2], execution_rate=Decimal("110"), spent=Decimal(550_000),
                   money_status="overspent", overall_status="red")
    doc = read(monitoring_report(replace(monitoring_form, sheets=(over,)), charts=False))
    behind = section(doc, MONITORING_SECTIONS[1], MONITORING_SECTIONS[2])
    assert behind[0].startswith("执行进度滞后或超支的项目共 1 个（超支 1 个）。")
    assert "执行数超过全年预算数 5.00 万元，资金状态为超支" in behind[2]
    assert any(s.startswith("（一）核实超支原因。科普活动经费共 1 个项目的执行数已超过全年预算数")
               for s in section(doc, MONITORING_SECTIONS[3]))

    empty = read(self_eval_report(replace(self_eval_form, sheets=()), charts=True))  # no charts to draw
    assert headings(empty, 1) == list(SELF_EVAL_SECTIONS)
    assert len(empty.tables) == 0 and image_count(empty) == 0
    assert section(empty, "（二）效益指标完成情况", "（三）满意度指标完成情况") == ["尚无定稿的项目自评结果。"]


def test_long_name_lists_are_cut() -> None:
    from tracker.reports.narrative.phrases import project_list

    assert project_list(["甲", "乙"]) == "甲、乙共 2 个项目"
    assert project_list([f"项目{i}" for i in range(1, 13)]) == \
        "项目1、项目2、项目3、项目4、项目5、项目6、项目7、项目8等 12 个项目"


def test_the_older_word_for_benefit_is_a_benefit_indicator(monitoring_form: MonitoringRoundForm,
                                                           self_eval_form: SelfEvalForm) -> None:
    """The 一级 rule of ``core.categories`` in both reports: seeds 001 and 002 print 效果指标 for
    效益指标; those indicators count as 效益, not as 其他."""
    first = self_eval_form.sheets[0]
    effect = indicator("效果指标", "社会效益指标", "带动企业研发投入", "≥500万元", "600万元", "10", "10")
    doc = read(self_eval_report(replace(self_eval_form, sheets=(replace(first, indicators=(*first.indicators, effect)),)),
                                charts=False))
    benefit = section(doc, "（二）效益指标完成情况", "（三）满意度指标完成情况")
    assert benefit[0].startswith("效益指标共 1 项，分值合计 10.00 分，得分合计 10.00 分")
    assert "（四）其他指标完成情况" not in headings(doc, 2)

    sheet_ = monitoring_form.sheets[0]
    older = line("效果指标", "社会效益指标", "带动企业研发投入", "≥500万元", "300万元", "yellow")
    doc = read(monitoring_report(replace(monitoring_form, sheets=(replace(sheet_, indicators=(older,)),)),
                                 charts=False))
    assert [row[0] for row in table_after(doc, "绩效指标完成情况统计")] == ["一级指标", "效益指标", "合计"]
