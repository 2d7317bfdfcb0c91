"""target imports and project findings

Revision ID: fdcef54f42e0
Revises: 8d5bed3bb915
Create Date: 2026-11-23 12:04:55.175776+08:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'fdcef54f42e0'
down_revision = '8d5bed3bb915'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('target_import',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('layout', sa.String(length=40), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('projects_created', sa.Integer(), nullable=False),
    sa.Column('projects_updated', sa.Integer(), nullable=False),
    sa.Column('projects_unchanged', sa.Integer(), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_target_import_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_target_import_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_target_import'))
    )
    op.create_table('project_finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('target_import_id', sa.Integer(), nullable=True),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('location', sa.String(length=255), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_finding_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_import_id'], ['target_import.id'], name=op.f('fk_project_finding_target_import_id_target_import'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_finding'))
    )
    with op.batch_alter_table('project_finding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_finding_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('project_finding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_finding_project_id'))

    op.drop_table('project_finding')
    op.drop_table('target_import')
