"""The 项目支出绩效自评表 workbook read back with openpyxl against the worked example
(``worked_examples.py``: a reverse and a qualitative indicator, an empty 效益 category, a
project with zero budget, a project without a submitted evaluation)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from tests.reports.workbook_reading import RED, load, merged, number
from tests.reports.worked_examples import FORMULA_TEXT, PROJECT_A, PROJECT_B, SELF_EVAL_FORM
from tracker.reports import self_eval_workbook
from tracker.reports.official_workbook import sheet_names


@pytest.fixture(scope="module")
def book() -> openpyxl.Workbook:
    return load(self_eval_workbook.build(SELF_EVAL_FORM))


def row(ws: Worksheet, index: int) -> list[Any]:
    return [c.value for c in ws[index]]


def test_sheets_summary_first_then_projects_then_sources(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == ["汇总", "科技创新券补助", "政策调研课题", "数据来源"]


def test_project_sheet_layout_and_money_block(book: openpyxl.Workbook) -> None:
    ws = book["科技创新券补助"]
    assert ws["A1"].value == "项目支出绩效自评表" and ws["A2"].value == "（2025年度）"
    assert (ws["A3"].value, ws["C3"].value) == ("项目名称", "科技创新券补助")
    assert [ws[r].value for r in ("A4", "C4", "F4", "H4")] == ["主管部门", "某市科学技术局", "实施单位",
                                                             "某市科技创新服务中心"]
    assert {"A1:J1", "A2:J2", "A3:B3", "C3:J3", "A4:B4", "C4:E4", "F4:G4", "H4:J4",
            "A5:A9", "B5:C5", "I5:J5", "B6:C6", "I6:J6", "B7:C7", "B8:C8", "B9:C9",
            "A10:A11", "B10:F10", "G10:J10", "B11:F11", "G11:J11"} <= merged(ws)
    assert ws["A5"].value == "项目资金（万元）"
    assert row(ws, 5)[3:9] == ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"]
    assert [ws[f"B{r}"].value for r in range(6, 10)] == ["年度资金总额", "其中：本年财政拨款", "上年结转资金", "其他资金"]
    # 1,000,000 / 1,200,000 / 900,000 元 → 万元; 执行率 75% → 7.50 of 10
    assert [number(ws, r) for r in ("D6", "E6", "F6", "G6", "H6", "I6")] == [
        Decimal("100"), Decimal("120"), Decimal("90"), Decimal("10"), Decimal("0.75"), Decimal("7.5")]
    assert (ws["D6"].number_format, ws["H6"].number_format, ws["I6"].number_format) == (
        "#,##0.0000", "0.00%", "0.00")
    assert [number(ws, f"E{r}") for r in (7, 8, 9)] == [Decimal("100"), Decimal("20"), Decimal("0")]
    assert [ws[f"{c}7"].value for c in "DFGHI"] == [None, None, "—", "—", "—"]  # only the total is scored
    assert (ws["B10"].value, ws["G10"].value) == ("预期目标", "实际完成情况")
    assert ws["B11"].value.startswith("支持科技型中小企业") and ws["G11"].value.startswith("共支持40家企业")


def test_indicator_block_scores_total_and_grade(book: openpyxl.Workbook) -> None:
    ws = book["科技创新券补助"]
    assert row(ws, 12)[1:9] == ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分",
                                "偏差原因分析及改进措施"]
    assert {"A12:A17", "B13:B15", "I12:J12", "I13:J13", "C16:D16"} <= merged(ws)
    assert ws["B13"].value == "产出指标" and [ws[f"C{r}"].value for r in (13, 14, 15)] == ["数量指标", "质量指标", "成本指标"]
    # positive 40/50 × 25 = 20; qualitative 部分达成 → top of [60%, 80%) − 0.01 = 19.99;
    # reverse (1 − 0.5/2) × 25 = 18.75; 满意度 full 15
    assert [(ws[f"D{r}"].value, number(ws, f"G{r}"), number(ws, f"H{r}")) for r in (13, 14, 15, 17)] == [
        ("支持企业数", Decimal("25"), Decimal("20")), ("验收质量", Decimal("25"), Decimal("19.99")),
        ("单家企业补助成本", Decimal("25"), Decimal("18.75")), ("企业满意度", Decimal("15"), Decimal("15"))]
    assert (ws["E15"].value, ws["F15"].value) == ("≤2万元/家", "2.5万元/家")
    assert ws["F14"].value == "部分达成年度指标并具有一定效果"
    # the empty 效益 category is a row of its own, after 产出 and before 满意度
    assert [ws[f"{c}16"].value for c in "BCEFGH"] == ["效益指标", "未设置本类指标", "—", "—", "—", "—"]
    assert (ws["B17"].value, ws["C17"].value) == ("满意度指标", "服务对象满意度指标")
    assert "A18:F18" in merged(ws)
    assert (ws["A18"].value, number(ws, "G18"), number(ws, "H18"), ws["I18"].value, ws["J18"].value) == (
        "总分", Decimal("100"), Decimal("81.24"), "自评等级", "良")
    assert ws["H18"].number_format == "0.00"
    assert ws.max_row == 18  # frozen and without warnings: no notes


def test_zero_budget_project(book: openpyxl.Workbook) -> None:
    ws = book["政策调研课题"]
    assert [number(ws, r) for r in ("D6", "E6", "F6", "G6")] == [Decimal(0)] * 3 + [Decimal(10)]
    assert ws["H6"].value == "—" and number(ws, "I6") == Decimal(0)
    assert [ws[f"E{r}"].value for r in (7, 8, 9)] == [None, None, None]  # not split in the target table
    assert [ws[f"B{r}"].value for r in (13, 14, 15)] == ["产出指标", "效益指标", "满意度指标"]
    assert (ws["F14"].value, number(ws, "H14")) == ("达成年度指标", Decimal(30))  # qualitative, full
    assert number(ws, "H15") == Decimal("9.44")  # 85/90 × 10 = 9.4444
    assert (ws["A16"].value, number(ws, "G16"), number(ws, "H16"), ws["J16"].value) == (
        "总分", Decimal(100), Decimal("89.44"), "良")
    assert ws["A17"].value == "提示：全年预算数为0，执行率得分为0"
    assert ws["A17"].font.color.rgb == RED


def test_summary_sheet(book: openpyxl.Workbook) -> None:
    ws = book["汇总"]
    assert ws["A1"].value == "某市科学技术局2025年度项目支出绩效自评汇总表"
    assert row(ws, 3) == ["序号", "项目编码", "项目名称", "实施单位", "全年预算数", "全年执行数", "执行率", "自评得分",
                          "等级", "状态", "提示"]
    assert row(ws, 4)[:4] == [1, "130100-001", "科技创新券补助", "某市科技创新服务中心"]
    assert [number(ws, r) for r in ("E4", "F4", "G4", "H4")] == [
        Decimal(120), Decimal(90), Decimal("0.75"), Decimal("81.24")]
    assert row(ws, 4)[8:] == ["良", "已提交", None]
    assert (ws["G5"].value, number(ws, "H5"), ws["K5"].value) == ("—", Decimal("89.44"), "全年预算数为0，执行率得分为0")
    assert (ws["C6"].value, ws["J6"].value) == ("数字化平台运维", "未提交自评")
    assert ws["J6"].font.color.rgb == RED
    assert "A7:D7" in merged(ws) and ws["A7"].value == "合计（2 个项目）"
    assert [number(ws, r) for r in ("E7", "F7", "G7")] == [Decimal(120), Decimal(90), Decimal("0.75")]
    assert ws["A8"].value == "等级分布（已提交）：优 0 个、良 2 个、中 0 个、差 0 个；未提交自评 1 个。"


def test_sources_sheet_names_evaluations_and_batches(book: openpyxl.Workbook) -> None:
    ws = book["数据来源"]
    assert ws["A2"].value == "单位：某市科学技术局　　年度：2025　　生成日期：2026-02-01"
    assert row(ws, 3) == ["项目名称", "自评记录", "状态", "提交时间", "提交人", "台账截止日", "依据"]
    assert row(ws, 4) == ["科技创新券补助", "自评表 #11（第 2 次）", "已提交（冻结）", "2026-01-15 10:30", "zhang",
                          "2025-12-31", "台账批次：#3、#4；台账截止日：2025-12-31"]
    assert row(ws, 5)[:2] == ["政策调研课题", "自评表 #12（第 1 次）"]
    assert (ws["A6"].value, ws["B6"].value) == ("数字化平台运维", "没有已提交的自评表")
    assert ws["A8"].value == "台账批次及其他来源"
    assert [ws[f"A{r}"].value for r in (9, 10)] == list(SELF_EVAL_FORM.sources)


def test_print_setup(book: openpyxl.Workbook) -> None:
    for name, titles in (("汇总", "$1:$3"), ("科技创新券补助", "$1:$4"), ("数据来源", "$1:$3")):
        ws = book[name]
        assert ws.page_setup.orientation == "landscape"
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        # one page wide (fitToWidth left at its default, 1), as many tall as needed
        assert (int(ws.page_setup.fitToWidth or 1), int(ws.page_setup.fitToHeight)) == (1, 0)
        assert ws.print_title_rows == titles
    assert book["科技创新券补助"].column_dimensions["D"].width == pytest.approx(22.7, abs=1)


def test_formula_looking_text_stays_text(book: openpyxl.Workbook) -> None:
    ws = book["科技创新券补助"]
    for ref, text in (("I14", FORMULA_TEXT), ("I15", "+补助标准上调")):
        assert ws[ref].value == text and ws[ref].data_type == "s"
        assert ws[ref].quotePrefix
    assert ws["I13"].hyperlink is None and ws["I14"].hyperlink is None


def test_same_form_same_cells_and_bytes() -> None:
    first, second = (self_eval_workbook.build(SELF_EVAL_FORM) for _ in range(2))
    assert first == second
    values = [{ws.title: list(ws.iter_rows(values_only=True)) for ws in load(data)} for data in (first, second)]
    assert values[0] == values[1]


def test_a_draft_is_marked_and_names_are_made_valid() -> None:
    draft = replace(PROJECT_A, frozen=False, frozen_at=None, frozen_by="",
                    project_name="一个非常长的项目名称：含有[方括号]和/斜杠*星号?问号\\反斜杠以及更多文字")
    twin = replace(PROJECT_B, project_name=draft.project_name)
    book = load(self_eval_workbook.build(replace(SELF_EVAL_FORM, sheets=(draft, twin), missing=())))
    names = book.sheetnames
    assert names[0] == "汇总" and names[-1] == "数据来源" and len(set(n.casefold() for n in names)) == 4
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)
    ws = book[names[1]]
    assert ws["A2"].value == "（2025年度）草稿，未提交" and ws["A2"].font.color.rgb == RED
    assert ws["A19"].value == "本表为草稿（未提交），数值可能变化。"
    summary = book["汇总"]
    assert summary["J4"].value == "草稿（未提交）" and summary["J4"].font.color.rgb == RED
    assert summary["A7"].value == "等级分布（已提交）：优 0 个、良 1 个、中 0 个、差 0 个；草稿 1 个。"


def test_sheet_names() -> None:
    assert sheet_names(["a/b", "A/B", "x" * 40, "x" * 40, "'引号'", "汇总"], taken=["汇总"]) == [
        "a_b", "A_B(2)", "x" * 31, "x" * 28 + "(2)", "引号", "汇总(2)"]
    assert sheet_names(["😀" * 20]) == ["😀" * 15]  # Excel counts UTF-16 units: 30 ≤ 31
