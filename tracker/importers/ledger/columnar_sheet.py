"""One sheet's data area as Arrow columns → ``LedgerColumns`` (the columnar fast path).

Every rule of the row reader applied per *distinct* cell value or vectorised: which rows are
not transactions (row_rules.py; those rows handed one by one to the shared code), dates and
texts through the reading's caches (reading.py), amounts as integer 分, whether a row counts
(counting.py).  Declines (``Declined``) what it cannot decide exactly.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tracker.importers.ledger.arrow_arrays import (DISTINCT_SHARE, WHITESPACE, Declined, distinct_ids,
                                                   is_string, matches_per_row, numpy_values, rows_at,
                                                   text_type, true_flags, valid_mask)
from tracker.importers.ledger.counting import (RETURNED_STATUS, VOIDED_CODES, VOID_WORD, row_code,
                                               status_code)
from tracker.importers.ledger.reading import FileReading, SheetResult
from tracker.importers.ledger.records import LedgerColumns, fen
from tracker.importers.ledger.row_rules import (is_blank, looks_like_note, row_label, summary_cell_label,
                                                summary_start_pattern, voucher_cell_label)
from tracker.importers.ledger.sources import SheetData
from tracker.importers.ledger.values import COMMON_AMOUNT, CellProblem, amount_of

_CLASS = "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE)
_EDGE_SPACE = f"^[{_CLASS}]|[{_CLASS}]$"
_FORMULA = f"^[{_CLASS}]*="
_COMMON = "^" + COMMON_AMOUNT.pattern + "$"
_SAMPLE_ROWS = 10_000  # … as it is when its first rows are that varied
_EXACT_FLOAT_LIMIT = 1e11  # |元| below which float → 分 by rint is exact (ulp ≪ 0.01)


class SheetColumns:
    """One sheet's data area (the rows below the header) as Arrow columns → ``LedgerColumns``."""

    def __init__(self, reading: FileReading, sheet: SheetData, result: SheetResult,
                 columns: list[pa.Array], first_row: int, *, spreadsheet: bool) -> None:
        self.reading = reading
        self.sheet = sheet
        self.result = result
        self.header = result.header
        self.columns = columns
        self.first_row = first_row  # file row number of the first data row
        self.spreadsheet = spreadsheet
        self.count = len(columns[0]) if columns else 0

    # cells of one row as the row reader sees them (padded to the header width + 1)
    def cells(self, index: int) -> list[object]:
        values = [self._python(column[index].as_py()) for column in self.columns]
        width = self.header.width
        if len(values) > width:
            self.reading.check_extra_cells(values, width, self.sheet, self.header, self.first_row + index)
            del values[width:]
        values.extend([""] * (width + 1 - len(values)))
        return values

    @staticmethod
    def _python(value: object) -> object:
        return "" if value is None else value

    def column(self, name: str) -> pa.Array | None:
        index = self.header.columns.get(name)
        if index is None or index >= len(self.columns):
            return None
        return self.columns[index]

    def read(self) -> None:  # noqa: C901 - one pass, in the row reader's order
        reading, header, sheet, result = self.reading, self.header, self.sheet, self.result
        cols = header.columns
        preamble = result.preamble
        if "date" not in cols:
            raise Declined("年/月/日 columns")
        if "voucher" not in cols and ("voucher_word" in cols or "voucher_no" in cols):
            raise Declined("凭证字 + 号 columns")
        if "debit" in cols or "credit" in cols:
            amount_mode = "dc"
        elif "direction" in cols:
            raise Declined("方向 + 金额")
        else:
            amount_mode = "amt"
        scale = header.scale if header.scale != 1 else (preamble.scale or header.scale)
        if scale != 1:
            raise Declined("scaled amounts")
        for extra in self.columns[header.width:]:
            if self._has_text(extra):
                raise Declined("cells beyond the header")  # the row reader rejects the row
        n = self.count
        name = sheet.name
        blank_col = header.width
        stated_period = preamble.period
        period_for_dates = stated_period or reading.first_stated_period()
        year_hint = reading.year or header.header_year
        if year_hint is None and period_for_dates is not None:
            year_hint = period_for_dates[0].year
        i_date, i_summary = cols["date"], cols.get("summary", blank_col)
        i_debit, i_credit = cols.get("debit", blank_col), cols.get("credit", blank_col)
        i_amount = cols.get("amount", blank_col)
        i_dir = cols.get("direction", blank_col)

        # -- which rows are not transactions: summary words, no date, unreadable date ----------
        summary_ids, summary_values = self._distinct_texts(self.column("summary"))
        labels = [summary_cell_label(value) for value in summary_values]
        label_ids = [i for i, label in enumerate(labels) if label is not None]
        special = np.isin(summary_ids, label_ids) if label_ids else np.zeros(n, dtype=bool)
        voucher_array = self.column("voucher")
        if voucher_array is not None and is_string(voucher_array):
            maybe = matches_per_row(voucher_array, pc.match_substring_regex, summary_start_pattern())
            for index in np.flatnonzero(maybe & ~special):
                if voucher_cell_label(voucher_array[index].as_py()) is not None:
                    special[index] = True
        date_array = self.column("date")
        assert date_array is not None
        date_ids, date_raw = distinct_ids(date_array)
        dates: list[date | None] = []
        for raw in date_raw:
            if is_blank(raw):
                dates.append(None)
                continue
            try:
                dates.append(reading.parse_date(raw, year_hint, period_for_dates, True))
            except CellProblem:
                dates.append(None)
        undated = [i for i, when in enumerate(dates) if when is None]
        if undated:
            special |= np.isin(date_ids, undated)

        # -- those rows one by one, with the row reader's code -------------------------------
        amount_columns = tuple(c for c in (i_debit, i_credit, i_amount) if c != blank_col)
        for index in np.flatnonzero(special):
            rownum = self.first_row + int(index)
            cells = self.cells(int(index))
            label = labels[summary_ids[index]]
            if label is None:
                raw = cells[cols["voucher"]] if "voucher" in cols else None
                label = voucher_cell_label(raw) if raw.__class__ is str else None
            if label is None:
                raw_date = cells[i_date]
                if is_blank(raw_date) or dates[date_ids[index]] is None:
                    label = row_label(cells)
                if label is None:
                    has_amount = any(not is_blank(cells[c]) for c in amount_columns)
                    if is_blank(raw_date):
                        if has_amount:
                            raise Declined("a transaction without a date")
                        if any(not is_blank(c) for c in cells):
                            reading.note_rows += 1
                        else:
                            reading.blank_rows += 1
                        continue
                    if not has_amount and looks_like_note(raw_date):
                        reading.note_rows += 1
                        continue
                    raise Declined("an unreadable date")
            reading.summary_row(cells, label, sheet, header, rownum, amount_mode, i_debit, i_credit,
                                 i_dir, i_amount, scale)
        kept = np.flatnonzero(~special)
        count = len(kept)
        rownums = kept + self.first_row
        events: list[tuple[int, int, str, str, str, str]] = []  # row, order, severity, code, message, where

        # -- dates -----------------------------------------------------------------------------
        kept_date_ids = date_ids[kept]
        date_objects = np.array(dates, dtype=object)
        used = np.unique(kept_date_ids)
        used_dates = [dates[i] for i in used]
        if used_dates:
            low, high = min(used_dates), max(used_dates)  # type: ignore[type-var]
            reading.date_min = low if reading.date_min is None else min(reading.date_min, low)
            reading.date_max = high if reading.date_max is None else max(reading.date_max, high)
        if stated_period is not None:
            start, end = stated_period
            outside = [i for i in used if not start <= dates[i] <= end]  # type: ignore[operator]
            if outside:
                message = f"交易日期不在期间（{start}至{end}）内"
                for position in np.flatnonzero(np.isin(kept_date_ids, outside)):
                    row = int(rownums[position])
                    events.append((row, 0, "warning", "date_outside_period", message,
                                   reading.cell(sheet, header, row, i_date)))

        # -- amounts (integer 分) ---------------------------------------------------------------
        def amounts(column: int, order: int) -> tuple[np.ndarray, np.ndarray]:
            """分 per kept row, and which rows were blank."""
            array = self.columns[column] if column < len(self.columns) and column != blank_col else None
            return self._fen(array, kept, column, order, events, rownums)

        if amount_mode == "amt":
            amount_fen, blank = amounts(i_amount, 1)
            if blank.any():
                raise Declined("a blank amount")
            debit_fen, credit_fen = amount_fen, np.zeros(count, dtype=np.int64)
        else:
            debit_fen, debit_blank = amounts(i_debit, 1)
            credit_fen, credit_blank = amounts(i_credit, 2)
            for position in np.flatnonzero(debit_blank & credit_blank):
                row = int(rownums[position])
                events.append((row, 3, "warning", "amount_blank", "借方、贷方均为空，按0处理",
                               reading.where(name, row)))
            amount_fen = debit_fen - credit_fen

        # -- text fields -----------------------------------------------------------------------
        def texts(field: str) -> list[str | None]:
            array = self.column(field)
            if array is None:
                return [None] * count
            return self._kept_texts(array, kept)

        summary_kept = np.array(summary_values, dtype=object)[summary_ids[kept]].tolist() \
            if count else []
        voucher = texts("voucher")
        status = texts("status")
        pref_raw = texts("project_ref")
        project_code, project_name = texts("project_code"), texts("project_name")
        document_no, unit_name = texts("document_no"), texts("unit_name")
        functional_class, economic_class = texts("functional_class"), texts("economic_class")
        fund_nature = texts("fund_nature")
        if any(f in cols for f in ("account_code", "account_name", "account_ref")):
            codes, names, refs = texts("account_code"), texts("account_name"), texts("account_ref")
            accounts: dict[tuple[str | None, str | None, str | None], tuple[str | None, str | None]] = {}
            account_code: list[str | None] = []
            account_name: list[str | None] = []
            sheet_account = (preamble.account_code, preamble.account_name)
            for key in zip(codes, names, refs):
                found = accounts.get(key)
                if found is None:
                    code, title, ref = key
                    if code is not None or title is not None:
                        found = (code, title)
                    elif ref is not None:
                        found = reading.account(ref)
                    else:
                        found = sheet_account
                    accounts[key] = found
                account_code.append(found[0])
                account_name.append(found[1])
        else:
            account_code = [preamble.account_code] * count
            account_name = [preamble.account_name] * count
        if preamble.project_text is not None:  # the sheet's project, for rows without their own
            context = (preamble.project_code, preamble.project_name, preamble.project_text)
            for position in range(count):
                if pref_raw[position] is None and project_code[position] is None \
                        and project_name[position] is None:
                    project_code[position], project_name[position], pref_raw[position] = context
        if pref_raw.count(None) != count:
            references = reading.references
            fields = (project_code, project_name, functional_class, economic_class, fund_nature,
                      document_no)
            for position, raw in enumerate(pref_raw):
                if raw is None:
                    continue
                reference = references.get(raw)
                if reference is None:
                    reference = references[raw] = reading.reference(raw)
                for values, found in zip(fields, (reference.code, reference.name,
                                                  reference.functional_class, reference.economic_class,
                                                  reference.fund_nature, reference.document_no)):
                    values[position] = values[position] or found

        # -- whether it counts: counting.py's ``row_code`` for the rows that may not ------------
        # (an excluded 支付状态, 作废 in the voucher or the 摘要); the ledger's book and unknown
        # statuses are decided in ``FileReading.finish``, as for the row reader
        reasons: list[str | None] = [None] * count
        codes: list[str | None] = [None] * count
        counts = [True] * count
        status_counts = Counter(filter(None, status))  # the texts are never "", only None
        for key, value in status_counts.items():
            reading.status_counts[key] = reading.status_counts.get(key, 0) + value
        candidates: set[int] = set()
        excluded = {s for s in status_counts if status_code(s) is not None}
        if excluded:
            candidates.update(i for i, s in enumerate(status) if s in excluded)
        if voucher_array is not None:
            marked = matches_per_row(voucher_array, pc.match_substring, VOID_WORD)
            candidates.update(np.flatnonzero(marked[kept]).tolist())
        void_summaries = [i for i, value in enumerate(summary_values) if value is not None and VOID_WORD in value]
        if void_summaries:
            candidates.update(np.flatnonzero(np.isin(summary_ids[kept], void_summaries)).tolist())
        for position in sorted(candidates):
            row_status = status[position]
            code, doubtful = row_code(row_status, voucher[position], summary_kept[position])
            if code is not None:
                codes[position], counts[position] = code, False
                reasons[position] = reading.reason(code, row_status)
                if code in VOIDED_CODES:
                    reading.voided_rows += 1
                elif code == RETURNED_STATUS:
                    reading.returned_rows += 1
            elif doubtful:
                row = int(rownums[position])
                events.append((row, 4, "warning", "summary_mentions_void",
                               "摘要中提到“作废”，但不是作废标记，已按正常行计入，请核对",
                               reading.cell(sheet, header, row, i_summary)))

        for _row, _order, severity, code, message, where in sorted(events, key=lambda e: (e[0], e[1])):
            reading.findings.tally(severity, code, message, where)  # type: ignore[arg-type]
        reading.columns = LedgerColumns(
            sheet=[name] * count, row=rownums.tolist(),
            date=date_objects[kept_date_ids].tolist() if count else [],
            voucher=voucher, summary=summary_kept, account_code=account_code,
            account_name=account_name, project_code=project_code, project_name=project_name,
            project_ref_raw=pref_raw, document_no=document_no, unit_name=unit_name,
            functional_class=functional_class, economic_class=economic_class,
            fund_nature=fund_nature, status=status, debit_fen=debit_fen.tolist(),
            credit_fen=credit_fen.tolist(), amount_fen=amount_fen.tolist(), counts=counts,
            not_counted_reason=reasons, not_counted_code=codes)

    def notes(self) -> None:
        """What is said once about the sheet, after all its rows were read (``read`` may be
        called for one slice of the rows at a time)."""
        if self.result.kind == "payment_list" and "status" not in self.header.columns:
            self.reading.findings.add("info", "no_status_column",
                                      "没有支付状态列：全部支付按已支付计入（无法排除退回或作废的支付）",
                                      self.reading.where(self.sheet.name))

    # -- helpers -------------------------------------------------------------------------------
    @staticmethod
    def _has_text(array: pa.Array) -> bool:
        """Any cell other than empty (the row reader's test for cells beyond the header)."""
        if pa.types.is_null(array.type):
            return False
        if pa.types.is_dictionary(array.type):
            array = array.dictionary  # the column's distinct cells
        if not pa.types.is_string(array.type) and not pa.types.is_large_string(array.type):
            return array.null_count < len(array)
        return bool(pc.max(pc.binary_length(array)).as_py())

    def _distinct_texts(self, array: pa.Array | None) -> tuple[np.ndarray, list[str | None]]:
        """Per row an index into the distinct cleaned texts (the row reader's ``_clean_text``)."""
        if array is None:
            return np.zeros(self.count, dtype=np.int64), [None]
        text_type(array)
        ids, raw = distinct_ids(array)
        clean = self.reading.clean_text
        return ids, [clean(value) for value in raw]

    def _kept_texts(self, array: pa.Array, kept: np.ndarray) -> list[str | None]:
        """Cleaned texts of the kept rows: per distinct value for repetitive columns (those of a
        dictionary array as they are), vectorised (strip only where an edge is whitespace) for
        columns of mostly unique values."""
        text_type(array)
        if pa.types.is_null(array.type):
            return [None] * len(kept)
        subset = rows_at(array, kept)
        clean = self.reading.clean_text
        if pa.types.is_dictionary(subset.type) \
                and len(subset.dictionary) * DISTINCT_SHARE > len(subset):
            subset = subset.dictionary_decode()  # mostly unique: vectorised below
        if pa.types.is_dictionary(subset.type):  # decoded per distinct value (``_decoded``)
            ids = numpy_values(subset.indices)
            used = np.zeros(len(subset.dictionary), dtype=bool)
            used[ids] = True  # only the kept rows' values, as below: a formula declines
            values = np.array([clean(value) if use else None
                               for value, use in zip(subset.dictionary.to_pylist(), used.tolist())],
                              dtype=object)
            return values[ids].tolist()
        sample = subset.slice(0, _SAMPLE_ROWS)  # no need to hash a million voucher numbers
        if len(pc.unique(sample)) * DISTINCT_SHARE <= len(sample):
            encoded = pc.dictionary_encode(subset, null_encoding="encode")
            dictionary = encoded.dictionary
            if len(dictionary) * DISTINCT_SHARE <= len(subset):
                values = np.array([clean(value) for value in dictionary.to_pylist()], dtype=object)
                return values[numpy_values(encoded.indices)].tolist()
        if pc.any(pc.match_substring_regex(subset, _FORMULA)).as_py():
            raise Declined("a formula in a text column")
        result = subset.to_pylist()
        for index in np.flatnonzero(numpy_values(pc.binary_length(subset)) == 0):  # or null: None already
            result[index] = None
        for index in np.flatnonzero(true_flags(pc.match_substring_regex(subset, _EDGE_SPACE))):
            result[index] = result[index].strip() or None
        return result

    def _fen(self, array: pa.Array | None, kept: np.ndarray, column: int, order: int,
             events: list[tuple[int, int, str, str, str, str]], rownums: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
        count = len(kept)
        if array is None or pa.types.is_null(array.type):
            return np.zeros(count, dtype=np.int64), np.ones(count, dtype=bool)
        if pa.types.is_dictionary(array.type):
            array = array.dictionary_decode()  # amounts are rarely anything but ASCII
        subset = rows_at(array, kept)
        values = np.zeros(count, dtype=np.int64)
        if pa.types.is_string(subset.type) or pa.types.is_large_string(subset.type):
            matched = pc.match_substring_regex(subset, _COMMON)
            common = true_flags(matched)
            if common.any():
                digits = pc.replace_substring(pc.replace_substring(subset.filter(matched), ",", ""),
                                              ".", "")
                numbers = np.zeros(count, dtype=np.int64)
                numbers[common] = numpy_values(pc.cast(digits, pa.int64()))
                dotted = true_flags(pc.match_substring(subset, "."))
                if (np.abs(numbers[~dotted]) > (1 << 62) // 100).any():
                    raise Declined("amount too large")
                values = np.where(dotted, numbers, numbers * 100)
                values[~common] = 0
            others = np.flatnonzero(~common)
        elif pa.types.is_floating(subset.type):
            floats = numpy_values(subset).astype(np.float64)
            floats[~valid_mask(subset)] = np.nan
            with np.errstate(invalid="ignore"):
                cents = np.rint(floats * 100)
                exact = (np.abs(floats) < _EXACT_FLOAT_LIMIT) & (cents / 100 == floats)
            values = np.where(exact, cents, 0).astype(np.int64)
            others = np.flatnonzero(~exact)
        elif pa.types.is_integer(subset.type):
            valid = valid_mask(subset)
            integers = np.where(valid, numpy_values(subset), 0).astype(np.int64)
            if (np.abs(integers) > (1 << 62) // 100).any():
                raise Declined("amount too large")
            values = integers * 100
            others = np.flatnonzero(~valid)
        else:
            raise Declined(f"amounts of type {subset.type}")
        blank = np.zeros(count, dtype=bool)
        if len(others):
            known: dict[object, tuple[int | None, bool]] = {}
            reading = self.reading
            for position in others:
                raw = subset[int(position)].as_py()
                found = known.get(raw)
                if found is None:
                    parsed = amount_of(self._python(raw))  # CellProblem: the row reader rejects it
                    found = known[raw] = (None, False) if parsed is None else (fen(parsed[0]), parsed[1])
                cents_value, rounded = found
                if cents_value is None:
                    blank[position] = True
                    values[position] = 0
                else:
                    values[position] = cents_value
                if rounded:
                    row = int(rownums[position])
                    events.append((row, order, "warning", "amount_rounded", "金额超过两位小数，已四舍五入到分",
                                   reading.cell(self.sheet, self.header, row, column)))
        return values, blank
