"""Which files the target reader takes, and the text of the ones that are text.

What a file is comes from its bytes (importers/sniffing.py, shared with the ledger reader; the
name is only used in messages).  Taken: Word (.docx) and Excel (.xlsx) files, PDFs, and text in
UTF-8 (with or without BOM), UTF-16 (with BOM) or GB18030/GBK.  Refused before any parsing:
files over ``MAX_FILE_BYTES``, empty files, legacy binary Office files, zip archives that break
the archive guard's limits (archive_guard.py) or are neither Word nor Excel, and bytes that are
not text.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

from tracker.errors import ImportRejected
from tracker.importers.archive_guard import check_archive
from tracker.importers.file_limits import DEFAULT_LIMITS, FileLimits
from tracker.importers.sniffing import TRUNCATED_TEXT, Unreadable, bom_encoding, identify, zip_kind
from tracker.importers.sniffing import decode_text as _decode

MAX_FILE_BYTES = 50 * 1024 * 1024
FileKind = Literal["docx", "xlsx", "pdf", "text"]

_NOT_TEXT = "文件不是可识别的文本（既不是 UTF-8 也不是 GBK/GB18030 编码），也不是 Word、Excel 或 PDF 文件"
_NEITHER = "压缩包中没有 Word 文档或 Excel 工作簿，无法识别"
_ZIP_REFUSALS = {"xlsb": "这是 Excel 二进制工作簿（.xlsb），请另存为 .xlsx 后上传", "ods": _NEITHER, "other": _NEITHER}


def sniff(filename: str, data: bytes, limits: FileLimits = DEFAULT_LIMITS) -> FileKind:
    if len(data) > MAX_FILE_BYTES:
        raise ImportRejected(
            f"文件过大（{len(data) / 1024 / 1024:.1f} MB），超过 {MAX_FILE_BYTES // 1024 // 1024} MB 的上限",
            location=filename,
        )
    kind = identify(data)
    if kind == "empty":
        raise ImportRejected("文件是空的，没有任何内容", location=filename)
    if kind == "pdf":
        return "pdf"
    if kind == "ole2":
        raise ImportRejected(
            "不支持旧版 Word/Excel 格式（.doc/.xls），请另存为 .docx 或 .xlsx 后上传", location=filename
        )
    if kind == "zip":
        check_archive(filename, data, limits, "target", location=filename)  # before any parser
        return _zip_kind(filename, data)
    return "text"  # read by decode_text, which refuses what is not text


def _zip_kind(filename: str, data: bytes) -> FileKind:
    try:
        contents = zip_kind(data)
    except Unreadable as error:
        raise ImportRejected(
            "文件已损坏或不完整（压缩包无法打开），请重新导出 Word/Excel 文件后上传", location=filename
        ) from error
    if contents == "docx":
        return "docx"
    if contents in ("xlsx", "workbook_parts"):  # openpyxl finds the workbook by its content type
        return "xlsx"
    raise ImportRejected(_ZIP_REFUSALS[contents], location=filename)


def decode_text(filename: str, data: bytes) -> str:
    """The text of a text file in UTF-8 (BOM optional), UTF-16 (BOM) or GB18030, its line ends
    made "\\n"; junk (a NUL byte without a BOM, control characters in bulk) is refused."""
    text: str | None = None
    if bom_encoding(data) is not None or b"\x00" not in data:
        try:
            text, _ = _decode(data)
        except Unreadable as problem:
            if problem.reason == "truncated":
                raise ImportRejected(TRUNCATED_TEXT, location=filename) from None
    if text is None or _looks_binary(text):
        raise ImportRejected(_NOT_TEXT, location=filename)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_binary(text: str) -> bool:
    """Control characters (other than tab/newline) or private-use/unassigned code points in bulk."""
    if not text.strip():
        return True
    odd = sum(
        1
        for char in text
        if char not in "\t\n\r\f" and unicodedata.category(char) in ("Cc", "Co", "Cn", "Cs")
    )
    return odd > max(2, len(text) // 200)
