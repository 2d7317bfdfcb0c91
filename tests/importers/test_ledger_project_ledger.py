"""用友-style 项目明细账 (issue #15): the project and the account are printed once above the
header (or in the sheet's name), not on the rows; every row takes them, and the account rule
(71xx/72xx only under 平行记账) applies."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.importers import ledger_fixtures as fx
from tracker.importers.ledger import read_ledger

PA, PB = fx.PA, fx.PB
# worked by hand in fx.project_ledger_transactions()
COUNTED_BY_CODE = {PA[0]: Decimal("220000.50"), PB[0]: Decimal("1700000.00")}
COUNTED_BY_NAME = {PA[1]: Decimal("220000.50"), PB[1]: Decimal("1700000.00")}


@pytest.mark.parametrize("variant", fx.PROJECT_LEDGER_VARIANTS)
def test_project_and_account_printed_once_reach_every_row(variant: str) -> None:
    parse = read_ledger(f"项目明细账_{variant}.xlsx", fx.project_ledger(fx.project_ledger_transactions(), variant))
    assert len(parse.rows) == 10
    assert parse.count_mode == "budget"  # 7201 and 5001 both present: 预算会计 only
    assert (parse.period, parse.period_source) == ((date(2025, 1, 1), date(2025, 6, 30)), "stated")
    assert {r.account_code for r in parse.rows} == {"7201", "5001"}
    assert all(r.project_name for r in parse.rows)
    sums: dict[str, Decimal] = {}
    for r in parse.rows:
        if r.counts:
            key = r.project_code if variant != "bracket_name" else r.project_name
            sums[key] = sums.get(key, Decimal(0)) + r.amount  # type: ignore[index]
    assert sums == (COUNTED_BY_NAME if variant == "bracket_name" else COUNTED_BY_CODE)
    assert not [r for r in parse.rows if r.account_code == "5001" and r.counts]
    check = parse.totals_check()
    assert check.ok is True, check.explanation
    assert check.counted == Decimal("1920000.50")
    # 期初余额 and 本期合计 per block (4 blocks)
    assert parse.summary_rows_skipped == 2 * 4


def test_blocks_each_printing_their_own_grand_total_are_summed() -> None:
    parse = read_ledger("a.xlsx", fx.project_ledger(fx.project_ledger_transactions(), "blocks", "合计"))
    check = parse.totals_check()
    assert check.ok is True, check.explanation
    # by hand: debits (220,000.50 + 2,000,000.00) × 2 books; credits 300,000.00 × 2
    assert "各块合计之和 借方 4,440,001.00 元、贷方 600,000.00 元" in check.explanation


def test_a_row_with_its_own_project_keeps_it() -> None:
    rows = [["项目：13020225P00892710002C 乡村振兴科技服务"], ["科目：7201 事业支出"],
            ["日期", "凭证号", "摘要", "项目", "借方", "贷方"],
            ["2025-01-02", "记-1", "设备", "", "100.00", ""],
            ["2025-01-03", "记-2", "差旅", "XM2023-007 科技馆运行经费", "50.00", ""]]
    parse = read_ledger("a.xlsx", fx.xlsx_bytes({"Sheet1": rows}))
    assert [(r.project_code, r.project_name, r.project_ref_raw, r.account_code) for r in parse.rows] == [
        ("13020225P00892710002C", "乡村振兴科技服务", "13020225P00892710002C 乡村振兴科技服务", "7201"),
        ("XM2023-007", "科技馆运行经费", "XM2023-007 科技馆运行经费", "7201")]


@pytest.mark.parametrize("variant", fx.PROJECT_LEDGER_VARIANTS)
def test_a_sheet_whose_project_is_printed_is_not_asked_about(variant: str) -> None:
    parse = read_ledger("a.xlsx", fx.project_ledger(fx.project_ledger_transactions(), variant))
    assert not [f for f in parse.findings if f.code.startswith("question_")]


def test_a_sheet_without_any_project_is_asked_about_once_per_sheet() -> None:
    rows = [["科目：7201 事业支出"], ["日期", "凭证号", "摘要", "借方", "贷方"],
            ["2025-01-02", "记-1", "设备", "100.00", ""], ["2025-01-03", "记-2", "差旅", "50.00", ""]]
    parse = read_ledger("a.xlsx", fx.xlsx_bytes({"设备购置": rows, "差旅": rows}))
    asked = [f for f in parse.findings if f.code == "question_sheet_project"]
    assert [f.message.split("？")[0] for f in asked] == ["工作表“设备购置”属于哪个项目", "工作表“差旅”属于哪个项目"]


def test_an_explicit_mapping_is_the_answer_and_is_not_asked_again() -> None:
    rows = [["支付日期", "用途", "支付金额", "实付金额", "预算项目名称"],
            ["2025-01-02", "设备", "120.00", "100.00", "乡村振兴科技服务"]]
    data = fx.xlsx_bytes({"支付明细": rows})
    asked = read_ledger("a.xlsx", data)
    assert [f.code for f in asked.findings if f.code.startswith("question_")] == ["question_amount_column"]
    assert asked.rows[0].amount == Decimal("120.00")
    answered = read_ledger("a.xlsx", data, mapping={"date": "支付日期", "summary": "用途", "amount": "实付金额",
                                                    "project_name": "预算项目名称"})
    assert not [f for f in answered.findings if f.code.startswith("question_")]
    assert answered.rows[0].amount == Decimal("100.00")


def test_a_printed_page_repeating_the_header_keeps_the_project_and_account() -> None:
    rows = [["项目明细账"], [f"项目：{PA[0]} {PA[1]}"], ["科目：7201 事业支出"],
            ["日期", "凭证号", "摘要", "借方", "贷方"],
            ["2025-01-02", "记-1", "设备", "100.00", ""], ["", "", "过次页", "100.00", ""],
            ["项目明细账"], ["第2页"], ["日期", "凭证号", "摘要", "借方", "贷方"],
            ["", "", "承前页", "100.00", ""], ["2025-01-03", "记-2", "差旅", "50.00", ""]]
    parse = read_ledger("a.xlsx", fx.xlsx_bytes({"Sheet1": rows}))
    assert [(r.voucher, r.project_code, r.account_code, r.counts) for r in parse.rows] == [
        ("记-1", PA[0], "7201", True), ("记-2", PA[0], "7201", True)]
    assert (parse.summary_rows_skipped, parse.note_rows_skipped) == (2, 3)


def test_a_sheet_without_a_project_is_asked_about_with_a_mapping_too() -> None:
    """The mapping names columns; it does not say which project a sheet without one belongs to."""
    rows = [["科目：7201 事业支出"], ["记账日期", "凭证号", "摘要", "借方", "贷方"],
            ["2025-01-02", "记-1", "设备", "100.00", ""]]
    data = fx.xlsx_bytes({"设备购置": rows, "差旅": rows})
    mapped = read_ledger("a.xlsx", data, mapping={"date": "记账日期", "debit": "借方", "credit": "贷方"})
    assert mapped.sheets_without_project == ("设备购置", "差旅")
    assert [f.code for f in mapped.findings if f.code.startswith("question_")] == ["question_sheet_project"] * 2
    assert read_ledger("a.xlsx", data).sheets_without_project == ("设备购置", "差旅")
