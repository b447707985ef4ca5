"""The shared rate limits' table: one row per counted login attempt or public look-up when
RATE_LIMITS_SHARED is on (app/ratelimit.py, docs/decisions/0099-rate-limits-shared-in-the-database.md).

On PostgreSQL the table is UNLOGGED: its rows are minutes-old counters that need no WAL, no
replica and no crash recovery (a crash forgets the windows, as a restart of an in-memory limiter
does).

Revision ID: 0016_rate
Revises: 0014_stat
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_rate"
down_revision = "0014_stat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_hit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rate_hit"),
    )
    op.create_index("ix_rate_hit_scope_key_at", "rate_hit", ["scope", "key", "at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE rate_hit SET UNLOGGED")


def downgrade() -> None:
    op.drop_index("ix_rate_hit_scope_key_at", table_name="rate_hit")
    op.drop_table("rate_hit")
