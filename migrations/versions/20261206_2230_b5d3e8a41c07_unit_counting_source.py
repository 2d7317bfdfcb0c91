"""a unit's counting source, chosen and stored; rows keep their own counting decision (issue #16)

Revision ID: b5d3e8a41c07
Revises: a9d3c5e17f42
Create Date: 2026-12-06 22:30:00+08:00

``unit.counting_source`` names the ledger source whose rows count as the unit's spending; the
rows of its other sources are kept for reconciliation (对账) and count the moment their source
is chosen.  Until now a row of a second source was stored with ``counts`` false and the reason
“本单位以“…”为支出口径，此来源仅作核对…”; the row now keeps its own decision (account rule,
payment status) and the unit's source is applied when spending is read.

The upgrade sets each unit's source to that of its first active batch (what the code decided
until now), gives the rows set aside only as a second source back their own decision (they
counted by their own rule, or the old code would not have overridden them) and recomputes the
monthly totals of their projects (they change only where the first source had been undone
since).  A batch's counted totals stay what its import said counted then.  The downgrade drops the column; the rows keep counting
by their own decision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b5d3e8a41c07'
down_revision = 'a9d3c5e17f42'
branch_labels = None
depends_on = None

SECOND_SOURCE = "本单位以“%”为支出口径，此来源仅作核对%"


def upgrade() -> None:
    # a plain ADD / DROP COLUMN: SQLite's table copy would trip over the foreign keys to ``unit``
    op.add_column('unit', sa.Column('counting_source', sa.String(length=80), nullable=True))
    op.execute("""
        UPDATE unit SET counting_source = (
            SELECT b.source FROM ledger_batch b WHERE b.unit_id = unit.id AND b.status = 'active'
            ORDER BY b.id LIMIT 1)""")
    bind = op.get_bind()
    reasons = sa.text("SELECT id FROM ledger_text WHERE value LIKE :pattern")
    text_ids = [row[0] for row in bind.execute(reasons, {"pattern": SECOND_SOURCE})]
    if not text_ids:
        return
    ids = ", ".join(str(int(i)) for i in text_ids)
    projects = [row[0] for row in bind.execute(sa.text(
        f"SELECT DISTINCT project_id FROM ledger_row WHERE not_counted_reason_text_id IN ({ids}) "
        "AND project_id IS NOT NULL"))]
    op.execute(f"UPDATE ledger_row SET counts = true, not_counted_reason_text_id = NULL "
               f"WHERE not_counted_reason_text_id IN ({ids})")
    month = ("strftime('%Y-%m-01', r.date)" if bind.dialect.name == "sqlite"
             else "date_trunc('month', r.date)::date")
    for project_id in projects:
        bind.execute(sa.text("DELETE FROM project_month_spending WHERE project_id = :p"), {"p": project_id})
        bind.execute(sa.text(f"""
            INSERT INTO project_month_spending (project_id, month, amount, row_count)
            SELECT r.project_id, {month}, SUM(r.amount), COUNT(r.id)
            FROM ledger_row r JOIN ledger_batch b ON b.id = r.batch_id AND b.status = 'active'
            JOIN unit u ON u.id = b.unit_id AND u.counting_source = b.source
            WHERE r.project_id = :p AND r.counts = true AND r.superseded_by_batch_id IS NULL
            GROUP BY r.project_id, {month}"""), {"p": project_id})


def downgrade() -> None:
    op.execute("ALTER TABLE unit DROP COLUMN counting_source")
