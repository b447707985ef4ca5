"""Routing rules: which organisation is competent for a place, kind and field (data, not code)."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.deps import DbSession
from app.models.cases import CaseField
from app.problems import problem_responses
from app.routers.params import InputRoute, RuleId
from app.security import AdminPrincipal, CurrentPrincipal
from app.services import routing as routing_service
from app.workflows.lifecycle import Kind

router = APIRouter(route_class=InputRoute, prefix="/api/v1/routing/rules", tags=["routing"],
                   responses=problem_responses(401))
_ADMIN = problem_responses(403, descriptions={403: "Only an admin changes routing rules"})


class RoutingRuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"kind": "denunciation", "field": "corruption", "unit_code": "01", "org_code": "TTR-01", "priority": 10,
         "note": "Tố cáo tham nhũng: Thanh tra Thành phố"},
        {"field": "land", "unit_code": "00070", "org_code": "UBND-00070"}]})

    kind: Kind | None = None
    field: CaseField | None = None
    unit_code: str | None = Field(default=None, max_length=16, description="the unit and everything below it")
    org_code: str = Field(max_length=64)
    priority: StrictInt = Field(default=0, ge=-100, le=100)
    note: str | None = Field(default=None, max_length=300)


class RoutingRuleOut(RoutingRuleIn):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"id": 1, "kind": "denunciation", "field": "corruption", "unit_code": "01", "org_code": "TTR-01",
         "priority": 10, "note": "Tố cáo tham nhũng: Thanh tra Thành phố", "created_at": "2026-11-20T02:15:00Z"}]})

    id: int
    created_at: datetime


@router.get("", response_model=list[RoutingRuleOut],
            summary="Routing rules: which organisation is competent where")
async def list_rules(session: DbSession, _: CurrentPrincipal) -> list[RoutingRuleOut]:
    return [RoutingRuleOut.model_validate(r, from_attributes=True) for r in await routing_service.list_rules(session)]


@router.post("", response_model=RoutingRuleOut, status_code=201, summary="Add a routing rule (admin)",
             responses=_ADMIN)
async def create_rule(session: DbSession, admin: AdminPrincipal, body: RoutingRuleIn) -> RoutingRuleOut:
    rule = await routing_service.create_rule(
        session, admin, kind=body.kind.value if body.kind else None, field=body.field.value if body.field else None,
        unit_code=body.unit_code, org_code=body.org_code, priority=body.priority, note=body.note,
        audited=body.model_dump(mode="json"))
    return RoutingRuleOut.model_validate(rule, from_attributes=True)


@router.delete("/{rule_id}", status_code=204, response_class=Response, summary="Remove a routing rule (admin)",
               responses={**_ADMIN, **problem_responses(404, descriptions={404: "No such routing rule"})})
async def delete_rule(session: DbSession, admin: AdminPrincipal, rule_id: RuleId) -> Response:
    await routing_service.delete_rule(session, admin, rule_id, describe=lambda rule: RoutingRuleOut.model_validate(
        rule, from_attributes=True).model_dump(mode="json"))
    return Response(status_code=204)
