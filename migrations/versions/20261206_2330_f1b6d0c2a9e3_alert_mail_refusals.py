"""alert mail counts refusals (5xx) apart from temporary failures

Revision ID: f1b6d0c2a9e3
Revises: d7a2c9e41b65
Create Date: 2026-12-06 23:30:00+08:00

``failures`` counted temporary failures and refusals together, so an address that had three
temporary failures was given up at its first refusal.  ``refusals`` counts the refusals in a
row; only it decides when mail to an address stops.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'f1b6d0c2a9e3'
down_revision = 'd7a2c9e41b65'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('alert_subscription',
                  sa.Column('refusals', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('alert_subscription', schema=None) as batch_op:
        batch_op.drop_column('refusals')
