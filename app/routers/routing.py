"""Routing rules: which organisation is competent for a place, kind and field (data, not code)."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from app.db import DbSession
from app.models.cases import CaseField, RoutingRule
from app.models.reference import AdminUnit, Organization
from app.problems import Problem, field_error
from app.security import AdminPrincipal, CurrentPrincipal
from app.services import audit
from app.workflows.lifecycle import Kind

router = APIRouter(prefix="/api/v1/routing/rules", tags=["routing"])


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind | None = None
    field: CaseField | None = None
    unit_code: str | None = Field(default=None, max_length=16, description="the unit and everything below it")
    org_code: str = Field(max_length=64)
    priority: int = Field(default=0, ge=-100, le=100)
    note: str | None = Field(default=None, max_length=300)


class RuleOut(RuleIn):
    id: int
    created_at: datetime


@router.get("", response_model=list[RuleOut])
async def list_rules(session: DbSession, _: CurrentPrincipal) -> list[RuleOut]:
    rows = (await session.execute(select(RoutingRule).order_by(RoutingRule.id))).scalars()
    return [RuleOut.model_validate(r, from_attributes=True) for r in rows]


@router.post("", response_model=RuleOut, status_code=201, summary="Add a routing rule (admin)")
async def create_rule(session: DbSession, admin: AdminPrincipal, body: RuleIn) -> RuleOut:
    if (await session.execute(select(Organization.id).where(Organization.code == body.org_code))).first() is None:
        raise field_error("body.org_code", f"no organisation with code {body.org_code}")
    if body.unit_code and await session.get(AdminUnit, body.unit_code) is None:
        raise field_error("body.unit_code", f"no administrative unit with code {body.unit_code}")
    rule = RoutingRule(kind=body.kind.value if body.kind else None, field=body.field.value if body.field else None,
                       unit_code=body.unit_code, org_code=body.org_code, priority=body.priority, note=body.note)
    session.add(rule)
    await session.flush()
    await audit.record(session, actor=admin, action="routing_rule.create", entity="routing_rule", entity_id=rule.id,
                       changes=body.model_dump(mode="json"))
    return RuleOut.model_validate(rule, from_attributes=True)


@router.delete("/{rule_id}", status_code=204, response_class=Response, summary="Remove a routing rule (admin)")
async def delete_rule(session: DbSession, admin: AdminPrincipal, rule_id: int) -> Response:
    rule = await session.get(RoutingRule, rule_id)
    if rule is None:
        raise Problem(404, f"No routing rule {rule_id}.", slug="not-found")
    before = RuleOut.model_validate(rule, from_attributes=True).model_dump(mode="json")
    await session.delete(rule)
    await session.flush()
    await audit.record(session, actor=admin, action="routing_rule.delete", entity="routing_rule", entity_id=rule_id,
                       changes={"deleted": before})
    return Response(status_code=204)
