"""Routing rules: which organisation is competent for a place, kind and field (data, not code)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.deps import DbSession
from app.models.routing import RoutingRuleCreate, RoutingRulePublic
from app.problems import problem_responses
from app.routers.params import InputRoute, RuleId
from app.security import AdminPrincipal, CurrentPrincipal
from app.services import routing as routing_service

router = APIRouter(
    route_class=InputRoute, prefix="/api/v1/routing/rules", tags=["routing"], responses=problem_responses(401)
)
_ADMIN = problem_responses(403, descriptions={403: "Only an admin changes routing rules"})


@router.get("", response_model=list[RoutingRulePublic], summary="Routing rules: which organisation is competent where")
async def list_rules(session: DbSession, _: CurrentPrincipal) -> list[RoutingRulePublic]:
    return [
        RoutingRulePublic.model_validate(r, from_attributes=True) for r in await routing_service.list_rules(session)
    ]


@router.post(
    "", response_model=RoutingRulePublic, status_code=201, summary="Add a routing rule (admin)", responses=_ADMIN
)
async def create_rule(session: DbSession, admin: AdminPrincipal, body: RoutingRuleCreate) -> RoutingRulePublic:
    rule = await routing_service.create_rule(
        session,
        admin,
        kind=body.kind.value if body.kind else None,
        field=body.field.value if body.field else None,
        unit_code=body.unit_code,
        org_code=body.org_code,
        priority=body.priority,
        note=body.note,
        audited=body.model_dump(mode="json"),
    )
    return RoutingRulePublic.model_validate(rule, from_attributes=True)


@router.delete(
    "/{rule_id}",
    status_code=204,
    response_class=Response,
    summary="Remove a routing rule (admin)",
    responses={**_ADMIN, **problem_responses(404, descriptions={404: "No such routing rule"})},
)
async def delete_rule(session: DbSession, admin: AdminPrincipal, rule_id: RuleId) -> Response:
    await routing_service.delete_rule(
        session,
        admin,
        rule_id,
        describe=lambda rule: RoutingRulePublic.model_validate(rule, from_attributes=True).model_dump(mode="json"),
    )
    return Response(status_code=204)
