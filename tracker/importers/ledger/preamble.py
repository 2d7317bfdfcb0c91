"""The lines above the header: title, 单位 / 核算单位 / 账套, 期间, 科目, 项目, money unit.

Context lines name what every row below shares when the rows do not say it themselves (项目明细账,
辅助明细账 per 核算项目, 明细账 per 科目)::

    项目：13020225P00892710002C 某项目     [项目]某项目     核算项目：【项目】P01 某项目
    辅助核算：项目：604002B17DX0003 …     科目：7201 事业支出     部门：综合科

and so may the sheet's name (``[项目]某项目``, ``项目：…``, ``7201事业支出``).

Periods are read in the forms exports print them::

    期间：2023年01月至2023年12月      2023年1月-12月        2023.01-2023.12
    2025年01月01日至2025年06月30日    （2021年1月1日-2021年6月30日）   2023年1期-12期
    期间：2023年06月                 2023年度          2025年第1期至2025年第10期
    2025年1-6月     2025-01至2025-06     期间：2025年01月—2025年06月     截至2025年6月30日

第N期 is month N (a 13th adjustment period is not a month: the line is reported unreadable).
A month-only end means the last day of that month; 截至 a date covers 1 January to that date.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tracker.importers.ledger.references import parse_reference

_FULLWIDTH = str.maketrans("０１２３４５６７８９．－～：（）　", "0123456789.-~:() ")
_SEP = r"\s*(?:至|到|-|—|–|~|－|～)+\s*"
_Y = r"(\d{4})\s*[年./-]\s*"
_DATE_RANGE = re.compile(
    rf"{_Y}(\d{{1,2}})\s*[月./-]\s*(\d{{1,2}})\s*[日号]?{_SEP}(?:(\d{{4}})\s*[年./-]\s*)?"
    rf"(\d{{1,2}})\s*[月./-]\s*(\d{{1,2}})\s*[日号]?")
_MONTH_RANGE = re.compile(
    rf"{_Y}第?\s*(\d{{1,2}})\s*(?:月份?|期)?{_SEP}(?:(\d{{4}})\s*[年./-]\s*)?第?\s*(\d{{1,2}})\s*"
    r"(?:月份?|期)?(?![\d日号.月期])")
_ONE_MONTH = re.compile(r"(\d{4})\s*[年./-]\s*第?\s*(\d{1,2})\s*(?:月份?|期)?(?![\d日号.月期])")
_ONE_YEAR = re.compile(r"(\d{4})\s*年度?(?![\d])")
# "2025年度" standing alone in its cell (a title "2025年度项目支出明细账" says nothing of the
# months an export covers: a 1-6月 export would claim the whole year)
_YEAR_WORD = re.compile(r"(?:^|\s{2,})[(\[【]?(\d{4})\s*年度[)\]】]?(?=\s{2,}|$)")
_UNTIL = re.compile(r"(?:截至|截止)(?:到|至|日期)?\s*:?\s*(\d{4})\s*[年./-]\s*(\d{1,2})\s*"
                    r"(?:[月./-]\s*(\d{1,2})\s*[日号]?|月份?)(?![\d])")
_PROJECT_KEYS = ("项目", "预算项目", "核算项目", "辅助核算", "辅助项", "辅助核算项")
_KEYS = ("核算单位", "编制单位", "单位名称", "预算单位", "会计主体", "账套名称", "账套", "单位",
         "会计期间", "期间", "会计科目", "科目", "币种", "金额单位", "打印日期", "日期", "制表", "页码",
         "部门") + _PROJECT_KEYS
_KEY = re.compile(r"(?:^|(?<=[\s:;,，;；]))(" + "|".join(sorted(_KEYS, key=len, reverse=True))
                  + r")\s*:\s*")
_BRACKETED_KEY = re.compile(r"[\[【]\s*(" + "|".join(sorted(("科目", "会计科目", "部门") + _PROJECT_KEYS,
                                                         key=len, reverse=True)) + r")\s*[\]】]\s*:?\s*")
# a code must end before a letter: "13020225P00892710002C 某项目" is a project, not account 13020225
_ACCOUNT = re.compile(r"^\s*([0-9][0-9.\-]*)(?![0-9A-Za-z])\s*[-_ ]?\s*(.*)$")
_MONEY_UNITS = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10000)}


@dataclass(frozen=True)
class Preamble:
    unit_name: str | None = None
    period: tuple[date, date] | None = None
    period_text: str | None = None
    account_code: str | None = None
    account_name: str | None = None
    scale: Decimal | None = None
    bad_period: str | None = None  # a period line we could not read (for a finding)
    project_code: str | None = None  # 项目 / 核算项目 / 辅助核算 line (or the sheet's name)
    project_name: str | None = None
    project_text: str | None = None  # that line's value as printed
    department: str | None = None  # 部门 line: shown, never a project


def context_line(line: str) -> str:
    """"[项目]某项目" / "【科目】7201 事业支出" → "项目:某项目" / "科目:7201 事业支出"."""
    return _BRACKETED_KEY.sub(lambda m: f" {m[1]}:", line).strip()


def line_text(row: Sequence[object]) -> str:
    return "    ".join(c.strip() for c in row if isinstance(c, str) and c.strip())


def read_preamble(rows: Sequence[Sequence[object]], sheet_name: str) -> Preamble:
    unit_name = period_text = account_code = account_name = bad_period = None
    period = None
    scale = None
    project_text = department = None
    lines = [context_line(line_text(row).translate(_FULLWIDTH)) for row in rows]
    for line in lines:
        for key, value in _key_values(line):
            if key in _PROJECT_KEYS:
                value = value.split("    ")[0].strip()  # the next cell is something else
                if value and project_text is None:
                    project_text = value
                continue
            if key == "部门":
                department = department or value or None
                continue
            if key in ("单位", "金额单位") and value in _MONEY_UNITS:
                scale = _MONEY_UNITS[value]
            elif key in ("核算单位", "编制单位", "单位名称", "预算单位", "会计主体", "单位") and value:
                unit_name = unit_name or value
            elif key in ("账套名称", "账套") and value and unit_name is None:
                unit_name = value
            elif key in ("期间", "会计期间") and period is None:
                found = parse_period(value)
                if found is None:
                    bad_period = value
                else:
                    period, period_text = found, value
            elif key in ("科目", "会计科目") and value and account_code is None and account_name is None:
                account_code, account_name = split_account(value)
    if period is None:
        for line in lines:
            found = _period_anywhere(line)
            if found is not None:
                period, period_text = found
                bad_period = None
                break
    if period is None:  # "2025年度" in a title: the whole year, the weakest statement
        for line in lines:
            match = _YEAR_WORD.search(line)
            if match is not None:
                year = int(match[1])
                period, period_text, bad_period = (date(year, 1, 1), date(year, 12, 31)), match[0].strip(), None
                break
    named = context_line(sheet_name.translate(_FULLWIDTH))
    if project_text is None or (account_code is None and account_name is None):
        for key, value in _key_values(named):
            if key in _PROJECT_KEYS and value and project_text is None:
                project_text = value
            elif key in ("科目", "会计科目") and value and account_code is None and account_name is None:
                account_code, account_name = split_account(value)
    if project_text is None and _looks_like_project(named):
        project_text = named
    if account_code is None and account_name is None:
        code, name = split_account(sheet_name)
        if code is not None:
            account_code, account_name = code, name
    project_code = project_name = None
    if project_text is not None:
        reference = parse_reference(project_text)
        project_code, project_name = reference.code, reference.name
        if project_code is None and project_name is None:
            project_text = None
    return Preamble(unit_name, period, period_text, account_code, account_name, scale, bad_period,
                    project_code, project_name, project_text, department)


def _looks_like_project(sheet_name: str) -> bool:
    """A sheet named "13020225P00892710002C 某项目": a code of letters and digits (an account
    code is digits only) of at least eight characters, then a name."""
    code, name = parse_reference(sheet_name).code, parse_reference(sheet_name).name
    return (code is not None and name is not None and len(code) >= 8
            and any(c.isdigit() for c in code) and any(c.isalpha() for c in code))


def _key_values(line: str) -> list[tuple[str, str]]:
    found = list(_KEY.finditer(line))
    pairs = []
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(line)
        pairs.append((match[1], line[match.end():end].strip(" ;；,，")))
    return pairs


def split_account(text: str) -> tuple[str | None, str | None]:
    """"7201 事业支出" / "7201事业支出" / "事业支出" → (code, name)."""
    text = text.strip()
    match = _ACCOUNT.match(text)
    if match is None:
        return None, text or None
    code = match[1].replace(".", "").replace("-", "")
    return code or None, match[2].strip() or None


def parse_period(text: str) -> tuple[date, date] | None:
    """A 期间 value → (first day, last day); None when it cannot be read (or a range printed
    backwards / with an impossible date)."""
    text = text.translate(_FULLWIDTH)
    if _DATE_RANGE.search(text) or _UNTIL.search(text) or _MONTH_RANGE.search(text):
        found = _period_anywhere(text)
        return found[0] if found is not None else None
    match = _ONE_MONTH.search(text)
    if match is not None:
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12:
            return date(year, month, 1), _month_end(year, month)
        return None
    match = _ONE_YEAR.search(text)
    if match is not None:
        year = int(match[1])
        return date(year, 1, 1), date(year, 12, 31)
    return None


def _period_anywhere(text: str) -> tuple[tuple[date, date], str] | None:
    match = _DATE_RANGE.search(text)
    if match is not None:
        try:
            start = date(int(match[1]), int(match[2]), int(match[3]))
            end = date(int(match[4] or match[1]), int(match[5]), int(match[6]))
        except ValueError:
            return None
        return ((start, end), match[0]) if start <= end else None
    match = _UNTIL.search(text)
    if match is not None:  # 截至2025年6月30日 / 截至2025年6月: from 1 January
        year, month = int(match[1]), int(match[2])
        try:
            end = date(year, month, int(match[3])) if match[3] else _month_end(year, month)
        except (ValueError, calendar.IllegalMonthError):
            return None
        return (date(year, 1, 1), end), match[0]
    match = _MONTH_RANGE.search(text)
    if match is not None:
        start_year, start_month = int(match[1]), int(match[2])
        end_year, end_month = int(match[3] or match[1]), int(match[4])
        if not (1 <= start_month <= 12 and 1 <= end_month <= 12):
            return None
        start, end = date(start_year, start_month, 1), _month_end(end_year, end_month)
        return ((start, end), match[0]) if start <= end else None
    return None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])
