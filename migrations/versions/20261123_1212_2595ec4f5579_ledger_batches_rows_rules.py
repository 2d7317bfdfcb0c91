"""ledger: batches, rows, match rules, mapping profiles, per-project monthly spending

Revision ID: 2595ec4f5579
Revises: fdcef54f42e0
Create Date: 2026-11-23 12:12:13.985872+08:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '2595ec4f5579'
down_revision = 'fdcef54f42e0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mapping_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=True),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('count_rule', sa.String(length=40), nullable=True),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mapping_profile')),
    sa.UniqueConstraint('name', name=op.f('uq_mapping_profile_name'))
    )
    op.create_table('ledger_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=80), nullable=False),
    sa.Column('source_kind', sa.String(length=20), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('checksum', sa.String(length=64), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('period_source', sa.String(length=20), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.Column('undone_by', sa.String(length=80), nullable=True),
    sa.Column('rows_read', sa.Integer(), nullable=False),
    sa.Column('transactions', sa.Integer(), nullable=False),
    sa.Column('summary_rows_skipped', sa.Integer(), nullable=False),
    sa.Column('counted_rows', sa.Integer(), nullable=False),
    sa.Column('counted_total', sa.BigInteger(), nullable=False),
    sa.Column('matched_rows', sa.Integer(), nullable=False),
    sa.Column('unmatched_rows', sa.Integer(), nullable=False),
    sa.Column('replaced_rows', sa.Integer(), nullable=False),
    sa.Column('totals_stated', sa.BigInteger(), nullable=True),
    sa.Column('totals_parsed', sa.BigInteger(), nullable=True),
    sa.Column('totals_ok', sa.Boolean(), nullable=True),
    sa.Column('totals_override_reason', sa.Text(), nullable=True),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('findings', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_ledger_batch_unit_id_unit'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_ledger_batch_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_batch'))
    )
    with op.batch_alter_table('ledger_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_batch_checksum'), ['checksum'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_batch_unit_id'), ['unit_id'], unique=False)

    op.create_table('ledger_row',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('sheet', sa.Text(), nullable=True),
    sa.Column('row_number', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('voucher', sa.Text(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('account_code', sa.Text(), nullable=True),
    sa.Column('account_name', sa.Text(), nullable=True),
    sa.Column('project_code', sa.Text(), nullable=True),
    sa.Column('project_name', sa.Text(), nullable=True),
    sa.Column('project_ref_raw', sa.Text(), nullable=True),
    sa.Column('document_no', sa.Text(), nullable=True),
    sa.Column('unit_name', sa.Text(), nullable=True),
    sa.Column('functional_class', sa.Text(), nullable=True),
    sa.Column('economic_class', sa.Text(), nullable=True),
    sa.Column('fund_nature', sa.Text(), nullable=True),
    sa.Column('status', sa.Text(), nullable=True),
    sa.Column('debit', sa.BigInteger(), nullable=False),
    sa.Column('credit', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('counts', sa.Boolean(), nullable=False),
    sa.Column('not_counted_reason', sa.Text(), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=True),
    sa.Column('match_method', sa.String(length=20), nullable=True),
    sa.Column('superseded_by_batch_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['ledger_batch.id'], name=op.f('fk_ledger_row_batch_id_ledger_batch'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_ledger_row_project_id_project'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['superseded_by_batch_id'], ['ledger_batch.id'], name=op.f('fk_ledger_row_superseded_by_batch_id_ledger_batch'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_ledger_row_unit_id_unit'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_row'))
    )
    with op.batch_alter_table('ledger_row', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_row_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_ledger_row_project_date', ['project_id', 'date'], unique=False)
        batch_op.create_index('ix_ledger_row_date', ['date'], unique=False)

    op.create_table('match_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('account_prefix', sa.String(length=40), nullable=True),
    sa.Column('summary_keyword', sa.String(length=100), nullable=True),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_match_rule_project_id_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_match_rule_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_rule'))
    )
    with op.batch_alter_table('match_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_rule_unit_id'), ['unit_id'], unique=False)

    op.create_table('project_month_spending',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_month_spending_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'month', name=op.f('pk_project_month_spending'))
    )


def downgrade() -> None:
    op.drop_table('project_month_spending')
    with op.batch_alter_table('match_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_match_rule_unit_id'))

    op.drop_table('match_rule')
    with op.batch_alter_table('ledger_row', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_row_date')
        batch_op.drop_index('ix_ledger_row_project_date')
        batch_op.drop_index(batch_op.f('ix_ledger_row_batch_id'))

    op.drop_table('ledger_row')
    with op.batch_alter_table('ledger_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_batch_unit_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_batch_checksum'))

    op.drop_table('ledger_batch')
    op.drop_table('mapping_profile')
