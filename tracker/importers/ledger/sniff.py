"""Which files the ledger reader takes, and the text of the ones that are text.

What a file is comes from its bytes (importers/sniffing.py, shared with the target reader); this
module decides what the ledger reader does with each kind: .xlsx, a BIFF8 .xls, an HTML table
(whatever its extension), a CSV in UTF-8, GBK/GB18030 or UTF-16.  Everything else is refused
with a Chinese reason that says what the file is and, where there is one, the way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tracker.errors import ImportRejected
from tracker.importers.sniffing import (
    GB18030,
    HEAD_BYTES,
    TRUNCATED_TEXT,
    UTF8_BOM,
    Unreadable,
    decode_html,
    decode_text,
    identify,
    looks_like_html,
    zip_kind,
)

FileFormat = Literal["xlsx", "xls", "ods", "html", "csv"]

_NOT_A_WORKBOOK = "这是一个压缩包，不是Excel工作簿（扩展名可能不对）"
_ZIP_REFUSALS = {
    "xlsb": "这是Excel二进制工作簿（.xlsb），请另存为.xlsx后再导入",
    # Finance systems do not export OpenDocument, and calamine expands its repeated rows and
    # cells into one rectangle before any check of ours can see it: a 781-byte .ods asks for
    # 4 GB.  So it is refused, with the way round.
    "ods": "这是OpenDocument表格（.ods），请在WPS或Excel中另存为.xlsx后再导入",
    "docx": "这是Word文档，不是台账表格",
    "workbook_parts": _NOT_A_WORKBOOK,  # calamine reads only xl/workbook.xml
    "other": _NOT_A_WORKBOOK,
}
_REFUSALS = {
    "empty": "文件是空的",
    "pdf": "这是PDF文件，不是台账表格；请从财务系统导出Excel或CSV",
    "xml_spreadsheet": "这是Excel 2003 XML电子表格，请在Excel中另存为.xlsx后再导入",
    "binary": "无法识别的文件格式（不是Excel、CSV或HTML表格）",
}


@dataclass(frozen=True)
class Sniffed:
    format: FileFormat
    text: str | None = None  # decoded content for html / csv
    encoding: str | None = None


def sniff(filename: str, data: bytes, *, decode_csv: bool = True) -> Sniffed:
    """The file's format, and the decoded text of an HTML table or a CSV.

    A zip container must have passed the archive guard already (reader.py does it first).
    With ``decode_csv=False`` a CSV other than UTF-16 comes back undecoded (``text`` and
    ``encoding`` None): the columnar reader splits its raw bytes into cells and decodes only
    the distinct ones (see ``csv_encoding``), instead of a few hundred MB of text at once.
    """
    where = f"文件 {filename}"
    kind = identify(data)
    if kind in _REFUSALS:
        raise ImportRejected(_REFUSALS[kind], location=where)
    try:
        if kind == "zip":
            contents = zip_kind(data)
            if contents != "xlsx":
                raise ImportRejected(_ZIP_REFUSALS[contents], location=where)
            return Sniffed("xlsx")
        if kind == "ole2":
            return Sniffed("xls")
        if kind == "html":
            return Sniffed("html", *decode_html(data))
        if kind == "utf16":
            text, encoding = decode_text(data)
            head = text[:HEAD_BYTES].encode("utf-8")[:HEAD_BYTES]
            return Sniffed("html" if looks_like_html(head) else "csv", text, encoding)
        if not decode_csv:
            return Sniffed("csv")
        return Sniffed("csv", *decode_text(data))
    except Unreadable as problem:
        raise _unreadable(filename, problem) from None


def csv_encoding(data: bytes, head_end: int) -> str | None:
    """The encoding ``decode_text`` chooses for ``data``, as far as its first bytes tell:
    'utf-8-sig' for a BOM, 'gb18030' when ``data[:head_end]`` is not UTF-8, None when it is and
    only the whole file can tell (UTF-8 if all of it is valid UTF-8, else GB18030).

    ``head_end`` must be the end of ``data`` or just after a line feed: then a UTF-8 error in
    the head is the whole file's first one, and not the cut-off last character that
    ``decode_text`` reports as a truncated file.  Whether the file really is valid in the
    encoding returned is for the caller to check, on every byte.
    """
    if data.startswith(UTF8_BOM):
        return "utf-8-sig"
    try:
        data[:head_end].decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason != "unexpected end of data":
            return GB18030
    return None


def _unreadable(filename: str, problem: Unreadable) -> ImportRejected:
    """The refusal of bytes that are not what their kind promises, in the ledger reader's words."""
    where = f"文件 {filename}"
    if problem.reason == "damaged_zip":
        return ImportRejected("文件不完整或已损坏（压缩结构无法读取），请重新导出", location=where)
    if problem.reason == "truncated":
        return ImportRejected(TRUNCATED_TEXT, location=where)
    if problem.reason == "bad_utf16":
        return ImportRejected("文件是UTF-16编码，但内容不完整或已损坏", location=where)
    tried = "UTF-8" if problem.reason == "not_utf8" else "UTF-8或GBK/GB18030"
    return ImportRejected(f"文件编码无法识别（不是{tried}），第{problem.line}行有无法解码的字节",
                          location=f"{where} 第{problem.line}行")
