"""The whole-file work at the end of a ledger import: the month sums grouped column-wise
(``spending.month_sums``) agree with a row-by-row sum on the edge cases; a preview's project
totals, matched rows and month totals all come from that one grouping, and follow its counting
when the counting source changes before the commit; the rows are not read when there is
nothing to read (no batch to replace, no counting batch yet); the chunk matcher's year per row."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tracker.importers.ledger.records import LedgerColumns, yuan
from tracker.importers.ledger.records import LedgerRow as ParsedRow
from tracker.models import Project
from tracker.services import spending
from tracker.services.ledger_import import LedgerUpload, commit, prepare
from tracker.services.ledger_matching import ChunkMatcher
from tracker.services.ledger_preview import LedgerPreview
from tracker.services.spending import month_sums

from .test_ledger_bulk_insert import month_table, recomputed
from .test_ledger_import import EXPECTED, FIXTURES, H1, JAN_JUL, load_seed, shizuishan_csv


def row_by_row(project_ids: list[int | None], dates: list[date], amount_fen: list[int],
               counts: list[bool]) -> dict[tuple[int, date], tuple[int, int]]:
    """The month sums the plain way, one row at a time."""
    sums: dict[tuple[int, date], tuple[int, int]] = {}
    for pid, day, cents, flag in zip(project_ids, dates, amount_fen, counts, strict=True):
        if flag and pid is not None:
            total, rows = sums.get((pid, day.replace(day=1)), (0, 0))
            sums[pid, day.replace(day=1)] = (total + cents, rows + 1)
    return sums


EDGE_CASES = {
    "empty": ([], [], [], []),
    "nothing matched": ([None, None], [date(2024, 1, 5)] * 2, [100, 200], [True, True]),
    "nothing counted": ([1, 2], [date(2024, 1, 5)] * 2, [100, 200], [False, False]),
    "refunds and credits net out": ([1, 1, 1, 2], [date(2024, 3, 1), date(2024, 3, 31), date(2024, 4, 1),
                                                   date(2024, 4, 2)], [500, -500, -1, 0], [True] * 4),
    "rows not counted left out": ([1, 1, None, 1], [date(2024, 5, 5)] * 4, [1, 10, 100, 1000],
                                  [True, False, True, True]),
    "several years, same month": ([7, 7, 7], [date(2023, 12, 31), date(2024, 12, 1), date(2025, 12, 15)],
                                  [1, 2, 3], [True] * 3),
    "far dates": ([1, 2], [date(1, 1, 1), date(9999, 12, 31)], [5, 6], [True, True]),
    "big ids": ([10**12, 3], [date(2024, 1, 1)] * 2, [1, 2], [True, True]),
    "sums beyond int64": ([1, 1, 2], [date(2024, 1, 1)] * 3, [2**62, 2**62, -(2**62)], [True] * 3),
    "amounts beyond int64": ([1, 1], [date(2024, 1, 1)] * 2, [10**30, -1], [True, True]),
}


@pytest.mark.parametrize("case", list(EDGE_CASES))
@pytest.mark.parametrize("bins", [spending._MONTH_SUM_BINS, 1])  # 1: only the pairs present (sorted)
def test_month_sums_agree_with_a_row_by_row_sum(case: str, bins: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spending, "_MONTH_SUM_BINS", bins)
    columns = EDGE_CASES[case]
    found = month_sums(*columns)
    assert found == row_by_row(*columns)
    assert all(type(pid) is int and type(cents) is int and type(rows) is int  # exact integers
               for (pid, _), (cents, rows) in found.items())


def test_month_sums_agree_with_a_row_by_row_sum_on_random_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    draw = random.Random(20261207)
    for trial in range(200):
        monkeypatch.setattr(spending, "_MONTH_SUM_BINS", draw.choice([1, 5, 1 << 22]))
        size = draw.choice([1, 3, 40, 400])
        start = draw.choice([date(2024, 1, 1), date(1969, 11, 20), date(1, 1, 1)])
        biggest = draw.choice([100, 10**12, 2**62, 10**25])
        columns = ([draw.choice([None, 1, 2, 3, 10**9]) for _ in range(size)],
                   [start + timedelta(days=draw.randrange(800)) for _ in range(size)],
                   [draw.randrange(-biggest, biggest) for _ in range(size)],
                   [draw.random() < 0.8 for _ in range(size)])
        assert month_sums(*columns) == row_by_row(*columns), trial


def preview_by_rows(preview: LedgerPreview) -> tuple[dict[int, tuple[int, Decimal]], int]:
    """Per project (rows, amount) and the matched rows of a preview, from its rows one by one."""
    totals: dict[int, tuple[int, Decimal]] = {}
    matched = 0
    for (pid, _), (counts, _), cents in zip(preview.matches, preview.counting,
                                            preview.parse.columns.amount_fen, strict=True):
        if counts and pid is not None:
            rows, amount = totals.get(pid, (0, Decimal("0.00")))
            totals[pid] = (rows + 1, amount + yuan(cents))
            matched += 1
    return totals, matched


@pytest.mark.parametrize("file_name", list(EXPECTED))
def test_preview_totals_equal_the_rows_one_by_one(session: Session, file_name: str) -> None:
    """Matched by code (唐山), by name (高新区), with refunds, returned and voided rows."""
    load_seed(session, EXPECTED[file_name]["seed"])
    period = "2025-01-01..2025-06-30" if file_name.startswith("payments_shizuishan") else None
    preview = prepare(session, LedgerUpload(file_name, (FIXTURES / file_name).read_bytes()), period=period)
    totals, matched = preview_by_rows(preview)
    assert {t.project_id: (t.rows, t.amount) for t in preview.project_totals} == totals
    assert preview.matched_rows == matched and matched > 0
    assert preview.month_sums == row_by_row(preview.project_ids, preview.parse.columns.date,
                                            preview.parse.columns.amount_fen, preview.counted_flags)


def test_unmatched_rows_are_in_no_total(session: Session) -> None:
    load_seed(session, "004_543d86f9f0ad9464.txt")
    rows = H1 + [("2025-03-03", "没有这个项目", "7.00"), ("2025-05-05", "中央引导地方科技发展资金", "-1,000.00")]
    preview = prepare(session, LedgerUpload("h1.csv", shizuishan_csv(rows)), period="2025-01-01..2025-06-30")
    totals, matched = preview_by_rows(preview)
    assert preview.unmatched_rows == 1 and preview.matched_rows == matched == 3
    assert {t.project_id: (t.rows, t.amount) for t in preview.project_totals} == totals
    assert sorted(amount for _, amount in totals.values()) == [Decimal("12000.00"), Decimal("999000.00")]


def test_a_preview_whose_source_stops_counting_before_its_commit_adds_nothing(session: Session) -> None:
    """The month sums a preview kept are those of its counting then: when another source became
    the unit's counting one meanwhile, the commit counts none of its rows in the month totals."""
    load_seed(session, "004_543d86f9f0ad9464.txt")
    upload = LedgerUpload("books.csv", shizuishan_csv(H1))
    waiting = prepare(session, upload, period="2025-01-01..2025-06-30", source="用友明细账")
    assert waiting.month_sums and waiting.counted_rows == 2  # the unit's first source, so far
    first = commit(session, prepare(session, LedgerUpload("pay.csv", shizuishan_csv(JAN_JUL)),
                                    period="2025-01-01..2025-07-31"), "test")
    assert first.imported
    result = commit(session, waiting, "test")
    assert result.imported and result.preview.counted_rows == 0 and result.preview.month_sums == {}
    assert month_table(session) == recomputed(session)
    assert sum(amount for _, _, amount, _ in month_table(session)) == Decimal("1512000.00")


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def reads_rows_of_other_batches(seen: list[str]) -> list[str]:
    """The statements that read or change stored ledger rows for replacement or month totals."""
    return [s for s in seen if s.startswith("UPDATE ledger_row SET superseded_by_batch_id")
            or ("FROM ledger_row" in s and ("count(ledger_row.id)" in s or "sum(ledger_row.amount)" in s))]


