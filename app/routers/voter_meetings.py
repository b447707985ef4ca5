"""Voter meetings over HTTP: the meeting and the petitions raised there, tracked to their answers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.deps import DbSession, IfMatch, Today, etag
from app.models.base import Day
from app.models.dialogues import VoterMeetingCreate, VoterMeetingPublic, VoterMeetingUpdate
from app.pagination import Cursor, Limit, Page, cut_page, decode_cursor
from app.problems import problem_responses
from app.routers.params import InputRoute, date_query, id_path, id_query
from app.security import CurrentPrincipal
from app.services import voter_meetings as svc

router = APIRouter(
    route_class=InputRoute,
    prefix="/api/v1/voter-meetings",
    tags=["dialogues, reception sessions, commitments"],
    responses=problem_responses(401),
)
MeetingId = Annotated[int, id_path("voter meeting")]
_DESCRIPTIONS = {
    403: "Your role may not record voter meetings, or you are not of the organising organisation",
    404: "No such meeting in your jurisdiction (its existence is not revealed)",
}
_ETAG = {"ETag": {"description": "the meeting's version, for `If-Match`", "schema": {"type": "string"}}}


def _responses(*statuses: int, ok: int | None = None) -> dict:
    out = problem_responses(*statuses, descriptions=_DESCRIPTIONS)
    if ok is not None:
        out[ok] = {"headers": _ETAG}
    return out


@router.post(
    "",
    response_model=VoterMeetingPublic,
    status_code=201,
    summary="Record a voter meeting (tiếp xúc cử tri)",
    responses=_responses(403, 422, ok=201),
)
async def create_meeting(
    response: Response, session: DbSession, principal: CurrentPrincipal, body: VoterMeetingCreate, t: Today
) -> VoterMeetingPublic:
    m = await svc.create(session, principal, body, t)
    response.headers["ETag"] = etag(m)
    response.headers["Location"] = f"/api/v1/voter-meetings/{m.id}"
    return (await svc.meetings_out(session, [m], t))[0]


@router.get(
    "",
    response_model=Page[VoterMeetingPublic],
    summary="Voter meetings in your jurisdiction, newest first",
    responses=_responses(422),
)
async def list_meetings(
    session: DbSession,
    principal: CurrentPrincipal,
    t: Today,
    unit: Annotated[str | None, Query(max_length=16, description="the meeting's unit, and below")] = None,
    organised_by: Annotated[str | None, Query(max_length=64, description="organisation code")] = None,
    held_from: Annotated[Day | None, date_query("first day")] = None,
    held_to: Annotated[Day | None, date_query("last day, inclusive")] = None,
    case_id: Annotated[int | None, id_query("case")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[VoterMeetingPublic]:
    after = decode_cursor(cursor, 1, kinds=(int,))
    rows = await svc.list_meetings(
        session,
        principal,
        svc.MeetingFilters(unit=unit, organised_by=organised_by, held_from=held_from, held_to=held_to, case_id=case_id),
        limit=limit,
        after_id=after[0] if after else None,
    )
    page, nxt = cut_page(rows, limit, lambda m: [m.id])
    return Page(items=await svc.meetings_out(session, page, t), next_cursor=nxt)


@router.get(
    "/{meeting_id}",
    response_model=VoterMeetingPublic,
    summary="One voter meeting, with each petition's status and the answered / open / overdue counts",
    responses=_responses(404, 422, ok=200),
)
async def get_meeting(
    response: Response, session: DbSession, principal: CurrentPrincipal, meeting_id: MeetingId, t: Today
) -> VoterMeetingPublic:
    m = await svc.get_visible(session, principal, meeting_id)
    response.headers["ETag"] = etag(m)
    return (await svc.meetings_out(session, [m], t))[0]


@router.patch(
    "/{meeting_id}",
    response_model=VoterMeetingPublic,
    summary="Link the petitions raised, update the summary (If-Match required)",
    responses=_responses(403, 404, 412, 422, 428, ok=200),
)
async def patch_meeting(
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    meeting_id: MeetingId,
    body: VoterMeetingUpdate,
    t: Today,
    if_match: IfMatch = None,
) -> VoterMeetingPublic:
    m = await svc.get_visible(session, principal, meeting_id, for_update=True)
    m = await svc.update(session, principal, m, body, if_match)
    response.headers["ETag"] = etag(m)
    return (await svc.meetings_out(session, [m], t))[0]
