"""The audit trail: read it, verify it, export its head."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.deps import DbSession, ReadSession
from app.errors import field_error
from app.models.audit import AuditChainHeadPublic, AuditEntity, AuditEvent, AuditEventPublic, AuditVerifyPublic
from app.models.base import DB_INT_MAX, Day, as_utc
from app.models.users import Role
from app.pagination import Cursor, Limit, Page
from app.problems import problem_responses
from app.routers.params import InputRoute, date_query, id_query
from app.security import Principal, RequireRole
from app.services import audit as audit_service
from app.services import audit_query

router = APIRouter(
    route_class=InputRoute,
    prefix="/api/v1/audit",
    tags=["supervision and audit"],
    responses=problem_responses(401, 403, descriptions={403: "Only supervisors and admins read the audit trail"}),
)
Auditor = Annotated[Principal, Depends(RequireRole(Role.supervisor, Role.admin))]


async def _city_wide_auditor(principal: Auditor) -> Principal:
    audit_query.require_city_wide(principal)
    return principal


CityAuditor = Annotated[Principal, Depends(_city_wide_auditor)]
_CHAIN = problem_responses(
    403, descriptions={403: "Only supervisors and admins whose jurisdiction is the whole city check the chain"}
)


def event_read(ev: AuditEvent) -> AuditEventPublic:
    data = AuditEventPublic.model_validate(ev, from_attributes=True)
    data.at = as_utc(ev.at)
    return data


@router.get(
    "",
    response_model=Page[AuditEventPublic],
    summary="Audit events in your jurisdiction, oldest first",
    description="Events about cases you may see, and about the dialogues, commitments, recommendations, "
    "reception sessions and voter meetings of your jurisdiction; for admins also events about "
    "the users, organisations and units of their jurisdiction, and, for admins of the whole "
    "city, the service's configuration. Events never carry a petitioner's identity.",
)
async def list_events(
    session: DbSession,
    principal: Auditor,
    case_id: Annotated[int | None, id_query("case")] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    from_: Annotated[Day | None, date_query("first day (Asia/Ho_Chi_Minh)", alias="from")] = None,
    to: Annotated[Day | None, date_query("last day, inclusive (Asia/Ho_Chi_Minh)")] = None,
    action: Annotated[
        str | None,
        Query(
            max_length=64,
            pattern=r"^[a-z_]+(\.[a-z_]+)+$",
            description="e.g. case.forward, dialogue.hold, recommendation.answer",
        ),
    ] = None,
    org: Annotated[
        str | None, Query(min_length=1, max_length=64, description="the acting user's organisation (code)")
    ] = None,
    entity: Annotated[AuditEntity | None, Query(description="what the event is about")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AuditEventPublic]:
    filters = audit_query.EventFilters(
        case_id=case_id,
        actor=actor,
        action=action,
        org=org,
        entity=entity.value if entity else None,
        from_=from_,
        to=to,
    )
    rows, nxt = await audit_query.list_events(session, principal, filters, limit=limit, cursor=cursor)
    return Page(items=[event_read(r) for r in rows], next_cursor=nxt)


@router.get("/verify", response_model=AuditVerifyPublic, summary="Recompute the hash chain", responses=_CHAIN)
async def verify(
    session: ReadSession,
    _: CityAuditor,
    head_seq: Annotated[int | None, Query(ge=1, le=DB_INT_MAX, description="an exported head's seq")] = None,
    head_hash: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
) -> AuditVerifyPublic:
    if (head_seq is None) != (head_hash is None):
        # half an exported head would silently check nothing: the operator must know
        missing = "head_hash" if head_hash is None else "head_seq"
        raise field_error(f"query.{missing}", "an exported head is a seq and a hash: give both")
    expect = (head_seq, head_hash) if head_seq is not None and head_hash is not None else None
    return await audit_service.verify(session, expect_head=expect)


@router.get(
    "/head",
    response_model=AuditChainHeadPublic,
    responses=_CHAIN,
    summary="The latest event's seq and hash, to keep outside the database",
)
async def chain_head(session: ReadSession, _: CityAuditor) -> dict:
    return await audit_service.head(session) or {"seq": 0, "hash": audit_service.GENESIS_HASH, "at": None}