def test_the_first_import_into_an_empty_database_reads_no_stored_rows(session: Session) -> None:
    load_seed(session, "004_543d86f9f0ad9464.txt")
    with statements(session) as seen:
        result = commit(session, prepare(session, LedgerUpload("h1.csv", shizuishan_csv(H1)),
                                         period="2025-01-01..2025-06-30"), "test")
    assert result.imported and result.batch.replaced_rows == 0 and result.preview.replaced_rows == 0
    # the two-step commit adds its (active) batch before the month totals: they are read, the
    # rows to replace are not
    assert not [s for s in reads_rows_of_other_batches(seen) if "sum(ledger_row.amount)" not in s]
    assert month_table(session) == recomputed(session) != []


def test_an_import_next_to_an_older_one_replaces_nothing_without_an_update(session: Session) -> None:
    load_seed(session, "004_543d86f9f0ad9464.txt")
    commit(session, prepare(session, LedgerUpload("h1.csv", shizuishan_csv(H1)),
                            period="2025-01-01..2025-06-30"), "test")
    july = [("2025-07-10", "中央引导地方科技发展资金", "500,000.00")]
    with statements(session) as seen:
        result = commit(session, prepare(session, LedgerUpload("jul.csv", shizuishan_csv(july)),
                                         period="2025-07-01..2025-07-31"), "test")
    assert result.imported and result.batch.replaced_rows == 0
    replaced = reads_rows_of_other_batches(seen)
    assert any("count(ledger_row.id)" in s for s in replaced)  # counted: an older batch exists
    assert not any(s.startswith("UPDATE ledger_row") for s in replaced)
    assert month_table(session) == recomputed(session)


