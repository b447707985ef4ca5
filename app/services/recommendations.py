"""Supervision recommendations (kiến nghị giám sát): issue, answer, close or reopen, list.

Who sees one: supervisors and admins whose jurisdiction covers its unit (the case's place, else
the target organisation's unit) or the target organisation's unit; the target organisation's own
officers. Everyone else gets 404, as for cases. Every change is audited in the same transaction
(entity "recommendation", with the case id when there is a case, so that it shows in the case's
history and in the supervisors' audit trail).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db import referenced
from app.errors import (
    Forbidden,
    IllegalAction,
    PreconditionRequired,
    Stale,
    field_error,
    required_fields,
    unknown_reference,
)
from app.models.base import as_utc, utcnow
from app.models.cases import Case
from app.models.reference import AdminUnit, Organization
from app.models.supervision import (
    Recommendation,
    RecommendationCreate,
    RecommendationPublic,
    RecommendationTransitionCreate,
    recommendation_overdue_clause,
)
from app.security import Principal
from app.services import audit
from app.services.cases_scope import visible_clause
from app.services.linked_cases import visible_row
from app.services.reference import org_unit
from app.workflows import recommendations as rl
from app.workflows.calendar import days_overdue
from app.workflows.recommendations import Party, RecStatus
from app.workflows.roles import Role

ENTITY = "recommendation"
_OVERSEERS = frozenset({Role.supervisor, Role.admin})


def visible_clause_rec(principal: Principal):
    """The recommendations this caller may read."""
    if principal.role in _OVERSEERS:
        prefix = principal.jurisdiction_path
        return or_(
            col(Recommendation.unit_path).startswith(prefix, autoescape=True),
            col(Recommendation.target_path).startswith(prefix, autoescape=True),
            col(Recommendation.target_org_id) == principal.org.id,
        )
    return Recommendation.target_org_id == principal.org.id


def parties(rec: Recommendation, principal: Principal) -> frozenset[Party]:
    out = set()
    if principal.org.id == rec.target_org_id:
        out.add(Party.target)
    if principal.org.id == rec.issuer_org_id:
        out.add(Party.issuer)
    return frozenset(out)


def allowed_for(rec: Recommendation, principal: Principal) -> list[str]:
    return rl.allowed(RecStatus(rec.status), principal.role, parties(rec, principal))


async def get_visible(
    session: AsyncSession, principal: Principal, rec_id: int, *, for_update: bool = False
) -> Recommendation:
    return await visible_row(
        session,
        Recommendation,
        col(Recommendation.id),
        rec_id,
        visible_clause_rec(principal),
        f"No recommendation {rec_id} in your jurisdiction.",
        for_update=for_update,
    )


async def _org(session: AsyncSession, code: str, field_name: str) -> Organization:
    org = (await session.execute(select(Organization).where(col(Organization.code) == code))).scalar_one_or_none()
    if org is None:
        raise unknown_reference(field_name, f"no organisation with code {code}")
    return org


async def create(
    session: AsyncSession, principal: Principal, data: RecommendationCreate, today: date
) -> Recommendation:
    if principal.role != Role.supervisor:
        raise Forbidden(f"Role '{principal.role.value}' may not issue recommendations; supervisors do.")
    if data.case_id is None and data.target_org is None:
        raise field_error("body.target_org", "give the case (case_id) or the organisation (target_org) it is for")
    if data.response_due < today:
        raise field_error("body.response_due", f"is in the past (today is {today.isoformat()} in Hanoi)")
    case = None
    if data.case_id is not None:
        case = (
            await session.execute(select(Case).where(col(Case.id) == data.case_id, visible_clause(principal)))
        ).scalar_one_or_none()
        if case is None:
            raise unknown_reference("body.case_id", f"no case {data.case_id} in your jurisdiction")
    if data.target_org is not None:
        target = await _org(session, data.target_org, "body.target_org")
    else:
        assert case is not None  # a case or a target organisation is given (checked above)
        target = await referenced(session, Organization, case.assigned_org_id or case.receiving_org_id)
    target_unit = await org_unit(session, target)
    if case is not None:
        unit_code, unit_path = case.location_unit_code, case.location_path
    else:
        if not principal.covers(target_unit.path):
            raise unknown_reference("body.target_org", f"{target.code} is outside your jurisdiction")
        unit_code, unit_path = target_unit.code, target_unit.path
    rec = Recommendation(
        case_id=case.id if case else None,
        target_org_id=target.id,
        target_path=target_unit.path,
        unit_code=unit_code,
        unit_path=unit_path,
        issuer_org_id=principal.org.id,
        issued_by_id=principal.user.id,
        issued_on=today,
        content=data.content,
        response_due=data.response_due,
        status=RecStatus.open.value,
    )
    session.add(rec)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action="recommendation.create",
        entity=ENTITY,
        entity_id=rec.id,
        case_id=rec.case_id,
        to_status=rec.status,
        changes={"target_org": target.code, "response_due": rec.response_due, "unit": unit_code},
    )
    return rec


def _check_version(rec: Recommendation, if_match: str | None) -> None:
    if if_match is None:
        raise PreconditionRequired("If-Match is required: send the ETag of the recommendation you read.")
    tag = if_match.strip().removeprefix("W/").strip('"')
    if tag != "*" and tag != str(rec.version):
        raise Stale(
            f"The recommendation changed since you read it (version {rec.version}, you sent {tag}).",
            current_version=rec.version,
        )


async def act(
    session: AsyncSession,
    principal: Principal,
    rec: Recommendation,
    name: str,
    today: date,
    if_match: str | None,
    *,
    response: str | None = None,
    reason: str | None = None,
    response_due: date | None = None,
) -> Recommendation:
    """One action of app/workflows/recommendations.py's table on `rec`."""
    status = RecStatus(rec.status)
    action = rl.find(name, status)
    if action is None:
        if name not in rl.REC_ACTION_NAMES:
            raise field_error("body.action", f"one of {', '.join(rl.REC_ACTION_NAMES)}")
        raise IllegalAction(
            f"'{name}' is not allowed while the recommendation is {status.value}.",
            status_now=status.value,
            allowed_actions=allowed_for(rec, principal),
        )
    if principal.role not in action.roles or action.party not in parties(rec, principal):
        who = "the organisation it is addressed to" if action.party == Party.target else "the issuing organisation"
        raise Forbidden(f"Only {', '.join(sorted(r.value for r in action.roles))} of {who} may '{name}'.")
    _check_version(rec, if_match)
    values = {"response": response, "reason": reason, "response_due": response_due}
    missing = [f for f in action.required if values.get(f) in (None, "")]
    if missing:
        raise required_fields(name, missing)
    before = rec.status
    changes: dict[str, Any] = {}
    if name == "answer":
        rec.response, rec.answered_on, rec.answered_by_id = response, today, principal.user.id
        rec.answered_late = today > rec.response_due
        changes.update(answered_on=today, answered_late=rec.answered_late)
    elif name == "close":
        rec.closed_on = today
    elif name == "reopen" and response_due is not None:
        if response_due < today:
            raise field_error("body.response_due", f"is in the past (today is {today.isoformat()} in Hanoi)")
        changes["response_due"] = {"from": rec.response_due, "to": response_due}
        rec.response_due = response_due
    rec.status = action.to_status.value
    rec.version += 1
    rec.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action=f"recommendation.{name}",
        entity=ENTITY,
        entity_id=rec.id,
        case_id=rec.case_id,
        from_status=before,
        to_status=rec.status,
        changes=changes or None,
        reason=reason if name != "answer" else response,
    )
    return rec


