"""The guard every zip-based upload (.xlsx, .ods, .docx) passes before a parser opens it.

A 14 MB .xlsx can decompress to 3 GB, and a 1 KB one with a cell at XFD1048576 makes calamine
allocate rows × columns cells (550 GB: the allocation fails and aborts the process, which no
``except`` catches).  So before parsing, ``check_archive``:

1. counts the entries (``max_archive_entries``);
2. adds up the sizes the archive declares, and checks each big entry's compression ratio;
3. decompresses every entry once, as a stream (1 MB at a time, nothing kept), because the
   declared sizes can lie: Python's zipfile stops at the declared size, the Rust readers do
   not.  The bytes actually produced are held to the same caps, and the stream stops as soon
   as one is passed, so a refusal costs at most the cap's worth of decompression and a few MB
   of memory;
4. while streaming, counts rows (``<row>`` of a worksheet, ``<w:tr>`` of a Word table) and
   finds the largest row and column a worksheet can reach (``r="…"`` references, and cells
   without one): calamine lays a sheet out as that whole rectangle (``max_sheet_cells``).
   Worksheets are the parts under ``xl/worksheets/``, those a worksheet relationship points
   at, and, from where it appears, any part holding ``sheetData``.

Every refusal is an ``ImportRejected`` naming the limit.  Pure: no database, no Flask.
"""

from __future__ import annotations

import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Literal

import numpy as np

from tracker.errors import ImportRejected
from tracker.importers.file_limits import MB, FileLimits, megabytes

Purpose = Literal["ledger", "target", "fill"]  # "fill": a 填报表, with the target tables' caps

_OUT_CHUNK = 1 * MB  # decompressed bytes produced at a time
_IN_CHUNK = 64 * 1024  # compressed bytes fed at a time
_RATIO_FROM = 1 * MB  # entries smaller than this may compress as well as they like
_ASK = "如确需导入，请联系管理员调整上限"
_ENTRY_BYTES = 1024  # directory bytes allowed per permitted entry (46 + name, usually < 100)

# A cell or row reference: whitespace, r, =, a quote, then letters (the column) and digits.
_WINDOW = 16  # bytes read after the quote: 4 letters and 10 digits at most, then it is _HUGE
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[9, 10, 13, 32]] = True
_UPPER_LETTER = np.zeros(256, dtype=np.int64)  # A..Z, a..z → 1..26, else 0
_UPPER_LETTER[ord("A"):ord("Z") + 1] = _UPPER_LETTER[ord("a"):ord("z") + 1] = np.arange(1, 27)
_TAG_START = np.zeros(256, dtype=bool)
_TAG_START[[ord("<"), ord(":")]] = True
_TAG_END = np.zeros(256, dtype=bool)  # what may follow a tag's name
_TAG_END[[9, 10, 13, 32, ord(">"), ord("/")]] = True
_DIGIT = np.full(256, -1, dtype=np.int64)  # 0..9 → 0..9, else -1
_DIGIT[ord("0"):ord("9") + 1] = np.arange(10)
_LOOSE_REF = re.compile(rb"""[\t\n\r ]r[\t\n\r ]*=[\t\n\r ]*["']([A-Za-z]*)([0-9]*)""")
_HUGE = 1 << 40  # a reference longer than any sheet allows (4+ letters, 10+ digits)
_LONGEST_RELS = 1 * MB  # a workbook's relationships are a few KB
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_REL_TYPE = re.compile(rb"""\bType\s*=\s*["']([^"']*)["']""")
_REL_TARGET = re.compile(rb"""\bTarget\s*=\s*["']([^"']*)["']""")
_LONGEST_TAG = 4 * MB  # no worksheet tag is this long (a cell holds at most 32,767 characters)


@dataclass(frozen=True)
class ArchiveScan:
    """What the guard measured (all within the limits, or it would have refused)."""

    entries: int
    decompressed_bytes: int
    rows: int  # worksheet <row> elements, or Word table rows
    max_row: int  # largest row number referenced by any worksheet
    max_column: int  # largest column number referenced by any worksheet


