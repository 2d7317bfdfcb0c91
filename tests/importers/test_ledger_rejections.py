"""Files the reader must refuse, each with a Chinese reason and the place: file, sheet, row,
column (STYLE.md habit 10)."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.importers import ledger_fixtures as fx
from tracker.errors import ImportRejected, UnrecognisedLayout
from tracker.importers.ledger import columnar, read_ledger

PAYMENT_HEADER = ["支付申请编号", "预算项目名称", "支付日期", "支付金额", "支付状态"]


def rejected(filename: str, data: bytes, **options: object) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        read_ledger(filename, data, **options)  # type: ignore[arg-type]
    return caught.value


def payment_csv(*rows: list[object]) -> bytes:
    return fx.csv_bytes([PAYMENT_HEADER, *rows], "gbk")


# -- containers ------------------------------------------------------------------------------

def test_empty_file() -> None:
    error = rejected("空.csv", b"")
    assert error.message == "文件是空的" and error.location == "文件 空.csv"
    assert rejected("空.xlsx", b" \r\n\t ").message == "文件是空的"


def test_zip_that_is_not_a_workbook() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    error = rejected("台账.xlsx", buffer.getvalue())
    assert "压缩包" in error.message and error.location == "文件 台账.xlsx"


def test_word_document_with_a_spreadsheet_name() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    assert "Word" in rejected("台账.xls", buffer.getvalue()).message


def test_pdf_and_binary_garbage() -> None:
    assert "PDF" in rejected("台账.xlsx", b"%PDF-1.7 ...").message
    assert "无法识别的文件格式" in rejected("台账.csv", b"\x00\x01\x02garbage\x00" * 10).message


def test_truncated_xlsx() -> None:
    data = fx.payment_xlsx(fx.payment_transactions())
    error = rejected("支付.xlsx", data[: len(data) // 2])
    assert "不完整" in error.message and error.location == "文件 支付.xlsx"


def test_truncated_xls() -> None:
    data = fx.payment_biff(fx.payment_transactions())
    error = rejected("支付.xls", data[:1500])
    assert "不完整" in error.message or "损坏" in error.message
    assert error.location is not None and error.location.startswith("文件 支付.xls")


def test_truncated_csv_mid_row() -> None:
    data = payment_csv(["ZF1", "专项", "2021-05-18", "1,000.00", "已支付"],
                       ["ZF2", "专项", "2021-05-19", "2,000.00", "已支付"])
    error = rejected("支付.csv", data[: data.rindex(b"2021-05-19") + 4])
    assert "截断" in error.message
    assert error.location == "文件 支付.csv 工作表 CSV 第3行"


def test_truncated_csv_inside_a_quoted_amount() -> None:
    data = payment_csv(["ZF1", "专项", "2021-05-18", "1,000.00", "已支付"])
    assert "截断" in rejected("支付.csv", data[: data.rindex(b"1,000")]).message


@pytest.mark.parametrize("fast_path", [False, True])
def test_a_lone_carriage_return_in_an_unquoted_cell(fast_path: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The csv module cannot split it: a Chinese message with the line, not a bare csv.Error
    (the fast path declines such a file and the row reader names the line)."""
    if fast_path:
        monkeypatch.setattr(columnar, "FAST_PATH_MIN_BYTES", 0)
    data = payment_csv(*[[f"ZF{n}", f"专项{n}", "2021-05-18", "1.00", "已支付"] for n in range(1, 6)])
    data = data.replace("专项3".encode("gbk"), "专项\r3".encode("gbk"))  # the third row: line 4
    error = rejected("支付.csv", data)
    assert "回车" in error.message and error.location == "文件 支付.csv 工作表 CSV 第4行"


def test_a_line_break_inside_a_quoted_cell_is_kept() -> None:
    data = payment_csv(["ZF1", "专项\r\n（续）", "2021-05-18", "1.00", "已支付"],
                       ["ZF2", "专项", "2021-05-19", "2.00", "已支付"])
    assert b'"\xd7\xa8' in data  # csv_bytes quoted the cell with the line break
    rows = read_ledger("支付.csv", data).rows
    assert [row.project_name for row in rows] == ["专项\r\n（续）", "专项"]
    assert [row.row for row in rows] == [2, 3]  # records, as a spreadsheet numbers them


def test_truncated_utf8_character() -> None:
    data = payment_csv(["ZF1", "专项", "2021-05-18", "1.00", "已支付"]).decode("gbk").encode("utf-8")
    error = rejected("支付.csv", data + "专".encode("utf-8")[:2])
    assert "截断" in error.message


def test_truncated_html_table() -> None:
    data = fx.html_xls(fx.payment_rows(fx.payment_transactions()), closed=False)
    assert "</table>" in rejected("支付.xls", data).message


