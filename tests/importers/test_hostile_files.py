"""Hostile files (issue #21 item 4): zip bombs, archives that lie about their sizes, sheets with a
cell far from the data, archives with thousands of entries, files with too many rows.  Each is
refused before a parser opens it, in Chinese, naming the limit; refusing a bomb takes little
memory (measured in a child process under an address-space limit, so that a reader that
balloons fails there and not on the machine)."""

from __future__ import annotations

import re
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from tests.importers import hostile_fixtures as hf
from tests.importers import ledger_fixtures as fx
from tests.importers.target_fixtures import SEED_000_P1, xlsx_bytes
from tracker.errors import ImportRejected
from tracker.importers.file_limits import DEFAULT_LIMITS, MB, FileLimits
from tracker.importers.ledger import read_ledger
from tracker.importers.targets import read_target_document

# caps the tests can reach with small files; everything else stays at its default
NO_RATIO = FileLimits(max_decompressed_bytes=20 * MB, max_target_decompressed_bytes=20 * MB,
                      max_compression_ratio=1_000_000)


def ledger_refusal(data: bytes, limits: FileLimits = DEFAULT_LIMITS, name: str = "支付.xlsx") -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        read_ledger(name, data, limits=limits)
    return caught.value


def target_refusal(data: bytes, limits: FileLimits = DEFAULT_LIMITS, name: str = "绩效目标.xlsx") -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        read_target_document(name, data, limits=limits)
    return caught.value


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An .xlsx of about 1 MB whose sheet decompresses to 300 MB."""
    path = tmp_path_factory.mktemp("bombs") / "bomb.xlsx"
    path.write_bytes(hf.sheet_bomb(300))
    return path


@pytest.fixture(scope="module")
def lying_bomb(tmp_path_factory: pytest.TempPathFactory, bomb: Path) -> Path:
    """The same bomb declaring its sheet as 1,000 bytes: only streaming finds it out."""
    path = tmp_path_factory.mktemp("bombs") / "lying.xlsx"
    path.write_bytes(hf.with_declared_sizes(bomb.read_bytes(), "xl/worksheets/sheet1.xml", 1000))
    return path


# -- zip bombs -------------------------------------------------------------------------------

def test_a_bomb_is_refused_by_its_compression_ratio(bomb: Path) -> None:
    assert bomb.stat().st_size < 2 * MB
    error = ledger_refusal(bomb.read_bytes())
    assert "压缩比超过 100 倍的上限" in error.message and "压缩炸弹" in error.message
    assert "xl/worksheets/sheet1.xml" in error.message and error.location == "文件 支付.xlsx"


def test_a_bomb_is_refused_by_its_decompressed_size() -> None:
    error = ledger_refusal(hf.sheet_bomb(30), NO_RATIO)
    assert error.message.startswith("文件解压后超过 20 MB 上限")


def test_declared_sizes_that_lie_are_caught_while_streaming() -> None:
    data = hf.with_declared_sizes(hf.sheet_bomb(30), "xl/worksheets/sheet1.xml", 1000)
    assert zipfile.ZipFile(BytesIO(data)).getinfo("xl/worksheets/sheet1.xml").file_size == 1000
    assert ledger_refusal(data, NO_RATIO).message.startswith("文件解压后超过 20 MB 上限")
    # and the ratio is judged on what really came out
    assert "压缩比超过 100 倍的上限" in ledger_refusal(data).message


@pytest.mark.parametrize("fixture, limit", [
    ("bomb", "压缩比超过 100 倍的上限"),
    # decompressed as a stream until its rows pass the cap (about 200 of its 300 MB)
    ("lying_bomb", "文件超过台账 2,000,000 行的上限"),
])
def test_refusing_a_300_mb_bomb_takes_little_memory(fixture: str, limit: str,
                                                    request: pytest.FixtureRequest) -> None:
    path = request.getfixturevalue(fixture)
    outcome = hf.measure_in_child("result = read_ledger('支付.xlsx', data)", path)
    assert limit in outcome["result"].get("refused", ""), outcome
    assert outcome["growth_mb"] < 100, outcome  # the sheet is 300 MB decompressed


def test_a_word_bomb_is_refused_for_targets_with_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.docx"
    path.write_bytes(hf.docx_bomb(150))
    outcome = hf.measure_in_child("result = read_target_document('目标.docx', data)", path)
    assert outcome["result"].get("refused", "").startswith("目标.docx：文件解压后超过 50 MB 上限"), outcome
    assert outcome["growth_mb"] < 100, outcome


def test_a_target_workbook_has_the_lower_cap() -> None:
    error = target_refusal(hf.sheet_bomb(30), FileLimits(max_compression_ratio=1_000_000,
                                                          max_target_decompressed_bytes=20 * MB))
    assert error.message.startswith("文件解压后超过 20 MB 上限") and error.location == "绩效目标.xlsx"


# -- a cell far from the data ------------------------------------------------------------------

FAR_CELL = (hf.SHEET_START + hf.HEADER_ROW
            + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>' + hf.SHEET_END)
# no references at all: one row 16,384 cells wide, then a row far below
WIDE_ROW_WITHOUT_REFERENCES = (hf.SHEET_START + "<row>" + "<c><v>1</v></c>" * 16_384 + "</row>"
                               + '<row r="300000"><c><v>1</v></c></row>' + hf.SHEET_END)


@pytest.mark.parametrize("sheet, shape", [
    (FAR_CELL, "1,048,576 行 × 16,384 列"),
    (WIDE_ROW_WITHOUT_REFERENCES, "300,001 行 × 16,384 列"),
])
def test_a_sheet_that_would_be_laid_out_huge_is_refused(sheet: str, shape: str, tmp_path: Path) -> None:
    """A 1 KB file: calamine would allocate rows × columns cells (550 GB for XFD1048576) and
    abort the process.  Run in a child, so that the old code's abort cannot take pytest along."""
    path = tmp_path / "far.xlsx"
    path.write_bytes(hf.workbook(sheet))
    assert path.stat().st_size < 3_000
    outcome = hf.measure_in_child("result = read_ledger('远.xlsx', data)", path)
    refused = outcome["result"].get("refused", "")
    assert f"工作表的单元格区域达 {shape}，超过 40,000,000 个单元格的上限" in refused, outcome
    assert outcome["growth_mb"] < 50, outcome


