"""The row path of ``read_ledger``: the rows below a sheet's header, one at a time.

Every row is a transaction, a skipped row (summary words, blank and note rows: row_rules.py),
the header repeated (a new block, its context in the lines above) or a rejection naming file,
sheet, row and column.  A transaction's fields are read by kind from one table (``ROW_FIELDS``:
field → how its cell is read, what an unreadable cell reports); whether it counts is
counting.py's decision.  The loop touches cells by index and caches dates, texts and project
references (which also keeps a million rows small in memory); rows are built through
``LedgerRowDraft`` (records.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal
from operator import itemgetter

from tracker.errors import ImportRejected
from tracker.importers.ledger.accounts import EXCLUDED_STATUSES
from tracker.importers.ledger.counting import RETURNED_STATUS, VOID_WORD, VOIDED_CODES, row_code
from tracker.importers.ledger.header import HEADER_SEARCH_ROWS
from tracker.importers.ledger.preamble import read_preamble
from tracker.importers.ledger.reading import FileReading, SheetResult
from tracker.importers.ledger.records import LedgerRowDraft
from tracker.importers.ledger.row_rules import (SUMMARY_FIRST, SUMMARY_FIRST_TEXT, has_amount, is_blank,
                                                looks_like_note, row_has_text, row_label, summary_label,
                                                words)
from tracker.importers.ledger.sources import SheetData
from tracker.importers.ledger.values import (CENT, COMMON_AMOUNT, ZERO, CellProblem, amount_of, int_part,
                                             text_of)

MISSING = object()
FORMULA_PROBLEM = "单元格是公式“{text}”，没有计算结果；请在Excel中复制后“粘贴为数值”再导入"

#: The fields of a transaction row: field → (how its cell is read, what an unreadable cell
#: reports).  "text": a repeated text through the reading's shared cache (stripped, interned;
#: a formula without its value refused); "account": the same, read only when the sheet has
#: account columns (else the account above the header; 科目 only when 科目编码 and 科目名称
#: are blank); "voucher": 凭证号, or 凭证字-号 from two columns; "date": one cell or 年/月/日
#: cells; "amount": 借方/贷方, or 金额 with 方向.  A problem of None is the message values.py
#: gives (``CellProblem``: the date or amount as printed and why it cannot be read).
ROW_FIELDS: dict[str, tuple[str, str | None]] = {
    "date": ("date", None), "year": ("date", None), "month": ("date", None), "day": ("date", None),
    "voucher": ("voucher", FORMULA_PROBLEM), "voucher_word": ("voucher", FORMULA_PROBLEM),
    "voucher_no": ("voucher", FORMULA_PROBLEM),
    "summary": ("text", FORMULA_PROBLEM), "status": ("text", FORMULA_PROBLEM),
    "project_ref": ("text", FORMULA_PROBLEM), "project_code": ("text", FORMULA_PROBLEM),
    "project_name": ("text", FORMULA_PROBLEM), "document_no": ("text", FORMULA_PROBLEM),
    "unit_name": ("text", FORMULA_PROBLEM), "functional_class": ("text", FORMULA_PROBLEM),
    "economic_class": ("text", FORMULA_PROBLEM), "fund_nature": ("text", FORMULA_PROBLEM),
    "account_code": ("account", FORMULA_PROBLEM), "account_name": ("account", FORMULA_PROBLEM),
    "account_ref": ("account", FORMULA_PROBLEM),
    "debit": ("amount", None), "credit": ("amount", None), "amount": ("amount", None),
    "direction": ("amount", "借贷方向“{text}”无法识别（应为“借”或“贷”）"),
}
#: the "text" fields read for every transaction after 摘要, in this order
TEXT_FIELDS = tuple(f for f, (how, _) in ROW_FIELDS.items() if how == "text" and f != "summary")
ACCOUNT_FIELDS = ("account_code", "account_name")  # account_ref only when both are blank


def read_rows(reading: FileReading, sheet: SheetData, result: SheetResult,
              rows: Iterator[list[object]], first_row: int) -> None:
    """Read the rows below ``result``'s header into ``reading`` (drafts, counters, findings,
    printed totals), or raise ``ImportRejected`` naming the cell."""
    header, preamble = result.header, result.preamble
    cols = header.columns
    width = header.width
    blank_col = width  # every row gets one extra "" cell: unmapped fields read it
    pads = [[""] * (width + 1 - n) for n in range(width + 1)]
    index = {name: cols.get(name, blank_col) for name in ROW_FIELDS}
    i_date, i_year, i_month, i_day = index["date"], index["year"], index["month"], index["day"]
    has_date_column = "date" in cols
    i_voucher, i_vword, i_vno = index["voucher"], index["voucher_word"], index["voucher_no"]
    has_voucher_column = "voucher" in cols
    i_summary, i_aref = index["summary"], index["account_ref"]
    i_debit, i_credit, i_dir, i_amount = index["debit"], index["credit"], index["direction"], index["amount"]
    row_accounts = any(f in cols for f in ("account_code", "account_name", "account_ref"))
    text_fields = TEXT_FIELDS + (ACCOUNT_FIELDS if row_accounts else ())
    text_indices = tuple(index[f] for f in text_fields)
    checked_columns = (i_summary, i_voucher, i_vword, i_vno, *text_indices, i_aref)
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
        reading.findings.add("info", "amount_scaled",
                             f"金额单位为{'万元' if scale == 10000 else '千元'}，已换算为元",
                             reading.where(sheet.name))
    stated_period = preamble.period
    period_for_dates = stated_period or reading.first_stated_period()
    year_hint = reading.year or header.header_year
    if year_hint is None and period_for_dates is not None:
        year_hint = period_for_dates[0].year
    sheet_account_code, sheet_account_name = preamble.account_code, preamble.account_name
    # the project printed above the header, for rows without a project cell of their own
    context_code, context_name, context_text = (preamble.project_code, preamble.project_name,
                                                preamble.project_text)
    header_words, header_skip = result.header_words, len(header.rows) - 1
    context_lines: list[list[object]] = []  # text rows since the last transaction
    skip_rows = 0  # the rest of a repeated two-row header
    block = 0  # blocks seen in this sheet (its totals are the sum of theirs)
    name = sheet.name
    findings = reading.findings
    status_counts = reading.status_counts
    drafts_append = reading.drafts.append
    date_cache: dict[object, date] = {}
    date_get = date_cache.get
    text_get = reading.texts.get  # raw cell → cleaned, interned text (None when blank)
    cached_text = reading.texts.__getitem__
    pick_texts = itemgetter(*text_indices)  # the raw cells of the "text" fields, in order
    clean = reading.clean_text
    references = reading.references
    outside: set[date] = set()  # dates outside the stated period
    period_start, period_end = stated_period if stated_period else (None, None)
    previous: LedgerRowDraft | None = None
    previous_voucher_raw: object = None
    rownum = first_row - 1
    common_amount = COMMON_AMOUNT.fullmatch
    unscaled = scale == 1
    missing = MISSING

    def reject(message: str, row: int, column: int | None = None) -> ImportRejected:
        if column is None or column == blank_col:
            return ImportRejected(message, location=reading.where(name, row))
        return ImportRejected(message, location=reading.cell(sheet, header, row, column))

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
                           reading.cell(sheet, header, row, column))
        return value

    for cells in rows:
        rownum += 1
        if skip_rows:
            skip_rows -= 1
            reading.note_rows += 1
            continue
        n = len(cells)
        if n == width:
            cells.append("")
        elif n < width:
            if n == 0:
                reading.blank_rows += 1
                continue
            cells.extend(pads[n])
        else:
            reading.check_extra_cells(cells, width, sheet, header, rownum)
            del cells[width:]
            cells.append("")

        raw = cells[i_summary]
        summary = text_get(raw, missing)  # 摘要 repeat a lot: cached and interned too
        if summary is missing:
            try:
                summary = clean(raw)
            except CellProblem:
                raise reject(FORMULA_PROBLEM.format(text=text_of(raw)), rownum, i_summary) from None
        label = None
        if summary and summary[0] in SUMMARY_FIRST:
            label = summary_label(summary)
        if label is None:  # "合计" printed in the 凭证号 / 支付申请编号 column
            raw = cells[i_voucher]
            if raw.__class__ is str and raw[:1] in SUMMARY_FIRST_TEXT:
                label = summary_label(raw)  # type: ignore[arg-type]
        if label is not None:
            reading.summary_row(cells, label, sheet, header, rownum, amount_mode, i_debit,
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
            if is_blank(raw_date):
                label = row_label(cells)
                if label is not None:
                    reading.summary_row(cells, label, sheet, header, rownum, amount_mode, i_debit,
                                        i_credit, i_dir, i_amount, scale, block)
                    previous = None
                    continue
                if not has_amount(cells, amount_columns):
                    if row_has_text(cells):
                        reading.note_rows += 1
                        if len(context_lines) < HEADER_SEARCH_ROWS:
                            context_lines.append(cells)
                    else:
                        reading.blank_rows += 1
                    continue
                voucher_raw = cells[i_voucher] if has_voucher_column else cells[i_vno]
                if not is_payment and previous is not None and (
                        is_blank(voucher_raw) or voucher_raw == previous_voucher_raw):
                    when = previous.date
                    findings.tally("info", "date_carried",
                                   "日期为空的行沿用上一行的日期和凭证（多行凭证）",
                                   reading.where(name, rownum))
                else:
                    raise reject("日期为空", rownum, i_date if has_date_column else i_day)
            else:
                try:
                    when = reading.parse_date(raw_date, year_hint, period_for_dates, has_date_column)
                except CellProblem as problem:
                    label = row_label(cells)
                    if label is not None:  # "合计" in the date column
                        reading.summary_row(cells, label, sheet, header, rownum, amount_mode,
                                            i_debit, i_credit, i_dir, i_amount, scale, block)
                        previous = None
                        continue
                    if header_words and words(cells) == header_words:
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
                        reading.note_rows += 1
                        skip_rows = header_skip
                        block += 1
                        previous = None
                        continue
                    if not has_amount(cells, amount_columns) and looks_like_note(raw_date):
                        reading.note_rows += 1
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
                           reading.cell(sheet, header, rownum, i_date if has_date_column else i_month))

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
                               reading.where(name, rownum))
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
                raise reject(str(ROW_FIELDS["direction"][1]).format(text=direction or ""), rownum, i_dir)

        # -- text fields (``ROW_FIELDS``): repeated ones through the shared cache -----------
        try:
            if has_voucher_column:
                voucher_raw = cells[i_voucher]
                voucher = (voucher_raw.strip() or None) if voucher_raw.__class__ is str \
                    else text_of(voucher_raw)
            else:
                voucher_raw = cells[i_vno]
                word, number = text_of(cells[i_vword]), text_of(cells[i_vno])
                voucher = f"{word}-{number}" if word and number else (number or word)
            if voucher is None and previous is not None and is_blank(raw_date):
                voucher = previous.voucher
            if voucher and voucher[0] == "=":
                raise CellProblem("formula")
            raws = pick_texts(cells)
            try:  # every cell already in the cache: the usual case once the first rows are read
                texts = tuple(map(cached_text, raws))
            except KeyError:
                texts = tuple(clean(raw) if text is missing else text
                              for raw, text in zip(raws, [text_get(raw, missing) for raw in raws]))
            if row_accounts:
                (status, pref_raw, project_code, project_name, document_no, unit_name,
                 functional_class, economic_class, fund_nature, account_code, account_name) = texts
                if account_code is None and account_name is None:
                    raw = cells[i_aref]
                    account_ref = text_get(raw, missing)
                    if account_ref is missing:
                        account_ref = clean(raw)
                    if account_ref is not None:
                        account_code, account_name = reading.account(account_ref)
                    else:
                        account_code, account_name = sheet_account_code, sheet_account_name
            else:
                (status, pref_raw, project_code, project_name, document_no, unit_name,
                 functional_class, economic_class, fund_nature) = texts
                account_code, account_name = sheet_account_code, sheet_account_name
        except CellProblem:
            column = _formula_column(cells, checked_columns)
            raise reject(_problem(cells, column, index), rownum, column) from None
        if pref_raw is not None:
            reference = references.get(pref_raw)
            if reference is None:
                reference = references[pref_raw] = reading.reference(pref_raw)
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

        # -- whether it counts (counting.py; the ledger's book and unknown statuses: finish) --
        code = reason = None
        doubtful = False
        if status is not None:
            status_counts[status] = status_counts.get(status, 0) + 1
        # only the candidates go to the decision, as in the columnar path: a status that does
        # not count, or 作废 in the voucher or the 摘要
        if (status is not None and status in EXCLUDED_STATUSES) or (
                voucher is not None and VOID_WORD in voucher) or (summary is not None and VOID_WORD in summary):
            code, doubtful = row_code(status, voucher, summary)
        if code is None:
            if doubtful:
                findings.tally("warning", "summary_mentions_void",
                               "摘要中提到“作废”，但不是作废标记，已按正常行计入，请核对",
                               reading.cell(sheet, header, rownum, i_summary))
        else:
            reason = reading.reason(code, status)
            if code in VOIDED_CODES:
                reading.voided_rows += 1
            elif code == RETURNED_STATUS:
                reading.returned_rows += 1

        previous = LedgerRowDraft(
            name, rownum, when, voucher, summary, account_code, account_name, project_code,
            project_name, pref_raw, document_no, unit_name, functional_class, economic_class,
            fund_nature, status, debit, credit, value, code is None, reason, code)
        drafts_append(previous)
        previous_voucher_raw = voucher_raw

    # every row's date came through the cache (carried dates repeat a cached one)
    if date_cache:
        low, high = min(date_cache.values()), max(date_cache.values())
        reading.date_min = low if reading.date_min is None else min(reading.date_min, low)
        reading.date_max = high if reading.date_max is None else max(reading.date_max, high)
    if is_payment and "status" not in cols:
        reading.findings.add("info", "no_status_column",
                             "没有支付状态列：全部支付按已支付计入（无法排除退回或作废的支付）",
                             reading.where(name))

def _problem(cells: Sequence[object], column: int, index: dict[str, int]) -> str:
    """What an unreadable text cell reports (``ROW_FIELDS``), its printed text filled in."""
    field = next(f for f, c in index.items() if c == column and ROW_FIELDS[f][1] is not None)
    return str(ROW_FIELDS[field][1]).format(text=text_of(cells[column]))


def _formula_column(cells: Sequence[object], columns: tuple[int, ...]) -> int:
    return next(c for c in columns if (text_of(cells[c]) or "").startswith("="))


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

