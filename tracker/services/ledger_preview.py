"""The records of a ledger import: the preview (what an import would do, per row and in
total) and the result of a commit.  Made by ``services/ledger_import.py`` (and the
overlapped one-step import, ``services/ledger_pipeline.py``); read by the CLI and the pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from itertools import compress
from operator import itemgetter
from typing import Any

from tracker.importers.ledger.records import LedgerParse, yuan
from tracker.importers.ledger.records import LedgerRow as ParsedRow
from tracker.models import LedgerBatch, Project, Unit
from tracker.services.monitoring.snapshots import ChangeSummary
from tracker.services.spending import month_sums
from tracker.services.uploads import UploadedFile

LedgerUpload = UploadedFile  # a ledger export as uploaded


@dataclass
class ProjectTotal:
    project_id: int
    code: str | None
    name: str
    rows: int
    amount: Decimal


@dataclass
class LedgerPreview:
    upload: LedgerUpload
    parse: LedgerParse
    unit: Unit
    source: str
    period: tuple[date, date]
    period_source: str  # stated / declared / transactions
    matches: list[tuple[int | None, str | None]]  # per parsed row: (project id, method)
    counting: list[tuple[bool, str | None]]  # per parsed row after the one-source rule (shown)
    duplicate_of: int | None  # an active batch with the same checksum
    replaced_rows: int
    findings: list[dict[str, str]] = field(default_factory=list)
    project_totals: list[ProjectTotal] = field(default_factory=list)
    suggestions: dict[str, list[tuple[str, int, float]]] = field(default_factory=dict)
    # the reader's own counting, before the one-source rule (what the rows store), and the
    # unit's counting source that rule was applied with (``_read_state``)
    read_counting: list[tuple[bool, str | None]] = field(default_factory=list, repr=False)
    counting_source: str | None = None
    # the answers to the preview's questions it was read with (profile and form together):
    # 支付状态 text → counts, sheet name → project id; and the projects a sheet may be given
    status_answers: dict[str, bool] = field(default_factory=dict)
    sheet_projects: dict[str, int] = field(default_factory=dict)
    choosable_projects: list[Project] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        # kept as a plain int: ``commit`` needs it before its first statement (the lock),
        # when the unit object may be expired
        self.unit_id: int = self.unit.id

    @property
    def transactions(self) -> int:
        return len(self.parse.rows)

    # per-row passes over a million rows, each done once (``matches`` and ``counting`` are
    # never changed once the preview is made)
    @cached_property
    def project_ids(self) -> list[int | None]:
        return list(map(itemgetter(0), self.matches))

    @cached_property
    def counted_flags(self) -> list[bool]:
        return list(map(itemgetter(0), self.counting))

    @cached_property
    def counted_rows(self) -> int:
        return sum(self.counted_flags)

    @cached_property
    def counted_total(self) -> Decimal:
        return yuan(sum(compress(self.parse.columns.amount_fen, self.counted_flags)))

    @cached_property
    def month_sums(self) -> dict[tuple[int, date], tuple[int, int]]:
        """Integer-分 total and row count per (project, first of month) of the counted, matched
        rows (``spending.month_sums``): the import's month totals, project totals and matched
        rows, grouped once."""
        columns = self.parse.columns
        return month_sums(self.project_ids, columns.date, columns.amount_fen, self.counted_flags)

    @cached_property
    def matched_rows(self) -> int:
        return sum(rows for _, rows in self.month_sums.values())

    @property
    def unmatched_rows(self) -> int:
        return self.counted_rows - self.matched_rows

    @property
    def counts_now(self) -> bool:
        """Whether the rows count now: the source is the unit's counting one (or it has none)."""
        return self.counting_source in (None, self.source)

    @cached_property
    def kept_for_reconciliation(self) -> tuple[int, int]:
        """Of a source that does not count now: the rows that count by their own rule, and of
        those the matched ones (what reconciliation compares); (0, 0) when it counts."""
        if self.counts_now:
            return 0, 0
        own = list(compress(self.project_ids, map(itemgetter(0), self.read_counting)))
        return len(own), len(own) - own.count(None)

    def unmatched(self) -> list[ParsedRow]:
        if self.unmatched_rows == 0:
            return []
        rows = self.parse.rows
        pairs = zip(self.matches, self.counting, strict=True)
        return [rows[i] for i, ((pid, _), (counts, _)) in enumerate(pairs) if counts and pid is None]


@dataclass
class LedgerResult:
    batch: LedgerBatch | None
    preview: LedgerPreview
    imported: bool
    reason: str | None = None
    changes: ChangeSummary | None = None  # status changes the import caused (monitoring)
    waited: float = 0.0  # seconds spent waiting for another import of the unit
    differences: int = 0  # new 对账差异 alerts the import raised (``reconcile``)

    def as_json(self) -> dict[str, Any]:
        check = self.preview.parse.totals_check()
        return {
            "batch_id": self.batch.id if self.batch else None,
            "imported": self.imported,
            "reason": self.reason,
            "rows_read": self.preview.parse.rows_read,
            "transactions": self.preview.transactions,
            "summary_rows_skipped": self.preview.parse.summary_rows_skipped,
            "counted_rows": self.preview.counted_rows,
            "counted_total_yuan": f"{self.preview.counted_total:.2f}",
            "matched_rows": self.preview.matched_rows,
            "unmatched_rows": self.preview.unmatched_rows,
            "replaced_rows": self.batch.replaced_rows if self.batch is not None else 0,
            "waited_seconds": round(self.waited, 1),
            "period": [d.isoformat() for d in self.preview.period],
            "period_source": self.preview.period_source,
            "totals_check": {"stated": None if check.stated is None else f"{check.stated:.2f}",
                             "parsed": f"{check.parsed:.2f}", "ok": check.ok,
                             "explanation": check.explanation},
            "findings": self.preview.findings,
            "status_changes": self.changes.text if self.changes else None,
            "projects_reevaluated": self.changes.evaluated if self.changes else 0,
            "counting_source": self.preview.counting_source or self.preview.source,
            "kept_for_reconciliation_rows": self.preview.kept_for_reconciliation[0],
            "kept_for_reconciliation_matched": self.preview.kept_for_reconciliation[1],
            "reconcile_alerts": self.differences,
        }
