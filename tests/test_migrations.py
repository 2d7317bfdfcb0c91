"""Migrations: empty → head, models agree with migrations, one step down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from tracker import migration
from tracker.db import Base, make_engine


def test_upgrade_compare_downgrade_upgrade(fresh_database_url: str) -> None:
    engine = make_engine(fresh_database_url)
    try:
        migration.upgrade(fresh_database_url, engine)
        assert migration.current_revision(engine) == migration.head_revision()
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"

        tables_at_head = set(inspect(engine).get_table_names())
        migration.downgrade(fresh_database_url, engine, "-1")
        assert migration.current_revision(engine) != migration.head_revision()
        migration.upgrade(fresh_database_url, engine)
        assert migration.current_revision(engine) == migration.head_revision()
        assert set(inspect(engine).get_table_names()) == tables_at_head
    finally:
        engine.dispose()


def test_revision_files_are_date_first() -> None:
    names = sorted(p.name for p in (migration.MIGRATIONS / "versions").glob("*.py"))
    assert names, "no revision files"
    for name in names:
        assert name[:8].isdigit() and name[8] == "_", name


def test_ledger_texts_survive_the_move_to_ledger_text_and_back(fresh_database_url: str) -> None:
    """Rows imported before the reference texts moved to ``ledger_text`` read the same after the
    upgrade (each distinct text stored once), and the downgrade puts the texts back in the rows."""
    from datetime import date

    from sqlalchemy import select, text
    from sqlalchemy.orm import Session

    from tracker.models import LedgerRow, LedgerText

    engine = make_engine(fresh_database_url)
    try:
        migration.upgrade(fresh_database_url, engine, "d667ea9eaaaa")
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO unit (id, code, name) VALUES (1, '1', '科技局')"))
            connection.execute(text(
                "INSERT INTO ledger_batch (id, unit_id, source, source_kind, file_name, checksum, period_start,"
                " period_end, period_source, imported_at, actor, status, rows_read, transactions,"
                " summary_rows_skipped, counted_rows, counted_total, matched_rows, unmatched_rows, replaced_rows,"
                " mapping, findings) VALUES (1, 1, '国库集中支付', 'payment_list', 'a.csv', 'x', :start, :end,"
                " 'stated', :start, 'test', 'active', 2, 2, 0, 2, 300, 0, 2, 0, '{}', '[]')"),
                {"start": date(2024, 1, 1), "end": date(2024, 12, 31)})
            for number, (status, reason) in enumerate([("已支付", None), ("已退回", "退回或作废")], start=1):
                connection.execute(text(
                    "INSERT INTO ledger_row (batch_id, unit_id, sheet, row_number, date, voucher, summary,"
                    " project_name, unit_name, status, debit, credit, amount, counts, not_counted_reason,"
                    " fund_nature) VALUES (1, 1, '支付明细', :n, :day, :voucher, '差旅费', '科技创新专项',"
                    " '科技局', :status, 100, 0, 100, :counts, :reason, '')"),
                    {"n": number, "day": date(2024, 3, number), "voucher": f"ZF{number}", "status": status,
                     "counts": reason is None, "reason": reason})
        migration.upgrade(fresh_database_url, engine)
        with Session(engine) as session:
            rows = session.scalars(select(LedgerRow).order_by(LedgerRow.id)).all()
            assert [(r.sheet, r.voucher, r.summary, r.project_name, r.unit_name, r.status,
                     r.not_counted_reason, r.fund_nature, r.project_code) for r in rows] == [
                ("支付明细", "ZF1", "差旅费", "科技创新专项", "科技局", "已支付", None, None, None),
                ("支付明细", "ZF2", "差旅费", "科技创新专项", "科技局", "已退回", "退回或作废", None, None)]
            assert sorted(session.scalars(select(LedgerText.value))) == sorted(
                ["支付明细", "科技创新专项", "科技局", "已支付", "已退回", "退回或作废"])
        migration.downgrade(fresh_database_url, engine, "d667ea9eaaaa")
        with engine.connect() as connection:
            assert connection.execute(text(
                "SELECT sheet, project_name, status, not_counted_reason FROM ledger_row ORDER BY id")).all() == [
                ("支付明细", "科技创新专项", "已支付", None), ("支付明细", "科技创新专项", "已退回", "退回或作废")]
        migration.upgrade(fresh_database_url, engine)
    finally:
        engine.dispose()