def test_references_with_spaces_or_a_hidden_sheet_part_are_still_seen() -> None:
    spaced = FAR_CELL.replace('r="XFD1048576"', "r = 'XFD1048576'")
    assert "16,384 列" in ledger_refusal(hf.workbook(spaced)).message
    moved = hf.workbook(FAR_CELL, sheet_part="xl/theme/notasheet.xml")  # the workbook points there
    assert "16,384 列" in ledger_refusal(moved).message


def test_a_target_sheet_reaching_far_down_is_refused_by_its_rows() -> None:
    sheet = hf.SHEET_START + hf.HEADER_ROW + '<row r="30000"><c r="A30000"><v>1</v></c></row>' + hf.SHEET_END
    error = target_refusal(hf.workbook(sheet))
    assert error.message.startswith("文件超过绩效目标表 20,000 行的上限")


def test_a_merged_range_far_from_the_data_costs_nothing(tmp_path: Path) -> None:
    """openpyxl's normal mode made one object per cell of a merged range (here 14,000 × 16,358
    cells); the read-only reader only looks at merged ranges that reach the rows it reads."""
    data = xlsx_bytes([SEED_000_P1], one_sheet=True)
    expected = read_target_document("目标.xlsx", data)
    path = tmp_path / "merged.xlsx"
    path.write_bytes(_with_merge(data, "AA5000:XFD19000"))
    outcome = hf.measure_in_child(
        "doc = read_target_document('目标.xlsx', data)\n"
        "result = {'projects': [p.name for p in doc.projects], 'indicators': sum(len(p.indicators) for p in doc.projects)}",
        path, address_space_mb=2000)
    assert outcome["result"] == {"projects": [p.name for p in expected.projects],
                                 "indicators": sum(len(p.indicators) for p in expected.projects)}, outcome
    assert outcome["growth_mb"] < 150, outcome


