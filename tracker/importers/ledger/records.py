"""What the ledger reader produces: plain frozen records, no database.

Money is in 元 as ``Decimal`` with two places (分).  Every row keeps the place it was read from
(sheet and 1-based row number as the user sees it in the file) so a reviewer can find it.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from functools import cached_property
from itertools import compress, groupby
from typing import Literal, overload

from tracker.importers.ledger.counting import EXCLUDED_CODES

Severity = Literal["error", "warning", "info"]
SourceKind = Literal["payment_list", "ledger"]
PeriodSource = Literal["stated", "transactions"]
CountMode = Literal["payments", "budget", "financial", "all", "none"]

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One transaction row (台账行).

    ``amount`` is the signed spending: debit − credit for ledgers, 支付金额 for payment lists
    (where ``debit`` = 支付金额 and ``credit`` = 0).  ``counts`` says whether the row is project
    spending under the counting rule; when it is not, ``not_counted_code`` says why as a code
    (counting.py) and ``not_counted_reason`` in Chinese, the text of that code (core/labels.py).
    """

    sheet: str
    row: int  # 1-based, as the user sees it in the file
    date: date
    voucher: str | None  # 凭证号 (凭证字-号 when they are two columns), 支付申请编号
    summary: str | None  # 摘要 / 用途
    account_code: str | None  # 科目编码, e.g. "7201" or "72010102"
    account_name: str | None  # 科目名称, from a column or from a 明细账 sheet title
    project_code: str | None
    project_name: str | None
    project_ref_raw: str | None  # the 项目 / 辅助核算 cell exactly as printed
    document_no: str | None  # 指标文号
    unit_name: str | None  # 预算单位 / 实施单位 of this row
    functional_class: str | None  # 功能分类
    economic_class: str | None  # 经济分类
    fund_nature: str | None  # 资金性质
    status: str | None  # 支付状态
    debit: Decimal
    credit: Decimal
    amount: Decimal
    counts: bool
    not_counted_reason: str | None  # None when counted
    not_counted_code: str | None = None  # counting.py's reason code; None when counted


class LedgerRowDraft:
    """Mutable twin of ``LedgerRow`` with the identical slot layout, used to build rows fast.

    A frozen dataclass sets each field through ``object.__setattr__`` (about 7 µs for 21 fields
    on the reference machine, which alone caps an import near 140,000 rows/s).  The reader fills
    this plain-slot twin (about 1 µs) and then calls ``freeze()``, which switches the object's class
    to ``LedgerRow``: the result is a genuine, immutable ``LedgerRow`` (``isinstance``, ``==``,
    ``repr`` and ``dataclasses.replace`` all behave).  Python allows the switch because both
    classes declare the same ``__slots__`` on the same base; the assertion below keeps them equal.
    """

    __slots__ = LedgerRow.__slots__

    def __init__(self, sheet: str, row: int, date: date, voucher: str | None, summary: str | None,
                 account_code: str | None, account_name: str | None, project_code: str | None,
                 project_name: str | None, project_ref_raw: str | None, document_no: str | None,
                 unit_name: str | None, functional_class: str | None, economic_class: str | None,
                 fund_nature: str | None, status: str | None, debit: Decimal, credit: Decimal,
                 amount: Decimal, counts: bool, not_counted_reason: str | None,
                 not_counted_code: str | None = None) -> None:
        self.sheet = sheet
        self.row = row
        self.date = date
        self.voucher = voucher
        self.summary = summary
        self.account_code = account_code
        self.account_name = account_name
        self.project_code = project_code
        self.project_name = project_name
        self.project_ref_raw = project_ref_raw
        self.document_no = document_no
        self.unit_name = unit_name
        self.functional_class = functional_class
        self.economic_class = economic_class
        self.fund_nature = fund_nature
        self.status = status
        self.debit = debit
        self.credit = credit
        self.amount = amount
        self.counts = counts
        self.not_counted_reason = not_counted_reason
        self.not_counted_code = not_counted_code

    def freeze(self) -> LedgerRow:
        self.__class__ = LedgerRow  # type: ignore[assignment]
        return self  # type: ignore[return-value]


_ROW_FIELDS = tuple(f.name for f in fields(LedgerRow))
assert LedgerRowDraft.__init__.__code__.co_varnames[1:len(_ROW_FIELDS) + 1] == _ROW_FIELDS, \
    "LedgerRowDraft.__init__ must take LedgerRow's fields in order"


