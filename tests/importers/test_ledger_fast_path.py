"""The columnar fast path (columnar.py) reads exactly what the row-by-row reader reads: same
rows, counts, findings in the same order, stated totals and totals check — on every layout it
accepts — and hands every other file to the row reader, errors included."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from tests.importers import ledger_fixtures as fx
from tracker.errors import ImportRejected
from tracker.importers.ledger import LedgerParse, arrow_arrays, columnar, read_ledger
from tracker.importers.ledger.records import LedgerRows

FIELDS = ("file", "format", "encoding", "source_kind", "count_mode", "sheets", "header_rows",
          "mapping", "sheet_mappings", "unit_name", "period", "period_source", "summary_rows_skipped",
          "blank_rows_skipped", "note_rows_skipped", "voided_rows", "returned_rows", "stated_totals",
          "findings", "rows_read", "unknown_statuses", "sheets_without_project", "header_choices")


@pytest.fixture(autouse=True)
def every_size(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let the fast path try small files too (it normally waits for ~2 MB)."""
    monkeypatch.setattr(columnar, "FAST_PATH_MIN_BYTES", 0)
    yield


def both(name: str, data: bytes, monkeypatch: pytest.MonkeyPatch, **options: object
         ) -> tuple[LedgerParse, LedgerParse]:
    fast = read_ledger(name, data, **options)  # type: ignore[arg-type]
    with monkeypatch.context() as patch:
        patch.setattr(columnar, "FAST_PATH_MIN_BYTES", 1 << 62)
        exact = read_ledger(name, data, **options)  # type: ignore[arg-type]
    assert not isinstance(exact.rows, LedgerRows)
    return fast, exact


def assert_identical(fast: LedgerParse, exact: LedgerParse) -> None:
    assert list(fast.rows) == list(exact.rows)
    for name in FIELDS:
        assert getattr(fast, name) == getattr(exact, name), name
    assert fast.totals_check() == exact.totals_check()
    assert fast.counted_total == exact.counted_total
    columns = fast.columns
    assert [r.amount for r in exact.rows] == [Decimal(c).scaleb(-2) for c in columns.amount_fen]


def ledger_rows(txns: list[fx.Txn], *, numeric: bool) -> list[list[object]]:
    """A one-row-header 序时账 with 科目 columns, a 本月合计 row, a blank row and a footer."""
    rows: list[list[object]] = [["序时账"], ["核算单位：高新区科技局    期间：2023年1月-12月"],
                                ["日期", "凭证号", "摘要", "科目编码", "科目名称", "辅助核算", "借方金额", "贷方金额"]]
    for t in sorted(txns, key=lambda t: t.day):
        voucher = f"{t.voucher}作废" if t.voided else t.voucher
        blank = None if numeric else ""  # an empty cell, not an empty text, next to numbers
        debit = (float(t.debit) if numeric else f"{t.debit:,.2f}") if t.debit else blank
        credit = (float(t.credit) if numeric else f"{t.credit:,.2f}") if t.credit else blank
        rows.append([t.day if numeric else t.day.isoformat(), voucher, f" {t.summary} ",
                     t.account_code, t.account_name, f"项目：{t.project_code} {t.project_name}", debit, credit])
    blank = None if numeric else ""
    rows.append([blank, blank, "本月合计", blank, blank, blank, 39149802.38 if numeric else "39,149,802.38",
                 blank])
    rows.append([blank] * 8)
    # a footer: in the date column of a CSV; in a text column of the workbook (a text in a
    # column of date cells makes fastexcel's strict typing refuse, and the row reader reads it)
    rows.append([blank, blank, "制表人：张会计"] + [blank] * 5 if numeric else ["制表人：张会计"] + [blank] * 7)
    return rows


