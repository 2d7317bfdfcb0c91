"""ledger rows keep their reference texts once each, in ledger_text

Revision ID: 5b1e7c2d9a40
Revises: d667ea9eaaaa
Create Date: 2026-11-23 15:00:00+08:00

The thirteen reference texts of a ledger row (工作表, 科目, 项目编码/名称, 指标文号, 预算单位,
分类, 资金性质, 支付状态, 不计入原因) move to ``ledger_text`` and the row keeps their ids; the
row's redundant foreign key to ``unit`` (its batch already names the unit) goes.  Existing rows
keep every text: each distinct text is stored once and the row's id columns filled by a join.
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = '5b1e7c2d9a40'
down_revision = 'd667ea9eaaaa'
branch_labels = None
depends_on = None

TEXTS = ("sheet", "account_code", "account_name", "project_code", "project_name",
         "project_ref_raw", "document_no", "unit_name", "functional_class", "economic_class",
         "fund_nature", "status", "not_counted_reason")


def upgrade() -> None:
    op.create_table('ledger_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=32), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_text')),
    sa.UniqueConstraint('digest', name=op.f('uq_ledger_text_digest'))
    )
    with op.batch_alter_table('ledger_row', schema=None) as batch_op:
        for name in TEXTS:
            batch_op.add_column(sa.Column(f'{name}_text_id', sa.Integer(), nullable=True))
    connection = op.get_bind()
    values: set[str] = set()
    for name in TEXTS:
        values.update(connection.execute(sa.text(
            f"SELECT DISTINCT {name} FROM ledger_row WHERE {name} IS NOT NULL AND {name} <> ''")).scalars())
    if values:
        connection.execute(sa.text("INSERT INTO ledger_text (digest, value) VALUES (:digest, :value)"),
                           [{"digest": hashlib.sha256(value.encode("utf-8")).hexdigest()[:32], "value": value}
                            for value in sorted(values)])
        for name in TEXTS:
            connection.execute(sa.text(
                f"UPDATE ledger_row SET {name}_text_id = ledger_text.id FROM ledger_text "
                f"WHERE ledger_text.value = ledger_row.{name}"))
    with op.batch_alter_table('ledger_row', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ledger_row_unit_id_unit', type_='foreignkey')
        for name in TEXTS:
            batch_op.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table('ledger_row', schema=None) as batch_op:
        for name in TEXTS:
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))
    connection = op.get_bind()
    for name in TEXTS:
        connection.execute(sa.text(
            f"UPDATE ledger_row SET {name} = ledger_text.value FROM ledger_text "
            f"WHERE ledger_text.id = ledger_row.{name}_text_id"))
    with op.batch_alter_table('ledger_row', schema=None) as batch_op:
        for name in TEXTS:
            batch_op.drop_column(f'{name}_text_id')
        batch_op.create_foreign_key('fk_ledger_row_unit_id_unit', 'unit', ['unit_id'], ['id'],
                                    ondelete='RESTRICT')
    op.drop_table('ledger_text')
