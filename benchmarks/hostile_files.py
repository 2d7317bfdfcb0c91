"""What refusing a hostile file costs, against what reading it used to cost.

    python benchmarks/hostile_files.py [--naive-mb 20] [--guard-rows 200000]

1. A 3 GB zip bomb (.xlsx, ~3 MB on disk): refused by the archive guard, peak memory measured in a
   fresh process.  Twice: as built (its declared sizes give it away at once) and declaring its
   sheet as 1 KB (then only streaming finds it out: it is decompressed 1 MB at a time up to the
   2,000 MB cap).  The bomb is built in a second or two: one 1 MB chunk is compressed once with a
   full flush, and that block is repeated (deflate blocks after a full flush stand alone).
2. The naive way, on a smaller bomb of short rows (``--naive-mb``), extrapolated to 3 GB by size:
   openpyxl in its normal mode (how 绩效目标表 workbooks were opened) and calamine (how ledgers
   were, with nothing before it).
3. A 1 KB sheet with a cell at XFD1048576: refused; calamine would allocate rows × columns × 32
   bytes (computed, not run: it aborts the process).
4. What the guard adds to an honest import: its time on a ``--guard-rows`` payment list .xlsx
   beside ``read_ledger``'s (the file is cached in benchmarks/.cache/ by ledger_read.py).
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tests.importers import hostile_fixtures as hf  # noqa: E402  (the same builders as the tests)

MB = 1024 * 1024
# long rows: a 3 GB sheet of them stays under the 2,000,000-row cap, so the size cap is what stops it
LONG_ROW = ('<row><c t="inlineStr"><is><t>' + "拨付项目经费" * 600 + "</t></is></c></row>").encode()


def build_bomb(path: Path, decompressed_mb: int, *, row: bytes = LONG_ROW,
               declared: int | None = None) -> None:
    """An .xlsx whose sheet is ``decompressed_mb`` MB, written as raw zip records."""
    chunk = row * (MB // len(row))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    head = (hf.SHEET_START + hf.HEADER_ROW).encode()
    first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(hf.SHEET_END.encode()) + compressor.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    for _ in range(decompressed_mb):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(hf.SHEET_END.encode(), crc)
    size = len(head) + len(chunk) * decompressed_mb + len(hf.SHEET_END)
    entries = [("[Content_Types].xml", hf.CONTENT_TYPES.encode()), ("_rels/.rels", hf.ROOT_RELS.encode()),
               ("xl/workbook.xml", hf.WORKBOOK.encode()),
               ("xl/_rels/workbook.xml.rels", hf.WORKBOOK_RELS.format(target="worksheets/sheet1.xml").encode())]
    directory = []
    with path.open("wb") as out:
        for name, content in entries:
            packed = zlib.compress(content, 9)[2:-4]
            directory.append(_write_entry(out, name, [packed], zlib.crc32(content), len(packed), len(content)))
        compressed = len(first) + len(block) * decompressed_mb + len(tail)
        parts = [first, *([block] * decompressed_mb), tail]
        directory.append(_write_entry(out, "xl/worksheets/sheet1.xml", parts, crc, compressed,
                                      declared if declared is not None else size))
        start = out.tell()
        for record in directory:
            out.write(record)
        out.write(struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(directory), len(directory),
                              out.tell() - start, start, 0))


def _write_entry(out, name: str, parts: list[bytes], crc: int, compressed: int, size: int) -> bytes:  # type: ignore[no-untyped-def]
    encoded = name.encode()
    offset = out.tell()
    out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, compressed, size,
                          len(encoded), 0) + encoded)
    for part in parts:
        out.write(part)
    return struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, compressed, size,
                       len(encoded), 0, 0, 0, 0, 0, offset) + encoded


CHILD = """
import json, resource, sys, time
path, how = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
import io
from tracker.errors import ImportRejected
from tracker.importers.ledger import read_ledger
from tracker.importers.archive_guard import check_archive
from tracker.importers.file_limits import DEFAULT_LIMITS
import tracker.importers.ledger.columnar  # imported by read_ledger on first use (pyarrow): not the refusal's
import openpyxl, python_calamine
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
outcome = "read"
try:
    if how == "tracker":
        read_ledger("bomb.xlsx", data)
    elif how == "guard":
        check_archive("a.xlsx", data, DEFAULT_LIMITS, "ledger", location="a")
    elif how == "openpyxl":
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
        sum(1 for _ in book.worksheets[0].iter_rows())
    elif how == "calamine":
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        book.get_sheet_by_name(book.sheet_names[0]).to_python()
except ImportRejected as error:
    outcome = "refused: " + error.message
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "seconds": seconds, "growth_mb": (peak - before) / 1024},
                 ensure_ascii=False))
"""


def run(path: Path, how: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), how], capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
    if done.returncode:
        return {"outcome": f"crashed (exit {done.returncode})", "seconds": 0.0, "growth_mb": 0.0}
    return json.loads(done.stdout.strip().splitlines()[-1])


def show(label: str, result: dict[str, object]) -> None:
    outcome = str(result["outcome"])
    print(f"  {label}: peak +{result['growth_mb']:,.0f} MB in {result['seconds']:.1f} s — "
          f"{outcome[:90]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--naive-mb", type=int, default=20, help="size of the bomb the naive readers open")
    parser.add_argument("--guard-rows", type=int, default=200_000, help="rows of the honest .xlsx")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        honest, lying, small = work / "bomb.xlsx", work / "lying.xlsx", work / "small.xlsx"
        build_bomb(honest, 3_000)
        build_bomb(lying, 3_000, declared=1_000)
        build_bomb(small, options.naive_mb, row=hf.BOMB_ROW)  # short rows: the most cells per MB
        print(f"3,000 MB zip bomb: {honest.stat().st_size / MB:.1f} MB on disk")
        show("refused by tracker (declared sizes)", run(honest, "tracker"))
        show("refused by tracker (sizes declared as 1 KB: streamed to the cap)", run(lying, "tracker"))
        for how in ("openpyxl", "calamine"):
            result = run(small, how)
            scale = 3_000 / options.naive_mb
            print(f"  naive {how} on a {options.naive_mb} MB bomb: peak +{result['growth_mb']:,.0f} MB "
                  f"in {result['seconds']:.1f} s → about {result['growth_mb'] * scale / 1024:,.1f} GB "
                  f"and {result['seconds'] * scale:,.0f} s for 3,000 MB by size")
        far = work / "far.xlsx"
        far.write_bytes(hf.workbook(hf.SHEET_START + hf.HEADER_ROW
                                    + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>' + hf.SHEET_END))
        print(f"\ncell at XFD1048576: {far.stat().st_size:,} bytes on disk; calamine would allocate "
              f"1,048,576 × 16,384 × 32 bytes = {1_048_576 * 16_384 * 32 / 1024 ** 3:,.0f} GB (and abort)")
        show("refused by tracker", run(far, "tracker"))
    sys.path.insert(0, str(HERE))
    from ledger_read import cached  # noqa: E402

    sheet = cached("xlsx", options.guard_rows)
    print(f"\nhonest payment list, {options.guard_rows:,} rows ({sheet.stat().st_size / MB:.0f} MB .xlsx):")
    show("archive guard alone", run(sheet, "guard"))
    show("read_ledger (guard included)", run(sheet, "tracker"))


if __name__ == "__main__":
    main()
