"""Withdrawal by person and the law's secondary time limits: `petitioner.withdrawn_on`, and the
`case_obligation` table (app/workflows/obligations.py).

Revision ID: 0007_oblig
Revises: 0006_ident
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007_oblig"
down_revision = "0006_ident"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("petitioner", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_on", sa.Date(), nullable=True))
    op.create_table(
        "case_obligation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name=op.f("fk_case_obligation_case_id_case_file")),
        sa.ForeignKeyConstraint(["org_id"], ["organization.id"], name=op.f("fk_case_obligation_org_id_organization")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_obligation")),
    )
    with op.batch_alter_table("case_obligation", schema=None) as batch_op:
        batch_op.create_index("ix_case_obligation_case_id", ["case_id"], unique=False)
        batch_op.create_index("ix_case_obligation_due", ["due"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_obligation", schema=None) as batch_op:
        batch_op.drop_index("ix_case_obligation_due")
        batch_op.drop_index("ix_case_obligation_case_id")
    op.drop_table("case_obligation")
    with op.batch_alter_table("petitioner", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_on")
