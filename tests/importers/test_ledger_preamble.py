"""The lines above the header (issue #15): period statements in the forms exports print (the
covered period ends on the last day of the last period, 第N期 is month N), and the context lines
— 项目 / 核算项目 / 辅助核算 / 科目 / 部门 — above the header or in the sheet's name."""

from __future__ import annotations

from datetime import date

import pytest

from tests.importers import ledger_fixtures as fx
from tracker.importers.ledger import read_ledger
from tracker.importers.ledger.preamble import parse_period, read_preamble


@pytest.mark.parametrize(("printed", "expected"), [
    ("会计期间：2025年第1期至2025年第10期", (date(2025, 1, 1), date(2025, 10, 31))),
    ("期间：2025年第1期-第6期", (date(2025, 1, 1), date(2025, 6, 30))),
    ("期间：2025年第3期", (date(2025, 3, 1), date(2025, 3, 31))),
    ("2025年1-6月", (date(2025, 1, 1), date(2025, 6, 30))),
    ("2025.01-2025.06", (date(2025, 1, 1), date(2025, 6, 30))),
    ("2025-01至2025-06", (date(2025, 1, 1), date(2025, 6, 30))),
    ("期间：2025年01月—2025年06月", (date(2025, 1, 1), date(2025, 6, 30))),
    ("期间：2025年度", (date(2025, 1, 1), date(2025, 12, 31))),
    ("2025年度", (date(2025, 1, 1), date(2025, 12, 31))),
    ("截至2025年6月30日", (date(2025, 1, 1), date(2025, 6, 30))),
    ("截止日期：2025年6月30日", (date(2025, 1, 1), date(2025, 6, 30))),
    ("截至2025年5月", (date(2025, 1, 1), date(2025, 5, 31))),
    ("期间：2024年第12期", (date(2024, 12, 1), date(2024, 12, 31))),
])
def test_period_forms_printed_above_the_header(printed: str, expected: tuple[date, date]) -> None:
    found = read_preamble([["某单位项目明细账"], [printed]], "Sheet1")
    assert found.period == expected
    assert found.bad_period is None


@pytest.mark.parametrize("title", ["2025年度项目支出明细账", "高新区科技局2025年度支付明细"])
def test_a_year_in_a_title_is_not_a_period(title: str) -> None:
    """A 1-6月 export titled "2025年度…" must not claim to cover July to December."""
    assert read_preamble([[title]], "Sheet1").period is None


def test_a_year_alone_in_its_cell_is_the_whole_year() -> None:
    found = read_preamble([["项目明细账", "", "（2025年度）"]], "Sheet1")
    assert found.period == (date(2025, 1, 1), date(2025, 12, 31))


def test_thirteenth_period_is_not_a_month() -> None:
    assert parse_period("2025年第1期至2025年第13期") is None


def test_a_declared_period_of_periods_does_not_claim_the_whole_year() -> None:
    """The reported failure: 第1期至第10期 was read as 2025-01-01..2025-12-31."""
    rows = [["凭证序时簿"], ["会计期间：2025年第1期至2025年第10期"],
            ["日期", "凭证字号", "摘要", "科目代码", "科目名称", "方向", "金额"],
            ["2025-03-01", "记-1", "拨付", "7201", "事业支出", "借", "100.00"]]
    parse = read_ledger("凭证序时簿.xlsx", fx.xlsx_bytes({"序时簿": rows}))
    assert (parse.period, parse.period_source) == ((date(2025, 1, 1), date(2025, 10, 31)), "stated")
    assert not [f for f in parse.findings if f.code == "period_from_transactions"]


# -- context lines above the header and in the sheet's name --------------------------------

@pytest.mark.parametrize(("lines", "sheet", "project", "account"), [
    ([["项目：13020225P00892710002C 乡村振兴科技服务"], ["科目：7201 事业支出"]], "Sheet1",
     ("13020225P00892710002C", "乡村振兴科技服务"), ("7201", "事业支出")),
    ([["[项目]乡村振兴科技服务"], ["【科目】7201事业支出"]], "Sheet1", (None, "乡村振兴科技服务"), ("7201", "事业支出")),
    ([["核算项目：", "604002B17DX0003 科技型中小企业创新资金"]], "7201事业支出",
     ("604002B17DX0003", "科技型中小企业创新资金"), ("7201", "事业支出")),
    ([["辅助核算：部门：综合科；项目：604002B17DX0003 科技型中小企业创新资金"]], "Sheet1",
     ("604002B17DX0003", "科技型中小企业创新资金"), (None, None)),
    ([["项目明细账"]], "13020225P00892710002C 乡村振兴", ("13020225P00892710002C", "乡村振兴"), (None, None)),
    ([["明细账"]], "Sheet1", (None, None), (None, None)),
    ([["明细账"]], "7201 事业支出", (None, None), ("7201", "事业支出")),
    ([["项目明细账"], ["科目：7201 事业支出"]], "[项目]乡村振兴科技服务", (None, "乡村振兴科技服务"), ("7201", "事业支出")),
    ([["项目：13020225P00892710002C 乡村振兴科技服务", "", "打印人：张三"]], "Sheet1",
     ("13020225P00892710002C", "乡村振兴科技服务"), (None, None)),
])
def test_context_lines_name_the_project_and_account(lines: list[list[str]], sheet: str,
                                                    project: tuple[str | None, str | None],
                                                    account: tuple[str | None, str | None]) -> None:
    found = read_preamble(lines, sheet)
    assert (found.project_code, found.project_name) == project
    assert (found.account_code, found.account_name) == account


def test_department_line_is_not_a_project() -> None:
    found = read_preamble([["部门：综合科"]], "Sheet1")
    assert found.department == "综合科"
    assert (found.project_code, found.project_name) == (None, None)
