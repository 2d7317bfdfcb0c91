"""rounds and self-evaluations

Revision ID: 45b0661133d4
Revises: 4edaee6ef91b
Create Date: 2026-11-23 14:40:59.838752+08:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '45b0661133d4'
down_revision = '4edaee6ef91b'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('monitoring_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('cutoff', sa.Date(), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_monitoring_round')),
    sa.UniqueConstraint('year', 'month', name=op.f('uq_monitoring_round_year_month'))
    )
    op.create_table('evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('initial_budget', sa.BigInteger(), nullable=False),
    sa.Column('annual_budget', sa.BigInteger(), nullable=False),
    sa.Column('fiscal_funds', sa.BigInteger(), nullable=True),
    sa.Column('carryover', sa.BigInteger(), nullable=True),
    sa.Column('other_funds', sa.BigInteger(), nullable=True),
    sa.Column('spent', sa.BigInteger(), nullable=False),
    sa.Column('ledger_closed_through', sa.Date(), nullable=True),
    sa.Column('goal', sa.Text(), nullable=True),
    sa.Column('goal_actual', sa.Text(), nullable=True),
    sa.Column('execution_rate', sa.BigInteger(), nullable=True),
    sa.Column('execution_weight', sa.BigInteger(), nullable=False),
    sa.Column('execution_score', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('grade', sa.String(length=2), nullable=False),
    sa.Column('warnings', sa.JSON(), nullable=False),
    sa.Column('warnings_reason', sa.Text(), nullable=True),
    sa.Column('sources', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('frozen_by', sa.String(length=80), nullable=True),
    sa.Column('frozen_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_evaluation_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation')),
    sa.UniqueConstraint('project_id', 'number', name=op.f('uq_evaluation_project_id_number'))
    )
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_project_id'), ['project_id'], unique=False)

    op.create_table('evaluation_indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('level1', sa.String(length=50), nullable=False),
    sa.Column('level2', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=500), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('op', sa.String(length=2), nullable=True),
    sa.Column('target_raw', sa.String(length=500), nullable=False),
    sa.Column('target_number', sa.BigInteger(), nullable=True),
    sa.Column('target_unit', sa.String(length=50), nullable=True),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('given_weight', sa.BigInteger(), nullable=True),
    sa.Column('weight', sa.BigInteger(), nullable=False),
    sa.Column('actual_raw', sa.String(length=500), nullable=True),
    sa.Column('actual', sa.BigInteger(), nullable=True),
    sa.Column('achievement', sa.String(length=20), nullable=True),
    sa.Column('edited_score', sa.BigInteger(), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('score', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('deviation_reason', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['evaluation_id'], ['evaluation.id'], name=op.f('fk_evaluation_indicator_evaluation_id_evaluation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_evaluation_indicator_indicator_id_indicator'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evaluation_indicator'))
    )
    with op.batch_alter_table('evaluation_indicator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evaluation_indicator_evaluation_id'), ['evaluation_id'], unique=False)

    with op.batch_alter_table('snapshot', schema=None) as batch_op:
        batch_op.add_column(sa.Column('late', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('snapshot', schema=None) as batch_op:
        batch_op.drop_column('late')

    with op.batch_alter_table('evaluation_indicator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_indicator_evaluation_id'))

    op.drop_table('evaluation_indicator')
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evaluation_project_id'))

    op.drop_table('evaluation')
    op.drop_table('monitoring_round')
