"""``read_ledger``: one ledger export (台账) → ``LedgerParse``.

The file is sniffed by content (sniff.py), opened as sheets of rows (sources.py), and each sheet
is read on its own: header found by its words (header.py), the title / 单位 / 期间 lines above it
(preamble.py), then every row below it is a transaction, a skipped row (blank, 合计 and the other
summary words, text without date or amount) or a rejection naming file, sheet, row and column.

Speed: a big single-sheet CSV or .xlsx goes through the columnar fast path first (columnar.py:
Arrow columns, the same rules per distinct value, ``LedgerRows`` over integer-分 columns); when
it cannot decide a file exactly it declines and the file is read here row by row.  The row loop
touches cells by index, caches dates, project references and repeated strings (which also keeps
a million rows small in memory), and builds rows through ``LedgerRowDraft`` (see records.py).
No pandas.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import chain, islice

from tracker.errors import ImportRejected, UnrecognisedLayout
from tracker.importers.archive_guard import check_archive, is_zip, too_many_rows
from tracker.importers.file_limits import DEFAULT_LIMITS, FileLimits
from tracker.importers.ledger.accounts import (COUNT_RULES, EXCLUDED_STATUSES, NORMAL_STATUSES,
                                               VOIDED_STATUSES, account_class, ledger_mode,
                                               ledger_reason)
from tracker.importers.ledger.biff_extent import check_biff_extent
from tracker.importers.ledger.header import (FIELDS, HEADER_SEARCH_ROWS, HeaderMatch,
                                             apply_mapping, find_header, guess_choices,
                                             header_choices, is_complete,
                                             words_looked_for)
from tracker.importers.ledger.preamble import Preamble, read_preamble, split_account
from tracker.importers.ledger.records import (VOIDED_REASON, LedgerColumns, LedgerFinding,
                                              LedgerParse, LedgerRow, LedgerRowDraft, LedgerRows,
                                              Severity, StatedTotal, status_reason,
                                              unanswered_status_reason)
from tracker.importers.ledger.references import Reference, parse_reference
from tracker.importers.ledger.sniff import Sniffed, sniff
from tracker.importers.ledger.sources import SheetData, open_sheets
from tracker.importers.ledger.values import (CENT, COMMON_AMOUNT, ZERO, CellProblem, amount_of,
                                             checked_date, date_of, int_part, month_day, text_of)

SOURCE_KINDS = ("payment_list", "ledger")

# Rows that are not transactions; a printed total keeps its canonical label.
_SUMMARY_LABELS: dict[str, str | None] = {
    "合计": "合计", "总计": "总计", "小计": "小计", "本月合计": "本月合计", "本期合计": "本期合计",
    "本年累计": "本年累计", "本年合计": "本年累计", "本月累计": "本年累计", "累计": "本年累计",
    "月计": "本月合计", "本季合计": "小计", "本日合计": "小计",
    # one total per side, printed as two rows (金蝶 凭证序时簿): the side is in the word
    "借方合计": "合计", "贷方合计": "合计", "借方总计": "总计", "贷方总计": "总计",
    "期初余额": None, "年初余额": None, "上年结转": None, "上年结余": None, "期末余额": None,
    "承前页": None, "过次页": None, "承上页": None, "转下页": None, "本页合计": None,
    "结转下年": None, "上月结转": None,
}
_SUMMARY = re.compile(r"[*【\[]*(\d{1,4}\s*[年月]份?)?(" + "|".join(
    sorted(_SUMMARY_LABELS, key=len, reverse=True)) + r")[】\]*]*(?:[:：].*|[（(][^）)]*[）)])?")
_SUMMARY_FIRST_TEXT = frozenset(w[0] for w in _SUMMARY_LABELS) | frozenset("*【[ ")
_SUMMARY_FIRST = _SUMMARY_FIRST_TEXT | frozenset("0123456789")  # "12月合计"
_VOID_MARK = re.compile(r"^\s*(?:[【\[(（*]\s*)?(?:已)?作废|(?:[【\[(（]\s*)(?:已)?作废\s*[】\])）]\s*$")
_TEXTY = re.compile(r"[:：]|[^\x00-\x7f年月日号]")
_MISSING = object()
_TEXT_CACHE_LIMIT = 500_000
_MAX_LISTED = 5  # per-kind row findings listed one by one before they are only counted


def read_ledger(filename: str, data: bytes, *, mapping: Mapping[str, str] | None = None,
                source_kind: str | None = None, count_rule: str | None = None,
                year: int | None = None, limits: FileLimits = DEFAULT_LIMITS,
                status_answers: Mapping[str, bool] | None = None) -> LedgerParse:
    """Read one ledger or payment-list export.

    ``mapping`` (canonical field → header text, see ``FIELDS``) replaces header recognition;
    ``source_kind`` ('payment_list' | 'ledger') overrides what the header suggests;
    ``count_rule`` ('auto' | 'budget' | 'financial' | 'all', see accounts.py) overrides the
    default counting rule for ledgers; ``year`` completes month-day dates when the file has no
    期间 line.  ``status_answers`` (支付状态 text → whether the money left) answers the preview's
    question about a status that is neither known paid nor known unpaid: unanswered, such rows
    do not count (DOMAIN §4: do not guess).  ``limits`` caps what the file may grow to once opened (file_limits.py): a
    workbook passes the archive guard before any parser sees it, and a file with more rows
    than ``max_ledger_rows`` is refused before its rows are read.
    Raises ``ImportRejected`` (``UnrecognisedLayout`` when no header is found).
    """
    if source_kind is not None and source_kind not in SOURCE_KINDS:
        raise ValueError(f"source_kind must be one of {SOURCE_KINDS}")
    rule = count_rule or "auto"
    if rule not in COUNT_RULES:
        raise ValueError(f"count_rule must be one of {COUNT_RULES}")
    if mapping is not None:
        unknown = sorted(set(mapping) - set(FIELDS))
        if unknown:
            raise ImportRejected(f"列映射中有未知字段：{'、'.join(unknown)}（可用字段：{'、'.join(FIELDS.values())}）",
                                 location=f"文件 {filename}")
    from tracker.importers.ledger import columnar  # imports this module's helpers

    if is_zip(data):  # before anything opens the archive, sniff included
        check_archive(filename, data, limits, "ledger", location=f"文件 {filename}")
    # a CSV for the fast path is not decoded here: it decodes only the distinct cells
    sniffed = sniff(filename, data, decode_csv=not columnar.big_enough(data))
    _check_rows(filename, data, sniffed, limits)
    # A million rows are a few million objects without reference cycles; CPython's cyclic
    # collector would rescan them over and over (about a third of the run time), so it is
    # paused while reading and restored afterwards.
    collecting = gc.isenabled()
    gc.disable()
    try:
        if columnar.worth_trying(sniffed, data):
            reading = _FileReading(filename, mapping, source_kind, year, status_answers)
            fmt = sniffed.format
            handed = [sniffed]  # the fast path takes a UTF-16 file's decoded text and frees it early
            del sniffed
            try:
                encoding = columnar.read(reading, filename, data, handed)
                return reading.finish(fmt, encoding, rule)
            except (columnar.Declined, ImportRejected):
                pass  # read row by row below, which also gives the exact rejection
            del reading, handed
            sniffed = sniff(filename, data)
        reading = _FileReading(filename, mapping, source_kind, year, status_answers)
        rows = 0
        for sheet in open_sheets(filename, data, sniffed):
            rows += sheet.height or 0  # a workbook's sheets, known once each is opened
            if rows > limits.max_ledger_rows:
                raise too_many_rows(rows, "ledger", limits, f"文件 {filename}", at_least=True)
            reading.read_sheet(sheet)
        return reading.finish(sniffed.format, sniffed.encoding, rule)
    finally:
        if collecting:
            gc.enable()


_TABLE_ROW = re.compile(r"<tr[\s>/]", re.IGNORECASE)


def _check_rows(filename: str, data: bytes, sniffed: Sniffed, limits: FileLimits) -> None:
    """Refuse, before reading any row, a CSV or HTML table with more rows than
    ``max_ledger_rows`` (an .xlsx's rows were counted by the archive guard), and an .xls whose
    sheets would be laid out over ``max_sheet_cells``."""
    where = f"文件 {filename}"
    if sniffed.format == "xls":  # calamine sizes each sheet from its records: check them first
        check_biff_extent(data, limits, where)
        return  # rows: counted sheet by sheet as the reader opens it (at most 65,536 each)
    if sniffed.format == "csv":
        text: str | bytes = sniffed.text if sniffed.text is not None else data
        end = "\n" if isinstance(text, str) else b"\n"
        if end not in text:
            end = "\r" if isinstance(text, str) else b"\r"  # classic Mac line ends
        rows = text.count(end) + (not text.endswith(end))  # type: ignore[arg-type]
    elif sniffed.format == "html":
        assert sniffed.text is not None
        rows = sum(1 for _ in _TABLE_ROW.finditer(sniffed.text))
    else:
        return
    # (a line break inside a quoted cell counts as a row: the cap is on lines, on the safe side)
    if rows > limits.max_ledger_rows:
        raise too_many_rows(rows, "ledger", limits, where)


@dataclass
class _SheetResult:
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


class _Findings:
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


def _column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class _FileReading:
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
        self.findings = _Findings()
        self.sheets: list[_SheetResult] = []
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

    @property
    def transactions(self) -> int:
        return len(self.columns) if self.columns is not None else len(self.drafts)

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
            text += f" 单元格{_column_letters(number)}{row}"
        return text

    # -- sheets ------------------------------------------------------------------------------
    def read_sheet(self, sheet: SheetData) -> None:
        buffer = [list(row) for row in islice(sheet.rows, HEADER_SEARCH_ROWS + 2)]
        result = self.start_sheet(sheet, buffer)
        if result is None:
            return
        last_header = result.header.rows[-1]
        rows: Iterator[list[object]] = chain(buffer[last_header + 1:], sheet.rows)  # type: ignore[arg-type]
        self._read_rows(sheet, result, rows, last_header + 2)

    def start_sheet(self, sheet: SheetData, buffer: list[list[object]]) -> _SheetResult | None:
        """Header, preamble and the sheet-level checks, from the sheet's first rows (``buffer``);
        None for an empty or unrecognised sheet.  The rows below the header are read after."""
        first_used = next((i for i, row in enumerate(buffer) if _row_has_text(row)), None)
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
        result = _SheetResult(sheet.name, header, preamble, kind, _words(buffer[header.rows[0]]))
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

    def _read_rows(self, sheet: SheetData, result: _SheetResult, rows: Iterator[list[object]],
                   first_row: int) -> None:
        header, preamble = result.header, result.preamble
        cols = header.columns
        width = header.width
        blank_col = width  # every row gets one extra "" cell: unmapped fields read it
        pads = [[""] * (width + 1 - n) for n in range(width + 1)]

        def col(name: str) -> int:
            return cols.get(name, blank_col)

        i_date, i_year, i_month, i_day = col("date"), col("year"), col("month"), col("day")
        has_date_column = "date" in cols
        i_voucher, i_vword, i_vno = col("voucher"), col("voucher_word"), col("voucher_no")
        has_voucher_column = "voucher" in cols
        i_summary = col("summary")
        i_acode, i_aname, i_aref = col("account_code"), col("account_name"), col("account_ref")
        i_pcode, i_pname, i_pref = col("project_code"), col("project_name"), col("project_ref")
        i_doc, i_unit = col("document_no"), col("unit_name")
        i_func, i_econ, i_fund = col("functional_class"), col("economic_class"), col("fund_nature")
        i_status = col("status")
        i_debit, i_credit, i_dir, i_amount = col("debit"), col("credit"), col("direction"), col("amount")
        text_columns = (i_summary, i_voucher, i_vword, i_vno, i_pref, i_pcode, i_pname, i_unit, i_doc,
                        i_func, i_econ, i_fund, i_status, i_acode, i_aname, i_aref)
        amount_columns = tuple(c for c in (i_debit, i_credit, i_amount) if c != blank_col)
        if "debit" in cols or "credit" in cols:
            amount_mode = "dc"
        elif "direction" in cols:
            amount_mode = "dir"
        else:
            amount_mode = "amt"
        is_payment = result.kind == "payment_list"
        # a "(万元)" on the amount column beats the "单位：元" line above the table
        scale = header.scale if header.scale != 1 else (preamble.scale or header.scale)
        if scale != 1:
            self.findings.add("info", "amount_scaled",
                              f"金额单位为{'万元' if scale == 10000 else '千元'}，已换算为元",
                              self.where(sheet.name))
        stated_period = preamble.period
        period_for_dates = stated_period or self._first_stated_period()
        year_hint = self.year or header.header_year
        if year_hint is None and period_for_dates is not None:
            year_hint = period_for_dates[0].year
        row_accounts = any(f in cols for f in ("account_code", "account_name", "account_ref"))
        sheet_account_code, sheet_account_name = preamble.account_code, preamble.account_name
        # the project printed above the header, for rows without a project cell of their own
        context_code, context_name, context_text = (preamble.project_code, preamble.project_name,
                                                    preamble.project_text)
        header_words, header_skip = result.header_words, len(header.rows) - 1
        context_lines: list[list[object]] = []  # text rows since the last transaction
        skip_rows = 0  # the rest of a repeated two-row header
        block = 0  # blocks seen in this sheet (its totals are the sum of theirs)
        name = sheet.name
        findings = self.findings
        status_counts = self.status_counts
        drafts_append = self.drafts.append
        date_cache: dict[object, date] = {}
        date_get = date_cache.get
        text_get = self.texts.get  # raw cell → cleaned, interned text (None when blank)
        clean = self._clean_text
        references = self.references
        outside: set[date] = set()  # dates outside the stated period
        period_start, period_end = stated_period if stated_period else (None, None)
        previous: LedgerRowDraft | None = None
        previous_voucher_raw: object = None
        rownum = first_row - 1
        common_amount = COMMON_AMOUNT.fullmatch
        unscaled = scale == 1
        missing = _MISSING

        def reject(message: str, row: int, column: int | None = None) -> ImportRejected:
            if column is None or column == blank_col:
                return ImportRejected(message, location=self.where(name, row))
            return ImportRejected(message, location=self.cell(sheet, header, row, column))

        def amount(cells: list[object], column: int, row: int) -> Decimal | None:
            raw = cells[column]
            if raw.__class__ is str and common_amount(raw) is not None:  # the usual case, exact
                value = Decimal(raw.replace(",", "")) if "," in raw else Decimal(raw)
                if "." not in raw:
                    value = value.quantize(CENT)
                return value if scale == 1 else (value * scale).quantize(CENT)
            try:
                parsed = amount_of(raw, scale)
            except CellProblem as problem:
                raise reject(str(problem), row, column) from None
            if parsed is None:
                return None
            value, rounded = parsed
            if rounded:
                findings.tally("warning", "amount_rounded", "金额超过两位小数，已四舍五入到分",
                               self.cell(sheet, header, row, column))
            return value

        for cells in rows:
            rownum += 1
            if skip_rows:
                skip_rows -= 1
                self.note_rows += 1
                continue
            n = len(cells)
            if n == width:
                cells.append("")
            elif n < width:
                if n == 0:
                    self.blank_rows += 1
                    continue
                cells.extend(pads[n])
            else:
                self._check_extra_cells(cells, width, sheet, header, rownum)
                del cells[width:]
                cells.append("")

            raw = cells[i_summary]
            summary = text_get(raw, missing)  # 摘要 repeat a lot: cached and interned too
            if summary is missing:
                try:
                    summary = clean(raw)
                except CellProblem:
                    raise reject(f"单元格是公式“{text_of(raw)}”，没有计算结果；"
                                 "请在Excel中复制后“粘贴为数值”再导入", rownum, i_summary) from None
            label = None
            if summary and summary[0] in _SUMMARY_FIRST:
                label = _summary_label(summary)
            if label is None:  # "合计" printed in the 凭证号 / 支付申请编号 column
                raw = cells[i_voucher]
                if raw.__class__ is str and raw[:1] in _SUMMARY_FIRST_TEXT:
                    label = _summary_label(raw)  # type: ignore[arg-type]
            if label is not None:
                self._summary_row(cells, label, sheet, header, rownum, amount_mode, i_debit,
                                  i_credit, i_dir, i_amount, scale, block)
                previous = None
                continue

            # -- date -------------------------------------------------------------------
            if has_date_column:
                raw_date: object = cells[i_date]
            else:
                raw_date = (cells[i_year], cells[i_month], cells[i_day])
                if raw_date == ("", "", ""):
                    raw_date = ""
            when = date_get(raw_date)
            if when is None:
                if _blank(raw_date):
                    label = _row_label(cells)
                    if label is not None:
                        self._summary_row(cells, label, sheet, header, rownum, amount_mode, i_debit,
                                          i_credit, i_dir, i_amount, scale, block)
                        previous = None
                        continue
                    if not _has_amount(cells, amount_columns):
                        if _row_has_text(cells):
                            self.note_rows += 1
                            if len(context_lines) < HEADER_SEARCH_ROWS:
                                context_lines.append(cells)
                        else:
                            self.blank_rows += 1
                        continue
                    voucher_raw = cells[i_voucher] if has_voucher_column else cells[i_vno]
                    if not is_payment and previous is not None and (
                            _blank(voucher_raw) or voucher_raw == previous_voucher_raw):
                        when = previous.date
                        findings.tally("info", "date_carried",
                                       "日期为空的行沿用上一行的日期和凭证（多行凭证）",
                                       self.where(name, rownum))
                    else:
                        raise reject("日期为空", rownum, i_date if has_date_column else i_day)
                else:
                    try:
                        when = self._date(raw_date, year_hint, period_for_dates, has_date_column)
                    except CellProblem as problem:
                        label = _row_label(cells)
                        if label is not None:  # "合计" in the date column
                            self._summary_row(cells, label, sheet, header, rownum, amount_mode,
                                              i_debit, i_credit, i_dir, i_amount, scale, block)
                            previous = None
                            continue
                        if header_words and _words(cells) == header_words:
                            # the header again: a new block, its context in the lines above
                            # (a printed page repeats the header without them: the same
                            # project and account go on)
                            above = read_preamble(context_lines, "")
                            if above.project_text is not None:
                                context_code, context_name, context_text = (
                                    above.project_code, above.project_name, above.project_text)
                            if above.account_code is not None or above.account_name is not None:
                                sheet_account_code, sheet_account_name = (above.account_code,
                                                                          above.account_name)
                            context_lines = []
                            self.note_rows += 1
                            skip_rows = header_skip
                            block += 1
                            previous = None
                            continue
                        if not _has_amount(cells, amount_columns) and _looks_like_note(raw_date):
                            self.note_rows += 1
                            if len(context_lines) < HEADER_SEARCH_ROWS:
                                context_lines.append(cells)
                            continue
                        column = i_date if has_date_column else _bad_part_column(
                            raw_date, i_year, i_month, i_day)
                        raise reject(str(problem), rownum, column) from None
                    date_cache[raw_date] = when
                    if period_start is not None and not period_start <= when <= period_end:  # type: ignore[operator]
                        outside.add(when)
            if outside and when in outside:
                findings.tally("warning", "date_outside_period",
                               f"交易日期不在期间（{period_start}至{period_end}）内",
                               self.cell(sheet, header, rownum, i_date if has_date_column else i_month))

            # -- amounts ----------------------------------------------------------------
            if amount_mode == "amt":
                raw = cells[i_amount]
                if raw.__class__ is str and unscaled and common_amount(raw) is not None:
                    value = Decimal(raw.replace(",", "")) if "," in raw else Decimal(raw)  # the usual case
                    if "." not in raw:
                        value = value.quantize(CENT)
                else:
                    value = amount(cells, i_amount, rownum)
                    if value is None:
                        raise reject("金额为空", rownum, i_amount)
                debit, credit = value, ZERO
            elif amount_mode == "dc":
                debit = amount(cells, i_debit, rownum)
                credit = amount(cells, i_credit, rownum)
                if debit is None and credit is None:
                    findings.tally("warning", "amount_blank", "借方、贷方均为空，按0处理",
                                   self.where(name, rownum))
                if debit is None:
                    debit = ZERO
                if credit is None:
                    credit = ZERO
                value = debit - credit
            else:
                value = amount(cells, i_amount, rownum)
                if value is None:
                    raise reject("金额为空", rownum, i_amount)
                direction = text_of(cells[i_dir])
                if direction in ("借", "借方"):
                    debit, credit = value, ZERO
                elif direction in ("贷", "贷方"):
                    debit, credit, value = ZERO, value, -value
                elif direction in ("平", None) and not value:
                    debit = credit = value = ZERO
                else:
                    raise reject(f"借贷方向“{direction or ''}”无法识别（应为“借”或“贷”）", rownum, i_dir)

            # -- text fields: repeated ones through the shared cache ----------------------
            try:
                if has_voucher_column:
                    voucher_raw = cells[i_voucher]
                    voucher = (voucher_raw.strip() or None) if voucher_raw.__class__ is str \
                        else text_of(voucher_raw)
                else:
                    voucher_raw = cells[i_vno]
                    word, number = text_of(cells[i_vword]), text_of(cells[i_vno])
                    voucher = f"{word}-{number}" if word and number else (number or word)
                if voucher is None and previous is not None and _blank(raw_date):
                    voucher = previous.voucher
                if voucher and voucher[0] == "=":
                    raise CellProblem("formula")
                raw = cells[i_status]
                status = text_get(raw, missing)
                if status is missing:
                    status = clean(raw)
                raw = cells[i_pref]
                pref_raw = text_get(raw, missing)
                if pref_raw is missing:
                    pref_raw = clean(raw)
                raw = cells[i_pcode]
                project_code = text_get(raw, missing)
                if project_code is missing:
                    project_code = clean(raw)
                raw = cells[i_pname]
                project_name = text_get(raw, missing)
                if project_name is missing:
                    project_name = clean(raw)
                raw = cells[i_doc]
                document_no = text_get(raw, missing)
                if document_no is missing:
                    document_no = clean(raw)
                raw = cells[i_unit]
                unit_name = text_get(raw, missing)
                if unit_name is missing:
                    unit_name = clean(raw)
                raw = cells[i_func]
                functional_class = text_get(raw, missing)
                if functional_class is missing:
                    functional_class = clean(raw)
                raw = cells[i_econ]
                economic_class = text_get(raw, missing)
                if economic_class is missing:
                    economic_class = clean(raw)
                raw = cells[i_fund]
                fund_nature = text_get(raw, missing)
                if fund_nature is missing:
                    fund_nature = clean(raw)
                if row_accounts:
                    raw = cells[i_acode]
                    account_code = text_get(raw, missing)
                    if account_code is missing:
                        account_code = clean(raw)
                    raw = cells[i_aname]
                    account_name = text_get(raw, missing)
                    if account_name is missing:
                        account_name = clean(raw)
                    if account_code is None and account_name is None:
                        raw = cells[i_aref]
                        account_ref = text_get(raw, missing)
                        if account_ref is missing:
                            account_ref = clean(raw)
                        if account_ref is not None:
                            account_code, account_name = self._account(account_ref)
                        else:
                            account_code, account_name = sheet_account_code, sheet_account_name
                else:
                    account_code, account_name = sheet_account_code, sheet_account_name
            except CellProblem:
                column = _formula_column(cells, text_columns)
                raise reject(f"单元格是公式“{text_of(cells[column])}”，没有计算结果；"
                             "请在Excel中复制后“粘贴为数值”再导入", rownum, column) from None
            if pref_raw is not None:
                reference = references.get(pref_raw)
                if reference is None:
                    reference = references[pref_raw] = self._reference(pref_raw)
                project_code = project_code or reference.code
                project_name = project_name or reference.name
                functional_class = functional_class or reference.functional_class
                economic_class = economic_class or reference.economic_class
                fund_nature = fund_nature or reference.fund_nature
                document_no = document_no or reference.document_no
            elif context_text is not None and project_code is None and project_name is None:
                project_code, project_name, pref_raw = context_code, context_name, context_text
            if context_lines:
                context_lines = []

            # -- voided / returned ------------------------------------------------------
            reason = None
            if status is not None:
                status_counts[status] = status_counts.get(status, 0) + 1
                if status in EXCLUDED_STATUSES:
                    reason = status_reason(status)
                    if status in VOIDED_STATUSES:
                        self.voided_rows += 1
                    else:
                        self.returned_rows += 1
            if reason is None:
                if voucher is not None and "作废" in voucher:
                    reason = VOIDED_REASON
                    self.voided_rows += 1
                elif summary is not None and "作废" in summary:
                    if _VOID_MARK.search(summary):
                        reason = VOIDED_REASON
                        self.voided_rows += 1
                    else:
                        findings.tally("warning", "summary_mentions_void",
                                       "摘要中提到“作废”，但不是作废标记，已按正常行计入，请核对",
                                       self.cell(sheet, header, rownum, i_summary))

            previous = LedgerRowDraft(
                name, rownum, when, voucher, summary, account_code, account_name, project_code,
                project_name, pref_raw, document_no, unit_name, functional_class, economic_class,
                fund_nature, status, debit, credit, value, reason is None, reason)
            drafts_append(previous)
            previous_voucher_raw = voucher_raw

        # every row's date came through the cache (carried dates repeat a cached one)
        if date_cache:
            low, high = min(date_cache.values()), max(date_cache.values())
            self.date_min = low if self.date_min is None else min(self.date_min, low)
            self.date_max = high if self.date_max is None else max(self.date_max, high)
        if is_payment and "status" not in cols:
            self.findings.add("info", "no_status_column",
                              "没有支付状态列：全部支付按已支付计入（无法排除退回或作废的支付）",
                              self.where(name))

    def _clean_text(self, raw: object) -> str | None:
        """A repeated-text cell → stripped, interned text (None when blank), remembered by raw
        value (up to ``_TEXT_CACHE_LIMIT`` distinct values, so a column of unique texts cannot
        grow the cache without bound).  Raises CellProblem for a formula (the caller names
        the cell)."""
        text = text_of(raw)
        if text is not None and text[0] == "=":
            raise CellProblem("formula")
        if len(self.texts) < _TEXT_CACHE_LIMIT:
            if text is not None:
                text = self.strings.setdefault(text, text)
            self.texts[raw] = text
        return text

    def _reference(self, text: str) -> Reference:
        found = parse_reference(text)
        intern = self.strings.setdefault
        return Reference(*(value if value is None else intern(value, value)
                           for value in (found.code, found.name, found.functional_class,
                                         found.economic_class, found.fund_nature, found.document_no)))

    def _account(self, text: str) -> tuple[str | None, str | None]:
        found = self.accounts.get(text)
        if found is None:
            code, account_name = split_account(text)
            intern = self.strings.setdefault
            found = self.accounts[text] = (code and intern(code, code),
                                           account_name and intern(account_name, account_name))
        return found

    def _date(self, raw: object, year_hint: int | None, period: tuple[date, date] | None,
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

    def _check_extra_cells(self, cells: list[object], width: int, sheet: SheetData,
                           header: HeaderMatch, row: int) -> None:
        for column in range(width, len(cells)):
            if cells[column] not in ("", None):
                raise ImportRejected(
                    f"该行有{len(cells)}列，比表头的{width}列多（可能金额中的千分位逗号没有加引号，"
                    "导致列错位），无法确定各列含义",
                    location=f"{self.where(sheet.name, row)} 第{sheet.first_col + column}列")

    def _summary_row(self, cells: list[object], label: str, sheet: SheetData, header: HeaderMatch,
                     row: int, amount_mode: str, i_debit: int, i_credit: int, i_dir: int,
                     i_amount: int, scale: Decimal, block: int = 0) -> None:
        self.summary_rows += 1
        canonical = _SUMMARY_LABELS.get(label)
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
        printed = _side_cells(cells[:header.width], scale)
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

    def _first_stated_period(self) -> tuple[date, date] | None:
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
        count_mode = "payments" if kind == "payment_list" else self._count_ledger(rule)
        if kind == "payment_list":
            self._decide_statuses()
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

    def _count_ledger(self, rule: str) -> str:
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
        reasons = {key: ledger_reason(mode, cls) for key, cls in classes.items()}
        for draft in self.drafts:
            if draft.not_counted_reason is None:
                reason = reasons[(draft.account_code, draft.account_name)]
                if reason is not None:
                    draft.counts = False
                    draft.not_counted_reason = reason
        if columns is not None and any(reason is not None for reason in reasons.values()):
            counts, why = columns.counts, columns.not_counted_reason
            for index, key in enumerate(zip(columns.account_code, columns.account_name)):
                reason = reasons[key]
                if reason is not None and why[index] is None:
                    counts[index] = False
                    why[index] = reason
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
        return mode

    def _decide_statuses(self) -> None:
        """A 支付状态 neither known paid nor known unpaid counts only once the user said the money
        left (``status_answers``); answered no, it is money that did not leave; unanswered, it
        does not count and the preview asks (``unusual_status``).  Decided here, after either
        reader, so the columnar and the row reader cannot differ."""
        where = f"文件 {self.file}"
        reasons: dict[str, str] = {}
        for status, count in self.status_counts.items():
            if status in EXCLUDED_STATUSES or status in NORMAL_STATUSES:
                continue
            self.unknown_statuses[status] = count
            answer = self.status_answers.get(status)
            if answer is None:
                reasons[status] = unanswered_status_reason(status)
                self.findings.add("warning", "unusual_status",
                                  f"支付状态“{status}”（{count}行）表示钱已付出吗？它不是已知的已支付或"
                                  "未支付状态，在您回答之前这些行不计入支出；请在“列映射”中回答", where)
            else:
                if not answer:
                    reasons[status] = status_reason(status)
                self.findings.add("info", "status_answered",
                                  f"支付状态“{status}”（{count}行）按您的回答"
                                  f"{'计入支出（钱已付出）' if answer else '不计入支出（钱未付出）'}", where)
        if not reasons:
            return
        returned = {s for s, r in reasons.items() if r == status_reason(s)}
        for draft in self.drafts:
            status = draft.status
            if status in reasons and draft.not_counted_reason is None:
                draft.counts, draft.not_counted_reason = False, reasons[status]
                self.returned_rows += status in returned
        columns = self.columns
        if columns is not None:
            counts, why = columns.counts, columns.not_counted_reason
            for index, status in enumerate(columns.status):
                if status in reasons and why[index] is None:
                    counts[index], why[index] = False, reasons[status]
                    self.returned_rows += status in returned

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


_SIDE_CELL = re.compile(r"(借方|贷方)(?:发生额)?(?:合计|总计)\s*[:：]?\s*(.*)")


def _side_cells(cells: Sequence[object], scale: Decimal) -> dict[str, Decimal]:
    """Side totals printed as text cells of a total row: "借方合计" with its amount in the next
    cell, or "借方合计：1,000.00" in one cell; {} unless at least one amount is found."""
    found: dict[str, Decimal] = {}
    for index, cell in enumerate(cells):
        if cell.__class__ is not str or "合计" not in cell and "总计" not in cell:  # type: ignore[operator]
            continue
        match = _SIDE_CELL.fullmatch(cell.strip())  # type: ignore[attr-defined]
        if match is None:
            continue
        raw: object = match[2] or (cells[index + 1] if index + 1 < len(cells) else None)
        try:
            parsed = amount_of(raw, scale)
        except CellProblem:
            continue
        if parsed is not None:
            found.setdefault(match[1], parsed[0])
    return found


def _words(cells: Sequence[object]) -> tuple[str, ...]:
    """A row's texts, stripped, blanks left out (to recognise a repeated header)."""
    return tuple(c.strip() for c in cells if c.__class__ is str and c.strip())  # type: ignore[attr-defined]


def _summary_label(text: str) -> str | None:
    """The summary word of a 摘要 cell; "3月合计" (浪潮) is a month's total: 本月合计."""
    compact = "".join(text.split())
    match = _SUMMARY.fullmatch(compact)
    if match is None:
        return None
    if match[2] == "合计" and match[1] is not None and "月" in match[1]:
        return "本月合计"
    return match[2]


def _row_label(cells: Sequence[object]) -> str | None:
    """A summary word in one of the first text cells of a row without a date."""
    seen = 0
    for cell in cells:
        if cell.__class__ is str and cell:
            stripped = cell.strip()  # type: ignore[attr-defined]
            if stripped:
                label = _summary_label(stripped)
                if label is not None:
                    return label
                seen += 1
                if seen >= 4:
                    return None
    return None


def _formula_column(cells: Sequence[object], columns: tuple[int, ...]) -> int:
    return next(c for c in columns if (text_of(cells[c]) or "").startswith("="))


def _blank(value: object) -> bool:
    return value is None or (value.__class__ is str and not value.strip())  # type: ignore[attr-defined]


def _has_amount(cells: Sequence[object], columns: tuple[int, ...]) -> bool:
    return any(not _blank(cells[c]) for c in columns)


def _row_has_text(cells: Sequence[object]) -> bool:
    return any(not _blank(c) for c in cells)


def _looks_like_note(raw: object) -> bool:
    """Free text in the date column of a row without amounts (制表人：…, 打印日期：…)."""
    text = raw if raw.__class__ is str else " ".join(str(p) for p in raw) \
        if isinstance(raw, tuple) else ""
    return bool(_TEXTY.search(text))  # type: ignore[arg-type]


def _bad_part_column(raw: object, i_year: int, i_month: int, i_day: int) -> int:
    """Which of the 年 / 月 / 日 cells made the date invalid."""
    year_raw, month_raw, day_raw = raw  # type: ignore[misc]
    limits = ((year_raw, i_year, "年", 0, 9999), (month_raw, i_month, "月", 1, 12), (day_raw, i_day, "日", 1, 31))
    for value, column, what, low, high in limits:
        try:
            number = int_part(value, what)
        except CellProblem:
            return column
        if (number is None and what != "年") or (number is not None and not low <= number <= high):
            return column
    return i_day


__all__ = ["read_ledger", "SOURCE_KINDS"]
