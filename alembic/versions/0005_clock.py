"""The law's clock: which organisations may resolve (accept) complaints and denunciations, when
the complainant received the decision, the days lost to the obstacles of Luật Khiếu nại Art 9,
and the unrolled end of the running period.

Revision ID: 0005_clock
Revises: 0004_sec
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_clock"
down_revision = "0004_sec"
branch_labels = None
depends_on = None

# Organisation kinds that resolve complaints and denunciations (app/models/reference.py RESOLVING_KINDS).
_RESOLVING = ("people_committee", "inspectorate", "department", "police", "court", "procuracy")


def upgrade() -> None:
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("may_resolve", sa.Boolean(), server_default=sa.false(), nullable=False))
    organization = sa.table("organization", sa.column("kind", sa.String), sa.column("may_resolve", sa.Boolean))
    op.execute(organization.update().where(organization.c.kind.in_(_RESOLVING)).values(may_resolve=True))
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_received_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("filing_obstacle_days", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("filing_obstacle_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("period_end", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_column("period_end")
        batch_op.drop_column("filing_obstacle_reason")
        batch_op.drop_column("filing_obstacle_days")
        batch_op.drop_column("decision_received_on")
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_column("may_resolve")
