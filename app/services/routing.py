"""Routing rules as data: which organisation is competent for a place, kind and field. Every change
is audited in the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import NotFound, unknown_reference
from app.models.cases import RoutingRule
from app.models.reference import AdminUnit, Organization
from app.services import audit
from app.services.clock import forget


async def list_rules(session: AsyncSession) -> list[RoutingRule]:
    return list((await session.execute(select(RoutingRule).order_by(col(RoutingRule.id)))).scalars())


async def create_rule(
    session: AsyncSession,
    actor: Any,
    *,
    kind: str | None,
    field: str | None,
    unit_code: str | None,
    org_code: str,
    priority: int,
    note: str | None,
    audited: dict[str, Any],
) -> RoutingRule:
    """`audited`: the request as the audit event records it."""
    if (await session.execute(select(col(Organization.id)).where(col(Organization.code) == org_code))).first() is None:
        raise unknown_reference("body.org_code", f"no organisation with code {org_code}")
    if unit_code and await session.get(AdminUnit, unit_code) is None:
        raise unknown_reference("body.unit_code", f"no administrative unit with code {unit_code}")
    rule = RoutingRule(kind=kind, field=field, unit_code=unit_code, org_code=org_code, priority=priority, note=note)
    session.add(rule)
    await session.flush()
    forget(session)
    await audit.record(
        session, actor=actor, action="routing_rule.create", entity="routing_rule", entity_id=rule.id, changes=audited
    )
    return rule


async def get_rule(session: AsyncSession, rule_id: int) -> RoutingRule:
    rule = await session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(f"No routing rule {rule_id}.")
    return rule


async def delete_rule(
    session: AsyncSession, actor: Any, rule_id: int, describe: Callable[[RoutingRule], dict[str, Any]]
) -> None:
    """`describe(rule)`: the rule as the audit event records it (as the API shows it)."""
    rule = await get_rule(session, rule_id)
    before = describe(rule)
    await session.delete(rule)
    await session.flush()
    forget(session)
    await audit.record(
        session,
        actor=actor,
        action="routing_rule.delete",
        entity="routing_rule",
        entity_id=rule_id,
        changes={"deleted": before},
    )
