"""The overdue list and the overview's oldest overdue case at a million cases (PostgreSQL only):
extended statistics on (status, stage, due) and three partial indexes over the cases with a clock.

The planner estimated the city's overdue cases at ~20 (33,900 at 1,000,000 cases): a running
status, a stage, a due date and `due < today` are one fact about a case, not four independent
ones. A multivariate MCV list over the three columns corrects much of that. Three partial indexes
over the cases whose clock runs: the city's overdue list walks `received_on` backwards and stops
after a page (the due date checked in the index); a smaller place's overdue list reads only that
place's overdue cases; the oldest-overdue window reads the overdue cases in (place, due, id)
order from the index alone, without a sort. SQLite is unaffected
(docs/decisions/0103-overdue-at-a-million-cases.md).

Revision ID: 0014_stat
Revises: 0013_srch
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0014_stat"
down_revision = "0013_srch"
branch_labels = None
depends_on = None

# The statuses whose clock runs (app/workflows/overdue.RUNNING_STATUSES); with a stage and a due
# date, what `overdue_clause` asks for besides `due < today` (the predicate of the indexes).
_RUNNING = "('accepted', 'decided', 'forwarded', 'received', 'verifying')"
_CLOCK = f"status IN {_RUNNING} AND stage IS NOT NULL AND due IS NOT NULL"

_PG_DDL = (
    "CREATE STATISTICS stxpg_case_file_status_stage_due (mcv) ON status, stage, due FROM case_file",
    # an MCV list of 250 items instead of 100: the due dates are many (ANALYZE samples 75,000 rows)
    "ALTER STATISTICS stxpg_case_file_status_stage_due SET STATISTICS 250",
    f"CREATE INDEX ixpg_case_file_clock_received ON case_file (received_on DESC, id DESC, due) WHERE {_CLOCK}",
    f"CREATE INDEX ixpg_case_file_clock_place_due ON case_file (location_path, due, id) INCLUDE (code) WHERE {_CLOCK}",
    "CREATE INDEX ixpg_case_file_clock_place_received ON case_file "
    f"(location_path varchar_pattern_ops, received_on DESC, id DESC, due) WHERE {_CLOCK}",
)
_PG_DROP = (
    "DROP INDEX IF EXISTS ixpg_case_file_clock_place_received",
    "DROP INDEX IF EXISTS ixpg_case_file_clock_place_due",
    "DROP INDEX IF EXISTS ixpg_case_file_clock_received",
    "DROP STATISTICS IF EXISTS stxpg_case_file_status_stage_due",
)


def _pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _pg():
        for ddl in _PG_DDL:
            op.execute(ddl)
        op.execute("ANALYZE case_file")  # the statistics exist once analysed


def downgrade() -> None:
    if _pg():
        for ddl in _PG_DROP:
            op.execute(ddl)
