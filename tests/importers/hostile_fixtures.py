"""Hostile files built in the test itself: zip bombs (a highly compressible stream written in
1 MB chunks, so a 300 MB sheet takes a second and ~1 MB of file), archives that lie about their
sizes, sheets with a cell far from the data, archives with thousands of entries, and a way to
run a reader in a child process under an address-space limit and report its peak memory."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterable
from pathlib import Path

MB = 1024 * 1024
ROOT = Path(__file__).resolve().parent.parent.parent

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '</Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="支付明细" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="{target}"/></Relationships>')
SHEET_START = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               '<sheetData>')
SHEET_END = "</sheetData></worksheet>"
HEADER_ROW = ('<row r="1"><c r="A1" t="inlineStr"><is><t>支付日期</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>预算项目名称</t></is></c>'
              '<c r="C1" t="inlineStr"><is><t>支付金额</t></is></c></row>')
# a data row without references: the same bytes over and over compress ~300 times
BOMB_ROW = ('<row><c t="inlineStr"><is><t>2025-03-01</t></is></c><c t="inlineStr"><is><t>专项</t>'
            '</is></c><c><v>100</v></c></row>').encode()


def workbook(sheet_xml: str | bytes, *, sheet_part: str = "xl/worksheets/sheet1.xml") -> bytes:
    """A minimal .xlsx whose one worksheet (at ``sheet_part``) is ``sheet_xml``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _skeleton(archive, sheet_part)
        archive.writestr(sheet_part, sheet_xml)
    return buffer.getvalue()


def sheet_bomb(decompressed_mb: int, *, row: bytes = BOMB_ROW) -> bytes:
    """An .xlsx whose sheet XML is ``decompressed_mb`` MB of repeated rows: streamed into the
    archive 1 MB at a time, never held whole."""
    chunk = row * (MB // len(row))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _skeleton(archive, "xl/worksheets/sheet1.xml")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write((SHEET_START + HEADER_ROW).encode())
            for _ in range(decompressed_mb):
                sheet.write(chunk)
            sheet.write(SHEET_END.encode())
    return buffer.getvalue()


def docx_bomb(decompressed_mb: int) -> bytes:
    """A .docx whose document.xml is ``decompressed_mb`` MB of the same paragraph."""
    paragraph = b"<w:p><w:r><w:t>" + "绩效目标".encode() + b"</w:t></w:r></w:p>"
    return word_document([paragraph * (MB // len(paragraph))] * decompressed_mb)


def word_table(rows: int, *, prefix: str = "w") -> bytes:
    """A .docx with one table of ``rows`` rows (two cells each), its tags under ``prefix``."""
    p = prefix
    body = "".join(f"<{p}:tr><{p}:tc><{p}:p><{p}:r><{p}:t>指标{n}</{p}:t></{p}:r></{p}:p></{p}:tc>"
                   f"<{p}:tc><{p}:p><{p}:r><{p}:t>≥{n * 7 % 1000}个</{p}:t></{p}:r></{p}:p></{p}:tc>"
                   f"</{p}:tr>" for n in range(rows))
    return word_document([f"<{p}:tbl>".encode(), body.encode(), f"</{p}:tbl>".encode()], prefix=prefix)


def word_document(body_parts: Iterable[bytes], *, prefix: str = "w") -> bytes:
    namespace = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            '</Types>'))
        archive.writestr("_rels/.rels", ROOT_RELS.replace("xl/workbook.xml", "word/document.xml"))
        with archive.open("word/document.xml", "w", force_zip64=True) as document:
            document.write(f'<?xml version="1.0" encoding="UTF-8"?><{prefix}:document '
                           f'xmlns:{prefix}="{namespace}"><{prefix}:body>'.encode())
            for part in body_parts:
                document.write(part)
            document.write(f"</{prefix}:body></{prefix}:document>".encode())
    return buffer.getvalue()


def with_declared_sizes(data: bytes, name: str, size: int) -> bytes:
    """``data`` with the uncompressed size of entry ``name`` declared as ``size`` (in the
    central directory and the local header; Zip64 extra fields too): an archive that lies."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo(name)
    patched = bytearray(data)
    local = info.header_offset
    name_length, extra_length = struct.unpack("<HH", patched[local + 26:local + 30])
    _patch_sizes(patched, local + 22, local + 30 + name_length, extra_length, size)
    end = data.rfind(b"PK\x05\x06")
    directory = struct.unpack("<I", data[end + 16:end + 20])[0]
    if directory == 0xFFFFFFFF:  # Zip64: the offset is in the Zip64 end record
        locator = data.rfind(b"PK\x06\x07")
        record = struct.unpack("<Q", data[locator + 8:locator + 16])[0]
        directory = struct.unpack("<Q", data[record + 48:record + 56])[0]
    position = directory
    while patched[position:position + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack("<HHH", patched[position + 28:position + 34])
        entry_name = bytes(patched[position + 46:position + 46 + name_length]).decode("utf-8")
        if entry_name == name:
            _patch_sizes(patched, position + 24, position + 46 + name_length, extra_length, size)
        position += 46 + name_length + extra_length + comment_length
    return bytes(patched)


def _patch_sizes(patched: bytearray, size_field: int, extra_start: int, extra_length: int,
                 size: int) -> None:
    if struct.unpack("<I", patched[size_field:size_field + 4])[0] != 0xFFFFFFFF:
        patched[size_field:size_field + 4] = struct.pack("<I", size)
        return
    position = extra_start  # Zip64 extra field: uncompressed size first
    while position < extra_start + extra_length:
        tag, length = struct.unpack("<HH", patched[position:position + 4])
        if tag == 0x0001:
            patched[position + 4:position + 12] = struct.pack("<Q", size)
            return
        position += 4 + length


def many_entries(count: int) -> bytes:
    """An "xlsx" with ``count`` tiny extra entries beside a real sheet."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        _skeleton(archive, "xl/worksheets/sheet1.xml")
        archive.writestr("xl/worksheets/sheet1.xml", SHEET_START + HEADER_ROW + SHEET_END)
        for number in range(count):
            archive.writestr(f"xl/media/i{number}.bin", b"")
    return buffer.getvalue()


def _skeleton(archive: zipfile.ZipFile, sheet_part: str) -> None:
    archive.writestr("[Content_Types].xml", CONTENT_TYPES)
    archive.writestr("_rels/.rels", ROOT_RELS)
    archive.writestr("xl/workbook.xml", WORKBOOK)
    target = "/" + sheet_part if not sheet_part.startswith("xl/") else sheet_part[3:]
    archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(target=target))


def measure_in_child(code: str, path: Path, *, address_space_mb: int = 3000) -> dict[str, object]:
    """Run ``code`` in a fresh Python under an address-space limit (so a reader that balloons
    fails there, not on the machine) with ``data`` = the bytes of ``path``; it sets ``result``.
    Returns ``result`` and the peak memory growth while the code ran (``ru_maxrss``, MB)."""
    body = textwrap.indent(textwrap.dedent(code).strip(), "    ")
    program = "\n".join([
        "import json, resource",
        f"limit = {address_space_mb} * 1024 * 1024",
        "resource.setrlimit(resource.RLIMIT_AS, (limit, limit))",
        "from tracker.errors import ImportRejected",
        "from tracker.importers.ledger import read_ledger",
        "from tracker.importers.targets import read_target_document",
        "try:",
        "    from tracker.importers.file_limits import FileLimits",
        "except ImportError:",  # the code before the limits existed
        "    FileLimits = None",
        f"data = open({str(path)!r}, 'rb').read()",
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss",
        "try:",
        body,
        "except ImportRejected as error:",
        "    result = {'refused': str(error)}",
        "except MemoryError:",
        "    result = {'crashed': 'MemoryError'}",
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss",
        "print(json.dumps({'result': result, 'growth_mb': (peak - before) / 1024}, ensure_ascii=False))",
    ])
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          env=environment, cwd=ROOT)
    if done.returncode != 0:
        return {"result": {"crashed": f"exit {done.returncode}: {done.stderr[-300:]}"}, "growth_mb": None}
    return json.loads(done.stdout.strip().splitlines()[-1])