@dataclass(eq=False)
class LedgerColumns:
    """The transaction rows column by column, money as integer 分: what a bulk insert wants.

    One list per ``LedgerRow`` field, all of the same length; ``debit_fen`` / ``credit_fen`` /
    ``amount_fen`` are the amounts × 100 as ``int`` (exact, never float).  The columnar reader
    (columnar_sheet.py) builds these directly; for rows read one by one ``from_rows`` transposes them.
    """

    sheet: list[str]
    row: list[int]
    date: list[date]
    voucher: list[str | None]
    summary: list[str | None]
    account_code: list[str | None]
    account_name: list[str | None]
    project_code: list[str | None]
    project_name: list[str | None]
    project_ref_raw: list[str | None]
    document_no: list[str | None]
    unit_name: list[str | None]
    functional_class: list[str | None]
    economic_class: list[str | None]
    fund_nature: list[str | None]
    status: list[str | None]
    debit_fen: list[int]
    credit_fen: list[int]
    amount_fen: list[int]
    counts: list[bool]
    not_counted_reason: list[str | None]
    not_counted_code: list[str | None]

    def __len__(self) -> int:
        return len(self.row)

    @classmethod
    def from_rows(cls, rows: Sequence[LedgerRow]) -> LedgerColumns:
        if isinstance(rows, LedgerRows):
            return rows.columns
        if not rows:
            return cls(*([] for _ in _ROW_FIELDS))
        transposed = [list(column) for column in zip(*(
            (r.sheet, r.row, r.date, r.voucher, r.summary, r.account_code, r.account_name,
             r.project_code, r.project_name, r.project_ref_raw, r.document_no, r.unit_name,
             r.functional_class, r.economic_class, r.fund_nature, r.status, fen(r.debit),
             fen(r.credit), fen(r.amount), r.counts, r.not_counted_reason, r.not_counted_code) for r in rows))]
        return cls(*transposed)

    def part(self, start: int, stop: int) -> LedgerColumns:
        """Rows ``start`` to ``stop`` (new lists: the part outlives changes to the whole)."""
        return LedgerColumns(*(getattr(self, name)[start:stop] for name in _COLUMN_FIELDS))

    def extend(self, other: LedgerColumns) -> None:
        """Append ``other``'s rows (its lists are copied, not kept)."""
        for name in _COLUMN_FIELDS:
            getattr(self, name).extend(getattr(other, name))

    def materialise(self, index: int) -> LedgerRow:
        """Row ``index`` as a ``LedgerRow`` (amounts back to ``Decimal`` 元 with two places)."""
        return LedgerRowDraft(
            self.sheet[index], self.row[index], self.date[index], self.voucher[index],
            self.summary[index], self.account_code[index], self.account_name[index],
            self.project_code[index], self.project_name[index], self.project_ref_raw[index],
            self.document_no[index], self.unit_name[index], self.functional_class[index],
            self.economic_class[index], self.fund_nature[index], self.status[index],
            yuan(self.debit_fen[index]), yuan(self.credit_fen[index]), yuan(self.amount_fen[index]),
            self.counts[index], self.not_counted_reason[index], self.not_counted_code[index]).freeze()


_COLUMN_FIELDS = tuple(f.name for f in fields(LedgerColumns))


