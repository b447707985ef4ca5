"""Case use cases: intake, reading, editing, transitions, splitting, history.

Each function loads what it needs, applies the pure rules of app/workflows, and writes the
change together with its audit event in the caller's transaction (one per request).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import anyio
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.audit import AuditEvent
from app.models.base import as_utc, utcnow
from app.models.cases import (
    Case,
    CaseCreate,
    CaseCreated,
    CaseDetail,
    CaseOut,
    CaseUpdate,
    OrgRef,
    Petitioner,
    PetitionerIn,
    PetitionerOut,
    SplitIn,
    Tracking,
    TransitionIn,
)
from app.models.reference import AdminUnit, Organization
from app.errors import Forbidden, IllegalAction, Invalid, NotFound, PreconditionRequired, Stale, Unavailable, field_error
from app.security import Principal, hash_password
from app.services import audit
from app.services.cases_scope import visible_clause
from app.services.clock import Clock, rule_by_key
from app.textsearch import fold
from app.workflows import deadlines as dl
from app.workflows import lifecycle as lc
from app.workflows.calendar import days_overdue
from app.workflows.lifecycle import Kind, Stage, Status
from app.workflows.roles import Role

# A sanity bound for back-filed paper records; anything earlier is a typing mistake.
EARLIEST_DATE = date(1990, 1, 1)

# ---- tracking codes and PINs -------------------------------------------------------------------

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


# ---- shaping responses ------------------------------------------------------------------------

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
    """Overdue by date in Asia/Ho_Chi_Minh: today is after the running stage's due date.
    A suspended case's clock is stopped, so it is never overdue."""
    return (case.stage is not None and case.due is not None and case.status != Status.suspended
            and case.status in lc.OPEN_STATUSES and today > case.due)


def holder_org_id(case: Case) -> int:
    """The organisation that holds the case now: the assigned one, else the receiving one."""
    return case.assigned_org_id or case.receiving_org_id


def may_see_identity(case: Case, principal: Principal) -> bool:
    """Luật Tố cáo Art 9(1)(b), 47, 56: a denouncer's identity only for the organisation holding
    the case (receiving or assigned). Other kinds: whoever may see the case."""
    if case.kind != Kind.denunciation:
        return True
    return principal.org.id in (case.receiving_org_id, case.assigned_org_id)


