"""Dialogues and commitments over HTTP: parse, authorise, call the dialogue service, shape."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.deps import DbSession, IfMatch, Today, etag
from app.models.dialogues import (
    CommitmentCreate,
    CommitmentPublic,
    CommitmentUpdate,
    DialogueCreate,
    DialoguePublic,
    DialogueTransitionCreate,
)
from app.pagination import Cursor, Limit, Page, cut_page, decode_cursor, decode_day_cursor
from app.problems import problem_responses
from app.routers.params import InputRoute, id_path, id_query
from app.security import CurrentPrincipal
from app.services import dialogues as svc
from app.workflows.dialogues import CommitmentStatus, DialogueKind, DialogueStatus

router = APIRouter(
    route_class=InputRoute,
    prefix="/api/v1",
    tags=["dialogues, reception sessions, commitments"],
    responses=problem_responses(401),
)

DialogueId = Annotated[int, id_path("dialogue")]
CommitmentId = Annotated[int, id_path("commitment")]
_DESCRIPTIONS = {
    403: "Your role may not do this, or you are not of the host (or responsible) organisation",
    404: "No such record in your jurisdiction (its existence is not revealed)",
    409: "Not allowed in the dialogue's current status (`allowed_actions` lists what is), or the "
    "linked case is not being resolved",
}
_ETAG = {"ETag": {"description": "the record's version, for `If-Match`", "schema": {"type": "string"}}}


def _responses(*statuses: int, ok: int | None = None) -> dict:
    out = problem_responses(*statuses, descriptions=_DESCRIPTIONS)
    if ok is not None:
        out[ok] = {"headers": _ETAG}
    return out


@router.post(
    "/dialogues",
    response_model=DialoguePublic,
    status_code=201,
    summary="Schedule a dialogue (đối thoại)",
    description="A notice of fewer than 5 days before the dialogue is flagged (`short_notice`).",
    responses=_responses(403, 409, 422, ok=201),
)
async def create_dialogue(
    response: Response, session: DbSession, principal: CurrentPrincipal, body: DialogueCreate, t: Today
) -> DialoguePublic:
    d = await svc.create(session, principal, body, t)
    response.headers["ETag"] = etag(d)
    response.headers["Location"] = f"/api/v1/dialogues/{d.id}"
    return await svc.dialogue_out(session, d, t)


@router.get(
    "/dialogues",
    response_model=Page[DialoguePublic],
    summary="Dialogues in your jurisdiction, newest first",
    responses=_responses(422),
)
async def list_dialogues(
    session: DbSession,
    principal: CurrentPrincipal,
    t: Today,
    status: DialogueStatus | None = None,
    kind: DialogueKind | None = None,
    unit: Annotated[str | None, Query(max_length=16, description="the unit concerned, and below")] = None,
    host_org: Annotated[str | None, Query(max_length=64)] = None,
    case_id: Annotated[int | None, id_query("case")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[DialoguePublic]:
    after = decode_cursor(cursor, 1, kinds=(int,))
    rows = await svc.list_dialogues(
        session,
        principal,
        svc.DialogueFilters(
            status=status.value if status else None,
            kind=kind.value if kind else None,
            unit=unit,
            host_org=host_org,
            case_id=case_id,
        ),
        limit=limit,
        after_id=after[0] if after else None,
    )
    page, nxt = cut_page(rows, limit, lambda d: [d.id])
    return Page(items=await svc.dialogues_out(session, page, t), next_cursor=nxt)


@router.get(
    "/dialogues/{dialogue_id}",
    response_model=DialoguePublic,
    summary="One dialogue, with its ETag",
    responses=_responses(404, 422, ok=200),
)
async def get_dialogue(
    response: Response, session: DbSession, principal: CurrentPrincipal, dialogue_id: DialogueId, t: Today
) -> DialoguePublic:
    d = await svc.get_visible(session, principal, dialogue_id)
    response.headers["ETag"] = etag(d)
    return await svc.dialogue_out(session, d, t)


@router.post(
    "/dialogues/{dialogue_id}/transitions",
    response_model=DialoguePublic,
    summary="Hold, postpone or cancel a dialogue (If-Match required)",
    description="`hold` takes `minutes` and `attendance` (absentees recorded), `postpone` a new "
    "`scheduled_at`, `cancel` a `reason`. An action not allowed now is a 409 listing "
    "`allowed_actions`.",
    responses=_responses(403, 404, 409, 412, 422, 428, ok=200),
)
async def dialogue_transition(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    dialogue_id: DialogueId,
    body: DialogueTransitionCreate,
    t: Today,
    if_match: IfMatch = None,
) -> DialoguePublic:
    d = await svc.get_visible(session, principal, dialogue_id, for_update=True)
    d = await svc.transition(session, principal, d, body, t, if_match)
    response.headers["ETag"] = etag(d)
    return await svc.dialogue_out(session, d, t)


@router.post(
    "/dialogues/{dialogue_id}/commitments",
    response_model=CommitmentPublic,
    status_code=201,
    summary="Record a commitment made at a held dialogue",
    responses=_responses(403, 404, 409, 422, ok=201),
)
async def create_commitment(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    dialogue_id: DialogueId,
    body: CommitmentCreate,
    t: Today,
) -> CommitmentPublic:
    d = await svc.get_visible(session, principal, dialogue_id)
    c = await svc.add_commitment(session, principal, d, body, t)
    response.headers["ETag"] = etag(c)
    response.headers["Location"] = f"/api/v1/commitments/{c.id}"
    return (await svc.commitments_out(session, [c], t))[0]


@router.get(
    "/commitments",
    response_model=Page[CommitmentPublic],
    summary="Commitments in your jurisdiction, by due date",
    description="`overdue=true`: still open and past `due_on` (the business date in Asia/Ho_Chi_Minh).",
    responses=_responses(422),
)
async def list_commitments(
    session: DbSession,
    principal: CurrentPrincipal,
    t: Today,
    responsible_org: Annotated[str | None, Query(max_length=64, description="organisation code")] = None,
    unit: Annotated[str | None, Query(max_length=16, description="the unit the dialogue concerns, and below")] = None,
    status: CommitmentStatus | None = None,
    overdue: bool | None = None,
    dialogue_id: Annotated[int | None, id_query("dialogue")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[CommitmentPublic]:
    after = decode_day_cursor(cursor)
    rows = await svc.list_commitments(
        session,
        principal,
        svc.CommitmentFilters(
            responsible_org=responsible_org,
            unit=unit,
            status=status.value if status else None,
            overdue=overdue,
            dialogue_id=dialogue_id,
        ),
        t,
        limit=limit,
        after=after,
    )
    page, nxt = cut_page(rows, limit, lambda c: [c.due_on.isoformat(), c.id])
    return Page(items=await svc.commitments_out(session, page, t), next_cursor=nxt)


@router.get(
    "/commitments/{commitment_id}",
    response_model=CommitmentPublic,
    summary="One commitment, with its ETag",
    responses=_responses(404, 422, ok=200),
)
async def get_commitment(
    response: Response, session: DbSession, principal: CurrentPrincipal, commitment_id: CommitmentId, t: Today
) -> CommitmentPublic:
    c = await svc.get_commitment_visible(session, principal, commitment_id)
    response.headers["ETag"] = etag(c)
    return (await svc.commitments_out(session, [c], t))[0]


@router.patch(
    "/commitments/{commitment_id}",
    response_model=CommitmentPublic,
    summary="Report progress on a commitment (If-Match required)",
    description="The host organisation or the responsible organisation: `status` open|done|cancelled "
    "(`done_on`, default today; cancelling needs a `reason`), `due_on`, `description`.",
    responses=_responses(403, 404, 412, 422, 428, ok=200),
)
async def patch_commitment(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    commitment_id: CommitmentId,
    body: CommitmentUpdate,
    t: Today,
    if_match: IfMatch = None,
) -> CommitmentPublic:
    c = await svc.get_commitment_visible(session, principal, commitment_id, for_update=True)
    c = await svc.update_commitment(session, principal, c, body, t, if_match)
    response.headers["ETag"] = etag(c)
    return (await svc.commitments_out(session, [c], t))[0]
