"""The bulk insert of ledger rows (ledger_rows.py) stores exactly what the ORM would, whatever
the chunking decides per column (left out when empty, bound once when constant, '' or 0 marking
the empty rows of a partly empty column); an import's monthly totals, computed before its rows
are written, equal a recomputation from the stored rows."""

from __future__ import annotations

import itertools

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, inspect, select, text
from sqlalchemy.orm import Session

from tracker.importers.ledger.records import LedgerRow as ParsedRow
from tracker.models import LedgerBatch, LedgerRow, LedgerText, Project, ProjectMonthSpending, Unit
from tracker.models.ledger import intern_texts
from tracker.services import ledger_rows
from tracker.services.ledger_import import LedgerUpload, commit, prepare, undo
from tracker.services.ledger_rows import insert_rows
from tracker.services.spending import month_sums, refresh_month_totals

from .test_ledger_import import EXPECTED, FIXTURES, load_seed, shizuishan_csv

STORED = ("sheet", "row_number", "date", "voucher", "summary", "account_code", "account_name",
          "project_code", "project_name", "project_ref_raw", "document_no", "unit_name",
          "functional_class", "economic_class", "fund_nature", "status", "debit", "credit",
          "amount", "counts", "not_counted_reason", "project_id", "match_method")


_serial = itertools.count(1)


def a_batch(session: Session, name: str = "bulk.csv") -> LedgerBatch:
    unit = session.scalars(select(Unit)).first()
    if unit is None:
        unit = Unit(code="999001", name="测试单位")
        session.add(unit)
        session.flush()
    batch = LedgerBatch(unit_id=unit.id, source="测试", source_kind="payment_list", file_name=name,
                        checksum=f"{name}-{next(_serial)}",  # one active batch per file
                        period_start=date(2024, 1, 1), period_end=date(2024, 12, 31),
                        period_source="stated", actor="test", rows_read=0, transactions=0,
                        summary_rows_skipped=0, counted_rows=0, counted_total=Decimal(0),
                        matched_rows=0, unmatched_rows=0, replaced_rows=0, mapping={}, findings=[])
    session.add(batch)
    session.flush()
    return batch


def stored(session: Session, batch: LedgerBatch) -> list[tuple[object, ...]]:
    session.expire_all()
    return [tuple(getattr(row, name) for name in STORED) for row in session.scalars(
        select(LedgerRow).where(LedgerRow.batch_id == batch.id).order_by(LedgerRow.id))]


def the_orm_way(session: Session, rows: list[ParsedRow], matches: list[tuple[int | None, str | None]],
                counting: list[tuple[bool, str | None]]) -> list[tuple[object, ...]]:
    """What one LedgerRow object per row stores (empty texts as NULL, like the bulk insert)."""
    batch = a_batch(session, "orm.csv")
    session.add_all(LedgerRow(
        batch_id=batch.id, unit_id=batch.unit_id, sheet=r.sheet or None, row_number=r.row, date=r.date,
        voucher=r.voucher or None, summary=r.summary or None, account_code=r.account_code or None,
        account_name=r.account_name or None, project_code=r.project_code or None,
        project_name=r.project_name or None, project_ref_raw=r.project_ref_raw or None,
        document_no=r.document_no or None, unit_name=r.unit_name or None,
        functional_class=r.functional_class or None, economic_class=r.economic_class or None,
        fund_nature=r.fund_nature or None, status=r.status or None, debit=r.debit, credit=r.credit,
        amount=r.amount, counts=counts, not_counted_reason=reason or None, project_id=pid,
        match_method=method) for r, (pid, method), (counts, reason) in zip(rows, matches, counting))
    session.flush()
    return stored(session, batch)


