"""Drop the plain B-tree indexes on receiving_path and assigned_path.

On PostgreSQL the varchar_pattern_ops indexes of 0002 serve the same prefix queries under any
collation (the benchmark at 100k cases saw one of each pair unused); on SQLite a LIKE with a
bound prefix uses neither. Every transition rewrote both for nothing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index("ix_case_file_assigned_path")
        batch_op.drop_index("ix_case_file_receiving_path")


def downgrade() -> None:
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.create_index("ix_case_file_receiving_path", ["receiving_path"], unique=False)
        batch_op.create_index("ix_case_file_assigned_path", ["assigned_path"], unique=False)
