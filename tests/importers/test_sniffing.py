"""One recognition of a file's bytes and one decoding of its text, for both readers of uploads:
the ledger reader and the target reader take different kinds and word their refusals their own
way, but what a file is, and what its text says, they find the same way (importers/sniffing.py)."""

from __future__ import annotations

import codecs
import io
import zipfile
from pathlib import Path

import pytest

from tracker.errors import ImportRejected
from tracker.importers import sniffing
from tracker.importers.ledger import read_ledger
from tracker.importers.ledger.sniff import sniff as ledger_sniff
from tracker.importers.sniffing import Unreadable, decode_html, decode_text, identify, zip_kind
from tracker.importers.targets import read_target_document
from tracker.importers.targets.sniffing import decode_text as target_text
from tracker.importers.targets.sniffing import sniff as target_sniff

CSV = "日期,金额,摘要\n2021-01-05,1.00,专项\n"


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "kind"), [
    (b"", "empty"), (b" \r\n\t\x0b\x0c", "empty"),
    (_zip("xl/workbook.xml"), "zip"), (b"PK\x05\x06" + b"\x00" * 18, "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "ole2"),
    (CSV.encode("utf-16"), "utf16"), (codecs.BOM_UTF16_BE + CSV.encode("utf-16-be"), "utf16"),
    (b"%PDF-1.7\n...", "pdf"), (b"\r\n\r\n%PDF-1.4\n\x00\x00", "pdf"),  # header after a few bytes
    (b"x" * 1020 + b"%PDF-", "text"),  # past the first 1024 bytes: not a PDF header
    (b'<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet">',
     "xml_spreadsheet"),
    (b"<!-- export --> <table><tr><td>1</td></tr></table>", "html"),
    ("\ufeff<html><body>".encode("utf-8"), "html"),
    (b"\x00\x01\x02garbage", "binary"),
    (b"a,b\n" * 1100 + b"\x00", "text"),  # a NUL past the first 4096 bytes is for the decoder
    (CSV.encode("gbk"), "text"), (CSV.encode("utf-8-sig"), "text"),
])
def test_a_file_is_known_by_its_bytes(data: bytes, kind: str) -> None:
    assert identify(data) == kind


@pytest.mark.parametrize(("names", "kind"), [
    (("[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"), "xlsx"),
    (("xl/workbook.bin", "xl/worksheets/sheet1.bin"), "xlsb"),
    (("mimetype", "content.xml"), "ods"),
    (("word/document.xml", "word/styles.xml"), "docx"),
    (("xl/workbook2.xml",), "workbook_parts"),
    (("readme.txt",), "other"),
])
def test_a_zip_is_known_by_its_entries(names: tuple[str, ...], kind: str) -> None:
    assert zip_kind(_zip(*names)) == kind


def test_a_zip_whose_directory_cannot_be_read() -> None:
    with pytest.raises(Unreadable) as caught:
        zip_kind(b"PK\x03\x04" + b"\x00" * 40)
    assert caught.value.reason == "damaged_zip"


@pytest.mark.parametrize(("data", "encoding"), [
    (CSV.encode("utf-8"), "utf-8"), (CSV.encode("utf-8-sig"), "utf-8-sig"),
    (CSV.encode("utf-16"), "utf-16"), (CSV.encode("gbk"), "gb18030"),
    ("日期,𠀀\n".encode("gb18030"), "gb18030"),
])
def test_text_is_decoded_in_the_first_encoding_that_reads_it(data: bytes, encoding: str) -> None:
    text, found = decode_text(data)
    assert found == encoding and text.startswith("日期")


@pytest.mark.parametrize(("data", "reason", "line"), [
    (CSV.encode() + "专".encode()[:2], "truncated", None),  # not misread as GB18030
    (CSV.encode("gbk") + "专".encode("gbk")[:1], "truncated", None),
    (CSV.encode("utf-8-sig") + "专".encode()[:2], "truncated", None),  # what Excel's "CSV UTF-8" writes
    ("支付日期,支付金额\n".encode() + b"\xff\xff\xff,1\n", "not_utf8_or_gb", 2),
    (codecs.BOM_UTF8 + b"a\nb\n\xff\n", "not_utf8", 3),  # a BOM says UTF-8: no other try
    (CSV.encode("utf-16")[:-1], "bad_utf16", None),
])
def test_undecodable_text_says_why_and_where(data: bytes, reason: str, line: int | None) -> None:
    with pytest.raises(Unreadable) as caught:
        decode_text(data)
    assert (caught.value.reason, caught.value.line) == (reason, line)


