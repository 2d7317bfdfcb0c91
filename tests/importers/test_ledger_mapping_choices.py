"""The mapping form's choices: the file's own headers, each with a sample value, for a file
whose layout was recognised (to change it) and for one that was not (to say it)."""

from __future__ import annotations

import pytest

from tests.importers import ledger_fixtures as fx
from tracker.errors import UnrecognisedLayout
from tracker.importers.ledger import read_ledger
from tracker.importers.ledger.header import FIELDS


def test_a_recognised_layout_offers_its_headers_with_a_sample_each() -> None:
    rows = [["支付日期", "用途", "支付金额", "预算项目名称"],
            ["2025-01-02", "设备", "120.00", "乡村振兴科技服务"]]
    parse = read_ledger("a.xlsx", fx.xlsx_bytes({"支付明细": rows}))
    assert parse.header_choices == (("支付日期", "2025-01-02"), ("用途", "设备"), ("支付金额", "120.00"),
                                    ("预算项目名称", "乡村振兴科技服务"))


def test_an_unrecognised_layout_says_which_columns_the_file_has() -> None:
    rows = [["某某单位经费流水"], ["发生时间", "事由", "花费", "备注"],
            ["2025-01-02", "设备", "120.00", ""], ["2025-01-03", "差旅", "80.00", "出差"]]
    data = fx.csv_bytes(rows)
    with pytest.raises(UnrecognisedLayout) as raised:
        read_ledger("a.csv", data)
    assert "请在“列映射”中为各字段选择文件中的列" in str(raised.value)
    assert raised.value.choices == (("发生时间", "2025-01-02"), ("事由", "设备"), ("花费", "120.00"),
                                    ("备注", "出差"))
    parse = read_ledger("a.csv", data, mapping={"date": "发生时间", "summary": "事由", "amount": "花费"})
    assert [(str(r.date), r.summary, str(r.amount)) for r in parse.rows] == [
        ("2025-01-02", "设备", "120.00"), ("2025-01-03", "差旅", "80.00")]


def test_every_canonical_field_has_a_chinese_label() -> None:
    assert all(label and not label.isascii() for label in FIELDS.values())


def test_a_file_without_a_date_or_an_amount_offers_no_mapping() -> None:
    """Nothing a mapping could read: the file is refused as before, without a form."""
    with pytest.raises(UnrecognisedLayout) as raised:
        read_ledger("a.csv", fx.csv_bytes([["说明", "备注"], ["这是", "一个说明"]]))
    assert raised.value.choices == () and "列映射" not in str(raised.value)
    with pytest.raises(UnrecognisedLayout) as dated:
        read_ledger("a.csv", fx.csv_bytes([["时间", "备注"], ["2025-01-02", "一个说明"]]))
    assert dated.value.choices == ()


def test_an_unknown_field_in_a_mapping_lists_the_fields_in_chinese() -> None:
    from tracker.errors import ImportRejected

    with pytest.raises(ImportRejected) as raised:
        read_ledger("a.csv", fx.csv_bytes([["日期", "金额"], ["2025-01-02", "1.00"]]), mapping={"project": "项目"})
    assert "可用字段：日期、年、月、日、凭证号" in str(raised.value) and "voucher" not in str(raised.value)
