"""``table_xlsx``: read the workbook back and check what a spreadsheet user would see."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from tracker.reports.table_export import display_width, neutralise, sheet_name, table_xlsx


def read(data: bytes):  # type: ignore[no-untyped-def]
    return openpyxl.load_workbook(io.BytesIO(data)).active


HEADERS = ["摘要", "金额（元）", "日期", "时间", "笔数", "计入"]


def test_values_keep_their_types() -> None:
    sheet = read(table_xlsx("台账明细", HEADERS, [
        ["办公用品", Decimal("1234567890123.45"), date(2025, 6, 30), datetime(2025, 6, 30, 23, 30), 3, True],
        ["红字冲销", Decimal("-500.00"), date(2025, 1, 2), None, 0, False],
    ]))
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(HEADERS)
    assert rows[1] == ("办公用品", 1234567890123.45, datetime(2025, 6, 30), datetime(2025, 6, 30, 23, 30), 3, "是")
    assert rows[2][:2] == ("红字冲销", -500.0) and rows[2][3] is None and rows[2][5] == "否"
    assert sheet["B2"].data_type == "n" and sheet["B2"].number_format == "#,##0.00"
    assert sheet["C2"].is_date and sheet["C2"].number_format == "yyyy-mm-dd"
    assert sheet["D2"].is_date and sheet["E2"].data_type == "n"


@pytest.mark.parametrize("text", ["=1+1", "+86 10", "-2", "@SUM(A1)", "\tx", "\rx",
                                  "＝HYPERLINK(\"http://x\")", "＋1", "－1", "＠a",
                                  "=cmd|' /C calc'!A0"])
def test_formula_looking_text_stays_text_behind_a_quote(text: str) -> None:
    sheet = read(table_xlsx("t", ["文本"], [[text]]))
    cell = sheet["A2"]
    assert cell.data_type == "s"
    # XlsxWriter stores a carriage return as the OOXML escape _x000D_ (Excel decodes it)
    assert cell.value.replace("_x000D_", "\r") == "'" + text
    assert neutralise(text) == "'" + text


def test_ordinary_text_is_unchanged_and_headers_are_neutralised_too() -> None:
    sheet = read(table_xlsx("t", ["=header", "名称"], [["a=b", "１２３"], ["", "001"]]))
    assert sheet["A1"].value == "'=header"
    assert [c.value for c in sheet[2]] == ["a=b", "１２３"]
    assert sheet["B3"].value == "001" and sheet["B3"].data_type == "s"  # never turned into 1


def test_header_is_frozen_filtered_and_columns_sized() -> None:
    sheet = read(table_xlsx("项目/列表:2025", ["单位", "项目名称", "n"],
                            [["甲单位", "很长的项目名称" * 3, 1], ["乙", "短", 2]]))
    assert sheet.title == "项目 列表 2025"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C3"
    name_width = sheet.column_dimensions["B"].width
    assert name_width >= display_width("很长的项目名称" * 3) and name_width <= 61
    assert sheet.column_dimensions["C"].width < name_width


def test_empty_table_has_its_header_and_none_is_blank() -> None:
    sheet = read(table_xlsx("空", ["a", "b"], []))
    assert [c.value for c in sheet[1]] == ["a", "b"] and sheet.max_row == 1
    sheet = read(table_xlsx("t", ["a", "b"], [[None, "x"]]))
    assert sheet["A2"].value is None and sheet["B2"].value == "x"


def test_control_characters_are_dropped() -> None:
    sheet = read(table_xlsx("t", ["a"], [["甲\x01乙\x00丙\n丁"]]))
    assert sheet["A2"].value == "甲乙丙\n丁"


def test_sheet_names_are_legal() -> None:
    assert sheet_name("") == "Sheet1"
    assert sheet_name("'a'") == "a"
    assert len(sheet_name("很" * 40)) == 31