def ods_bomb(rows: int = 6_000) -> bytes:
    """An OpenDocument spreadsheet of a few hundred bytes: one cell repeated over 16,384 columns
    and ``rows`` rows, which calamine expands into rows × 16,384 cells (4 GB for 6,000 rows)."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        '<office:body><office:spreadsheet><table:table table:name="S">'
        f'<table:table-row table:number-rows-repeated="{rows}"><table:table-cell '
        'table:number-columns-repeated="16384" office:value-type="float" office:value="1">'
        '<text:p>1</text:p></table:table-cell></table:table-row></table:table>'
        '</office:spreadsheet></office:body></office:document-content>')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def biff_claiming(rows: int, columns: int) -> bytes:
    """A 5 KB .xls (BIFF8) of two real rows whose DIMENSIONS record claims ``rows`` × ``columns``."""
    from tests.importers import ledger_fixtures as fx

    data = bytearray(fx.biff8_workbook([fx.BiffSheet("支付明细", [
        ["支付日期", "预算项目名称", "支付金额"], ["2025-03-01", "专项", 100.0]])]))
    at = bytes(data).find(struct.pack("<HH", 0x0200, 14))  # the sheet's DIMENSIONS record
    data[at + 4:at + 18] = struct.pack("<IIHHH", 0, rows, 0, columns, 0)
    return bytes(data)


def pdf_bomb(decompressed_mb: int) -> bytes:
    """A one-page PDF whose content stream (Flate) inflates to ``decompressed_mb`` MB of drawing
    operators; the stream is compressed 1 MB at a time."""
    import zlib

    compressor = zlib.compressobj(9)
    chunk = b"0 0 m\n" * (MB // 6)
    stream = compressor.compress(b"BT /F1 12 Tf 72 720 Td (hello) Tj ET\n")
    for _ in range(decompressed_mb):
        stream += compressor.compress(chunk)
    stream += compressor.flush()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out
