"""The write path: a stamp of the clock's and routing's admin tables, and (PostgreSQL) the audit
chain's lock and head in one round trip.

`config_stamp` holds one row whose `stamp` a trigger replaces with a fresh random value whenever
calendar_override, deadline_setting or routing_rule is written (insert, update, delete; truncate
too on PostgreSQL), in the writing transaction. A process keeps the calendar, the deadline rules
and the routing rules it read under a stamp and, per request, reads only the stamp: a stamp
never comes back (random, not a counter: a rolled-back edit cannot reuse it), so an equal stamp
means the same committed tables (decision 0100).

`audit_chain_head(lock_key)` (PostgreSQL): takes the chain's transaction-scoped advisory lock,
then reads the head. VOLATILE, so in READ COMMITTED its SELECT takes a fresh snapshot after the
lock is granted and sees the head the previous holder committed (decision 0101).

Revision ID: 0014_wpath
Revises: 0013_srch
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_wpath"
down_revision = "0013_srch"
branch_labels = None
depends_on = None

_TABLES = ("calendar_override", "deadline_setting", "routing_rule")
_PG_FRESH = "replace(gen_random_uuid()::text, '-', '')"
_SQLITE_FRESH = "lower(hex(randomblob(16)))"


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table(
        "config_stamp",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("stamp", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_config_stamp"),
    )
    fresh = _PG_FRESH if _pg() else _SQLITE_FRESH
    op.execute(f"INSERT INTO config_stamp (id, stamp) VALUES (1, {fresh})")
    if _pg():
        op.execute(f"""
            CREATE FUNCTION config_stamp_bump() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE config_stamp SET stamp = {_PG_FRESH};
                RETURN NULL;
            END $$;
        """)
        for table in _TABLES:
            op.execute(f"CREATE TRIGGER {table}_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION config_stamp_bump()")
        op.execute("""
            CREATE FUNCTION audit_chain_head(lock_key bigint, OUT head_seq integer, OUT head_hash varchar)
            LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock(lock_key);
                SELECT seq, hash INTO head_seq, head_hash FROM audit_event ORDER BY seq DESC LIMIT 1;
            END $$;
        """)
    else:
        for table in _TABLES:
            for what in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_stamp_{what.lower()} AFTER {what} ON {table} "
                           f"BEGIN UPDATE config_stamp SET stamp = {_SQLITE_FRESH}; END")


def downgrade() -> None:
    if _pg():
        op.execute("DROP FUNCTION IF EXISTS audit_chain_head(bigint)")
        for table in _TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_stamp ON {table}")
        op.execute("DROP FUNCTION IF EXISTS config_stamp_bump()")
    else:
        for table in _TABLES:
            for what in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_stamp_{what}")
    op.drop_table("config_stamp")