def odd_transactions() -> list[fx.Txn]:
    txns = fx.budget_ledger_transactions()
    return fx.with_changes(txns) + [
        fx.Txn(date(2023, 7, 1), "记-0200", "重开原作废的票据", "5001 业务活动费用", *fx.P1, debit=Decimal("10.00")),
        fx.Txn(date(2024, 1, 3), "记-0201", "跨年冲销", "7201 事业支出", *fx.P2, credit=Decimal("0.50")),
    ]


# -- accepted layouts ----------------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "delimiter", "line_end"), [
    ("gbk", ",", "\r\n"), ("utf-8-sig", ",", "\n"), ("utf-8", "\t", "\n"), ("gb18030", ",", "\r\n")])
def test_payment_csv(encoding: str, delimiter: str, line_end: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = fx.payment_csv(fx.payment_transactions(), encoding, delimiter, line_end=line_end)
    fast, exact = both("支付明细.csv", data, monkeypatch)
    assert isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)
    assert fast.totals_check().ok is True and fast.returned_rows == 1 and fast.voided_rows == 1


@pytest.mark.parametrize("amount_text", [True, False])
def test_payment_xlsx(amount_text: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    data = fx.payment_xlsx(fx.payment_transactions(), amount_text=amount_text)
    fast, exact = both("支付明细.xlsx", data, monkeypatch)
    assert isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)