def row(number: int, **fields: object) -> ParsedRow:
    base = {"sheet": "支付明细", "row": number, "date": date(2024, 1 + number % 12, 1 + number % 28),
                "voucher": f"ZF-{number:05d}", "summary": "拨付项目经费", "account_code": None, "account_name": None,
                "project_code": "P001", "project_name": "科技创新专项", "project_ref_raw": None,
                "document_no": "冀财教〔2024〕1号", "unit_name": "唐山市科学技术局", "functional_class": None,
                "economic_class": None, "fund_nature": None, "status": "已支付", "debit": Decimal("1234.50"),
                "credit": Decimal("0.00"), "amount": Decimal("1234.50"), "counts": True, "not_counted_reason": None}
    base.update(fields)
    return ParsedRow(**base)  # type: ignore[arg-type]


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 8 rows, statements of 3: every plan and the last short statement occur."""
    monkeypatch.setattr(ledger_rows, "CHUNK_ROWS", 8)
    monkeypatch.setattr(ledger_rows, "ROWS_PER_STATEMENT", 3)


def test_every_column_plan_stores_what_the_orm_stores(session: Session, small_chunks: None) -> None:
    project = Project(unit_id=a_batch(session).unit_id, year=2024, code="P001", name="科技创新专项",
                      natural_key="P001", initial_budget=Decimal(1), annual_budget=Decimal(1))
    session.add(project)
    session.flush()
    rows = [row(n) for n in range(3, 21)]  # chunks: rows 3–10, 11–18, 19–20
    # chunk 1: fund_nature empty everywhere (left out); chunk 2: filled in some rows, '' and None
    # in others (NULL); chunk 3: filled in every row (constant)
    for n, fund in ((11, "一般公共预算"), (12, ""), (13, None), (14, "政府性基金"), (19, "专户"), (20, "专户")):
        rows[n - 3] = replace(rows[n - 3], fund_nature=fund)
    rows[5] = replace(rows[5], status="已退回", summary="", debit=Decimal("-0.01"),
                      amount=Decimal("-0.01"), account_code="7201")
    rows[16] = replace(rows[16], credit=Decimal("99999999999.99"), amount=Decimal("-99998765.49"),
                       voucher=None, unit_name="")
    matches = [(project.id, "code") if n % 3 else (None, None) for n in range(len(rows))]
    counting = [(False, "支付状态为“已退回”，不计入支出") if r.status == "已退回" else (True, None)
                for r in rows]
    batch = a_batch(session)
    insert_rows(session, batch, rows, matches, counting)
    bulk = stored(session, batch)
    assert bulk == the_orm_way(session, rows, matches, counting)
    assert [r[1] for r in bulk] == [r.row for r in rows]  # ids follow the file's order
    assert [r[14] for r in bulk][8:12] == ["一般公共预算", None, None, "政府性基金"]
    assert bulk[5][18] == Decimal("-0.01") and bulk[16][17] == Decimal("99999999999.99")
    assert bulk[16][3] is None and bulk[16][11] is None


def test_a_chunk_of_one_row_and_a_single_row(session: Session, small_chunks: None) -> None:
    rows = [row(n) for n in range(1, 10)]  # the last chunk holds one row: everything constant
    matches = [(None, None)] * len(rows)
    counting = [(True, None)] * len(rows)
    batch = a_batch(session)
    insert_rows(session, batch, rows, matches, counting)
    assert stored(session, batch) == the_orm_way(session, rows, matches, counting)
    other = a_batch(session, "one.csv")
    insert_rows(session, other, rows[:1], matches[:1], counting[:1])
    assert len(stored(session, other)) == 1


def test_rows_matches_and_counting_must_agree(session: Session) -> None:
    with pytest.raises(ValueError):
        insert_rows(session, a_batch(session), [row(1)], [], [(True, None)])


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_sample_exports_store_what_the_orm_stores(session: Session, file_name: str,
                                                  small_chunks: None) -> None:
    load_seed(session, EXPECTED[file_name]["seed"])
    options = {"period": "2025-01-01..2025-06-30"} if file_name.endswith(".csv") else {}
    preview = prepare(session, LedgerUpload(file_name, (FIXTURES / file_name).read_bytes()), **options)
    rows = list(preview.parse.rows)
    batch = a_batch(session)
    insert_rows(session, batch, rows, preview.matches, preview.counting)
    assert stored(session, batch) == the_orm_way(session, rows, preview.matches, preview.counting)


def month_table(session: Session) -> list[tuple[int, date, Decimal, int]]:
    session.expire_all()
    return [(m.project_id, m.month, m.amount, m.row_count) for m in session.scalars(
        select(ProjectMonthSpending).order_by(ProjectMonthSpending.project_id, ProjectMonthSpending.month))]


def recomputed(session: Session) -> list[tuple[int, date, Decimal, int]]:
    """The monthly totals recomputed from the stored rows alone."""
    ids = list(session.scalars(select(Project.id)))
    session.execute(delete(ProjectMonthSpending))
    refresh_month_totals(session, ids)
    return month_table(session)


def test_month_totals_of_an_import_equal_a_recomputation(session: Session) -> None:
    expected = EXPECTED["payments_shizuishan_2025H1_utf8bom.csv"]
    load_seed(session, expected["seed"])
    name = "payments_shizuishan_2025H1_utf8bom.csv"
    first = commit(session, prepare(session, LedgerUpload(name, (FIXTURES / name).read_bytes()),
                                    period="2025-01-01..2025-06-30"), "test")
    assert first.imported
    after_first = month_table(session)
    assert after_first and after_first == recomputed(session)
    # a newer export replaces part of the period: older rows superseded, new ones added
    rows = [("2025-03-03", "项目：A", "100.00"), ("2025-06-30", "项目：B", "2,000.00")]
    newer = commit(session, prepare(session, LedgerUpload("newer.csv", shizuishan_csv(rows)),
                                    unit=first.batch.unit_id, period="2025-03-01..2025-06-30"), "test")
    assert newer.imported, newer.reason
    assert month_table(session) == recomputed(session)
    undo(session, newer.batch.id, "test")
    assert month_table(session) == after_first


def test_month_sums_are_exact_integer_fen() -> None:
    sums = month_sums([1, 1, None, 2, 1], [date(2024, 1, 31), date(2024, 1, 2), date(2024, 1, 2),
                                           date(2024, 2, 1), date(2024, 2, 29)],
                      [10**15 + 1, 2, 5, -7, 3], [True, True, True, True, False])
    assert sums == {(1, date(2024, 1, 1)): (10**15 + 3, 2), (2, date(2024, 2, 1)): (-7, 1)}


def test_rows_added_for_a_project_not_refreshed_are_refused(session: Session) -> None:
    with pytest.raises(ValueError):
        refresh_month_totals(session, [1], adding={(2, date(2024, 1, 1)): (1, 1)})


def test_the_plans_per_chunk() -> None:
    columns = [("batch_id", ledger_rows._Same(7, 4)), ("row_number", [1, 2, 3, 4]),
               ("fund_nature_text_id", [None, 0, None, None]), ("status_text_id", [5] * 4),
               ("summary", ["a", None, "", "b"]), ("project_id", [3, None, 3, 0]), ("credit", [0, 0, 0, 0])]
    (chunk,) = ledger_rows._chunks(columns, 4, mark=True)
    assert chunk.constants == [("batch_id", 7), ("status_text_id", 5), ("credit", 0)]
    assert chunk.varying == [("row_number", False), ("summary", True), ("project_id", True)]
    assert chunk.values == [[1, 2, 3, 4], ["a", "", "", "b"], [3, 0, 3, 0]]
    (chunk,) = ledger_rows._chunks(columns, 4, mark=False)  # PostgreSQL: None, no marker
    assert chunk.values == [[1, 2, 3, 4], ["a", None, None, "b"], [3, None, 3, None]]


def test_each_reference_text_is_stored_once(session: Session, small_chunks: None) -> None:
    """Two batches, bulk and ORM, sharing texts: every distinct text is one ``ledger_text`` row
    and the rows of both refer to it; 摘要 and 凭证号 stay in the row."""
    rows = [row(n) for n in range(1, 12)]
    matches = [(None, None)] * len(rows)
    counting = [(True, None)] * len(rows)
    first, second = a_batch(session, "a.csv"), a_batch(session, "b.csv")
    insert_rows(session, first, rows, matches, counting)
    insert_rows(session, second, rows, matches, counting)
    the_orm_way(session, rows, matches, counting)
    texts = list(session.scalars(select(LedgerText.value)))
    assert sorted(texts) == sorted({"支付明细", "P001", "科技创新专项", "冀财教〔2024〕1号", "唐山市科学技术局",
                                    "已支付"})
    ids = set(session.scalars(select(LedgerRow.project_name_text_id)))
    assert len(ids) == 1
    assert intern_texts(session.connection(), ["科技创新专项", "新的文本"]) == {
        "科技创新专项": ids.pop(), "新的文本": session.scalar(select(LedgerText.id).where(
            LedgerText.value == "新的文本"))}


ODD_TEXTS = ['逗号,与"引号"', "换行\n与\r\n回车", "\\.", "\\N", "  前后空格  ", "tab\t分隔", "NULL", ""]


def test_odd_texts_survive_the_bulk_insert(session: Session, small_chunks: None) -> None:
    """COPY's CSV on PostgreSQL, multi-row VALUES on SQLite: separators, quotes, line breaks, the
    COPY end marker and NULL spellings are stored as they are; only '' becomes NULL."""
    rows = [row(n, summary=text, voucher=f"{text}{n}", project_name=text or None, unit_name=text)
            for n, text in enumerate(ODD_TEXTS * 2, start=1)]
    matches = [(None, None)] * len(rows)
    counting = [(True, None)] * len(rows)
    batch = a_batch(session)
    insert_rows(session, batch, rows, matches, counting)
    bulk = stored(session, batch)
    assert bulk == the_orm_way(session, rows, matches, counting)
    assert [r[4] for r in bulk] == [text or None for text in ODD_TEXTS * 2]


def ledger_row_schema(session: Session) -> tuple[object, ...]:
    inspector = inspect(session.connection())
    return (sorted((ix["name"], tuple(ix["column_names"])) for ix in inspector.get_indexes("ledger_row")),
            sorted((fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"],
                    fk.get("options", {}).get("ondelete")) for fk in inspector.get_foreign_keys("ledger_row")))


@pytest.fixture
def big_batches(monkeypatch: pytest.MonkeyPatch, small_chunks: None) -> None:
    """A batch of 5 rows counts as big: indexes (and on PostgreSQL the foreign keys) are set
    aside while it is written."""
    monkeypatch.setattr(ledger_rows, "REBUILD_INDEXES_FROM", 5)


def test_a_big_batch_leaves_the_indexes_and_keys_as_they_were(session: Session, big_batches: None,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    before = ledger_row_schema(session)
    assert len(before[0]) == 3 and len(before[1]) == 3
    set_aside: list[int] = []  # how many statements put back what was set aside
    for name in ("_sqlite_indexes", "_pg_set_aside"):
        original = getattr(ledger_rows, name)
        monkeypatch.setattr(ledger_rows, name, lambda *args, original=original: (
            set_aside.append(len(result := original(*args))) or result))
    project = Project(unit_id=a_batch(session).unit_id, year=2024, code="P001", name="科技创新专项",
                      natural_key="P001", initial_budget=Decimal(1), annual_budget=Decimal(1))
    session.add(project)
    session.flush()
    rows = [row(n) for n in range(1, 21)]
    matches = [(project.id, "code")] * len(rows)
    counting = [(True, None)] * len(rows)
    batch = a_batch(session)
    insert_rows(session, batch, rows, matches, counting)
    assert set_aside == [3 if session.get_bind().dialect.name == "sqlite" else 6]
    assert ledger_row_schema(session) == before
    assert stored(session, batch) == the_orm_way(session, rows, matches, counting)
    # the foreign keys work again: deleting the project empties project_id (ON DELETE SET NULL)
    session.execute(delete(Project).where(Project.id == project.id))
    session.expire_all()
    assert set(session.scalars(select(LedgerRow.project_id).where(LedgerRow.batch_id == batch.id))) == {None}


def test_a_big_batch_failing_midway_restores_indexes_and_keys(session: Session, big_batches: None,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    before = ledger_row_schema(session)
    writer = "_sqlite_chunk" if session.bind.dialect.name == "sqlite" else "_csv_block"
    original, calls = getattr(ledger_rows, writer), []

    def failing(*args: object) -> object:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("killed mid-import")
        return original(*args)

    monkeypatch.setattr(ledger_rows, writer, failing)
    rows = [row(n) for n in range(1, 21)]
    batch = a_batch(session)
    savepoint = session.begin_nested()
    with pytest.raises(RuntimeError):
        insert_rows(session, batch, rows, [(None, None)] * len(rows), [(True, None)] * len(rows))
    savepoint.rollback()
    assert ledger_row_schema(session) == before
    assert stored(session, batch) == []


def test_postgresql_keeps_the_keys_when_their_locks_are_busy(session: Session, big_batches: None,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Another transaction reading project: the import does not queue for the lock that dropping
    the foreign keys needs (everyone would wait behind it), it copies with the keys in place."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the foreign keys are set aside on PostgreSQL only")
    monkeypatch.setattr(ledger_rows, "PG_LOCK_TIMEOUT", "50ms")
    before = ledger_row_schema(session)
    original, restoring = ledger_rows._pg_set_aside, []
    monkeypatch.setattr(ledger_rows, "_pg_set_aside",
                        lambda *args: restoring.append(original(*args)) or restoring[-1])
    rows = [row(n) for n in range(1, 21)]
    batch = a_batch(session)
    with session.get_bind().engine.connect() as reader:  # holds a read lock on project
        reader.execute(text("SELECT count(*) FROM project"))
        insert_rows(session, batch, rows, [(None, None)] * len(rows), [(True, None)] * len(rows))
        reader.rollback()
    assert restoring == [[]]  # nothing was set aside
    assert ledger_row_schema(session) == before
    assert len(stored(session, batch)) == len(rows)
