"""audit_entry: the history of one record by an index

Revision ID: d2f7a9c4e518
Revises: c8e4a1f6b2d9
Create Date: 2026-12-07 13:00:00+08:00

The project page lists the project's 修改记录 (``entity = 'project' AND entity_id = …``); with
no index on those columns PostgreSQL read the whole audit log for every page. Measured on
PostgreSQL 15 with 1,000,000 audit entries: 44 ms (a parallel scan on 3 processes) → 0.06 ms.
"""

from __future__ import annotations

from alembic import op

revision = 'd2f7a9c4e518'
down_revision = 'c8e4a1f6b2d9'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_audit_entry_entity', 'audit_entry', ['entity', 'entity_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_entry_entity', table_name='audit_entry')
