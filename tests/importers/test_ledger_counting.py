"""Which rows count as project spending (accounts.py), the ``count_rule`` override, and the
printed-totals check with its explanation."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest

from tests.importers import ledger_fixtures as fx
from tracker.importers.ledger import LedgerParse, read_ledger
from tracker.importers.ledger.accounts import account_class
from tracker.importers.ledger.counting import decide, reason_text
from tracker.importers.ledger.records import LedgerRow, StatedTotal


def counted_total(parse: LedgerParse) -> Decimal:
    return sum((r.amount for r in parse.rows if r.counts), Decimal(0))


def journal(*lines: list[object]) -> bytes:
    return fx.csv_bytes([["日期", "凭证号", "摘要", "科目编码", "科目名称", "借方", "贷方"], *lines])


BOTH_BOOKS = journal(
    ["2023-03-01", "记-1", "拨付", "7201", "事业支出", "100.00", ""],
    ["2023-03-01", "记-1", "拨付", "8001", "资金结存", "", "100.00"],
    ["2023-03-01", "记-1", "拨付", "5001", "业务活动费用", "100.00", ""],
    ["2023-03-01", "记-1", "拨付", "1011", "零余额账户用款额度", "", "100.00"],
)


@pytest.mark.parametrize(("rule", "mode", "total"), [
    (None, "budget", "100.00"), ("auto", "budget", "100.00"), ("budget", "budget", "100.00"),
    ("financial", "financial", "100.00"), ("all", "all", "0.00"),
])
def test_count_rules_on_both_books(rule: str | None, mode: str, total: str) -> None:
    parse = read_ledger("序时账.csv", BOTH_BOOKS, count_rule=rule)
    assert parse.count_mode == mode
    assert counted_total(parse) == Decimal(total)
    counted_accounts = {r.account_code for r in parse.rows if r.counts}
    assert counted_accounts == {"budget": {"7201"}, "financial": {"5001"},
                                "all": {"7201", "8001", "5001", "1011"}}[mode]


def test_default_reasons_for_rows_not_counted() -> None:
    parse = read_ledger("序时账.csv", BOTH_BOOKS)
    reasons = {r.account_code: r.not_counted_reason for r in parse.rows}
    assert reasons == {"7201": None, "8001": "非预算会计支出科目", "5001": "非预算会计支出科目",
                       "1011": "非预算会计支出科目"}


def test_other_budget_expenditure_accounts_are_flagged() -> None:
    data = journal(["2023-03-01", "记-1", "拨付", "7201", "事业支出", "100.00", ""],
                   ["2023-03-02", "记-2", "其他", "7901", "其他支出", "50.00", ""])
    parse = read_ledger("a.csv", data)
    assert counted_total(parse) == Decimal("100.00")
    warning = next(f for f in parse.findings if f.code == "other_budget_accounts")
    assert "7901" in warning.message


def test_ledger_without_any_expenditure_account_counts_nothing() -> None:
    data = journal(["2023-03-01", "记-1", "提现", "1001", "库存现金", "100.00", ""],
                   ["2023-03-01", "记-1", "提现", "1002", "银行存款", "", "100.00"])
    parse = read_ledger("a.csv", data)
    assert parse.count_mode == "none"
    assert counted_total(parse) == 0 and not any(r.counts for r in parse.rows)
    assert any(f.code == "no_expenditure_accounts" for f in parse.findings)


def test_rows_without_account_in_a_budget_ledger() -> None:
    data = journal(["2023-03-01", "记-1", "拨付", "7201", "事业支出", "100.00", ""],
                   ["2023-03-02", "记-2", "不明", "", "", "7.00", ""])
    parse = read_ledger("a.csv", data)
    assert [r.not_counted_reason for r in parse.rows] == [None, "未识别会计科目"]
    assert any(f.code == "rows_without_account" for f in parse.findings)


def test_standard_account_names_without_codes() -> None:
    assert account_class(None, "事业支出") == "budget"
    assert account_class(None, "事业支出/项目支出/科研") == "budget"
    assert account_class(None, "业务活动费用-商品和服务费用") == "expense"
    assert account_class(None, "办公费") == "unknown"
    assert account_class("720101", None) == "budget"
    assert account_class("1011", "零余额账户用款额度") == "other"
    rows = [["日期", "摘要", "科目", "借方", "贷方"], ["2023-03-01", "a", "事业支出", "10", ""],
            ["2023-03-01", "a", "资金结存", "", "10"]]
    parse = read_ledger("a.csv", fx.csv_bytes(rows))
    assert parse.count_mode == "budget" and counted_total(parse) == Decimal("10.00")
    assert parse.rows[0].account_code is None  # flagged, not invented


def test_voided_rows_never_count_whatever_the_rule() -> None:
    data = journal(["2023-03-01", "记-1（作废）", "拨付", "7201", "事业支出", "100.00", ""],
                   ["2023-03-01", "记-2", "[作废]拨付", "7201", "事业支出", "40.00", ""],
                   ["2023-03-01", "记-3", "拨付", "7201", "事业支出", "1.00", ""])
    parse = read_ledger("a.csv", data, count_rule="all")
    assert parse.voided_rows == 2
    assert counted_total(parse) == Decimal("1.00")
    assert [r.not_counted_reason for r in parse.rows] == ["凭证已作废", "凭证已作废", None]


@pytest.mark.parametrize(("status", "counts", "voided", "returned"), [
    ("已支付", True, 0, 0), ("支付成功", True, 0, 0), ("已退回", False, 0, 1), ("退回", False, 0, 1),
    ("已作废", False, 1, 0), ("作废", False, 1, 0), (" 已作废 ", False, 1, 0),
])
def test_payment_statuses(status: str, counts: bool, voided: int, returned: int) -> None:
    rows = [["支付日期", "预算项目名称", "支付金额", "支付状态"], ["2021-05-01", "专项", "10.00", status]]
    parse = read_ledger("p.csv", fx.csv_bytes(rows))
    assert parse.rows[0].counts is counts
    assert (parse.voided_rows, parse.returned_rows) == (voided, returned)
    assert parse.rows[0].status == status.strip()


def test_payment_count_rule_does_not_bring_back_returned_payments() -> None:
    txns = fx.payment_transactions()
    parse = read_ledger("p.xlsx", fx.payment_xlsx(txns), count_rule="all")
    assert counted_total(parse) == sum(fx.counted_by_project(txns, prefixes=("",)).values())


# -- totals check ----------------------------------------------------------------------------

def _row(sheet: str, amount: str, *, counts: bool = True, code: str | None = None) -> LedgerRow:
    value = Decimal(amount)
    reason = None if code is None else reason_text(code, None)
    return LedgerRow(sheet, 2, date(2023, 1, 1), None, None, None, None, None, None, None, None, None, None,
                     None, None, None, value, Decimal("0.00"), value, counts, reason, code)


def _parse(rows: list[LedgerRow], totals: list[StatedTotal], sheets: tuple[str, ...] = ("s",)) -> LedgerParse:
    return LedgerParse(file="f", format="csv", encoding="utf-8", source_kind="ledger", count_mode="budget",
                       sheets=sheets, header_rows={}, mapping={}, sheet_mappings={}, unit_name=None, period=None,
                       period_source=None, rows=tuple(rows), summary_rows_skipped=0, blank_rows_skipped=0,
                       note_rows_skipped=0, voided_rows=0, returned_rows=0, stated_totals=tuple(totals))


def _total(label: str, debit: str, sheet: str = "s") -> StatedTotal:
    return StatedTotal(sheet, 9, label, Decimal(debit), Decimal("0.00"), None)


def test_totals_check_prefers_grand_totals_then_monthly_sums_then_year_to_date() -> None:
    rows = [_row("s", "10"), _row("s", "5")]
    assert _parse(rows, [_total("本年累计", "999"), _total("本月合计", "10"), _total("本月合计", "5")]
                  ).totals_check().ok is True
    assert _parse(rows, [_total("本月合计", "1"), _total("合计", "15")]).totals_check().ok is True
    assert _parse(rows, [_total("合计", "15"), _total("总计", "16")]).totals_check().ok is False
    assert _parse(rows, [_total("本年累计", "3"), _total("本年累计", "15")]).totals_check().ok is True
    assert _parse(rows, [_total("小计", "15")]).totals_check().ok is None


def test_totals_check_explains_a_mismatch() -> None:
    check = _parse([_row("s", "10")], [_total("合计", "12")]).totals_check()
    assert (check.stated, check.parsed, check.ok) == (Decimal("12"), Decimal("10"), False)
    # a 借方 / 贷方 total is compared side by side, and says so
    assert "工作表“s”合计 借方 12.00 元、贷方 0.00 元，所列交易行借方 10.00 元" in check.explanation
    assert "差额 借方 2.00 元" in check.explanation


def test_totals_check_when_the_printed_total_leaves_out_voided_rows() -> None:
    rows = [_row("s", "10"), _row("s", "4", counts=False, code="voided")]
    check = _parse(rows, [_total("合计", "10")]).totals_check()
    assert check.ok is True and check.parsed == Decimal("14") and check.counted == Decimal("10")
    assert "印刷合计不含已退回/已作废的行" in check.explanation


def test_totals_check_sums_over_sheets_that_print_a_total() -> None:
    rows = [_row("a", "10"), _row("b", "7"), _row("c", "1")]
    totals = [_total("本年累计", "10", "a"), _total("合计", "7", "b")]
    check = _parse(rows, totals, ("a", "b", "c")).totals_check()
    assert (check.stated, check.parsed, check.ok) == (Decimal("17"), Decimal("17"), True)


def test_year_to_date_total_of_a_mid_year_export_is_not_held_against_it() -> None:
    rows = [_row("s", "10")]
    mid_year = dataclasses.replace(_parse(rows, [_total("本年累计", "110")]),
                                   period=(date(2023, 7, 1), date(2023, 7, 31)), period_source="stated")
    check = mid_year.totals_check()
    assert check.ok is None and "本年累计" in check.explanation and "未核对" in check.explanation
    from_january = dataclasses.replace(mid_year, period=(date(2023, 1, 1), date(2023, 7, 31)))
    assert from_january.totals_check().ok is False


# -- the count decision (counting.py): one place, a reason code per row that does not count ----

def test_decide_gives_a_reason_code_and_its_words_come_from_the_labels() -> None:
    assert decide("已退回", None, None) == (False, "returned_status")
    assert decide("已作废", None, None) == (False, "voided_status")
    assert decide(None, "记-3作废", None) == (False, "voided")
    assert decide(None, None, "【作废】办公用品") == (False, "voided")
    assert decide(None, None, "报销办公用品（含作废发票重开）") == (True, None)  # a mention, not a mark
    assert decide("已支付", None, None, answers={}) == (True, None)
    assert decide("已受理", None, None, answers={}) == (False, "unanswered_status")
    assert decide("已受理", None, None, answers={"已受理": True}) == (True, None)
    assert decide("已受理", None, None, answers={"已受理": False}) == (False, "returned_status")
    assert decide(None, None, None, account=("budget", "expense")) == (False, "not_budget_account")
    assert decide(None, None, None, account=("financial", "other")) == (False, "not_expense_account")
    assert decide(None, None, None, account=("budget", "unknown")) == (False, "no_account")
    assert decide(None, None, None, account=("all", "unknown")) == (True, None)
    assert reason_text("returned_status", "已退回") == "支付状态为“已退回”，不计入支出"
    assert reason_text("unanswered_status", "已受理") == "支付状态“已受理”是否表示钱已付出尚未确认，暂不计入支出"


def test_rows_carry_the_reason_code_beside_its_words() -> None:
    parse = read_ledger("p.xlsx", fx.payment_xlsx(fx.payment_transactions()))
    not_counted = [r for r in parse.rows if not r.counts]
    assert not_counted and all(r.not_counted_code is not None for r in not_counted)
    assert all(r.not_counted_reason == reason_text(r.not_counted_code, r.status) for r in not_counted)
    assert all(r.not_counted_code is None and r.not_counted_reason is None for r in parse.rows if r.counts)


def test_the_totals_check_knows_excluded_rows_by_code_not_by_words() -> None:
    # a row whose words happen to read 凭证已作废 but whose code is an account rule is not voided
    rows = [_row("s", "10"), _row("s", "4", counts=False, code="not_budget_account")]
    assert _parse(rows, [_total("合计", "10")]).totals_check().ok is False


def test_the_totals_check_finds_the_excluded_rows_of_each_sheet_wherever_they_lie() -> None:
    """Voided and returned rows in several sheets, a sheet's rows in two runs (the excluded rows
    are found once for the file and each run takes its own): each sheet's printed net total
    leaves them out, the others (an account rule, unanswered) stay in."""
    rows = [_row("a", "4", counts=False, code="voided"), _row("a", "10"),
            _row("b", "7"), _row("b", "-2", counts=False, code="returned_status"),
            _row("a", "1", counts=False, code="not_budget_account"), _row("a", "3", counts=False, code="voided_status"),
            _row("c", "5", counts=False, code="voided")]
    totals = [StatedTotal(sheet, 9, "合计", None, None, Decimal(net)) for sheet, net in (("a", "11"), ("b", "7"))]
    check = _parse(rows, totals, ("a", "b", "c")).totals_check()
    assert (check.stated, check.parsed, check.counted, check.ok) == (Decimal("18"), Decimal("23"), Decimal("17"), True)
    assert "其中已退回/已作废 3 行共 5.00 元" in check.explanation  # sheet c prints no total