@pytest.mark.parametrize("answers", [None, {"已受理": True}, {"已受理": False}, {"其他": True}])
def test_an_unknown_status_is_decided_alike(answers: dict[str, bool] | None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Unanswered, an unknown 支付状态 does not count on either path; answered, both follow it."""
    txns = fx.payment_transactions()
    txns = fx.with_changes(txns[:2], status="已受理") + txns[2:]
    for data, name in ((fx.payment_csv(txns), "p.csv"), (fx.payment_xlsx(txns, amount_text=False), "p.xlsx")):
        fast, exact = both(name, data, monkeypatch, status_answers=answers)
        assert isinstance(fast.rows, LedgerRows)
        assert_identical(fast, exact)
        assert fast.unknown_statuses == {"已受理": 2}
        assert [r.counts for r in fast.rows][:2] == [bool(answers and answers.get("已受理"))] * 2


def test_many_repeated_values_take_the_per_value_route(monkeypatch: pytest.MonkeyPatch) -> None:
    txns = fx.payment_transactions() * 40
    txns = [fx.with_changes([t], voucher=f"ZF2021-{i:05d}")[0] for i, t in enumerate(txns)]
    for data, name in ((fx.payment_csv(txns), "p.csv"), (fx.payment_xlsx(txns, amount_text=False), "p.xlsx")):
        fast, exact = both(name, data, monkeypatch)
        assert isinstance(fast.rows, LedgerRows) and len(fast.rows) == 320
        assert_identical(fast, exact)


@pytest.mark.parametrize("numeric", [False, True])
def test_one_row_header_ledger(numeric: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """科目 columns (counting rule per account), 辅助核算 references, a voided voucher, a 摘要
    that mentions 作废 without being a mark, a date outside the period, padded texts, a
    本月合计 row, a blank row and a footer note."""
    rows = ledger_rows(odd_transactions(), numeric=numeric)
    data = fx.xlsx_bytes({"序时账": rows}) if numeric else fx.csv_bytes(rows, "gbk")
    fast, exact = both("序时账.xlsx" if numeric else "序时账.csv", data, monkeypatch)
    assert isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)
    codes = {f.code for f in fast.findings}
    assert {"summary_mentions_void", "date_outside_period", "parallel_books"} <= codes
    assert fast.voided_rows == 1 and fast.blank_rows_skipped == 1 and fast.note_rows_skipped == 1


def test_an_empty_column_in_a_workbook(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = fx.payment_rows(fx.payment_transactions(), amount_text=False)
    for row in rows[2:]:
        row[7] = None  # 资金性质 never filled in
    fast, exact = both("p.xlsx", fx.xlsx_bytes({"支付明细": rows}), monkeypatch)
    assert isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)
    assert all(r.fund_nature is None for r in fast.rows)


def test_amounts_with_more_than_two_decimals_are_flagged_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    rows: list[list[object]] = [["支付日期", "支付申请编号", "预算项目名称", "支付金额"]]
    rows += [[f"2024-03-{i % 28 + 1:02d}", f"ZF{i}", "项目甲", value]
             for i, value in enumerate(["1.005", "(12.00)", "￥3,000.00", " 7 ", "-0.00", "2.5", "1,234"])]
    fast, exact = both("p.csv", fx.csv_bytes(rows), monkeypatch, year=2024)
    assert isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)
    assert any(f.code == "amount_rounded" for f in fast.findings)


# -- declined: read row by row, with the same result or the same rejection ----------------------

def test_direction_and_amount_layout_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    data = fx.kingdee_journal(fx.budget_ledger_transactions())
    fast, exact = both("序时账.xlsx", data, monkeypatch)
    assert not isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)


def test_several_sheets_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    data = fx.yonyou_detail_ledger(fx.budget_ledger_transactions())
    fast, exact = both("明细账.xlsx", data, monkeypatch)
    assert not isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)


def test_short_rows_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = fx.payment_rows(fx.payment_transactions())
    rows[-1] = ["合计", "", "", "", "", "", "", "", "", "", "", "40,034,111.28"]  # one field short
    fast, exact = both("p.csv", fx.csv_bytes(rows, "gbk"), monkeypatch)
    assert not isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)


def test_a_rejected_row_is_rejected_by_the_row_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = fx.payment_rows(fx.payment_transactions())
    rows[4][10] = ""  # a payment without a date
    data = fx.csv_bytes(rows, "gbk")
    with pytest.raises(ImportRejected) as fast:
        read_ledger("p.csv", data)
    monkeypatch.setattr(columnar, "FAST_PATH_MIN_BYTES", 1 << 62)
    with pytest.raises(ImportRejected) as exact:
        read_ledger("p.csv", data)
    assert (str(fast.value), fast.value.location) == (str(exact.value), exact.value.location)
    assert "第5行" in exact.value.location and "日期为空" in str(exact.value)


def test_a_footer_in_a_column_of_date_cells_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = ledger_rows(odd_transactions(), numeric=True)
    rows[-1] = ["制表人：张会计"] + [None] * 7
    fast, exact = both("序时账.xlsx", fx.xlsx_bytes({"序时账": rows}), monkeypatch)
    assert not isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)


def test_a_text_cell_in_a_numeric_amount_column_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = fx.payment_rows(fx.payment_transactions(), amount_text=False)
    rows[3][11] = "-"
    fast, exact = both("p.xlsx", fx.xlsx_bytes({"支付明细": rows}), monkeypatch)
    assert not isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)


def test_whitespace_list_matches_python() -> None:
    assert arrow_arrays.WHITESPACE == "".join(chr(c) for c in range(0x110000) if chr(c).isspace())


# -- CSV bytes: read undecoded, decoded per distinct cell ---------------------------------------

TRAIL_BYTES = "丂乗亅亊"  # GBK trail bytes @ \ | ~ (0x40 0x5C 0x7C 0x7E), which are ASCII bytes
FOUR_BYTES = "𠀀•"  # GB18030 four-byte sequences: digits as second and fourth bytes


def test_the_odd_characters_have_the_bytes_they_are_chosen_for() -> None:
    assert [c.encode("gbk")[1] for c in TRAIL_BYTES] == [0x40, 0x5C, 0x7C, 0x7E]
    for c in FOUR_BYTES:
        encoded = c.encode("gb18030")
        assert len(encoded) == 4 and chr(encoded[1]).isdigit() and chr(encoded[3]).isdigit()
    assert "€".encode("gb18030") == b"\xa2\xe3"  # not cp936's 0x80, which GB18030 refuses


def odd_payments(encoding: str, rows: int = 48, summary: str = "拨付，第二批,“尾款”") -> bytes:
    """A payment list whose cells hold characters with ASCII trail bytes (and four-byte ones in
    GB18030), a quoted comma, a unique non-ASCII 用途 per row and one non-ASCII voucher number
    among ASCII ones."""
    odd = TRAIL_BYTES + ("" if encoding == "gbk" else FOUR_BYTES + "€")
    txns = [fx.with_changes([t], voucher=f"ZF2021-{i:05d}", summary=f"第{i}次拨付{odd}", unit=f"唐山{odd}")[0]
            for i, t in enumerate(fx.payment_transactions() * (rows // 8))]
    txns[5] = fx.with_changes([txns[5]], voucher=f"ZF{odd}-5", summary=summary)[0]
    table = fx.payment_rows(txns)
    table[0] = [f"国库集中支付明细表{odd}（2021年1月1日-2021年6月30日）"]
    return fx.csv_bytes(table, encoding)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8", "utf-16"])
def test_odd_characters_read_alike(encoding: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = odd_payments(encoding)
    assert encoding.startswith("utf") or b"\\" in data and b"|" in data and b"@" in data
    fast, exact = both("p.csv", data, monkeypatch)
    assert isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)
    assert fast.encoding == {"gbk": "gb18030"}.get(encoding, encoding)
    assert (fast.rows[5].voucher or "").startswith(f"ZF{TRAIL_BYTES}")
    assert fast.rows[5].summary == "拨付，第二批,“尾款”"
    assert (fast.rows[0].unit_name or "").startswith(f"唐山{TRAIL_BYTES}")


@pytest.mark.parametrize("encoding", ["gbk", "utf-8"])
def test_a_line_break_in_a_cell_reads_alike(encoding: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A quoted cell over two lines: both readers keep the cell's line break as it is in the
    file, so the fast path reads it too."""
    fast, exact = both("p.csv", odd_payments(encoding, summary="拨付，第二批\r\n（续）"), monkeypatch)
    assert isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)
    assert exact.rows[5].summary == "拨付，第二批\r\n（续）"


