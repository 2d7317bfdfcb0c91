"""match rule project text: a rule may name the project text of the rows (项目 / 辅助核算)

Revision ID: b5e91c3d7a42
Revises: b5d3e8a41c07
Create Date: 2026-12-06 22:05:00+08:00

The unmatched queue groups rows by the text that names their project; one decision assigns a
group and may be saved as a rule on that text (``project_text``), so that the next export's
rows with it match by themselves.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b5e91c3d7a42'
down_revision = 'b5d3e8a41c07'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('match_rule', schema=None) as batch_op:
        batch_op.add_column(sa.Column('project_text', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('match_rule', schema=None) as batch_op:
        batch_op.drop_column('project_text')
