"""alert mail keeps its delivery state: failed tries, next try, the server's last answer

Revision ID: c3a8f1d27b64
Revises: 5b1e7c2d9a40
Create Date: 2026-12-06 21:15:00+08:00

Each subscription (a user's address for alert mail) counts its failed sends in a row, when to
try again and what the server last answered; ``undeliverable`` is set when a permanently
refused address has been tried enough and mail to it stopped (shown as 邮件无法送达).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c3a8f1d27b64'
down_revision = '5b1e7c2d9a40'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('alert_subscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failures', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('undeliverable', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('alert_subscription', schema=None) as batch_op:
        batch_op.drop_column('undeliverable')
        batch_op.drop_column('last_error')
        batch_op.drop_column('next_attempt_at')
        batch_op.drop_column('failures')