def test_a_head_shorter_than_the_file_reads_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """The encoding and the first rows come from the head; the rest is checked cell by cell."""
    monkeypatch.setattr(columnar, "_HEAD_BYTES", 12_000)  # about 70 of the 400 lines
    data = odd_payments("gb18030", rows=400)
    fast, exact = both("p.csv", data, monkeypatch)
    assert isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)


def test_first_rows_longer_than_the_head_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar, "_HEAD_BYTES", 3_000)  # fewer lines than the header search reads
    fast, exact = both("p.csv", odd_payments("gbk", rows=400), monkeypatch)
    assert not isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)


def same_outcome(data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    """Each path's parse, or the rejection (message and location) it ends in."""
    def outcome(limit: int) -> object:
        with monkeypatch.context() as patch:
            patch.setattr(columnar, "FAST_PATH_MIN_BYTES", limit)
            try:
                parse = read_ledger("p.csv", data)
            except ImportRejected as rejected:
                return str(rejected), rejected.location
            return [getattr(parse, name) for name in FIELDS] + [list(parse.rows)]

    return outcome(0), outcome(1 << 62)


BAD_CELLS = {  # column, cell, and the bytes that replace its MARK
    "a byte GB18030 never uses": (8, "拨付MARK款", b"\xff"),
    "cp936's euro sign": (8, "拨付MARK款", b"\x80"),
    "a lead byte ending a cell": (8, "拨付MARK", b"\x81"),
    "a lead byte ending a line": (12, "已支付MARK", b"\x81"),
    # pyarrow would join \x81 and @ into 丂
    "a lead byte before a closing quote and more of the cell": (8, "MARK款", b'"\x81"@'),
    "a bad byte in a column nothing reads": (9, "国库MARK支付", b"\xff"),
}


@pytest.mark.parametrize("head", [1 << 20, 12_000])  # the whole file, or its first 80 lines
@pytest.mark.parametrize(("column", "cell", "bad"), BAD_CELLS.values(), ids=BAD_CELLS.keys())
def test_an_undecodable_byte_is_rejected_alike(column: int, cell: str, bad: bytes, head: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(columnar, "_HEAD_BYTES", head)
    table = fx.payment_rows(fx.payment_transactions() * 50)
    table[300][column] = cell
    data = fx.csv_bytes(table, "gbk").replace(b"MARK", bad)
    fast, exact = same_outcome(data, monkeypatch)
    assert fast == exact
    message, location = exact  # type: ignore[misc]
    assert "第301行有无法解码的字节" in message and location == "文件 p.csv 第301行"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
@pytest.mark.parametrize("bad", [b"\xff", "丂".encode("gbk"), b"\xe4\xb8"])
def test_a_utf8_file_with_a_foreign_byte_reads_alike(encoding: str, bad: bytes,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Not UTF-8 throughout: the row reader rejects it, or reads it as GB18030."""
    monkeypatch.setattr(columnar, "_HEAD_BYTES", 12_000)
    table = fx.payment_rows(fx.payment_transactions() * 50)
    table[300][8] = "拨付MARK款"
    fast, exact = same_outcome(fx.csv_bytes(table, encoding).replace(b"MARK", bad), monkeypatch)
    assert fast == exact


def test_a_lone_carriage_return_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyarrow would end a record there (here it is in a quoted cell: the row reader keeps it)."""
    table = fx.payment_rows(fx.payment_transactions() * 10)
    table[30][8] = "拨付，\r款,"  # quoted for its comma
    fast, exact = both("p.csv", fx.csv_bytes(table, "gbk"), monkeypatch)
    assert not isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)


def test_arrow_to_numpy_through_the_buffers() -> None:
    values = pa.array([1, None, 3, 4, 5, 6, 7, 8, 9, 10], pa.int64())
    flags = pa.array([True, None, False, True, True, False, True, None, True, False])
    for start in (0, 1, 5, 9, 10):  # offsets within a byte of the validity bitmap and beyond
        part, bits = values.slice(start), flags.slice(start)
        read = zip(arrow_arrays.numpy_values(part).tolist(), arrow_arrays.valid_mask(part).tolist())
        assert [value if valid else None for value, valid in read] == part.to_pylist()
        assert arrow_arrays.true_flags(bits).tolist() == [bool(b) for b in bits.to_pylist()]
    assert arrow_arrays.numpy_values(pa.array([2.5, 3.0])).tolist() == [2.5, 3.0]
    for kept in ([2, 3, 4], [0, 5, 6], [], list(range(10))):
        assert arrow_arrays.rows_at(values, np.array(kept, dtype=np.int64)).to_pylist() == \
            [values[i].as_py() for i in kept]
    for texts in (["丂", "", "a"], []):
        assert arrow_arrays.text_array(texts).to_pylist() == texts


def test_a_big_csv_is_read_without_pandas(tmp_path: Path) -> None:
    """pyarrow imports pandas for to_numpy(), np.asarray() and arrays made from Python objects
    (0.4 s in a fresh process); the fast path goes through the buffers instead."""
    txns = [fx.with_changes([t], voucher=f"ZF2021-{i:06d}")[0]
            for i, t in enumerate(fx.payment_transactions() * 2_000)]
    path = tmp_path / "支付明细.csv"
    path.write_bytes(fx.payment_csv(txns, "gbk"))  # 3.3 MB: above the usual threshold
    script = ("import sys\n"
              "from tracker.importers.ledger import read_ledger\n"
              "from tracker.importers.ledger.records import LedgerRows\n"
              "parse = read_ledger('p.csv', open(sys.argv[1], 'rb').read())\n"
              "print(type(parse.rows) is LedgerRows, len(parse.rows), 'pandas' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[2])
    assert done.stdout.split() == ["True", "16000", "False"]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_project_printed_above_the_header_reads_alike(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """项目明细账 of one project (issue #15): the project line above the header reaches every row
    without a project cell, in the fast path as in the row reader."""
    txns = [t for t in fx.project_ledger_transactions() if t.project_code == fx.PA[0]]
    rows: list[list[object]] = [["项目明细账"], [f"项目：{fx.PA[0]} {fx.PA[1]}"], ["期间：2025年1-6月"],
                                ["日期", "凭证号", "摘要", "科目编码", "科目名称", "辅助核算", "借方", "贷方"]]
    rows += [[t.day.isoformat(), t.voucher, t.summary, t.account_code, t.account_name,
              "" if i % 2 else f"{fx.PB[0]} {fx.PB[1]}", f"{t.debit:.2f}", ""] for i, t in enumerate(txns)]
    data = fx.csv_bytes(rows, "gbk") if kind == "csv" else fx.xlsx_bytes({"Sheet1": rows})
    fast, exact = both(f"项目明细账.{kind}", data, monkeypatch)
    assert isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)
    assert [r.project_code for r in fast.rows] == [fx.PB[0], fx.PA[0]] * 3


def test_blocks_with_a_repeated_header_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    data = fx.project_ledger(fx.project_ledger_transactions(), "blocks")
    fast, exact = both("项目明细账.xlsx", data, monkeypatch)
    assert not isinstance(fast.rows, LedgerRows)
    assert_identical(fast, exact)


def _streamed(name: str, data: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[object]]:
    """The pieces of ``read_ledger_chunks`` and, in order with them, when fastexcel opened the file."""
    import fastexcel

    from tracker.importers.ledger.streaming import read_ledger_chunks

    events: list[str] = []
    real = fastexcel.read_excel

    def opened(*args: object, **kwargs: object) -> object:
        events.append("fastexcel")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(fastexcel, "read_excel", opened)
    pieces = []
    for piece in read_ledger_chunks(name, data, chunk_rows=5):
        events.append(type(piece).__name__)
        pieces.append(piece)
    return events, pieces


def test_a_streamed_workbook_gives_its_head_before_fastexcel_loads_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one-step import prepares its batch while fastexcel loads the sheet."""
    data = fx.payment_xlsx(fx.payment_transactions(), amount_text=False)
    events, pieces = _streamed("p.xlsx", data, monkeypatch)
    assert events[:3] == ["LedgerHead", "fastexcel", "LedgerChunk"] and events[-1] == "LedgerParse"
    parse = pieces[-1]
    assert isinstance(parse, LedgerParse) and isinstance(parse.rows, LedgerRows)
    chunks = [piece for piece in pieces if type(piece).__name__ == "LedgerChunk"]
    assert sum(len(chunk.columns) for chunk in chunks) == len(parse.rows)  # type: ignore[attr-defined]
    assert {chunk.expected_rows for chunk in chunks} == {len(parse.rows) + 1}  # type: ignore[attr-defined]
    with monkeypatch.context() as patch:
        patch.setattr(columnar, "FAST_PATH_MIN_BYTES", 1 << 62)
        assert_identical(parse, read_ledger("p.xlsx", data))


def test_a_streamed_workbook_fastexcel_declines_is_read_again_by_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = fx.payment_rows(fx.payment_transactions(), amount_text=False)
    rows[3][11] = "-"
    data = fx.xlsx_bytes({"支付明细": rows})
    events, pieces = _streamed("p.xlsx", data, monkeypatch)
    assert events[:3] == ["LedgerHead", "fastexcel", "LedgerReread"] and events[-1] == "LedgerParse"
    with monkeypatch.context() as patch:
        patch.setattr(columnar, "FAST_PATH_MIN_BYTES", 1 << 62)
        assert_identical(pieces[-1], read_ledger("p.xlsx", data))  # type: ignore[arg-type]
