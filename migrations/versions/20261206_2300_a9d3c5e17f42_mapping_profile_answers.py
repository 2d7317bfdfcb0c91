"""mapping profiles keep the answers to the preview's questions (issue #15)

Revision ID: a9d3c5e17f42
Revises: e7d2b94c1a58
Create Date: 2026-12-06 23:00:00+00:00

A named mapping profile held the columns only.  The preview also asks what a file does not say
and the reader does not guess: whether an unknown 支付状态 means the money left, and which project
a sheet without a project column belongs to.  The answers are saved with the columns, so the
same layout imported again with the profile asks nothing:

- ``status_answers``: 支付状态 text → true (the money left: counts) / false (does not count);
- ``sheet_projects``: sheet name → project id.

Both nullable JSON (a profile saved before holds no answers).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'a9d3c5e17f42'
down_revision = 'e7d2b94c1a58'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('mapping_profile', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_answers', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('sheet_projects', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mapping_profile', schema=None) as batch_op:
        batch_op.drop_column('sheet_projects')
        batch_op.drop_column('status_answers')
