"""Reference data: administrative units and organisations."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.db import DbSession
from app.models.reference import OrgCreate, OrgKind, OrgRead, UnitCreate, UnitLevel, UnitRead
from app.pagination import Cursor, Limit, Page
from app.problems import Problem
from app.security import AdminPrincipal, CurrentPrincipal
from app.services import reference as ref

router = APIRouter(prefix="/api/v1", tags=["reference data"])

Code = Annotated[str | None, Query(max_length=16, pattern=r"^[0-9A-Za-z_-]+$")]


@router.get("/units", response_model=Page[UnitRead], summary="Administrative units (Hanoi is 01)")
async def list_units(session: DbSession, _: CurrentPrincipal, parent: Code = None, level: UnitLevel | None = None,
                     q: Annotated[str | None, Query(max_length=100)] = None, limit: Limit = 200,
                     cursor: Cursor = None) -> Page[UnitRead]:
    rows, nxt = await ref.list_units(session, parent=parent, level=level.value if level else None, q=q, limit=limit,
                                     cursor=cursor)
    return Page(items=[UnitRead.model_validate(r, from_attributes=True) for r in rows], next_cursor=nxt)


@router.get("/units/{code}", response_model=UnitRead)
async def get_unit(session: DbSession, _: CurrentPrincipal, code: str) -> UnitRead:
    unit = await ref.get_unit(session, code)
    if unit is None:
        raise Problem(404, f"No unit {code}.", slug="not-found")
    return UnitRead.model_validate(unit, from_attributes=True)


@router.post("/units", response_model=UnitRead, status_code=201, summary="Add a unit (admin)")
async def create_unit(session: DbSession, admin: AdminPrincipal, body: UnitCreate) -> UnitRead:
    unit = await ref.create_unit(session, admin, body)
    return UnitRead.model_validate(unit, from_attributes=True)


@router.get("/organizations", response_model=Page[OrgRead])
async def list_orgs(session: DbSession, _: CurrentPrincipal, unit: Code = None, kind: OrgKind | None = None,
                    q: Annotated[str | None, Query(max_length=100)] = None, limit: Limit = 50,
                    cursor: Cursor = None) -> Page[OrgRead]:
    rows, nxt = await ref.list_orgs(session, unit=unit, kind=kind.value if kind else None, q=q, limit=limit,
                                    cursor=cursor)
    return Page(items=[OrgRead.model_validate(r, from_attributes=True) for r in rows], next_cursor=nxt)


@router.get("/organizations/{code}", response_model=OrgRead, summary="One organisation by code (or numeric id)")
async def get_org(session: DbSession, _: CurrentPrincipal, code: str) -> OrgRead:
    org = await ref.get_org(session, org_id=int(code)) if code.isdigit() else await ref.get_org(session, code=code)
    if org is None:
        raise Problem(404, f"No organisation {code}.", slug="not-found")
    return OrgRead.model_validate(org, from_attributes=True)


@router.post("/organizations", response_model=OrgRead, status_code=201, summary="Add an organisation (admin)")
async def create_org(session: DbSession, admin: AdminPrincipal, body: OrgCreate) -> OrgRead:
    org = await ref.create_org(session, admin, body)
    return OrgRead.model_validate(org, from_attributes=True)
