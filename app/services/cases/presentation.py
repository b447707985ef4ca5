"""Shaping cases for responses: the public fields, the detail with identity protection, the
actions a caller may take."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.base import as_utc
from app.models.cases import (
    Case,
    CaseCreated,
    CaseDetail,
    CaseOut,
    OrgRef,
    PetitionerOut,
    Tracking,
    UrgentReason,
)
from app.models.reference import Organization
from app.security import Principal
from app.services import audit
from app.services.cases.common import IntakeResult, holder_org_id, load_petitioners
from app.workflows import deadlines as dl
from app.workflows import identity, overdue
from app.workflows import lifecycle as lc
from app.workflows.calendar import days_overdue
from app.workflows.lifecycle import Kind, Status
from app.workflows.roles import Role


@dataclass
class OrgCache:
    """Organisations by id, loaded once per request."""

    session: AsyncSession
    by_id: dict[int, Organization] = field(default_factory=dict)

    async def get(self, org_id: int | None) -> Organization | None:
        if org_id is None:
            return None
        if org_id not in self.by_id:
            org = await self.session.get(Organization, org_id)
            if org is not None:
                self.by_id[org_id] = org
        return self.by_id.get(org_id)

    async def preload(self, ids: set[int]) -> None:
        missing = [i for i in ids if i not in self.by_id]
        if missing:
            for org in (await self.session.execute(select(Organization).where(Organization.id.in_(missing)))).scalars():
                self.by_id[org.id] = org


def _ref(org: Organization | None) -> OrgRef | None:
    return OrgRef(id=org.id, code=org.code, name=org.name) if org else None


def is_overdue(case: Case, today: date) -> bool:
    """app/workflows/overdue.py's one definition, for a loaded case."""
    return overdue.is_overdue(case.status, case.stage, case.due, today)


def may_see_identity(case: Case, principal: Principal) -> bool:
    """app/workflows/identity.py's rule for this case and caller."""
    return identity.may_see_identity(case.kind == Kind.denunciation, (case.receiving_org_id, case.assigned_org_id),
                                     principal.org.id)


async def case_out(case: Case, orgs: OrgCache, today: date) -> CaseOut:
    overdue = is_overdue(case, today)
    return CaseOut(
        id=case.id, code=case.code, kind=case.kind, status=case.status, channel=case.channel,
        received_on=case.received_on, title=case.title, field=case.field,
        location_unit_code=case.location_unit_code,
        receiving_org=_ref(await orgs.get(case.receiving_org_id)),
        assigned_org=_ref(await orgs.get(case.assigned_org_id)),
        petitioner_count=case.petitioner_count, mass=case.mass, urgent=bool(case.urgent),
        urgent_reason=case.urgent_reason, anonymous=case.anonymous,
        identity_protected=case.kind == Kind.denunciation,
        due=case.due, stage=case.stage, overdue=overdue, days_overdue=days_overdue(case.due, today) if overdue else 0,
        outcome=case.outcome, complaint_round=case.complaint_round, parent_case_id=case.parent_case_id,
        version=case.version, created_at=as_utc(case.created_at), updated_at=as_utc(case.updated_at),
    )


def _flags(case: Case) -> list[dict[str, str]]:
    flags = []
    if case.filing_late:
        flags.append({"code": "filing_deadline_passed", "source": dl.COMPLAINT_FILING_LIMIT_SOURCE,
                      "detail": f"Received more than {dl.COMPLAINT_FILING_LIMIT_DAYS} days after the decision or act "
                                "complained about: check for a valid reason, else refusal ground kn11_6_time_barred "
                                "(Luật Khiếu nại Art 11(6))."})
    if case.mass:
        flags.append({"code": "mass", "source": "Luật Tiếp công dân Art 29-30",
                      "detail": "Five or more petitioners on one matter (đông người)."})
    if case.anonymous and case.kind == Kind.denunciation:
        flags.append({"code": "anonymous_denunciation", "source": "Luật Tố cáo Art 25",
                      "detail": "Not processed as a denunciation; inspect if it names a violator with verifiable evidence."})
    return flags


async def case_detail(session: AsyncSession, case: Case, orgs: OrgCache, principal: Principal, today: date, *,
                      audit_identity_read: bool = True) -> CaseDetail:
    base = await case_out(case, orgs, today)
    show = may_see_identity(case, principal)
    petitioners = None
    if show:
        rows = await load_petitioners(session, case.id)
        petitioners = [PetitionerOut.model_validate(p, from_attributes=True) for p in rows]
        if case.kind == Kind.denunciation and rows and audit_identity_read:
            # Reading a denouncer's identity is itself an event (Luật Tố cáo Art 47, 56).
            await audit.record(session, actor=principal, action="case.identity_read", entity="case",
                               entity_id=case.id, case_id=case.id)
    return CaseDetail(
        **base.model_dump(), content=case.content, respondent=case.respondent,
        location_address=case.location_address if show else None,
        decision_date=case.decision_date, filing_late=case.filing_late, flags=_flags(case),
        petitioners=petitioners, identity_redacted=not show,
        outcome_summary=case.outcome_summary, accepted_on=case.accepted_on, decided_on=case.decided_on,
        closed_on=case.closed_on, suspended_on=case.suspended_on, extensions_used=case.extensions_used,
        complexity=case.complexity, remote_area=case.remote_area, due_rule=case.due_rule,
        split_from_id=case.split_from_id, duplicate_of_id=case.duplicate_of_id,
    )


async def created_response(session: AsyncSession, principal: Principal, res: IntakeResult, orgs: OrgCache,
                           today: date) -> CaseCreated:
    detail = await case_detail(session, res.case, orgs, principal, today, audit_identity_read=False)
    return CaseCreated(**detail.model_dump(), tracking=Tracking(code=res.case.code, pin=res.pin),
                       possible_duplicates=res.possible_duplicates, suggested_org=_ref(res.suggested_org),
                       location_resolution=res.location_resolution)


def describe(action: lc.Action, kind: Kind) -> dict[str, Any]:
    out: dict[str, Any] = {"action": action.name, "label": action.label,
                           "to_status": action.to_status.value if action.to_status else None,
                           "required": list(action.required), "optional": list(action.optional),
                           "source": action.source}
    grounds = action.grounds_for(kind)
    if grounds:
        out["grounds"] = [{"code": g.code, "label": g.label, "source": g.source} for g in grounds]
    if action.outcomes:
        out["outcomes"] = list(action.outcomes.get(kind, ()))
    if action.name == "extend":
        out["complexities"] = list(lc.COMPLEXITIES)
    if action.name == "flag_urgent":  # issue 8 item 7
        out["urgent_reasons"] = [r.value for r in UrgentReason]
    return out


def actions_for(case: Case, principal: Principal) -> list[dict[str, Any]]:
    """What this caller may do now (GET /cases/{id}/actions): read from the lifecycle table."""
    if principal.role not in lc.TRANSITION_ROLES or principal.org.id != holder_org_id(case):
        return []
    return [describe(a, Kind(case.kind)) for a in lc.allowed(Kind(case.kind), case.complaint_round,
                                                              Status(case.status), Role(principal.role))]