class LedgerRows(Sequence[LedgerRow]):
    """``LedgerParse.rows`` of the columnar reader: a read-only sequence that builds each
    ``LedgerRow`` when asked for it.  A million frozen rows take seconds to build and hundreds of
    MB to hold; the import itself works on ``columns`` and never builds them."""

    __slots__ = ("columns",)

    def __init__(self, columns: LedgerColumns) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return len(self.columns)

    @overload
    def __getitem__(self, index: int) -> LedgerRow: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[LedgerRow, ...]: ...

    def __getitem__(self, index: int | slice) -> LedgerRow | tuple[LedgerRow, ...]:
        if isinstance(index, slice):
            return tuple(map(self.columns.materialise, range(len(self))[index]))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("ledger row index out of range")
        return self.columns.materialise(index)

    def __iter__(self) -> Iterator[LedgerRow]:
        return map(self.columns.materialise, range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (LedgerRows, tuple, list)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<LedgerRows {len(self)} rows>"


def fen(value: Decimal) -> int:
    """元 → integer 分; refuses a value with more than two decimals."""
    scaled = value * 100
    integral = int(scaled)
    if integral != scaled:
        raise ValueError(f"amount {value} has more than 2 decimal places")
    return integral


def yuan(cents: int) -> Decimal:
    """Integer 分 → ``Decimal`` 元 with two places."""
    return Decimal(cents).scaleb(-2)


@dataclass(frozen=True, slots=True)
class StatedTotal:
    """A total printed in the file (合计 / 本年累计 / 本期合计 / 本月合计 / 小计 / 总计), as printed."""

    sheet: str
    row: int
    label: str  # the keyword, e.g. "本年累计"
    debit: Decimal | None
    credit: Decimal | None
    amount: Decimal | None  # 金额 / 支付金额 column (with 方向 applied when there is one)
    block: int = 0  # which block of the sheet (a sheet may repeat its header per 核算项目)


@dataclass(frozen=True, slots=True)
class LedgerFinding:
    """Something a reviewer should look at.  ``code`` is stable (for tests and filters)."""

    severity: Severity
    message: str  # Chinese, for the user
    location: str  # "文件 X 工作表 Y 第N行 …"
    code: str


@dataclass(frozen=True, slots=True)
class TotalsCheck:
    """The printed totals against the rows read.

    ``stated`` is the printed total (net debit − credit for ledgers, 支付金额 for payment lists),
    summed over the sheets that print one; ``parsed`` is the same quantity over every transaction
    row listed in those sheets, counted or not; ``counted`` only over counted rows.  ``ok`` is
    None when nothing is printed, True when the printed total equals either sum; ``explanation``
    says which totals were checked, against which rows, and how voided/returned rows were
    treated.  It says nothing of what counts as spending: that is the import's decision (a
    unit's second source counts nothing), reported beside it.
    """

    stated: Decimal | None
    parsed: Decimal
    counted: Decimal
    ok: bool | None
    explanation: str


@dataclass(frozen=True, eq=False)
class LedgerParse:
    """Everything read from one ledger export (compared by identity: it may hold a million rows)."""

    file: str
    format: str  # xlsx / xls / ods / html / csv
    encoding: str | None  # text formats only
    source_kind: SourceKind
    count_mode: CountMode  # which counting rule applied (see ``accounts.py``)
    sheets: tuple[str, ...]  # sheets read, in file order
    header_rows: Mapping[str, tuple[int, ...]]  # sheet → header row numbers (two for merged)
    mapping: Mapping[str, str]  # canonical field → header text found (first sheet read)
    sheet_mappings: Mapping[str, Mapping[str, str]]  # the same per sheet
    unit_name: str | None  # 单位 / 核算单位 / 账套 line above the header
    period: tuple[date, date] | None
    period_source: PeriodSource | None
    rows: Sequence[LedgerRow]  # a tuple, or ``LedgerRows`` from the columnar reader
    summary_rows_skipped: int  # 合计, 本月合计, 期初余额, 上年结转, 承前页 …
    blank_rows_skipped: int
    note_rows_skipped: int  # text without date or amount (制表人、打印日期 footers …)
    voided_rows: int  # 作废 (kept in ``rows``, not counted)
    returned_rows: int  # 退回 (kept in ``rows``, not counted)
    stated_totals: tuple[StatedTotal, ...]
    findings: tuple[LedgerFinding, ...] = field(default=())
    # what the preview asks (answered in its mapping form): 支付状态 texts neither known paid nor
    # known unpaid → rows (counted only once answered), sheets without any project
    unknown_statuses: Mapping[str, int] = field(default_factory=dict)
    sheets_without_project: tuple[str, ...] = ()
    # the first sheet's columns as printed, each with a sample value: the mapping form's choices
    header_choices: tuple[tuple[str, str], ...] = ()

    @property
    def rows_read(self) -> int:
        """Data-area rows looked at: transactions plus every skipped row."""
        return (len(self.rows) + self.summary_rows_skipped + self.blank_rows_skipped
                + self.note_rows_skipped)

    @cached_property
    def columns(self) -> LedgerColumns:
        """The rows column by column (built once; free for the columnar reader)."""
        return LedgerColumns.from_rows(self.rows)

    @property
    def counted_total(self) -> Decimal:
        columns = self.columns
        return yuan(sum(compress(columns.amount_fen, columns.counts)))

    def totals_check(self) -> TotalsCheck:
        """Compare printed totals with the rows read; see ``TotalsCheck`` and ``_totals``.

        Worked out once per parse (a pass over every row): the import, its result and the CLI's
        summary all ask for it."""
        return self._totals

    @cached_property
    def _totals(self) -> TotalsCheck:
        """Compare printed totals with the rows read.

        Per sheet the printed total used is the last 总计, else the last 合计, else the sum of the
        本期合计 rows (one per month in 金蝶 明细分类账), else the sum of the 本月合计 rows, else
        the last 本年累计 (which may include months before the export and is therefore the last
        resort: when it disagrees and the file does not state a period starting on 1 January,
        that sheet cannot be checked rather than failing).  小计 is never used.

        Like is compared with like: a debit total (借方 column, a total with 方向 借, a 借方合计
        row) with the rows' debits, a credit total with their credits; two such rows printed one
        under the other (合计 借 / 合计 贷) are one total.  A total with one side only may also be
        the sheet's net (a ledger printing its balance as 合计 借 X): it passes when it equals
        either.  A total without a side is the net (debit − credit, or 支付金额).
        """
        stated_sum: Decimal | None = None
        parsed_sum = ZERO
        counted_sum = ZERO
        excluded_count = 0
        excluded_sum = ZERO
        mismatches: list[str] = []
        checked: list[str] = []
        unchecked: list[str] = []
        matched_listed = matched_counted = 0
        sided = False
        from_january = (self.period is not None and self.period_source == "stated"
                        and (self.period[0].month, self.period[0].day) == (1, 1))
        columns = self.columns
        excluded = _excluded_rows(columns)
        by_sheet: dict[str, list[tuple[int, int]]] = {}  # sheet → [start, end) runs of rows
        position = 0
        for name, run in groupby(columns.sheet):
            length = len(list(run))  # (a list in C, not a generator step per row)
            by_sheet.setdefault(name, []).append((position, position + length))
            position += length
        for sheet in self.sheets:
            chosen = _chosen_total(tuple(t for t in self.stated_totals if t.sheet == sheet))
            if chosen is None:
                continue
            sums = _SheetSums()
            for begin, end in by_sheet.get(sheet, []):
                sums.add(columns, excluded, begin, end)
            listed = _Sides(yuan(sums.debit), yuan(sums.credit), yuan(sums.amount))
            kept = _Sides(yuan(sums.debit - sums.excluded_debit), yuan(sums.credit - sums.excluded_credit),
                          yuan(sums.amount - sums.excluded_amount))
            counted = yuan(sums.counted)
            excluded_count += sums.excluded_count
            excluded_sum += yuan(sums.excluded_amount)
            ok_listed, reading = chosen.compare(listed)
            ok_kept, kept_reading = chosen.compare(kept)
            if chosen.label == "本年累计" and not (ok_listed or ok_kept) and not from_january:
                unchecked.append(sheet)
                continue
            if not ok_listed and ok_kept:
                reading = kept_reading
            stated = chosen.stated(reading)
            sided = sided or not chosen.is_net_only
            stated_sum = stated if stated_sum is None else stated_sum + stated
            parsed_sum += _Printed.of_rows(listed, reading)
            counted_sum += counted
            checked.append(f"工作表“{sheet}”{chosen.label} {chosen.describe()}")
            if ok_listed:
                matched_listed += 1
            elif ok_kept:
                matched_counted += 1
            else:
                mismatches.append(f"工作表“{sheet}”{chosen.label} {chosen.describe()}，"
                                  f"所列交易行{chosen.describe_rows(listed)}")
        not_checked = (f"工作表{'、'.join(f'“{s}”' for s in unchecked)}只印了本年累计，可能含本期之前的月份，"
                       "未核对。") if unchecked else ""
        if stated_sum is None:
            counted_all = self.counted_total
            parsed_all = yuan(sum(columns.amount_fen))
            return TotalsCheck(None, parsed_all, counted_all, None,
                               (not_checked or "文件没有印刷的合计行，无法核对；")
                               + f"所列交易行合计 {_yuan(parsed_all)} 元。")
        parts: list[str] = []
        how = "借方与借方、贷方与贷方分别比较；" if sided else ""
        if mismatches:
            parts.append("印刷合计与所读行不一致：" + "；".join(mismatches) + "。")
        elif sided and matched_counted:
            parts.append("印刷合计与未退回、未作废的行一致（印刷合计不含已退回/已作废的行）。")
        elif sided:
            parts.append("印刷合计与所列全部交易行一致。")
        elif matched_counted:
            parts.append(f"印刷合计 {_yuan(stated_sum)} 元与未退回、未作废的行之和一致"
                         "（印刷合计不含已退回/已作废的行）。")
        else:
            parts.append(f"印刷合计 {_yuan(stated_sum)} 元与所列全部交易行之和一致。")
        parts.append(f"核对的印刷合计（{how}{'；'.join(checked)}）。" if sided or len(checked) > 1
                     else f"核对的印刷合计：{checked[0]}。")
        if excluded_count:
            parts.append(f"其中已退回/已作废 {excluded_count} 行"
                         + ("" if sided else f"共 {_yuan(excluded_sum)} 元")
                         + "，列在文件中但不计入支出。")
        parts.append(not_checked)
        return TotalsCheck(stated_sum, parsed_sum, counted_sum, not mismatches, "".join(parts))


@dataclass(frozen=True)
class _Sides:
    debit: Decimal
    credit: Decimal
    net: Decimal  # debit − credit (支付金额 for payment lists)


@dataclass(frozen=True)
class _Printed:
    """The total a sheet prints, as the check reads it: ``debit`` / ``credit`` when the export
    prints a side (借方 column, 方向 借/贷, 借方合计), ``net`` when it prints one signed amount;
    ``columns`` when the sides come from 借方 / 贷方 columns (a blank side there means 0)."""

    label: str
    debit: Decimal | None
    credit: Decimal | None
    net: Decimal | None
    columns: bool

    @property
    def is_net_only(self) -> bool:
        return self.debit is None and self.credit is None

    def compare(self, rows: _Sides) -> tuple[bool, str]:
        """Whether ``rows`` add up to this total, and how it was read: "net" (debit − credit),
        "debit" / "credit" (one side), "sides" (both sides, each with its own)."""
        if self.is_net_only:
            return self.net == rows.net, "net"
        if self.columns or (self.debit is not None and self.credit is not None):
            return (self.debit or ZERO) == rows.debit and (self.credit or ZERO) == rows.credit, "sides"
        side, value, signed = (("debit", self.debit, self.debit) if self.debit is not None
                               else ("credit", self.credit, -(self.credit or ZERO)))
        if value == getattr(rows, side):
            return True, side
        return signed == rows.net, "net"

    def stated(self, reading: str) -> Decimal:
        """The printed total as a signed amount (debit − credit)."""
        if reading == "net" and self.is_net_only:
            return self.net or ZERO
        return (self.debit or ZERO) - (self.credit or ZERO)

    @staticmethod
    def of_rows(rows: _Sides, reading: str) -> Decimal:
        """The rows' counterpart of ``stated``."""
        return {"debit": rows.debit, "credit": -rows.credit}.get(reading, rows.net)

    def describe(self) -> str:
        if self.is_net_only:
            assert self.net is not None
            return f"{_yuan(self.net)} 元"
        if self.columns or (self.debit is not None and self.credit is not None):
            return f"借方 {_yuan(self.debit or ZERO)} 元、贷方 {_yuan(self.credit or ZERO)} 元"
        if self.debit is not None:
            return f"借方 {_yuan(self.debit)} 元"
        return f"贷方 {_yuan(self.credit or ZERO)} 元"

    def describe_rows(self, rows: _Sides) -> str:
        if self.is_net_only:
            return f"合计 {_yuan(rows.net)} 元，差额 {_yuan((self.net or ZERO) - rows.net)} 元"
        if self.columns or (self.debit is not None and self.credit is not None):
            return (f"借方 {_yuan(rows.debit)} 元、贷方 {_yuan(rows.credit)} 元，差额 借方 "
                    f"{_yuan((self.debit or ZERO) - rows.debit)} 元、贷方 {_yuan((self.credit or ZERO) - rows.credit)} 元")
        if self.debit is not None:
            return f"借方 {_yuan(rows.debit)} 元（净额 {_yuan(rows.net)} 元）"
        return f"贷方 {_yuan(rows.credit)} 元（净额 {_yuan(rows.net)} 元）"


def _excluded_rows(columns: LedgerColumns) -> list[int]:
    """The voided or returned rows (``counting.EXCLUDED_CODES``), ascending: looked for among
    the rows with a not-counted code only (found in C; usually a few)."""
    codes = columns.not_counted_code
    return [index for index in compress(range(len(codes)), codes) if codes[index] in EXCLUDED_CODES]


class _SheetSums:
    """Integer-分 sums of one sheet's rows: listed, counted, and voided/returned."""

    def __init__(self) -> None:
        self.debit = self.credit = self.amount = self.counted = 0
        self.excluded_count = self.excluded_debit = self.excluded_credit = self.excluded_amount = 0

    def add(self, columns: LedgerColumns, excluded: list[int], begin: int, end: int) -> None:
        """Rows ``begin`` to ``end``; ``excluded``: ``_excluded_rows``."""
        whole = begin == 0 and end == len(columns)

        def part(values: list[int]) -> list[int]:
            return values if whole else values[begin:end]

        debit, credit, amount = columns.debit_fen, columns.credit_fen, columns.amount_fen
        self.debit += sum(part(debit))
        self.credit += sum(part(credit))
        self.amount += sum(part(amount))
        self.counted += sum(compress(part(amount), part(columns.counts)))
        rows = excluded[bisect_left(excluded, begin):bisect_left(excluded, end)]
        if rows:
            self.excluded_count += len(rows)
            self.excluded_debit += sum(map(debit.__getitem__, rows))
            self.excluded_credit += sum(map(credit.__getitem__, rows))
            self.excluded_amount += sum(map(amount.__getitem__, rows))


def _printed(total: StatedTotal) -> _Printed:
    side_only = total.amount is not None  # 方向 + 金额 or 借方合计/贷方合计: a side of the amount
    return _Printed(total.label, total.debit, total.credit,
                    total.amount if total.debit is None and total.credit is None else None,
                    not side_only and (total.debit is not None or total.credit is not None))


def _statements(totals: list[StatedTotal]) -> list[_Printed]:
    """Totals of one label in file order, a 借 row directly followed by a 贷 row (or the other
    way round) joined into one total of both sides."""
    joined: list[_Printed] = []
    previous: StatedTotal | None = None
    for total in totals:
        printed = _printed(total)
        if (previous is not None and not printed.columns and joined and not joined[-1].columns
                and total.row == previous.row + 1 and joined[-1].net is None and printed.net is None
                and (joined[-1].debit is None) != (printed.debit is None)
                and (joined[-1].credit is None) != (printed.credit is None)):
            last = joined[-1]
            joined[-1] = _Printed(last.label, last.debit if last.debit is not None else printed.debit,
                                  last.credit if last.credit is not None else printed.credit, None, False)
        else:
            joined.append(printed)
        previous = total
    return joined


def _summed(label: str, statements: list[_Printed]) -> _Printed:
    def total(values: list[Decimal | None]) -> Decimal | None:
        present = [v for v in values if v is not None]
        return sum(present, ZERO) if present else None
    return _Printed(label, total([s.debit for s in statements]), total([s.credit for s in statements]),
                    total([s.net for s in statements]), any(s.columns for s in statements))


def _chosen_total(totals: tuple[StatedTotal, ...]) -> _Printed | None:
    """The sheet's total: each block's (see ``_block_total``), summed over its blocks."""
    blocks = [_block_total(tuple(t for t in totals if t.block == block))
              for block in dict.fromkeys(t.block for t in totals)]
    found = [b for b in blocks if b is not None]
    if len(found) <= 1:
        return found[0] if found else None
    labels = dict.fromkeys(b.label for b in found)
    label = next(iter(labels)) if len(labels) == 1 else "合计"
    return _summed(f"各块{label.removesuffix('之和')}之和", found)


def _block_total(totals: tuple[StatedTotal, ...]) -> _Printed | None:
    usable = [t for t in totals
              if t.debit is not None or t.credit is not None or t.amount is not None]
    for label in ("总计", "合计"):
        found = _statements([t for t in usable if t.label == label])
        if found:
            return found[-1]
    for label in ("本期合计", "本月合计"):  # one per month: their sum
        found = _statements([t for t in usable if t.label == label])
        if len(found) == 1:
            return found[0]
        if found:
            return _summed(f"{label}之和", found)
    found = _statements([t for t in usable if t.label == "本年累计"])
    return found[-1] if found else None


def _yuan(value: Decimal) -> str:
    return f"{value:,.2f}"
