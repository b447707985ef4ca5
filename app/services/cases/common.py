"""What the case use cases share: tracking codes and PINs, loading a case within the caller's
jurisdiction, the holder, the version check, the clock's stages."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

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
    CaseSearch,
    LocationResolutionPublic,
    Petitioner,
    PetitionerCreate,
    PossibleDuplicatePublic,
)
from app.models.obligations import CaseObligation
from app.models.reference import AdminUnit, Organization
from app.security import Principal, verify_password
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


def new_tracking_code(kind: Kind, received_on: date, rng: Any | None = None) -> str:
    """e.g. HN-26K-7F3K9Q: city, year, kind (Khiếu nại/Tố cáo/kiến Nghị/Phản ánh), 6 random symbols.
    `rng`: a random.Random to draw from instead of the system's CSPRNG (demo data, for a seed)."""
    choice = secrets.choice if rng is None else rng.choice
    tail = "".join(choice(_CODE_ALPHABET) for _ in range(6))
    return f"HN-{received_on:%y}{_KIND_LETTER[kind]}-{tail}"


def new_pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


# ---- tracking PINs: HMAC-SHA256 under a server key kept outside the database ---------------------
# (docs/decisions/0021-tracking-pin-hmac.md). A 6-digit PIN has a million values: no hash stored
# next to it survives an offline search, a keyed one does as long as the key is not stolen with
# the database. Online guessing is the public endpoint's rate limit's job.
_PIN_PREFIX = "hmac-sha256$"
_pin_key: bytes | None = None


def configure_pin_key(key: bytes) -> None:
    """Set once at start-up (app.main.create_app) from Settings.pin_key."""
    global _pin_key
    _pin_key = key


def _current_pin_key() -> bytes:
    if _pin_key is not None:
        return _pin_key
    from app.config import get_settings  # a CLI or a worker without the app: the environment's settings

    return get_settings().pin_key


def pin_digest(pin: str, key: bytes | None = None) -> str:
    """What `pin_hash` stores: the PIN's HMAC-SHA256 under the server's key (microseconds)."""
    mac = hmac.new(key if key is not None else _current_pin_key(), pin.encode(), hashlib.sha256).hexdigest()
    return _PIN_PREFIX + mac


def verify_pin(case: Case, pin: str, *, key: bytes | None = None) -> bool:
    """Whether `pin` is this case's tracking PIN (for the public tracking endpoint), compared in
    constant time. A PIN stored by an older version as an argon2 hash still verifies."""
    stored = case.pin_hash or ""
    if stored.startswith(_PIN_PREFIX):
        return hmac.compare_digest(stored.encode(), pin_digest(pin, key).encode())
    if stored.startswith("$argon2"):
        return verify_password(pin, stored)
    return False


def _pin_and_hash(pin: str | None = None) -> tuple[str, str]:
    """A new case's PIN (given, or a fresh random one) and what `pin_hash` stores for it."""
    pin = pin or new_pin()
    return pin, pin_digest(pin)


def identity_protected(case: Case) -> bool:
    """The case carries a protected identity: it is a denunciation, or its petitioners are
    protected because they were denouncers here or on a case it derives from (Luật Tố cáo Art 47).
    Sticky: reclassifying a denunciation does not lift it."""
    return case.kind == Kind.denunciation or bool(case.identity_protected)


async def protect_identity(session: AsyncSession, case: Case) -> bool:
    """Mark the case and its petitioners protected from now on; whether anything changed."""
    if case.identity_protected:
        return False
    case.identity_protected = True
    await session.execute(update(Petitioner).where(col(Petitioner.case_id) == case.id).values(protected=True))
    return True


def holder_org_id(case: Case) -> int:
    """The organisation that holds the case now: the assigned one, else the receiving one."""
    return case.assigned_org_id or case.receiving_org_id


async def load_petitioners(session: AsyncSession, case_id: int) -> list[Petitioner]:
    return list(
        (
            await session.execute(
                select(Petitioner).where(col(Petitioner.case_id) == case_id).order_by(col(Petitioner.position))
            )
        ).scalars()
    )


async def get_visible(session: AsyncSession, principal: Principal, case_id: int, *, for_update: bool = False) -> Case:
    """The case if it is in the caller's jurisdiction; otherwise the same 404 as a case that
    does not exist (its existence is not revealed)."""
    stmt = select(Case).where(col(Case.id) == case_id, visible_clause(principal))
    if for_update:
        stmt = stmt.with_for_update()
    case = (await session.execute(stmt)).scalar_one_or_none()
    if case is None:
        raise NotFound(f"No case {case_id}.")
    return case


