"""The state of reading one ledger export, shared by the row reader (row_path.py) and the
columnar fast path (columnar_sheet.py): sheets and their headers, findings, counters, the caches
of texts, references and accounts, the printed totals, and ``finish`` (the file-level counting
decisions of counting.py, the period, the ``LedgerParse``).  Pure: no database, no Flask.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from tracker.errors import ImportRejected, UnrecognisedLayout
from tracker.importers.ledger.accounts import account_class, ledger_mode
from tracker.importers.ledger.counting import (RETURNED_STATUS, UNANSWERED_STATUS, account_code,
                                               answer_code, is_unknown_status, reason_text)
from tracker.importers.ledger.header import (FIELDS, HEADER_SEARCH_ROWS, HeaderMatch, apply_mapping,
                                             find_header, guess_choices, header_choices, is_complete,
                                             words_looked_for)
from tracker.importers.ledger.preamble import Preamble, read_preamble, split_account
from tracker.importers.ledger.records import (LedgerColumns, LedgerFinding, LedgerParse, LedgerRow,
                                              LedgerRowDraft, LedgerRows, Severity, StatedTotal)
from tracker.importers.ledger.references import Reference, parse_reference
from tracker.importers.ledger.row_rules import canonical_total, row_has_text, side_cells, words
from tracker.importers.ledger.sources import SheetData
from tracker.importers.ledger.values import (CellProblem, amount_of, checked_date, date_of, int_part,
                                             month_day, text_of)

TEXT_CACHE_LIMIT = 500_000
_MAX_LISTED = 5  # per-kind row findings listed one by one before they are only counted


@dataclass
class SheetResult:
    name: str
    header: HeaderMatch
    preamble: Preamble
    kind: str
    header_words: tuple[str, ...] = ()  # the first header row's texts: a block repeats them


@dataclass
class _Tally:
    severity: Severity
    message: str
    location: str
    count: int = 0
    locations: list[str] = field(default_factory=list)


class Findings:
    """Findings, with repeated per-row findings grouped (a million rows must not give a
    million findings): the first few locations are listed, the rest counted."""

    def __init__(self) -> None:
        self.items: list[LedgerFinding] = []
        self.tallies: dict[tuple[str, str], _Tally] = {}

    def add(self, severity: Severity, code: str, message: str, location: str) -> None:
        self.items.append(LedgerFinding(severity, message, location, code))

    def tally(self, severity: Severity, code: str, message: str, location: str) -> None:
        entry = self.tallies.get((code, message))
        if entry is None:
            entry = self.tallies[(code, message)] = _Tally(severity, message, location)
        entry.count += 1
        if len(entry.locations) < _MAX_LISTED:
            entry.locations.append(location)

    def result(self) -> tuple[LedgerFinding, ...]:
        grouped = []
        for (code, _), entry in self.tallies.items():
            places = "；".join(entry.locations)
            more = f"等 {entry.count} 处" if entry.count > len(entry.locations) else f"共 {entry.count} 处"
            grouped.append(LedgerFinding(entry.severity, f"{entry.message}（{more}：{places}）",
                                         entry.locations[0], code))
        return tuple(self.items) + tuple(grouped)


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class FileReading:
    def __init__(self, filename: str, mapping: Mapping[str, str] | None, source_kind: str | None,
                 year: int | None, status_answers: Mapping[str, bool] | None = None) -> None:
        self.file = filename
        self.status_answers = dict(status_answers or {})
        self.unknown_statuses: dict[str, int] = {}  # neither known paid nor known unpaid
        self.sheets_without_project: list[str] = []
        self.choices: tuple[tuple[str, str], ...] = ()  # the first sheet's columns: (header, sample)
        self.unrecognised_choices: tuple[tuple[str, str], ...] = ()
        self.mapping = mapping
        self.forced_kind = source_kind
        self.year = year
        self.findings = Findings()
        self.sheets: list[SheetResult] = []
        self.drafts: list[LedgerRowDraft] = []
        self.stated_totals: list[StatedTotal] = []
        self.summary_rows = self.blank_rows = self.note_rows = 0
        self.voided_rows = self.returned_rows = 0
        self.unrecognised: list[tuple[str, int]] = []  # (sheet, first non-empty row)
        self.missing_mapped: list[str] = []
        self.status_counts: dict[str, int] = {}
        self.kind: str | None = None
        self.kind_sheet: str | None = None
        self.strings: dict[str, str] = {}  # one object per repeated text
        self.texts: dict[object, str | None] = {}  # raw repeated-text cell → cleaned text
        self.references: dict[str, Reference] = {}
        self.accounts: dict[str, tuple[str | None, str | None]] = {}
        self.date_min: date | None = None
        self.date_max: date | None = None
        self.columns: LedgerColumns | None = None  # set by the columnar reader instead of drafts
        self.reasons: dict[tuple[str, str | None], str] = {}  # (reason code, 支付状态) → text

    @property
    def transactions(self) -> int:
        return len(self.columns) if self.columns is not None else len(self.drafts)

    def reason(self, code: str, status: str | None) -> str:
        """The Chinese reason of a row's reason code (counting.py), made once per status."""
        found = self.reasons.get((code, status))
        if found is None:
            found = self.reasons[(code, status)] = reason_text(code, status)
        return found

    # -- locations ---------------------------------------------------------------------------
    def where(self, sheet: str, row: int | None = None) -> str:
        text = f"文件 {self.file} 工作表 {sheet}"
        return text if row is None else f"{text} 第{row}行"

    def cell(self, sheet: SheetData, header: HeaderMatch, row: int, column: int) -> str:
        number = sheet.first_col + column
        label = header.printed[column] if column < len(header.printed) else ""
        text = f"{self.where(sheet.name, row)} 第{number}列"
        if label:
            text += f"（{label}）"
        if sheet.spreadsheet:
            text += f" 单元格{column_letters(number)}{row}"
        return text

    # -- sheets ------------------------------------------------------------------------------
    def start_sheet(self, sheet: SheetData, buffer: list[list[object]]) -> SheetResult | None:
        """Header, preamble and the sheet-level checks, from the sheet's first rows (``buffer``);
        None for an empty or unrecognised sheet.  The rows below the header are read after."""
        first_used = next((i for i, row in enumerate(buffer) if row_has_text(row)), None)
        if first_used is None:
            return None  # an empty sheet
        if self.mapping is not None:
            header, missing = apply_mapping(buffer, self.mapping)
            if header is None:
                self.missing_mapped = self.missing_mapped or missing
        else:
            header = find_header(buffer)
        if header is None:
            self.unrecognised.append((sheet.name, first_used + 1))
            if not self.unrecognised_choices:
                self.unrecognised_choices = guess_choices(buffer)
            return None
        if self.mapping is not None and not is_complete(header):
            absent = [FIELDS[f] for f in ("date", "amount") if f not in header.columns]
            raise UnrecognisedLayout(
                f"列映射缺少必需字段：{'、'.join(absent)}（需要日期或月+日，以及借方/贷方或金额）",
                location=self.where(sheet.name),
                choices=header_choices(header.printed, buffer[header.rows[-1] + 1:]))
        preamble = read_preamble(buffer[:header.rows[0]], sheet.name)
        kind = self.forced_kind or header.source_kind
        if self.kind is None:
            self.kind, self.kind_sheet = kind, sheet.name
        elif kind != self.kind:
            names = {"payment_list": "支付明细", "ledger": "明细账/序时账"}
            raise ImportRejected(
                f"工作表“{sheet.name}”是{names[kind]}，而工作表“{self.kind_sheet}”是{names[self.kind]}；"
                "一次只能导入一种来源，请分别导入", location=self.where(sheet.name))
        result = SheetResult(sheet.name, header, preamble, kind, words(buffer[header.rows[0]]))
        if not self.sheets:
            self.choices = header_choices(header.printed, buffer[header.rows[-1] + 1:])
        self.sheets.append(result)
        if preamble.bad_period is not None:
            self.findings.add("warning", "period_unreadable",
                              f"期间“{preamble.bad_period}”无法识别", self.where(sheet.name))
        for note in header.unused:
            self.findings.tally("info", "column_not_used", f"列{note}未使用", self.where(sheet.name))
        self._questions(sheet.name, header, preamble)  # (a mapping contests no amount column)
        last_header = header.rows[-1]
        if sheet.tail_fields is not None and sheet.tail_fields < header.width \
                and sheet.tail_row is not None and sheet.tail_row > last_header + 1:
            raise ImportRejected(
                f"文件可能被截断：最后一行只有{sheet.tail_fields}列（表头有{header.width}列），"
                "且文件末尾没有换行，请重新导出", location=self.where(sheet.name, sheet.tail_row))
        return result

    def _questions(self, name: str, header: HeaderMatch, preamble: Preamble) -> None:
        """What the file does not say and the reader will not guess: asked in the preview
        (``question_*`` findings), answered in its mapping form (columns; the project of a sheet,
        ``sheets_without_project``, chosen there and matched by the import service)."""
        for field_name, texts in header.contested.items():
            others = "、".join(f"“{t}”" for t in texts[1:])
            self.findings.add(
                "warning", "question_amount_column",
                f"哪一列是{FIELDS[field_name]}？“{texts[0]}”与{others}都可能是，已按“{texts[0]}”读取；"
                f"如不对，请在“列映射”中把“{FIELDS[field_name]}”改为正确的表头，并保存为方案，下次按方案读取",
                self.where(name))
        project_fields = ("project_code", "project_name", "project_ref", "document_no")
        if preamble.project_text is None and not any(f in header.columns for f in project_fields):
            self.sheets_without_project.append(name)
            self.findings.add(
                "warning", "question_sheet_project",
                f"工作表“{name}”属于哪个项目？它没有项目列，表头上方和工作表名也没有写明项目"
                "（如“项目：编码 名称”）。请在“列映射”中为这个工作表选择项目（保存为方案后下次不再询问）；"
                "不选择时这些行导入后进入“待匹配”", self.where(name))

    def clean_text(self, raw: object) -> str | None:
        """A repeated-text cell → stripped, interned text (None when blank), remembered by raw
        value (up to ``TEXT_CACHE_LIMIT`` distinct values, so a column of unique texts cannot
        grow the cache without bound).  Raises CellProblem for a formula (the caller names
        the cell)."""
        text = text_of(raw)
        if text is not None and text[0] == "=":
            raise CellProblem("formula")
        if len(self.texts) < TEXT_CACHE_LIMIT:
            if text is not None:
                text = self.strings.setdefault(text, text)
            self.texts[raw] = text
        return text

    def reference(self, text: str) -> Reference:
        found = parse_reference(text)
        intern = self.strings.setdefault
        return Reference(*(value if value is None else intern(value, value)
                           for value in (found.code, found.name, found.functional_class,
                                         found.economic_class, found.fund_nature, found.document_no)))

    def account(self, text: str) -> tuple[str | None, str | None]:
        found = self.accounts.get(text)
        if found is None:
            code, account_name = split_account(text)
            intern = self.strings.setdefault
            found = self.accounts[text] = (code and intern(code, code),
                                           account_name and intern(account_name, account_name))
        return found

    def parse_date(self, raw: object, year_hint: int | None, period: tuple[date, date] | None,
              has_date_column: bool) -> date:
        if has_date_column:
            when = date_of(raw, year_hint, period)
            assert when is not None
            return when
        year_raw, month_raw, day_raw = raw  # type: ignore[misc]
        year_value = int_part(year_raw, "年")
        month_value = int_part(month_raw, "月")
        day_value = int_part(day_raw, "日")
        if month_value is None or day_value is None:
            raise CellProblem("日期不完整：月或日为空")
        if year_value is not None:
            if year_value < 100:
                year_value += 2000
            return checked_date(year_value, month_value, day_value,
                                f"{year_value}年{month_value}月{day_value}日")
        return month_day(month_value, day_value, year_hint, period, f"{month_value}月{day_value}日")

    def check_extra_cells(self, cells: list[object], width: int, sheet: SheetData,
                           header: HeaderMatch, row: int) -> None:
        for column in range(width, len(cells)):
            if cells[column] not in ("", None):
                raise ImportRejected(
                    f"该行有{len(cells)}列，比表头的{width}列多（可能金额中的千分位逗号没有加引号，"
                    "导致列错位），无法确定各列含义",
                    location=f"{self.where(sheet.name, row)} 第{sheet.first_col + column}列")

    def summary_row(self, cells: list[object], label: str, sheet: SheetData, header: HeaderMatch,
                     row: int, amount_mode: str, i_debit: int, i_credit: int, i_dir: int,
                     i_amount: int, scale: Decimal, block: int = 0) -> None:
        self.summary_rows += 1
        canonical = canonical_total(label)
        if canonical is None:
            return

        def lenient(column: int) -> Decimal | None:
            if column >= header.width:
                return None
            try:
                parsed = amount_of(cells[column], scale)
            except CellProblem as problem:
                self.findings.add("warning", "total_unreadable", f"{canonical}行的金额无法识别：{problem}",
                                  self.cell(sheet, header, row, column))
                return None
            return None if parsed is None else parsed[0]

        debit = credit = total = None
        side = label[:2] if label[:2] in ("借方", "贷方") else None
        printed = side_cells(cells[:header.width], scale)
        if printed:  # "借方合计 | 1,000.00 | 贷方合计 | 1,000.00" in one row: each side as printed
            self.stated_totals.append(StatedTotal(sheet.name, row, canonical, printed.get("借方"),
                                                  printed.get("贷方"), None, block))
            return
        if amount_mode == "dc":
            debit, credit = lenient(i_debit), lenient(i_credit)
        else:
            total = lenient(i_amount)
            if side is None and amount_mode == "dir":
                side = {"借": "借方", "借方": "借方", "贷": "贷方", "贷方": "贷方"}.get(
                    text_of(cells[i_dir]) or "")
            # a total with a side (方向 借/贷, or 借方合计 / 贷方合计) is that side's total; alone,
            # it may also be the net of the sheet (records.py compares both ways)
            if total is not None and side == "借方":
                debit = total
            elif total is not None and side == "贷方":
                credit, total = total, -total
        self.stated_totals.append(StatedTotal(sheet.name, row, canonical, debit, credit, total, block))

    def first_stated_period(self) -> tuple[date, date] | None:
        return next((s.preamble.period for s in self.sheets if s.preamble.period is not None), None)

    # -- the whole file ----------------------------------------------------------------------
    def finish(self, fmt: str, encoding: str | None, rule: str) -> LedgerParse:
        if not self.sheets:
            self._reject_unrecognised()
        if not self.transactions and not self.stated_totals:
            first = self.sheets[0]
            raise ImportRejected("文件只有表头，没有数据行",
                                 location=self.where(first.name, first.header.rows[-1] + 1))
        for sheet_name, row in self.unrecognised:
            self.findings.add("warning", "sheet_skipped",
                              "这个工作表没有可识别的表头（日期和金额列），已跳过",
                              self.where(sheet_name, row))
        if not self.transactions:
            self.findings.add("warning", "no_transactions", "文件只有合计/余额行，没有交易行",
                              self.where(self.sheets[0].name))
        kind = self.kind or "ledger"
        count_mode = "payments" if kind == "payment_list" else self.count_ledger(rule)
        if kind == "payment_list":
            self.decide_statuses()
        rows: Sequence[LedgerRow]
        if self.columns is not None:
            rows = LedgerRows(self.columns)
        else:
            rows = tuple(draft.freeze() for draft in self.drafts)
        self.drafts = []
        period, period_source = self._period()
        unit_name = self._unit_name()
        mapping = {f: self.sheets[0].header.labels[f] for f in self.sheets[0].header.columns}
        return LedgerParse(
            file=self.file, format=fmt, encoding=encoding, source_kind=kind,  # type: ignore[arg-type]
            count_mode=count_mode,  # type: ignore[arg-type]
            sheets=tuple(s.name for s in self.sheets),
            header_rows={s.name: tuple(r + 1 for r in s.header.rows) for s in self.sheets},
            mapping=mapping,
            sheet_mappings={s.name: dict(s.header.labels) for s in self.sheets},
            unit_name=unit_name, period=period, period_source=period_source,  # type: ignore[arg-type]
            rows=rows, summary_rows_skipped=self.summary_rows, blank_rows_skipped=self.blank_rows,
            note_rows_skipped=self.note_rows, voided_rows=self.voided_rows,
            returned_rows=self.returned_rows, stated_totals=tuple(self.stated_totals),
            findings=self.findings.result(), unknown_statuses=dict(self.unknown_statuses),
            sheets_without_project=tuple(self.sheets_without_project), header_choices=self.choices)

    def _reject_unrecognised(self) -> None:
        choices = self.unrecognised_choices
        if self.mapping is not None and self.missing_mapped:
            listed = "、".join(f"“{t}”" for t in self.missing_mapped)
            where = self.where(self.unrecognised[0][0]) if self.unrecognised else f"文件 {self.file}"
            raise UnrecognisedLayout(f"列映射中的表头{listed}在文件前{HEADER_SEARCH_ROWS}行中找不到",
                                     location=where, choices=choices)
        if not self.unrecognised:
            raise ImportRejected("文件没有任何内容（所有工作表都是空的）", location=f"文件 {self.file}")
        sheet_name, row = self.unrecognised[0]
        raise UnrecognisedLayout(
            f"未识别表头：前{HEADER_SEARCH_ROWS}行中没有同时包含日期列和金额列的行。"
            f"查找的表头词：{words_looked_for()}。"
            + ("请在“列映射”中为各字段选择文件中的列" if choices else
               "文件前几十行中也没有看起来是日期和金额的列，请确认导出的是台账或支付明细"),
            location=self.where(sheet_name, row), choices=choices)

    def count_ledger(self, rule: str) -> str:
        """Rule 3 of counting.py: the book this ledger is counted from, each row's account
        class decided once per distinct (code, name)."""
        classes: dict[tuple[str | None, str | None], str] = {}
        columns = self.columns
        if columns is not None:
            for key in dict.fromkeys(zip(columns.account_code, columns.account_name)):
                classes[key] = account_class(*key)
        for draft in self.drafts:
            key = (draft.account_code, draft.account_name)
            if key not in classes:
                classes[key] = account_class(*key)
        present = set(classes.values())
        mode = ledger_mode(rule, present)
        codes = {key: account_code(mode, cls) for key, cls in classes.items()}
        if any(code is not None for code in codes.values()):
            self._apply_codes(codes, lambda draft: (draft.account_code, draft.account_name),
                              lambda c: zip(c.account_code, c.account_name))
        self._ledger_findings(rule, mode, present, classes)
        return mode

    def _ledger_findings(self, rule: str, mode: str, present: set[str],
                         classes: dict[tuple[str | None, str | None], str]) -> None:
        where = f"文件 {self.file}"
        if rule == "auto" and mode == "all":
            self.findings.add("warning", "no_accounts",
                              "台账中没有会计科目信息，全部行都按支出计入；请确认这是支出科目的明细账",
                              where)
        elif mode == "none":
            self.findings.add("warning", "no_expenditure_accounts",
                              "台账中没有预算会计支出科目（71xx/72xx）或费用科目（5xxx），没有计入支出的行",
                              where)
        if mode == "budget" and "expense" in present:
            self.findings.add("info", "parallel_books",
                              "台账同时含财务会计费用科目（5xxx）与预算会计支出科目（71xx/72xx）；"
                              "按平行记账只计预算会计支出，费用科目不计入", where)
        if mode == "budget":
            other_seven = sorted({code for (code, _), cls in classes.items()
                                  if cls == "other" and code is not None and code.startswith("7")})
            if other_seven:
                self.findings.add("warning", "other_budget_accounts",
                                  f"科目{'、'.join(other_seven)}属于预算会计支出类，但默认规则只计71xx/72xx，"
                                  "这些行未计入；如需计入请调整计数规则", where)
        if mode in ("budget", "financial") and "unknown" in present:
            self.findings.add("warning", "rows_without_account",
                              "部分行没有会计科目，未计入支出", where)

    def decide_statuses(self) -> None:
        """Rule 4 of counting.py: a 支付状态 neither known paid nor known unpaid counts only once
        the user said the money left (``status_answers``); answered no, it is money that did not
        leave; unanswered, it does not count and the preview asks (``unusual_status``).  Decided
        here, after either reader, so the columnar and the row reader cannot differ."""
        where = f"文件 {self.file}"
        codes: dict[str | None, str | None] = {}
        for status, count in self.status_counts.items():
            if not is_unknown_status(status):
                continue
            self.unknown_statuses[status] = count
            code = codes[status] = answer_code(status, self.status_answers)
            if code == UNANSWERED_STATUS:
                self.findings.add("warning", "unusual_status",
                                  f"支付状态“{status}”（{count}行）表示钱已付出吗？它不是已知的已支付或"
                                  "未支付状态，在您回答之前这些行不计入支出；请在“列映射”中回答", where)
            else:
                self.findings.add("info", "status_answered",
                                  f"支付状态“{status}”（{count}行）按您的回答"
                                  f"{'计入支出（钱已付出）' if code is None else '不计入支出（钱未付出）'}", where)
        if any(code is not None for code in codes.values()):
            self._apply_codes(codes, lambda draft: draft.status, lambda c: c.status)

    def _apply_codes(self, codes: Mapping[Any, str | None], key_of_draft: Callable[[LedgerRowDraft], Any],
                     keys_of_columns: Callable[[LedgerColumns], Iterable[Any]]) -> None:
        """A file-level decision (``codes``: a row's key → reason code or None) applied to the
        rows still counted, as drafts or as columns."""
        text = self.reason
        for draft in self.drafts:
            if draft.not_counted_code is None:
                code = codes.get(key_of_draft(draft))
                if code is not None:
                    draft.counts, draft.not_counted_code = False, code
                    draft.not_counted_reason = text(code, draft.status)
                    self.returned_rows += code == RETURNED_STATUS
        columns = self.columns
        if columns is not None:
            counts, why, reasons = columns.counts, columns.not_counted_code, columns.not_counted_reason
            for index, key in enumerate(keys_of_columns(columns)):
                code = codes.get(key)
                if code is not None and why[index] is None:
                    counts[index], why[index] = False, code
                    reasons[index] = text(code, columns.status[index])
                    self.returned_rows += code == RETURNED_STATUS

    def _period(self) -> tuple[tuple[date, date] | None, str | None]:
        stated = [s.preamble.period for s in self.sheets if s.preamble.period is not None]
        if stated:
            if len(set(stated)) > 1:
                self.findings.add("warning", "periods_differ",
                                  "各工作表的期间不一致：" + "、".join(
                                      f"{s.name} {s.preamble.period_text}" for s in self.sheets
                                      if s.preamble.period is not None), f"文件 {self.file}")
            return (min(p[0] for p in stated), max(p[1] for p in stated)), "stated"
        if self.date_min is None or self.date_max is None:
            return None, None
        self.findings.add("warning", "period_from_transactions",
                          f"文件没有期间行，期间按交易日期推定为{self.date_min}至{self.date_max}；"
                          "请确认或声明台账截止日期", f"文件 {self.file}")
        return (self.date_min, self.date_max), "transactions"

    def _unit_name(self) -> str | None:
        names = [s.preamble.unit_name for s in self.sheets if s.preamble.unit_name]
        if len(set(names)) > 1:
            self.findings.add("warning", "units_differ", "各工作表的单位不一致：" + "、".join(dict.fromkeys(names)),
                              f"文件 {self.file}")
        return names[0] if names else None
