"""API keys for Open311 client systems.

Revision ID: 0010_pub
Revises: 0009_sup
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_pub"
down_revision = "0009_sup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], name="fk_api_key_organization_id_organization"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_api_key_user_id_app_user"),
        sa.PrimaryKeyConstraint("id", name="pk_api_key"),
        sa.UniqueConstraint("key_digest", name="uq_api_key_key_digest"),
    )
    op.create_index("ix_api_key_organization_id", "api_key", ["organization_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_api_key_organization_id", table_name="api_key")
    op.drop_table("api_key")
