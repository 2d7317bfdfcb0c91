"""What kind of file this really is, judged by its bytes, never by its name.

Finance systems name files freely: an ".xls" is often an HTML table, sometimes a real BIFF8
workbook or even an .xlsx; a ".csv" may be GBK, GB18030, UTF-8 with or without BOM, or the
UTF-16 "Unicode text" Excel writes.  Everything unreadable is refused with a Chinese reason.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Literal

from tracker.errors import ImportRejected

FileFormat = Literal["xlsx", "xls", "ods", "html", "csv"]

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
_HTML_START = re.compile(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|table|meta|style|\?xml)",
                         re.IGNORECASE | re.DOTALL)
_XML_SPREADSHEET = re.compile(rb"<(?:ss:)?Workbook\b[^>]*urn:schemas-microsoft-com:office:spreadsheet")
_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class Sniffed:
    format: FileFormat
    text: str | None = None  # decoded content for html / csv
    encoding: str | None = None


def sniff(filename: str, data: bytes, *, decode_csv: bool = True) -> Sniffed:
    """The file's format, and the decoded text of an HTML table or a CSV.

    With ``decode_csv=False`` a CSV other than UTF-16 comes back undecoded (``text`` and
    ``encoding`` None): the columnar reader splits its raw bytes into cells and decodes only
    the distinct ones (see ``csv_encoding``), instead of a few hundred MB of text at once.
    """
    where = f"文件 {filename}"
    if not data or data.isspace():  # not data.strip(), which copies the whole file
        raise ImportRejected("文件是空的", location=where)
    head = data[:8]
    if head.startswith(ZIP_MAGIC) or head.startswith(b"PK\x05\x06"):
        return Sniffed(_zip_kind(filename, data))
    if head == OLE2_MAGIC:
        return Sniffed("xls")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = _decode_utf16(filename, data)
        return Sniffed("html" if _looks_like_html(text.encode("utf-8")[:4096]) else "csv",
                       text, "utf-16")
    if data[:5] == b"%PDF-":
        raise ImportRejected("这是PDF文件，不是台账表格；请从财务系统导出Excel或CSV", location=where)
    if _looks_like_html(data[:4096]):
        if _XML_SPREADSHEET.search(data[:4096]):
            raise ImportRejected("这是Excel 2003 XML电子表格，请在Excel中另存为.xlsx后再导入",
                                 location=where)
        text, encoding = _decode_html(filename, data)
        return Sniffed("html", text, encoding)
    if b"\x00" in data[:4096]:
        raise ImportRejected("无法识别的文件格式（不是Excel、CSV或HTML表格）", location=where)
    if not decode_csv:
        return Sniffed("csv")
    text, encoding = decode_text(filename, data)
    return Sniffed("csv", text, encoding)


def _zip_kind(filename: str, data: bytes) -> FileFormat:
    where = f"文件 {filename}"
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportRejected("文件不完整或已损坏（压缩结构无法读取），请重新导出", location=where) from None
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        if "xl/workbook.bin" in names and "xl/workbook.xml" not in names:
            raise ImportRejected("这是Excel二进制工作簿（.xlsb），请另存为.xlsx后再导入", location=where)
        return "xlsx"
    if "content.xml" in names and "mimetype" in names:
        # Finance systems do not export OpenDocument, and calamine expands its repeated rows and
        # cells into one rectangle before any check of ours can see it: a 781-byte .ods asks
        # for 4 GB.  So it is refused, with the way round.
        raise ImportRejected("这是OpenDocument表格（.ods），请在WPS或Excel中另存为.xlsx后再导入",
                             location=where)
    if "word/document.xml" in names:
        raise ImportRejected("这是Word文档，不是台账表格", location=where)
    raise ImportRejected("这是一个压缩包，不是Excel工作簿（扩展名可能不对）", location=where)


def _looks_like_html(head: bytes) -> bool:
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    return _HTML_START.match(head) is not None


def _decode_utf16(filename: str, data: bytes) -> str:
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError:
        raise ImportRejected("文件是UTF-16编码，但内容不完整或已损坏", location=f"文件 {filename}") from None


def _decode_html(filename: str, data: bytes) -> tuple[str, str]:
    declared = _CHARSET.search(data[:4096])
    if declared is not None:
        name = declared[1].decode("ascii").lower()
        encoding = "gb18030" if name in {"gb2312", "gbk", "gb18030", "x-gbk", "cp936"} else name
        if data.startswith(b"\xef\xbb\xbf"):
            encoding = "utf-8-sig"
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError):
            pass  # the declaration lies; fall back to sniffing
    return decode_text(filename, data)


def decode_text(filename: str, data: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK and GB2312).

    A UTF-8 file cut in the middle of a character is reported as truncated rather than being
    misread as GB18030.
    """
    where = f"文件 {filename}"
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError as error:
            raise _bad_encoding(where, data, error, "UTF-8") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        if error.start >= len(data) - 3 and error.reason == "unexpected end of data" \
                and error.start > 0:
            raise ImportRejected("文件不完整：末尾的字符被截断，请重新导出", location=where) from None
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as error:
        if error.start >= len(data) - 3 and error.end >= len(data):
            raise ImportRejected("文件不完整：末尾的字符被截断，请重新导出", location=where) from None
        raise _bad_encoding(where, data, error, "UTF-8或GBK/GB18030") from None


def csv_encoding(data: bytes, head_end: int) -> str | None:
    """The encoding ``decode_text`` chooses for ``data``, as far as its first bytes tell:
    'utf-8-sig' for a BOM, 'gb18030' when ``data[:head_end]`` is not UTF-8, None when it is and
    only the whole file can tell (UTF-8 if all of it is valid UTF-8, else GB18030).

    ``head_end`` must be the end of ``data`` or just after a line feed: then a UTF-8 error in
    the head is the whole file's first one, and not the cut-off last character that
    ``decode_text`` reports as a truncated file.  Whether the file really is valid in the
    encoding returned is for the caller to check, on every byte.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        data[:head_end].decode("utf-8")
    except UnicodeDecodeError as error:
        if error.reason != "unexpected end of data":
            return "gb18030"
    return None


def _bad_encoding(where: str, data: bytes, error: UnicodeDecodeError, tried: str) -> ImportRejected:
    line = data.count(b"\n", 0, error.start) + 1
    return ImportRejected(f"文件编码无法识别（不是{tried}），第{line}行有无法解码的字节",
                          location=f"{where} 第{line}行")