async def case_out(case: Case, orgs: OrgCache, today: date) -> CaseOut:
    overdue = is_overdue(case, today)
    return CaseOut(
        id=case.id, code=case.code, kind=case.kind, status=case.status, channel=case.channel,
        received_on=case.received_on, title=case.title, field=case.field,
        location_unit_code=case.location_unit_code,
        receiving_org=_ref(await orgs.get(case.receiving_org_id)),
        assigned_org=_ref(await orgs.get(case.assigned_org_id)),
        petitioner_count=case.petitioner_count, mass=case.mass, anonymous=case.anonymous,
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


async def load_petitioners(session: AsyncSession, case_id: int) -> list[Petitioner]:
    return list((await session.execute(select(Petitioner).where(Petitioner.case_id == case_id)
                                       .order_by(Petitioner.position))).scalars())


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


# ---- loading with jurisdiction -------------------------------------------------------------------

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
        raise field_error(field_name, f"no case {case_id} in your jurisdiction")
    return case


async def _unit(session: AsyncSession, code: str, field_name: str) -> AdminUnit:
    unit = await session.get(AdminUnit, code)
    if unit is None:
        raise field_error(field_name, f"no administrative unit with code {code}")
    return unit


async def _org_by_code(session: AsyncSession, code: str, field_name: str) -> Organization:
    org = await _org_by_code_memo(session, audit.txn_memo(session), code)
    if org is None or not org.active:
        raise field_error(field_name, f"no active organisation with code {code}")
    return org


async def _org_path(session: AsyncSession, org: Organization) -> str:
    return (await session.get(AdminUnit, org.unit_code)).path


# ---- intake -----------------------------------------------------------------------------------

def check_representatives(count: int, petitioners: list[PetitionerIn]) -> None:
    """Luật Tiếp công dân Art 29: 5–10 people appoint one or two representatives; more than ten,
    up to five. Representatives are themselves petitioners."""
    if count < 5:
        return
    reps = sum(1 for p in petitioners if p.is_representative)
    low, high = (1, 2) if count <= 10 else (1, 5)
    if not low <= reps <= high:
        raise field_error(
            "body.petitioners",
            f"{count} petitioners must appoint {low}–{high} representative(s) from among themselves "
            f"(Luật Tiếp công dân Art 29); {reps} marked is_representative",
        )


async def resolve_location(session: AsyncSession, data: CaseCreate) -> tuple[AdminUnit, dict[str, Any] | None]:
    if data.location_unit_code:
        unit = await _unit(session, data.location_unit_code, "body.location_unit_code")
        return unit, None
    if not data.location_address:
        raise Invalid("body.location_unit_code", "required when location_address is absent",
                      more=[("body.location_address", "required when location_unit_code is absent")],
                      detail="Give location_unit_code or location_address.")
    from app.workflows.address import AddressNotResolved, resolve_address

    try:
        res = await anyio.to_thread.run_sync(resolve_address, data.location_address)
    except AddressNotResolved as exc:
        raise field_error("body.location_address", f"cannot be resolved to a ward or commune: {exc}") from None
    chosen = res.unit.code
    if data.location_choice:
        allowed_codes = {c.code for c in res.candidates} or {res.unit.code}
        if data.location_choice not in allowed_codes:
            raise field_error("body.location_choice", f"must be one of {sorted(allowed_codes)}")
        chosen = data.location_choice
    unit = await _unit(session, chosen, "body.location_address")
    info = {
        "unit": {"code": unit.code, "name": unit.name},
        "candidates": [{"code": c.code, "name": c.name} for c in res.candidates],
        "legacy": res.legacy,
        "ambiguous": res.ambiguous and not data.location_choice,
        "note": res.note,
    }
    return unit, info


async def suggest_org(session: AsyncSession, *, kind: str, field_: str, unit: AdminUnit) -> Organization | None:
    """The competent organisation for this place and kind: the most specific routing rule
    (kind, field, unit subtree), else the People's Committee of the ward.

    The rules (a short admin table) and the organisations looked up by code are remembered for
    the rest of the transaction: a bulk load, a split or an appeal asks again and again."""
    from app.models.cases import RoutingRule

    memo = audit.txn_memo(session)
    all_rules = memo.get("routing_rules")
    if all_rules is None:
        all_rules = memo["routing_rules"] = list((await session.execute(select(RoutingRule))).scalars())
    ancestors = [c for c in unit.path.strip("/").split("/") if c]
    rules = [r for r in all_rules
             if (r.kind is None or r.kind == kind) and (r.field is None or r.field == field_)
             and (r.unit_code is None or r.unit_code in ancestors)]

    def specificity(r) -> tuple:
        depth = ancestors.index(r.unit_code) + 1 if r.unit_code else 0
        return (r.priority, r.kind is not None, r.field is not None, depth, -r.id)

    for rule in sorted(rules, key=specificity, reverse=True):
        org = await _org_by_code_memo(session, memo, rule.org_code)
        if org is not None and org.active:
            return org
    return await _org_by_code_memo(session, memo, f"UBND-{unit.code}")


async def _org_by_code_memo(session: AsyncSession, memo: dict, code: str) -> Organization | None:
    key = ("org_by_code", code)
    if key not in memo:
        memo[key] = (await session.execute(select(Organization).where(Organization.code == code))).scalar_one_or_none()
    return memo[key]


def _title_tokens(text: str) -> set[str]:
    return {t for t in fold(text).split() if len(t) > 1}


def similar_titles(a: str, b: str) -> bool:
    ta, tb = _title_tokens(a), _title_tokens(b)
    if not ta or not tb:
        return False
    return len(ta & tb) / len(ta | tb) >= 0.5


async def find_possible_duplicates(session: AsyncSession, principal: Principal, *, exclude_id: int | None,
                                   petitioners: list[PetitionerIn], respondent: str | None,
                                   title: str) -> list[dict[str, Any]]:
    """Open cases, visible to the caller, from the same petitioner (ID number, or folded name and
    phone) about the same respondent or with a similar title."""
    conds = []
    ids = [p.id_number for p in petitioners if p.id_number]
    if ids:
        conds.append(Petitioner.id_number.in_(ids))
    for p in petitioners:
        if p.phone:
            conds.append(and_(Petitioner.name_key == fold(p.full_name), Petitioner.phone_key == _phone_key(p.phone)))
    if not conds:
        return []
    stmt = (select(Case).join(Petitioner, Petitioner.case_id == Case.id)
            .where(or_(*conds), Case.status.in_([s.value for s in lc.OPEN_STATUSES]), visible_clause(principal))
            .distinct().limit(50))
    if exclude_id is not None:
        stmt = stmt.where(Case.id != exclude_id)
    out = []
    resp = fold(respondent)
    for c in (await session.execute(stmt)).scalars():
        same_respondent = bool(resp) and fold(c.respondent) == resp
        if same_respondent or similar_titles(c.title, title):
            out.append({"id": c.id, "code": c.code, "title": c.title, "status": c.status, "kind": c.kind,
                        "received_on": c.received_on.isoformat(),
                        "match": "same respondent" if same_respondent else "similar title"})
    return out


def _phone_key(phone: str | None) -> str | None:
    if not phone:
        return None
    digits = "".join(ch for ch in phone if ch.isdigit())
    if digits.startswith("84") and len(digits) > 10:
        digits = "0" + digits[2:]
    return digits or None


def _check_decision_date(kind: str, decision_date: date | None, received_on: date) -> None:
    if decision_date is None:
        return
    if kind != Kind.complaint:
        raise field_error("body.decision_date", "only complaints carry the date of the decision complained about")
    if decision_date > received_on:
        raise field_error("body.decision_date", "is after received_on")


def _filing_late(decision_date: date | None, received_on: date) -> bool:
    """Luật Khiếu nại Art 9: filed more than 90 days after the decision or act complained about."""
    return bool(decision_date and (received_on - decision_date).days > dl.COMPLAINT_FILING_LIMIT_DAYS)


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


@dataclass
class IntakeResult:
    case: Case
    pin: str
    possible_duplicates: list[dict[str, Any]]
    suggested_org: Organization | None
    location_resolution: dict[str, Any] | None


async def intake(session: AsyncSession, principal: Principal, data: CaseCreate, clock: Clock, *,
                 pin_hash: str | None = None, pin: str | None = None, check_duplicates: bool = True,
                 split_from: Case | None = None, parent: Case | None = None,
                 receiving_org: Organization | None = None, status: Status = Status.received,
                 stage: Stage | None = None, audit_action: str = "case.create") -> IntakeResult:
    """Tiếp nhận: log a petition the moment it arrives."""
    received_on = data.received_on or clock.today
    if received_on > clock.today:
        raise field_error("body.received_on", f"is in the future (today is {clock.today.isoformat()} in Hanoi)")
    if received_on < EARLIEST_DATE:
        raise field_error("body.received_on", f"is before {EARLIEST_DATE.isoformat()}: not a date this service can file")
    if data.decision_date is not None and data.decision_date < EARLIEST_DATE:
        raise field_error("body.decision_date", f"is before {EARLIEST_DATE.isoformat()}")
    kind = Kind(data.kind)
    if kind != Kind.complaint and data.complaint_round is not None:
        raise field_error("body.complaint_round", "only complaints have a round")
    complaint_round = (data.complaint_round or 1) if kind == Kind.complaint else None
    if parent is None and data.parent_case_id is not None:
        parent = await _visible_or_422(session, principal, data.parent_case_id, "body.parent_case_id")
    if data.anonymous and data.petitioners:
        raise field_error("body.petitioners", "an anonymous petition lists no petitioners")
    if not data.anonymous and not data.petitioners:
        raise field_error("body.petitioners", "at least one petitioner is required (or anonymous: true)")
    count = 0 if data.anonymous else max(data.petitioner_count or 0, len(data.petitioners))
    check_representatives(count, data.petitioners)
    _check_decision_date(kind, data.decision_date, received_on)
    unit, location_info = await resolve_location(session, data)
    org = receiving_org or principal.org
    filing_late = _filing_late(data.decision_date, received_on)

    if pin_hash is None:
        pin, pin_hash = await _pin_and_hash(session)
    case = Case(
        code="", pin_hash=pin_hash, kind=kind.value, status=status.value, channel=data.channel.value,
        received_on=received_on, title=data.title, content=data.content, field=data.field.value,
        respondent=data.respondent, location_unit_code=unit.code, location_path=unit.path,
        location_address=data.location_address, anonymous=data.anonymous, complaint_round=complaint_round,
        parent_case_id=parent.id if parent else None, split_from_id=split_from.id if split_from else None,
        receiving_org_id=org.id, receiving_path=await _org_path(session, org),
        petitioner_count=count, mass=count >= 5, decision_date=data.decision_date, filing_late=filing_late,
        remote_area=data.remote_area, last_event_on=received_on, created_by_id=principal.user.id,
    )
    first_stage = stage or (Stage.acceptance if complaint_round == 2 else Stage.processing)
    _start_stage(case, clock, first_stage, received_on)
    for _attempt in range(8):
        code = new_tracking_code(kind, received_on, session.info.get(TRACKING_CODE_RNG))
        exists = (await session.execute(select(Case.id).where(Case.code == code))).first()
        if not exists:
            case.code = code
            break
    else:  # pragma: no cover - 31^6 codes a year per kind
        raise Unavailable("Could not allocate a tracking code; try again.")
    case.search_text = _search_text(case)
    session.add(case)
    await session.flush()
    for i, p in enumerate(data.petitioners):
        session.add(Petitioner(case_id=case.id, position=i, full_name=p.full_name, id_number=p.id_number,
                               phone=p.phone, address=p.address, email=str(p.email) if p.email else None,
                               is_representative=p.is_representative, name_key=fold(p.full_name)[:200],
                               phone_key=_phone_key(p.phone)))
    # The petitioners are written by the audit event's flush, in the same transaction.
    # The audit event names no petitioner: the trail is readable by supervisors.
    await audit.record(session, actor=principal, action=audit_action, entity="case", entity_id=case.id,
                       case_id=case.id, to_status=case.status, changes={
                           "kind": case.kind, "channel": case.channel, "received_on": case.received_on,
                           "title": case.title, "field": case.field, "location_unit_code": case.location_unit_code,
                           "receiving_org": org.code, "petitioner_count": count, "anonymous": case.anonymous,
                           "complaint_round": complaint_round, "parent_case_id": case.parent_case_id,
                           "split_from_id": case.split_from_id, "stage": case.stage, "due": case.due,
                           "due_rule": case.due_rule, "filing_late": filing_late})
    dups = []
    if check_duplicates and data.petitioners:
        dups = await find_possible_duplicates(session, principal, exclude_id=case.id, petitioners=data.petitioners,
                                              respondent=data.respondent, title=data.title)
    suggestion = await suggest_org(session, kind=case.kind, field_=case.field, unit=unit)
    return IntakeResult(case=case, pin=pin or "", possible_duplicates=dups, suggested_org=suggestion,
                        location_resolution=location_info)


async def created_response(session: AsyncSession, principal: Principal, res: IntakeResult, orgs: OrgCache,
                           today: date) -> CaseCreated:
    detail = await case_detail(session, res.case, orgs, principal, today, audit_identity_read=False)
    return CaseCreated(**detail.model_dump(), tracking=Tracking(code=res.case.code, pin=res.pin),
                       possible_duplicates=res.possible_duplicates, suggested_org=_ref(res.suggested_org),
                       location_resolution=res.location_resolution)


# ---- edits --------------------------------------------------------------------------------------

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


_DESCRIPTIVE = ("title", "content", "field", "respondent", "location_unit_code", "decision_date", "remote_area")


async def update(session: AsyncSession, principal: Principal, case: Case, data: CaseUpdate, clock: Clock,
                 if_match: str | None) -> Case:
    """Descriptive fields only; the holder's desk or handler, with the version they read."""
    _require_actor(case, principal)
    check_version(case, if_match)
    patch = data.model_dump(exclude_unset=True)
    changes: dict[str, Any] = {}
    for name in _DESCRIPTIVE:
        if name not in patch:
            continue
        value = patch[name]
        if value is None and name in ("title", "field", "location_unit_code", "remote_area"):
            raise field_error(f"body.{name}", "may not be null")
        if hasattr(value, "value"):
            value = value.value
        if name == "location_unit_code" and value != case.location_unit_code:
            unit = await _unit(session, value, "body.location_unit_code")
            case.location_path = unit.path
        if name == "decision_date":
            _check_decision_date(case.kind, value, case.received_on)
        if getattr(case, name) != value:
            changes[name] = {"from": getattr(case, name), "to": value}
            setattr(case, name, value)
    if "decision_date" in changes:
        case.filing_late = _filing_late(case.decision_date, case.received_on)
    if not changes:
        return case
    case.search_text = _search_text(case)
    case.version += 1
    case.updated_at = utcnow()
    await session.flush()
    await audit.record(session, actor=principal, action="case.update", entity="case", entity_id=case.id,
                       case_id=case.id, changes=changes)
    return case


def _require_actor(case: Case, principal: Principal) -> None:
    if principal.role not in lc.TRANSITION_ROLES:
        raise Forbidden(f"Role '{principal.role.value}' may not change cases.")
    if principal.org.id != holder_org_id(case):
        raise Forbidden("Only the organisation holding the case may act on it.")


# ---- transitions ----------------------------------------------------------------------------------

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
    return out


def actions_for(case: Case, principal: Principal) -> list[dict[str, Any]]:
    """What this caller may do now (GET /cases/{id}/actions): read from the lifecycle table."""
    if principal.role not in lc.TRANSITION_ROLES or principal.org.id != holder_org_id(case):
        return []
    return [describe(a, Kind(case.kind)) for a in lc.allowed(Kind(case.kind), case.complaint_round,
                                                              Status(case.status), Role(principal.role))]


def _conflict(case: Case, principal: Principal, message: str) -> IllegalAction:
    allowed = [a.name for a in lc.allowed(Kind(case.kind), case.complaint_round, Status(case.status),
                                          Role(principal.role))]
    return IllegalAction(message, status_now=case.status, allowed_actions=allowed)


@dataclass
class TransitionResult:
    case: Case
    opened: IntakeResult | None = None


async def transition(session: AsyncSession, principal: Principal, case: Case, data: TransitionIn, clock: Clock,
                     if_match: str | None) -> TransitionResult:
    if principal.role not in lc.TRANSITION_ROLES:
        raise Forbidden(f"Role '{principal.role.value}' may not transition cases.")
    check_version(case, if_match)
    kind, status = Kind(case.kind), Status(case.status)
    action = lc.find(data.action, kind, case.complaint_round, status)
    if action is None:
        if not lc.candidates(data.action, kind, case.complaint_round):
            raise _conflict(case, principal, f"'{data.action}' does not apply to a {kind.value}"
                            + (f" (round {case.complaint_round})" if case.complaint_round else "") + ".")
        raise _conflict(case, principal, f"'{data.action}' is not allowed while the case is {status.value}.")
    if Role(principal.role) not in action.roles:
        raise Forbidden(f"Role '{principal.role.value}' may not '{action.name}'; allowed: "
                        f"{', '.join(sorted(r.value for r in action.roles))}.")
    if principal.org.id != holder_org_id(case):
        raise Forbidden("Only the organisation holding the case may act on it.")
    missing = [f for f in action.required if getattr(data, f, None) in (None, "")]
    if missing:
        raise Invalid(f"body.{missing[0]}", "required for this action",
                      more=[(f"body.{f}", "required for this action") for f in missing[1:]],
                      detail=f"'{action.name}' requires: {', '.join(missing)}.")
    grounds = action.grounds_for(kind)
    if grounds and data.ground not in {g.code for g in grounds}:
        raise field_error("body.ground", f"not a ground for '{action.name}' of a {kind.value}; one of "
                          + ", ".join(g.code for g in grounds))
    on = data.on or clock.today
    if on > clock.today:
        raise field_error("body.on", f"is in the future (today is {clock.today.isoformat()} in Hanoi)")
    if on < case.last_event_on:
        raise field_error("body.on", f"is before the case's last event ({case.last_event_on.isoformat()})")

    before = {"status": case.status, "due": case.due, "stage": case.stage, "assigned_org_id": case.assigned_org_id}
    changes: dict[str, Any] = {}
    opened: IntakeResult | None = None
    handler = _APPLY.get(action.name)
    if handler is not None:
        opened = await handler(session, principal, case, data, clock, on, changes)
    if action.to_status is not None:
        case.status = action.to_status.value
    if action.clock == Clock_.stop and case.stage is not None:
        _stop_clock(case)
    for k in ("due", "stage"):
        if getattr(case, k) != before[k]:
            changes[k] = {"from": before[k], "to": getattr(case, k)}
    case.last_event_on = on
    case.version += 1
    case.updated_at = utcnow()
    # No flush of its own: the audit event's flush writes the case with it.
    await audit.record(session, actor=principal, action=f"case.{action.name}", entity="case", entity_id=case.id,
                       case_id=case.id, from_status=before["status"], to_status=case.status,
                       changes={"on": on, **changes}, reason=data.reason)
    return TransitionResult(case=case, opened=opened)


Clock_ = lc.Clock  # the lifecycle's clock effects (not the request's Clock)


def _change_kind(case: Case, new_kind: Kind, new_round: int | None, clock: Clock, changes: dict[str, Any]) -> None:
    """Classified by content, not title (TT 05/2021 Art 6): the new kind's clock runs from
    receipt, as the law counts it."""
    changes["kind"] = {"from": case.kind, "to": new_kind.value}
    if new_round != case.complaint_round:
        changes["complaint_round"] = {"from": case.complaint_round, "to": new_round}
    if new_kind != Kind.complaint:
        case.decision_date, case.filing_late = None, False
    case.kind, case.complaint_round = new_kind.value, new_round
    _start_stage(case, clock, Stage.acceptance if new_round == 2 else Stage.processing, case.received_on)


async def _reclassify(session, principal, case: Case, data: TransitionIn, clock: Clock, on, changes) -> None:
    new_kind = Kind(data.kind)
    new_round = (data.complaint_round or 1) if new_kind == Kind.complaint else None
    if new_kind == Kind(case.kind) and new_round == case.complaint_round:
        raise field_error("body.kind", f"the case is already a {new_kind.value}")
    _change_kind(case, new_kind, new_round, clock, changes)


async def _forward(session, principal, case: Case, data: TransitionIn, clock: Clock, on, changes) -> None:
    target = await _org_by_code(session, data.to_org, "body.to_org")
    if target.id == holder_org_id(case):
        raise field_error("body.to_org", "the case is already held by this organisation")
    changes["assigned_org"] = {"from": (await session.get(Organization, holder_org_id(case))).code, "to": target.code}
    path = await _org_path(session, target)  # (looked up before the case changes: no autoflush in between)
    case.assigned_org_id = target.id
    case.assigned_path = path
    _start_stage(case, clock, Stage.acceptance, on)


async def _accept(session, principal, case: Case, data: TransitionIn, clock: Clock, on, changes) -> None:
    if data.remote_area is not None and data.remote_area != case.remote_area:
        changes["remote_area"] = {"from": case.remote_area, "to": data.remote_area}
        case.remote_area = data.remote_area
    if case.assigned_org_id is None:  # own competence: the receiving body accepts
        case.assigned_org_id = case.receiving_org_id
        case.assigned_path = case.receiving_path
    case.accepted_on = on
    _start_stage(case, clock, Stage.resolution, on)


async def _return(session, principal, case: Case, data: TransitionIn, clock: Clock, on, changes) -> None:
    changes["assigned_org"] = {"from": (await session.get(Organization, case.assigned_org_id)).code, "to": None}
    case.assigned_org_id = None
    case.assigned_path = None
    _start_stage(case, clock, Stage.processing, case.received_on)


async def _archive(session, principal, case: Case, data: TransitionIn, clock: Clock, on, changes) -> None:
    changes["ground"] = data.ground
    if data.ground == "duplicate":
        if data.duplicate_of is None:
            raise field_error("body.duplicate_of", "required when the ground is duplicate")
        if data.duplicate_of == case.id:
            raise field_error("body.duplicate_of", "a case cannot duplicate itself")
        await _visible_or_422(session, principal, data.duplicate_of, "body.duplicate_of")
        case.duplicate_of_id = data.duplicate_of
        changes["duplicate_of"] = data.duplicate_of


async def _reject(session, principal, case, data, clock, on, changes) -> None:
    changes["ground"] = data.ground


async def _guide(session, principal, case, data, clock, on, changes) -> None:
    if data.guided_to:
        changes["guided_to"] = data.guided_to


async def _suspend(session, principal, case: Case, data, clock, on, changes) -> None:
    case.suspended_on = on
    case.status_before_suspend = case.status


async def _resume(session, principal, case: Case, data, clock: Clock, on, changes) -> None:
    rule = rule_by_key(clock.rules, case.due_rule)
    if case.due is not None and case.suspended_on is not None:
        mode = rule.mode if rule else "calendar"
        case.due = clock.calendar.shift_for_suspension(case.due, case.suspended_on, on, mode)
    changes["suspended_days"] = (on - case.suspended_on).days if case.suspended_on else 0
    case.status = case.status_before_suspend or Status.verifying.value
    case.suspended_on = None
    case.status_before_suspend = None


async def _extend(session, principal, case: Case, data: TransitionIn, clock: Clock, on, changes) -> None:
    if data.complexity not in lc.COMPLEXITIES:
        raise field_error("body.complexity", f"one of {', '.join(lc.COMPLEXITIES)}")
    rule = rule_by_key(clock.rules, case.due_rule)
    if rule is None or case.due is None or case.stage != Stage.resolution:
        raise _conflict(case, principal, "Only a running resolution stage can be extended.")
    try:
        new_due = dl.extension_due(rule, case.due, clock.calendar, extensions_used=case.extensions_used,
                                   complexity=data.complexity, accepted_on=case.accepted_on or case.stage_started_on,
                                   remote=case.remote_area)
    except dl.ExtensionNotAllowed as exc:
        raise _conflict(case, principal, f"Extension refused: {exc}") from None
    case.extensions_used += 1
    case.complexity = data.complexity
    case.due = new_due
    changes["complexity"] = data.complexity
    changes["extensions_used"] = case.extensions_used


async def _decide(session, principal, case: Case, data: TransitionIn, clock, on, changes) -> None:
    outcomes = lc.OUTCOMES[Kind(case.kind)]
    if data.outcome not in outcomes:
        raise field_error("body.outcome", f"for a {case.kind}: one of {', '.join(outcomes)}")
    case.outcome = data.outcome
    case.outcome_summary = data.summary
    case.decided_on = on
    changes["outcome"] = data.outcome
    changes["on_time"] = case.due is None or on <= case.due


async def _close(session, principal, case: Case, data, clock, on, changes) -> None:
    case.closed_on = on


async def _appeal(session, principal, case: Case, data: TransitionIn, clock: Clock, on, changes) -> IntakeResult:
    """Khiếu nại lần hai (Luật Khiếu nại Art 33): within 30 days of the first decision (45 in
    remote areas), or once the first resolver's deadline has passed without a decision. The
    round-2 case opens at the superior organisation, linked to this one."""
    remote = case.remote_area if data.remote_area is None else data.remote_area
    window = dl.APPEAL_WINDOW_REMOTE_DAYS if remote else dl.APPEAL_WINDOW_DAYS
    if case.decided_on is not None:
        last_day = clock.calendar.add_calendar_days(case.decided_on, window)
        if on > last_day:
            raise _conflict(case, principal, f"The appeal window closed on {last_day.isoformat()}: {window} days from "
                            f"the first decision of {case.decided_on.isoformat()} ({dl.APPEAL_WINDOW_SOURCE}).")
    else:
        if case.due is None or on <= case.due:
            raise _conflict(case, principal, "No first decision yet and the first resolver's deadline "
                            f"({case.due.isoformat() if case.due else 'none'}) has not passed ({dl.APPEAL_WINDOW_SOURCE}).")
        last_day = clock.calendar.add_calendar_days(case.due, window)
        if on > last_day:
            raise _conflict(case, principal, f"The appeal window closed on {last_day.isoformat()}: {window} days after "
                            f"the first resolver's deadline ({dl.APPEAL_WINDOW_SOURCE}).")
    first_resolver = await session.get(Organization, holder_org_id(case))
    superior = None
    if first_resolver and first_resolver.parent_code:
        superior = (await session.execute(select(Organization).where(
            Organization.code == first_resolver.parent_code))).scalar_one_or_none()
    if superior is None:
        raise _conflict(case, principal, f"{first_resolver.code if first_resolver else 'The resolver'} has no superior "
                        "organisation configured to resolve a second-time complaint.")
    petitioners = await load_petitioners(session, case.id)
    data2 = CaseCreate(
        kind=Kind.complaint, channel="forwarded", received_on=on, title=case.title, content=case.content,
        field=case.field, location_unit_code=case.location_unit_code, respondent=case.respondent,
        petitioners=_as_input(petitioners),
        petitioner_count=case.petitioner_count or None, anonymous=case.anonymous or not petitioners,
        complaint_round=2, decision_date=case.decided_on, remote_area=remote,
    )
    opened = await intake(session, principal, data2, clock, check_duplicates=False, parent=case,
                          receiving_org=superior, audit_action="case.create_appeal")
    opened.case.filing_late = False  # the round-2 window was checked above
    changes["opened_case_id"] = opened.case.id
    changes["superior_org"] = superior.code
    return opened


_APPLY = {
    "reclassify": _reclassify, "forward": _forward, "accept": _accept, "return": _return, "archive": _archive,
    "reject": _reject, "guide": _guide, "suspend": _suspend, "resume": _resume, "extend": _extend,
    "decide": _decide, "close": _close, "appeal": _appeal,
}


# ---- split (Luật Tiếp công dân Art 25(3)) ----------------------------------------------------------

async def split(session: AsyncSession, principal: Principal, case: Case, data: SplitIn, clock: Clock,
                if_match: str | None) -> tuple[Case, list[IntakeResult]]:
    """A petition with several contents becomes linked cases, one per content: the first part
    stays in this case (reclassified if needed), each other part opens a new case."""
    _require_actor(case, principal)
    check_version(case, if_match)
    if case.status != Status.received:
        raise _conflict(case, principal, "Only a case still at reception (received) can be split.")
    first, rest = data.parts[0], data.parts[1:]
    changes: dict[str, Any] = {}
    if first.kind.value != case.kind:
        _change_kind(case, first.kind, 1 if first.kind == Kind.complaint else None, clock, changes)
    for name in ("title", "content"):
        if getattr(first, name) != getattr(case, name):
            changes[name] = {"from": getattr(case, name), "to": getattr(first, name)}
            setattr(case, name, getattr(first, name))
    if first.field and first.field.value != case.field:
        changes["field"] = {"from": case.field, "to": first.field.value}
        case.field = first.field.value
    case.search_text = _search_text(case)
    petitioners = await load_petitioners(session, case.id)
    receiving = await session.get(Organization, case.receiving_org_id)
    # Every new case's PIN is hashed before the first of them is audited: that first audit event
    # takes the chain lock until commit, and argon2 must not run while every other writer waits.
    pins = [await _pin_and_hash(session) for _ in rest]
    opened = []
    for part, (pin, pin_hash) in zip(rest, pins, strict=True):
        data_n = CaseCreate(
            kind=part.kind, channel=case.channel, received_on=case.received_on, title=part.title,
            content=part.content, field=part.field or case.field, location_unit_code=case.location_unit_code,
            respondent=case.respondent,
            petitioners=_as_input(petitioners),
            petitioner_count=case.petitioner_count or None, anonymous=case.anonymous,
            decision_date=case.decision_date if part.kind == Kind.complaint else None, remote_area=case.remote_area,
        )
        opened.append(await intake(session, principal, data_n, clock, pin=pin, pin_hash=pin_hash,
                                   check_duplicates=False, split_from=case, receiving_org=receiving,
                                   audit_action="case.create_split"))
    changes["split_into"] = [o.case.id for o in opened]
    case.version += 1
    case.updated_at = utcnow()
    await session.flush()
    await audit.record(session, actor=principal, action="case.split", entity="case", entity_id=case.id,
                       case_id=case.id, changes=changes, reason=data.reason)
    return case, opened


# ---- lists ---------------------------------------------------------------------------------------

@dataclass
class CaseFilters:
    status: list[str] | None = None
    kind: str | None = None
    field: str | None = None
    unit: str | None = None
    assigned_org: str | None = None
    receiving_org: str | None = None
    overdue: bool | None = None
    due_before: date | None = None
    received_from: date | None = None
    received_to: date | None = None
    q: str | None = None
    sort: str = "-received_on"


SORTS = {
    "-received_on": (Case.received_on, True), "received_on": (Case.received_on, False),
    "due": (Case.due, False), "-due": (Case.due, True), "-id": (Case.id, True), "id": (Case.id, False),
    "-updated_at": (Case.updated_at, True),
}


async def list_cases(session: AsyncSession, principal: Principal, f: CaseFilters, today: date, *, limit: int,
                     after: list[Any] | None) -> tuple[list[Case], list[Any] | None]:
    """Keyset-paginated, scoped to the caller's jurisdiction, sorted by a stable key (the sort
    column, then id)."""
    stmt = select(Case).where(visible_clause(principal))
    if f.status:
        stmt = stmt.where(Case.status.in_(f.status))
    if f.kind:
        stmt = stmt.where(Case.kind == f.kind)
    if f.field:
        stmt = stmt.where(Case.field == f.field)
    if f.unit:
        unit = await session.get(AdminUnit, f.unit)
        if unit is None:
            raise field_error("query.unit", f"no administrative unit with code {f.unit}")
        stmt = stmt.where(Case.location_path.startswith(unit.path, autoescape=True))
    for name, col in (("assigned_org", Case.assigned_org_id), ("receiving_org", Case.receiving_org_id)):
        code = getattr(f, name)
        if code:
            org = (await session.execute(select(Organization).where(Organization.code == code))).scalar_one_or_none()
            if org is None:
                raise field_error(f"query.{name}", f"no organisation with code {code}")
            stmt = stmt.where(col == org.id)
    if f.overdue is not None:
        running = and_(Case.status.in_([s.value for s in lc.OPEN_STATUSES if s != Status.suspended]),
                       Case.stage.is_not(None), Case.due.is_not(None))
        stmt = stmt.where(and_(running, Case.due < today) if f.overdue else ~and_(running, Case.due < today))
    if f.due_before:
        stmt = stmt.where(Case.due < f.due_before)
    if f.received_from:
        stmt = stmt.where(Case.received_on >= f.received_from)
    if f.received_to:
        stmt = stmt.where(Case.received_on <= f.received_to)
    if f.q:
        for term in fold(f.q).split()[:8]:
            stmt = stmt.where(Case.search_text.contains(term, autoescape=True))
    col, desc = SORTS[f.sort]
    if col is Case.due:
        stmt = stmt.where(Case.due.is_not(None))  # a due-date order lists cases with a running clock
    if after is not None:
        value, last_id = after
        if col is not Case.id:
            value = date.fromisoformat(value) if col in (Case.received_on, Case.due) else value
            if col is Case.updated_at:
                value = datetime.fromisoformat(value)
            cmp = or_(col < value, and_(col == value, Case.id < last_id)) if desc else \
                or_(col > value, and_(col == value, Case.id > last_id))
        else:
            cmp = Case.id < last_id if desc else Case.id > last_id
        stmt = stmt.where(cmp)
    order = [col.desc() if desc else col.asc()]
    if col is not Case.id:
        order.append(Case.id.desc() if desc else Case.id.asc())
    rows = list((await session.execute(stmt.order_by(*order).limit(limit + 1))).scalars())
    nxt = None
    if len(rows) > limit:
        last = rows[limit - 1]
        key = getattr(last, col.key)
        nxt = [key.isoformat() if hasattr(key, "isoformat") else key, last.id]
    return rows[:limit], nxt


async def history(session: AsyncSession, case: Case, *, limit: int, after_seq: int | None) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.case_id == case.id)
    if after_seq is not None:
        stmt = stmt.where(AuditEvent.seq > after_seq)
    return list((await session.execute(stmt.order_by(AuditEvent.seq).limit(limit + 1))).scalars())

