"""Reference data: administrative units and organisations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Query

from app.db import DbSession
from app.models.reference import OrgCreate, OrgKind, OrgPublic, UnitCreate, UnitLevel, UnitPublic
from app.pagination import Cursor, Limit, Page
from app.problems import problem_responses
from app.routers.params import InputRoute
from app.security import AdminPrincipal, CurrentPrincipal
from app.services import reference as ref

P = TypeVar("P", UnitPublic, OrgPublic)

router = APIRouter(route_class=InputRoute, prefix="/api/v1", tags=["reference data"], responses=problem_responses(401))

Code = Annotated[str | None, Query(max_length=16, pattern=r"^[0-9A-Za-z_-]+$")]
Search = Annotated[str | None, Query(max_length=100)]
_ADMIN_WRITE = problem_responses(
    403, 409, 422, descriptions={403: "Only an admin adds reference data", 409: "The code exists already"}
)


def _page(public: type[P], rows: Sequence[object], next_cursor: str | None) -> Page[P]:
    return Page(items=[public.model_validate(r, from_attributes=True) for r in rows], next_cursor=next_cursor)


@router.get("/units", response_model=Page[UnitPublic], summary="Administrative units (Hanoi is 01)")
async def list_units(
    session: DbSession,
    _: CurrentPrincipal,
    parent: Code = None,
    level: UnitLevel | None = None,
    q: Search = None,
    limit: Limit = 200,
    cursor: Cursor = None,
) -> Page[UnitPublic]:
    return _page(
        UnitPublic,
        *await ref.list_units(
            session, parent=parent, level=level.value if level else None, q=q, limit=limit, cursor=cursor
        ),
    )


@router.get(
    "/units/{code}",
    response_model=UnitPublic,
    summary="One administrative unit by code",
    responses=problem_responses(404),
)
async def get_unit(
    session: DbSession, _: CurrentPrincipal, code: Annotated[str, Path(max_length=16, examples=["00070"])]
) -> UnitPublic:
    return UnitPublic.model_validate(await ref.get_unit(session, code), from_attributes=True)


@router.post("/units", response_model=UnitPublic, status_code=201, summary="Add a unit (admin)", responses=_ADMIN_WRITE)
async def create_unit(session: DbSession, admin: AdminPrincipal, body: UnitCreate) -> UnitPublic:
    unit = await ref.create_unit(session, admin, body)
    return UnitPublic.model_validate(unit, from_attributes=True)


@router.get("/organizations", response_model=Page[OrgPublic], summary="Organisations, by code")
async def list_orgs(
    session: DbSession,
    _: CurrentPrincipal,
    unit: Code = None,
    kind: OrgKind | None = None,
    q: Search = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[OrgPublic]:
    return _page(
        OrgPublic,
        *await ref.list_orgs(session, unit=unit, kind=kind.value if kind else None, q=q, limit=limit, cursor=cursor),
    )


@router.get(
    "/organizations/{code}",
    response_model=OrgPublic,
    summary="One organisation by code (or numeric id)",
    responses=problem_responses(404),
)
async def get_org(
    session: DbSession, _: CurrentPrincipal, code: Annotated[str, Path(max_length=64, examples=["UBND-00070"])]
) -> OrgPublic:
    return OrgPublic.model_validate(await ref.find_org(session, code), from_attributes=True)


@router.post(
    "/organizations",
    response_model=OrgPublic,
    status_code=201,
    summary="Add an organisation (admin)",
    responses=_ADMIN_WRITE,
)
async def create_org(session: DbSession, admin: AdminPrincipal, body: OrgCreate) -> OrgPublic:
    org = await ref.create_org(session, admin, body)
    return OrgPublic.model_validate(org, from_attributes=True)
