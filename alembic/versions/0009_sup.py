"""Supervision: cases flagged urgent (Quy chế 2387 Art 23) and supervision recommendations.

Revision ID: 0009_sup
Revises: 0008_dlg
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009_sup"
down_revision = "0008_dlg"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("urgent_reason", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    op.create_table(
        "recommendation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("target_org_id", sa.Integer(), nullable=False),
        sa.Column("target_path", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("unit_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("unit_path", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("issuer_org_id", sa.Integer(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("response_due", sa.Date(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_late", sa.Boolean(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["answered_by_id"], ["app_user.id"],
                                name=op.f("fk_recommendation_answered_by_id_app_user")),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name=op.f("fk_recommendation_case_id_case_file")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["app_user.id"], name=op.f("fk_recommendation_issued_by_id_app_user")),
        sa.ForeignKeyConstraint(["issuer_org_id"], ["organization.id"],
                                name=op.f("fk_recommendation_issuer_org_id_organization")),
        sa.ForeignKeyConstraint(["target_org_id"], ["organization.id"],
                                name=op.f("fk_recommendation_target_org_id_organization")),
        sa.ForeignKeyConstraint(["unit_code"], ["admin_unit.code"], name=op.f("fk_recommendation_unit_code_admin_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendation")),
    )
    with op.batch_alter_table("recommendation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recommendation_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_recommendation_unit_path_status", ["unit_path", "status"], unique=False)
        batch_op.create_index("ix_recommendation_target_org_id_status", ["target_org_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_table("recommendation")
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_column("urgent_reason")
        batch_op.drop_column("urgent")