def check_archive(filename: str, data: bytes, limits: FileLimits, purpose: Purpose, *,
                  location: str) -> ArchiveScan:
    """Refuse ``data`` (a zip container) if it breaks a limit; else what was measured."""
    max_bytes = limits.max_decompressed_bytes if purpose == "ledger" \
        else limits.max_target_decompressed_bytes
    max_rows = limits.max_ledger_rows if purpose == "ledger" else limits.max_target_rows
    directory = _directory_size(data)
    if directory is not None and directory > limits.max_archive_entries * _ENTRY_BYTES:
        raise _too_many_entries(None, limits, location)  # zipfile would hold them all at once
    try:
        infos = zipfile.ZipFile(BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise _damaged(location) from None
    if len(infos) > limits.max_archive_entries:
        raise _too_many_entries(len(infos), limits, location)
    declared = sum(info.file_size for info in infos)
    if declared > max_bytes:
        raise too_big(max_bytes, location)
    for info in infos:
        _check_ratio(info.filename, info.file_size, info.compress_size, limits, location)

    worksheets = _worksheet_parts(data, infos, location)
    total = rows = max_row = max_column = 0
    for info in infos:
        extent = _SheetExtent(location) if info.filename in worksheets else None
        # Word table rows (no other part has these tags); a ledger is never a Word file
        word_rows = _RowCounter(b"<w:tr>", b"<w:tr ") if purpose == "target" else _NO_ROWS
        produced = 0
        edge = b""  # the end of the previous chunk, for a "sheetData" cut in two
        for chunk in _inflate(data, info, location):
            produced += len(chunk)
            if total + produced > max_bytes:
                raise too_big(max_bytes, location)
            word_rows.feed(chunk)
            if extent is None and (b"sheetData" in chunk or b"sheetData" in edge + chunk[:16]):
                # cells in a part no relationship names as a worksheet (a reader may still
                # find it): measured from here on, the same way
                extent = _SheetExtent(location)
            edge = chunk[-16:]
            if extent is not None:
                extent.feed(chunk)
            counted = rows + word_rows.count + (extent.rows if extent is not None else 0)
            if counted > max_rows:
                raise too_many_rows(counted, purpose, limits, location, at_least=True)
        _check_ratio(info.filename, produced, info.compress_size, limits, location)
        total += produced
        rows += word_rows.count
        if extent is None:
            continue
        extent.finish()
        rows += extent.rows
        max_row, max_column = max(max_row, extent.max_row), max(max_column, extent.max_column)
        if extent.max_row > max_rows:  # a reference far below the data: rows to read, or lay out
            raise too_many_rows(extent.max_row, purpose, limits, location, at_least=True)
        check_sheet_extent(extent.max_row, extent.max_column, limits, location)
    return ArchiveScan(len(infos), total, rows, max_row, max_column)


def check_sheet_extent(max_row: int, max_column: int, limits: FileLimits, location: str) -> None:
    """Refuse a sheet whose rectangle (row 1 to the last row, column A to the last column) has
    more cells than ``max_sheet_cells``: the reader would allocate every one of them."""
    if max_row * max_column > limits.max_sheet_cells:
        shown_rows = f"{max_row:,}" if max_row < _HUGE else "超过1,048,576"
        shown_columns = f"{max_column:,}" if max_column < _HUGE else "超过16,384"
        raise ImportRejected(
            f"工作表的单元格区域达 {shown_rows} 行 × {shown_columns} 列，超过 "
            f"{limits.max_sheet_cells:,} 个单元格的上限（可能有远离数据区的单元格），"
            f"请删除多余的行和列后重新保存再导入；{_ASK}", location=location)


def too_many_rows(rows: int, purpose: Purpose, limits: FileLimits, location: str, *,
                  at_least: bool = False) -> ImportRejected:
    """The refusal of a file with more rows than its cap (``at_least``: counting stopped)."""
    cap = limits.max_ledger_rows if purpose == "ledger" else limits.max_target_rows
    what = {"ledger": "台账", "target": "绩效目标表", "fill": "填报表"}[purpose]
    counted = "" if at_least else f"有 {rows:,} 行，"  # counting stopped at the cap
    advice = "请按月份或单位拆分后分别导入" if purpose == "ledger" else "请检查文件或拆分后分别导入"
    return ImportRejected(f"文件{counted}超过{what} {cap:,} 行的上限；{advice}", location=location)


def _check_ratio(name: str, size: int, compressed: int, limits: FileLimits, location: str) -> None:
    if size >= _RATIO_FROM and size > limits.max_compression_ratio * max(compressed, 1):
        raise ImportRejected(
            f"压缩包中的“{name}”解压后 {megabytes(size)}、压缩后仅 {compressed / MB:,.2f} MB，"
            f"压缩比超过 {limits.max_compression_ratio:,} 倍的上限（可能是压缩炸弹），已拒绝；{_ASK}",
            location=location)


def _worksheet_parts(data: bytes, infos: list[zipfile.ZipInfo], location: str) -> set[str]:
    """The parts a reader may open as worksheets: those under ``xl/worksheets/`` and whatever a
    relationship of the worksheet type points at, wherever it is (from the ``.rels`` parts,
    read after the declared sizes were checked; zipfile reads no more than declared)."""
    parts = {info.filename for info in infos if info.filename.startswith("xl/worksheets/")}
    with zipfile.ZipFile(BytesIO(data)) as archive:
        for info in infos:
            if not info.filename.endswith(".rels"):
                continue
            if info.file_size > _LONGEST_RELS:
                raise ImportRejected(f"压缩包中的关系文件“{info.filename}”大于 {megabytes(_LONGEST_RELS)}，"
                                     "不像正常的 Excel/Word 文件，已拒绝", location=location)
            try:
                text = archive.read(info)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
                raise _damaged(location) from None
            # "xl/_rels/workbook.xml.rels" describes "xl/workbook.xml": targets are relative to "xl/"
            base = posixpath.dirname(posixpath.dirname(info.filename))
            for relationship in _RELATIONSHIP.findall(text):
                kind, target = _REL_TYPE.search(relationship), _REL_TARGET.search(relationship)
                if kind is None or target is None or not kind[1].endswith(b"/worksheet"):
                    continue
                path = target[1].decode("utf-8", "replace")
                path = path.lstrip("/") if path.startswith("/") else posixpath.join(base, path)
                parts.add(posixpath.normpath(path))
    return parts


def is_zip(data: bytes) -> bool:
    """Whether ``data`` is a zip container (an .xlsx, .docx or .ods, whatever its name)."""
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


def _directory_size(data: bytes) -> int | None:
    """The size of the zip's central directory as its end record states it (None if there is no
    end record: zipfile will then refuse the file).  Read before ``zipfile`` parses the
    directory into one object per entry (a few hundred bytes each)."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if end < 0 or end + 22 > len(data):
        return None
    size = struct.unpack("<I", data[end + 12:end + 16])[0]
    locator = end - 20
    if size == 0xFFFFFFFF and locator >= 0 and data[locator:locator + 4] == b"PK\x06\x07":
        record = struct.unpack("<Q", data[locator + 8:locator + 16])[0]  # the Zip64 end record
        if data[record:record + 4] == b"PK\x06\x06":
            size = struct.unpack("<Q", data[record + 40:record + 48])[0]
    return size


def _too_many_entries(entries: int | None, limits: FileLimits, location: str) -> ImportRejected:
    counted = f"有 {entries:,} 个文件" if entries is not None else "的文件目录过大"
    return ImportRejected(
        f"压缩包内{counted}，超过 {limits.max_archive_entries:,} 个文件的上限，"
        f"不像正常的 Excel/Word 文件，已拒绝；{_ASK}", location=location)


def too_big(max_bytes: int, location: str) -> ImportRejected:
    """The refusal of a file that decompresses to more than ``max_bytes``."""
    return ImportRejected(f"文件解压后超过 {megabytes(max_bytes)} 上限（可能是压缩炸弹），已拒绝；{_ASK}",
                          location=location)


def _damaged(location: str) -> ImportRejected:
    return ImportRejected("文件不完整或已损坏（压缩结构无法读取），请重新导出", location=location)


def _inflate(data: bytes, info: zipfile.ZipInfo, location: str) -> Iterator[bytes]:
    """The entry's bytes as they really decompress (not as declared), ``_OUT_CHUNK`` at a time."""
    offset = info.header_offset
    header = data[offset:offset + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _damaged(location)
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    start = offset + 30 + name_length + extra_length
    compressed = memoryview(data)[start:start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        for begin in range(0, len(compressed), _OUT_CHUNK):
            yield bytes(compressed[begin:begin + _OUT_CHUNK])
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise ImportRejected("压缩包使用了不支持的压缩方式（Excel/Word 文件只用 Deflate），无法读取",
                             location=location)
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        for begin in range(0, len(compressed), _IN_CHUNK):
            piece = compressed[begin:begin + _IN_CHUNK]
            while piece:
                out = inflater.decompress(piece, _OUT_CHUNK)
                if out:
                    yield out
                piece = inflater.unconsumed_tail
            if inflater.eof:
                return
        rest = inflater.flush()
        if rest:
            yield rest
    except zlib.error:
        raise _damaged(location) from None


class _NoRows:
    count = 0

    def feed(self, chunk: bytes) -> None:
        pass


_NO_ROWS = _NoRows()


class _RowCounter:
    """Occurrences of any of a few tags in a stream (a tag cut by a chunk boundary counts once)."""

    def __init__(self, *tags: bytes) -> None:
        self.tags = tags
        self.keep = max(len(tag) for tag in tags) - 1
        self.tail = b""
        self.count = 0

    def feed(self, chunk: bytes) -> None:
        text = self.tail + chunk
        self.count += sum(text.count(tag) for tag in self.tags)
        self.tail = text[-self.keep:]


class _SheetExtent:
    """How big a worksheet is as calamine will lay it out, measured on its XML stream.

    A cell's place is its ``r="B7"`` reference, or, without one, the place after the previous
    cell (a row's the one after the previous row).  So the sheet spans at most
    (largest referenced row + rows without a reference) × (largest referenced column + the most
    cells in one row, when some cells have no reference).  Excel always writes references;
    without them the bound is exact.

    Vectorised with NumPy: a 300 MB sheet has some 30 million references, too many for a regex
    loop.  Text with whitespace around an ``=`` (legal XML, never written by Excel) is read with
    a regex instead, so spacing cannot hide a reference.  The stream is scanned up to its last
    ``<``, so no tag is cut in two.  Tags with a namespace prefix (``<x:c>``) count as well
    (their end tags too: an overestimate, on the safe side).
    """

    def __init__(self, location: str) -> None:
        self.location = location
        self.carry = b""
        self.referenced_row = self.referenced_column = 0
        self.rows = self.cells = 0  # <row> and <c> elements
        self.row_references = self.cell_references = 0
        self.widest = self.current = 0  # most cells in one row; cells so far in the open row

    @property
    def max_row(self) -> int:
        return self.referenced_row + (self.rows - self.row_references)

    @property
    def max_column(self) -> int:
        return self.referenced_column + (self.widest if self.cells > self.cell_references else 0)

    def feed(self, chunk: bytes) -> None:
        text = self.carry + chunk
        cut = text.rfind(b"<")
        if cut <= 0:
            if len(text) > _LONGEST_TAG:
                raise ImportRejected("工作表的XML结构异常（一个标记长达数MB），文件可能被篡改，已拒绝",
                                     location=self.location)
            self.carry = text
            return
        self._scan(text, cut)
        self.carry = text[cut:]

    def finish(self) -> None:
        if self.carry:
            self._scan(self.carry + b'"' * (_WINDOW + 4), len(self.carry))
            self.carry = b""
        self.widest = max(self.widest, self.current)

    def _scan(self, text: bytes, stop: int) -> None:
        """The tags and references that start before ``stop`` (a ``<``: what follows is the
        next part's, and at least one tag long, so a reference is read whole)."""
        view = np.frombuffer(text, dtype=np.uint8)
        # (a colon is rare in sheet XML: one memchr pass usually spares the two searches)
        prefixed = text.find(b":", 0, stop) >= 0 and (
            text.find(b":c", 0, stop) >= 0 or text.find(b":row", 0, stop) >= 0)
        cells, rows = self._tags(view, stop, prefixed=prefixed)
        cell_references = self.cell_references
        self._references(text, view, stop)
        if len(cells) > self.cell_references - cell_references:
            self._widths(cells, rows)  # some cells without a reference: how wide can a row get
        else:
            self.current = 0 if len(rows) else self.current

    def _references(self, text: bytes, view: np.ndarray, stop: int) -> None:
        equals = np.flatnonzero(view[:stop] == ord("="))  # one pass over the bytes; the rest
        equals = equals[equals >= 2]                        # looks only where an = is
        before, after = view[equals - 1], view[np.minimum(equals + 1, len(view) - 1)]
        if _SPACE[before].any() or _SPACE[after].any():
            for match in _LOOSE_REF.finditer(text, 0, stop):
                self._note(_column_number(match[1]), _HUGE if len(match[2]) > 9 else int(match[2] or 0))
                if match[1]:
                    self.cell_references += 1
                else:
                    self.row_references += 1
            return
        # whitespace, r, =, a quote: the reference starts 2 bytes after the =
        hits = equals[(before == ord("r")) & _SPACE[view[equals - 2]]
                      & ((after == ord('"')) | (after == ord("'")))] - 2
        if not len(hits):
            return
        # Only the largest matters: count letters (then digits) per reference, and work out
        # the values of those with the most, one byte position at a time.
        upper = _UPPER_LETTER
        last = len(view) - 1  # reads past a reference's end are clipped to the text

        def at(positions: np.ndarray) -> np.ndarray:
            return view[np.minimum(positions, last)]

        position = hits + 4
        letters = np.zeros(len(hits), dtype=np.int64)
        still = np.ones(len(hits), dtype=bool)
        for place in range(4):
            still &= upper[at(position + place)] > 0
            letters += still
            if not still.any():
                break
        self.cell_references += int(np.count_nonzero(letters))
        self.row_references += len(hits) - int(np.count_nonzero(letters))
        most = int(letters.max())
        if most > 3:
            column = _HUGE
        else:
            chosen = position[letters == most]
            values = np.zeros(len(chosen), dtype=np.int64)
            for place in range(most):
                values = values * 26 + upper[at(chosen + place)]
            column = int(values.max()) if len(values) else 0
        position = position + letters
        digits = np.zeros(len(hits), dtype=np.int64)
        still[:] = True
        for place in range(10):
            still &= _DIGIT[at(position + place)] >= 0
            digits += still
            if not still.any():
                break
        most = int(digits.max())
        if most > 9:
            row = _HUGE
        else:
            chosen = position[digits == most]
            values = np.zeros(len(chosen), dtype=np.int64)
            for place in range(most):
                values = values * 10 + _DIGIT[at(chosen + place)]
            row = int(values.max()) if len(values) else 0
        self._note(column, row)

    def _tags(self, view: np.ndarray, stop: int, *, prefixed: bool) -> tuple[np.ndarray, np.ndarray]:
        """Where the <c> and <row> elements start (``<c`` or, in ``prefixed`` text, ``:c``,
        followed by whitespace, ``>`` or ``/``)."""
        starts = np.flatnonzero(_TAG_START[view[:stop]] if prefixed else view[:stop] == ord("<"))
        last = len(view) - 1
        after, second, third, fourth = (view[np.minimum(starts + n, last)] for n in (1, 2, 3, 4))
        cells = starts[(after == ord("c")) & _TAG_END[second]]
        rows = starts[(after == ord("r")) & (second == ord("o")) & (third == ord("w")) & _TAG_END[fourth]]
        self.cells += len(cells)
        self.rows += len(rows)
        return cells, rows

    def _widths(self, cells: np.ndarray, rows: np.ndarray) -> None:
        """The most cells in one row (a row may go on from the previous part)."""
        if not len(rows):
            self.current += len(cells)
            return
        per_row = np.bincount(np.searchsorted(rows, cells), minlength=len(rows) + 1)
        self.widest = max(self.widest, self.current + int(per_row[0]), int(per_row[1:-1].max(initial=0)))
        self.current = int(per_row[-1])

    def _note(self, column: int, row: int) -> None:
        self.referenced_column = max(self.referenced_column, column)
        self.referenced_row = max(self.referenced_row, row)


def _column_number(letters: bytes) -> int:
    if len(letters) > 3:
        return _HUGE
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


__all__ = ["ArchiveScan", "check_archive", "check_sheet_extent", "is_zip", "too_big", "too_many_rows"]
