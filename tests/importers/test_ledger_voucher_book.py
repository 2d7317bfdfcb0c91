"""金蝶-style 凭证序时簿 with 方向 + 金额 (issue #15): the totals check compares like with like,
whatever shape the printed totals take, and says which totals it checked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.importers import ledger_fixtures as fx
from tracker.importers.ledger import read_ledger

# worked by hand from fx.voucher_book_transactions(): each voucher books its value four times,
# twice 借 and twice 贷; the voided one (700,000.00) is not in the printed totals
SIDE_TOTAL = Decimal("10071604.76")  # 2 × (1,000,000 + 23,456.78 + 3,500,000 + 500,000 + 12,345.60)
COUNTED = {fx.P1[0]: Decimal("1023456.78"), fx.P2[0]: Decimal("3000000.00"),
           fx.P3[0]: Decimal("12345.60")}


@pytest.mark.parametrize("fmt", ["xls", "xlsx"])
@pytest.mark.parametrize("totals", fx.VOUCHER_BOOK_TOTALS)
def test_voucher_book_totals_compared_like_with_like(totals: str, fmt: str) -> None:
    parse = read_ledger(f"凭证序时簿.{fmt}", fx.voucher_book(fx.voucher_book_transactions(), totals, fmt=fmt))
    assert parse.count_mode == "budget"
    assert len(parse.rows) == 6 * 4
    assert parse.voided_rows == 4
    assert (parse.period, parse.period_source) == ((date(2025, 1, 1), date(2025, 10, 31)), "stated")
    sums: dict[str, Decimal] = {}
    for r in parse.rows:
        if r.counts:
            sums[r.project_code or ""] = sums.get(r.project_code or "", Decimal(0)) + r.amount
    assert sums == COUNTED
    check = parse.totals_check()
    assert check.ok is True, check.explanation
    assert check.counted == Decimal("4035802.38")
    assert "不含已退回/已作废" in check.explanation or totals == "signed"
    if totals != "signed":
        assert f"借方 {SIDE_TOTAL:,.2f} 元" in check.explanation
        assert f"贷方 {SIDE_TOTAL:,.2f} 元" in check.explanation


def test_reported_failure_per_direction_totals_are_not_a_signed_sum() -> None:
    """The issue's message: '印刷合计与所读行不一致：合计 -500,000.00 元，所列交易行合计 0.00 元'."""
    txns = [fx.replace(t, voided=False) for t in fx.voucher_book_transactions()[:1]]
    txns = [fx.replace(txns[0], debit=Decimal("250000.00"))]
    parse = read_ledger("序时簿.xls", fx.voucher_book(txns, "per_direction"))
    check = parse.totals_check()
    assert check.ok is True, check.explanation
    assert "借方 500,000.00 元" in check.explanation and "贷方 500,000.00 元" in check.explanation


def test_a_wrong_side_total_is_named_with_its_side() -> None:
    data = fx.voucher_book(fx.voucher_book_transactions(), "per_direction", fmt="xlsx")
    import openpyxl, io
    book = openpyxl.load_workbook(io.BytesIO(data))
    sheet = book.active
    sheet.cell(sheet.max_row, 8).value = "1.00"  # the 贷 合计
    buffer = io.BytesIO()
    book.save(buffer)
    check = read_ledger("a.xlsx", buffer.getvalue()).totals_check()
    assert check.ok is False
    assert "贷方 1.00 元" in check.explanation
    assert f"所列交易行借方 {Decimal('11471604.76'):,.2f} 元、贷方 {Decimal('11471604.76'):,.2f} 元" \
        in check.explanation


def test_monthly_period_totals_are_summed_not_the_last_month_only() -> None:
    parse = read_ledger("a.xlsx", fx.voucher_book(fx.voucher_book_transactions(), "monthly", fmt="xlsx"))
    check = parse.totals_check()
    assert check.ok is True
    assert "本期合计之和" in check.explanation
    # 6 months × (本期合计 借/贷 + 本年累计 借/贷)
    assert parse.summary_rows_skipped == 6 * 4


@pytest.mark.parametrize("fmt", ["xls", "xlsx"])
def test_voucher_book_with_debit_and_credit_columns(fmt: str) -> None:
    """金蝶 凭证序时簿 with 借方金额 / 贷方金额: the same answers as the 方向 + 金额 print."""
    data = fx.voucher_book(fx.voucher_book_transactions(), fmt=fmt, columns=True)
    parse = read_ledger(f"凭证序时簿.{fmt}", data)
    assert parse.mapping["debit"] == "借方金额" and "direction" not in parse.mapping
    assert len(parse.rows) == 24 and parse.voided_rows == 4
    sums: dict[str, Decimal] = {}
    for r in parse.rows:
        if r.counts:
            sums[r.project_code or ""] = sums.get(r.project_code or "", Decimal(0)) + r.amount
    assert sums == COUNTED
    check = parse.totals_check()
    assert check.ok is True, check.explanation
    assert f"借方 {SIDE_TOTAL:,.2f} 元、贷方 {SIDE_TOTAL:,.2f} 元" in check.explanation
