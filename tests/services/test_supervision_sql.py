"""The supervision rules' SQL agrees with their pure form, case by case, on the configured
database: due soon (app/models/supervision.due_soon_clause vs app/workflows/supervision.is_due_soon)."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import select, update

from app.models.cases import Case
from app.models.supervision import due_soon_clause
from app.workflows.lifecycle import Status
from app.workflows.supervision import is_due_soon
from tests.api.casekit import TODAY, new_case


async def test_sql_and_pure_due_soon_agree(client, make_user, db):
    _, desk = await make_user("reception", "MTTQ-01")
    horizon = TODAY + timedelta(days=7)
    combos = list(
        itertools.product(
            [Status.received, Status.suspended, Status.closed],
            ["processing", None],
            [TODAY - timedelta(days=1), TODAY, horizon + timedelta(days=1), None],
        )
    )
    ids = [(await new_case(client, desk))["id"] for _ in combos]
    for case_id, (status, stage, due) in zip(ids, combos, strict=True):
        await db.session.execute(
            update(Case).where(Case.id == case_id).values(status=status.value, stage=stage, due=due)
        )
    await db.session.flush()
    in_sql = set(
        (await db.session.execute(select(Case.id).where(Case.id.in_(ids), due_soon_clause(TODAY, horizon)))).scalars()
    )
    expected = {
        i
        for i, (status, stage, due) in zip(ids, combos, strict=True)
        if is_due_soon(status.value, stage, due, TODAY, horizon)
    }
    assert in_sql == expected and len(expected) == 1  # received, processing, due today
