"""logout ends sessions on the server, the login brake counts per account, first admin

Revision ID: c4a7e2f19b3d
Revises: c3a8f1d27b64
Create Date: 2026-12-06 21:10:00+00:00

``app_user.session_generation`` is part of the key every login session and remember-me cookie
carries; logout bumps it, so a copied cookie is refused afterwards.
``app_user.must_change_password`` sends the first administrator with a generated password to
the change-password page.  ``login_failure.username`` lets the login brake count failures per
account as well as per address.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = 'c4a7e2f19b3d'
down_revision = 'c3a8f1d27b64'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_generation', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username', sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f('ix_login_failure_username'), ['username'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failure_username'))
        batch_op.drop_column('username')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('session_generation')