def _with_merge(data: bytes, ref: str) -> bytes:
    source = zipfile.ZipFile(BytesIO(data))
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = content.decode("utf-8")
                merge = f'<mergeCell ref="{ref}"/>'
                if "</mergeCells>" in text:
                    text = text.replace("</mergeCells>", merge + "</mergeCells>")
                else:
                    text = text.replace("</sheetData>", f"</sheetData><mergeCells>{merge}</mergeCells>")
                content = text.encode("utf-8")
            archive.writestr(info, content)
    return buffer.getvalue()


# -- entries -----------------------------------------------------------------------------------

def test_an_xlsx_with_thousands_of_entries_is_refused() -> None:
    error = ledger_refusal(hf.many_entries(3_000))
    assert re.match(r"压缩包内有 3,00\d 个文件，超过 2,000 个文件的上限", error.message), error.message


def test_a_huge_directory_is_refused_before_zipfile_reads_it() -> None:
    error = ledger_refusal(hf.many_entries(40_000))
    assert error.message.startswith("压缩包内的文件目录过大，超过 2,000 个文件的上限")
    assert read_target_document  # the same guard serves the target import:
    assert target_refusal(hf.many_entries(40_000)).message.startswith("压缩包内的文件目录过大")


# -- rows --------------------------------------------------------------------------------------

def test_a_csv_with_more_rows_than_the_cap_is_refused_before_reading() -> None:
    data = "支付日期,预算项目名称,支付金额\n".encode("gbk") + b"2025-03-01,p,100.00\n" * 2_000_001
    error = ledger_refusal(data, name="支付.csv")
    assert error.message.startswith("文件有 2,000,002 行，超过台账 2,000,000 行的上限；请按月份或单位拆分")
    assert error.location == "文件 支付.csv"


def test_the_row_cap_holds_for_every_ledger_format() -> None:
    txns = fx.payment_transactions()
    few = FileLimits(max_ledger_rows=5)
    rows = fx.payment_rows(txns)
    for name, data in [("支付.xlsx", fx.payment_xlsx(txns)), ("支付.xls", fx.payment_biff(txns)),
                       ("支付.html.xls", fx.html_xls(rows)), ("支付.csv", fx.csv_bytes(rows, "gbk"))]:
        error = ledger_refusal(data, few, name)
        assert "超过台账 5 行的上限" in error.message and error.location == f"文件 {name}", (name, error)
        read_ledger(name, data)  # within the default cap


def test_a_target_workbook_with_more_rows_than_the_cap_is_refused() -> None:
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>指标{n}</t></is></c></row>'
                   for n in range(1, 20_002))
    error = target_refusal(hf.workbook(hf.SHEET_START + rows + hf.SHEET_END))
    assert error.message.startswith("文件超过绩效目标表 20,000 行的上限")


@pytest.mark.parametrize("prefix", ["w", "x"])
def test_a_word_table_with_more_rows_than_the_cap_is_refused(prefix: str) -> None:
    """With the usual ``w:`` prefix the guard counts the rows in the stream; with another one
    the reader counts them as it goes."""
    error = target_refusal(hf.word_table(20_001, prefix=prefix), name="目标.docx")
    assert "超过绩效目标表 20,000 行的上限" in error.message and error.location == "目标.docx"


def test_an_opendocument_spreadsheet_is_refused_before_calamine_expands_it(tmp_path: Path) -> None:
    """calamine lays out repeated rows and cells before anything can check them: 781 bytes ask
    for 4 GB (under this child's 3 GB address space the old code aborted)."""
    path = tmp_path / "bomb.ods"
    path.write_bytes(hf.ods_bomb())
    outcome = hf.measure_in_child("result = read_ledger('台账.ods', data)", path)
    assert outcome["result"] == {"refused": "文件 台账.ods：这是OpenDocument表格（.ods），"
                                            "请在WPS或Excel中另存为.xlsx后再导入"}, outcome


def test_the_target_readers_count_rows_themselves() -> None:
    """Behind the guard, the readers stop at the cap too (a row the guard's count missed)."""
    from tracker.importers.targets.office import docx_blocks, xlsx_blocks

    few = FileLimits(max_target_rows=5)
    with pytest.raises(ImportRejected, match="超过绩效目标表 5 行的上限"):
        xlsx_blocks("目标.xlsx", fx.xlsx_bytes({"目标": [[f"指标{n}", n] for n in range(6)]}), few)
    assert xlsx_blocks("目标.xlsx", fx.xlsx_bytes({"目标": [[f"指标{n}", n] for n in range(5)]}), few)
    with pytest.raises(ImportRejected, match="超过绩效目标表 5 行的上限"):
        docx_blocks("目标.docx", hf.word_table(6), few)
    assert docx_blocks("目标.docx", hf.word_table(5), few)


