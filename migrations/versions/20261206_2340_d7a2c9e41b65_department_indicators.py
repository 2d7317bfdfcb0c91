"""the department's own indicators and their progress (issue #23)

Revision ID: d7a2c9e41b65
Revises: b5e91c3d7a42
Create Date: 2026-12-06 23:40:00+00:00

部门整体绩效目标: the 分项绩效目标 prose is read into indicators (``department_indicator``, keyed
to ``department_year`` by position; a 分项 with no indicator is a row with a null name), and the
当前完成值 reported on them (``department_progress``), and finance's corrections of what was read
(``department_correction``: before/after JSON, reason, actor).  Numbers are scaled integers
(``ScaledDecimal``: 4 places for values, 2 for 分值), like ``indicator`` and ``progress_report``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'd7a2c9e41b65'
down_revision = 'b5e91c3d7a42'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('department_indicator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_year_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('goal', sa.String(length=300), nullable=False),
    sa.Column('goal_target', sa.Text(), nullable=True),
    sa.Column('name', sa.String(length=500), nullable=True),
    sa.Column('level1', sa.String(length=50), nullable=False),
    sa.Column('level2', sa.String(length=100), nullable=False),
    sa.Column('target_raw', sa.String(length=500), nullable=False),
    sa.Column('op', sa.String(length=2), nullable=True),
    sa.Column('target_number', sa.BigInteger(), nullable=True),
    sa.Column('target_unit', sa.String(length=50), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('weight', sa.BigInteger(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['department_year_id'], ['department_year.id'],
                            name=op.f('fk_department_indicator_department_year_id_department_year'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_indicator')),
    sa.UniqueConstraint('department_year_id', 'position',
                        name=op.f('uq_department_indicator_department_year_id_position'))
    )
    with op.batch_alter_table('department_indicator', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_indicator_department_year_id'),
                              ['department_year_id'], unique=False)

    op.create_table('department_progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=True),
    sa.Column('achievement', sa.String(length=20), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['department_indicator.id'],
                            name=op.f('fk_department_progress_indicator_id_department_indicator'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_progress'))
    )
    with op.batch_alter_table('department_progress', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_progress_indicator_id'), ['indicator_id'], unique=False)

    op.create_table('department_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['department_indicator.id'],
                            name=op.f('fk_department_correction_indicator_id_department_indicator'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department_correction'))
    )
    with op.batch_alter_table('department_correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_department_correction_indicator_id'), ['indicator_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('department_correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_correction_indicator_id'))
    op.drop_table('department_correction')
    with op.batch_alter_table('department_progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_progress_indicator_id'))
    op.drop_table('department_progress')
    with op.batch_alter_table('department_indicator', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_department_indicator_department_year_id'))
    op.drop_table('department_indicator')
