"""Builders of ledger exports in the layouts finance offices produce, from one list of
transactions, so each test knows the right answer independently of the reader.

Layouts: 用友-style 明细账 (.xlsx, one sheet per account, two-row merged header, three variants),
金蝶-style 序时账 (方向 + 金额, multi-line vouchers, both books of 平行记账), 一体化 国库集中支付
payment lists (.xlsx, GBK / UTF-8-BOM / UTF-8 tab CSV, HTML ".xls", BIFF8 .xls), and 辅助核算 text.

No xls writer is installed (xlwt is not a dependency), so ``biff8_workbook`` below writes real
BIFF8 records (BOF, SST, LABELSST, NUMBER, MERGEDCELLS …) inside a minimal OLE2 compound file;
xlrd and python-calamine both read what it writes (a test checks each).
"""

from __future__ import annotations

import csv
import io
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

ZERO = Decimal("0.00")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Txn:
    """One booked line: what every layout below renders, and what the tests expect back."""

    day: date
    voucher: str  # "记-0012"
    summary: str
    account: str  # "7201 事业支出"
    project_code: str | None
    project_name: str | None
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    status: str = "已支付"  # payment lists only
    voided: bool = False  # ledgers: the voucher is 作废
    unit: str = "604002唐山市科学技术局"

    @property
    def account_code(self) -> str:
        return self.account.split(" ", 1)[0]

    @property
    def account_name(self) -> str:
        return self.account.split(" ", 1)[1]

    @property
    def amount(self) -> Decimal:
        return self.debit - self.credit


P1 = ("604002B17DX0003", "科技型中小企业创新资金")
P2 = ("604002B16DX0021", "技术创新引导专项计划")
P3 = ("XM2023-007", "科技馆运行经费")


def d(text: str) -> Decimal:
    return Decimal(text)


def budget_ledger_transactions() -> list[Txn]:
    """预算会计 lines of a year: two expenditure accounts, a 红字 reversal and its re-payment,
    a credit (收回) on an expenditure account and a voided voucher."""
    return [
        Txn(date(2023, 3, 15), "记-0031", "拨付创新资金（第一批）", "7201 事业支出", *P1, debit=d("1178000.00")),
        Txn(date(2023, 3, 28), "记-0042", "支付评审专家劳务费", "7201 事业支出", *P1, debit=d("23456.78")),
        Txn(date(2023, 6, 2), "记-0077", "拨付创新资金（第二批）", "7201 事业支出", *P1, debit=d("2356000.00")),
        Txn(date(2023, 6, 9), "记-0080", "冲销重复拨付", "7201 事业支出", *P1, debit=d("-500000.00")),
        Txn(date(2023, 6, 20), "记-0091", "补付创新资金", "7201 事业支出", *P1, debit=d("500000.00")),
        Txn(date(2023, 5, 18), "记-0066", "拨付引导专项资金", "7201 事业支出", *P2, debit=d("35000000.00")),
        Txn(date(2023, 6, 29), "记-0099", "收回多拨引导专项资金", "7201 事业支出", *P2, credit=d("1000000.00")),
        Txn(date(2023, 6, 30), "记-0100", "拨付引导专项资金（作废）", "7201 事业支出", *P2,
            debit=d("700000.00"), voided=True),
        Txn(date(2023, 4, 10), "记-0050", "支付科技馆水电费", "7101 行政支出", *P3, debit=d("12345.60")),
        Txn(date(2023, 6, 12), "记-0085", "支付科技馆物业费", "7101 行政支出", *P3, debit=d("80000.00")),
    ]


def counted_by_project(txns: Iterable[Txn], until: date | None = None,
                       prefixes: tuple[str, ...] = ("71", "72")) -> dict[str, Decimal]:
    """What the counting rule should give: non-voided rows of the counted accounts."""
    sums: dict[str, Decimal] = {}
    for t in txns:
        if t.voided or not t.account_code.startswith(prefixes) or (until and t.day > until):
            continue
        if t.status in ("已退回", "已作废", "退回", "作废"):
            continue
        key = t.project_code or t.project_name or ""
        sums[key] = sums.get(key, ZERO) + t.amount
    return sums


def _money(value: Decimal) -> float:
    return float(value)