def test_month_totals_read_no_rows_while_no_batch_counts(session: Session) -> None:
    load_seed(session, "004_543d86f9f0ad9464.txt")
    first, *others = session.scalars(select(Project.id).order_by(Project.id)).all()
    with statements(session) as seen:
        spending.refresh_month_totals(session, [first, *others], adding={(first, date(2025, 1, 1)): (5, 1)})
    assert not reads_rows_of_other_batches(seen)
    assert [(pid, month, amount) for pid, month, amount, _ in month_table(session)] == [
        (first, date(2025, 1, 1), Decimal("0.05"))]


def parsed_row(day: date, code: str | None, name: str | None = None) -> ParsedRow:
    return ParsedRow("s", 2, day, None, None, None, None, code, name, None, None, None, None, None, None,
                     None, Decimal("1.00"), Decimal("0.00"), Decimal("1.00"), True, None)


def test_chunk_matches_take_each_rows_own_year() -> None:
    """One year in a chunk (repeated, not looked up per row) or several: a row matches only the
    projects of its own year; a year without projects matches nothing."""
    projects = [SimpleNamespace(id=1, year=2024, code="P1", name="甲项目"),
                SimpleNamespace(id=2, year=2025, code="P1", name="甲项目"),
                SimpleNamespace(id=3, year=2025, code="P2", name="乙项目名称")]
    matcher = ChunkMatcher(projects)  # type: ignore[arg-type]
    one_year = LedgerColumns.from_rows([parsed_row(date(2025, 1, 2), "P1"), parsed_row(date(2025, 12, 31), None, "乙项目名称")])
    assert matcher.match(one_year) == [(2, "code"), (3, "name")]
    mixed = LedgerColumns.from_rows([parsed_row(date(2024, 12, 31), "P1"), parsed_row(date(2025, 1, 1), "P1"),
                                     parsed_row(date(2026, 1, 1), "P1"), parsed_row(date(2024, 6, 1), "P2")])
    assert matcher.match(mixed) == [(1, "code"), (2, "code"), (None, None), (None, None)]
    assert matcher.match(LedgerColumns.from_rows([])) == []
    assert matcher.results == [(2, "code"), (3, "name"), (1, "code"), (2, "code"), (None, None), (None, None)]
