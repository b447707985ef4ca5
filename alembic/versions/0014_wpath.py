"""The write path: a stamp of the clock's and routing's admin tables, and (PostgreSQL) the audit
chain's append in one round trip.

`config_stamp` holds one row whose `stamp` a trigger replaces with a fresh random value whenever
calendar_override, deadline_setting or routing_rule is written (insert, update, delete; truncate
too on PostgreSQL), in the writing transaction. A process keeps the calendar, the deadline rules
and the routing rules it read under a stamp and, per request, reads only the stamp: a stamp
never comes back (random, not a counter: a rolled-back edit cannot reuse it), so an equal stamp
means the same committed tables (decision 0100).

`audit_append(lock_key, events)` (PostgreSQL): the chain's append at commit in one round trip —
the advisory lock, the head, the events and their attached rows (below; decision 0101).

Revision ID: 0014_wpath
Revises: 0016_rate
Create Date: 2026-11-30
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_wpath"
down_revision = "0016_rate"
branch_labels = None
depends_on = None

_TABLES = ("calendar_override", "deadline_setting", "routing_rule")
_PG_FRESH = "replace(gen_random_uuid()::text, '-', '')"
_SQLITE_FRESH = "lower(hex(randomblob(16)))"


# The chain's append in one call, made under the chain lock: the lock, the head, then each event
# numbered, timed and hashed and inserted with the rows attached to it (the case's dated history).
# The caller renders each event's canonical bytes (app.services.audit.canonical_bytes) with the
# three values only the lock holder knows left out — `at`, `prev_hash`, `seq` — as four pieces
# (p0..p3); this function puts them in and hashes. The caller then seals the same events in Python
# and refuses to commit unless it reaches the hash this function reached (decision 0101).
_PG_APPEND = """
CREATE FUNCTION audit_append(lock_key bigint, events json, asked_at timestamptz, OUT head_seq integer,
                             OUT head_hash varchar, OUT at timestamptz, OUT new_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    e json;
    s json;
    r audit_event;
    st case_step;
    n integer;
    prev varchar;
    at_text text;
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    -- VOLATILE: in READ COMMITTED this SELECT takes its snapshot now, after the lock is granted,
    -- and sees the head the previous holder committed
    SELECT a.seq, a.hash, a.at INTO head_seq, head_hash, at FROM audit_event a ORDER BY a.seq DESC LIMIT 1;
    n := coalesce(head_seq, 0);
    prev := coalesce(head_hash, repeat('0', 64));
    -- the caller's clock when it asked for the lock, but never before the head: `at` follows `seq`
    at := greatest(asked_at, at);
    at_text := to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    FOR e IN SELECT value FROM json_array_elements(events) LOOP
        n := n + 1;
        r := json_populate_record(NULL::audit_event, e->'row');
        r.changes := e->'row'->'changes';
        r.seq := n;
        r.at := at;
        r.prev_hash := prev;
        r.hash := encode(sha256(convert_to((e->>'p0') || '"' || at_text || '"' || (e->>'p1') || '"' || prev || '"'
                                           || (e->>'p2') || n::text || (e->>'p3'), 'UTF8')), 'hex');
        INSERT INTO audit_event VALUES (r.*);
        FOR s IN SELECT value FROM json_array_elements(e->'steps') LOOP
            st := json_populate_record(NULL::case_step, s);
            st.id := nextval(pg_get_serial_sequence('case_step', 'id'));
            st.audit_seq := n;
            INSERT INTO case_step VALUES (st.*);
        END LOOP;
        prev := r.hash;
    END LOOP;
    new_hash := prev;
END $$;
"""


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
        op.execute(_PG_APPEND)
    else:
        for table in _TABLES:
            for what in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_stamp_{what.lower()} AFTER {what} ON {table} "
                           f"BEGIN UPDATE config_stamp SET stamp = {_SQLITE_FRESH}; END")


def downgrade() -> None:
    if _pg():
        op.execute("DROP FUNCTION IF EXISTS audit_append(bigint, json, timestamptz)")
        for table in _TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_stamp ON {table}")
        op.execute("DROP FUNCTION IF EXISTS config_stamp_bump()")
    else:
        for table in _TABLES:
            for what in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_stamp_{what}")
    op.drop_table("config_stamp")
