"""How fast ``read_ledger`` reads a big 国库集中支付 payment list, against the naive way.

    python benchmarks/ledger_read.py [--rows N] [--naive-rows M]

Generates (once, cached in benchmarks/.cache/) an N-row payment list as GBK CSV and as .xlsx
(amounts as text with thousands separators and text dates, as 一体化 systems export them), then
reads each with ``read_ledger`` in a fresh process and prints rows/s and peak memory.  The naive
way — pandas.read_excel (openpyxl) / pandas.read_csv, then per-row Python with ``iterrows`` — is
timed on an M-row file in the same run and extrapolated by rate.  For scale, it also prints how
long python-calamine alone needs to load the xlsx sheet, and a plain Python loop's speed.

The xlsx is written directly as SpreadsheetML with shared strings (openpyxl's write-only mode
takes minutes for a million rows).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
ROOT = HERE.parent

HEADER = ["支付申请编号", "预算单位", "指标文号", "预算项目编码", "预算项目名称", "支出功能分类科目",
          "政府经济分类", "用途", "支付方式", "支付日期", "支付金额", "支付状态"]
TITLE = "国库集中支付明细表（2024年1月1日-2024年12月31日）"
UNITS = [f"6040{n:02d}唐山市科技局第{n}直属单位" for n in range(1, 21)]
PROJECTS = [(f"604002B24DX{n:04d}", f"科技创新专项第{n}项") for n in range(1, 301)]
FUNCTIONS = ["2060404科技成果转化与扩散", "2060199其他科学技术管理事务支出", "2060302应用研究"]
ECONOMICS = ["31204费用补贴", "30211差旅费", "30227委托业务费", "31002办公设备购置"]
PURPOSES = ["科技奖励", "拨付项目经费", "支付评审费", "支付委托业务费", "支付场地租赁费", "采购办公设备"]
STATUSES = ["已支付"] * 47 + ["已退回", "已作废", "已支付"]


def payment_rows(count: int, seed: int = 20240101) -> Iterator[list[str]]:
    rng = random.Random(seed)
    for i in range(count):
        code, name = PROJECTS[rng.randrange(len(PROJECTS))]
        cents = rng.randrange(100, 500_000_000)
        yield [f"ZF2024-{i + 1:07d}", UNITS[rng.randrange(len(UNITS))], f"冀财教〔2024〕{rng.randrange(1, 60)}号",
               code, name, FUNCTIONS[rng.randrange(3)], ECONOMICS[rng.randrange(4)],
               f"{PURPOSES[rng.randrange(6)]}（第{rng.randrange(1, 13)}批）", "国库集中支付",
               f"2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}", f"{cents / 100:,.2f}",
               STATUSES[rng.randrange(len(STATUSES))]]


def total_row(count: int) -> list[str]:
    """The printed 合计 row: every listed payment, returned and voided ones included."""
    cents = sum(int(row[10].replace(",", "").replace(".", "")) for row in payment_rows(count))
    return ["合计"] + [""] * 9 + [f"{cents // 100:,}.{cents % 100:02d}", ""]


def write_csv(path: Path, count: int) -> None:
    with path.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([TITLE])
        writer.writerow(HEADER)
        writer.writerows(payment_rows(count))
        writer.writerow(total_row(count))


_COLUMNS = [chr(65 + i) for i in range(26)]
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '</Types>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="支付明细" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')


def write_xlsx(path: Path, count: int) -> None:
    """SpreadsheetML by hand: every text cell through the shared-string table, as Excel does."""
    strings: dict[str, int] = {}

    def cell(column: str, row: int, text: str) -> str:
        index = strings.get(text)
        if index is None:
            index = strings[text] = len(strings)
        return f'<c r="{column}{row}" t="s"><v>{index}</v></c>'

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                        b'<sheetData>')
            buffer: list[str] = []
            number = 0
            for values in _chain([[TITLE], HEADER], count):
                number += 1
                buffer.append(f'<row r="{number}">' + "".join(
                    cell(_COLUMNS[c], number, v) for c, v in enumerate(values)) + "</row>")
                if len(buffer) >= 5000:
                    sheet.write("".join(buffer).encode("utf-8"))
                    buffer.clear()
            sheet.write("".join(buffer).encode("utf-8"))
            sheet.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as table:
            table.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><sst xmlns='
                        f'"http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                        f'uniqueCount="{len(strings)}">'.encode("utf-8"))
            chunk: list[str] = []
            for text in strings:
                chunk.append(f"<si><t>{escape(text)}</t></si>")
                if len(chunk) >= 10000:
                    table.write("".join(chunk).encode("utf-8"))
                    chunk.clear()
            table.write(("".join(chunk) + "</sst>").encode("utf-8"))


def _chain(first: list[list[str]], count: int) -> Iterator[list[str]]:
    yield from first
    yield from payment_rows(count)
    yield total_row(count)


def cached(kind: str, count: int) -> Path:
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"payments_{count}_v2.{kind}"
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(path.suffix + ".part")
        (write_csv if kind == "csv" else write_xlsx)(partial, count)
        partial.rename(path)
        print(f"  generated {path.name} ({path.stat().st_size / 1e6:.0f} MB) in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
    return path


# -- measurements, each in a fresh process so peak memory is its own ---------------------------

def measure_reader(path: str) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from tracker.importers.ledger import read_ledger

    started, cpu = time.perf_counter(), time.process_time()
    data = Path(path).read_bytes()
    parse = read_ledger(Path(path).name, data)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    check = parse.totals_check()
    return {"rows": len(parse.rows), "seconds": elapsed, "cpu_seconds": cpu,
            "counted": float(parse.counted_total), "totals_ok": check.ok}


def measure_naive(path: str) -> dict[str, float]:
    """What one writes without thinking: pandas to a DataFrame, then iterrows."""
    from datetime import datetime
    from decimal import Decimal

    import pandas as pd

    started, cpu = time.perf_counter(), time.process_time()
    if path.endswith(".csv"):
        frame = pd.read_csv(path, encoding="gbk", dtype=str, skiprows=1)
    else:
        frame = pd.read_excel(path, engine="openpyxl", dtype=str, skiprows=1)
    rows = []
    for _, record in frame.iterrows():
        if not isinstance(record["支付日期"], str):  # the 合计 row
            continue
        rows.append({
            "voucher": record["支付申请编号"], "unit": record["预算单位"],
            "project_code": record["预算项目编码"], "project_name": record["预算项目名称"],
            "date": datetime.strptime(record["支付日期"], "%Y-%m-%d").date(),
            "amount": Decimal(record["支付金额"].replace(",", "")),
            "counts": record["支付状态"] not in ("已退回", "已作废"),
        })
    return {"rows": len(rows), "seconds": time.perf_counter() - started,
            "cpu_seconds": time.process_time() - cpu}


def measure_calamine(path: str) -> dict[str, float]:
    from python_calamine import CalamineWorkbook

    started, cpu = time.perf_counter(), time.process_time()
    workbook = CalamineWorkbook.from_path(path)
    sheet = workbook.get_sheet_by_index(0)
    loaded = time.perf_counter() - started
    count = sum(1 for _ in sheet.iter_rows())
    return {"rows": count, "seconds": time.perf_counter() - started, "load_seconds": loaded,
            "cpu_seconds": time.process_time() - cpu}


def measure_python_loop(_: str) -> dict[str, float]:
    started = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return {"rows": 10_000_000, "seconds": time.process_time() - started}


MEASURES = {"reader": measure_reader, "naive": measure_naive, "calamine": measure_calamine,
            "loop": measure_python_loop}


def run_child(measure: str, path: Path | str) -> dict[str, float]:
    process = subprocess.Popen([sys.executable, __file__, "--child", measure, str(path)],
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{measure} {path} failed")
    result = json.loads(output)
    result["peak_mb"] = usage.ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-rows", type=int, default=100_000)
    parser.add_argument("--only", choices=("csv", "xlsx"), help="measure one format only")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure, path = args.child
        print(json.dumps(MEASURES[measure](path)))
        return
    naive_rows = min(args.naive_rows, args.rows)
    loop = run_child("loop", "-")
    print(f"machine: plain Python loop of 10M additions takes {loop['seconds']:.2f} s CPU; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall-clock rates suffer on a busy machine; "
          "the CPU-time rates below do not)")
    for kind, target in (("csv", 200_000), ("xlsx", 100_000)):
        if args.only and kind != args.only:
            continue
        print(f"\n{kind.upper()} payment list, {args.rows:,} rows", flush=True)
        big = cached(kind, args.rows)
        small = cached(kind, naive_rows)
        ours = run_child("reader", big)
        rate = ours["rows"] / ours["seconds"]
        print(f"  read_ledger: {ours['rows']:,} rows in {ours['seconds']:.1f} s = {rate:,.0f} rows/s "
              f"(target {target:,}); CPU {ours['cpu_seconds']:.1f} s = "
              f"{ours['rows'] / ours['cpu_seconds']:,.0f} rows/s; peak {ours['peak_mb']:,.0f} MB "
              f"(target < 1,500); totals check ok={ours['totals_ok']}")
        if kind == "xlsx":
            alone = run_child("calamine", big)
            print(f"  python-calamine alone: sheet load {alone['load_seconds']:.1f} s, "
                  f"+iter_rows {alone['seconds']:.1f} s = {alone['rows'] / alone['seconds']:,.0f} rows/s; "
                  f"CPU {alone['rows'] / alone['cpu_seconds']:,.0f} rows/s (the ceiling for any "
                  f"calamine-based reader); peak {alone['peak_mb']:,.0f} MB")
        naive = run_child("naive", small)
        naive_rate = naive["rows"] / naive["seconds"]
        naive_cpu_rate = naive["rows"] / naive["cpu_seconds"]
        print(f"  naive (pandas {'read_csv' if kind == 'csv' else 'read_excel/openpyxl'} + iterrows) on "
              f"{naive['rows']:,} rows: {naive['seconds']:.1f} s = {naive_rate:,.0f} rows/s; CPU "
              f"{naive_cpu_rate:,.0f} rows/s → {args.rows / naive_rate:,.0f} s for {args.rows:,} rows by rate")
        print(f"  speed-up: {rate / naive_rate:.1f}× wall, "
              f"{ours['rows'] / ours['cpu_seconds'] / naive_cpu_rate:.1f}× CPU")


if __name__ == "__main__":
    main()
