"""Public case tracking (tra cứu): a citizen's code and PIN give the case's progress, never a
person's data.

A wrong code and a wrong PIN are the same NotFound, and both cost one PIN check (a dummy one for
an unknown code), so neither the answer nor its time tells whether a code exists. The router
rate-limits by client address; a 6-digit PIN is only as strong as that limit (decision 0021).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import NotFound
from app.models.audit import AuditEvent
from app.models.base import as_utc
from app.models.cases import Case
from app.models.public import MilestonePublic, OrgNamePublic, PublicCasePublic
from app.models.reference import Organization
from app.services.cases import holder_org_id, is_overdue, pin_digest, verify_pin
from app.workflows import citizen
from app.workflows.calendar import business_today

_CODE_MAX = 32
_NOT_FOUND = "No case with this code and PIN."


async def find(session: AsyncSession, code: str, pin: str) -> Case:
    """The case with this code whose PIN is `pin`; NotFound otherwise (the same for both)."""
    case = None
    if len(code) <= _CODE_MAX:
        case = (await session.execute(select(Case).where(col(Case.code) == code.strip().upper()))).scalar_one_or_none()
    if case is None:
        pin_digest(pin)  # an unknown code costs the same PIN check as a known one
        raise NotFound(_NOT_FOUND)
    if not verify_pin(case, pin):
        raise NotFound(_NOT_FOUND)
    return case


async def milestones(session: AsyncSession, case: Case, lang: str) -> list[MilestonePublic]:
    rows = (
        await session.execute(
            select(col(AuditEvent.action), col(AuditEvent.at), col(AuditEvent.changes))
            .where(col(AuditEvent.case_id) == case.id, col(AuditEvent.action).in_(citizen.MILESTONE_WORDS))
            .order_by(col(AuditEvent.seq))
        )
    ).all()
    out = []
    for action, at, changes in rows:
        on = (changes or {}).get("on") if action != "case.create" else (changes or {}).get("received_on")
        day = date.fromisoformat(on) if isinstance(on, str) else business_today(as_utc(at))
        out.append(MilestonePublic(on=day, step=action, label=citizen.words(citizen.MILESTONE_WORDS, action, lang)))
    return out


async def track(session: AsyncSession, code: str, pin: str, *, today: date, lang: str) -> PublicCasePublic:
    case = await find(session, code, pin)
    org = await session.get(Organization, holder_org_id(case))
    return PublicCasePublic(
        code=case.code,
        kind=case.kind,
        kind_label=citizen.words(citizen.KIND_WORDS, case.kind, lang),
        status=case.status,
        status_label=citizen.status_words(case.status, lang),
        received_on=case.received_on,
        accepted_on=case.accepted_on,
        responsible_org=OrgNamePublic(code=org.code, name=org.name) if org else None,
        stage=case.stage,
        stage_label=citizen.words(citizen.STAGE_WORDS, case.stage, lang) if case.stage else None,
        due=case.due,
        overdue=is_overdue(case, today),
        milestones=await milestones(session, case, lang),
        language=lang,
    )