async def transition(
    session: AsyncSession,
    principal: Principal,
    rec: Recommendation,
    data: RecommendationTransitionCreate,
    today: date,
    if_match: str | None,
) -> Recommendation:
    if data.action == "answer":
        raise field_error("body.action", "answer through POST …/{id}/response")
    return await act(
        session, principal, rec, data.action, today, if_match, reason=data.reason, response_due=data.response_due
    )


@dataclass
class RecFilters:
    unit: str | None = None
    target_org: str | None = None
    status: str | None = None
    overdue: bool | None = None
    case_id: int | None = None


async def list_recommendations(
    session: AsyncSession, principal: Principal, f: RecFilters, today: date, *, limit: int, after_id: int | None
) -> list[Recommendation]:
    """Newest first (by id); `limit + 1` rows for cut_page."""
    stmt = select(Recommendation).where(visible_clause_rec(principal))
    if f.unit:
        unit = await session.get(AdminUnit, f.unit)
        if unit is None:
            raise unknown_reference("query.unit", f"no administrative unit with code {f.unit}")
        stmt = stmt.where(col(Recommendation.unit_path).startswith(unit.path, autoescape=True))
    if f.target_org:
        org = await _org(session, f.target_org, "query.target_org")
        stmt = stmt.where(col(Recommendation.target_org_id) == org.id)
    if f.status:
        stmt = stmt.where(col(Recommendation.status) == f.status)
    if f.overdue is not None:
        clause = recommendation_overdue_clause(today)
        stmt = stmt.where(clause if f.overdue else ~clause)
    if f.case_id is not None:
        stmt = stmt.where(col(Recommendation.case_id) == f.case_id)
    if after_id is not None:
        stmt = stmt.where(col(Recommendation.id) < after_id)
    return list((await session.execute(stmt.order_by(col(Recommendation.id).desc()).limit(limit + 1))).scalars())


async def to_out(
    session: AsyncSession, principal: Principal, recs: list[Recommendation], today: date
) -> list[RecommendationPublic]:
    org_ids = {r.target_org_id for r in recs} | {r.issuer_org_id for r in recs}
    orgs = (
        {
            o.id: o
            for o in (await session.execute(select(Organization).where(col(Organization.id).in_(org_ids)))).scalars()
        }
        if org_ids
        else {}
    )
    case_ids = {r.case_id for r in recs if r.case_id}
    codes = (
        dict((await session.execute(select(col(Case.id), col(Case.code)).where(col(Case.id).in_(case_ids)))).all())
        if case_ids
        else {}
    )
    out = []
    for r in recs:
        overdue = rl.is_overdue(r.status, r.response_due, today)
        target = orgs[r.target_org_id]
        out.append(
            RecommendationPublic(
                id=r.id,
                case_id=r.case_id,
                case_code=codes.get(r.case_id) if r.case_id else None,
                target_org=target.code,
                target_org_name=target.name,
                unit_code=r.unit_code,
                issuer_org=orgs[r.issuer_org_id].code,
                issued_on=r.issued_on,
                content=r.content,
                response_due=r.response_due,
                status=RecStatus(r.status),
                overdue=overdue,
                days_overdue=days_overdue(r.response_due, today) if overdue else 0,
                response=r.response,
                answered_on=r.answered_on,
                answered_late=r.answered_late,
                closed_on=r.closed_on,
                allowed_actions=allowed_for(r, principal),
                version=r.version,
                created_at=as_utc(r.created_at),
                updated_at=as_utc(r.updated_at),
            )
        )
    return out
