"""What kind of file this is, decided by its bytes (the name is only used in messages).

Refused before any parsing: empty files, files over ``MAX_FILE_BYTES``, legacy binary Office
files, zip archives that break the archive guard's limits (archive_guard.py) or are neither
Word nor Excel, and bytes that are not text in UTF-8 (with or without BOM), UTF-16 (with BOM)
or GB18030/GBK.
"""

from __future__ import annotations

import codecs
import io
import unicodedata
import zipfile
from typing import Literal

from tracker.errors import ImportRejected
from tracker.importers.archive_guard import check_archive
from tracker.importers.file_limits import DEFAULT_LIMITS, FileLimits

MAX_FILE_BYTES = 50 * 1024 * 1024
FileKind = Literal["docx", "xlsx", "pdf", "text"]

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


def sniff(filename: str, data: bytes, limits: FileLimits = DEFAULT_LIMITS) -> FileKind:
    if len(data) > MAX_FILE_BYTES:
        raise ImportRejected(
            f"文件过大（{len(data) / 1024 / 1024:.1f} MB），超过 {MAX_FILE_BYTES // 1024 // 1024} MB 的上限",
            location=filename,
        )
    if not data.strip():
        raise ImportRejected("文件是空的，没有任何内容", location=filename)
    if b"%PDF-" in data[:1024]:  # some producers put a few bytes before the header
        return "pdf"
    if data.startswith(_OLE2):
        raise ImportRejected(
            "不支持旧版 Word/Excel 格式（.doc/.xls），请另存为 .docx 或 .xlsx 后上传", location=filename
        )
    if data.startswith(_ZIP_SIGNATURES):
        check_archive(filename, data, limits, "target", location=filename)  # before any parser
        return _zip_kind(filename, data)
    return "text"


def _zip_kind(filename: str, data: bytes) -> FileKind:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise ImportRejected(
            "文件已损坏或不完整（压缩包无法打开），请重新导出 Word/Excel 文件后上传", location=filename
        ) from error
    if "word/document.xml" in names:
        return "docx"
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    raise ImportRejected("压缩包中没有 Word 文档或 Excel 工作簿，无法识别", location=filename)


def decode_text(filename: str, data: bytes) -> str:
    """The text of a text file in UTF-8 (BOM optional), UTF-16 (BOM) or GB18030; junk is refused."""
    text: str | None = None
    if data.startswith(codecs.BOM_UTF8):
        text = _try(data[len(codecs.BOM_UTF8):], "utf-8")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = _try(data, "utf-16")
    elif b"\x00" not in data:
        text = _try(data, "utf-8")
        if text is None:
            text = _try(data, "gb18030")
    if text is None or _looks_binary(text):
        raise ImportRejected(
            "文件不是可识别的文本（既不是 UTF-8 也不是 GBK/GB18030 编码），也不是 Word、Excel 或 PDF 文件",
            location=filename,
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _try(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


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
