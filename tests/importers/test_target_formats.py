"""Every format reads to the same projects as the seed text it was built from; broken files are refused.

The .docx/.xlsx/.pdf files are built in the test (``target_fixtures``) from seed tables
transcribed by hand, written to ``tmp_path`` and read back as bytes, as an upload would be.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from datetime import date
from functools import cache
from decimal import Decimal
from pathlib import Path

import pytest

from tests.importers.target_fixtures import (
    SEED_000_P1,
    SEED_000_P4,
    SEED_002_P1,
    blank_pdf_bytes,
    docx_bytes,
    seed_bytes,
    table_pdf_bytes,
    text_pdf_bytes,
    xlsx_bytes,
)
from tracker.errors import ImportRejected, UnrecognisedLayout
from tracker.importers.target_records import ProjectRecord, TargetDocument
from tracker.importers.targets import MAX_FILE_BYTES, read_target_document


def comparable(project: ProjectRecord) -> tuple[object, ...]:
    """Everything a project says, without where it was found (rows differ between formats)."""
    return (
        project.code, project.name, project.title, project.supervising_department, project.implementing_unit,
        project.budget_wan, project.fiscal_wan, project.other_wan, project.carryover_wan,
        project.purpose, project.goal,
        tuple((point.checkpoint, point.cumulative_pct, point.raw) for point in project.plan), project.plan_raw,
        tuple((indicator.level1, indicator.level2, indicator.name, indicator.description, indicator.value,
               indicator.basis, indicator.weight) for indicator in project.indicators),
        sorted((finding.severity, finding.code) for finding in project.findings),
    )


@cache
def seed_document(prefix: str) -> TargetDocument:
    return read_target_document(f"{prefix}.txt", seed_bytes(prefix))


@cache
def docx_000() -> bytes:
    """Projects 1 and 4 of seed 000 as Word (built once: python-docx is slow to start a document)."""
    return docx_bytes([SEED_000_P1, SEED_000_P4])


@cache
def xlsx_000(*, one_sheet: bool) -> bytes:
    return xlsx_bytes([SEED_000_P1, SEED_000_P4], one_sheet=one_sheet)


def written(tmp_path: Path, name: str, data: bytes) -> tuple[str, bytes]:
    path = tmp_path / name
    path.write_bytes(data)
    return path.name, path.read_bytes()


def assert_same_projects(doc: TargetDocument, reference: TargetDocument, indexes: list[int]) -> None:
    assert [comparable(project) for project in doc.projects] == [
        comparable(reference.projects[index]) for index in indexes
    ]
    assert (doc.year, doc.unit) == (reference.year, reference.unit)


# ---------------------------------------------------------------------------
# Same content, other formats.


def test_docx_with_merged_cells_reads_like_the_seed(tmp_path: Path) -> None:
    name, data = written(tmp_path, "路南区绩效目标.docx", docx_000())
    doc = read_target_document(name, data)
    assert doc.layout == "docx"
    assert_same_projects(doc, seed_document("000"), [0, 3])
    assert doc.projects[1].indicators[0].location.row == 2  # row 2 of the Word indicator table


def test_docx_with_a_merged_level2_and_no_code(tmp_path: Path) -> None:
    name, data = written(tmp_path, "高新区.docx", docx_bytes([SEED_002_P1], intro=["高新区科技局编制"]))
    assert_same_projects(read_target_document(name, data), seed_document("002"), [0])


def test_xlsx_one_sheet_per_project_with_numbers(tmp_path: Path) -> None:
    name, data = written(tmp_path, "目标表.xlsx", xlsx_000(one_sheet=False))
    doc = read_target_document(name, data)
    reference = seed_document("000")
    assert doc.layout == "xlsx"
    # Amounts typed as numbers lose their printed decimals (300.00 → 300): equal as Decimal.
    assert [project.budget_wan for project in doc.projects] == [reference.projects[0].budget_wan,
                                                                 reference.projects[3].budget_wan]
    assert_same_projects(doc, reference, [0, 3])
    assert doc.projects[1].plan[-1].raw == "10%"  # a 0.1 in a percent-formatted cell


def test_xlsx_several_tables_on_one_sheet(tmp_path: Path) -> None:
    name, data = written(tmp_path, "目标表.xlsx", xlsx_000(one_sheet=True))
    doc = read_target_document(name, data)
    assert_same_projects(doc, seed_document("000"), [0, 3])
    assert [project.location.table for project in doc.projects] == ["1", "2"]


def test_xlsx_with_a_merged_level2_and_no_unit_row(tmp_path: Path) -> None:
    data = xlsx_bytes([SEED_002_P1], one_sheet=True, intro=["高新区科技局编制", "2023年部门整体绩效目标"])
    name, data = written(tmp_path, "高新区.xlsx", data)
    assert_same_projects(read_target_document(name, data), seed_document("002"), [0])


def test_text_pdf_reads_like_the_seed_pdf_text(tmp_path: Path) -> None:
    lines = seed_bytes("001").decode("utf-8").splitlines()
    name, data = written(tmp_path, "唐山市科技局.pdf", text_pdf_bytes(lines))
    doc = read_target_document(name, data)
    reference = seed_document("001")
    assert doc.layout == "pdf-text"
    assert_same_projects(doc, reference, [0, 1, 2])
    assert doc.department == reference.department


def test_ruled_pdf_tables_read_like_the_seed(tmp_path: Path) -> None:
    name, data = written(tmp_path, "路南区.pdf", table_pdf_bytes([SEED_000_P1, SEED_000_P4]))
    doc = read_target_document(name, data)
    assert doc.layout == "pdf-table"
    assert_same_projects(doc, seed_document("000"), [0, 3])


@pytest.mark.parametrize("prefix", ["000", "001", "004"])
@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-16"])
def test_text_encodings_read_the_same(prefix: str, encoding: str) -> None:
    text = seed_bytes(prefix).decode("utf-8")
    doc = read_target_document(f"{prefix}.txt", text.encode(encoding))
    reference = seed_document(prefix)
    assert [comparable(project) for project in doc.projects] == [comparable(project) for project in reference.projects]
    assert doc.department == reference.department


def test_windows_line_endings_read_the_same() -> None:
    text = seed_bytes("000").decode("utf-8")
    doc = read_target_document("000.txt", text.replace("\n", "\r\n").encode("utf-8"))
    assert doc.projects == seed_document("000").projects


def test_content_not_the_name_decides_the_format(tmp_path: Path) -> None:
    name, data = written(tmp_path, "看起来是文本.txt", docx_000())
    assert read_target_document(name, data).layout == "docx"
    assert read_target_document("看起来是表格.xlsx", seed_bytes("004")).layout == "markdown"


def test_markdown_pipe_table_reads_like_the_tab_export() -> None:
    lines = []
    for line in seed_bytes("004").decode("utf-8").splitlines():
        if "\t" not in line:
            lines.append(line)
            continue
        lines.append("| " + " | ".join(line.split("\t")) + " |")
        if "一级指标" in line:
            lines.append("|---|---|---|---|")
    doc = read_target_document("004.md", "\n".join(lines).encode("utf-8"))
    reference = seed_document("004")
    assert doc.layout == "markdown"
    assert [comparable(project) for project in doc.projects] == [comparable(project) for project in reference.projects]


def test_tab_separated_variant_with_code_row_weights_yuan_and_half_year_plan() -> None:
    text = (
        "2025年测试项目绩效目标表\n"
        "项目编码\tP001\n"
        "项目名称\t测试项目\n"
        "预算数\t12,800,000元\n"
        "资金支出计划\t上半年\t全年\n"
        "\t40\t100\n"
        "一级指标\t二级指标\t三级指标\t指标值\t分值\n"
        "产出指标\t数量指标\t培训次数\t≥2次\t20\n"
        "\t\t培训人数\t≥100人\t20分\n"
        "效益指标\t社会效益指标\t满意度\t≥90%\t约十分\n"
    )
    doc = read_target_document("测试.tsv", text.encode("gbk"))
    project = doc.projects[0]
    assert (doc.layout, doc.year, project.code, project.name) == ("tsv", 2025, "P001", "测试项目")
    assert project.title == "2025年测试项目绩效目标表"
    assert project.budget_wan == Decimal(1280)
    assert [(point.checkpoint, point.cumulative_pct) for point in project.plan] == [
        (date(2025, 6, 30), Decimal(40)), (date(2025, 12, 31), Decimal(100)),
    ]
    assert [(indicator.level2, indicator.weight) for indicator in project.indicators] == [
        ("数量指标", Decimal(20)), ("数量指标", Decimal(20)), ("社会效益指标", None),
    ]
    assert [(finding.severity, finding.code) for finding in project.findings] == [
        ("info", "amount_in_yuan"), ("warning", "weight_unreadable"),
    ]
    assert [finding.code for finding in doc.findings] == ["unit_missing"]


# ---------------------------------------------------------------------------
# Refused files: the error type, a Chinese message, and the file named.


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _with_broken_member(data: bytes, member: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            body = b"<w:document><w:body><w:p>" if info.filename == member else source.read(info.filename)
            target.writestr(info, body)
    return buffer.getvalue()


BROKEN: list[tuple[str, str, Callable[[], bytes]]] = [
    ("truncated-docx", "截断.docx", lambda: _truncated(docx_000())),
    ("corrupt-docx", "损坏.docx", lambda: _with_broken_member(docx_000(), "word/document.xml")),
    ("truncated-xlsx", "截断.xlsx", lambda: _truncated(xlsx_000(one_sheet=True))),
    ("corrupt-xlsx", "损坏.xlsx", lambda: _with_broken_member(xlsx_000(one_sheet=True), "xl/worksheets/sheet1.xml")),
    ("pdf-without-text", "扫描件.pdf", blank_pdf_bytes),
    ("truncated-pdf", "截断.pdf", lambda: b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog"),
    ("binary-junk", "乱码.txt", lambda: random.Random(7).randbytes(4096)),
    ("binary-junk-without-nul", "乱码2.txt",
     lambda: bytes(byte for byte in random.Random(8).randbytes(8192) if byte)[:4096]),
    ("legacy-doc", "旧版.doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512),
    ("zip-of-something-else", "压缩包.zip", lambda: _zip_of({"readme.txt": b"hello"})),
    ("empty", "空文件.txt", lambda: b""),
    ("blank", "空白.txt", lambda: b" \n\t\r\n"),
    ("too-large", "超大.txt", lambda: b"x" * (MAX_FILE_BYTES + 1)),
]


def _zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, body in members.items():
            archive.writestr(member, body)
    return buffer.getvalue()


@pytest.mark.parametrize(("case", "filename", "build"), BROKEN, ids=[case for case, _, _ in BROKEN])
def test_broken_files_are_refused(case: str, filename: str, build: Callable[[], bytes]) -> None:
    with pytest.raises(ImportRejected) as raised:
        read_target_document(filename, build())
    error = raised.value
    assert type(error) is ImportRejected, case  # not UnrecognisedLayout: the file itself is unreadable
    assert error.location is not None and error.location.startswith(filename)
    assert filename in str(error)
    assert any("\u4e00" <= char <= "\u9fff" for char in error.message)


def test_size_is_checked_before_anything_else() -> None:
    with pytest.raises(ImportRejected, match="超过 50 MB"):
        read_target_document("超大.docx", b"PK\x03\x04" + b"\x00" * MAX_FILE_BYTES)


UNRECOGNISED: list[tuple[str, Callable[[], bytes]]] = [
    ("会议纪要.txt", lambda: "关于召开科技工作会议的通知\n各单位：\n定于下周一召开会议。\n".encode("gbk")),
    ("台账.xlsx", lambda: _ledger_xlsx()),
    ("通知.docx", lambda: _docx_without_target_table()),
    ("说明.pdf", lambda: text_pdf_bytes(["关于预算执行情况的说明", "一、基本情况", "二、下一步工作"])),
]


def _ledger_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (("日期", "凭证号", "摘要", "借方金额"), ("2025-03-01", "记-1", "支付劳务费", 5000)):
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _docx_without_target_table() -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph("关于报送绩效目标的通知")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "项目名称"
    table.cell(0, 1).text = "科技三项经费"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("filename", "build"), UNRECOGNISED, ids=[name for name, _ in UNRECOGNISED])
def test_documents_without_a_target_table_are_unrecognised(filename: str, build: Callable[[], bytes]) -> None:
    with pytest.raises(UnrecognisedLayout) as raised:
        read_target_document(filename, build())
    assert raised.value.location == filename
    assert filename in str(raised.value)
    for word in ("项目名称", "预算数", "一级指标", "三级指标"):
        assert word in raised.value.message