def test_undecodable_text() -> None:
    error = rejected("支付.csv", "支付日期,支付金额\n".encode("utf-8") + b"\xff\xff\xff,1\n")
    assert "编码" in error.message and error.location == "文件 支付.csv 第2行"


def test_encrypted_or_corrupt_ole2() -> None:
    error = rejected("支付.xls", fx.OLE2_MAGIC + b"\x00" * 600)
    assert "损坏" in error.message


# -- no usable content -------------------------------------------------------------------------

def test_header_only_files() -> None:
    error = rejected("支付.csv", payment_csv())
    assert error.message == "文件只有表头，没有数据行"
    assert error.location == "文件 支付.csv 工作表 CSV 第1行"  # the header row
    assert rejected("支付.xlsx", fx.xlsx_bytes({"支付明细": [PAYMENT_HEADER, [], []]})).message == \
        "文件只有表头，没有数据行"


def test_workbook_with_only_empty_sheets() -> None:
    assert "没有任何内容" in rejected("a.xlsx", fx.xlsx_bytes({"Sheet1": [], "Sheet2": []})).message


def test_unknown_layout_lists_the_words_looked_for() -> None:
    data = fx.xlsx_bytes({"流水": [["流水号", "入账时间", "款项说明", "实际发生数"], ["A1", "2024-01-09", "x", 1]]})
    with pytest.raises(UnrecognisedLayout) as caught:
        read_ledger("奇怪.xlsx", data)
    error = caught.value
    for word in ("日期", "记账日期", "支付日期", "借方", "贷方", "方向+金额", "支付金额", "凭证号", "摘要",
                 "辅助核算", "列映射"):
        assert word in error.message
    assert error.location == "文件 奇怪.xlsx 工作表 流水 第1行"


def test_mapping_naming_a_missing_header() -> None:
    data = fx.csv_bytes([["日期", "金额"], ["2024-01-09", "1"]])
    with pytest.raises(UnrecognisedLayout) as caught:
        read_ledger("a.csv", data, mapping={"date": "日期", "amount": "实际发生数"})
    assert "“实际发生数”" in caught.value.message


def test_mapping_without_required_fields() -> None:
    data = fx.csv_bytes([["日期", "摘要", "金额"], ["2024-01-09", "x", "1"]])
    with pytest.raises(UnrecognisedLayout) as caught:
        read_ledger("a.csv", data, mapping={"date": "日期", "summary": "摘要"})
    assert "缺少必需字段" in caught.value.message


def test_mapping_with_an_unknown_field() -> None:
    error = rejected("a.csv", fx.csv_bytes([["日期", "金额"]]), mapping={"when": "日期"})
    assert "未知字段" in error.message and "when" in error.message


def test_bad_arguments_are_programming_errors() -> None:
    with pytest.raises(ValueError):
        read_ledger("a.csv", b"x", source_kind="bank")
    with pytest.raises(ValueError):
        read_ledger("a.csv", b"x", count_rule="everything")


# -- bad cells ---------------------------------------------------------------------------------

def test_bad_amount_names_the_cell() -> None:
    data = payment_csv(["ZF1", "专项", "2021-05-18", "1,000.00", "已支付"],
                       ["ZF2", "专项", "2021-05-19", "10,00a0.00", "已支付"])
    error = rejected("支付.csv", data)
    assert error.message == "金额“10,00a0.00”无法识别（千分位逗号位置不对或含非数字字符）"
    assert error.location == "文件 支付.csv 工作表 CSV 第3行 第4列（支付金额）"


@pytest.mark.parametrize("text", ["1,2345.00", "12.3.4", "1e5", "NaN", "(-5)", "1 000", "12..", ".5"])
def test_other_bad_amounts(text: str) -> None:
    error = rejected("支付.csv", payment_csv(["ZF1", "专项", "2021-05-18", text, "已支付"]))
    assert f"“{text}”" in error.message and "第2行 第4列（支付金额）" in (error.location or "")


def test_bad_date_names_the_cell_in_a_workbook() -> None:
    data = fx.xlsx_bytes({"支付明细": [PAYMENT_HEADER, ["ZF1", "专项", "2025-13-40", "1.00", "已支付"]]})
    error = rejected("支付.xlsx", data)
    assert error.message == "日期“2025-13-40”无效（2025年13月40日不存在）"
    assert error.location == "文件 支付.xlsx 工作表 支付明细 第2行 第3列（支付日期） 单元格C2"


@pytest.mark.parametrize("text", ["2025-02-30", "明天", "13-01", "1899-12-31"])
def test_other_bad_dates(text: str) -> None:
    error = rejected("支付.csv", payment_csv(["ZF1", "专项", text, "1.00", "已支付"]), year=2025)
    assert "第2行 第3列（支付日期）" in (error.location or "")


