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


async def test_overdue_among_statuses_is_the_status_filter_and_the_clause(client, make_user, db):
    """`overdue_clause(today, among=...)` (the case list's status filter folded into the clause)
    selects exactly the overdue cases whose status is among those."""
    _, desk = await make_user("reception", "MTTQ-01")
    combos = list(
        itertools.product(
            [Status.received, Status.accepted, Status.suspended, Status.decided, Status.closed],
            [TODAY - timedelta(days=1), TODAY],
        )
    )
    ids = [(await new_case(client, desk))["id"] for _ in combos]
    for case_id, (status, due) in zip(ids, combos, strict=True):
        await db.session.execute(
            update(Case).where(Case.id == case_id).values(status=status.value, stage="processing", due=due)
        )
    await db.session.flush()

    async def selected(*clauses) -> set[int]:
        return set((await db.session.execute(select(Case.id).where(Case.id.in_(ids), *clauses))).scalars())

    for among in (["received"], ["received", "suspended"], ["closed", "suspended"], ["accepted", "decided"]):
        both = await selected(Case.status.in_(among), overdue_clause(TODAY))
        assert await selected(overdue_clause(TODAY, among=among)) == both, among
        assert both == {
            i
            for i, (s, due) in zip(ids, combos, strict=True)
            if s.value in among and is_overdue(s.value, "p", due, TODAY)
        }
