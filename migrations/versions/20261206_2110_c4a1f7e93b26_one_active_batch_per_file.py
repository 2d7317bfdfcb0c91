"""one active ledger batch per file, unit and source (issue #21)

Revision ID: c4a1f7e93b26
Revises: c4a7e2f19b3d
Create Date: 2026-12-06 21:10:00+00:00

A partial unique index on ``ledger_batch (unit_id, source, checksum) WHERE status = 'active'``
lets the database refuse a second active batch of the same file (two imports at the same
moment used to land both and count the money twice).

A database where that already happened cannot take the index as it is, so the upgrade first
repairs it: of each group of active batches holding the same file for the same unit and
source, the first stays and the others are undone (``undone_by`` = ``迁移：重复导入``), as
``tracker ledger undo`` would; the rows of those units and sources are then marked replaced
again by the rule the code now follows (a row is replaced by the first active batch of its
unit and source imported after its own batch whose period covers its date), and the monthly
spending totals of their projects recomputed.  The downgrade drops the index (the repair
stays: it is what the data should have been).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = 'c4a1f7e93b26'
down_revision = 'c4a7e2f19b3d'
branch_labels = None
depends_on = None

UNDONE_BY = "迁移：重复导入"


def upgrade() -> None:
    _undo_duplicate_batches()
    with op.batch_alter_table('ledger_batch', schema=None) as batch_op:
        batch_op.create_index('uq_ledger_batch_active_checksum', ['unit_id', 'source', 'checksum'],
                              unique=True, sqlite_where=sa.text("status = 'active'"),
                              postgresql_where=sa.text("status = 'active'"))


def downgrade() -> None:
    with op.batch_alter_table('ledger_batch', schema=None) as batch_op:
        batch_op.drop_index('uq_ledger_batch_active_checksum',
                            sqlite_where=sa.text("status = 'active'"),
                            postgresql_where=sa.text("status = 'active'"))


def _undo_duplicate_batches() -> None:
    connection = op.get_bind()
    duplicates = connection.execute(sa.text(
        "SELECT later.id, later.unit_id, later.source FROM ledger_batch later "
        "WHERE later.status = 'active' AND EXISTS (SELECT 1 FROM ledger_batch first "
        "WHERE first.status = 'active' AND first.unit_id = later.unit_id "
        "AND first.source = later.source AND first.checksum = later.checksum "
        "AND first.id < later.id)")).all()
    if not duplicates:
        return
    now = datetime.now(UTC).replace(tzinfo=None)  # UTCDateTime stores naive UTC
    for batch_id, _unit, _source in duplicates:
        connection.execute(sa.text(
            "UPDATE ledger_batch SET status = 'undone', undone_at = :now, undone_by = :by "
            "WHERE id = :id"), {"now": now, "by": UNDONE_BY, "id": batch_id})
    for unit_id, source in sorted({(unit, source) for _id, unit, source in duplicates}):
        connection.execute(sa.text(
            "UPDATE ledger_row SET superseded_by_batch_id = ("
            " SELECT min(newer.id) FROM ledger_batch own JOIN ledger_batch newer"
            " ON newer.unit_id = own.unit_id AND newer.source = own.source AND newer.id > own.id"
            " WHERE own.id = ledger_row.batch_id AND newer.status = 'active'"
            " AND newer.period_start <= ledger_row.date AND newer.period_end >= ledger_row.date) "
            "WHERE batch_id IN (SELECT id FROM ledger_batch WHERE unit_id = :unit AND source = :source)"),
            {"unit": unit_id, "source": source})
    month = ("strftime('%Y-%m-01', r.date)" if connection.dialect.name == "sqlite"
             else "CAST(date_trunc('month', r.date) AS DATE)")
    for unit_id in sorted({unit for _id, unit, _source in duplicates}):
        connection.execute(sa.text(
            "DELETE FROM project_month_spending WHERE project_id IN "
            "(SELECT id FROM project WHERE unit_id = :unit)"), {"unit": unit_id})
        connection.execute(sa.text(
            "INSERT INTO project_month_spending (project_id, month, amount, row_count) "
            f"SELECT r.project_id, {month}, sum(r.amount), count(r.id) FROM ledger_row r "
            "JOIN ledger_batch b ON b.id = r.batch_id AND b.status = 'active' "
            "JOIN project p ON p.id = r.project_id AND p.unit_id = :unit "
            "WHERE r.counts AND r.superseded_by_batch_id IS NULL "
            f"GROUP BY r.project_id, {month}"), {"unit": unit_id})
