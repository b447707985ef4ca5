"""Cases over HTTP: parse, authorise, call the case service, shape the response."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app.deps import (
    CaseForUpdate,
    CurrentCase,
    DbSession,
    IdemKey,
    IfMatch,
    RequestClock,
    Today,
    etag,
    idempotent_replay,
    remember_response,
)
from app.errors import CURSOR, field_error
from app.models.audit import AuditEventPublic
from app.models.base import DB_INT_MAX, Day
from app.models.cases import (
    CaseActionsPublic,
    CaseCreate,
    CaseCreatedPublic,
    CaseDetailPublic,
    CaseField,
    CasePublic,
    CaseSplitCreate,
    CaseSplitPublic,
    CaseTransitionCreate,
    CaseTransitionPublic,
    CaseUpdate,
)
from app.pagination import Cursor, Limit, Page, cut_page, decode_cursor, encode_cursor
from app.problems import problem_responses
from app.routers.audit import event_read
from app.routers.params import InputRoute
from app.security import CurrentPrincipal, Principal, RequireRole
from app.services import cases as svc
from app.workflows import lifecycle as lc
from app.workflows.lifecycle import Kind, Status
from app.workflows.roles import Role

router = APIRouter(route_class=InputRoute, prefix="/api/v1/cases", tags=["cases"], responses=problem_responses(401))
Desk = Annotated[Principal, Depends(RequireRole(Role.reception, Role.handler))]
_OUTCOMES = "|".join(dict.fromkeys(o for outcomes in lc.OUTCOMES.values() for o in outcomes))

_DESCRIPTIONS = {
    403: "Your role or organisation may not act on this case",
    404: "No such case in your jurisdiction (its existence is not revealed)",
    409: "Not allowed in the case's current status: `allowed_actions` lists what is",
}
_ETAG = {"ETag": {"description": "the case's version, for `If-Match`", "schema": {"type": "string"}}}


def _responses(*statuses: int, ok: int | None = None) -> dict:
    """Problem responses for case routes; `ok`: the success status, which carries the ETag."""
    out = problem_responses(*statuses, descriptions=_DESCRIPTIONS)
    if ok is not None:
        out[ok] = {"headers": _ETAG}
    return out


def _case_cursor(after: list[Any] | None, sort: str) -> list[Any] | None:
    """A list cursor is `[sort value, id]`: refuse one that does not fit this sort (a forged one,
    or one from a list sorted another way) as bad input, before the case service parses it."""
    if after is None:
        return None
    value, last_id = after
    ok = type(last_id) is int and 1 <= last_id <= DB_INT_MAX
    column = sort.lstrip("-")
    try:
        if column == "id":
            ok = ok and type(value) is int and 1 <= value <= DB_INT_MAX
        elif column in ("received_on", "due"):
            ok = ok and isinstance(value, str) and date.fromisoformat(value) is not None
        else:
            ok = ok and isinstance(value, str) and datetime.fromisoformat(value) is not None
    except ValueError:
        ok = False
    if not ok:
        raise field_error("query.cursor", f"not a cursor of a list sorted by {sort}", kind=CURSOR)
    return after


@router.post(
    "",
    response_model=CaseCreatedPublic,
    status_code=201,
    summary="Log a petition (tiếp nhận)",
    description="The response carries the tracking code and PIN (`tracking`): the PIN is shown only here.",
    responses=_responses(403, 409, 422, 503, ok=201),
)
async def create_case(
    request: Request,
    response: Response,
    session: DbSession,
    principal: Desk,
    body: CaseCreate,
    clock: RequestClock,
    idempotency_key: IdemKey = None,
) -> Any:
    replay, pending = await idempotent_replay(request, session, principal, idempotency_key)
    if replay is not None:
        return replay
    res = await svc.intake(session, principal, body, clock)
    out = await svc.created_response(session, principal, res, svc.OrgCache.for_caller(session, principal), clock.today)
    await remember_response(session, principal, pending, 201, out)
    response.headers["ETag"] = etag(res.case)
    response.headers["Location"] = f"/api/v1/cases/{res.case.id}"
    return out


@router.get("", response_model=Page[CasePublic], summary="Cases in your jurisdiction", responses=_responses(422))
async def list_cases(
    session: DbSession,
    principal: CurrentPrincipal,
    t: Today,
    status: Annotated[list[Status] | None, Query(description="repeatable")] = None,
    kind: Kind | None = None,
    field: CaseField | None = None,
    unit: Annotated[
        str | None, Query(max_length=16, description="administrative unit code: the unit and below")
    ] = None,
    assigned_org: Annotated[str | None, Query(max_length=64)] = None,
    receiving_org: Annotated[str | None, Query(max_length=64)] = None,
    overdue: bool | None = None,
    obligation_overdue: Annotated[bool | None, Query(description="cases with a missed obligation (or none)")] = None,
    due_before: Day | None = None,
    received_from: Day | None = None,
    received_to: Day | None = None,
    q: Annotated[str | None, Query(max_length=200, description="text; diacritics-insensitive")] = None,
    sort: Annotated[str, Query(pattern="^(-?received_on|-?due|-?id|-updated_at)$")] = "-received_on",
    limit: Limit = 50,
    cursor: Cursor = None,
    pending_on: Annotated[
        Day | None,
        Query(
            description="received by that day, and neither decided nor in a final "
            "status at its end (a report's carried over: the period's "
            "eve)"
        ),
    ] = None,
    ended_from: Annotated[Day | None, Query(description="reached a final status on or after")] = None,
    ended_to: Annotated[Day | None, Query(description="reached a final status on or before")] = None,
    accepted: Annotated[bool | None, Query(description="accepted (thụ lý) at some point, or never")] = None,
    accepted_from: Day | None = None,
    accepted_to: Day | None = None,
    decided_from: Annotated[Day | None, Query(description="decision, conclusion or answer on or after")] = None,
    decided_to: Day | None = None,
    decided_late: Annotated[bool | None, Query(description="decided after the due date then in force")] = None,
    outcome: Annotated[str | None, Query(pattern=f"^({_OUTCOMES})$", description="the decision's outcome")] = None,
    forwarded: Annotated[bool | None, Query(description="held by another organisation than the receiving one")] = None,
    mass: Annotated[bool | None, Query(description="mass petitions (5 or more petitioners)")] = None,
    signers_min: Annotated[int | None, Query(ge=1, le=100000, description="at least this many petitioners")] = None,
) -> Page[CasePublic]:
    filters = svc.CaseFilters(
        status=[s.value for s in status] if status else None,
        kind=kind.value if kind else None,
        field=field.value if field else None,
        unit=unit,
        assigned_org=assigned_org,
        receiving_org=receiving_org,
        overdue=overdue,
        obligation_overdue=obligation_overdue,
        due_before=due_before,
        received_from=received_from,
        received_to=received_to,
        q=q,
        sort=sort,
        pending_on=pending_on,
        ended_from=ended_from,
        ended_to=ended_to,
        accepted=accepted,
        accepted_from=accepted_from,
        accepted_to=accepted_to,
        decided_from=decided_from,
        decided_to=decided_to,
        decided_late=decided_late,
        outcome=outcome if outcome else None,
        forwarded=forwarded,
        mass=mass,
        signers_min=signers_min,
    )
    after = _case_cursor(decode_cursor(cursor, 2), sort)
    rows, nxt = await svc.list_cases(session, principal, filters, t, limit=limit, after=after)
    orgs = svc.OrgCache(session)
    await orgs.preload({r.receiving_org_id for r in rows} | {r.assigned_org_id for r in rows if r.assigned_org_id})
    return Page(items=[await svc.case_out(r, orgs, t) for r in rows], next_cursor=encode_cursor(nxt) if nxt else None)


@router.get(
    "/{case_id}",
    response_model=CaseDetailPublic,
    summary="One case, with its ETag",
    responses=_responses(404, 422, ok=200),
)
async def get_case(
    response: Response, session: DbSession, principal: CurrentPrincipal, case: CurrentCase, t: Today
) -> CaseDetailPublic:
    response.headers["ETag"] = etag(case)
    return await svc.case_detail(session, case, svc.OrgCache(session), principal, t)


@router.patch(
    "/{case_id}",
    response_model=CaseDetailPublic,
    summary="Edit descriptive fields (If-Match required)",
    responses=_responses(403, 404, 412, 422, 428, ok=200),
)
async def patch_case(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case: CaseForUpdate,
    body: CaseUpdate,
    clock: RequestClock,
    if_match: IfMatch = None,
) -> CaseDetailPublic:
    await svc.update(session, principal, case, body, clock, if_match)
    response.headers["ETag"] = etag(case)
    return await svc.case_detail(
        session, case, svc.OrgCache(session), principal, clock.today, audit_identity_read=False
    )


@router.get(
    "/{case_id}/actions",
    response_model=CaseActionsPublic,
    summary="What you may do to this case now",
    responses=_responses(404, 422),
)
async def case_actions(session: DbSession, principal: CurrentPrincipal, case: CurrentCase) -> CaseActionsPublic:
    owed = await svc.owed_keys(session, case.id, principal.org.id)
    return CaseActionsPublic(
        case_id=case.id,
        status=Status(case.status),
        version=case.version,
        actions=svc.actions_for(case, principal, owed),
    )


def _transition_description() -> str:
    """The fields each action requires, from the lifecycle table: a schema-valid body without them
    is a 422 of type `rule`, which the document thus predicts."""
    required: dict[str, list[str]] = {}
    for action in lc.ACTIONS:
        fields = required.setdefault(action.name, [])
        fields += [f for f in action.required if f not in fields]
    lines = [
        f"- `{name}`: " + (", ".join(f"`{f}`" for f in fields) or "nothing more") for name, fields in required.items()
    ]
    return (
        "`appeal` returns the round-2 case it opens in `opened_case`.\n\n"
        "What each action requires besides `action` (without it: a 422 whose error `type` is `rule`; "
        "`ground` must be a ground of the action for the case's kind and `outcome` an outcome of its kind, "
        "docs/lifecycle.md; `GET /cases/{id}/actions` lists what you may do now):\n\n" + "\n".join(lines)
    )


@router.post(
    "/{case_id}/transitions",
    response_model=CaseTransitionPublic,
    summary="Take an action (If-Match required)",
    description=_transition_description(),
    responses=_responses(403, 404, 409, 412, 422, 428, ok=200),
)
async def transition(
    request: Request,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case: CaseForUpdate,
    body: CaseTransitionCreate,
    clock: RequestClock,
    if_match: IfMatch = None,
    idempotency_key: IdemKey = None,
) -> Any:
    replay, pending = await idempotent_replay(request, session, principal, idempotency_key, case=case)
    if replay is not None:
        return replay
    result = await svc.transition(session, principal, case, body, clock, if_match)
    orgs = svc.OrgCache.for_caller(session, principal)
    detail = await svc.case_detail(session, result.case, orgs, principal, clock.today, audit_identity_read=False)
    opened = None
    if result.opened is not None:
        opened = await svc.created_response(session, principal, result.opened, orgs, clock.today)
    out = CaseTransitionPublic(**detail.model_dump(), opened_case=opened)
    await remember_response(session, principal, pending, 200, out)
    response.headers["ETag"] = etag(result.case)
    return out


@router.post(
    "/{case_id}/split",
    response_model=CaseSplitPublic,
    status_code=201,
    summary="Split a petition with several contents into linked cases (Luật Tiếp công dân Art 25(3))",
    responses=_responses(403, 404, 409, 412, 422, 428, ok=201),
)
async def split_case(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    case: CaseForUpdate,
    body: CaseSplitCreate,
    clock: RequestClock,
    if_match: IfMatch = None,
) -> CaseSplitPublic:
    case, opened = await svc.split(session, principal, case, body, clock, if_match)
    orgs = svc.OrgCache(session)
    response.headers["ETag"] = etag(case)
    return CaseSplitPublic(
        case=await svc.case_detail(session, case, orgs, principal, clock.today, audit_identity_read=False),
        opened_cases=[await svc.created_response(session, principal, o, orgs, clock.today) for o in opened],
    )


@router.get(
    "/{case_id}/history",
    response_model=Page[AuditEventPublic],
    summary="The case's audit events, oldest first",
    responses=_responses(404, 422),
)
async def case_history(
    session: DbSession, case: CurrentCase, limit: Limit = 200, cursor: Cursor = None
) -> Page[AuditEventPublic]:
    after = decode_cursor(cursor, 1, kinds=(int,))
    rows = await svc.history(session, case, limit=limit, after_seq=after[0] if after else None)
    page, nxt = cut_page(rows, limit, lambda e: [e.seq])
    return Page(items=[event_read(r) for r in page], next_cursor=nxt)
