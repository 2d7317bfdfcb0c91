"""Every layout of DOMAIN.md §4, built by ledger_fixtures from one list of transactions: the
reader must find the same rows, the same counted spending and the right skipped rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.importers import ledger_fixtures as fx
from tracker.importers.ledger import LedgerParse, read_ledger


def counted(parse: LedgerParse, until: date | None = None) -> dict[str, Decimal]:
    sums: dict[str, Decimal] = {}
    for r in parse.rows:
        if r.counts and (until is None or r.date <= until):
            key = r.project_code or r.project_name or ""
            sums[key] = sums.get(key, Decimal(0)) + r.amount
    return sums


def by_name(sums: dict[str, Decimal]) -> dict[str, Decimal]:
    names = {code: name for code, name in (fx.P1, fx.P2, fx.P3)}
    return {names.get(key, key): value for key, value in sums.items()}


# -- 用友 明细账 ----------------------------------------------------------------------------

@pytest.mark.parametrize("variant", fx.YONYOU_VARIANTS)
def test_yonyou_detail_ledger_variants(variant: str) -> None:
    txns = fx.budget_ledger_transactions()
    parse = read_ledger(f"明细账_{variant}.xlsx", fx.yonyou_detail_ledger(txns, variant))
    assert parse.source_kind == "ledger"
    assert parse.count_mode == "budget"
    assert parse.sheets == ("7201事业支出", "7101行政支出")
    assert parse.header_rows == {"7201事业支出": (3, 4), "7101行政支出": (3, 4)}
    assert parse.unit_name == "高新区科技局"
    assert (parse.period, parse.period_source) == ((date(2023, 1, 1), date(2023, 12, 31)), "stated")
    assert len(parse.rows) == len(txns)
    assert [r.date for r in parse.rows if r.sheet == "7101行政支出"] == [date(2023, 4, 10), date(2023, 6, 12)]
    assert {(r.account_code, r.account_name) for r in parse.rows} == {("7201", "事业支出"), ("7101", "行政支出")}
    expected = fx.counted_by_project(txns)
    if variant == "month_day_period":  # this layout prints project names only
        assert counted(parse) == by_name(expected)
    else:
        assert counted(parse) == expected
    assert counted(parse, date(2023, 3, 31)) == (by_name if variant == "month_day_period" else dict)(
        fx.counted_by_project(txns, date(2023, 3, 31)))
    # 上年结转 per sheet, 本月合计 + 本年累计 per month (3 months in 7201, 2 in 7101)
    assert parse.summary_rows_skipped == 2 + 2 * (3 + 2)
    assert parse.note_rows_skipped == 2  # the 制表人 footers
    assert parse.blank_rows_skipped == 2
    assert parse.voided_rows == 1
    voided = next(r for r in parse.rows if not r.counts)
    assert voided.not_counted_reason == "凭证已作废"
    assert voided.amount == Decimal("700000.00")
    check = parse.totals_check()
    assert check.ok is True
    assert check.counted == sum(expected.values())
    assert parse.totals_check() is check  # one pass over the rows, however often it is asked


def test_two_row_header_labels_and_balance_columns_ignored() -> None:
    parse = read_ledger("a.xlsx", fx.yonyou_detail_ledger(fx.budget_ledger_transactions()))
    assert parse.mapping == {"date": "日期", "voucher": "凭证号", "summary": "摘要",
                             "project_ref": "辅助核算", "debit": "本期发生额/借方",
                             "credit": "本期发生额/贷方"}


def test_year_only_in_merged_parent_cell() -> None:
    parse = read_ledger("a.xlsx", fx.yonyou_detail_ledger(fx.budget_ledger_transactions(),
                                                          "year_parent_month_day",
                                                          period="2023年度"))
    assert parse.mapping["month"] == "2023年/月"
    assert parse.mapping["voucher_word"] == "凭证/字"
    assert parse.rows[0].date == date(2023, 3, 15)
    assert parse.rows[0].voucher == "记-31"  # 字 and a numeric 号 joined


def test_month_day_dates_take_the_year_of_the_period_line() -> None:
    txns = [fx.replace(t, day=t.day.replace(year=2024)) for t in fx.budget_ledger_transactions()]
    data = fx.yonyou_detail_ledger(txns, "month_day_period", period="2024.01-2024.06")
    parse = read_ledger("a.xlsx", data)
    assert parse.period == (date(2024, 1, 1), date(2024, 6, 30))
    assert {r.date.year for r in parse.rows} == {2024}
    assert not [f for f in parse.findings if f.code == "date_outside_period"]


def test_month_day_dates_across_a_year_end_period() -> None:
    txns = [fx.replace(fx.budget_ledger_transactions()[0], day=date(2023, 12, 20)),
            fx.replace(fx.budget_ledger_transactions()[1], day=date(2024, 1, 8))]
    data = fx.yonyou_detail_ledger(txns, "month_day_period", period="2023年12月-2024年1月")
    parse = read_ledger("a.xlsx", data)
    assert sorted(r.date for r in parse.rows) == [date(2023, 12, 20), date(2024, 1, 8)]


def test_month_day_without_any_year_uses_the_year_argument() -> None:
    data = fx.yonyou_detail_ledger(fx.budget_ledger_transactions(), "month_day_period", period="")
    parse = read_ledger("a.xlsx", data, year=2023)
    assert parse.rows[0].date == date(2023, 3, 15)
    assert parse.period_source == "transactions"


def test_page_break_rows_are_skipped() -> None:
    txns = fx.budget_ledger_transactions()
    parse = read_ledger("a.xlsx", fx.yonyou_detail_ledger(txns, with_page_break=True))
    assert len(parse.rows) == len(txns)
    # 过次页 + 承前页 per sheet on top of the usual summary rows
    assert parse.summary_rows_skipped == 2 + 2 * (3 + 2) + 2 * 2
    assert counted(parse) == fx.counted_by_project(txns)


def test_auxiliary_text_with_several_dimensions() -> None:
    rows = [["日期", "凭证号", "摘要", "科目", "辅助核算", "借方", "贷方"],
            ["2023-05-06", "记-1", "支付评审费", "7201 事业支出",
             "部门：综合科；项目：604002B17DX0003 科技型中小企业创新资金；功能分类：2060404 科技成果转化", 100, ""],
            ["2023-05-07", "记-2", "支付差旅费", "7201 事业支出", "部门：综合科", 50, ""]]
    parse = read_ledger("aux.xlsx", fx.xlsx_bytes({"Sheet1": rows}))
    first, second = parse.rows
    assert (first.project_code, first.project_name) == fx.P1
    assert first.project_ref_raw.startswith("部门：综合科；项目：")  # type: ignore[union-attr]
    assert first.functional_class == "2060404 科技成果转化"
    assert (second.project_code, second.project_name) == (None, None)
    assert (first.account_code, first.account_name) == ("7201", "事业支出")


# -- 金蝶 序时账 ----------------------------------------------------------------------------

@pytest.mark.parametrize("variant", fx.KINGDEE_VARIANTS)
def test_kingdee_journal_counts_one_book_only(variant: str) -> None:
    txns = fx.budget_ledger_transactions()
    parse = read_ledger("序时账.xlsx", fx.kingdee_journal(txns, variant))
    assert parse.source_kind == "ledger"
    assert parse.count_mode == "budget"
    assert parse.mapping["direction"] == "方向" and parse.mapping["amount"] == "金额"
    assert parse.unit_name == "001 高新区科技局2023"
    assert parse.period == (date(2023, 1, 1), date(2023, 12, 31))
    assert len(parse.rows) == 4 * len(txns)
    assert counted(parse) == fx.counted_by_project(txns)
    # continuation lines of a voucher inherit its date and number
    lines = [r for r in parse.rows if r.voucher == "记-0031"]
    assert len(lines) == 4 and {r.date for r in lines} == {date(2023, 3, 15)}
    assert any(f.code == "date_carried" for f in parse.findings)
    expense = next(r for r in lines if (r.account_code or "").startswith("5"))
    assert (expense.counts, expense.not_counted_reason) == (False, "非预算会计支出科目")
    assert any(f.code == "parallel_books" for f in parse.findings)
    recovered = next(r for r in parse.rows if r.voucher == "记-0099" and r.counts)
    assert (recovered.debit, recovered.credit, recovered.amount) == (
        Decimal("0.00"), Decimal("1000000.00"), Decimal("-1000000.00"))
    assert parse.voided_rows == 4  # all four lines of the voided voucher
    assert parse.summary_rows_skipped == 1  # the closing 合计


def test_kingdee_account_path_names_keep_the_full_code() -> None:
    parse = read_ledger("序时账.xlsx", fx.kingdee_journal(fx.budget_ledger_transactions(), "combined_account"))
    first = parse.rows[0]
    assert (first.account_code, first.account_name) == ("720101", "事业支出-项目支出")


def test_financial_book_only_counts_expense_debits_net_of_credits() -> None:
    rows = [["日期", "凭证号", "摘要", "科目编码", "科目名称", "项目", "借方金额", "贷方金额"],
            ["2023-02-01", "记-1", "支付评审费", "5001", "业务活动费用", "XM1 评审项目", "1,000.00", ""],
            ["2023-02-01", "记-1", "支付评审费", "1011", "零余额账户用款额度", "", "", "1,000.00"],
            ["2023-02-09", "记-2", "冲减评审费", "5001", "业务活动费用", "XM1 评审项目", "", "200.00"],
            ["2023-02-09", "记-2", "冲减评审费", "1011", "零余额账户用款额度", "", "200.00", ""]]
    parse = read_ledger("fin.csv", fx.csv_bytes(rows))
    assert parse.count_mode == "financial"
    assert counted(parse) == {"XM1": Decimal("800.00")}
    assert {r.not_counted_reason for r in parse.rows if not r.counts} == {"非费用类科目"}


# -- payment lists in every container ------------------------------------------------------

PAYMENT_FORMATS = {
    "xlsx_text_amounts": ("支付.xlsx", lambda t: fx.payment_xlsx(t), "xlsx", None),
    "xlsx_numeric_amounts": ("支付.xlsx", lambda t: fx.payment_xlsx(t, amount_text=False), "xlsx", None),
    "csv_gbk": ("支付.csv", lambda t: fx.payment_csv(t, "gbk"), "csv", "gb18030"),
    "csv_gb18030": ("支付.csv", lambda t: fx.payment_csv(t, "gb18030"), "csv", "gb18030"),
    "csv_utf8_bom": ("支付.csv", lambda t: fx.payment_csv(t, "utf-8-sig"), "csv", "utf-8-sig"),
    "csv_utf8_tab": ("支付.txt", lambda t: fx.payment_csv(t, "utf-8", "\t", line_end="\n"), "csv", "utf-8"),
    "csv_utf16_tab": ("支付.xls", lambda t: fx.payment_csv(t, "utf-16", "\t"), "csv", "utf-16"),
    "html_as_xls": ("支付.xls", lambda t: fx.html_xls(fx.payment_rows(t)), "html", "gb18030"),
    "html_utf8": ("支付.xls", lambda t: fx.html_xls(fx.payment_rows(t), encoding="utf-8"), "html", "utf-8"),
    "biff8_xls": ("支付.xls", lambda t: fx.payment_biff(t), "xls", None),
    "xlsx_named_xls": ("支付.xls", lambda t: fx.payment_xlsx(t), "xlsx", None),
}


@pytest.mark.parametrize("name", sorted(PAYMENT_FORMATS))
def test_payment_list_in_every_format(name: str) -> None:
    filename, build, fmt, encoding = PAYMENT_FORMATS[name]
    txns = fx.payment_transactions()
    parse = read_ledger(filename, build(txns))
    assert (parse.format, parse.encoding) == (fmt, encoding)
    assert parse.source_kind == "payment_list"
    assert parse.period == (date(2021, 1, 1), date(2021, 6, 30))
    assert len(parse.rows) == len(txns)
    assert counted(parse) == fx.counted_by_project(txns, prefixes=("",))
    assert counted(parse, date(2021, 3, 31)) == {fx.P1[0]: Decimal("1178000.00")}
    assert (parse.voided_rows, parse.returned_rows) == (1, 1)
    assert parse.summary_rows_skipped == 1
    reversal = next(r for r in parse.rows if r.voucher == "ZF2021-0007")
    assert reversal.amount == Decimal("-2345.67") and reversal.counts
    assert next(r for r in parse.rows if r.voucher == "ZF2021-0009").amount == Decimal("0.50")
    row = next(r for r in parse.rows if r.voucher == "ZF2021-0001")
    assert (row.row, row.date, row.project_code, row.project_name) == (3, date(2021, 5, 18), *fx.P2)
    assert (row.document_no, row.fund_nature, row.status) == ("冀财教〔2021〕12号", "一般公共预算资金", "已支付")
    assert (row.functional_class, row.economic_class) == ("2060404科技成果转化与扩散", "31204费用补贴")
    check = parse.totals_check()
    assert check.ok is True
    assert check.stated == check.parsed == sum((t.debit for t in txns), Decimal(0))
    assert check.counted == check.parsed - Decimal("1500000.00")


def test_html_table_with_merged_two_row_header() -> None:
    rows = [["明细账"], ["期间：2023年01月01日至2023年06月30日"],
            ["日期", "凭证号", "摘要", "项目", "本期发生额", None, "余额", None],
            [None, None, None, None, "借方", "贷方", "方向", "金额"],
            ["2023-03-15", "记-0031", "拨付创新资金", "604002B17DX0003 科技型中小企业创新资金", "1,178,000.00", "",
             "借", "1,178,000.00"],
            ["", "", "本期合计", "", "1,178,000.00", "0.00", "借", "1,178,000.00"]]
    spans = {(2, 0): (2, 1), (2, 1): (2, 1), (2, 2): (2, 1), (2, 3): (2, 1), (2, 4): (1, 2), (2, 6): (1, 2),
             (0, 0): (1, 8), (1, 0): (1, 8)}
    parse = read_ledger("明细账.xls", fx.html_xls(rows, header_spans=spans))
    assert parse.format == "html"
    assert parse.header_rows == {"表格1": (3, 4)}
    assert parse.period == (date(2023, 1, 1), date(2023, 6, 30))
    assert parse.mapping["debit"] == "本期发生额/借方"
    assert len(parse.rows) == 1 and parse.rows[0].project_code == fx.P1[0]
    assert parse.totals_check().ok is True


def test_real_xls_read_through_xlrd_when_calamine_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    from python_calamine import CalamineError

    from tracker.importers.ledger import sources

    def refuse(_: object) -> None:
        raise CalamineError("simulated")

    monkeypatch.setattr(sources.CalamineWorkbook, "from_filelike", refuse)
    txns = fx.payment_transactions()
    parse = read_ledger("支付.xls", fx.payment_biff(txns))
    assert parse.format == "xls"
    assert counted(parse) == fx.counted_by_project(txns, prefixes=("",))
    assert parse.rows[0].date == date(2021, 5, 18)


def test_biff_fixture_is_read_identically_by_xlrd_and_calamine() -> None:
    import io

    import xlrd
    from python_calamine import CalamineWorkbook

    data = fx.payment_biff(fx.payment_transactions())
    book = xlrd.open_workbook(file_contents=data)
    by_xlrd = [book.sheet_by_index(0).row_values(r)[:2] for r in range(book.sheet_by_index(0).nrows)]
    by_calamine = [row[:2] for row in CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).iter_rows()]
    assert by_xlrd == by_calamine
    assert book.sheet_by_index(0).cell_type(2, 10) == xlrd.XL_CELL_DATE


def test_payment_list_without_status_counts_everything_and_says_so() -> None:
    rows = [["业务日期", "凭证编号", "项目名称", "摘要", "金额（元）"],
            ["2025-02-26", "0021", "专项业务经费", "会务费", "8,500.00"]]
    parse = read_ledger("p.csv", fx.csv_bytes(rows, "utf-8-sig"))
    assert parse.rows[0].counts
    assert any(f.code == "no_status_column" for f in parse.findings)


def test_amounts_in_wan_yuan_are_converted() -> None:
    rows = [["单位：万元"], ["支付日期", "项目名称", "支付金额"], ["2025-03-01", "专项", "12.3456"]]
    parse = read_ledger("p.csv", fx.csv_bytes(rows))
    assert parse.rows[0].amount == Decimal("123456.00")
    assert any(f.code == "amount_scaled" for f in parse.findings)


def test_an_unknown_status_does_not_count_until_answered() -> None:
    """DOMAIN §4: when a status is unknown, do not guess: the preview asks, and the answer counts."""
    txns = [fx.replace(fx.payment_transactions()[0], status="已受理"),
            fx.replace(fx.payment_transactions()[1], status="已受理")]
    data = fx.payment_xlsx(txns)
    parse = read_ledger("p.xlsx", data)
    assert [r.counts for r in parse.rows] == [False, False]
    assert parse.rows[0].not_counted_reason == "支付状态“已受理”是否表示钱已付出尚未确认，暂不计入支出"
    assert parse.unknown_statuses == {"已受理": 2}
    assert [f.code for f in parse.findings if "已受理" in f.message] == ["unusual_status"]
    assert parse.returned_rows == 0
    paid = read_ledger("p.xlsx", data, status_answers={"已受理": True})
    assert [r.counts for r in paid.rows] == [True, True]
    assert paid.counted_total == sum((t.debit for t in txns), Decimal(0))
    assert [f.code for f in paid.findings if "已受理" in f.message] == ["status_answered"]
    unpaid = read_ledger("p.xlsx", data, status_answers={"已受理": False})
    assert [r.not_counted_reason for r in unpaid.rows] == ["支付状态为“已受理”，不计入支出"] * 2
    assert unpaid.returned_rows == 2 and unpaid.unknown_statuses == {"已受理": 2}


@pytest.mark.parametrize("status", ["支付失败", "已退票", "退款", "待支付", "审核中", "已撤销"])
def test_money_that_did_not_leave_does_not_count(status: str) -> None:
    """DOMAIN §4: returned, refunded, voided, failed or pending payments do not count."""
    txns = [fx.replace(fx.payment_transactions()[0], status=status)]
    parse = read_ledger("p.xlsx", fx.payment_xlsx(txns))
    assert not parse.rows[0].counts
    assert parse.rows[0].not_counted_reason == f"支付状态为“{status}”，不计入支出"
    assert not [f for f in parse.findings if f.code == "unusual_status"]


def test_parenthesised_and_fullwidth_negative_amounts() -> None:
    rows = [["支付日期", "项目名称", "支付金额"], ["2025-03-01", "专项", "(1,234.50)"],
            ["2025-03-02", "专项", "－200.00"], ["2025-03-03", "专项", "￥1,000.00"], ["2025-03-04", "专项", "-"]]
    parse = read_ledger("p.csv", fx.csv_bytes(rows, "gbk"))
    assert [r.amount for r in parse.rows] == [Decimal("-1234.50"), Decimal("-200.00"), Decimal("1000.00"),
                                              Decimal("0.00")]


def test_float_cells_round_to_cents_and_flag_real_fractions() -> None:
    # 0.1 + 0.2 is float noise; 1234.567 really has three decimals (flagged); 2.675 is stored
    # as 2.67499999… but printed 2.675, and rounds half-up from the printed value.
    rows = [["支付日期", "项目名称", "支付金额"], ["2025-03-01", "专项", 0.1 + 0.2], ["2025-03-02", "专项", 1234.567],
            ["2025-03-03", "专项", 123456789012.34], ["2025-03-04", "专项", 2.675]]
    parse = read_ledger("p.xlsx", fx.xlsx_bytes({"s": rows}))
    assert [r.amount for r in parse.rows] == [Decimal("0.30"), Decimal("1234.57"), Decimal("123456789012.34"),
                                              Decimal("2.68")]
    rounded = [f for f in parse.findings if f.code == "amount_rounded"]
    assert len(rounded) == 1 and "第3行" in rounded[0].location and "共 2 处" in rounded[0].message


def test_dates_in_every_printed_form() -> None:
    rows = [["记账日期", "项目名称", "支付金额"], ["2025/3/1", "专项", "1"], ["2025.03.02", "专项", "1"],
            ["2025年3月3日", "专项", "1"], ["20250304", "专项", "1"], ["2025-03-05 10:22:01", "专项", "1"],
            ["２０２５－０３－０６", "专项", "1"]]
    parse = read_ledger("p.csv", fx.csv_bytes(rows))
    assert [r.date for r in parse.rows] == [date(2025, 3, d) for d in range(1, 7)]


def test_excel_date_cells_and_serial_numbers() -> None:
    rows = [["支付日期", "项目名称", "支付金额"], [date(2025, 3, 1), "专项", 1], [45717, "专项", 1]]
    parse = read_ledger("p.xlsx", fx.xlsx_bytes({"s": rows}))
    assert [r.date for r in parse.rows] == [date(2025, 3, 1), date(2025, 3, 1)]


def test_separate_year_month_day_columns() -> None:
    rows = [["年", "月", "日", "凭证号", "摘要", "借方", "贷方"], [2023, 5, 6, "记-1", "支付", 10, None],
            [2023, 12, 31, "记-2", "支付", 5, None]]
    parse = read_ledger("a.xlsx", fx.xlsx_bytes({"7201事业支出": rows}))
    assert [r.date for r in parse.rows] == [date(2023, 5, 6), date(2023, 12, 31)]
    assert parse.rows[0].account_code == "7201"  # from the sheet name


def test_every_sheet_of_a_workbook_is_read_and_empty_or_foreign_sheets_are_noted() -> None:
    header = ["日期", "摘要", "借方", "贷方"]
    data = fx.xlsx_bytes({"说明": [["本表由财务系统导出"]], "7201事业支出": [header, ["2023-01-05", "a", 1, None]],
                          "空表": [], "7101行政支出": [header, ["2023-01-06", "b", 2, None]]})
    parse = read_ledger("a.xlsx", data)
    assert parse.sheets == ("7201事业支出", "7101行政支出")
    skipped = [f for f in parse.findings if f.code == "sheet_skipped"]
    assert len(skipped) == 1 and "工作表 说明" in skipped[0].location
    assert sum(r.amount for r in parse.rows if r.counts) == Decimal("3.00")


def test_explicit_mapping_reads_an_unusual_layout() -> None:
    rows = [["流水号", "入账时间", "款项说明", "对应项目", "实际发生数"],
            ["A1", "2024-01-09", "评审费", "XM1 评审", "99.00"]]
    mapping = {"voucher": "流水号", "date": "入账时间", "summary": "款项说明", "project_ref": "对应项目",
               "amount": "实际发生数"}
    parse = read_ledger("odd.csv", fx.csv_bytes(rows), mapping=mapping)
    row = parse.rows[0]
    assert (row.voucher, row.date, row.summary, row.project_code, row.amount) == (
        "A1", date(2024, 1, 9), "评审费", "XM1", Decimal("99.00"))
    assert parse.mapping == mapping


def test_explicit_mapping_can_name_a_two_row_header_column() -> None:
    data = fx.yonyou_detail_ledger(fx.budget_ledger_transactions())
    mapping = {"date": "日期", "summary": "摘要", "debit": "本期发生额/借方", "credit": "贷方"}
    parse = read_ledger("a.xlsx", data, mapping=mapping)
    assert parse.header_rows["7201事业支出"] == (3, 4)
    assert parse.rows[0].voucher is None  # not mapped
    assert parse.rows[0].debit == Decimal("1178000.00")


def test_source_kind_override() -> None:
    rows = [["日期", "摘要", "金额"], ["2024-01-09", "评审费", "99.00"]]
    parse = read_ledger("a.csv", fx.csv_bytes(rows), source_kind="ledger")
    assert parse.source_kind == "ledger"
    assert parse.count_mode == "all"  # no account information: every row, with a warning
    assert any(f.code == "no_accounts" for f in parse.findings)


def test_formula_free_text_in_a_summary_mentioning_void_is_flagged_not_dropped() -> None:
    rows = [["日期", "摘要", "借方", "贷方"], ["2024-01-09", "收回作废支票款", "10", ""]]
    parse = read_ledger("7201.csv", fx.csv_bytes(rows))
    assert parse.rows[0].counts
    assert any(f.code == "summary_mentions_void" for f in parse.findings)


def test_rows_sheet_and_row_numbers_match_the_file_with_leading_blank_rows_and_columns() -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "支付"
    sheet["C3"], sheet["D3"], sheet["E3"] = "支付日期", "项目名称", "支付金额"
    sheet["C5"], sheet["D5"], sheet["E5"] = "2024-01-09", "专项", "1,0x0.00"
    data = fx._save(workbook)
    with pytest.raises(Exception) as caught:
        read_ledger("a.xlsx", data)
    assert caught.value.location == "文件 a.xlsx 工作表 支付 第5行 第5列（支付金额） 单元格E5"  # type: ignore[attr-defined]


def test_dates_outside_the_stated_period_are_flagged_with_their_rows() -> None:
    txns = fx.payment_transactions()
    late = fx.replace(txns[0], voucher="ZF2021-0099", day=date(2021, 7, 2))
    parse = read_ledger("p.xlsx", fx.payment_xlsx([*txns, late, late]))
    assert len(parse.rows) == len(txns) + 2  # kept and counted: flagged, not fixed
    outside = [f for f in parse.findings if f.code == "date_outside_period"]
    assert len(outside) == 1
    assert "2021-01-01至2021-06-30" in outside[0].message and "共 2 处" in outside[0].message
    assert "第11行 第11列（支付日期）" in outside[0].location


def test_a_total_row_with_a_date_is_still_a_total() -> None:
    rows = [["支付申请编号", "支付日期", "项目名称", "支付金额"], ["ZF1", "2021-05-01", "专项", "10.00"],
            ["合计", "2021-06-30", "", "10.00"], ["本 月 合 计", "", "", "10.00"]]
    parse = read_ledger("p.csv", fx.csv_bytes(rows))
    assert len(parse.rows) == 1 and parse.summary_rows_skipped == 2
    assert [t.label for t in parse.stated_totals] == ["合计", "本月合计"]
    assert parse.totals_check().ok is True


def test_a_summary_that_only_starts_with_a_summary_word_is_a_transaction() -> None:
    rows = [["日期", "摘要", "借方", "贷方"], ["2023-01-05", "上年结转资金拨付", "10", ""],
            ["2023-01-06", "合计：", "10", ""]]
    parse = read_ledger("7201.csv", fx.csv_bytes(rows))
    assert [r.summary for r in parse.rows] == ["上年结转资金拨付"]
    assert parse.summary_rows_skipped == 1


@pytest.mark.parametrize(("printed", "label"), [
    ("期初余额", None), ("上年结转", None), ("本月合计", "本月合计"), ("本期合计", "本期合计"),
    ("本年累计", "本年累计"), ("合计", "合计"), ("小计", "小计"), ("总计", "总计"), ("承前页", None),
    ("过次页", None), ("合  计", "合计"), ("【本月合计】", "本月合计"), ("本年累计（1-12月）", "本年累计"),
    ("12月合计", "本月合计"), ("2023年合计", "合计"),
])
def test_every_summary_word_is_skipped(printed: str, label: str | None) -> None:
    rows = [["日期", "凭证号", "摘要", "借方", "贷方"], ["2023-01-05", "记-1", "拨付", "10.00", ""],
            ["", "", printed, "10.00", "0.00"], [], ["2023-01-06", "记-2", "拨付", "5.00", ""]]
    parse = read_ledger("7201事业支出.csv", fx.csv_bytes(rows))
    assert [r.voucher for r in parse.rows] == ["记-1", "记-2"]
    assert (parse.summary_rows_skipped, parse.blank_rows_skipped) == (1, 1)
    assert [t.label for t in parse.stated_totals] == ([label] if label else [])
    if label:
        assert parse.stated_totals[0].row == 3 and parse.stated_totals[0].debit == Decimal("10.00")


def test_row_and_column_numbers_in_a_biff_sheet_with_leading_blank_rows_and_columns() -> None:
    rows = [[], [], [None, "支付日期", "项目名称", "支付金额"], [None, "2024-01-09", "专项", "1,0x0.00"]]
    with pytest.raises(Exception) as caught:
        read_ledger("a.xls", fx.biff8_workbook([fx.BiffSheet("支付", rows)]))
    assert caught.value.location == "文件 a.xls 工作表 支付 第4行 第4列（支付金额） 单元格D4"  # type: ignore[attr-defined]
