"""One definition of a missed obligation: the pure rule (app/workflows/obligations.py) and its SQL
(app/models/obligations.obligation_overdue_clause) agree on every combination, on the configured database."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import select

from app.models.cases import Case
from app.models.obligations import CaseObligation, case_has_overdue_obligation, obligation_overdue_clause
from app.workflows.obligations import is_obligation_overdue
from tests.api.casekit import TODAY, new_case


async def test_sql_and_pure_obligation_overdue_agree(client, make_user, db):
    _, desk = await make_user("reception", "MTTQ-01")
    case = await new_case(client, desk, kind="petition")
    org_id = (await db.session.get(Case, case["id"])).receiving_org_id
    days = [TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=1)]
    combos = list(itertools.product(days, [None, TODAY - timedelta(days=2)], [None, TODAY - timedelta(days=2)]))
    rows = []
    for due, done, cancelled in combos:
        row = CaseObligation(
            case_id=case["id"],
            key="tc29_notify_acceptance",
            org_id=org_id,
            started_on=TODAY - timedelta(days=10),
            due=due,
            done_on=done,
            cancelled_on=cancelled,
            source="test",
        )
        db.session.add(row)
        rows.append(row)
    await db.session.flush()
    in_sql = set(
        (
            await db.session.execute(
                select(CaseObligation.id).where(CaseObligation.case_id == case["id"], obligation_overdue_clause(TODAY))
            )
        ).scalars()
    )
    expected = {r.id for r in rows if is_obligation_overdue(r.due, r.done_on, r.cancelled_on, TODAY)}
    assert in_sql == expected and len(expected) == 1  # only: due yesterday, neither done nor cancelled
    has = (
        await db.session.execute(
            select(Case.id).where(Case.id == case["id"], case_has_overdue_obligation(Case.id, TODAY))
        )
    ).scalar()
    assert has == case["id"]
