"""One definition of overdue: the pure rule (app/workflows/overdue.py) and its SQL
(app/models/cases.overdue_clause) agree on every combination of status, stage and due date, on
the configured database."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from sqlalchemy import select, update

from app.models.cases import Case, overdue_clause
from app.workflows.lifecycle import Status
from app.workflows.overdue import is_overdue
from tests.api.casekit import TODAY, new_case


async def test_sql_and_pure_overdue_agree(client, make_user, db):
    _, desk = await make_user("reception", "MTTQ-01")
    combos = list(
        itertools.product(
            [
                Status.received,
                Status.accepted,
                Status.verifying,
                Status.suspended,
                Status.decided,
                Status.closed,
                Status.archived,
            ],
            ["processing", "resolution", None],
            [TODAY - timedelta(days=1), TODAY, None],
        )
    )
    ids = []
    for _ in combos:
        ids.append((await new_case(client, desk))["id"])
    for case_id, (status, stage, due) in zip(ids, combos, strict=True):
        await db.session.execute(
            update(Case).where(Case.id == case_id).values(status=status.value, stage=stage, due=due)
        )
    await db.session.flush()
    in_sql = set((await db.session.execute(select(Case.id).where(Case.id.in_(ids), overdue_clause(TODAY)))).scalars())
    expected = {
        case_id
        for case_id, (status, stage, due) in zip(ids, combos, strict=True)
        if is_overdue(status.value, stage, due, TODAY)
    }
    assert in_sql == expected
    # the rule itself: only a running stage past its due date, never a suspended or final case
    assert expected and all(
        combos[ids.index(i)][0] in (Status.received, Status.accepted, Status.verifying, Status.decided)
        for i in expected
    )
    assert not is_overdue("suspended", "resolution", date(2000, 1, 1), TODAY)
    assert not is_overdue("accepted", "resolution", TODAY, TODAY)  # due today is still on time
