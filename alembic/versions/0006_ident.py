"""Identity protection follows the person; duplicate hints for the holder of a matched case.

- petitioner.protected: a denouncer, here or on a case this one derives from (split, appeal,
  reclassification, duplicate link); case_file.identity_protected: the case carries one (or is a
  denunciation). Both sticky. Back-filled for every denunciation and every case once reclassified
  away from one.
- duplicate_hint: an intake elsewhere matched this case's petitioner (shown to its holder only).

Revision ID: 0006_ident
Revises: 0005_clock
Create Date: 2026-11-30
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0006_ident"
down_revision = "0005_clock"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("petitioner", schema=None) as batch_op:
        batch_op.add_column(sa.Column("protected", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity_protected", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "duplicate_hint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("other_case_id", sa.Integer(), nullable=False),
        sa.Column("match", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["case_file.id"], name=op.f("fk_duplicate_hint_case_id_case_file")),
        sa.ForeignKeyConstraint(["other_case_id"], ["case_file.id"],
                                name=op.f("fk_duplicate_hint_other_case_id_case_file")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_hint")),
        sa.UniqueConstraint("case_id", "other_case_id", name=op.f("uq_duplicate_hint_case_id_other_case_id")),
    )
    with op.batch_alter_table("duplicate_hint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duplicate_hint_case_id"), ["case_id"], unique=False)

    # Back-fill: today's denunciations, and cases the trail shows were reclassified from one.
    conn = op.get_bind()
    ids = {row[0] for row in conn.execute(sa.text("SELECT id FROM case_file WHERE kind = 'denunciation'"))}
    for case_id, changes in conn.execute(sa.text(
            "SELECT case_id, changes FROM audit_event WHERE action = 'case.reclassify' AND case_id IS NOT NULL")):
        doc = json.loads(changes) if isinstance(changes, str) else (changes or {})
        if (doc.get("kind") or {}).get("from") == "denunciation":
            ids.add(case_id)
    ids = sorted(ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        conn.execute(sa.text("UPDATE case_file SET identity_protected = :t WHERE id IN :ids")
                     .bindparams(sa.bindparam("ids", expanding=True)), {"t": True, "ids": chunk})
        conn.execute(sa.text("UPDATE petitioner SET protected = :t WHERE case_id IN :ids")
                     .bindparams(sa.bindparam("ids", expanding=True)), {"t": True, "ids": chunk})


def downgrade() -> None:
    with op.batch_alter_table("duplicate_hint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_hint_case_id"))
    op.drop_table("duplicate_hint")
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_column("identity_protected")
    with op.batch_alter_table("petitioner", schema=None) as batch_op:
        batch_op.drop_column("protected")
