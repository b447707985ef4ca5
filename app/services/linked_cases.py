"""What dialogues, reception sessions and voter meetings share: the cases a request names (they
must be cases the caller can see), the way those cases are shown (never a petitioner), the
organisation a request names, and the version check of their conditional writes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped
from sqlmodel import col

from app.errors import NotFound, PreconditionRequired, Stale, unknown_reference
from app.models.cases import Case
from app.models.dialogues import LinkedCasePublic
from app.models.reference import AdminUnit, Organization
from app.security import Principal
from app.services.cases_scope import visible_clause
from app.workflows import overdue
from app.workflows.lifecycle import Kind, Status

_Row = TypeVar("_Row")


async def visible_row(
    session: AsyncSession,
    model: type[_Row],
    id_column: Mapped[int],
    row_id: int,
    visible: sa.ColumnElement[bool],
    not_found: str,
    *,
    for_update: bool = False,
) -> _Row:
    """The row with this id if the caller's jurisdiction (`visible`) covers it, else NotFound: a
    row elsewhere and no row at all look the same."""
    stmt = select(model).where(id_column == row_id, visible)
    if for_update:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).scalar_one_or_none()
    if row is None:
        raise NotFound(not_found)
    return row


async def linked_ids(session: AsyncSession, case_id: Mapped[int], owner_id: Mapped[int], owner: int) -> list[int]:
    """The ids of the cases a link table ties to one record, in order."""
    return list((await session.execute(select(case_id).where(owner_id == owner).order_by(case_id))).scalars())


async def visible_cases(session: AsyncSession, principal: Principal, ids: Sequence[int], field: str) -> list[Case]:
    """The named cases, in the order given; one the caller cannot see is a 422 naming its place in
    the list (`body.case_ids.1`), whether or not it exists elsewhere."""
    if not ids:
        return []
    found = {
        c.id: c
        for c in (
            await session.execute(select(Case).where(col(Case.id).in_(list(ids)), visible_clause(principal)))
        ).scalars()
    }
    for i, case_id in enumerate(ids):
        if case_id not in found:
            raise unknown_reference(f"{field}.{i}", f"no case {case_id} in your jurisdiction")
    return [found[i] for i in ids]


def case_is_overdue(case: Case, today: date) -> bool:
    return overdue.is_overdue(case.status, case.stage, case.due, today)


def linked_case(case: Case, today: date) -> LinkedCasePublic:
    return LinkedCasePublic(
        id=case.id,
        code=case.code,
        kind=Kind(case.kind),
        status=Status(case.status),
        overdue=case_is_overdue(case, today),
    )


async def cases_by_id(session: AsyncSession, ids: set[int]) -> dict[int, Case]:
    if not ids:
        return {}
    return {c.id: c for c in (await session.execute(select(Case).where(col(Case.id).in_(ids)))).scalars()}


async def org_by_code(session: AsyncSession, code: str, field: str) -> Organization:
    org = (await session.execute(select(Organization).where(col(Organization.code) == code))).scalar_one_or_none()
    if org is None or not org.active:
        raise unknown_reference(field, f"no active organisation with code {code}")
    return org


async def orgs_by_id(session: AsyncSession, ids: set[int]) -> dict[int, Organization]:
    if not ids:
        return {}
    stmt = select(Organization).where(col(Organization.id).in_(ids))
    return {o.id: o for o in (await session.execute(stmt)).scalars()}


async def unit_by_code(session: AsyncSession, code: str, field: str) -> AdminUnit:
    unit = await session.get(AdminUnit, code)
    if unit is None:
        raise unknown_reference(field, f"no administrative unit with code {code}")
    return unit


def check_version(record, if_match: str | None, what: str) -> None:
    """The cases' convention: 428 without If-Match, 412 when it is stale (`*` matches any)."""
    if if_match is None:
        raise PreconditionRequired(f"If-Match is required: send the ETag of the {what} you read.")
    tag = if_match.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    if tag != "*" and tag != str(record.version):
        raise Stale(
            f"The {what} changed since you read it (version {record.version}, you sent {tag}). Reload it.",
            current_version=record.version,
        )
