"""Administrative units and organisations: seeding, look-ups and admin writes."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped
from sqlmodel import col

from app.errors import Conflict, NotFound, field_error, unknown_reference
from app.models.base import DB_INT_MAX
from app.models.reference import RESOLVING_KINDS, AdminUnit, Organization, OrgCreate, OrgKind, UnitCreate, UnitLevel
from app.pagination import cut_page, decode_cursor
from app.services import audit
from app.workflows.text import fold

HANOI = "01"
_Coded = TypeVar("_Coded", AdminUnit, Organization)

# Organisations at every ward/commune and at the city (Art. 14, 15 of the regulation).
_PER_UNIT_ORGS = (
    ("UBND", OrgKind.people_committee, "Ủy ban nhân dân"),
    ("HDND", OrgKind.people_council, "Hội đồng nhân dân"),
    ("MTTQ", OrgKind.fatherland_front, "Ủy ban Mặt trận Tổ quốc Việt Nam"),
)
_CITY_ONLY_ORGS = (
    ("TTR-01", OrgKind.inspectorate, "Thanh tra Thành phố Hà Nội"),
    ("BDV-01", OrgKind.mass_mobilization_board, "Ban Dân vận Thành ủy Hà Nội"),
    ("BTCD-01", OrgKind.citizen_reception_board, "Ban Tiếp công dân Thành phố Hà Nội"),
)


def official_hanoi_units() -> list[dict[str, Any]]:
    """Hanoi and its 126 wards/communes with official codes (vietnam-provinces, 2025 reform)."""
    from vietnam_provinces import Province, ProvinceCode, Ward

    prov = Province.from_code(ProvinceCode(int(HANOI)))
    units = [
        {
            "code": HANOI,
            "name": prov.name,
            "level": UnitLevel.city.value,
            "parent_code": None,
            "path": f"{HANOI}/",
            "division_type": prov.division_type.value,
            "codename": prov.codename,
        }
    ]
    for w in Ward.iter_by_province(prov.code):
        code = f"{int(w.code):05d}"
        units.append(
            {
                "code": code,
                "name": w.name,
                "level": UnitLevel.commune.value,
                "parent_code": HANOI,
                "path": f"{HANOI}/{code}/",
                "division_type": w.division_type.value,
                "codename": w.codename,
            }
        )
    return units


def _org_rows(units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for u in units:
        if u["level"] not in (UnitLevel.city.value, UnitLevel.commune.value):
            continue
        for prefix, kind, label in _PER_UNIT_ORGS:
            parent = None if u["code"] == HANOI else f"{prefix}-{HANOI}"
            rows.append(
                {
                    "code": f"{prefix}-{u['code']}",
                    "name": f"{label} {u['name']}",
                    "kind": kind.value,
                    "unit_code": u["code"],
                    "parent_code": parent,
                    "may_resolve": kind in RESOLVING_KINDS,
                }
            )
    for code, kind, name in _CITY_ONLY_ORGS:
        rows.append(
            {
                "code": code,
                "name": name,
                "kind": kind.value,
                "unit_code": HANOI,
                "parent_code": None,
                "may_resolve": kind in RESOLVING_KINDS,
            }
        )
    return rows


async def seed_reference(session: AsyncSession) -> dict[str, int]:
    """Idempotent: adds what is missing, renames what the official list renamed, never deletes."""
    units = official_hanoi_units()
    existing_units = {u.code: u for u in (await session.execute(select(AdminUnit))).scalars()}
    added_units = renamed = 0
    for row in units:  # parents come first in the list
        unit = existing_units.get(row["code"])
        if unit is None:
            session.add(AdminUnit(**row))
            added_units += 1
        elif unit.name != row["name"]:
            unit.name, unit.codename = row["name"], row["codename"]
            renamed += 1
    await session.flush()
    existing_orgs = set((await session.execute(select(col(Organization.code)))).scalars())
    added_orgs = 0
    for row in _org_rows(units):
        if row["code"] not in existing_orgs:
            session.add(Organization(**row))
            added_orgs += 1
    await session.flush()
    summary = {"units_added": added_units, "units_renamed": renamed, "organizations_added": added_orgs}
    if added_units or renamed or added_orgs:
        await audit.record(
            session, actor=None, action="reference.seed", entity="reference", entity_id=HANOI, changes=summary
        )
    return summary


# ---- units -----------------------------------------------------------------------------------


async def get_unit(session: AsyncSession, code: str) -> AdminUnit:
    """A unit by code; NotFound if there is none."""
    unit = await session.get(AdminUnit, code)
    if unit is None:
        raise NotFound(f"No unit {code}.")
    return unit


async def org_unit(session: AsyncSession, org: Organization) -> AdminUnit:
    """The unit an organisation sits in (its foreign key: the unit exists)."""
    unit = await session.get(AdminUnit, org.unit_code)
    if unit is None:
        raise LookupError(f"organisation {org.code} names a missing unit {org.unit_code}")
    return unit


async def org_path(session: AsyncSession, org: Organization) -> str:
    """The path of the unit an organisation sits in: what a record it owns is scoped by."""
    return (await org_unit(session, org)).path


async def list_units(
    session: AsyncSession, *, parent: str | None, level: str | None, q: str | None, limit: int, cursor: str | None
) -> tuple[list[AdminUnit], str | None]:
    stmt = select(AdminUnit)
    if parent:
        stmt = stmt.where(col(AdminUnit.parent_code) == parent)
    if level:
        stmt = stmt.where(col(AdminUnit.level) == level)
    if q:
        folded = fold(q).replace(" ", "_")
        # autoescape: a `%` typed by a user is a character to find, not a wildcard matching everything
        stmt = stmt.where(
            or_(
                col(AdminUnit.codename).contains(folded, autoescape=True),
                func.lower(col(AdminUnit.name)).contains(q.lower(), autoescape=True),
                col(AdminUnit.code) == q,
            )
        )
    return await _page_by_code(session, stmt, col(AdminUnit.code), limit, cursor)


async def _page_by_code(
    session: AsyncSession, stmt: Select[_Coded], code: Mapped[str], limit: int, cursor: str | None
) -> tuple[list[_Coded], str | None]:
    """Units and organisations are listed by code: one page after the cursor's code."""
    after = decode_cursor(cursor, 1)
    if after:
        stmt = stmt.where(code > str(after[0]))
    rows = list((await session.execute(stmt.order_by(code).limit(limit + 1))).scalars())
    return cut_page(rows, limit, lambda row: [row.code])


