"""Find the header row by its words and map columns to canonical fields.

A header is the first row (within the first ``HEADER_SEARCH_ROWS``) whose words give at least a
date (日期 and its synonyms, or 月 + 日 columns) and an amount (借方/贷方, 方向 + 金额, 支付金额,
金额).  A two-row header is recognised from the data: when the row below holds only header
words such as 借方 / 贷方 / 方向 / 金额 / 月 / 日 under blank or "parent" cells (本期发生额, 余额,
凭证, 2023年 …), each column's label is parent + child, the parent reaching across the blank
cells a merge leaves behind.  So ``余额 / 方向, 金额`` is the running balance (ignored) and
``本期发生额 / 借方, 贷方`` the transaction.

Canonical field names are English (``FIELDS``); ``mapping`` arguments and results use them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

HEADER_SEARCH_ROWS = 50

FIELDS: dict[str, str] = {
    "date": "日期",
    "year": "年",
    "month": "月",
    "day": "日",
    "voucher": "凭证号",
    "voucher_word": "凭证字",
    "voucher_no": "凭证号数",
    "summary": "摘要",
    "account_code": "科目编码",
    "account_name": "科目名称",
    "account_ref": "科目（编码与名称）",
    "project_code": "项目编码",
    "project_name": "项目名称",
    "project_ref": "项目 / 辅助核算",
    "document_no": "指标文号",
    "unit_name": "预算单位 / 实施单位",
    "functional_class": "功能分类",
    "economic_class": "经济分类",
    "fund_nature": "资金性质",
    "status": "支付状态",
    "debit": "借方",
    "credit": "贷方",
    "direction": "方向",
    "amount": "金额 / 支付金额",
}

# Words per field, best first: when two columns give one field, the better word wins.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "date": ("日期", "记账日期", "凭证日期", "业务日期", "支付日期", "交易日期", "入账日期",
             "发生日期", "制单日期", "清算日期", "支付时间", "记账时间"),
    "year": ("年", "年份", "会计年度"),
    "month": ("月", "月份"),
    "day": ("日",),
    "voucher": ("凭证号", "凭证字号", "凭证号数", "凭证编号", "凭证号码", "凭证", "支付申请编号",
                "支付申请号", "支付凭证号", "支付单号", "单据编号", "单据号"),
    "voucher_word": ("凭证字", "凭证类别", "凭证类型", "字"),
    "voucher_no": ("号", "号数"),
    "summary": ("摘要", "业务摘要", "摘要说明", "用途", "资金用途", "支付用途", "说明"),
    "account_code": ("科目编码", "科目代码", "会计科目编码", "科目编号", "科目号"),
    "account_name": ("科目名称", "会计科目名称"),
    "account_ref": ("会计科目", "科目", "总账科目", "明细科目"),
    "project_code": ("项目编码", "预算项目编码", "项目代码", "预算项目代码", "项目号", "项目编号"),
    "project_name": ("项目名称", "预算项目名称", "项目全称"),
    "project_ref": ("项目", "预算项目", "辅助核算", "辅助项", "辅助核算项", "辅助核算项目", "核算项目",
                    "辅助信息", "辅助账"),
    "document_no": ("指标文号", "文号", "指标来源文号", "资金文号"),
    "unit_name": ("预算单位", "实施单位", "预算单位名称", "单位名称", "付款单位", "单位"),
    "functional_class": ("功能分类", "支出功能分类科目", "功能分类科目", "支出功能分类", "功能科目",
                         "功能分类编码"),
    "economic_class": ("经济分类", "政府经济分类", "部门经济分类", "经济分类科目", "支出经济分类",
                       "政府预算支出经济分类", "部门预算支出经济分类", "经济科目"),
    "fund_nature": ("资金性质", "资金类型"),
    "status": ("支付状态", "状态", "支付结果", "清算状态", "单据状态", "凭证状态"),
    "debit": ("借方", "借方金额", "借方发生额", "本期借方", "借方本币"),
    "credit": ("贷方", "贷方金额", "贷方发生额", "本期贷方", "贷方本币"),
    "direction": ("方向", "借贷方向", "借贷", "借/贷"),
    "amount": ("支付金额", "实付金额", "付款金额", "拨付金额", "支出金额", "金额", "发生额", "本币金额"),
}
PAYMENT_AMOUNT_WORDS = frozenset(SYNONYMS["amount"][:5])

# Parent cells of a two-row header and what their children mean.
_PARENT_KIND: dict[str, str] = {
    "本期发生额": "flow", "发生额": "flow", "本期": "flow", "金额": "flow", "本期金额": "flow",
    "余额": "balance", "期末余额": "balance", "期初余额": "balance", "本期余额": "balance",
    "凭证": "voucher", "日期": "date", "项目": "project", "预算项目": "project",
    "科目": "account", "会计科目": "account", "辅助核算": "aux", "辅助核算项": "aux",
    "辅助项": "aux", "功能分类": "functional", "经济分类": "economic",
}
_CHILD_FIELDS: dict[str, dict[str, str]] = {
    "flow": {"借方": "debit", "借方金额": "debit", "借": "debit", "贷方": "credit",
             "贷方金额": "credit", "贷": "credit", "金额": "amount", "方向": "direction"},
    "date": {"年": "year", "月": "month", "日": "day"},
    "voucher": {"字": "voucher_word", "种类": "voucher_word", "类别": "voucher_word",
                "类型": "voucher_word", "号": "voucher_no", "号数": "voucher_no",
                "编号": "voucher_no", "号码": "voucher_no", "日期": "date"},
    "project": {"编码": "project_code", "代码": "project_code", "编号": "project_code",
                "名称": "project_name"},
    "account": {"编码": "account_code", "代码": "account_code", "名称": "account_name"},
    "aux": {"项目": "project_ref"},
    "functional": {"编码": "functional_class", "名称": "functional_class"},
    "economic": {"编码": "economic_class", "名称": "economic_class"},
}
_CHILD_WORDS = frozenset(w for children in _CHILD_FIELDS.values() for w in children) | {
    "借方", "贷方", "方向", "金额", "部门", "个人", "往来单位"}
BALANCE_WORDS = frozenset({"余额", "期末余额", "本期余额", "余额方向"})
# Header words we recognise but do not read; they help find the header row.
_KNOWN_OTHER = frozenset({
    "序号", "支付方式", "结算方式", "收款人", "收款人全称", "收款单位", "收款人账号", "收款账号",
    "收款人开户行", "备注", "附件数", "附单据数", "制单人", "审核人", "记账人", "出纳", "数量", "单价",
    "币种", "汇率", "原币金额", "核算单位", "账套", "期间", "会计期间", "部门", "往来单位", "个人",
    "对方科目", "票据号", "结算号", "业务类型", "指标类型", "资金来源", "支付类型"})
_YEAR_LABEL = re.compile(r"(\d{4})年度?")
_UNIT_SUFFIX = re.compile(r"\((万元|元|千元)\)$")
_SCALES = {"元": Decimal(1), "千元": Decimal(1000), "万元": Decimal(10000)}
_PAREN = str.maketrans("（）【】［］：", "()[][]:")
_WORD_FIELD: dict[str, str] = {w: f for f, words in SYNONYMS.items() for w in words}
_PRIORITY: dict[tuple[str, str], int] = {(f, w): i for f, words in SYNONYMS.items()
                                         for i, w in enumerate(words)}


@dataclass
class HeaderMatch:
    """Where the header is and which column holds each field (0-based, within the row lists)."""

    rows: tuple[int, ...]  # 0-based indexes of the header rows in the sheet
    columns: dict[str, int]
    labels: dict[str, str]  # field → header text as printed ("本期发生额/借方")
    width: int  # number of header columns
    scale: Decimal = Decimal(1)  # 万元 headers → 10000
    header_year: int | None = None  # a "2023年" parent over 月 / 日
    unused: list[str] = field(default_factory=list)  # notes about columns found but not used
    printed: list[str] = field(default_factory=list)  # every column's header text as printed
    # amount fields (借方 / 贷方 / 金额) more than one column could be: field → their header texts,
    # the one read first; a question for the user (the mapping answers it)
    contested: dict[str, list[str]] = field(default_factory=dict)

    @property
    def source_kind(self) -> str:
        if "debit" in self.columns or "credit" in self.columns or "direction" in self.columns:
            return "ledger"
        return "payment_list"


def normalise(text: object) -> tuple[str, Decimal | None]:
    """Header text without spaces and unit suffix, and the money scale the suffix gave."""
    if not isinstance(text, str):
        return "", None
    word = "".join(text.split()).translate(_PAREN).rstrip(":*").lstrip("*")
    scale = None
    unit = _UNIT_SUFFIX.search(word)
    if unit is not None:
        scale = _SCALES[unit[1]]
        word = word[:unit.start()]
    return word, scale


def _is_header_word(word: str) -> bool:
    return (word in _WORD_FIELD or word in _PARENT_KIND or word in _KNOWN_OTHER
            or word in BALANCE_WORDS or _YEAR_LABEL.fullmatch(word) is not None)


def _parent_kind(word: str) -> str | None:
    kind = _PARENT_KIND.get(word)
    if kind is None and _YEAR_LABEL.fullmatch(word):
        return "date"
    return kind


def _field_for(parent: str, child: str) -> tuple[str | None, str | None]:
    """(field, matched word) for one column; field "balance" means a running balance."""
    if not child:
        if parent in BALANCE_WORDS:
            return "balance", parent
        found = _WORD_FIELD.get(parent)
        return found, parent if found else None
    kind = _parent_kind(parent)
    if kind == "balance":
        return "balance", child
    if kind is not None:
        found = _CHILD_FIELDS[kind].get(child)
        if found is not None:
            return found, child
    elif parent in _WORD_FIELD:
        return _WORD_FIELD[parent], parent
    if child in BALANCE_WORDS:
        return "balance", child
    found = _WORD_FIELD.get(child)
    return found, child if found else None


def _labels(header: Sequence[object], below: Sequence[object] | None
            ) -> list[tuple[str, str, str, Decimal | None]] | None:
    """Per column (parent, child, printed label, scale); None when ``below`` is not a child row."""
    width = max(len(header), len(below) if below is not None else 0)
    tops = [normalise(header[c] if c < len(header) else "") for c in range(width)]
    if below is None:
        return [(word, "", _printed(header, c), scale) for c, (word, scale) in enumerate(tops)]
    bottoms = []
    child_under_parent = False
    for c in range(width):
        cell = below[c] if c < len(below) else ""
        if not isinstance(cell, str):
            if cell not in (None, ""):
                return None  # a number or date: a data row, not a header row
            bottoms.append(("", None))
            continue
        word, scale = normalise(cell)
        if word and not (word in _CHILD_WORDS or _is_header_word(word)):
            return None
        bottoms.append((word, scale))
        if word in _CHILD_WORDS and (not tops[c][0] or _parent_kind(tops[c][0]) is not None):
            child_under_parent = True
    if not child_under_parent:
        return None
    result = []
    parent = ""
    parent_printed = ""
    for c in range(width):
        top, top_scale = tops[c]
        bottom, bottom_scale = bottoms[c]
        if top:
            parent, parent_printed = (top, _printed(header, c)) if _parent_kind(top) else ("", "")
            label_parent, printed_parent = top, _printed(header, c)
        elif bottom and parent:
            label_parent, printed_parent = parent, parent_printed
        else:
            label_parent, printed_parent = "", ""
        printed = "/".join(p for p in (printed_parent, _printed(below, c)) if p)
        if not bottom:
            result.append((label_parent, "", printed, top_scale))
        else:
            result.append((label_parent, bottom, printed, bottom_scale or top_scale))
    return result


def _printed(row: Sequence[object], c: int) -> str:
    value = row[c] if c < len(row) else ""
    return " ".join(value.split()) if isinstance(value, str) else ""


def _resolve(rows: tuple[int, ...], labels: list[tuple[str, str, str, Decimal | None]]
             ) -> HeaderMatch:
    best: dict[str, tuple[int, int]] = {}  # field → (priority, column)
    unused: list[str] = []
    candidates: dict[str, list[int]] = {}
    header_year = None
    scale = Decimal(1)
    for c, (parent, child, printed, col_scale) in enumerate(labels):
        found, word = _field_for(parent, child)
        if found is None or found == "balance" or word is None:
            continue
        if found in ("year", "month", "day") and child:
            year_label = _YEAR_LABEL.fullmatch(parent)
            if year_label is not None:
                header_year = int(year_label[1])
        if found in ("debit", "credit", "amount") and col_scale is not None:
            scale = col_scale
        priority = _PRIORITY.get((found, word), 0)
        if found in ("debit", "credit", "amount"):
            candidates.setdefault(found, []).append(c)
        current = best.get(found)
        if current is None or priority < current[0]:
            if current is not None:
                unused.append(f"“{labels[current[1]][2]}”（改用“{printed}”作{FIELDS[found]}）")
            best[found] = (priority, c)
        else:
            unused.append(f"“{printed}”（已用“{labels[current[1]][2]}”作{FIELDS[found]}）")
    columns = {f: c for f, (_, c) in best.items()}
    contested = {f: [labels[columns[f]][2]] + [labels[c][2] for c in seen if c != columns[f]]
                 for f, seen in candidates.items() if len(seen) > 1 and f in columns}
    if "debit" in columns or "credit" in columns:
        for extra in ("amount", "direction"):
            if extra in columns:
                unused.append(f"“{labels[columns.pop(extra)][2]}”（已有借方/贷方列，不作{FIELDS[extra]}）")
    return HeaderMatch(rows, columns, {f: labels[c][2] for f, c in columns.items()},
                       len(labels), scale, header_year, unused, [label[2] for label in labels],
                       {f: texts for f, texts in contested.items() if f in columns})


def is_complete(match: HeaderMatch) -> bool:
    cols = match.columns
    has_date = "date" in cols or ("month" in cols and "day" in cols)
    has_amount = "debit" in cols or "credit" in cols or "amount" in cols
    return has_date and has_amount


def find_header(rows: Sequence[Sequence[object]]) -> HeaderMatch | None:
    """The first row (or pair of rows) that names a date and an amount."""
    for r in range(min(len(rows), HEADER_SEARCH_ROWS)):
        row = rows[r]
        hits = sum(1 for cell in row if _is_header_word(normalise(cell)[0]))
        if hits < 2:
            continue
        if r + 1 < len(rows):
            pair = _labels(row, rows[r + 1])
            if pair is not None:
                match = _resolve((r, r + 1), pair)
                if is_complete(match):
                    return match
        single = _labels(row, None)
        assert single is not None
        match = _resolve((r,), single)
        if is_complete(match):
            return match
    return None


def apply_mapping(rows: Sequence[Sequence[object]], mapping: Mapping[str, str]
                  ) -> tuple[HeaderMatch | None, list[str]]:
    """Use an explicit mapping (field → header text).  Returns the match, or None and the
    header texts that were not found in any candidate row."""
    wanted = {f: normalise(text)[0].replace("/", "") for f, text in mapping.items() if text}
    best_missing: list[str] | None = None
    for r in range(min(len(rows), HEADER_SEARCH_ROWS)):
        candidates: list[tuple[tuple[int, ...], list[tuple[str, str, str, Decimal | None]]]] = []
        if r + 1 < len(rows):
            pair = _labels(rows[r], rows[r + 1])
            if pair is not None:
                candidates.append(((r, r + 1), pair))
        single = _labels(rows[r], None)
        assert single is not None
        candidates.append(((r,), single))
        for header_rows, labels in candidates:
            columns: dict[str, int] = {}
            missing: list[str] = []
            for f, word in wanted.items():
                column = next((c for c, (parent, child, printed, _) in enumerate(labels)
                               if word in {parent + child, child or parent,
                                           normalise(printed)[0].replace("/", "")}), None)
                if column is None:
                    missing.append(mapping[f])
                else:
                    columns[f] = column
            if not missing:
                scale = next((s for f, c in columns.items() if f in ("debit", "credit", "amount")
                              for s in [labels[c][3]] if s is not None), Decimal(1))
                year_parent = next((_YEAR_LABEL.fullmatch(labels[c][0]) for f, c in columns.items()
                                    if f in ("month", "day")), None)
                return HeaderMatch(header_rows, columns, {f: labels[c][2] for f, c in columns.items()},
                                   len(labels), scale,
                                   int(year_parent[1]) if year_parent is not None else None, [],
                                   [label[2] for label in labels]), []
            if best_missing is None or len(missing) < len(best_missing):
                best_missing = missing
    return None, best_missing or [t for t in mapping.values() if t]


def header_choices(printed: Sequence[str], below: Sequence[Sequence[object]]
                   ) -> tuple[tuple[str, str], ...]:
    """The columns a mapping can name: (header text as printed, a sample value from the rows
    below, "" when none), each header once, in file order."""
    choices: dict[str, str] = {}
    for column, label in enumerate(printed):
        if not label or label in choices:
            continue
        choices[label] = next((_sample(row[column]) for row in below[:SAMPLE_ROWS]
                               if column < len(row) and _sample(row[column])), "")
    return tuple(choices.items())


def guess_choices(rows: Sequence[Sequence[object]]) -> tuple[tuple[str, str], ...]:
    """For a sheet whose header was not recognised: the columns of the row most likely to be
    its header (the most text cells, at least two, within ``HEADER_SEARCH_ROWS``); none when
    no column below it shows a date and none an amount (a mapping could not read such a file)."""
    best, best_count = None, 1
    for r, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        count = sum(1 for cell in row if isinstance(cell, str) and _TEXT_LABEL.search(cell))
        if count > best_count:
            best, best_count = r, count
    if best is None:
        return ()
    choices = header_choices([_printed(rows[best], c) for c in range(len(rows[best]))], rows[best + 1:])
    samples = [sample for _, sample in choices]
    if not any(map(_DATE_SAMPLE.match, samples)) or not any(map(_AMOUNT_SAMPLE.fullmatch, samples)):
        return ()
    return choices


SAMPLE_ROWS = 20
_TEXT_LABEL = re.compile(r"[^\d\s.,:/\-]")
_DATE_SAMPLE = re.compile(r"\d{4}\s*[-/.年]\s*\d{1,2}")
_AMOUNT_SAMPLE = re.compile(r"[-−－(（]?[￥¥]?\d[\d,]*(?:\.\d+)?[)）]?")


def _sample(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        text = value.isoformat().removesuffix("T00:00:00")
    else:
        text = " ".join(str(value).split())
    return text if len(text) <= 24 else text[:23] + "…"


def words_looked_for() -> str:
    """The header words the reader looks for, for the “unknown layout” message."""
    def words(name: str, limit: int = 8) -> str:
        return "/".join(SYNONYMS[name][:limit])
    return (f"日期（{words('date')}，或 年/月/日 分列）；"
            f"金额（{words('debit', 3)} 与 {words('credit', 3)}，或 方向+金额，或 {words('amount', 6)}）；"
            f"凭证号（{words('voucher', 6)}）；摘要（{words('summary', 5)}）；"
            f"项目（{words('project_code', 3)}/{words('project_name', 2)}/{words('project_ref', 4)}/指标文号）")
