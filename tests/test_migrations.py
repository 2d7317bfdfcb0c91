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


def test_duplicate_active_batches_are_undone_before_the_unique_index(fresh_database_url: str) -> None:
    """Issue #21: a database where two imports of one file both landed (the money counted
    twice) upgrades: the later copy is undone, the rows and monthly totals count the file once,
    and from then on the database refuses a second active copy."""
    from datetime import date, datetime

    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    engine = make_engine(fresh_database_url)
    try:
        migration.upgrade(fresh_database_url, engine, "5b1e7c2d9a40")
        now = datetime(2026, 1, 5, 8, 0)
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO unit (id, code, name) VALUES (1, '205001', '科技局')"))
            connection.execute(text(
                "INSERT INTO project (id, unit_id, year, name, natural_key, initial_budget, annual_budget,"
                " plan_confirmed, created_at, updated_at) VALUES (1, 1, 2025, '科技创新专项', 'k', 0, 0,"
                " :no, :now, :now)"), {"now": now, "no": False})
            batch = text(
                "INSERT INTO ledger_batch (id, unit_id, source, source_kind, file_name, checksum, period_start,"
                " period_end, period_source, imported_at, actor, status, rows_read, transactions,"
                " summary_rows_skipped, counted_rows, counted_total, matched_rows, unmatched_rows, replaced_rows,"
                " mapping, findings) VALUES (:id, 1, '国库集中支付', 'payment_list', :file, :sum, :start, :end,"
                " 'declared', :now, 'cli', 'active', 2, 2, 0, 2, 0, 2, 0, 0, '{}', '[]')")
            row = text(
                "INSERT INTO ledger_row (batch_id, unit_id, row_number, date, debit, credit, amount, counts,"
                " project_id, match_method, superseded_by_batch_id) VALUES (:batch, 1, :n, :day, :amount, 0,"
                " :amount, :yes, 1, 'name', :by)")
            # last month's export, replaced by the first of the two copies of the new list
            connection.execute(batch, {"id": 1, "file": "1月.csv", "sum": "a" * 64, "start": date(2025, 1, 1),
                                       "end": date(2025, 1, 31), "now": now})
            for copy in (2, 3):  # the same 1-2月 list, landed twice at the same moment
                connection.execute(batch, {"id": copy, "file": "1-2月.csv", "sum": "b" * 64,
                                           "start": date(2025, 1, 1), "end": date(2025, 2, 28), "now": now})
            connection.execute(row, {"batch": 1, "n": 1, "day": date(2025, 1, 9), "amount": 5000,
                                     "yes": True, "by": 2})
            for copy in (2, 3):
                for n, (day, amount) in enumerate([(date(2025, 1, 9), 10_000), (date(2025, 2, 3), 20_000)], 1):
                    connection.execute(row, {"batch": copy, "n": n, "day": day, "amount": amount,
                                             "yes": True, "by": None})
            for month, amount in ((date(2025, 1, 1), 20_000), (date(2025, 2, 1), 40_000)):  # twice
                connection.execute(text("INSERT INTO project_month_spending VALUES (1, :m, :a, 2)"),
                                   {"m": month, "a": amount})
        migration.upgrade(fresh_database_url, engine)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id, status, undone_by FROM ledger_batch ORDER BY id")).all() == [
                (1, "active", None), (2, "active", None), (3, "undone", "迁移：重复导入")]
            assert connection.execute(text(
                "SELECT batch_id, superseded_by_batch_id FROM ledger_row ORDER BY batch_id, row_number")).all() == [
                (1, 2), (2, None), (2, None), (3, None), (3, None)]
            assert [(str(m)[:10], a, n) for m, a, n in connection.execute(text(
                "SELECT month, amount, row_count FROM project_month_spending ORDER BY month"))] == [
                ("2025-01-01", 10_000, 1), ("2025-02-01", 20_000, 1)]
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(text("UPDATE ledger_batch SET status = 'active' WHERE id = 3"))
        migration.downgrade(fresh_database_url, engine, "5b1e7c2d9a40")
        with engine.begin() as connection:  # the index is gone with the downgrade
            connection.execute(text("UPDATE ledger_batch SET status = 'active' WHERE id = 3"))
    finally:
        engine.dispose()


