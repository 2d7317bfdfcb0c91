"""What a file is, judged by its bytes, never by its name; and the text of a text file.

Finance systems and offices name files freely: an ".xls" is often an HTML table, sometimes a real
BIFF8 workbook or even an .xlsx; a ".csv" or ".txt" may be GBK, GB18030, UTF-8 with or without
BOM, or the UTF-16 "Unicode text" Excel writes.  Both readers of uploads start here: the ledger
reader (ledger/sniff.py) and the target reader (targets/sniffing.py).  This module recognises and
decodes, and says what it found as a code; each reader decides which kinds it accepts and words
its own refusals.  The only archive opened here is by ``zip_kind``, which reads the entry names
of bytes the caller's archive guard (archive_guard.py) has already passed.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from typing import Literal

from tracker.importers.archive_guard import is_zip

Kind = Literal["empty", "zip", "ole2", "utf16", "pdf", "xml_spreadsheet", "html", "binary", "text"]
ZipKind = Literal["xlsx", "xlsb", "ods", "docx", "workbook_parts", "other"]
Reason = Literal["damaged_zip", "truncated", "not_utf8", "not_utf8_or_gb", "bad_utf16"]

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # a compound file: legacy .xls / .doc
UTF8_BOM = codecs.BOM_UTF8
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
PDF_HEADER = b"%PDF-"
PDF_HEADER_WINDOW = 1024  # readers accept the header anywhere in the first 1024 bytes
HEAD_BYTES = 4096  # how far into a file its kind is judged (HTML start, NUL bytes)
GB18030 = "gb18030"  # a superset of GBK and GB2312: the encoding any of them is read in
_GB_NAMES = frozenset({"gb2312", "gbk", "gb18030", "x-gbk", "cp936"})  # declared charsets

TRUNCATED_TEXT = "文件不完整：末尾的字符被截断，请重新导出"

_HTML_START = re.compile(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|table|meta|style|\?xml)",
                         re.IGNORECASE | re.DOTALL)
_XML_SPREADSHEET = re.compile(rb"<(?:ss:)?Workbook\b[^>]*urn:schemas-microsoft-com:office:spreadsheet")
_CHARSET = re.compile(rb"""charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)


class Unreadable(Exception):
    """Bytes that are not what their kind promises.  ``reason``: 'damaged_zip' (the archive's
    directory cannot be read), 'truncated' (the last character is cut off), 'not_utf8' (a UTF-8
    BOM, then bytes that are not UTF-8), 'not_utf8_or_gb' (neither UTF-8 nor GB18030),
    'bad_utf16' (a UTF-16 BOM, then bytes that are not UTF-16).  ``line``: the line of the first
    undecodable byte, for 'not_utf8' and 'not_utf8_or_gb'."""

    def __init__(self, reason: Reason, line: int | None = None) -> None:
        super().__init__(reason if line is None else f"{reason} (line {line})")
        self.reason: Reason = reason
        self.line = line


def identify(data: bytes) -> Kind:
    """The kind of file ``data`` is, from its first bytes, in this order:

    'empty' nothing but whitespace; 'zip' a zip container (.xlsx, .docx, .ods, .xlsb …: see
    ``zip_kind``, after the archive guard); 'ole2' a compound file (a legacy .xls or .doc);
    'utf16' text after a UTF-16 byte-order mark (``decode_text`` reads it); 'pdf' the PDF header
    in the first 1024 bytes; 'xml_spreadsheet' an Excel 2003 XML workbook; 'html' a page or a
    table (what finance systems often save as ".xls"; ``decode_html`` reads it); 'binary' a NUL
    byte in the first ``HEAD_BYTES``; 'text' anything else (``decode_text`` reads it).
    """
    if not data or data.isspace():  # not data.strip(), which copies the whole file
        return "empty"
    if is_zip(data):
        return "zip"
    if data.startswith(OLE2_MAGIC):
        return "ole2"
    if data.startswith(UTF16_BOMS):
        return "utf16"
    if PDF_HEADER in data[:PDF_HEADER_WINDOW]:
        return "pdf"
    head = data[:HEAD_BYTES]
    if looks_like_html(head):
        return "xml_spreadsheet" if _XML_SPREADSHEET.search(head) else "html"
    if b"\x00" in head:
        return "binary"
    return "text"


