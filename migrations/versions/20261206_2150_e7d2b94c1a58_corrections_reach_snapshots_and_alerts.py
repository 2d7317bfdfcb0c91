"""corrections reach snapshots and alerts: what an evaluation rested on, withdrawn marks, re-freeze versions

Revision ID: e7d2b94c1a58
Revises: c4a1f7e93b26
Create Date: 2026-12-06 21:50:00+08:00

A snapshot keeps the ledger batches it rested on (``basis_batch_ids``) and is marked when one
of them is undone (``withdrawn_batch_id``, ``withdrawn_at``: 基于已撤销的台账批次).  A re-freeze
keeps the old snapshot as kind ``replaced`` beside the new ``version``, so the unique key of a
snapshot gains ``version``.  An alert keeps its basis too, is marked withdrawn when the basis is
undone, and a withdrawal notice names the alert it withdraws (``withdraws_alert_id``); a
subscription remembers where it started (``start_alert_id``), so a withdrawal is mailed only to
those who were mailed the alert.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'e7d2b94c1a58'
down_revision = 'c4a1f7e93b26'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('snapshot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('basis_batch_ids', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_batch_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('frozen_by', sa.String(length=80), nullable=True))
        batch_op.drop_constraint('uq_snapshot_project_id_kind_as_of', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_snapshot_project_id_kind_as_of_version'),
                                          ['project_id', 'kind', 'as_of', 'version'])
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.add_column(sa.Column('basis_batch_ids', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('withdrawn_batch_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('withdraws_alert_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('alert_subscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('start_alert_id', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('alert_subscription', schema=None) as batch_op:
        batch_op.drop_column('start_alert_id')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_column('withdraws_alert_id')
        batch_op.drop_column('withdrawn_batch_id')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('basis_batch_ids')
    # history of re-freezes cannot be kept under the old key: the replaced versions go
    op.execute("DELETE FROM snapshot WHERE kind = 'replaced'")
    with op.batch_alter_table('snapshot', schema=None) as batch_op:
        batch_op.drop_constraint('uq_snapshot_project_id_kind_as_of_version', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_snapshot_project_id_kind_as_of'),
                                          ['project_id', 'kind', 'as_of'])
        batch_op.drop_column('frozen_by')
        batch_op.drop_column('version')
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('withdrawn_batch_id')
        batch_op.drop_column('basis_batch_ids')
