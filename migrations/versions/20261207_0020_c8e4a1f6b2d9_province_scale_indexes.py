"""province scale: the latest progress report by an index-only probe

Revision ID: c8e4a1f6b2d9
Revises: b8e2d4a6c913
Create Date: 2026-12-07 00:10:00+08:00

Evaluating every project reads, per indicator, the report that counts at the date: the newest
``reported_on`` on or before it, and of several that day the last entered (highest id).  With
``(indicator_id, reported_on)`` alone PostgreSQL fetched the rows of each indicator and sorted
them by id (an incremental sort per indicator, 500,000 of them at province scale); with the id
in the index the answer is the first entry of a backward index-only scan.  Measured by
``benchmarks/province_scale.py`` (5,000 projects, 50,000 indicators): the query 1.65 s → 0.88 s.
"""

from __future__ import annotations

from alembic import op

revision = 'c8e4a1f6b2d9'
down_revision = 'b8e2d4a6c913'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_progress_report_latest', 'progress_report', ['indicator_id', 'reported_on', 'id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_progress_report_latest', table_name='progress_report')
