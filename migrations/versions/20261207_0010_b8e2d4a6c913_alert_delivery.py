"""alert mail recorded per alert (alert_delivery) instead of a per-user cursor

Revision ID: b8e2d4a6c913
Revises: c4e8a1f5b903
Create Date: 2026-12-07 00:10:00+08:00

The cursor ``alert_subscription.last_alert_id`` ("last alert id mailed") skipped an alert whose
transaction committed after a higher-numbered alert had been mailed.  Deliveries are now one
row per alert and user; the cursor is kept, renamed ``mailed_through``, as the carry-over:
everything up to it stays mailed.  ``settled_through`` (from the cursor too) bounds what the
mail reads: it moves up only where no alert below it can still commit.  Downgrade: the cursor becomes the newest alert delivered.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'b8e2d4a6c913'
down_revision = 'c4e8a1f5b903'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'alert_delivery',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('alert_id', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], name=op.f('fk_alert_delivery_alert_id_alert'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_alert_delivery_user_id_app_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'alert_id', name=op.f('pk_alert_delivery')),
    )
    op.create_index('ix_alert_delivery_alert_id', 'alert_delivery', ['alert_id'], unique=False)
    with op.batch_alter_table('alert_subscription', schema=None) as batch_op:
        batch_op.alter_column('last_alert_id', new_column_name='mailed_through',
                              existing_type=sa.Integer(), existing_nullable=False)
        batch_op.add_column(sa.Column('settled_through', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE alert_subscription SET settled_through = mailed_through")


def downgrade() -> None:
    op.execute("UPDATE alert_subscription SET mailed_through = (SELECT MAX(d.alert_id) "
               "FROM alert_delivery d WHERE d.user_id = alert_subscription.user_id) "
               "WHERE EXISTS (SELECT 1 FROM alert_delivery d WHERE d.user_id = alert_subscription.user_id "
               "AND d.alert_id > alert_subscription.mailed_through)")
    with op.batch_alter_table('alert_subscription', schema=None) as batch_op:
        batch_op.drop_column('settled_through')
        batch_op.alter_column('mailed_through', new_column_name='last_alert_id',
                              existing_type=sa.Integer(), existing_nullable=False)
    op.drop_index('ix_alert_delivery_alert_id', table_name='alert_delivery')
    op.drop_table('alert_delivery')