def test_rows_set_aside_as_a_second_source_get_their_own_decision_back(fresh_database_url: str) -> None:
    """Issue #16: the unit's counting source becomes a column, set from its first active batch;
    rows stored as "second source" count again by their own rule, and where the first source had
    been undone since (the old code then counted nothing) the monthly totals count them."""
    from datetime import date, datetime

    from sqlalchemy import text

    engine = make_engine(fresh_database_url)
    try:
        migration.upgrade(fresh_database_url, engine, "e7d2b94c1a58")
        now = datetime(2026, 1, 5, 8, 0)
        reason = "本单位以“财务明细账”为支出口径，此来源仅作核对（避免平行记账重复计算）"
        with engine.begin() as connection:
            for uid in (1, 2):
                connection.execute(text("INSERT INTO unit (id, code, name) VALUES (:u, :c, '科技局')"),
                                   {"u": uid, "c": f"20500{uid}"})
                connection.execute(text(
                    "INSERT INTO project (id, unit_id, year, name, natural_key, initial_budget, annual_budget,"
                    " plan_confirmed, created_at, updated_at) VALUES (:u, :u, 2025, '科技创新专项', 'k', 0, 0,"
                    " :no, :now, :now)"), {"u": uid, "now": now, "no": False})
            connection.execute(text("INSERT INTO ledger_text (id, digest, value) VALUES (7, 'r', :v)"),
                               {"v": reason})
            batch = text(
                "INSERT INTO ledger_batch (id, unit_id, source, source_kind, file_name, checksum, period_start,"
                " period_end, period_source, imported_at, actor, status, rows_read, transactions,"
                " summary_rows_skipped, counted_rows, counted_total, matched_rows, unmatched_rows, replaced_rows,"
                " mapping, findings) VALUES (:id, :u, :source, 'ledger', 'f', :sum, :start, :end,"
                " 'declared', :now, 'cli', :status, 1, 1, 0, 0, 0, 0, 0, 0, '{}', '[]')")
            row = text(
                "INSERT INTO ledger_row (batch_id, unit_id, row_number, date, debit, credit, amount, counts,"
                " project_id, match_method, not_counted_reason_text_id) VALUES (:batch, :u, 1, :day, :amount, 0,"
                " :amount, :counts, :u, 'name', :reason)")
            # unit 1: 明细账 first and still active, 国库 second; unit 2: its 明细账 was undone since
            for bid, uid, source, status, counts, why in (
                    (1, 1, "财务明细账", "active", True, None), (2, 1, "国库集中支付", "active", False, 7),
                    (3, 2, "财务明细账", "undone", True, None), (4, 2, "国库集中支付", "active", False, 7)):
                connection.execute(batch, {"id": bid, "u": uid, "source": source, "sum": str(bid) * 64,
                                           "start": date(2025, 1, 1), "end": date(2025, 1, 31), "now": now,
                                           "status": status})
                connection.execute(row, {"batch": bid, "u": uid, "day": date(2025, 1, 9),
                                         "amount": 1000 * bid, "counts": counts, "reason": why})
            connection.execute(text("INSERT INTO project_month_spending VALUES (1, :m, 1000, 1)"),
                               {"m": date(2025, 1, 1)})
        migration.upgrade(fresh_database_url, engine)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id, counting_source FROM unit ORDER BY id")).all() == [
                (1, "财务明细账"), (2, "国库集中支付")]
            assert connection.execute(text(
                "SELECT batch_id, counts, not_counted_reason_text_id FROM ledger_row ORDER BY batch_id")).all() == [
                (1, True, None), (2, True, None), (3, True, None), (4, True, None)]
            assert [(p, str(m)[:10], a) for p, m, a in connection.execute(text(
                "SELECT project_id, month, amount FROM project_month_spending ORDER BY project_id"))] == [
                (1, "2025-01-01", 1000), (2, "2025-01-01", 4000)]
        migration.downgrade(fresh_database_url, engine, "e7d2b94c1a58")
        migration.upgrade(fresh_database_url, engine)
    finally:
        engine.dispose()


def test_alert_mail_cursor_carries_over_to_per_alert_deliveries(fresh_database_url: str) -> None:
    """Alerts up to a user's cursor stay mailed after the move to ``alert_delivery``; those after
    it are still to be mailed; the downgrade puts back a cursor at the newest alert delivered."""
    from sqlalchemy import insert, select, text
    from sqlalchemy.orm import Session

    from tracker.models import Alert, AlertDelivery, AlertSubscription, User
    from tracker.services.notifications import undelivered

    engine = make_engine(fresh_database_url)
    try:
        migration.upgrade(fresh_database_url, engine, "c4e8a1f5b903")
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO unit (id, code, name) VALUES (1, '1', '科技局')"))
            connection.execute(text(
                "INSERT INTO app_user (id, username, password_hash, role, active, created_at) "
                "VALUES (1, 'leader', 'x', 'leader', :yes, :now)"), {"yes": True, "now": "2025-07-01 00:00:00"})
            for number in range(1, 5):
                connection.execute(text(
                    "INSERT INTO alert (id, unit_id, kind, severity, as_of, message, created_at) VALUES "
                    "(:id, 1, 'turned_red', 'red', '2025-06-30', :message, '2025-07-01 00:00:00')"),
                    {"id": number, "message": f"提醒{number}"})
            connection.execute(text(
                "INSERT INTO alert_subscription (user_id, email, last_alert_id, start_alert_id, updated_at) "
                "VALUES (1, 'leader@example.gov.cn', 2, 0, '2025-07-01 00:00:00')"))
        migration.upgrade(fresh_database_url, engine)
        with Session(engine) as session:
            subscription = session.get(AlertSubscription, 1)
            assert (subscription.mailed_through, subscription.settled_through) == (2, 2)
            pending = undelivered(session, session.get(User, 1), subscription)
            assert [a.id for a in pending] == [3, 4]
            session.execute(insert(AlertDelivery), [{"user_id": 1, "alert_id": 4,
                                                     "sent_at": subscription.updated_at}])
            session.commit()
            assert [a.id for a in undelivered(session, session.get(User, 1), subscription)] == [3]
            assert session.scalar(select(Alert.id).order_by(Alert.id.desc()).limit(1)) == 4
        migration.downgrade(fresh_database_url, engine, "c4e8a1f5b903")
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT last_alert_id FROM alert_subscription")) == 4
    finally:
        engine.dispose()
