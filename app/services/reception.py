"""Reception sessions (tiếp công dân): desk sessions and heads' own sessions, with visitors,
delegations and the cases received; and the compliance of heads with the legal frequency of
their own sessions (Luật Tiếp công dân Art 12, 13, 15, 18; app/workflows/dialogues.py).

A session is visible when its organisation's unit is in the caller's jurisdiction. A desk or
handler records the sessions of their own organisation, or of an organisation at their own unit
(the city's citizen reception board records the city chairman's sessions at its office).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import Forbidden, field_error
from app.models.base import as_utc
from app.models.dialogues import (
    ComplianceItemPublic,
    CompliancePublic,
    ReceptionRulePublic,
    ReceptionSession,
    ReceptionSessionCase,
    ReceptionSessionCreate,
    ReceptionSessionPublic,
)
from app.models.reference import AdminUnit, Organization
from app.security import Principal
from app.services import audit
from app.services.linked_cases import (
    cases_by_id,
    linked_case,
    org_by_code,
    orgs_by_id,
    unit_by_code,
    visible_cases,
)
from app.services.reference import org_path
from app.workflows import dialogues as rules
from app.workflows.roles import Role

RECORDERS = frozenset({Role.reception, Role.handler})


def visible_clause(principal: Principal):
    return col(ReceptionSession.org_path).startswith(principal.jurisdiction_path, autoescape=True)


async def create(
    session: AsyncSession, principal: Principal, data: ReceptionSessionCreate, today: date
) -> ReceptionSession:
    if principal.role not in RECORDERS:
        raise Forbidden(
            f"Role '{principal.role.value}' may not record reception sessions; allowed: handler, reception."
        )
    org = principal.org
    if data.org is not None and data.org != org.code:
        org = await org_by_code(session, data.org, "body.org")
        if org.unit_code != principal.org.unit_code:
            raise Forbidden("You record the sessions of your own organisation or of one at your own unit.")
    if data.held_on > today:
        raise field_error("body.held_on", f"is in the future (today is {today.isoformat()} in Hanoi)")
    cases = await visible_cases(session, principal, data.case_ids, "body.case_ids")
    row = ReceptionSession(
        org_id=org.id,
        org_path=await org_path(session, org),
        held_on=data.held_on,
        host_name=data.host_name,
        host_title=data.host_title,
        led_by_head=data.led_by_head,
        visitors=data.visitors,
        delegations=data.delegations,
        notes=data.notes,
        created_by_id=principal.user.id,
    )
    session.add(row)
    await session.flush()
    for c in cases:
        session.add(ReceptionSessionCase(session_id=row.id, case_id=c.id))
    ids = [c.id for c in cases]
    await audit.record(
        session,
        actor=principal,
        action="reception_session.create",
        entity="reception_session",
        entity_id=row.id,
        case_id=ids[0] if len(ids) == 1 else None,
        changes={
            "org": org.code,
            "held_on": row.held_on,
            "led_by_head": row.led_by_head,
            "host_title": row.host_title,
            "visitors": row.visitors,
            "delegations": row.delegations,
            "case_ids": ids,
        },
    )
    return row


@dataclass
class SessionFilters:
    org: str | None = None
    unit: str | None = None
    led_by_head: bool | None = None
    held_from: date | None = None
    held_to: date | None = None


async def list_sessions(
    session: AsyncSession, principal: Principal, f: SessionFilters, *, limit: int, after: list[Any] | None
) -> list[ReceptionSession]:
    """Newest first (`[held_on, id]` keyset); limit + 1 rows for cut_page."""
    stmt = select(ReceptionSession).where(visible_clause(principal))
    if f.org:
        org = await org_by_code(session, f.org, "query.org")
        stmt = stmt.where(col(ReceptionSession.org_id) == org.id)
    if f.unit:
        unit = await unit_by_code(session, f.unit, "query.unit")
        stmt = stmt.where(col(ReceptionSession.org_path).startswith(unit.path, autoescape=True))
    if f.led_by_head is not None:
        stmt = stmt.where(col(ReceptionSession.led_by_head) == f.led_by_head)
    if f.held_from:
        stmt = stmt.where(col(ReceptionSession.held_on) >= f.held_from)
    if f.held_to:
        stmt = stmt.where(col(ReceptionSession.held_on) <= f.held_to)
    if after is not None:
        day, last_id = date.fromisoformat(after[0]), after[1]
        stmt = stmt.where(
            or_(
                col(ReceptionSession.held_on) < day,
                and_(col(ReceptionSession.held_on) == day, col(ReceptionSession.id) < last_id),
            )
        )
    order = (col(ReceptionSession.held_on).desc(), col(ReceptionSession.id).desc())
    return list((await session.execute(stmt.order_by(*order).limit(limit + 1))).scalars())


async def sessions_out(
    session: AsyncSession, rows: Sequence[ReceptionSession], today: date
) -> list[ReceptionSessionPublic]:
    ids = [r.id for r in rows]
    links: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for sid, cid in (
            await session.execute(
                select(col(ReceptionSessionCase.session_id), col(ReceptionSessionCase.case_id))
                .where(col(ReceptionSessionCase.session_id).in_(ids))
                .order_by(col(ReceptionSessionCase.case_id))
            )
        ).all():
            links[sid].append(cid)
    cases = await cases_by_id(session, {c for cs in links.values() for c in cs})
    orgs = await orgs_by_id(session, {r.org_id for r in rows})
    return [
        ReceptionSessionPublic(
            id=r.id,
            org=orgs[r.org_id].code,
            org_name=orgs[r.org_id].name,
            host_name=r.host_name,
            host_title=r.host_title,
            led_by_head=r.led_by_head,
            held_on=r.held_on,
            visitors=r.visitors,
            delegations=r.delegations,
            case_ids=links[r.id],
            cases=[linked_case(cases[c], today) for c in links[r.id]],
            notes=r.notes,
            created_at=as_utc(r.created_at),
        )
        for r in rows
    ]


def _rule_out(rule: rules.ReceptionRule) -> ReceptionRulePublic:
    return ReceptionRulePublic(
        key=rule.key,
        head=rule.head,
        frequency=rule.frequency,
        effective_from=rule.effective_from,
        effective_to=rule.effective_to,
        source=rule.source,
        evidence=rule.evidence,
    )


async def compliance(
    session: AsyncSession,
    principal: Principal,
    *,
    year: int,
    month: int,
    unit: str | None,
    org: str | None,
    today: date,
) -> CompliancePublic:
    """For each organisation in the jurisdiction (and under `unit`) whose head the law obliges to
    receive citizens in person: the month's sessions led by the head against the frequency in
    force on the month's first day."""
    first, last = rules.month_bounds(year, month)
    scope = [col(AdminUnit.path).startswith(principal.jurisdiction_path, autoescape=True)]
    if unit:
        u = await unit_by_code(session, unit, "query.unit")
        scope.append(col(AdminUnit.path).startswith(u.path, autoescape=True))
    kinds = sorted({k for r in rules.RECEPTION_RULES for k in r.org_kinds})
    stmt = (
        select(Organization, col(AdminUnit.level), col(AdminUnit.path))
        .join(AdminUnit, col(AdminUnit.code) == col(Organization.unit_code))
        .where(col(Organization.kind).in_(kinds), col(Organization.active).is_(True), *scope)
        .order_by(AdminUnit.path, Organization.code)
    )
    if org:
        o = await org_by_code(session, org, "query.org")
        stmt = stmt.where(col(Organization.id) == o.id)
    candidates = [
        (o, rules.reception_rule(o.kind, level, first)) for o, level, _ in (await session.execute(stmt)).all()
    ]
    heads = [(o, rule) for o, rule in candidates if rule is not None]
    days: dict[int, set[date]] = {o.id: set() for o, _ in heads}
    if heads:
        # a weekly rule looks at whole weeks, which may reach six days into the months around it
        day_rows = await session.execute(
            select(col(ReceptionSession.org_id), col(ReceptionSession.held_on))
            .distinct()
            .join(AdminUnit, col(AdminUnit.path) == col(ReceptionSession.org_path))
            .where(
                col(ReceptionSession.led_by_head).is_(True),
                col(ReceptionSession.held_on) >= first - timedelta(days=6),
                col(ReceptionSession.held_on) <= last + timedelta(days=6),
                *scope,
            )
        )
        for org_id, held_on in day_rows.all():
            if org_id in days:
                days[org_id].add(held_on)
    items = []
    for o, rule in heads:
        result = rules.reception_compliance(rule, year, month, days[o.id])
        items.append(
            ComplianceItemPublic(
                org=o.code,
                org_name=o.name,
                unit_code=o.unit_code,
                rule=_rule_out(rule),
                measure=result.measure,
                required=result.required,
                met=result.met,
                compliant=result.compliant,
                head_session_days=sorted(d for d in days[o.id] if first <= d <= last),
                weeks_missed=list(result.weeks_missed),
            )
        )
    ok = sum(1 for i in items if i.compliant)
    return CompliancePublic(
        year=year, month=month, month_complete=last < today, items=items, compliant=ok, not_compliant=len(items) - ok
    )
