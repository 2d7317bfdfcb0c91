"""adjustments

Revision ID: d667ea9eaaaa
Revises: 45b0661133d4
Create Date: 2026-11-23 14:48:08.861902+08:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd667ea9eaaaa'
down_revision = '45b0661133d4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('approver', sa.String(length=120), nullable=False),
    sa.Column('document', sa.String(length=200), nullable=True),
    sa.Column('budget_before', sa.BigInteger(), nullable=True),
    sa.Column('budget_after', sa.BigInteger(), nullable=True),
    sa.Column('plan_before', sa.JSON(), nullable=True),
    sa.Column('plan_after', sa.JSON(), nullable=True),
    sa.Column('indicators', sa.JSON(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_adjustment_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_adjustment_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_adjustment'))
    )
    with op.batch_alter_table('adjustment', schema=None) as batch_op:
        batch_op.create_index('ix_adjustment_project_id_effective_on', ['project_id', 'effective_on'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('adjustment', schema=None) as batch_op:
        batch_op.drop_index('ix_adjustment_project_id_effective_on')

    op.drop_table('adjustment')
