"""More layout families of issue #15, built from one half-year of transactions so every test
knows its answer independently of the reader (ledger_fixtures.py holds the first families and
the writers: xlsx, CSV, HTML ".xls", BIFF8).

Ledgers (both books of 平行记账: each 71xx/72xx line has its 5xxx twin) — worked by hand, 71xx/72xx
only: PA 150,000.00 + 80,000.50 − 10,000.00 (红字) = 220,000.50; PB 2,000,000.00 − 300,000.00
(贷, 收回) = 1,700,000.00; P3 45,678.90; total 1,965,679.40; to 31 March PA 230,000.50 and
PB 2,000,000.00.

Payment lists — worked by hand, 已退回/已退票/支付失败 and 已作废 left out: PA 150,000.00 + 80,000.50
= 230,000.50 (the 10,000.00 of 2 April came back); PB 2,000,000.00 (the 300,000.00 of 30 May was
voided); P3 45,678.90; total 2,275,679.40.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from tests.importers.ledger_fixtures import (P3, PA, PB, ZERO, BiffSheet, Txn, biff8_workbook,
                                             csv_bytes, d, html_xls, xlsx_bytes)

LEDGER_COUNTED = {PA[0]: d("220000.50"), PB[0]: d("1700000.00"), P3[0]: d("45678.90")}
LEDGER_COUNTED_TO_MARCH = {PA[0]: d("230000.50"), PB[0]: d("2000000.00")}
PAYMENTS_COUNTED = {PA[0]: d("230000.50"), PB[0]: d("2000000.00"), P3[0]: d("45678.90")}
_TWIN = {"7201": "5001 业务活动费用", "7101": "5101 单位管理费用"}


def budget_lines() -> list[Txn]:
    return [
        Txn(date(2025, 1, 20), "记-0005", "购置检测设备", "7201 事业支出", *PA, debit=d("150000.00")),
        Txn(date(2025, 2, 11), "记-0012", "拨付转化资金", "7201 事业支出", *PB, debit=d("2000000.00")),
        Txn(date(2025, 3, 18), "记-0033", "支付技术服务费", "7201 事业支出", *PA, debit=d("80000.50")),
        Txn(date(2025, 4, 2), "记-0041", "冲减技术服务费", "7201 事业支出", *PA, debit=d("-10000.00")),
        Txn(date(2025, 5, 30), "记-0060", "收回结余资金", "7201 事业支出", *PB, credit=d("300000.00")),
        Txn(date(2025, 6, 12), "记-0072", "支付场馆物业费", "7101 行政支出", *P3, debit=d("45678.90")),
    ]


def both_books() -> list[Txn]:
    """Every budget line and its 财务会计 twin, by date."""
    lines = []
    for t in budget_lines():
        lines += [t, replace(t, account=_TWIN[t.account_code])]
    return lines


def _money(value: Decimal) -> str:
    return f"{value:,.2f}" if value else ""


# -- 用友 辅助明细账: one sheet, a block per 科目 + 项目, two-row header repeated, 合计 per block -----

def yonyou_aux_ledger() -> bytes:
    """BIFF8 .xls.  Each block: 科目 and 项目 lines, the header 日期 | 凭证号 | 摘要 | 本期发生额
    (借方, 贷方) | 余额 (方向, 金额) on two merged rows, 期初余额, the rows, 合计."""
    rows: list[list[object]] = [["辅助明细账"], ["核算单位：高新区科技局", "", "期间：2025.01-2025.06"]]
    merges: list[tuple[int, int, int, int]] = [(0, 0, 0, 6)]
    keys = list(dict.fromkeys((t.project_code, t.project_name, t.account) for t in both_books()))
    for code, name, account in keys:
        lines = [t for t in both_books() if (t.project_code, t.account) == (code, account)]
        rows += [[f"科目：{account}"], [f"项目：{code} {name}"]]
        top = len(rows)
        rows += [["日期", "凭证号", "摘要", "本期发生额", "", "余额", ""],
                 ["", "", "", "借方", "贷方", "方向", "金额"]]
        merges += [(top, top + 1, 0, 0), (top, top + 1, 1, 1), (top, top + 1, 2, 2),
                   (top, top, 3, 4), (top, top, 5, 6)]
        rows.append(["", "", "期初余额", "", "", "平", "0.00"])
        balance = debit = credit = ZERO
        for t in lines:
            balance += t.amount
            debit, credit = debit + t.debit, credit + t.credit
            rows.append([t.day, t.voucher, t.summary, float(t.debit) if t.debit else "",
                         float(t.credit) if t.credit else "", "借" if balance > 0 else "平", float(balance)])
        rows.append(["", "", "合计", float(debit), float(credit), "借" if balance > 0 else "平", float(balance)])
        rows.append([])
    return biff8_workbook([BiffSheet("辅助明细账", rows, merges)])


# -- 用友 T3 序时账: GBK CSV, both books, 科目编码 / 科目名称 / 辅助项 columns ------------------------

def yonyou_journal_csv() -> bytes:
    rows: list[list[object]] = [["序时账"], ["账套：高新区科技局 2025年", "期间：2025.01-2025.06"],
                                ["日期", "凭证号", "摘要", "科目编码", "科目名称", "辅助项", "借方金额", "贷方金额"]]
    total_debit = total_credit = ZERO
    for t in both_books():
        rows.append([t.day.strftime("%Y-%m-%d"), t.voucher, t.summary, t.account_code, t.account_name,
                     f"项目：{t.project_code} {t.project_name}", _money(t.debit), _money(t.credit)])
        total_debit, total_credit = total_debit + t.debit, total_credit + t.credit
    rows.append(["", "", "合计", "", "", "", _money(total_debit), _money(total_credit)])
    return csv_bytes(rows, "gbk")


# -- 金蝶 KIS 明细分类账: a sheet per 科目, 核算项目 column, 本期合计 + 本年累计 per month -----------

def kingdee_subsidiary_ledger() -> bytes:
    sheets: dict[str, list[list[object]]] = {}
    for account in dict.fromkeys(t.account for t in both_books()):
        lines = [t for t in both_books() if t.account == account]
        rows: list[list[object]] = [["明细分类账"], [f"科目：{account}", "", "会计期间：2025年第1期至2025年第6期"],
                                    ["日期", "凭证字号", "摘要", "核算项目", "借方", "贷方", "方向", "余额"],
                                    ["2025-01-01", "", "期初余额", "", "", "", "平", "0.00"]]
        balance = year_debit = year_credit = ZERO
        for month in range(1, 7):
            month_lines = [t for t in lines if t.day.month == month]
            if not month_lines:
                continue
            debit = credit = ZERO
            for t in month_lines:
                balance += t.amount
                debit, credit = debit + t.debit, credit + t.credit
                rows.append([t.day.strftime("%Y-%m-%d"), t.voucher, t.summary,
                             f"[{t.project_code}]{t.project_name}", _money(t.debit), _money(t.credit),
                             "借", f"{balance:,.2f}"])
            year_debit, year_credit = year_debit + debit, year_credit + credit
            end = f"2025-{month:02d}-28"
            rows += [[end, "", "本期合计", "", f"{debit:,.2f}", f"{credit:,.2f}", "借", f"{balance:,.2f}"],
                     [end, "", "本年累计", "", f"{year_debit:,.2f}", f"{year_credit:,.2f}", "借", f"{balance:,.2f}"]]
        sheets[account.replace(" ", "")] = rows
    return xlsx_bytes(sheets)


# -- 浪潮 总账 明细账, saved as HTML ".xls" (UTF-8) --------------------------------------------

def inspur_ledger_html() -> bytes:
    rows: list[list[object]] = [["明细账"], ["单位名称：高新区科技局"], ["会计期间：2025年01月—2025年06月", "", "金额单位：元"],
                                ["凭证日期", "凭证编号", "摘要", "科目编号", "科目名称", "辅助核算",
                                 "借方发生额", "贷方发生额", "余额方向", "余额"]]
    balance = ZERO
    for month in range(1, 7):
        debit = credit = ZERO
        for t in (t for t in both_books() if t.day.month == month):
            balance += t.amount
            debit, credit = debit + t.debit, credit + t.credit
            rows.append([t.day.strftime("%Y/%m/%d"), t.voucher.replace("记-", "记账-"), t.summary,
                         t.account_code, t.account_name, f"项目：{t.project_code} {t.project_name}",
                         _money(t.debit), _money(t.credit), "借", f"{balance:,.2f}"])
        rows.append(["", "", f"{month}月合计", "", "", "", f"{debit:,.2f}", f"{credit:,.2f}", "借", f"{balance:,.2f}"])
    return html_xls(rows, encoding="utf-8", header_spans={(0, 0): (1, 10)})


# -- 一体化 payment lists: three more provinces' columns ----------------------------------------

@dataclass(frozen=True)
class Payment:
    day: date
    number: str
    project: tuple[str, str]
    amount: Decimal
    status: str  # as the province prints it


def payments(ok: str, returned: str, voided: str) -> list[Payment]:
    return [
        Payment(date(2025, 1, 20), "ZF0001", PA, d("150000.00"), ok),
        Payment(date(2025, 2, 11), "ZF0002", PB, d("2000000.00"), ok),
        Payment(date(2025, 3, 18), "ZF0003", PA, d("80000.50"), ok),
        Payment(date(2025, 4, 2), "ZF0004", PA, d("10000.00"), returned),
        Payment(date(2025, 5, 30), "ZF0005", PB, d("300000.00"), voided),
        Payment(date(2025, 6, 12), "ZF0006", P3, d("45678.90"), ok),
    ]


def guangdong_style_payments() -> bytes:
    """xlsx, 支付金额（万元）, the project under a merged 预算项目 (编码 / 名称) on a second header
    row, 已清算 / 已退票 / 已作废."""
    listed = payments("已清算", "已退票", "已作废")
    rows: list[list[object]] = [["国库集中支付明细表"], ["预算单位：高新区科技局", "", "期间：2025年1-6月"],
                                ["序号", "支付日期", "支付凭证号", "预算项目", "", "用途", "支付金额（万元）", "支付状态"],
                                ["", "", "", "编码", "名称", "", "", ""]]
    for n, p in enumerate(listed, 1):
        rows.append([n, p.day.strftime("%Y-%m-%d"), p.number, p.project[0], p.project[1], "项目支出",
                     f"{p.amount / 10000:.6f}", p.status])
    rows.append(["合计", "", "", "", "", "", f"{sum(p.amount for p in listed) / 10000:.6f}", ""])
    return xlsx_bytes({"支付明细": rows})


def shandong_style_payments() -> bytes:
    """HTML ".xls" in GBK: 清算日期 | 支付申请号 | 预算项目名称 | 指标文号 | 支付金额 | 支付结果, a
    截至 line, 支付成功 / 支付失败 / 作废."""
    listed = payments("支付成功", "支付失败", "作废")
    rows: list[list[object]] = [["国库集中支付清算明细"], ["单位：高新区科技局    截至2025年6月30日"],
                                ["清算日期", "支付申请号", "预算项目名称", "指标文号", "支付金额", "支付结果"]]
    for p in listed:
        rows.append([p.day.strftime("%Y年%m月%d日"), p.number, p.project[1], "鲁财教〔2025〕3号",
                     f"{p.amount:,.2f}", p.status])
    return html_xls(rows, encoding="gbk", header_spans={(0, 0): (1, 6)})


def sichuan_style_payments() -> bytes:
    """UTF-8 CSV with BOM: 支付时间 | 预算项目代码 | 预算项目 | 实付金额 | 清算状态, 已支付 / 已退回 / 已作废,
    a signed 合计 of every listed row (the returned and voided ones included)."""
    listed = payments("已支付", "已退回", "已作废")
    rows: list[list[object]] = [["支付时间", "支付单号", "预算项目代码", "预算项目", "实付金额", "清算状态"]]
    for p in listed:
        rows.append([p.day.strftime("%Y-%m-%d 10:15:00"), p.number, p.project[0], p.project[1],
                     f"{p.amount:.2f}", p.status])
    rows.append(["合计", "", "", "", f"{sum(p.amount for p in listed):.2f}", ""])
    return b"\xef\xbb\xbf" + csv_bytes(rows, "utf-8")


def as_names(counted: dict[str, Decimal]) -> dict[str, Decimal]:
    names = dict((PA, PB, P3))
    return {names[code]: value for code, value in counted.items()}


LAYOUTS: dict[str, tuple[str, object]] = {  # name → (file name, builder)
    "用友辅助明细账": ("辅助明细账.xls", yonyou_aux_ledger),
    "用友序时账": ("序时账.csv", yonyou_journal_csv),
    "金蝶明细分类账": ("明细分类账.xlsx", kingdee_subsidiary_ledger),
    "浪潮明细账": ("明细账.xls", inspur_ledger_html),
    "广东式支付明细": ("支付明细.xlsx", guangdong_style_payments),
    "山东式清算明细": ("清算明细.xls", shandong_style_payments),
    "四川式支付明细": ("支付明细.csv", sichuan_style_payments),
}


def build(layout: str) -> tuple[str, bytes]:
    name, builder = LAYOUTS[layout]
    return name, builder()  # type: ignore[operator]

