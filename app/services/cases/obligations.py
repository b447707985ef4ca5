"""A case's obligations in the database: started, fulfilled and cancelled by the events of
app/workflows/obligations.py, inside the event's own transaction. What changed goes into the
event's `changes["obligations"]`, so the event's audit record covers it."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import Forbidden, field_error
from app.models.cases import Case
from app.models.obligations import CaseObligation, ObligationPublic
from app.models.reference import Organization
from app.security import Principal
from app.services.audit import txn_memo
from app.services.cases.common import holder_org_id
from app.services.clock import Clock
from app.workflows import obligations as rules

# Built once (every transition asks): the case's id is a parameter.
_OPEN_OBLIGATIONS = (
    select(CaseObligation)
    .where(
        col(CaseObligation.case_id) == bindparam("case_id"),
        col(CaseObligation.done_on).is_(None),
        col(CaseObligation.cancelled_on).is_(None),
    )
    .order_by(col(CaseObligation.started_on), col(CaseObligation.id))
)


async def open_obligations(session: AsyncSession, case_id: int) -> list[CaseObligation]:
    return list((await session.execute(_OPEN_OBLIGATIONS, {"case_id": case_id})).scalars())


_ALL = "case_obligations"  # txn memo: (_ALL, case id) -> all the case's obligations, as this transaction has them


def _case_obligations(session: AsyncSession, case_id: int) -> list[CaseObligation] | None:
    """All the case's obligations if this transaction has looked them up (`_open_now`): the same
    list, kept up to date by `on_event` (this module is the only writer of obligations), serves
    the response's list of them (`obligations_out`) without another query."""
    if not isinstance(session, AsyncSession):
        return None
    return txn_memo(session).get((_ALL, case_id))


async def _open_now(session: AsyncSession, case_id: int) -> list[CaseObligation]:
    """The case's open obligations as this transaction sees them, without flushing first: the
    caller's pending changes to the case (an action's assignment, say) then reach the database in
    one UPDATE with the rest of the action, not two. What a flush would have written is taken
    from the session instead: a row this transaction closed is not open, and a row it started
    and has not written yet is (after the stored ones, in the order they were added, as their
    ids would have sorted them). (The demo's in-memory session has nothing unwritten to miss.)"""
    if not isinstance(session, AsyncSession):
        return await open_obligations(session, case_id)
    rows = _case_obligations(session, case_id)
    if rows is None:
        with session.no_autoflush:
            stored = (
                await session.execute(
                    select(CaseObligation)
                    .where(col(CaseObligation.case_id) == case_id)
                    .order_by(col(CaseObligation.started_on), col(CaseObligation.id))
                )
            ).scalars()
        pending = [r for r in session.new if isinstance(r, CaseObligation) and r.case_id == case_id]
        rows = txn_memo(session)[(_ALL, case_id)] = [*stored, *pending]
    return [r for r in rows if r.done_on is None and r.cancelled_on is None]


def _log(changes: dict[str, Any], what: str, row: CaseObligation) -> None:
    changes.setdefault("obligations", {}).setdefault(what, []).append(
        {"key": row.key, "due": row.due} if what == "started" else row.key
    )


async def on_event(
    session: AsyncSession,
    case: Case,
    event: str,
    on: date,
    clock: Clock,
    changes: dict[str, Any],
    *,
    followup: bool = False,
    receiver_kind: str | None = None,
    new_case: bool = False,
) -> list[CaseObligation]:
    """Apply an event to the case's obligations: fulfil or cancel the open ones it ends, start the
    ones it begins (the rules in force on `on`); the rows it started. `new_case`: the case was
    inserted by this transaction just now (intake), so it has no obligations yet to look up."""
    if case.id is not None and not new_case:
        for row in await _open_now(session, case.id):
            effect = rules.discharges(event, row.key)
            if effect == "done":
                row.done_on = on
                _log(changes, "done", row)
            elif effect == "cancelled":
                row.cancelled_on = on
                _log(changes, "cancelled", row)
    forwarded = case.assigned_org_id is not None and case.assigned_org_id != case.receiving_org_id
    if receiver_kind is None and rules.depends_on_receiver(event):
        receiver_kind = await _kind_of(session, case.receiving_org_id)
    started = []
    for rule in rules.starts(
        event,
        case.kind,
        on,
        followup=followup,
        forwarded=forwarded,
        accepted=case.accepted_on is not None,
        receiver_kind=receiver_kind,
    ):
        row = CaseObligation(
            case_id=case.id,
            key=rule.key,
            started_on=on,
            due=rule.due(on, clock.calendar),
            org_id=holder_org_id(case) if rule.owner == "holder" else case.receiving_org_id,
            source=rule.source,
        )
        session.add(row)
        started.append(row)
        _log(changes, "started", row)
    known = _case_obligations(session, case.id) if case.id is not None else None
    if known is not None:
        known.extend(started)
    return started


async def owed_keys(session: AsyncSession, case_id: int, org_id: int) -> list[str]:
    """The keys of the case's open obligations this organisation owes."""
    return sorted({r.key for r in await open_obligations(session, case_id) if r.org_id == org_id})


async def _kind_of(session: AsyncSession, org_id: int) -> str | None:
    org = await session.get(Organization, org_id)
    return org.kind if org else None


async def fulfil(
    session: AsyncSession, principal: Principal, case: Case, key: str | None, on: date, changes: dict[str, Any]
) -> None:
    """`notify`: the notice or decision an open obligation asks for was sent on `on`."""
    rows = await open_obligations(session, case.id)
    row = next((r for r in rows if r.key == key), None)
    if row is None:
        still = sorted({r.key for r in rows})
        raise field_error(
            "body.obligation",
            f"no open obligation '{key}' on this case; open: " + (", ".join(still) if still else "none"),
        )
    if row.org_id != principal.org.id:
        raise Forbidden(f"'{key}' is owed by another organisation.")
    if on < row.started_on:
        raise field_error("body.on", f"is before the obligation started ({row.started_on.isoformat()})")
    row.done_on = on
    _log(changes, "done", row)


async def obligations_out(
    session: AsyncSession, case_id: int, today: date, org_code: Any, known: list[CaseObligation] | None = None
) -> list[ObligationPublic]:
    """The case's obligations, oldest first; `org_code(org_id)` is an awaitable look-up. `known`:
    all of them, flushed (a case this transaction has just opened: the ones its intake started)."""
    if known is None and (known := _case_obligations(session, case_id)) is not None:
        await session.flush()  # (ids for the rows started by this transaction)
    if known is not None:
        rows: Any = sorted(known, key=lambda r: (r.started_on, r.id))
    else:
        rows = (
            await session.execute(
                select(CaseObligation)
                .where(col(CaseObligation.case_id) == case_id)
                .order_by(col(CaseObligation.started_on), col(CaseObligation.id))
            )
        ).scalars()
    out = []
    for r in rows:
        rule = rules.rule_for(r.key)
        out.append(
            ObligationPublic(
                key=r.key,
                label=rule.label if rule else r.key,
                due=r.due,
                done_on=r.done_on,
                cancelled_on=r.cancelled_on,
                overdue=rules.is_obligation_overdue(r.due, r.done_on, r.cancelled_on, today),
                source=r.source,
                started_on=r.started_on,
                org_code=await org_code(r.org_id),
            )
        )
    return out