async def _visible_or_422(session: AsyncSession, principal: Principal, case_id: int, field_name: str) -> Case:
    """A case named in a request body (a parent, the original of a duplicate): it must be one
    the caller can see, else the field is wrong (422), without revealing that it exists."""
    case = (
        await session.execute(select(Case).where(col(Case.id) == case_id, visible_clause(principal)))
    ).scalar_one_or_none()
    if case is None:
        raise unknown_reference(field_name, f"no case {case_id} in your jurisdiction")
    return case


async def _unit(session: AsyncSession, code: str | None, field_name: str) -> AdminUnit:
    unit = await session.get(AdminUnit, code) if code else None
    if unit is None:
        raise unknown_reference(field_name, f"no administrative unit with code {code}")
    return unit


async def _org_by_code(session: AsyncSession, code: str | None, field_name: str) -> Organization:
    org = await _org_by_code_memo(session, audit.txn_memo(session), code) if code else None
    if org is None or not org.active:
        raise unknown_reference(field_name, f"no active organisation with code {code}")
    return org


async def _org_by_code_memo(session: AsyncSession, memo: dict, code: str) -> Organization | None:
    key = ("org_by_code", code)
    if key not in memo:
        stmt = select(Organization).where(col(Organization.code) == code)
        memo[key] = (await session.execute(stmt)).scalar_one_or_none()
    return memo[key]


def _as_input(petitioners: list[Petitioner]) -> list[PetitionerCreate]:
    """The same people on a case opened from this one (an appeal, a split part)."""
    return [
        PetitionerCreate(
            full_name=p.full_name,
            id_number=p.id_number,
            phone=p.phone,
            address=p.address,
            email=p.email,
            is_representative=p.is_representative,
        )
        for p in petitioners
    ]


def _search_text(case: Case) -> str:
    return fold(" ".join(filter(None, [case.code, case.title, case.content, case.respondent])))


async def write_search_text(session: AsyncSession, case: Case, *, new_case: bool = False) -> None:
    """Keep the case's row of `case_search` (what `q` searches) in step with its code, title,
    content and respondent; written only when the text changes. `new_case`: the case was
    inserted by this transaction just now (intake), so it has no row yet to look up."""
    text = _search_text(case)
    case_id = case.id
    if case_id is None:  # pragma: no cover - callers flush the case first
        raise RuntimeError("write_search_text needs a flushed case")
    row = None if new_case else await session.get(CaseSearch, case_id)
    if row is None:
        session.add(CaseSearch(case_id=case_id, text=text))
    elif row.text != text:
        row.text = text


def _start_stage(case: Case, clock: Clock, stage: Stage, start: date) -> None:
    rule = dl.find_rule(clock.rules, kind=case.kind, stage=stage, round=case.complaint_round, on=start)
    case.stage = stage.value
    case.stage_started_on = start
    if rule is None:  # the law sets no limit and no local default is configured
        case.due, case.due_rule, case.period_end = None, None, None
        return
    case.due_rule = rule.key
    complex_ = case.complexity is not None and stage == Stage.resolution and case.kind == Kind.complaint
    case.due = dl.stage_due(rule, start, clock.calendar, complex=complex_, remote=case.remote_area)
    case.period_end = dl.period_end(rule, start, complex=complex_, remote=case.remote_area) or case.due


async def _start_intake_stage(session: AsyncSession, case: Case, clock: Clock) -> None:
    """The first stage of the clock, counted from receipt (lifecycle.intake_stage)."""
    holder = await session.get(Organization, holder_org_id(case))
    stage = lc.intake_stage(Kind(case.kind), case.complaint_round, bool(holder and holder.may_resolve))
    _start_stage(case, clock, stage, case.received_on)


def _stop_clock(case: Case) -> None:
    case.stage = None
    case.due = None
    case.period_end = None
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
        raise Stale(
            f"The case changed since you read it (version {case.version}, you sent {tag}). Reload it.",
            current_version=case.version,
        )


def _require_actor(case: Case, principal: Principal) -> None:
    if principal.role not in lc.TRANSITION_ROLES:
        raise Forbidden(f"Role '{principal.role.value}' may not change cases.")
    if principal.org.id != holder_org_id(case):
        raise Forbidden("Only the organisation holding the case may act on it.")


def _conflict(case: Case, principal: Principal, message: str) -> IllegalAction:
    allowed = [
        a.name for a in lc.allowed(Kind(case.kind), case.complaint_round, Status(case.status), Role(principal.role))
    ]
    return IllegalAction(message, status_now=case.status, allowed_actions=allowed)


@dataclass
class IntakeResult:
    case: Case
    pin: str
    possible_duplicates: list[PossibleDuplicatePublic]
    suggested_org: Organization | None
    location_resolution: LocationResolutionPublic | None
    # what the intake wrote with the new case, all of it (the response shows them without a query)
    petitioners: list[Petitioner] | None = None
    obligations: list[CaseObligation] | None = None


@dataclass
class TransitionResult:
    case: Case
    opened: IntakeResult | None = None
