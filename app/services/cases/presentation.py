"""Shaping cases for responses: the public fields, the detail with identity protection, the
actions a caller may take."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.models.base import as_utc
from app.models.cases import (
    Case,
    CaseActionPublic,
    CaseCreatedPublic,
    CaseDetailPublic,
    CaseField,
    CaseFlagPublic,
    CasePublic,
    Channel,
    DuplicateHint,
    FilingObstacle,
    GroundPublic,
    OrgRefPublic,
    PetitionerPublic,
    TrackingPublic,
    UrgentReason,
)
from app.models.reference import Organization
from app.security import Principal
from app.services import audit
from app.services.cases.common import IntakeResult, holder_org_id, identity_protected, load_petitioners
from app.services.cases.obligations import obligations_out
from app.workflows import deadlines as dl
from app.workflows import identity, overdue
from app.workflows import lifecycle as lc
from app.workflows.calendar import days_overdue
from app.workflows.deadlines import Stage
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

    @classmethod
    def for_caller(cls, session: AsyncSession, principal: Principal) -> OrgCache:
        """One that knows the caller's organisation already (read with the caller, this request)."""
        return cls(session, {principal.org.id: principal.org})

    async def need(self, org_id: int) -> Organization:
        """An organisation a foreign key names: it exists."""
        org = await self.get(org_id)
        if org is None:
            raise LookupError(f"organisation {org_id} is referenced but missing")
        return org

    async def preload(self, ids: set[int]) -> None:
        missing = [i for i in ids if i not in self.by_id]
        if missing:
            stmt = select(Organization).where(col(Organization.id).in_(missing))
            for org in (await self.session.execute(stmt)).scalars():
                self.by_id[org.id] = org


def _org_ref(org: Organization) -> OrgRefPublic:
    return OrgRefPublic(id=org.id, code=org.code, name=org.name)


def _ref(org: Organization | None) -> OrgRefPublic | None:
    return _org_ref(org) if org else None


def is_overdue(case: Case, today: date) -> bool:
    """app/workflows/overdue.py's one definition, for a loaded case."""
    return overdue.is_overdue(case.status, case.stage, case.due, today)


def may_see_identity(case: Case, principal: Principal) -> bool:
    """app/workflows/identity.py's rule for this case and caller."""
    return identity.may_see_identity(
        identity_protected(case), (case.receiving_org_id, case.assigned_org_id), principal.org.id
    )


async def case_out(case: Case, orgs: OrgCache, today: date) -> CasePublic:
    overdue = is_overdue(case, today)
    return CasePublic(
        id=case.id,
        code=case.code,
        kind=Kind(case.kind),
        status=Status(case.status),
        channel=Channel(case.channel),
        received_on=case.received_on,
        title=case.title,
        field=CaseField(case.field),
        location_unit_code=case.location_unit_code,
        receiving_org=_org_ref(await orgs.need(case.receiving_org_id)),
        assigned_org=_ref(await orgs.get(case.assigned_org_id)),
        petitioner_count=case.petitioner_count,
        mass=case.mass,
        urgent=bool(case.urgent),
        urgent_reason=UrgentReason(case.urgent_reason) if case.urgent_reason else None,
        anonymous=case.anonymous,
        identity_protected=identity_protected(case),
        due=case.due,
        stage=Stage(case.stage) if case.stage else None,
        overdue=overdue,
        days_overdue=days_overdue(case.due, today) if overdue else 0,
        outcome=case.outcome,
        complaint_round=case.complaint_round,
        parent_case_id=case.parent_case_id,
        version=case.version,
        created_at=as_utc(case.created_at),
        updated_at=as_utc(case.updated_at),
    )


def _flags(case: Case) -> list[CaseFlagPublic]:
    flags = []
    if case.filing_late:
        flags.append(
            CaseFlagPublic(
                code="filing_deadline_passed",
                source=dl.COMPLAINT_FILING_LIMIT_SOURCE,
                detail=f"Received more than {dl.COMPLAINT_FILING_LIMIT_DAYS} days after the complainant "
                "received or learned of the decision or act (days lost to obstacles excluded): "
                "check for a valid reason, else refusal ground kn11_6_time_barred "
                "(Luật Khiếu nại Art 11(6)).",
            )
        )
    if case.mass:
        flags.append(
            CaseFlagPublic(
                code="mass",
                source="Luật Tiếp công dân Art 29-30",
                detail="Five or more petitioners on one matter (đông người).",
            )
        )
    if case.anonymous and case.kind == Kind.denunciation:
        flags.append(
            CaseFlagPublic(
                code="anonymous_denunciation",
                source="Luật Tố cáo Art 25",
                detail="Not processed as a denunciation; inspect if it names a violator with verifiable evidence.",
            )
        )
    return flags


async def _duplicate_flags(session: AsyncSession, case: Case, principal: Principal) -> list[CaseFlagPublic]:
    """Intakes elsewhere that matched this case's petitioner (DuplicateHint), for those who may
    see this case's identity: each names the other case's code, receiving organisation and date,
    never its petitioners — and is left out if that case's identity is protected from the viewer."""
    rows = (
        await session.execute(
            select(DuplicateHint, Case, Organization)
            .join(Case, col(Case.id) == col(DuplicateHint.other_case_id))
            .join(Organization, col(Organization.id) == col(Case.receiving_org_id))
            .where(col(DuplicateHint.case_id) == case.id)
            .order_by(col(DuplicateHint.id))
        )
    ).all()
    out = []
    for hint, other, org in rows:
        if not may_see_identity(other, principal):
            continue
        out.append(
            CaseFlagPublic(
                code="possible_duplicate_elsewhere",
                source="TT 05/2021/TT-TTCP (đơn trùng nội dung)",
                detail=f"The same petitioner filed {other.code} at {org.code} ({org.name}) on "
                f"{other.received_on.isoformat()}: {hint.match}.",
                case_code=other.code,
                org=org.code,
                received_on=other.received_on,
            )
        )
    return out