def test_bad_month_in_separate_columns() -> None:
    rows = [["年", "月", "日", "摘要", "借方", "贷方"], [2023, 13, 5, "x", 1, None]]
    error = rejected("a.xlsx", fx.xlsx_bytes({"7201": rows}))
    assert "2023年13月5日不存在" in error.message
    assert "第2行 第2列（月）" in (error.location or "")


def test_month_day_without_any_year() -> None:
    rows = [["月", "日", "摘要", "借方", "贷方"], [3, 5, "x", 1, None]]
    error = rejected("a.xlsx", fx.xlsx_bytes({"7201": rows}))
    assert "无法确定年份" in error.message


def test_formula_text_in_an_amount_cell() -> None:
    error = rejected("支付.csv", payment_csv(["ZF1", "专项", "2021-05-18", "=SUM(D2:D9)", "已支付"]))
    assert "公式“=SUM(D2:D9)”" in error.message
    assert error.location == "文件 支付.csv 工作表 CSV 第2行 第4列（支付金额）"


def test_formula_text_in_a_text_cell() -> None:
    error = rejected("支付.csv", payment_csv(["ZF1", "=A1&\"项目\"", "2021-05-18", "1.00", "已支付"]))
    assert "公式" in error.message
    assert error.location == "文件 支付.csv 工作表 CSV 第2行 第2列（预算项目名称）"


def test_formula_text_in_a_date_cell() -> None:
    error = rejected("支付.csv", payment_csv(["ZF1", "专项", "=TODAY()", "1.00", "已支付"]))
    assert "公式" in error.message and "第3列（支付日期）" in (error.location or "")


def test_missing_amount_in_a_payment_row() -> None:
    error = rejected("支付.csv", payment_csv(["ZF1", "专项", "2021-05-18", "", "已支付"]))
    assert error.message == "金额为空" and "第4列（支付金额）" in (error.location or "")


def test_missing_date_in_a_payment_row() -> None:
    error = rejected("支付.csv", payment_csv(["ZF1", "专项", "2021-05-18", "1.00", "已支付"],
                                             ["ZF2", "专项", "", "2.00", "已支付"]))
    assert error.message == "日期为空" and error.location == "文件 支付.csv 工作表 CSV 第3行 第3列（支付日期）"


def test_unreadable_direction() -> None:
    rows = [["日期", "摘要", "方向", "金额"], ["2024-01-09", "x", "借贷", "1.00"]]
    error = rejected("a.csv", fx.csv_bytes(rows))
    assert "借贷方向“借贷”无法识别" in error.message and "第3列（方向）" in (error.location or "")


def test_text_in_a_numeric_amount_column_of_a_ledger() -> None:
    rows = [["日期", "摘要", "借方", "贷方"], ["2024-01-09", "x", True, None]]
    error = rejected("a.xlsx", fx.xlsx_bytes({"7201": rows}))
    assert "逻辑值" in error.message and "单元格C2" in (error.location or "")


def test_more_cells_than_header_columns() -> None:
    data = "支付日期,项目名称,支付金额\n2024-01-09,专项,1,000.00\n".encode("gbk")
    error = rejected("支付.csv", data)
    assert "比表头的3列多" in error.message and error.location == "文件 支付.csv 工作表 CSV 第2行 第4列"


def test_sheets_of_different_kinds() -> None:
    data = fx.xlsx_bytes({"支付": [PAYMENT_HEADER, ["ZF1", "专项", "2021-05-18", "1.00", "已支付"]],
                          "明细账": [["日期", "摘要", "借方", "贷方"], ["2021-05-18", "x", 1, None]]})
    error = rejected("混合.xlsx", data)
    assert "一次只能导入一种来源" in error.message and error.location == "文件 混合.xlsx 工作表 明细账"


def test_every_rejection_location_starts_with_the_file() -> None:
    samples = [("a.csv", payment_csv(["ZF1", "专项", "2021-05-18", "x", "已支付"])),
               ("b.xlsx", fx.xlsx_bytes({"s": [PAYMENT_HEADER, ["ZF1", "专项", "bad", "1", "已支付"]]})),
               ("c.xls", fx.html_xls([PAYMENT_HEADER, ["ZF1", "专项", "2021-05-18", "1,0,0", "已支付"]]))]
    for name, data in samples:
        error = rejected(name, data)
        assert error.location is not None and error.location.startswith(f"文件 {name} 工作表 ")
        assert "第2行" in error.location and "列（" in error.location
        assert str(error).startswith(error.location)


def test_other_spreadsheet_formats_get_a_clear_message() -> None:
    xml = ('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">'
           "<Worksheet><Table><Row><Cell><Data>日期</Data></Cell></Row></Table></Worksheet></Workbook>")
    assert "Excel 2003 XML" in rejected("a.xls", xml.encode("utf-8")).message
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.bin", b"\x00")
    assert ".xlsb" in rejected("a.xlsx", buffer.getvalue()).message