def _save(workbook: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# -- 用友-style 明细账: one sheet per account, title / 单位 / 期间 lines, two-row merged header ----

YONYOU_VARIANTS = ("date_column", "year_parent_month_day", "month_day_period")


def yonyou_detail_ledger(txns: Sequence[Txn], variant: str = "date_column", *,
                         unit: str = "高新区科技局", period: str = "2023年1月-12月",
                         with_page_break: bool = False) -> bytes:
    """One sheet per account, transactions sorted by date, 上年结转 first, 本月合计 and 本年累计
    after each month, a 制表人 footer.  Variants:

    * ``date_column``: 日期 | 凭证号 | 摘要 | 辅助核算 | 本期发生额(借方 贷方) | 余额(方向 金额);
      the 辅助核算 cell reads ``项目：<code> <name>``; voided vouchers say 作废 in 凭证号.
    * ``year_parent_month_day``: ``2023年``(月 日) | 凭证(字 号) | 摘要 | 项目 (``[code]name``) |
      借方 | 贷方 | 余额(方向 金额) — the year only in the merged parent cell.
    * ``month_day_period``: 日期(月 日) | 凭证号 | 摘要 | 预算项目 (name only) | 借方金额 |
      贷方金额 | 方向 | 余额 — month/day only, the year from the 期间 line.
    """
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    accounts = sorted({t.account for t in txns}, reverse=True)
    for account in accounts:
        code, name = account.split(" ", 1)
        sheet = workbook.create_sheet(f"{code}{name}")
        lines = sorted((t for t in txns if t.account == account), key=lambda t: t.day)
        sheet.append([f"明细账    科目：{code} {name}"])
        sheet.append([f"核算单位：{unit}    期间：{period}    单位：元"])
        _yonyou_header(sheet, variant)
        body: list[list[object]] = []
        if variant == "date_column":
            body.append(["", "", "上年结转", "", None, None, "平", 0])
        elif variant == "year_parent_month_day":
            body.append(["", "", "", "", "上年结转", "", None, None, "平", 0])
        else:
            body.append(["", "", "", "上年结转", "", None, None, "平", 0])
        balance = ZERO
        year_debit = year_credit = ZERO
        months = sorted({t.day.month for t in lines})
        for index, month in enumerate(months):
            month_debit = month_credit = ZERO
            for t in (t for t in lines if t.day.month == month):
                if not t.voided:
                    balance += t.amount
                    month_debit += t.debit
                    month_credit += t.credit
                body.append(_yonyou_line(t, variant, balance))
            year_debit += month_debit
            year_credit += month_credit
            body.append(_yonyou_total(variant, "本月合计", month_debit, month_credit, balance, month))
            body.append(_yonyou_total(variant, "本年累计", year_debit, year_credit, balance, month))
            if with_page_break and index == 0:
                body.append(_yonyou_total(variant, "过次页", year_debit, year_credit, balance, month))
                body.append([])
                body.append(_yonyou_total(variant, "承前页", year_debit, year_credit, balance, month))
        for row in body:
            sheet.append(row)
        sheet.append([])
        sheet.append(["制表人：张会计", None, None, "打印日期：2024-01-05"])
    return _save(workbook)


def _yonyou_header(sheet: Worksheet, variant: str) -> None:
    if variant == "date_column":
        sheet.append(["日期", "凭证号", "摘要", "辅助核算", "本期发生额", None, "余额", None])
        sheet.append([None, None, None, None, "借方", "贷方", "方向", "金额"])
        for column in "ABCD":
            sheet.merge_cells(f"{column}3:{column}4")
        sheet.merge_cells("E3:F3")
        sheet.merge_cells("G3:H3")
    elif variant == "year_parent_month_day":
        sheet.append(["2023年", None, "凭证", None, "摘要", "项目", "借方", "贷方", "余额", None])
        sheet.append(["月", "日", "字", "号", None, None, None, None, "方向", "金额"])
        sheet.merge_cells("A3:B3")
        sheet.merge_cells("C3:D3")
        sheet.merge_cells("I3:J3")
        for column in "EFGH":
            sheet.merge_cells(f"{column}3:{column}4")
    else:
        sheet.append(["日期", None, "凭证号", "摘要", "预算项目", "借方金额", "贷方金额", "方向", "余额"])
        sheet.append(["月", "日", None, None, None, None, None, None, None])
        sheet.merge_cells("A3:B3")
        for column in "CDEFGHI":
            sheet.merge_cells(f"{column}3:{column}4")


def _yonyou_line(t: Txn, variant: str, balance: Decimal) -> list[object]:
    debit = _money(t.debit) if t.debit else None
    credit = _money(t.credit) if t.credit else None
    if variant == "date_column":
        voucher = f"{t.voucher}（作废）" if t.voided else t.voucher
        return [t.day.strftime("%Y-%m-%d"), voucher, t.summary,
                f"项目：{t.project_code} {t.project_name}", debit, credit, "借", _money(balance)]
    if variant == "year_parent_month_day":
        word, number = t.voucher.split("-")
        summary = f"【作废】{t.summary}" if t.voided else t.summary
        return [t.day.month, t.day.day, word, int(number), summary,
                f"[{t.project_code}]{t.project_name}", debit, credit, "借", _money(balance)]
    summary = f"作废 {t.summary}" if t.voided else t.summary
    return [f"{t.day.month:02d}", f"{t.day.day:02d}", t.voucher, summary, t.project_name, debit, credit,
            "借", _money(balance)]


def _yonyou_total(variant: str, label: str, debit: Decimal, credit: Decimal, balance: Decimal,
                  month: int) -> list[object]:
    if variant == "date_column":
        return ["", "", label, "", _money(debit), _money(credit), "借", _money(balance)]
    if variant == "year_parent_month_day":
        return [month, "", "", "", label, "", _money(debit), _money(credit), "借", _money(balance)]
    return [f"{month:02d}", "", "", label, "", _money(debit), _money(credit), "借", _money(balance)]


# -- 金蝶-style 序时账: 方向 + 金额, both books, multi-line vouchers -----------------------------

KINGDEE_VARIANTS = ("code_and_name", "combined_account")


def kingdee_journal(txns: Sequence[Txn], variant: str = "code_and_name") -> bytes:
    """Every voucher as its lines in both books: 预算会计 (7xxx 借 / 8001 资金结存 贷) and
    财务会计 (5001 业务活动费用 借 / 1011 零余额账户用款额度 贷).  Date and 凭证字号 are printed
    on the first line of a voucher only; 项目 reads ``<code> <name>``; amounts are text with
    thousands separators; a credit on an expenditure account is 方向 贷.  Voided vouchers have
    摘要 starting with 【作废】."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "序时账"
    sheet.append(["序时账"])
    sheet.append(["账套：001 高新区科技局2023    会计期间：2023.01-2023.12"])
    if variant == "code_and_name":
        sheet.append(["日期", "凭证字号", "摘要", "科目代码", "科目名称", "项目", "方向", "金额"])
    else:
        sheet.append(["日期", "凭证字号", "摘要", "会计科目", "项目", "方向", "金额"])
    for t in sorted(txns, key=lambda t: (t.day, t.voucher)):
        summary = f"【作废】{t.summary}" if t.voided else t.summary
        project = f"{t.project_code} {t.project_name}"
        value = t.debit if t.debit else t.credit
        expense_side = "借" if t.debit else "贷"
        other_side = "贷" if t.debit else "借"
        lines = [
            (t.account_code, t.account_name, project, expense_side, value),
            ("8001", "资金结存", "", other_side, value),
            ("5001", "业务活动费用", project, expense_side, value),
            ("1011", "零余额账户用款额度", "", other_side, value),
        ]
        for index, (code, name, proj, side, amount) in enumerate(lines):
            first = index == 0
            day = t.day.strftime("%Y/%m/%d") if first else ""
            voucher = t.voucher if first else ""
            text = f"{amount:,.2f}"
            if variant == "code_and_name":
                sheet.append([day, voucher, summary, code, name, proj, side, text])
            else:
                suffix = "-项目支出" if code.startswith("7") else ""
                sheet.append([day, voucher, summary, f"{code}{'01' if suffix else ''} {name}{suffix}",
                              proj, side, text])
    sheet.append(["合计", None, None, None, None, None, None, None][:sheet.max_column])
    return _save(workbook)


# -- 一体化 国库集中支付 payment lists ------------------------------------------------------

PAYMENT_HEADER = ["支付申请编号", "预算单位", "指标文号", "预算项目编码", "预算项目名称", "支出功能分类科目",
                  "政府经济分类", "资金性质", "用途", "支付方式", "支付日期", "支付金额", "支付状态"]


def payment_transactions() -> list[Txn]:
    return [
        Txn(date(2021, 5, 18), "ZF2021-0001", "科技奖励", "", *P2, debit=d("35000000.00")),
        Txn(date(2021, 3, 25), "ZF2021-0003", "科技奖励", "", *P1, debit=d("1178000.00")),
        Txn(date(2021, 6, 2), "ZF2021-0004", "科技奖励", "", *P1, debit=d("2356000.00")),
        Txn(date(2021, 6, 3), "ZF2021-0005", "科技奖励", "", *P1, debit=d("500000.00"), status="已退回"),
        Txn(date(2021, 6, 29), "ZF2021-0006", "科技奖励", "", *P2, debit=d("1000000.00"), status="已作废"),
        Txn(date(2021, 6, 15), "ZF2021-0007", "退回多付款（红字）", "", *P3, debit=d("-2345.67")),
        Txn(date(2021, 4, 7), "ZF2021-0008", "场馆运维", "", *P3, debit=d("123456.78")),
        Txn(date(2021, 6, 30), "ZF2021-0009", "专家评审费", "", *P1, debit=d("0.50"), status="支付成功"),
    ]


def _payment_cells(t: Txn, amount_text: bool = True) -> list[object]:
    return [t.voucher, t.unit, "冀财教〔2021〕12号", t.project_code, t.project_name,
            "2060404科技成果转化与扩散", "31204费用补贴", "一般公共预算资金", t.summary, "国库集中支付",
            t.day.strftime("%Y-%m-%d"), f"{t.debit:,.2f}" if amount_text else _money(t.debit), t.status]


def payment_rows(txns: Sequence[Txn], *, amount_text: bool = True, title: bool = True,
                 total: bool = True) -> list[list[object]]:
    rows: list[list[object]] = []
    if title:
        rows.append(["国库集中支付明细表（2021年1月1日-2021年6月30日）"])
    rows.append(list(PAYMENT_HEADER))
    rows.extend(_payment_cells(t, amount_text) for t in txns)
    if total:
        listed = sum((t.debit for t in txns), ZERO)
        rows.append(["合计"] + [""] * 10 + [f"{listed:,.2f}" if amount_text else _money(listed), ""])
    return rows


def payment_xlsx(txns: Sequence[Txn], *, amount_text: bool = True, total: bool = True) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "支付明细"
    for row in payment_rows(txns, amount_text=amount_text, total=total):
        sheet.append(row)
    return _save(workbook)


def payment_csv(txns: Sequence[Txn], encoding: str = "gbk", delimiter: str = ",", *,
                title: bool = True, total: bool = True, line_end: str = "\r\n") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    for row in payment_rows(txns, title=title, total=total):
        writer.writerow(row)
    return buffer.getvalue().encode(encoding)


def csv_bytes(rows: Iterable[Sequence[object]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(sheets: dict[str, Sequence[Sequence[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    return _save(workbook)


# -- HTML tables saved as ".xls" -------------------------------------------------------------

def html_xls(rows: Sequence[Sequence[object]], *, encoding: str = "gbk",
             header_spans: dict[tuple[int, int], tuple[int, int]] | None = None,
             closed: bool = True) -> bytes:
    """A table as 一体化 systems write it, with ``<meta charset>``.  ``header_spans`` maps
    (row, column) of a cell to its (rowspan, colspan); covered cells are left out of the HTML."""
    spans = header_spans or {}
    covered: set[tuple[int, int]] = set()
    for (r, c), (rs, cs) in spans.items():
        covered.update((r + i, c + j) for i in range(rs) for j in range(cs) if (i, j) != (0, 0))
    charset = "gb2312" if encoding == "gbk" else encoding
    parts = [f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">'
             "<style>td{mso-number-format:'\\@';}</style></head><body><table border=1>"]
    for r, row in enumerate(rows):
        parts.append("<tr>")
        for c, value in enumerate(row):
            if (r, c) in covered:
                continue
            rs, cs = spans.get((r, c), (1, 1))
            attributes = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
            text = "" if value is None else str(value).replace("&", "&amp;").replace("<", "&lt;")
            parts.append(f"<td{attributes}>{text}</td>")
        parts.append("</tr>\n")
    if closed:
        parts.append("</table></body></html>")
    return "".join(parts).encode(encoding)


# -- BIFF8 .xls in an OLE2 compound file -------------------------------------------------------

@dataclass
class BiffSheet:
    name: str
    rows: Sequence[Sequence[object]]  # str, int/float/Decimal, date/datetime (a date-formatted cell)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, r2, c1, c2 (0-based)


def _record(kind: int, payload: bytes) -> bytes:
    return struct.pack("<HH", kind, len(payload)) + payload


def _unicode(text: str, length_bytes: int) -> bytes:
    encoded = text.encode("utf-16-le")
    size = struct.pack("<B" if length_bytes == 1 else "<H", len(text))
    return size + b"\x01" + encoded


def _excel_serial(value: date) -> float:
    moment = value if isinstance(value, datetime) else datetime(value.year, value.month, value.day)
    return (moment - datetime(1899, 12, 30)).total_seconds() / 86400


def biff8_workbook(sheets: Sequence[BiffSheet]) -> bytes:
    """A real BIFF8 workbook (what Excel 97-2003 writes), in an OLE2 container."""
    strings: dict[str, int] = {}
    string_list: list[str] = []
    for sheet in sheets:
        for row in sheet.rows:
            for value in row:
                if isinstance(value, str) and value and value not in strings:
                    strings[value] = len(string_list)
                    string_list.append(value)
    bof_globals = _record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x06))
    font = _record(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0x86, 0)
                   + _unicode("宋体", 1))
    style_xf = struct.pack("<HHHBBBBIIH", 0, 0, 0xFFF5, 0x20, 0, 0, 0, 0, 0, 0x20C0)
    cell_xf = struct.pack("<HHHBBBBIIH", 0, 0, 0x0001, 0x20, 0, 0, 0, 0, 0, 0x20C0)
    date_xf = struct.pack("<HHHBBBBIIH", 0, 14, 0x0001, 0x20, 0, 0, 0x04, 0, 0, 0x20C0)
    xfs = b"".join(_record(0x00E0, style_xf) for _ in range(16)) + _record(0x00E0, cell_xf) \
        + _record(0x00E0, date_xf)
    sst_payload = struct.pack("<II", len(string_list), len(string_list)) + b"".join(
        _unicode(s, 2) for s in string_list)
    assert len(sst_payload) <= 8224, "fixture too big for a single SST record"
    globals_tail = _record(0x00FC, sst_payload) + _record(0x000A, b"")
    codepage = _record(0x0042, struct.pack("<H", 1200))
    window = _record(0x003D, struct.pack("<HHHHHHHHH", 0, 0, 0x4000, 0x2000, 0x38, 0, 0, 1, 0x258))
    head = bof_globals + codepage + window + font * 5 + xfs
    bound_sizes = [len(_record(0x0085, b"\x00" * 6 + _unicode(s.name, 1))) for s in sheets]
    offset = len(head) + sum(bound_sizes) + len(globals_tail)
    bodies = [_biff_sheet(s, strings) for s in sheets]
    bounds = b""
    for sheet, body in zip(sheets, bodies):
        bounds += _record(0x0085, struct.pack("<IBB", offset, 0, 0) + _unicode(sheet.name, 1))
        offset += len(body)
    stream = head + bounds + globals_tail + b"".join(bodies)
    return _ole2_file(stream)


def _biff_sheet(sheet: BiffSheet, strings: dict[str, int]) -> bytes:
    width = max((len(r) for r in sheet.rows), default=0)
    out = [_record(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x06)),
           _record(0x0200, struct.pack("<IIHHH", 0, len(sheet.rows), 0, width, 0))]
    for r, row in enumerate(sheet.rows):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, str):
                out.append(_record(0x00FD, struct.pack("<HHHI", r, c, 16, strings[value])))
            elif isinstance(value, date):
                out.append(_record(0x0203, struct.pack("<HHHd", r, c, 17, _excel_serial(value))))
            else:
                out.append(_record(0x0203, struct.pack("<HHHd", r, c, 16, float(value))))
    if sheet.merges:
        out.append(_record(0x00E5, struct.pack("<H", len(sheet.merges)) + b"".join(
            struct.pack("<HHHH", *m) for m in sheet.merges)))
    out.append(_record(0x000A, b""))
    return b"".join(out)


def _ole2_file(stream: bytes) -> bytes:
    """Sector 0: FAT; sector 1: directory; sectors 2…: the Workbook stream (≥ 4096 bytes, so it
    lives in regular sectors and no mini stream is needed)."""
    sector = 512
    stream = stream + b"\x00" * max(0, 4096 - len(stream))
    stream_sectors = -(-len(stream) // sector)
    assert 2 + stream_sectors <= 128, "fixture too big for one FAT sector"
    end, free, fat_mark, no_stream = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
    fat = [fat_mark, end] + [3 + i for i in range(stream_sectors - 1)] + [end]
    fat += [free] * (128 - len(fat))
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + struct.pack(
        "<HHHHH6sIIIIIIIII", 0x003E, 0x0003, 0xFFFE, 9, 6, b"\x00" * 6, 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<I", 0) + struct.pack("<I", free) * 108

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (name + "\x00").encode("utf-16-le") if name else b""
        return (encoded.ljust(64, b"\x00") + struct.pack("<HBB", len(encoded), kind, 1)
                + struct.pack("<III", no_stream, no_stream, child) + b"\x00" * 16
                + struct.pack("<I", 0) + b"\x00" * 16 + struct.pack("<III", start, size, 0))

    directory = (entry("Root Entry", 5, 1, end, 0) + entry("Workbook", 2, no_stream, 2, len(stream))
                 + entry("", 0, no_stream, 0, 0) * 2)
    return (header + struct.pack("<128I", *fat) + directory
            + stream.ljust(stream_sectors * sector, b"\x00"))


def payment_biff(txns: Sequence[Txn]) -> bytes:
    """The payment list as a BIFF8 .xls: numeric amounts, real date cells, a merged title."""
    rows: list[list[object]] = [["国库集中支付明细表（2021年1月1日-2021年6月30日）"], list(PAYMENT_HEADER)]
    for t in txns:
        cells = _payment_cells(t, amount_text=False)
        cells[10] = t.day
        rows.append(cells)
    rows.append(["合计"] + [""] * 10 + [_money(sum((t.debit for t in txns), ZERO)), ""])
    return biff8_workbook([BiffSheet("支付明细", rows, [(0, 0, 0, 12)])])


def with_changes(txns: Sequence[Txn], **changes: object) -> list[Txn]:
    return [replace(t, **changes) for t in txns]  # type: ignore[arg-type]


# -- 金蝶-style 凭证序时簿, 方向 + 金额, both books, totals in every printed shape -----------------

VOUCHER_BOOK_TOTALS = ("signed", "per_direction", "side_labels", "side_cells", "monthly")


def voucher_book_transactions() -> list[Txn]:
    """A year to 第10期: three projects, a credit (收回) on an expenditure account, a voided
    voucher.  Worked by hand: counted 7101/7201 rows, voided left out —
    P1 1,000,000.00 + 23,456.78 = 1,023,456.78; P2 3,500,000.00 − 500,000.00 = 3,000,000.00;
    P3 12,345.60; total 4,035,802.38."""
    return [
        Txn(date(2025, 1, 15), "记-0003", "拨付创新资金", "7201 事业支出", *P1, debit=d("1000000.00")),
        Txn(date(2025, 3, 20), "记-0021", "支付评审费", "7201 事业支出", *P1, debit=d("23456.78")),
        Txn(date(2025, 5, 18), "记-0040", "拨付引导资金", "7201 事业支出", *P2, debit=d("3500000.00")),
        Txn(date(2025, 6, 29), "记-0052", "收回多拨资金", "7201 事业支出", *P2, credit=d("500000.00")),
        Txn(date(2025, 8, 10), "记-0070", "支付水电费", "7101 行政支出", *P3, debit=d("12345.60")),
        Txn(date(2025, 9, 30), "记-0088", "拨付创新资金", "7201 事业支出", *P1,
            debit=d("700000.00"), voided=True),
    ]


def _both_books(t: Txn) -> list[tuple[str, str, str, str, Decimal]]:
    """A voucher's four lines: 预算会计 7xxx / 8001 and 财务会计 5001 / 1011 (平行记账)."""
    project = f"{t.project_code} {t.project_name}"
    value = t.debit if t.debit else t.credit
    expense_side, other_side = ("借", "贷") if t.debit else ("贷", "借")
    return [(t.account_code, t.account_name, project, expense_side, value),
            ("8001", "资金结存", "", other_side, value),
            ("5001", "业务活动费用", project, expense_side, value),
            ("1011", "零余额账户用款额度", "", other_side, value)]


def voucher_book(txns: Sequence[Txn], totals: str = "per_direction", *, fmt: str = "xls",
                 period: str = "会计期间：2025年第1期至2025年第10期", columns: bool = False) -> bytes:
    """凭证序时簿 as 金蝶 KIS/K3 print it: 方向 + 金额, both books, 【作废】 vouchers listed but
    left out of the printed totals.  ``totals``: "signed" (one 合计, 方向 平, net 0), "per_direction"
    (a 合计 row for 借 and one for 贷), "side_labels" (借方合计 / 贷方合计 rows, no 方向), "side_cells"
    (one 合计 row holding 借方合计 and 贷方合计 cells with their amounts beside them),
    "monthly" (本期合计 借 + 贷 and 本年累计 借 + 贷 after every month).  ``columns``: 借方金额 /
    贷方金额 columns instead of 方向 + 金额, one 合计 row with both (``totals`` is then ignored)."""
    header = ["日期", "凭证字号", "摘要", "科目代码", "科目名称", "核算项目", "方向", "金额"]
    if columns:
        header[6:] = ["借方金额", "贷方金额"]
    rows: list[list[object]] = [["凭证序时簿"], [f"账套：高新区科技局    {period}"], header]
    year_debit = year_credit = ZERO
    ordered = sorted(txns, key=lambda t: (t.day, t.voucher))
    months = sorted({t.day.month for t in ordered})
    for month in months:
        month_debit = month_credit = ZERO
        for t in (t for t in ordered if t.day.month == month):
            summary = f"【作废】{t.summary}" if t.voided else t.summary
            for index, (code, name, project, side, value) in enumerate(_both_books(t)):
                sides = [side, f"{value:,.2f}"] if not columns else (
                    [f"{value:,.2f}", ""] if side == "借" else ["", f"{value:,.2f}"])
                rows.append([t.day.strftime("%Y-%m-%d") if index == 0 else "",
                             t.voucher if index == 0 else "", summary, code, name, project, *sides])
                if not t.voided:
                    if side == "借":
                        month_debit += value
                    else:
                        month_credit += value
        year_debit += month_debit
        year_credit += month_credit
        if totals == "monthly" and not columns:
            rows += [["", "", "本期合计", "", "", "", "借", f"{month_debit:,.2f}"],
                     ["", "", "本期合计", "", "", "", "贷", f"{month_credit:,.2f}"],
                     ["", "", "本年累计", "", "", "", "借", f"{year_debit:,.2f}"],
                     ["", "", "本年累计", "", "", "", "贷", f"{year_credit:,.2f}"]]
    if columns:
        rows.append(["", "", "合计", "", "", "", f"{year_debit:,.2f}", f"{year_credit:,.2f}"])
    elif totals == "signed":
        rows.append(["", "", "合计", "", "", "", "平", f"{year_debit - year_credit:,.2f}"])
    elif totals == "per_direction":
        rows += [["合计", "", "", "", "", "", "借", f"{year_debit:,.2f}"],
                 ["合计", "", "", "", "", "", "贷", f"{year_credit:,.2f}"]]
    elif totals == "side_cells":  # one 合计 row: "借方合计" and "贷方合计" cells, each amount beside it
        rows.append(["合计", "", "", "", "借方合计", f"{year_debit:,.2f}", "贷方合计", f"{year_credit:,.2f}"])
    elif totals == "side_labels":
        rows += [["", "", "借方合计", "", "", "", "", f"{year_debit:,.2f}"],
                 ["", "", "贷方合计", "", "", "", "", f"{year_credit:,.2f}"]]
    if fmt == "xls":
        return biff8_workbook([BiffSheet("凭证序时簿", rows, [(0, 0, 0, 7)])])
    return xlsx_bytes({"凭证序时簿": rows})


# -- 用友-style 项目明细账: the project and account printed once, above the header ----------------

PA = ("13020225P00892710002C", "乡村振兴科技服务")
PB = ("13020225P00892710005A", "科技成果转化专项")
PROJECT_LEDGER_VARIANTS = ("code_line", "bracket_name", "aux_line", "blocks", "sheet_name_only")


def project_ledger_transactions() -> list[Txn]:
    """2025-01..06, 平行记账: each 7201 line has its 5001 twin.  Worked by hand (7201 only):
    PA 150,000.00 + 80,000.50 − 10,000.00 (红字) = 220,000.50; PB 2,000,000.00 − 300,000.00 (贷,
    收回) = 1,700,000.00; total 1,920,000.50."""
    budget = [
        Txn(date(2025, 1, 20), "记-0005", "购置检测设备", "7201 事业支出", *PA, debit=d("150000.00")),
        Txn(date(2025, 3, 18), "记-0033", "支付技术服务费", "7201 事业支出", *PA, debit=d("80000.50")),
        Txn(date(2025, 4, 2), "记-0041", "冲减技术服务费", "7201 事业支出", *PA, debit=d("-10000.00")),
        Txn(date(2025, 2, 11), "记-0012", "拨付转化资金", "7201 事业支出", *PB, debit=d("2000000.00")),
        Txn(date(2025, 5, 30), "记-0060", "收回结余资金", "7201 事业支出", *PB, credit=d("300000.00")),
    ]
    return budget + [replace(t, account="5001 业务活动费用") for t in budget]


def _project_block(txns: Sequence[Txn], project: tuple[str, str], account: str, variant: str,
                   total: str = "本期合计") -> list[list[object]]:
    code, name = project
    context: list[list[object]] = {
        "code_line": [[f"项目：{code} {name}"], [f"科目：{account}"]],
        "bracket_name": [[f"[项目]{name}", "", f"【科目】{account}"]],
        "aux_line": [[f"辅助核算：部门：综合科；项目：{code} {name}"], ["科目：", account]],
        "blocks": [[f"核算项目：{code} {name}"], [f"科目：{account}"]],
        "sheet_name_only": [],
    }[variant]
    rows = context + [["日期", "凭证号", "摘要", "借方", "贷方", "余额"],
                      ["", "", "期初余额", "", "", "0.00"]]
    balance = debit = credit = ZERO
    for t in sorted(txns, key=lambda t: t.day):
        balance += t.amount
        debit += t.debit
        credit += t.credit
        rows.append([t.day.strftime("%Y-%m-%d"), t.voucher, t.summary,
                     f"{t.debit:,.2f}" if t.debit else "", f"{t.credit:,.2f}" if t.credit else "",
                     f"{balance:,.2f}"])
    rows.append(["", "", total, f"{debit:,.2f}", f"{credit:,.2f}", f"{balance:,.2f}"])
    return rows


def project_ledger(txns: Sequence[Txn], variant: str = "code_line", total: str = "本期合计") -> bytes:
    """One sheet per project and account (sheet named "<code> <name>" or the name), the project
    and the account printed once above the header, the rows without a project or account cell;
    ``blocks``: one sheet, a block per project and account, each with its 核算项目 / 科目 lines and
    its header repeated."""
    keys = list(dict.fromkeys((t.project_code, t.project_name, t.account) for t in txns))
    head = [["项目明细账"], ["单位：高新区科技局", "", "期间：2025年01月—2025年06月"]]
    if variant == "blocks":
        rows: list[list[object]] = list(head)
        for code, name, account in keys:
            rows += _project_block([t for t in txns if (t.project_code, t.account) == (code, account)],
                                   (code or "", name or ""), account, variant, total)
            rows.append([])
        return xlsx_bytes({"项目明细账": rows})
    sheets: dict[str, Sequence[Sequence[object]]] = {}
    for code, name, account in keys:
        title = f"{code} {name}" if variant != "bracket_name" else f"{name}"
        title = f"{title} {account.split(' ')[0]}"[-31:]  # Excel's limit
        block = _project_block([t for t in txns if (t.project_code, t.account) == (code, account)],
                               (code or "", name or ""), account, variant)
        if variant == "sheet_name_only":
            title = f"{code} {name}"[:31] if account.startswith("7") else f"{code} 财务"
            block = [[f"科目：{account}"]] + block
        sheets[title] = head + block
    return xlsx_bytes(sheets)
