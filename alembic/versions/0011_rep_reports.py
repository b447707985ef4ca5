"""Periodic reports: the cases' dated history (case_step), frozen report snapshots, and the day a
case ended and whether its decision was late (case_file.ended_on, decided_late), backfilled.

Revision ID: 0011_rep
Revises: 0010_pub
Create Date: 2026-11-30

The backfill reconstructs each existing case's history from the dates it carries (received_on,
accepted_on, decided_on, ended_on, last_event_on): one step at each, the last with the case's
state now. The due dates of earlier stages are not known, so a past period's "pending overdue"
counts only what these steps show (docs/reports.md, "Cases older than the history").
"""
from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa

from alembic import op

revision = "0011_rep"
down_revision = "0010_pub"
branch_labels = None
depends_on = None

_FINAL = ("closed", "appealed", "rejected", "guided", "archived", "withdrawn", "terminated")


def _changes(value: object) -> dict:
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            loaded = json.loads(value)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return {}


def _day(value: object) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _backfill_case_dates(bind: sa.Connection) -> None:
    """ended_on from the event that moved each case into a final status (its `on`, else the case's
    last event day); decided_late from the decide event's `on_time`."""
    final = ", ".join(f"'{s}'" for s in _FINAL)
    bind.execute(sa.text(f"UPDATE case_file SET ended_on = last_event_on WHERE status IN ({final})"))
    ended: list[dict] = []
    late: list[dict] = []

    def flush() -> None:
        if ended:
            bind.execute(sa.text("UPDATE case_file SET ended_on = :d WHERE id = :i AND ended_on IS NOT NULL"), ended)
            ended.clear()
        if late:
            bind.execute(sa.text("UPDATE case_file SET decided_late = :l WHERE id = :i"), late)
            late.clear()

    # in pages by seq (no server-side cursor: the migration's connection runs more statements)
    query = sa.text("SELECT seq, case_id, action, from_status, to_status, changes FROM audit_event WHERE seq > :after "
                    f"AND case_id IS NOT NULL AND (action = 'case.decide' OR to_status IN ({final})) "
                    "ORDER BY seq LIMIT 5000")
    after = 0
    for _page in range(10**6):  # bounded: each page moves `after` forward
        rows = bind.execute(query, {"after": after}).all()
        if not rows:
            break
        for seq, case_id, action, from_status, to_status, changes in rows:
            after = seq
            ch = _changes(changes)
            if action == "case.decide" and isinstance(ch.get("on_time"), bool):
                late.append({"i": case_id, "l": not ch["on_time"]})
            if to_status in _FINAL and from_status not in _FINAL and _day(ch.get("on")):
                ended.append({"i": case_id, "d": _day(ch.get("on"))})
        flush()


_STEP_COLUMNS = ("case_id, \"on\", recorded_at, audit_seq, action, status, kind, field, location_path, "
                 "holder_path, received_on, stage, due, accepted_on, decided_on, ended_on, forwarded, mass, "
                 "petitioner_count, outcome, decided_late")


def _backfill_steps(bind: sa.Connection) -> None:
    holder = "COALESCE(assigned_path, receiving_path)"
    fwd = "(assigned_org_id IS NOT NULL AND assigned_org_id <> receiving_org_id)"
    insert = f"INSERT INTO case_step ({_STEP_COLUMNS}) SELECT id, "
    # one statement per step, in this order: within a case, ids grow with the day
    steps = (
        # (day, action, status, holder, stage, due, accepted_on, decided_on, ended_on, forwarded, outcome, late, where)
        ("received_on", "'backfill_intake'", "'received'", "receiving_path", "NULL", "NULL", "NULL", "NULL", "NULL",
         ":f", "NULL", "NULL", ""),
        ("accepted_on", "'backfill_accept'", "'accepted'", holder, "NULL", "NULL", "accepted_on", "NULL", "NULL", fwd,
         "NULL", "NULL", " WHERE accepted_on IS NOT NULL"),
        ("decided_on", "'backfill_decide'", "'decided'", holder, "NULL", "NULL", "accepted_on", "decided_on", "NULL",
         fwd, "outcome", "decided_late", " WHERE decided_on IS NOT NULL"),
        ("COALESCE(ended_on, last_event_on)", "'backfill'", "status", holder, "stage", "due", "accepted_on",
         "decided_on", "ended_on", fwd, "outcome", "decided_late", ""),
    )
    for day, action, status, hold, stage, due, accepted, decided, ended, forwarded, outcome, late, where in steps:
        bind.execute(sa.text(
            f"{insert}{day}, created_at, NULL, {action}, {status}, kind, field, location_path, {hold}, received_on, "
            f"{stage}, {due}, {accepted}, {decided}, {ended}, {forwarded}, mass, petitioner_count, {outcome}, {late} "
            f"FROM case_file{where}"), {"f": False} if ":f" in forwarded else {})


def upgrade() -> None:
    with op.batch_alter_table("case_file") as batch:
        batch.add_column(sa.Column("ended_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("decided_late", sa.Boolean(), nullable=True))
    op.create_table(
        "case_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audit_seq", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("location_path", sa.String(length=200), nullable=False),
        sa.Column("holder_path", sa.String(length=200), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("forwarded", sa.Boolean(), nullable=False),
        sa.Column("mass", sa.Boolean(), nullable=False),
        sa.Column("petitioner_count", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("decided_late", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name="fk_case_step_case_id_case_file"),
        sa.PrimaryKeyConstraint("id", name="pk_case_step"),
    )
    op.create_index("ix_case_step_case_id_on_id", "case_step", ["case_id", "on", "id"], unique=False)
    op.create_index("ix_case_step_on_action", "case_step", ["on", "action"], unique=False)
    op.create_table(
        "report_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(length=16), nullable=False),
        sa.Column("unit_path", sa.String(length=200), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("period_index", sa.Integer(), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("body_digest", sa.String(length=64), nullable=False),
        sa.Column("audit_head_seq", sa.Integer(), nullable=False),
        sa.Column("audit_head_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("org_code", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"], name="fk_report_snapshot_created_by_id_app_user"),
        sa.ForeignKeyConstraint(["unit_code"], ["admin_unit.code"], name="fk_report_snapshot_unit_code_admin_unit"),
        sa.PrimaryKeyConstraint("id", name="pk_report_snapshot"),
    )
    op.create_index("ix_report_snapshot_unit_path", "report_snapshot", ["unit_path"], unique=False)
    bind = op.get_bind()
    _backfill_case_dates(bind)
    _backfill_steps(bind)


def downgrade() -> None:
    op.drop_index("ix_report_snapshot_unit_path", table_name="report_snapshot")
    op.drop_table("report_snapshot")
    op.drop_index("ix_case_step_on_action", table_name="case_step")
    op.drop_index("ix_case_step_case_id_on_id", table_name="case_step")
    op.drop_table("case_step")
    with op.batch_alter_table("case_file") as batch:
        batch.drop_column("decided_late")
        batch.drop_column("ended_on")
