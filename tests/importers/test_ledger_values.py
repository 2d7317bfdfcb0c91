"""The small parsers the ledger reader is built from: amounts, dates, periods, project
references, header words, HTML tables, encodings, and the fast row builder."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import date, datetime
from decimal import Decimal

import pytest

from tracker.importers.ledger.header import find_header, normalise
from tracker.importers.ledger.html_table import read_html_tables
from tracker.importers.ledger.preamble import parse_period, read_preamble, split_account
from tracker.importers.ledger.records import LedgerRow, LedgerRowDraft
from tracker.importers.ledger.references import parse_reference, split_code_name
from tracker.importers.ledger.sniff import sniff
from tracker.importers.ledger.values import (CellProblem, amount_from_float, amount_from_text, amount_of,
                                             date_of, text_of)


@pytest.mark.parametrize(("text", "value"), [
    ("1,234.50", "1234.50"), ("1234.5", "1234.50"), ("-500,000.00", "-500000.00"), ("(1,234.50)", "-1234.50"),
    ("+12", "12.00"), ("－200.00", "-200.00"), ("１，２３４．５０", "1234.50"), ("￥1,000.00元", "1000.00"),
    (" 7 ", "7.00"), ("-", "0.00"), ("0.005", "0.01"), ("-0.005", "-0.01"),
])
def test_amount_text(text: str, value: str) -> None:
    assert amount_from_text(text)[0] == Decimal(value)


@pytest.mark.parametrize("text", ["10,00a0.00", "1,2345.00", "12,34", "1e5", "NaN", "Infinity", "1_000",
                                  "12.", ".5", "1.2.3", "(+5)", "abc", "--5"])
def test_amount_text_refused(text: str) -> None:
    with pytest.raises(CellProblem):
        amount_from_text(text)


def test_amount_rounding_is_reported() -> None:
    assert amount_from_text("1.234") == (Decimal("1.23"), True)
    assert amount_from_text("1.23") == (Decimal("1.23"), False)
    assert amount_from_float(0.1 + 0.2) == (Decimal("0.30"), False)  # float noise, not a real fraction
    assert amount_from_float(1234.567) == (Decimal("1234.57"), True)
    assert amount_from_float(2.675) == (Decimal("2.68"), True)  # half-up on the printed value
    assert amount_from_float(12.3456, Decimal(10000)) == (Decimal("123456.00"), False)


def test_amount_cells() -> None:
    assert amount_of("") is None and amount_of("  ") is None and amount_of(None) is None
    assert amount_of(5) == (Decimal("5.00"), False)
    with pytest.raises(CellProblem):
        amount_of(True)
    with pytest.raises(CellProblem, match="公式"):
        amount_of("=A1*2")
    with pytest.raises(CellProblem):
        amount_from_float(float("nan"))


@pytest.mark.parametrize(("raw", "expected"), [
    ("2023-11-20", date(2023, 11, 20)), ("2023/1/5", date(2023, 1, 5)), ("2023.01.05", date(2023, 1, 5)),
    ("2023年1月5日", date(2023, 1, 5)), ("20230105", date(2023, 1, 5)), ("2023-01-05 13:45:00", date(2023, 1, 5)),
    ("2023-01-05T13:45", date(2023, 1, 5)), (datetime(2023, 1, 5, 9, 30), date(2023, 1, 5)),
    (date(2023, 1, 5), date(2023, 1, 5)), (44931.0, date(2023, 1, 5)), (44931.5, date(2023, 1, 5)),
    (20230105.0, date(2023, 1, 5)), ("", None), (None, None),
])
def test_dates(raw: object, expected: date | None) -> None:
    assert date_of(raw, None, None) == expected


def test_month_day_dates_need_a_year() -> None:
    assert date_of("11-20", 2023, None) == date(2023, 11, 20)
    assert date_of("11月20日", None, (date(2023, 1, 1), date(2023, 12, 31))) == date(2023, 11, 20)
    spanning = (date(2023, 7, 1), date(2024, 6, 30))
    assert date_of("12-31", None, spanning) == date(2023, 12, 31)
    assert date_of("01-02", None, spanning) == date(2024, 1, 2)
    with pytest.raises(CellProblem, match="无法确定年份"):
        date_of("11-20", None, None)


@pytest.mark.parametrize("raw", ["2025-13-40", "2023-02-29", "1989-12-31", "2101-01-01", "昨天", "123", 5.0,
                                 "2023-1-1-1", True])
def test_bad_dates(raw: object) -> None:
    with pytest.raises(CellProblem):
        date_of(raw, 2023, None)


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2023年1月-12月", date(2023, 1, 1), date(2023, 12, 31)),
    ("2023.01-2023.12", date(2023, 1, 1), date(2023, 12, 31)),
    ("2025年01月01日至2025年06月30日", date(2025, 1, 1), date(2025, 6, 30)),
    ("2023年01月至2023年12月", date(2023, 1, 1), date(2023, 12, 31)),
    ("2023年1期-6期", date(2023, 1, 1), date(2023, 6, 30)),
    ("2024-02至2024-02", date(2024, 2, 1), date(2024, 2, 29)),
    ("2023年12月-2024年3月", date(2023, 12, 1), date(2024, 3, 31)),
    ("2023.07.01-12.31", date(2023, 7, 1), date(2023, 12, 31)),
    ("2023年06月", date(2023, 6, 1), date(2023, 6, 30)),
    ("2023年度", date(2023, 1, 1), date(2023, 12, 31)),
])
def test_periods(text: str, start: date, end: date) -> None:
    assert parse_period(text) == (start, end)


@pytest.mark.parametrize("text", ["2023年12月-2023年1月", "2023年13月", "全年", "2023.02.30-2023.03.01"])
def test_unreadable_periods(text: str) -> None:
    assert parse_period(text) is None


def test_preamble_lines() -> None:
    rows = [["明细账  科目：7201 事业支出"], ["单位：高新区科技局    期间：2023年01月至2023年12月    单位：元"]]
    found = read_preamble(rows, "Sheet1")
    assert (found.unit_name, found.account_code, found.account_name) == ("高新区科技局", "7201", "事业支出")
    assert found.period == (date(2023, 1, 1), date(2023, 12, 31))
    assert found.scale == Decimal(1)
    title = read_preamble([["国库集中支付明细表（2021年1月1日-2021年6月30日）"], ["金额单位：万元"]], "支付明细")
    assert title.period == (date(2021, 1, 1), date(2021, 6, 30)) and title.scale == Decimal(10000)
    assert title.account_code is None
    assert read_preamble([["期间：上半年"]], "s").bad_period == "上半年"
    assert read_preamble([], "7101行政支出").account_code == "7101"


def test_accounts() -> None:
    assert split_account("7201 事业支出") == ("7201", "事业支出")
    assert split_account("720101事业支出-项目支出") == ("720101", "事业支出-项目支出")
    assert split_account("7201.01 事业支出") == ("720101", "事业支出")
    assert split_account("事业支出") == (None, "事业支出")


@pytest.mark.parametrize(("text", "code", "name"), [
    ("604002B17DX0003 科技型中小企业创新资金", "604002B17DX0003", "科技型中小企业创新资金"),
    ("[604002B17DX0003]科技型中小企业创新资金", "604002B17DX0003", "科技型中小企业创新资金"),
    ("【XM-01】科技馆运行经费", "XM-01", "科技馆运行经费"),
    ("604002B17DX0003-科技型中小企业创新资金", "604002B17DX0003", "科技型中小企业创新资金"),
    ("604002B17DX0003科技型中小企业创新资金", "604002B17DX0003", "科技型中小企业创新资金"),
    ("科技型中小企业创新资金(604002B17DX0003)", "604002B17DX0003", "科技型中小企业创新资金"),
    ("2023年科技创新券", None, "2023年科技创新券"),
    ("高新技术企业扶持资金", None, "高新技术企业扶持资金"),
    ("604002B17DX0003", "604002B17DX0003", None),
])
def test_project_code_and_name(text: str, code: str | None, name: str | None) -> None:
    assert split_code_name(text) == (code, name)


def test_auxiliary_accounting_text() -> None:
    found = parse_reference("项目：604002B17DX0003 科技型中小企业创新资金")
    assert (found.code, found.name) == ("604002B17DX0003", "科技型中小企业创新资金")
    several = parse_reference("部门：综合科；项目：XM1 评审；经济分类：30227 委托业务费；资金性质：一般公共预算")
    assert (several.code, several.name, several.economic_class, several.fund_nature) == (
        "XM1", "评审", "30227 委托业务费", "一般公共预算")
    assert parse_reference("【项目】XM1 评审").code == "XM1"
    assert parse_reference("部门：综合科").code is None and parse_reference("部门：综合科").name is None
    assert parse_reference("项目管理费").name == "项目管理费"  # a name, not a 项目： key


def test_header_words_are_normalised() -> None:
    assert normalise(" 金 额\n（元） ") == ("金额", Decimal(1))
    assert normalise("支付金额(万元)") == ("支付金额", Decimal(10000))
    assert normalise("*摘要：") == ("摘要", None)
    assert normalise(12) == ("", None)


def test_header_row_found_below_a_title_and_a_two_row_header_read_together() -> None:
    rows = [["明细账"], ["期间：2023年"], ["日期", "凭证号", "摘要", "本期发生额", "", "余额", ""],
            ["", "", "", "借方", "贷方", "方向", "金额"], ["2023-01-05", "记-1", "x", 1.0, "", "借", 1.0]]
    match = find_header(rows)
    assert match is not None
    assert match.rows == (2, 3)
    assert match.columns == {"date": 0, "voucher": 1, "summary": 2, "debit": 3, "credit": 4}
    single = find_header([["日期", "摘要", "方向", "金额"], ["2023-01-05", "x", "借", "1.00"]])
    assert single is not None and single.columns == {"date": 0, "summary": 1, "direction": 2, "amount": 3}
    assert find_header([["流水号", "时间", "发生数"]]) is None


def test_header_prefers_the_better_word_when_two_columns_give_one_field() -> None:
    match = find_header([["日期", "用途", "摘要", "单位", "预算单位", "支付金额"]])
    assert match is not None
    assert match.columns["summary"] == 2 and match.columns["unit_name"] == 4
    assert len(match.unused) == 2


def test_html_tables_expand_spans() -> None:
    html = ("<table><tr><td rowspan=2>日期</td><td colspan=2>本期发生额</td></tr>"
            "<tr><th>借方</th><th>贷方</th></tr><tr><td>2023-01-05</td><td>1&amp;2<br>3</td><td></td></tr>"
            "</table>")
    tables, complete = read_html_tables(html)
    assert complete
    assert tables == [[["日期", "本期发生额", ""], ["", "借方", "贷方"], ["2023-01-05", "1&2 3", ""]]]
    assert read_html_tables("<table><tr><td>a")[1] is False


@pytest.mark.parametrize(("data", "encoding"), [
    ("日期,金额\n".encode("gbk"), "gb18030"), ("日期,金额\n".encode("utf-8"), "utf-8"),
    ("日期,金额\n".encode("utf-8-sig"), "utf-8-sig"), ("日期\t金额\n".encode("utf-16"), "utf-16"),
    ("日期,金额,𠀀\n".encode("gb18030"), "gb18030"),
])
def test_text_encodings_are_sniffed(data: bytes, encoding: str) -> None:
    found = sniff("a.csv", data)
    assert (found.format, found.encoding) == ("csv", encoding)
    assert found.text is not None and found.text.startswith("日期")


def test_html_is_recognised_whatever_the_extension() -> None:
    page = '<html><head><meta charset="gbk"></head><body><table><tr><td>日期</td></tr></table>'
    assert sniff("a.csv", page.encode("gbk")).format == "html"
    assert sniff("a.xls", ("\ufeff<table><tr><td>日期</td></tr></table>").encode("utf-8")).format == "html"


def test_text_of_cells() -> None:
    assert text_of("  a ") == "a" and text_of("   ") is None and text_of(None) is None
    assert text_of(311.0) == "311" and text_of(3.5) == "3.5" and text_of(7) == "7"
    assert text_of(datetime(2023, 1, 5)) == "2023-01-05"


def test_draft_rows_freeze_into_genuine_frozen_rows() -> None:
    values = dict(sheet="s", row=3, date=date(2023, 1, 5), voucher="记-1", summary="x", account_code="7201",
                  account_name="事业支出", project_code="XM1", project_name="评审", project_ref_raw="XM1 评审",
                  document_no=None, unit_name=None, functional_class=None, economic_class=None, fund_nature=None,
                  status=None, debit=Decimal("1.00"), credit=Decimal("0.00"), amount=Decimal("1.00"), counts=True,
                  not_counted_reason=None)
    built = LedgerRowDraft(**values).freeze()  # type: ignore[arg-type]
    assert type(built) is LedgerRow
    assert built == LedgerRow(**values)  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.amount = Decimal(0)  # type: ignore[misc]
    assert dataclasses.replace(built, counts=False).counts is False
    assert pickle.loads(pickle.dumps(built)) == built
    assert [f.name for f in dataclasses.fields(LedgerRow)] == list(LedgerRowDraft.__slots__)
