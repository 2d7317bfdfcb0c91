"""部门整体支出绩效自评: drafts and frozen attempts (issue #23)

Revision ID: c4e8a1f5b903
Revises: f1b6d0c2a9e3
Create Date: 2026-12-07 00:00:00+00:00

The department 自评 gets the project 自评's cycle: ``department_evaluation`` (one per department
year and attempt; money — Σ of the department's projects — in integer 分, scores and percents
as scaled integers with 4 places, like ``evaluation``) and its scored rows
``department_evaluation_indicator`` (like ``evaluation_indicator``, plus the 分项 ``goal``; the
department indicator is SET NULL when the document no longer has it, the frozen copy stays).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c4e8a1f5b903'
down_revision = 'f1b6d0c2a9e3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('department_evaluation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_year_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('initial_budget', sa.BigInteger(), nullable=False),
    sa.Column('annual_budget', sa.BigInteger(), nullable=False),
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
    sa.ForeignKeyConstraint(['department_year_id'], ['department_year.id'],
                            name=op.f('fk_department_evaluation_department_year_id_department_year'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_evaluation')),
    sa.UniqueConstraint('department_year_id', 'number',
                        name=op.f('uq_department_evaluation_department_year_id_number'))
    )
    with op.batch_alter_table('department_evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_evaluation_department_year_id'),
                              ['department_year_id'], unique=False)

    op.create_table('department_evaluation_indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('evaluation_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('goal', sa.String(length=300), nullable=False),
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
    sa.ForeignKeyConstraint(['evaluation_id'], ['department_evaluation.id'],
                            name=op.f('fk_department_evaluation_indicator_evaluation_id_department_evaluation'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['indicator_id'], ['department_indicator.id'],
                            name=op.f('fk_department_evaluation_indicator_indicator_id_department_indicator'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_evaluation_indicator'))
    )
    with op.batch_alter_table('department_evaluation_indicator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_evaluation_indicator_evaluation_id'),
                              ['evaluation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('department_evaluation_indicator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_evaluation_indicator_evaluation_id'))
    op.drop_table('department_evaluation_indicator')
    with op.batch_alter_table('department_evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_evaluation_department_year_id'))
    op.drop_table('department_evaluation')
