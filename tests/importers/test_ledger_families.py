"""Layout families of issue #15 (ledger_families.py), each read with its answer worked by hand:
rows listed and counted, spending per project, the period, and the totals check."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.importers import ledger_families as lf
from tracker.importers.ledger import LedgerParse, read_ledger

H1 = (date(2025, 1, 1), date(2025, 6, 30))


def counted(parse: LedgerParse, key: str = "project_code") -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for r in parse.rows:
        if r.counts:
            sums[getattr(r, key)] = sums.get(getattr(r, key), Decimal(0)) + r.amount
    return sums


@pytest.mark.parametrize("layout", ["用友辅助明细账", "用友序时账", "金蝶明细分类账", "浪潮明细账"])
def test_ledgers_of_both_books_count_the_budget_book(layout: str) -> None:
    name, data = lf.build(layout)
    parse = read_ledger(name, data)
    assert (parse.source_kind, parse.count_mode) == ("ledger", "budget")
    assert len(parse.rows) == 12 and sum(r.counts for r in parse.rows) == 6
    assert (parse.period, parse.period_source) == (H1, "stated")
    assert counted(parse) == lf.LEDGER_COUNTED
    check = parse.totals_check()
    assert check.ok is True, check.explanation
    # by hand: debits (220,000.50 + 2,000,000.00 + 45,678.90) × 2 books, credits 300,000.00 × 2
    assert "借方 4,531,358.80 元、贷方 600,000.00 元" in check.explanation or layout == "金蝶明细分类账"
    assert any(f.code == "parallel_books" for f in parse.findings)


def test_kingdee_subsidiary_ledger_checks_each_account_sheet() -> None:
    parse = read_ledger(*lf.build("金蝶明细分类账"))
    explanation = parse.totals_check().explanation
    assert "工作表“7201事业支出”本期合计之和 借方 2,220,000.50 元、贷方 300,000.00 元" in explanation
    assert "工作表“7101行政支出”本期合计 借方 45,678.90 元、贷方 0.00 元" in explanation
    assert parse.summary_rows_skipped == 4 + 2 * (5 + 5 + 1 + 1)  # 期初余额 per sheet; 2 per month


def test_month_totals_printed_as_n_month_are_monthly() -> None:
    """浪潮 prints "1月合计" … "6月合计": monthly totals to be summed, not the last one alone."""
    parse = read_ledger(*lf.build("浪潮明细账"))
    assert {t.label for t in parse.stated_totals} == {"本月合计"}
    assert "本月合计之和" in parse.totals_check().explanation


@pytest.mark.parametrize(("layout", "key", "period_source"), [
    ("广东式支付明细", "project_code", "stated"),
    ("山东式清算明细", "project_name", "stated"),
    ("四川式支付明细", "project_code", "transactions"),
])
def test_payment_lists_of_three_provinces(layout: str, key: str, period_source: str) -> None:
    name, data = lf.build(layout)
    parse = read_ledger(name, data)
    assert parse.source_kind == "payment_list"
    assert len(parse.rows) == 6 and sum(r.counts for r in parse.rows) == 4
    assert (parse.voided_rows, parse.returned_rows) == (1, 1)
    expected = lf.PAYMENTS_COUNTED if key == "project_code" else lf.as_names(lf.PAYMENTS_COUNTED)
    assert counted(parse, key) == expected
    assert parse.period_source == period_source
    if period_source == "stated":
        assert parse.period == H1
    assert not [f for f in parse.findings if f.code in ("unusual_status", "no_status_column")]
    check = parse.totals_check()
    if layout == "山东式清算明细":  # prints no total
        assert check.ok is None
    else:  # the 合计 includes the returned and voided rows (2,585,679.40)
        assert check.ok is True and check.stated == Decimal("2585679.40")


def test_amounts_in_wan_yuan_under_a_two_row_header() -> None:
    parse = read_ledger(*lf.build("广东式支付明细"))
    assert parse.mapping["project_code"] == "预算项目/编码" and parse.mapping["project_name"] == "预算项目/名称"
    assert parse.rows[2].amount == Decimal("80000.50")
    assert any(f.code == "amount_scaled" for f in parse.findings)