async def create_unit(session: AsyncSession, actor: Any, data: UnitCreate) -> AdminUnit:
    if await session.get(AdminUnit, data.code):
        raise Conflict(f"Unit {data.code} already exists.")
    parent_path = ""
    if data.parent_code:
        parent = await session.get(AdminUnit, data.parent_code)
        if parent is None:
            raise unknown_reference("body.parent_code", f"no unit with code {data.parent_code}")
        parent_path = parent.path
    elif data.level != UnitLevel.city:
        raise field_error("body.parent_code", "required for a district or commune")
    path = f"{parent_path}{data.code}/"
    # a longer one would not fit its column (SQLModel sets `__table__` at run time, undeclared to mypy)
    if len(path) > AdminUnit.__table__.c.path.type.length:  # type: ignore[attr-defined]
        raise field_error("body.parent_code", "the unit tree is too deep below this parent")
    codename = fold(data.name).replace(" ", "_")
    unit = AdminUnit(
        code=data.code,
        name=data.name,
        level=data.level.value,
        parent_code=data.parent_code,
        path=path,
        division_type=data.division_type,
        codename=codename,
        valid_to=data.valid_to,
    )
    session.add(unit)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="unit.create",
        entity="unit",
        entity_id=unit.code,
        changes=data.model_dump(mode="json"),
    )
    return unit


# ---- organisations ---------------------------------------------------------------------------


async def find_org(session: AsyncSession, code_or_id: str) -> Organization:
    """An organisation by code, or by numeric id; NotFound if there is none."""
    # str.isdigit() is also true for "³" or "٣", which int() refuses or reads as another number
    if code_or_id.isascii() and code_or_id.isdigit():
        org_id = int(code_or_id)
        org = await get_org(session, org_id=org_id) if 1 <= org_id <= DB_INT_MAX else None
    else:
        org = await get_org(session, code=code_or_id)
    if org is None:
        raise NotFound(f"No organisation {code_or_id}.")
    return org


async def get_org(session: AsyncSession, *, org_id: int | None = None, code: str | None = None) -> Organization | None:
    if org_id is not None:
        return await session.get(Organization, org_id)
    return (await session.execute(select(Organization).where(col(Organization.code) == code))).scalar_one_or_none()


async def list_orgs(
    session: AsyncSession, *, unit: str | None, kind: str | None, q: str | None, limit: int, cursor: str | None
) -> tuple[list[Organization], str | None]:
    stmt = select(Organization)
    if unit:
        stmt = stmt.where(col(Organization.unit_code) == unit)
    if kind:
        stmt = stmt.where(col(Organization.kind) == kind)
    if q:
        stmt = stmt.where(
            or_(func.lower(col(Organization.name)).contains(q.lower(), autoescape=True), col(Organization.code) == q)
        )
    return await _page_by_code(session, stmt, col(Organization.code), limit, cursor)


async def create_org(session: AsyncSession, actor: Any, data: OrgCreate) -> Organization:
    if await get_org(session, code=data.code):
        raise Conflict(f"Organisation {data.code} already exists.")
    if await session.get(AdminUnit, data.unit_code) is None:
        raise unknown_reference("body.unit_code", f"no unit with code {data.unit_code}")
    if data.parent_code and await get_org(session, code=data.parent_code) is None:
        raise unknown_reference("body.parent_code", f"no organisation with code {data.parent_code}")
    may_resolve = data.kind in RESOLVING_KINDS if data.may_resolve is None else data.may_resolve
    org = Organization(
        code=data.code,
        name=data.name,
        kind=data.kind.value,
        unit_code=data.unit_code,
        parent_code=data.parent_code,
        may_resolve=may_resolve,
    )
    session.add(org)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="organization.create",
        entity="organization",
        entity_id=org.id,
        changes={**data.model_dump(mode="json"), "may_resolve": may_resolve},
    )
    return org
