"""monitoring

Revision ID: 4edaee6ef91b
Revises: 2595ec4f5579
Create Date: 2026-11-23 12:19:14.342801+08:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '4edaee6ef91b'
down_revision = '2595ec4f5579'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_subscription',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('last_alert_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_alert_subscription_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_alert_subscription'))
    )
    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('severity', sa.String(length=8), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_alert_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_alert_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert')),
    sa.UniqueConstraint('key', name=op.f('uq_alert_key'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index('ix_alert_unit_id_id', ['unit_id', 'id'], unique=False)

    op.create_table('deviation_explanation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('causes', sa.JSON(), nullable=False),
    sa.Column('likelihood', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('corrective_actions', sa.Text(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_deviation_explanation_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_deviation_explanation_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deviation_explanation'))
    )
    with op.batch_alter_table('deviation_explanation', schema=None) as batch_op:
        batch_op.create_index('ix_deviation_explanation_project_as_of', ['project_id', 'as_of'], unique=False)

    op.create_table('snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('money_as_of', sa.Date(), nullable=False),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.Column('evaluated_on', sa.Date(), nullable=False),
    sa.Column('evaluated_at', sa.DateTime(), nullable=False),
    sa.Column('budget', sa.BigInteger(), nullable=False),
    sa.Column('spent', sa.BigInteger(), nullable=False),
    sa.Column('execution_rate', sa.BigInteger(), nullable=True),
    sa.Column('planned_pct', sa.BigInteger(), nullable=False),
    sa.Column('gap_points', sa.BigInteger(), nullable=True),
    sa.Column('ratio', sa.BigInteger(), nullable=True),
    sa.Column('money_status', sa.String(length=12), nullable=False),
    sa.Column('money_note', sa.String(length=200), nullable=True),
    sa.Column('ledger_closed_through', sa.Date(), nullable=True),
    sa.Column('ledger_covered', sa.Boolean(), nullable=False),
    sa.Column('results_status', sa.String(length=8), nullable=False),
    sa.Column('overall_status', sa.String(length=8), nullable=False),
    sa.Column('forecast', sa.BigInteger(), nullable=False),
    sa.Column('carry_over', sa.BigInteger(), nullable=False),
    sa.Column('forecast_run_rate', sa.BigInteger(), nullable=False),
    sa.Column('carry_over_run_rate', sa.BigInteger(), nullable=False),
    sa.Column('indicators', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_snapshot_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_snapshot')),
    sa.UniqueConstraint('project_id', 'kind', 'as_of', name=op.f('uq_snapshot_project_id_kind_as_of'))
    )
    with op.batch_alter_table('snapshot', schema=None) as batch_op:
        batch_op.create_index('ix_snapshot_kind_as_of', ['kind', 'as_of'], unique=False)

    op.create_table('alert_read',
    sa.Column('alert_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alert.id'], name=op.f('fk_alert_read_alert_id_alert'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_alert_read_user_id_app_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('alert_id', 'user_id', name=op.f('pk_alert_read'))
    )
    op.create_table('indicator_forecast',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('explanation_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('forecast', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['explanation_id'], ['deviation_explanation.id'], name=op.f('fk_indicator_forecast_explanation_id_deviation_explanation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_indicator_forecast_indicator_id_indicator'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_forecast')),
    sa.UniqueConstraint('explanation_id', 'indicator_id', name=op.f('uq_indicator_forecast_explanation_id_indicator_id'))
    )
    op.create_table('progress_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=False),
    sa.Column('reported_on', sa.Date(), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=True),
    sa.Column('achievement', sa.String(length=20), nullable=True),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('evidence_name', sa.String(length=255), nullable=True),
    sa.Column('evidence_sha256', sa.String(length=64), nullable=True),
    sa.Column('evidence_size', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_progress_report_indicator_id_indicator'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_progress_report_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_progress_report_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_progress_report'))
    )
    with op.batch_alter_table('progress_report', schema=None) as batch_op:
        batch_op.create_index('ix_progress_report_indicator_date', ['indicator_id', 'reported_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_progress_report_project_id'), ['project_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('progress_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_report_project_id'))
        batch_op.drop_index('ix_progress_report_indicator_date')

    op.drop_table('progress_report')
    op.drop_table('indicator_forecast')
    op.drop_table('alert_read')
    with op.batch_alter_table('snapshot', schema=None) as batch_op:
        batch_op.drop_index('ix_snapshot_kind_as_of')

    op.drop_table('snapshot')
    with op.batch_alter_table('deviation_explanation', schema=None) as batch_op:
        batch_op.drop_index('ix_deviation_explanation_project_as_of')

    op.drop_table('deviation_explanation')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_unit_id_id')

    op.drop_table('alert')
    op.drop_table('alert_subscription')
