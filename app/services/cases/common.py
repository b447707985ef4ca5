"""What the case use cases share: tracking codes and PINs, loading a case within the caller's
jurisdiction, the holder, the version check, the clock's stages."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import (
    Forbidden,
    IllegalAction,
    NotFound,
    PreconditionRequired,
    Stale,
    unknown_reference,
)
from app.models.cases import (
    Case,
    Petitioner,
    PetitionerIn,
)
from app.models.reference import AdminUnit, Organization
from app.security import Principal, hash_password
from app.services import audit
from app.services.cases_scope import visible_clause
from app.services.clock import Clock
from app.workflows import deadlines as dl
from app.workflows import lifecycle as lc
from app.workflows.lifecycle import Kind, Stage, Status
from app.workflows.roles import Role
from app.workflows.text import fold

# A sanity bound for back-filed paper records; anything earlier is a typing mistake.
EARLIEST_DATE = date(1990, 1, 1)


_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out over the phone


_KIND_LETTER = {Kind.complaint: "K", Kind.denunciation: "T", Kind.petition: "N", Kind.reflection: "P"}


# Two hooks that only demo data (app/demo.py) sets on its sessions; requests never do.
# `session.info[TRACKING_CODE_RNG]`: a seeded random.Random that intake draws tracking codes from
# instead of the system's CSPRNG, so that a seed gives the same codes.
# `session.info[SHARED_PIN]`: a (pin, pin_hash) pair given to every case intake opens in the
# session without a pin_hash of its own (round-2 and split cases too), instead of a fresh PIN
# hashed with argon2 (deliberately slow: ~0.1 s of CPU each).
TRACKING_CODE_RNG = "tracking_code_rng"


SHARED_PIN = "shared_pin"


def new_tracking_code(kind: Kind, received_on: date, rng: Any | None = None) -> str:
    """e.g. HN-26K-7F3K9Q: city, year, kind (Khiếu nại/Tố cáo/kiến Nghị/Phản ánh), 6 random symbols."""
    choice = secrets.choice if rng is None else rng.choice
    tail = "".join(choice(_CODE_ALPHABET) for _ in range(6))
    return f"HN-{received_on:%y}{_KIND_LETTER[kind]}-{tail}"


def new_pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


async def _pin_and_hash(session: AsyncSession) -> tuple[str, str]:
    """A new case's PIN and its argon2 hash (in a worker thread: ~0.1 s of CPU), or the
    session's SHARED_PIN."""
    if SHARED_PIN in session.info:
        return session.info[SHARED_PIN]
    pin = new_pin()
    return pin, await anyio.to_thread.run_sync(hash_password, pin)


def holder_org_id(case: Case) -> int:
    """The organisation that holds the case now: the assigned one, else the receiving one."""
    return case.assigned_org_id or case.receiving_org_id


async def load_petitioners(session: AsyncSession, case_id: int) -> list[Petitioner]:
    return list((await session.execute(select(Petitioner).where(Petitioner.case_id == case_id)
                                       .order_by(Petitioner.position))).scalars())


async def get_visible(session: AsyncSession, principal: Principal, case_id: int, *, for_update: bool = False) -> Case:
    """The case if it is in the caller's jurisdiction; otherwise the same 404 as a case that
    does not exist (its existence is not revealed)."""
    stmt = select(Case).where(Case.id == case_id, visible_clause(principal))
    if for_update:
        stmt = stmt.with_for_update()
    case = (await session.execute(stmt)).scalar_one_or_none()
    if case is None:
        raise NotFound(f"No case {case_id}.")
    return case


async def _visible_or_422(session: AsyncSession, principal: Principal, case_id: int, field_name: str) -> Case:
    """A case named in a request body (a parent, the original of a duplicate): it must be one
    the caller can see, else the field is wrong (422), without revealing that it exists."""
    case = (await session.execute(select(Case).where(Case.id == case_id, visible_clause(principal)))).scalar_one_or_none()
    if case is None:
        raise unknown_reference(field_name, f"no case {case_id} in your jurisdiction")
    return case


async def _unit(session: AsyncSession, code: str, field_name: str) -> AdminUnit:
    unit = await session.get(AdminUnit, code)
    if unit is None:
        raise unknown_reference(field_name, f"no administrative unit with code {code}")
    return unit


async def _org_by_code(session: AsyncSession, code: str, field_name: str) -> Organization:
    org = await _org_by_code_memo(session, audit.txn_memo(session), code)
    if org is None or not org.active:
        raise unknown_reference(field_name, f"no active organisation with code {code}")
    return org


async def _org_path(session: AsyncSession, org: Organization) -> str:
    return (await session.get(AdminUnit, org.unit_code)).path


async def _org_by_code_memo(session: AsyncSession, memo: dict, code: str) -> Organization | None:
    key = ("org_by_code", code)
    if key not in memo:
        memo[key] = (await session.execute(select(Organization).where(Organization.code == code))).scalar_one_or_none()
    return memo[key]


def _as_input(petitioners: list[Petitioner]) -> list[PetitionerIn]:
    """The same people on a case opened from this one (an appeal, a split part)."""
    return [PetitionerIn(full_name=p.full_name, id_number=p.id_number, phone=p.phone, address=p.address,
                         email=p.email, is_representative=p.is_representative) for p in petitioners]


def _search_text(case: Case) -> str:
    return fold(" ".join(filter(None, [case.code, case.title, case.content, case.respondent])))


def _start_stage(case: Case, clock: Clock, stage: Stage, start: date) -> None:
    rule = dl.find_rule(clock.rules, kind=case.kind, stage=stage, round=case.complaint_round, on=start)
    case.stage = stage.value
    case.stage_started_on = start
    if rule is None:  # the law sets no limit and no local default is configured
        case.due, case.due_rule = None, None
        return
    case.due_rule = rule.key
    complex_ = case.complexity is not None and stage == Stage.resolution and case.kind == Kind.complaint
    case.due = dl.stage_due(rule, start, clock.calendar, complex=complex_, remote=case.remote_area)


def _stop_clock(case: Case) -> None:
    case.stage = None
    case.due = None
    case.due_rule = None


def check_version(case: Case, if_match: str | None) -> None:
    """Optimistic concurrency: 428 without If-Match, 412 when it is stale."""
    if if_match is None:
        raise PreconditionRequired("If-Match is required: send the ETag of the case you read.")
    tag = if_match.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    if tag == "*":
        return
    if tag != str(case.version):
        raise Stale(f"The case changed since you read it (version {case.version}, you sent {tag}). Reload it.",
                    current_version=case.version)


def _require_actor(case: Case, principal: Principal) -> None:
    if principal.role not in lc.TRANSITION_ROLES:
        raise Forbidden(f"Role '{principal.role.value}' may not change cases.")
    if principal.org.id != holder_org_id(case):
        raise Forbidden("Only the organisation holding the case may act on it.")


def _conflict(case: Case, principal: Principal, message: str) -> IllegalAction:
    allowed = [a.name for a in lc.allowed(Kind(case.kind), case.complaint_round, Status(case.status),
                                          Role(principal.role))]
    return IllegalAction(message, status_now=case.status, allowed_actions=allowed)


@dataclass
class IntakeResult:
    case: Case
    pin: str
    possible_duplicates: list[dict[str, Any]]
    suggested_org: Organization | None
    location_resolution: dict[str, Any] | None


@dataclass
class TransitionResult:
    case: Case
    opened: IntakeResult | None = None
