"""The search text moves out of case_file into case_search; fill factor and autovacuum settings
for the tables every transition updates (PostgreSQL).

A transition rewrites its case row. With the folded search text in that row, every UPDATE copied
the text and, the status and due date being indexed (no HOT update), added entries to every index
of case_file — the trigram GIN index on the text too. Now the text lives in `case_search` (one
row per case, written only when the text changes) with the trigram index; case_file keeps 15 %
of each page free (fillfactor 85) so that an UPDATE that changes no indexed column can stay on
its page (HOT), and autovacuum visits case_file, case_obligation and petitioner after 2 % of
their rows changed instead of 20 %, so that lists stay fast without a manual VACUUM
(docs/decisions/0096-search-text-out-of-the-case-row.md).

Revision ID: 0013_srch
Revises: 0010_pub
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_srch"
down_revision = "0011_rep"
branch_labels = None
depends_on = None

# PostgreSQL storage parameters of the hot tables (a plain ALTER TABLE ... SET/RESET).
_HOT_TABLES = {
    "case_file": "fillfactor = 85, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02",
    "case_obligation": "fillfactor = 90, autovacuum_vacuum_scale_factor = 0.02, "
                       "autovacuum_analyze_scale_factor = 0.02",
    "petitioner": "autovacuum_vacuum_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.05",
    # append-only: vacuumed after inserts so that index-only scans (case history) stay index-only
    "audit_event": "autovacuum_vacuum_insert_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.05",
}


# A PostgreSQL-only index for the supervision overview at a million cases (ixpg_*: left out of
# Alembic's comparison), partial on the open statuses: the grouped count of the open cases under
# a path is an index-only scan instead of a scan of the whole table's heap (decision 0098).
_OPEN = "('accepted', 'decided', 'forwarded', 'received', 'suspended', 'verifying')"  # lifecycle.OPEN_STATUSES
_PG_INDEXES = (
    "CREATE INDEX ixpg_case_file_open_cover ON case_file (location_path varchar_pattern_ops, status) "
    f"INCLUDE (kind, stage, due, mass, urgent, id, code) WHERE status IN {_OPEN}",
)


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "case_search",
        sa.Column("case_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_search_case_id_case_file"),
        sa.PrimaryKeyConstraint("case_id", name="pk_case_search"),
    )
    op.execute("INSERT INTO case_search (case_id, text) SELECT id, search_text FROM case_file")
    if _pg():
        op.execute("DROP INDEX IF EXISTS ixpg_case_file_search_trgm")
        op.execute("CREATE INDEX ixpg_case_search_text_trgm ON case_search USING gin (text gin_trgm_ops)")
    with op.batch_alter_table("case_file") as batch:
        batch.drop_column("search_text")
    if _pg():
        for table, params in _HOT_TABLES.items():
            op.execute(f"ALTER TABLE {table} SET ({params})")
        for ddl in _PG_INDEXES:
            op.execute(ddl)


def downgrade() -> None:
    if _pg():
        for ddl in _PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {ddl.split()[2]}")
        for table, params in _HOT_TABLES.items():
            names = ", ".join(p.split("=")[0].strip() for p in params.split(","))
            op.execute(f"ALTER TABLE {table} RESET ({names})")
    with op.batch_alter_table("case_file") as batch:
        batch.add_column(sa.Column("search_text", sa.Text(), nullable=False, server_default=""))
    op.execute("UPDATE case_file SET search_text = (SELECT text FROM case_search WHERE case_search.case_id = "
               "case_file.id) WHERE id IN (SELECT case_id FROM case_search)")
    with op.batch_alter_table("case_file") as batch:
        batch.alter_column("search_text", server_default=None)
    if _pg():
        op.execute("DROP INDEX IF EXISTS ixpg_case_search_text_trgm")
        op.execute("CREATE INDEX ixpg_case_file_search_trgm ON case_file USING gin (search_text gin_trgm_ops)")
    op.drop_table("case_search")
