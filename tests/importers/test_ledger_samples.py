"""The three sample exports (tests/fixtures/ledgers, copied from the shared samples) against
the hand-worked expected.json: per project, counted spending up to each date."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tracker.importers.ledger import LedgerParse, read_ledger

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "ledgers"
EXPECTED = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))

GRP = "grp_mingxizhang_gaoxinqu_2023.xlsx"
YITIHUA = "yitihua_payments_tangshan_2021H1.xlsx"
SHIZUISHAN = "payments_shizuishan_2025H1_utf8bom.csv"


def read(name: str) -> LedgerParse:
    return read_ledger(name, (FIXTURES / name).read_bytes())


def spent(parse: LedgerParse, key: str, until: date) -> Decimal:
    """Counted spending of a project (matched by code, else by name) up to ``until``."""
    return sum((r.amount for r in parse.rows
                if r.counts and r.date <= until and key in (r.project_code, r.project_name)),
               Decimal(0))


def expectations() -> list[tuple[str, date, str, int]]:
    cases = []
    for name, spec in EXPECTED.items():
        for field_name, per_project in spec.items():
            if field_name.startswith("spent_yuan_"):
                until = date.fromisoformat(field_name.removeprefix("spent_yuan_"))
                cases.extend((name, until, key, value) for key, value in per_project.items())
    return cases


@pytest.mark.parametrize(("name", "until", "key", "yuan"), expectations())
def test_counted_spending_matches_expected_json(name: str, until: date, key: str, yuan: int) -> None:
    assert spent(read(name), key, until) == Decimal(yuan)


def test_every_expected_file_is_covered() -> None:
    assert {case[0] for case in expectations()} == {GRP, YITIHUA, SHIZUISHAN}


def test_grp_detail_ledger() -> None:
    parse = read(GRP)
    assert parse.format == "xlsx"
    assert parse.source_kind == "ledger"
    assert parse.count_mode == "budget"
    assert parse.sheets == ("7201事业支出", "7101行政支出")
    assert parse.header_rows == {"7201事业支出": (3, 4), "7101行政支出": (3, 4)}
    assert parse.mapping["debit"] == "本期发生额/借方"
    assert parse.mapping["credit"] == "本期发生额/贷方"
    assert "amount" not in parse.mapping  # 余额/金额 is the running balance
    assert parse.unit_name == "高新区科技局"
    assert parse.period == (date(2023, 1, 1), date(2023, 12, 31))
    assert parse.period_source == "stated"
    assert len(parse.rows) == 6
    # per sheet: 上年结转 + 本月合计/本年累计 for each month (7201: two months, 7101: one)
    assert parse.summary_rows_skipped == 5 + 3
    assert parse.voided_rows == parse.returned_rows == 0
    by_row = {(r.sheet, r.row): r for r in parse.rows}
    first = by_row[("7201事业支出", 6)]
    assert (first.date, first.voucher, first.account_code, first.account_name) == (
        date(2023, 11, 20), "记-0311", "7201", "事业支出")
    assert (first.project_name, first.functional_class, first.economic_class) == (
        "高新技术企业扶持资金", "2060999", "31204")
    reversal = by_row[("7101行政支出", 7)]
    assert reversal.debit == Decimal("-500000.00") and reversal.amount == Decimal("-500000.00")
    assert reversal.counts
    labels = [(t.sheet, t.row, t.label) for t in parse.stated_totals]
    assert labels == [("7201事业支出", 7, "本月合计"), ("7201事业支出", 8, "本年累计"),
                      ("7201事业支出", 11, "本月合计"), ("7201事业支出", 12, "本年累计"),
                      ("7101行政支出", 9, "本月合计"), ("7101行政支出", 10, "本年累计")]
    check = parse.totals_check()
    assert check.ok is True
    assert check.stated == check.parsed == Decimal("41730000.00")


def test_yitihua_payment_list() -> None:
    parse = read(YITIHUA)
    assert parse.source_kind == "payment_list"
    assert parse.count_mode == "payments"
    assert parse.header_rows == {"支付明细": (2,)}
    assert parse.period == (date(2021, 1, 1), date(2021, 6, 30))
    assert parse.period_source == "stated"
    assert len(parse.rows) == 6
    assert parse.summary_rows_skipped == 1
    assert (parse.voided_rows, parse.returned_rows) == (1, 1)
    statuses = {r.voucher: (r.status, r.counts) for r in parse.rows}
    assert statuses["ZF2021-0005"] == ("已退回", False)
    assert statuses["ZF2021-0006"] == ("已作废", False)
    assert all(counts for status, counts in statuses.values() if status == "已支付")
    returned = next(r for r in parse.rows if r.voucher == "ZF2021-0005")
    assert "退回" in (returned.not_counted_reason or "")
    assert returned.document_no == "冀财教〔2021〕12号"
    assert returned.unit_name == "604002唐山市科学技术局"
    assert parse.stated_totals[0].label == "合计"
    assert parse.stated_totals[0].amount == Decimal("60034000.00")
    check = parse.totals_check()
    assert check.ok is True
    assert check.stated == check.parsed == Decimal("60034000.00")
    assert check.counted == Decimal("58534000.00")
    assert "已退回/已作废 2 行" in check.explanation and "1,500,000.00" in check.explanation


def test_shizuishan_csv_without_period_line() -> None:
    parse = read(SHIZUISHAN)
    assert (parse.format, parse.encoding) == ("csv", "utf-8-sig")
    assert parse.source_kind == "payment_list"
    assert parse.mapping == {"date": "业务日期", "voucher": "凭证编号", "unit_name": "实施单位",
                             "project_name": "项目名称", "summary": "摘要", "amount": "金额（元）"}
    assert parse.period == (date(2025, 2, 26), date(2025, 6, 20))
    assert parse.period_source == "transactions"
    assert any(f.code == "period_from_transactions" for f in parse.findings)
    assert {r.unit_name for r in parse.rows} == {"205001-石嘴山市科学技术局", "205002-石嘴山市科技创新服务中心"}
    assert [r.voucher for r in parse.rows] == ["0021", "0057", "0088", "0064"]
    assert parse.stated_totals == ()
    assert parse.summary_rows_skipped == 0 and parse.blank_rows_skipped == 0
    check = parse.totals_check()
    assert check.ok is None and check.stated is None
    assert check.counted == Decimal("3960500.00")
