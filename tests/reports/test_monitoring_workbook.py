"""The 绩效监控情况表 workbook read back with openpyxl against the worked example
(``worked_examples.py``: a reverse and a qualitative indicator, an indicator not reported,
a zero-budget project that is red, not frozen, not covered by the ledger and unexplained)."""

from __future__ import annotations

import re

from dataclasses import replace
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from tests.reports.workbook_reading import RED, load, merged, number
from tests.reports.worked_examples import FORMULA_TEXT, MONITORING_A, MONITORING_FORM
from tracker.reports import monitoring_workbook


@pytest.fixture(scope="module")
def book() -> openpyxl.Workbook:
    return load(monitoring_workbook.build(MONITORING_FORM))


def values(ws: Worksheet, refs: str) -> list[object]:
    return [ws[ref].value for ref in refs.split()]


def test_sheets(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == ["汇总", "科技创新券补助", "政策调研课题", "数据来源"]


def test_project_header_and_money_block(book: openpyxl.Workbook) -> None:
    ws = book["科技创新券补助"]
    assert values(ws, "A1 A2 A3 D3 A4 D4 I4 M4") == [
        "绩效监控情况表", "（2025年1-6月）", "项目名称", "科技创新券补助", "主管部门", "某市科学技术局", "实施单位",
        "某市科技创新服务中心"]
    assert {"A1:Q1", "A3:C3", "D3:Q3", "D4:H4", "I4:L4", "M4:Q4", "A5:A8", "B5:D5", "E5:F5", "G5:I5",
            "J5:L5", "M5:O5", "P5:Q5", "P6:Q8", "B6:D6", "E6:F6", "G6:I6", "J6:L6", "M6:O6"} <= merged(ws)
    assert values(ws, "A5 E5 G5 J5 M5 P5") == ["项目资金（万元）", "年初预算数", "1-6月执行数", "1-6月执行率",
                                               "全年预计执行数", "说明"]
    assert values(ws, "B6 B7 B8") == ["年度资金总额", "其中：财政拨款", "其他资金"]
    # 年初 1,000,000 元 = 100 万元; 450,000 = 45; 450,000 ÷ 1,200,000 = 37.5%; forecast 108
    assert [number(ws, r) for r in ("E6", "G6", "J6", "M6")] == [
        Decimal(100), Decimal(45), Decimal("0.375"), Decimal(108)]
    assert (ws["E6"].number_format, ws["J6"].number_format) == ("#,##0.0000", "0.00%")
    # the whole budget is 财政拨款: its row repeats the total; 其他资金 0
    assert [number(ws, r) for r in ("E7", "G7", "J7", "M7")] == [
        Decimal(100), Decimal(45), Decimal("0.375"), Decimal(108)]
    assert [number(ws, "E8"), number(ws, "G8"), ws["J8"].value, number(ws, "M8")] == [
        Decimal(0), Decimal(0), "—", Decimal(0)]
    assert ws["P6"].value == "计划进度 50.00%；资金黄灯，总体黄灯\n已冻结"
    assert values(ws, "A9 B9 I9 B10") == ["年度总体目标", "全年预期目标", "目标实际累计完成情况",
                                          "支持科技型中小企业开展研发活动。"]
    assert ws["I10"].value is None  # nothing recorded: left for the unit, not invented


def test_indicator_block_and_ticks(book: openpyxl.Workbook) -> None:
    ws = book["科技创新券补助"]
    assert values(ws, "B11 C11 D11 E11 F11 G11 H11 M11 P11 Q11") == [
        "一级指标", "二级指标", "三级指标", "年度指标值", "1-6月执行情况", "全年预计完成情况", "偏差原因分析",
        "完成目标可能性", "原因说明", "纠偏措施"]
    assert values(ws, "H12 I12 J12 K12 L12 M12 N12 O12") == [
        "经费保障", "制度保障", "人员保障", "硬件条件保障", "其他", "确定能", "有可能", "完全不可能"]
    assert {"A11:A17", "B11:B12", "H11:L11", "M11:O11", "P11:P12", "Q11:Q12",
            "B13:B15", "C13:C14", "H13:H17", "L13:L17", "N13:N17", "P13:P17", "Q13:Q17"} <= merged(ws)
    assert [values(ws, f"D{r} E{r} F{r} G{r}") for r in range(13, 18)] == [
        ["支持企业数", "≥50家", "18家", "45家"],
        ["举办培训场次", "≥4次", "2次", "4次"],
        ["单家企业补助成本", "≤2万元/家", "1.8万元/家", "2万元/家"],  # reverse indicator
        ["企业研发投入", "有所提升", "部分达成目标并具有一定效果", "达成目标"],  # qualitative
        ["企业满意度", "≥90%", "未填报", None]]
    assert values(ws, "B13 C13 C15 B16 B17") == ["产出指标", "数量指标", "成本指标", "效益指标", "满意度指标"]
    # 经费保障 and 其他 ticked; 有可能
    assert values(ws, "H13 I13 J13 K13 L13 M13 N13 O13") == ["√", None, None, None, "√", None, "√", None]
    assert ws["P13"].value == "上半年资金拨付较晚，申报集中在下半年。"
    assert ws["Q13"].value == FORMULA_TEXT and ws["Q13"].data_type == "s" and ws["Q13"].quotePrefix
    assert ws["A18"].value.startswith("注：金额单位万元")
    # 万元 in words: two decimals, as every page and report shows them (it read 10.0000)
    assert re.search(r"全年预算数 [\d,]+\.\d{2} 万元", ws["A18"].value), ws["A18"].value


def test_unexplained_zero_budget_unfrozen_project_is_marked(book: openpyxl.Workbook) -> None:
    ws = book["政策调研课题"]
    assert [number(ws, r) for r in ("E6", "G6", "M6")] == [Decimal(0)] * 3 and ws["J6"].value == "—"
    assert values(ws, "E7 G7 J7 M7 E8 G8") == [None] * 6  # fund split unknown
    assert ws["P6"].value == "计划进度 50.00%；资金无法判断，总体红灯\n未冻结（按生成时数据计算）；台账未覆盖（入账至2025-05-31）"
    assert ws["P6"].font.color.rgb == RED
    assert values(ws, "D13 F13 H13 N13") == ["调研报告数", "0篇", None, None]
    assert ws["P13"].value == "未填写偏差说明" and ws["P13"].font.color.rgb == RED
    assert ws["Q13"].value is None
    assert "A11:A13" in merged(ws)
    assert ws["A15"].value == "本项目截至2025-06-30为红灯，尚未填写偏差说明。"


def test_summary_sheet(book: openpyxl.Workbook) -> None:
    ws = book["汇总"]
    assert ws["A1"].value == "某市科学技术局2025年1-6月绩效监控情况汇总表"
    assert [c.value for c in ws[3]] == ["序号", "项目编码", "项目名称", "全年预算数", "1-6月执行数", "1-6月执行率",
                                        "计划进度", "资金状态", "总体状态", "完成目标可能性", "偏差说明", "数据状态"]
    assert values(ws, "A4 B4 C4") == [1, "130100-001", "科技创新券补助"]
    assert [number(ws, r) for r in ("D4", "E4", "F4", "G4")] == [
        Decimal(120), Decimal(45), Decimal("0.375"), Decimal("0.5")]
    assert values(ws, "H4 I4 J4 K4 L4") == ["黄灯", "黄灯", "有可能", "已填写（2025-06-30）", "已冻结"]
    assert values(ws, "C5 F5 H5 I5 J5 K5") == ["政策调研课题", "—", "无法判断", "红灯", None, "未填写"]
    assert ws["K5"].font.color.rgb == RED
    assert ws["L5"].value == "未冻结（按生成时数据计算）；台账未覆盖（入账至2025-05-31）"
    assert "A6:C6" in merged(ws) and ws["A6"].value == "合计（2 个项目）"
    assert [number(ws, r) for r in ("D6", "E6", "F6")] == [Decimal(120), Decimal(45), Decimal("0.375")]
    assert ws["A7"].value == "红灯或黄灯但未填写偏差说明的项目（1 个）：政策调研课题"


def test_sources_sheet(book: openpyxl.Workbook) -> None:
    ws = book["数据来源"]
    assert ws["A2"].value.startswith("单位：某市科学技术局　　监控期间：2025年1-6月（截至2025-06-30）")
    assert [ws["A3"].value, ws["A4"].value] == list(MONITORING_FORM.sources)


def test_print_setup(book: openpyxl.Workbook) -> None:
    for name, titles in (("汇总", "$1:$3"), ("科技创新券补助", "$1:$4"), ("政策调研课题", "$1:$4")):
        ws = book[name]
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage and int(ws.page_setup.fitToHeight) == 0
        assert ws.print_title_rows == titles


def test_same_form_same_cells() -> None:
    first, second = (monitoring_workbook.build(MONITORING_FORM) for _ in range(2))
    assert first == second


def test_a_project_without_indicators_or_explanation_that_is_green() -> None:
    green = replace(MONITORING_A, indicators=(), causes=(), likelihood=None, reason="", corrective_actions="",
                    explanation_as_of=None, money_status="green", overall_status="green")
    ws = load(monitoring_workbook.build(replace(MONITORING_FORM, sheets=(green,))))["科技创新券补助"]
    assert ws["B13"].value == "未设置绩效指标" and "B13:G13" in merged(ws)
    assert values(ws, "H13 N13 P13 Q13") == [None, None, None, None]
    summary = load(monitoring_workbook.build(replace(MONITORING_FORM, sheets=(green,))))["汇总"]
    assert summary["K4"].value == "—"