async def case_detail(
    session: AsyncSession,
    case: Case,
    orgs: OrgCache,
    principal: Principal,
    today: date,
    *,
    audit_identity_read: bool = True,
    opened: IntakeResult | None = None,
) -> CaseDetailPublic:
    """`opened`: the intake that has just opened `case` in this transaction; its petitioners and
    obligations are then shown as written, and no duplicate hint can name the case yet (an
    intake's hints go on the older cases it matched)."""
    if opened is not None:
        await session.flush()  # ids for the petitioners, as the queries' autoflush gave them
    base = await case_out(case, orgs, today)
    show = may_see_identity(case, principal)
    petitioners = None
    if show:
        known = opened.petitioners if opened is not None else None
        rows = known if known is not None else await load_petitioners(session, case.id)
        petitioners = [PetitionerPublic.model_validate(p, from_attributes=True) for p in rows]
        if identity_protected(case) and rows and audit_identity_read:
            # Reading a denouncer's identity is itself an event (Luật Tố cáo Art 47, 56).
            await audit.record(
                session, actor=principal, action="case.identity_read", entity="case", entity_id=case.id, case_id=case.id
            )
    return CaseDetailPublic(
        **base.model_dump(),
        content=case.content,
        respondent=case.respondent,
        location_address=case.location_address if show else None,
        decision_date=case.decision_date,
        decision_received_on=case.decision_received_on or case.decision_date,
        filing_obstacle=(
            FilingObstacle(days=case.filing_obstacle_days, reason=case.filing_obstacle_reason or "")
            if case.filing_obstacle_days
            else None
        ),
        filing_late=case.filing_late,
        flags=_flags(case) + (await _duplicate_flags(session, case, principal) if show and opened is None else []),
        petitioners=petitioners,
        identity_redacted=not show,
        outcome_summary=case.outcome_summary,
        accepted_on=case.accepted_on,
        decided_on=case.decided_on,
        closed_on=case.closed_on,
        suspended_on=case.suspended_on,
        extensions_used=case.extensions_used,
        complexity=case.complexity,
        remote_area=case.remote_area,
        due_rule=case.due_rule,
        split_from_id=case.split_from_id,
        duplicate_of_id=case.duplicate_of_id,
        obligations=await obligations_out(
            session, case.id, today, lambda i: _org_code(orgs, i), opened.obligations if opened else None
        ),
    )


async def _org_code(orgs: OrgCache, org_id: int) -> str | None:
    org = await orgs.get(org_id)
    return org.code if org else None


async def created_response(
    session: AsyncSession, principal: Principal, res: IntakeResult, orgs: OrgCache, today: date
) -> CaseCreatedPublic:
    detail = await case_detail(session, res.case, orgs, principal, today, audit_identity_read=False, opened=res)
    return CaseCreatedPublic(
        **detail.model_dump(),
        tracking=TrackingPublic(code=res.case.code, pin=res.pin),
        possible_duplicates=res.possible_duplicates,
        suggested_org=_ref(res.suggested_org),
        location_resolution=res.location_resolution,
    )


def describe(action: lc.Action, kind: Kind, owed: Collection[str] = ()) -> CaseActionPublic:
    """An action as GET /cases/{id}/actions shows it; the optional keys only where they apply."""
    extra: dict[str, Any] = {}
    grounds = action.grounds_for(kind)
    if grounds:
        extra["grounds"] = [GroundPublic(code=g.code, label=g.label, source=g.source) for g in grounds]
    if action.outcomes:
        extra["outcomes"] = list(action.outcomes.get(kind, ()))
    if action.name == "extend":
        extra["complexities"] = list(lc.COMPLEXITIES)
    if action.name == "flag_urgent":  # issue 8 item 7
        extra["urgent_reasons"] = list(UrgentReason)
    if owed:
        extra["obligations"] = sorted(set(owed))
    return CaseActionPublic(
        action=action.name,
        label=action.label,
        to_status=action.to_status,
        required=list(action.required),
        optional=list(action.optional),
        source=action.source,
        **extra,
    )


def actions_for(case: Case, principal: Principal, owed: Collection[str] = ()) -> list[CaseActionPublic]:
    """What this caller may do now (GET /cases/{id}/actions): read from the lifecycle table.
    `owed`: the keys of the open obligations the caller's organisation owes on this case; an
    action that only records a notice (`notify`) is offered only for them."""
    if principal.role not in lc.TRANSITION_ROLES:
        return []
    holder = principal.org.id == holder_org_id(case)
    out = []
    for a in lc.allowed(
        Kind(case.kind), case.complaint_round, Status(case.status), Role(principal.role), principal.org.may_resolve
    ):
        if a.records_only:
            if owed and (holder or a.by_receiver and principal.org.id == case.receiving_org_id):
                out.append(describe(a, Kind(case.kind), owed))
        elif holder:
            out.append(describe(a, Kind(case.kind)))
    return out