def test_an_xls_claiming_absurd_dimensions_is_refused(tmp_path: Path) -> None:
    """calamine sizes a BIFF sheet from its DIMENSIONS record: four billion rows in a 5 KB file
    aborted the process.  The records are read first; within BIFF's own 65,536 × 256 an .xls
    is read (about 1 GB for a cell at IV65536, measured: the cap is on the rectangle)."""
    path = tmp_path / "dims.xls"
    path.write_bytes(hf.biff_claiming(0xFFFFFFF0, 0xFFFF))
    outcome = hf.measure_in_child("result = read_ledger('台账.xls', data)", path)
    assert "工作表的单元格区域达 4,294,967,280 行 × 65,535 列，超过 40,000,000 个单元格的上限" \
        in outcome["result"].get("refused", ""), outcome
    assert outcome["growth_mb"] < 100, outcome
    honest = hf.biff_claiming(2, 3)
    assert len(read_ledger("台账.xls", honest).rows) == 1
    with pytest.raises(ImportRejected, match="超过 5 个单元格的上限"):
        read_ledger("台账.xls", honest, limits=FileLimits(max_sheet_cells=5))


def test_a_pdf_bomb_is_refused_with_little_memory(tmp_path: Path) -> None:
    """pdfminer inflates every stream whole: a 450 KB page of 300 MB of drawing operators took
    3.8 GB.  Its decompression is capped at the target cap while a PDF is read."""
    path = tmp_path / "bomb.pdf"
    path.write_bytes(hf.pdf_bomb(120))
    assert path.stat().st_size < MB
    outcome = hf.measure_in_child("result = read_target_document('目标.pdf', data)", path)
    assert outcome["result"].get("refused") == ("目标.pdf：文件解压后超过 50 MB 上限（可能是压缩炸弹），已拒绝；"
                                               "如确需导入，请联系管理员调整上限"), outcome
    assert outcome["growth_mb"] < 200, outcome  # pdfplumber's own import included
    small = hf.pdf_bomb(1)  # within the cap, pdfminer reads it as before (no 绩效目标表 in it)
    with pytest.raises(ImportRejected, match="未识别的版式"):
        read_target_document("目标.pdf", small)
    with pytest.raises(ImportRejected, match="文件解压后超过 1 MB 上限"):
        read_target_document("目标.pdf", small, limits=FileLimits(max_target_decompressed_bytes=MB))


def test_cells_in_a_part_no_relationship_names_are_measured_too() -> None:
    from tracker.importers.archive_guard import check_archive

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", hf.WORKBOOK)
        archive.writestr("xl/other/part.bin", " " * 5000 + FAR_CELL)  # "sheetData" after 5 KB
    with pytest.raises(ImportRejected, match="16,384 列"):
        check_archive("a.xlsx", buffer.getvalue(), DEFAULT_LIMITS, "ledger", location="a.xlsx")


def test_cells_under_a_namespace_prefix_are_counted_without_references(tmp_path: Path) -> None:
    """``<x:c>`` cells without references (the prefixed tags are looked for only in text that has
    a colon): one row as wide as the sheet allows, then a row far below.  In a child: calamine
    would abort on it."""
    sheet = (hf.SHEET_START + "<x:row>" + "<x:c><x:v>1</x:v></x:c>" * 16_384 + "</x:row>"
             + '<x:row r="300000"><x:c><x:v>1</x:v></x:c></x:row>' + hf.SHEET_END)
    path = tmp_path / "prefixed.xlsx"
    path.write_bytes(hf.workbook(sheet))
    outcome = hf.measure_in_child("result = read_ledger('远.xlsx', data)", path)
    # (prefixed end tags count too: an overestimate, on the safe side)
    assert "300,003 行 × 32,768 列" in outcome["result"].get("refused", ""), outcome
