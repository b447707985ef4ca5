"""Reading the audit trail: the events a caller may see (scoped as cases are, for every role), and
who may check the whole chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import Forbidden, field_error
from app.models.audit import AuditEvent
from app.models.reference import Organization
from app.pagination import cut_page, decode_cursor
from app.security import Principal
from app.services.scoping import audit_scope, is_city_wide

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def day_start_utc(d: date) -> datetime:
    """00:00 in Hanoi of a day, in UTC: SQLite stores the events' moments as naive UTC and
    compares them as text, so a bound must be UTC too (a +07:00 bound would be read 7 hours off)."""
    return datetime.combine(d, time.min, TZ).astimezone(UTC)


@dataclass(frozen=True)
class EventFilters:
    case_id: int | None = None
    actor: str | None = None
    action: str | None = None
    org: str | None = None  # the acting user's organisation (code)
    entity: str | None = None
    from_: date | None = None
    to: date | None = None  # inclusive


async def list_events(
    session: AsyncSession, principal: Principal, filters: EventFilters, *, limit: int, cursor: str | None
) -> tuple[list[AuditEvent], str | None]:
    """One page of the events the caller may read, oldest first, and the cursor after it."""
    stmt = audit_scope(select(AuditEvent), principal)
    if filters.case_id is not None:
        stmt = stmt.where(col(AuditEvent.case_id) == filters.case_id)
    if filters.actor:
        stmt = stmt.where(col(AuditEvent.actor) == filters.actor)
    if filters.action:
        stmt = stmt.where(col(AuditEvent.action) == filters.action)
    if filters.org:
        known = (
            await session.execute(select(col(Organization.id)).where(col(Organization.code) == filters.org))
        ).first()
        if known is None:
            raise field_error("query.org", f"no organisation with code {filters.org}")
        stmt = stmt.where(col(AuditEvent.org) == filters.org)
    if filters.entity:
        stmt = stmt.where(col(AuditEvent.entity) == filters.entity)
    if filters.from_ and filters.to and filters.to < filters.from_:
        raise field_error("query.to", "is before `from`")
    if filters.from_:
        stmt = stmt.where(col(AuditEvent.at) >= day_start_utc(filters.from_))
    if filters.to:
        stmt = stmt.where(col(AuditEvent.at) < day_start_utc(filters.to + timedelta(days=1)))
    after = decode_cursor(cursor, 1, kinds=(int,))
    if after:
        stmt = stmt.where(AuditEvent.seq > after[0])
    rows = list((await session.execute(stmt.order_by(col(AuditEvent.seq)).limit(limit + 1))).scalars())
    return cut_page(rows, limit, lambda e: [e.seq])


def require_city_wide(principal: Principal) -> None:
    """The chain's head and its verification cover every event in the city, so only auditors whose
    jurisdiction is the whole city ask for them."""
    if not is_city_wide(principal):
        raise Forbidden("Only auditors whose jurisdiction is the whole city check the whole audit chain.")