def zip_kind(data: bytes) -> ZipKind:
    """What a zip container holds, by its entry names: 'xlsx' (xl/workbook.xml), 'xlsb' (only
    the binary xl/workbook.bin), 'ods' (OpenDocument: content.xml and mimetype), 'docx'
    (word/document.xml), 'workbook_parts' (an xl/ folder without either workbook: a workbook
    whose main part has another name, which only a reader following the package's content types
    finds, or a broken one) or 'other'.  Raises ``Unreadable('damaged_zip')`` when the archive's
    directory cannot be read.  Only for bytes the caller's archive guard has passed."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise Unreadable("damaged_zip") from error
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "xl/workbook.bin" in names:
        return "xlsb"
    if "content.xml" in names and "mimetype" in names:
        return "ods"
    if "word/document.xml" in names:
        return "docx"
    if any(name.startswith("xl/") for name in names):
        return "workbook_parts"
    return "other"


def looks_like_html(head: bytes) -> bool:
    """Whether the bytes (a file's first ones, UTF-8 BOM allowed) start like an HTML or XML page."""
    if head.startswith(UTF8_BOM):
        head = head[len(UTF8_BOM):]
    return _HTML_START.match(head) is not None


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``data`` names ('utf-8-sig', 'utf-16'), or None."""
    if data.startswith(UTF8_BOM):
        return "utf-8-sig"
    if data.startswith(UTF16_BOMS):
        return "utf-16"
    return None


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of ``data`` and the encoding it was read in: after a BOM, UTF-8 ('utf-8-sig') or
    UTF-16 ('utf-16'); without one, UTF-8, else GB18030 (a superset of GBK and GB2312).

    A UTF-8 file (BOM or not) cut in the middle of its last character is
    ``Unreadable('truncated')`` rather than misread as GB18030 or called another encoding; so is
    a GB18030 file cut the same way.  Anything else that does not decode is ``Unreadable`` with
    the line of its first bad byte.
    """
    bom = bom_encoding(data)
    if bom == "utf-16":
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise Unreadable("bad_utf16") from None
    if bom is not None:
        try:
            return data.decode(bom), bom
        except UnicodeDecodeError as error:
            if _cut_utf8(error):
                raise Unreadable("truncated") from None
            raise Unreadable("not_utf8", _line_of(error)) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as error:
        if _cut_utf8(error):
            raise Unreadable("truncated") from None
    try:
        return data.decode(GB18030), GB18030
    except UnicodeDecodeError as error:
        if error.start >= len(data) - 3 and error.end >= len(data):
            raise Unreadable("truncated") from None
        raise Unreadable("not_utf8_or_gb", _line_of(error)) from None


def decode_html(data: bytes) -> tuple[str, str]:
    """The text of an HTML page and its encoding: the charset its head declares (any GBK family
    name read as GB18030; a UTF-8 BOM wins), else as ``decode_text`` finds it when the
    declaration is missing or lies."""
    declared = _CHARSET.search(data[:HEAD_BYTES])
    if declared is not None:
        name = declared[1].decode("ascii").lower()
        encoding = GB18030 if name in _GB_NAMES else name
        if data.startswith(UTF8_BOM):
            encoding = "utf-8-sig"
        try:
            return data.decode(encoding), encoding
        except (LookupError, UnicodeDecodeError):
            pass  # the declaration lies; fall back to sniffing
    return decode_text(data)


def _cut_utf8(error: UnicodeDecodeError) -> bool:
    """Whether UTF-8 failed only because the last character is cut off (after some text)."""
    return error.reason == "unexpected end of data" and 0 < error.start >= len(error.object) - 3


def _line_of(error: UnicodeDecodeError) -> int:
    """The line of the first undecodable byte, counted in the bytes the codec saw (after a BOM it
    strips, as 'utf-8-sig' does: its offsets do not count the BOM)."""
    return error.object.count(b"\n", 0, error.start) + 1


__all__ = ["GB18030", "HEAD_BYTES", "OLE2_MAGIC", "TRUNCATED_TEXT", "UTF8_BOM", "Kind", "Unreadable",
           "ZipKind", "bom_encoding", "decode_html", "decode_text", "identify", "looks_like_html",
           "zip_kind"]