def test_an_html_page_is_read_in_the_charset_it_declares_unless_it_lies() -> None:
    page = '<meta charset="GB2312"><table><tr><td>日期</td></tr></table>'
    assert decode_html(page.encode("gbk")) == (page, "gb18030")
    lying = '<meta charset="utf-8"><table><tr><td>日期</td></tr></table>'
    assert decode_html(lying.encode("gbk")) == (lying, "gb18030")
    assert decode_html(b'<meta charset="x-unknown"><table>') == ('<meta charset="x-unknown"><table>', "utf-8")


# -- both readers, one recognition ---------------------------------------------------------------


def test_a_pdf_with_bytes_before_its_header_is_a_pdf_to_both_readers() -> None:
    data = b"\r\n\r\n%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    assert target_sniff("目标.pdf", data) == "pdf"
    with pytest.raises(ImportRejected) as caught:
        read_ledger("台账.csv", data)
    assert "PDF" in caught.value.message and caught.value.location == "文件 台账.csv"


def test_a_truncated_text_file_is_refused_as_truncated_by_both_readers() -> None:
    data = ("项目名称\t科技三项经费\n预算数\t100\n" * 3).encode("utf-8") + "专".encode("utf-8")[:2]
    with pytest.raises(ImportRejected) as caught:
        target_text("目标.txt", data)
    assert caught.value.message == sniffing.TRUNCATED_TEXT and caught.value.location == "目标.txt"
    with pytest.raises(ImportRejected) as caught:
        read_ledger("台账.csv", data)
    assert caught.value.message == sniffing.TRUNCATED_TEXT and caught.value.location == "文件 台账.csv"


def test_the_line_of_a_bad_byte_after_a_bom_counts_the_bom_out() -> None:
    """UTF-8 with BOM: the codec's offsets start after the BOM (the ledger once named line 1 here)."""
    data = codecs.BOM_UTF8 + "日期,金额\n".encode() + b"x\n\xff,1\n"
    with pytest.raises(ImportRejected) as caught:
        read_ledger("台账.csv", data)
    assert caught.value.location == "文件 台账.csv 第3行" and "第3行" in caught.value.message


def test_an_xlsb_is_named_as_such_by_both_readers() -> None:
    data = _zip("[Content_Types].xml", "xl/workbook.bin", "xl/worksheets/sheet1.bin")
    with pytest.raises(ImportRejected) as caught:
        read_target_document("目标.xlsx", data)
    assert ".xlsb" in caught.value.message and caught.value.location == "目标.xlsx"
    with pytest.raises(ImportRejected) as caught:
        read_ledger("台账.xlsx", data)
    assert ".xlsb" in caught.value.message and caught.value.location == "文件 台账.xlsx"


def test_each_reader_takes_its_own_kinds() -> None:
    docx = _zip("[Content_Types].xml", "word/document.xml")
    assert target_sniff("目标.docx", docx) == "docx"
    with pytest.raises(ImportRejected, match="Word文档"):
        ledger_sniff("台账.xlsx", docx)
    html = "<table><tr><td>日期</td></tr></table>".encode("gbk")
    assert ledger_sniff("台账.xls", html).format == "html"
    assert target_sniff("目标.txt", html) == "text"  # the target reader reads it as text
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600
    assert ledger_sniff("台账.xls", ole2).format == "xls"
    with pytest.raises(ImportRejected, match=r"\.doc/\.xls"):
        target_sniff("目标.doc", ole2)


def test_the_magic_numbers_and_encodings_are_written_once() -> None:
    """The readers ask importers/sniffing.py; none of them spells a signature or a codec list."""
    importers = Path(sniffing.__file__).parent
    for path in (importers / "ledger" / "sniff.py", importers / "targets" / "sniffing.py"):
        source = path.read_text(encoding="utf-8")
        for spelled in ("\\xd0\\xcf\\x11\\xe0", "PK\\x03\\x04", "\\xef\\xbb\\xbf", "%PDF-", '"gbk"',
                        "BOM_UTF", "x-gbk", "cp936"):
            assert spelled not in source, (path.name, spelled)
