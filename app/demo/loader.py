"""Demo data: realistic synthetic cases, loaded through the case service.

`petitions demo --cases N --seed S` logs N cases (children opened by appeals and splits count
towards N) and walks each one through its life with the very functions the HTTP API calls —
`app.services.cases.intake`, `.transition` and `.split` — so every case and every step is
validated by the lifecycle table, clocked by the deadline engine and written to the hash-chained
audit trail exactly as it would be over HTTP. Nothing here writes a case or an event directly.

What it makes (all synthetic; no real person is named):

- petitioners with Vietnamese names (họ, tên đệm, tên), 12-digit CCCD numbers of Hanoi
  (province code 001, the gender/century digit, the year of birth), 09x/03x mobile numbers and
  addresses in the ward the case is about;
- locations at real ward/commune codes read from the `admin_unit` table;
- kinds in the proportions Hanoi reports them (complaints and petitions most, denunciations
  fewest) and fields dominated by land and compensation; titles and contents in Vietnamese by
  field and kind; channels; mass cases (đông người: 5+ signers with one or two representatives);
  anonymous reflections; repeat submissions archived as duplicates;
- lifecycles over the last ~18 months: logged at an MTTQ desk, the city's citizen reception
  board or the ward's People's Committee, forwarded to the competent People's Committee (or the
  city inspectorate), accepted, verified, decided and closed — with some guided, archived,
  returned, refused, withdrawn, suspended and resumed, extended (denunciations once or twice),
  terminated, appealed to round 2 at the city, and some left to run past their due date.

Deterministic: the same seed, number of cases and `today` give the same cases, statuses, dates
and tracking codes (the demo's Clock carries a seeded generator, `Clock.codes`, that intake draws
tracking codes from). Timestamps (`created_at`, the audit `at`) are not: the wall clock.

The Vietnamese text it samples (names, streets, titles, contents) is data: app/demo/corpus.json.
Demo users are created by the users service (`app.services.users.create_user`), like any other.

Fast: many cases per transaction, one Clock, organisations and actors cached, no duplicate search
at intake; and with `bulk=True` (the CLI's default) the same service calls run over an in-memory
session and their rows are copied in bulk every batch (app/demo/bulk.py: the same rows, a test
proves it, without SQLAlchemy's unit of work). Every case the demo logs itself gets the one PIN
it prints; split parts and round-2 cases, which the service opens, get their own random PINs.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from itertools import accumulate
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.db import Database
from app.models.audit import AuditEvent
from app.models.cases import (
    Case,
    CaseCreate,
    CaseField,
    CaseSplitCreate,
    CaseSplitPartCreate,
    CaseTransitionCreate,
    PetitionerCreate,
)
from app.models.reference import AdminUnit, Organization, UnitLevel
from app.models.users import Role, User, UserCreate
from app.security import Principal, hash_password
from app.services import cases as svc
from app.services import users as users_svc
from app.services.clock import Clock
from app.workflows import lifecycle as lc
from app.workflows.calendar import business_today
from app.workflows.lifecycle import Kind, Status

CITY = "01"
HISTORY_DAYS = 540  # ~18 months of cases
WARDS_SINCE = date(2025, 7, 1)  # the two-tier units the cases are located in exist from this day
DEMO_PREFIX = "demo."

# ---- the text corpus (app/demo/corpus.json) ---------------------------------------------------

_CORPUS = json.loads(resources.files("app.demo").joinpath("corpus.json").read_text(encoding="utf-8"))
# Family names with rough northern frequencies (Nguyễn about two in five).
_HO: tuple[tuple[str, int], ...] = tuple((name, weight) for name, weight in _CORPUS["family_names"])
_HO_NAMES = [name for name, _ in _HO]
_HO_CUMULATIVE = list(accumulate(weight for _, weight in _HO))
_DEM_NAM = tuple(_CORPUS["middle_names_male"])
_DEM_NU = tuple(_CORPUS["middle_names_female"])
_TEN_NAM = tuple(_CORPUS["given_names_male"])
_TEN_NU = tuple(_CORPUS["given_names_female"])
_STREETS = tuple(_CORPUS["streets"])
_VILLAGES = tuple(_CORPUS["villages"])
_PROJECTS = tuple(_CORPUS["projects"])
_BUILDINGS = tuple(_CORPUS["buildings"])
_COMPANIES = tuple(_CORPUS["companies"])
_CANALS = tuple(_CORPUS["canals"])
_MARKETS = tuple(_CORPUS["markets"])
_WORKS = tuple(_CORPUS["works"])

# ---- what cases are about ---------------------------------------------------------------------

_KIND_WEIGHTS = {Kind.complaint: 35, Kind.petition: 30, Kind.reflection: 22, Kind.denunciation: 13}
_FIELD_WEIGHTS: dict[Kind, dict[str, int]] = {
    Kind.complaint: {
        "land": 40,
        "compensation": 25,
        "housing": 9,
        "environment": 3,
        "social_policy": 8,
        "justice": 4,
        "administration": 7,
        "other": 4,
    },
    Kind.denunciation: {
        "land": 30,
        "compensation": 12,
        "housing": 6,
        "corruption": 25,
        "administration": 12,
        "environment": 3,
        "social_policy": 4,
        "justice": 3,
        "other": 5,
    },
    Kind.petition: {
        "land": 32,
        "compensation": 17,
        "housing": 10,
        "environment": 8,
        "social_policy": 10,
        "justice": 4,
        "administration": 7,
        "other": 12,
    },
    Kind.reflection: {
        "land": 22,
        "compensation": 10,
        "housing": 10,
        "environment": 22,
        "social_policy": 6,
        "administration": 12,
        "corruption": 5,
        "justice": 2,
        "other": 11,
    },
}
_CHANNEL_WEIGHTS = {"in_person": 40, "mail": 25, "online": 12, "forwarded": 10, "voter_meeting": 8, "hotline": 5}

# Titles per (field, kind); {ward} is "phường X"/"xã Y"; the other slots are filled at random.
_TITLES: dict[str, dict[Kind, tuple[str, ...]]] = {
    field_: {Kind(kind): tuple(titles) for kind, titles in by_kind.items()}
    for field_, by_kind in _CORPUS["titles"].items()
}
_FIELD_PHRASE: dict[str, str] = _CORPUS["field_phrases"]
_FIELD_LAW: dict[str, str] = _CORPUS["field_laws"]
_ASK = {Kind(kind): text for kind, text in _CORPUS["asks"].items()}
_SUMMARY: dict[str, str] = _CORPUS["summaries"]


# Weighted draws with the cumulative weights worked out once (random.choices does exactly this
# with `weights`: the same draws, without rebuilding the lists every call).
_CUMULATIVE: dict[int, tuple[dict[Any, int], list[Any], list[int]]] = {}


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    known = _CUMULATIVE.get(id(weights))
    if known is None or known[0] is not weights:
        known = _CUMULATIVE[id(weights)] = (weights, list(weights), list(accumulate(weights.values())))
    return rng.choices(known[1], cum_weights=known[2])[0]


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


@dataclass
class Person:
    full_name: str
    id_number: str
    phone: str | None
    address: str


def _person(rng: random.Random, ward: AdminUnit, today: date) -> Person:
    male = rng.random() < 0.55
    ho = rng.choices(_HO_NAMES, cum_weights=_HO_CUMULATIVE)[0]
    dem = rng.choice(_DEM_NAM if male else _DEM_NU)
    ten = rng.choice(_TEN_NAM if male else _TEN_NU)
    born = rng.randint(today.year - 85, today.year - 19)
    # CCCD: 3 digits of the province of birth registration (001 Hà Nội), the gender/century digit
    # (0/1 men/women born 1900–1999, 2/3 born 2000–2099), two digits of the year, six random digits.
    century = (0 if born < 2000 else 2) + (0 if male else 1)
    id_number = f"001{century}{born % 100:02d}{rng.randrange(10**6):06d}"
    prefix = rng.choice(
        ("090", "091", "093", "094", "096", "097", "098", "032", "033", "034", "035", "036", "037", "038", "039")
    )
    phone = f"{prefix}{rng.randrange(10**7):07d}" if rng.random() < 0.92 else None
    return Person(f"{ho} {dem} {ten}", id_number, phone, _address(rng, ward))


def _address(rng: random.Random, ward: AdminUnit) -> str:
    place = _lower_first(ward.name)
    if ward.division_type == "xã":
        return f"{rng.choice(_VILLAGES).capitalize()}, {place}, Hà Nội"
    return f"Số {rng.randint(1, 180)}, ngõ {rng.randint(2, 400)} {rng.choice(_STREETS)}, {place}, Hà Nội"


def _fill(rng: random.Random, template: str, ward: AdminUnit, today: date) -> str:
    return template.format(
        ward=_lower_first(ward.name),
        no=f"{rng.randint(12, 4800)}",
        year=today.year - rng.randint(0, 1),
        village=rng.choice(_VILLAGES),
        street=f"phố {rng.choice(_STREETS)}",
        project=rng.choice(_PROJECTS),
        building=rng.choice(_BUILDINGS),
        company=rng.choice(_COMPANIES),
        canal=rng.choice(_CANALS),
        market=rng.choice(_MARKETS),
        work=rng.choice(_WORKS),
    )


def _content(
    rng: random.Random, kind: Kind, field_: str, title: str, ward: AdminUnit, received: date, decision_date: date | None
) -> str:
    since = received.year - rng.randint(5, 40)
    lines = [f"Nội dung: {title}."]
    if decision_date is not None:
        lines.append(
            f"Ngày {decision_date:%d/%m/%Y}, UBND {_lower_first(ward.name)} ban hành văn bản liên quan "
            f"đến {_FIELD_PHRASE[field_]} ảnh hưởng trực tiếp đến quyền lợi của gia đình tôi."
        )
    elif field_ in ("land", "compensation", "housing"):
        lines.append(
            f"Gia đình tôi sinh sống ổn định tại {_lower_first(ward.name)} từ năm {since}, "
            "không có tranh chấp, thực hiện đầy đủ nghĩa vụ với Nhà nước."
        )
    else:
        lines.append(
            f"Sự việc kéo dài nhiều tháng tại {_lower_first(ward.name)}, đã phản ánh qua tổ dân phố "
            "nhưng chưa được giải quyết."
        )
    lines.append(f"Căn cứ {_FIELD_LAW[field_]}, việc này chưa đúng quy định về {_FIELD_PHRASE[field_]}.")
    lines.append(_ASK[kind])
    return " ".join(lines)


def _respondent(rng: random.Random, kind: Kind, field_: str, ward: AdminUnit, today: date) -> str | None:
    place = _lower_first(ward.name)
    if kind == Kind.denunciation:
        who = _person(rng, ward, today).full_name
        role = rng.choice(
            (
                "cán bộ địa chính",
                "công chức tư pháp - hộ tịch",
                "Phó Chủ tịch",
                "kế toán",
                "cán bộ Ban quản lý dự án",
                "công chức bộ phận một cửa",
            )
        )
        return f"{'Ông' if rng.random() < 0.75 else 'Bà'} {who}, {role} UBND {place}"
    if kind == Kind.complaint:
        return rng.choice(
            (
                f"UBND {place}",
                f"Chủ tịch UBND {place}",
                f"Ban quản lý dự án đầu tư xây dựng {place}",
                "Trung tâm Phát triển quỹ đất Hà Nội" if field_ in ("land", "compensation") else f"UBND {place}",
            )
        )
    if rng.random() < 0.6:
        return rng.choice((f"UBND {place}", rng.choice(_COMPANIES)))
    return None


# ---- the run ------------------------------------------------------------------------------------


@dataclass
class DemoReport:
    cases: int = 0
    events: int = 0
    users_created: int = 0
    seconds: float = 0.0
    analyze_seconds: float = 0.0
    pin: str = ""
    password: str | None = None
    today: date | None = None
    kinds: Counter = field(default_factory=Counter)
    fields: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    actions: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "events": self.events,
            "users_created": self.users_created,
            "seconds": round(self.seconds, 2),
            "analyze_seconds": round(self.analyze_seconds, 2),
            "cases_per_s": round(self.cases / self.seconds, 1) if self.seconds else None,
            "events_per_s": round(self.events / self.seconds, 1) if self.seconds else None,
            "today": self.today.isoformat() if self.today else None,
            "pin": self.pin,
            "kinds": dict(self.kinds.most_common()),
            "fields": dict(self.fields.most_common()),
            "statuses": dict(self.statuses.most_common()),
            "actions": dict(self.actions.most_common()),
        }


class _Stop(Exception):
    """The next step would fall after today: the case stays where it is."""


@dataclass
class _Ctx:
    rng: random.Random
    clock: Clock
    pin: str
    target: int
    report: DemoReport
    wards: list[AdminUnit]
    ward_weights: list[float]
    ward_cumulative: list[float]
    orgs: dict[str, Organization]  # by code
    org_code_by_id: dict[int, str]
    actors: dict[str, Principal]  # org code -> the demo user acting for it
    mttq_wards: set[str]  # wards whose MTTQ desk has a demo receptionist
    dates: list[date]
    created: int = 0
    recent: dict[str, list[tuple[int, Kind, str, list[PetitionerCreate], str | None, str]]] = field(
        default_factory=dict
    )

    @property
    def today(self) -> date:
        return self.clock.today


def _prev_working_day(cal, d: date) -> date:
    while not cal.is_working_day(d):
        d -= timedelta(days=1)
    return d


def _received_dates(rng: random.Random, n: int, today: date) -> list[date]:
    """Receipt dates over the last ~18 months (not before today's wards existed, 1 July 2025),
    more in recent months, in order (so that ids follow dates, as they do in real life)."""
    span = max(30, min(HISTORY_DAYS, (today - WARDS_SINCE).days))
    out = []
    for _ in range(n):
        back = rng.randrange(span) if rng.random() < 0.7 else rng.randrange(min(120, span))
        out.append(today - timedelta(days=back))
    out.sort()
    return out


async def _ensure_users(
    session: AsyncSession,
    rng: random.Random,
    password: str | None,
    report: DemoReport,
    wards: list[AdminUnit],
    orgs: dict[str, Organization],
) -> tuple[dict[str, Principal], set[str]]:
    """Demo users: a receptionist at the city's MTTQ, the city's citizen reception board and the
    MTTQ of a dozen wards; a handler at every People's Committee (the 126 wards and the city)
    and at the city inspectorate; supervisors at the city's People's Council and the MTTQ.
    Created once (re-runs reuse them), with one password, each creation audited."""
    mttq_wards = sorted(rng.sample([w.code for w in wards], k=min(12, len(wards))))
    wanted: list[tuple[str, str, str, str]] = []  # username, role, org code, full name
    for code in ["MTTQ-01", "BTCD-01"] + [f"MTTQ-{w}" for w in mttq_wards]:
        wanted.append((f"{DEMO_PREFIX}tn.{code.lower()}", "reception", code, "Cán bộ tiếp công dân"))
    for code in ["UBND-01", "TTR-01"] + [f"UBND-{w.code}" for w in wards]:
        wanted.append((f"{DEMO_PREFIX}gq.{code.lower()}", "handler", code, "Cán bộ giải quyết đơn"))
    for code in ("HDND-01",):
        wanted.append((f"{DEMO_PREFIX}gs.{code.lower()}", "supervisor", code, "Đại biểu giám sát"))
    wanted.append((f"{DEMO_PREFIX}gs.mttq-01", "supervisor", "MTTQ-01", "Cán bộ giám sát MTTQ"))
    existing = {
        u.username: u
        for u in (await session.execute(select(User).where(col(User.username).startswith(DEMO_PREFIX)))).scalars()
    }
    pw_hash = None
    actors: dict[str, Principal] = {}
    units = {u.code: u for u in (await session.execute(select(AdminUnit))).scalars()}
    for username, role, org_code, full_name in wanted:
        org = orgs[org_code]
        user = existing.get(username)
        if user is None:
            if pw_hash is None:
                report.password = password or secrets.token_urlsafe(12)
                pw_hash = hash_password(report.password)  # argon2 once, for every demo user
            assert report.password is not None  # set with pw_hash
            user, _ = await users_svc.create_user(
                session,
                "demo",
                UserCreate(
                    username=username, password=report.password, full_name=full_name, role=Role(role), org=org_code
                ),
                password_hash=pw_hash,
            )
            report.users_created += 1
        if role != "supervisor":
            actors[org_code] = Principal(user=user, org=org, unit=units[org.unit_code])
    return actors, set(mttq_wards)


async def load_demo(
    db: Database,
    *,
    cases: int,
    seed: int,
    batch: int = 500,
    today: date | None = None,
    password: str | None = None,
    progress: Callable[[DemoReport], None] | None = None,
    analyze: bool = True,
    bulk: bool = False,
) -> DemoReport:
    """Load `cases` synthetic cases through the case service, `batch` cases per transaction;
    then (`analyze`) refresh the planner's statistics (and VACUUM on PostgreSQL).

    `bulk`: the same service functions over an in-memory session, the rows they make copied in
    bulk every `batch` cases (app/demo/bulk.py): the same rows, several times faster."""
    if cases < 1:
        raise ValueError("cases must be at least 1")
    today = today or business_today()
    rng = random.Random(seed)
    report = DemoReport(today=today)
    started = time.perf_counter()
    async with db.sessionmaker() as session, session.begin():
        head0 = (await session.execute(select(func.max(AuditEvent.seq)))).scalar() or 0
        # Tracking codes follow the seed and the cases already there: the same in a fresh database
        # every time, and not the previous run's codes again when a database is loaded twice.
        existing = (await session.execute(select(func.count()).select_from(Case))).scalar_one()
        code_rng = random.Random(f"tracking-codes:{seed}:{existing}")
        wards = list(
            (
                await session.execute(
                    select(AdminUnit).where(col(AdminUnit.level) == UnitLevel.commune.value).order_by(AdminUnit.code)
                )
            ).scalars()
        )
        if not wards:
            raise RuntimeError("no wards in admin_unit: run `petitions seed` first")
        orgs = {o.code: o for o in (await session.execute(select(Organization))).scalars()}
        actors, mttq_wards = await _ensure_users(session, rng, password, report, wards, orgs)
        clock = await Clock.load(session, today)
    clock.codes = code_rng  # intake draws tracking codes from it: same seed, same codes
    report.pin = f"{rng.randrange(10**6):06d}"
    ctx = _Ctx(
        rng=rng,
        clock=clock,
        pin=report.pin,
        target=cases,
        report=report,
        wards=wards,
        ward_weights=(ward_weights := [1.3 if w.division_type == "phường" else 0.9 for w in wards]),
        ward_cumulative=list(accumulate(ward_weights)),
        orgs=orgs,
        org_code_by_id={o.id: o.code for o in orgs.values()},
        actors=actors,
        mttq_wards=mttq_wards,
        dates=_received_dates(rng, cases, today),
    )
    if bulk:
        await _load_bulk(db, ctx, batch, started, progress)
    while ctx.created < cases:
        async with db.sessionmaker() as session, session.begin():
            # Units and organisations stay in this session's identity map while it lives (it only
            # holds objects weakly), so the service's look-ups by primary key are memory hits.
            pinned = [
                *(await session.execute(select(AdminUnit))).scalars(),
                *(await session.execute(select(Organization))).scalars(),
            ]
            first = ctx.created
            while ctx.created < cases and ctx.created - first < batch:
                await _one_case(session, ctx)
            del pinned
        report.cases = ctx.created
        if progress is not None:
            report.seconds = time.perf_counter() - started
            progress(report)
    async with db.sessionmaker() as session, session.begin():
        head1 = (await session.execute(select(func.max(AuditEvent.seq)))).scalar() or 0
    report.events = head1 - head0
    report.cases = ctx.created
    report.seconds = time.perf_counter() - started
    if analyze:
        t = time.perf_counter()
        await _analyze(db)
        report.analyze_seconds = time.perf_counter() - t
    return report


async def _load_bulk(
    db: Database, ctx: _Ctx, batch: int, started: float, progress: Callable[[DemoReport], None] | None
) -> None:
    from app.demo.bulk import BulkWriter

    writer = BulkWriter(db)
    try:
        session = cast(AsyncSession, await writer.open())
        while ctx.created < ctx.target:
            first = ctx.created
            while ctx.created < ctx.target and ctx.created - first < batch:
                await _one_case(session, ctx)
                await asyncio.sleep(0)  # the previous batch's copy moves on meanwhile
            # the cases the loader may still name: the recent ones a repeat submission duplicates
            await writer.write({entry[0] for bucket in ctx.recent.values() for entry in bucket})
            ctx.report.cases = ctx.created
            if progress is not None:
                ctx.report.seconds = time.perf_counter() - started
                progress(ctx.report)
    finally:
        await writer.close()


async def _analyze(db: Database) -> None:
    """After a bulk load: fresh planner statistics, and on PostgreSQL a VACUUM too. Every
    transition rewrites its case row (status and due are indexed, so no HOT update), leaving
    dead row versions in every index, the trigram index included, until autovacuum gets there:
    until then the supervisor's overdue list reads them all (hundreds of ms at 100k cases)."""
    async with db.engine.connect() as conn:
        if db.dialect == "postgresql":
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM (ANALYZE) case_file, petitioner, audit_event")
        else:
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()


# ---- one case ------------------------------------------------------------------------------------


def _desk_for(ctx: _Ctx, ward: AdminUnit, channel: str) -> str:
    """Which organisation logs the petition: the ward's People's Committee most often, else the
    ward's or the city's Fatherland Front desk, or the city's citizen reception board."""
    rng = ctx.rng
    mttq_here = ward.code in ctx.mttq_wards
    if channel == "voter_meeting":
        return f"MTTQ-{ward.code}" if mttq_here and rng.random() < 0.7 else "MTTQ-01"
    if channel in ("forwarded", "hotline"):
        return f"UBND-{ward.code}"
    r = rng.random()
    if r < 0.55:
        return f"UBND-{ward.code}"
    if r < 0.75 and mttq_here:
        return f"MTTQ-{ward.code}"
    if r < 0.88:
        return "BTCD-01"
    return "MTTQ-01"


def _petitioners(ctx: _Ctx, ward: AdminUnit, *, mass: bool) -> tuple[list[PetitionerCreate], int | None]:
    rng = ctx.rng
    if not mass:
        n = 1 if rng.random() < 0.9 else rng.randint(2, 3)
        people = [_person(rng, ward, ctx.today) for _ in range(n)]
        return [
            PetitionerCreate(full_name=p.full_name, id_number=p.id_number, phone=p.phone, address=p.address)
            for p in people
        ], None
    listed = rng.randint(5, 10)
    signers = listed if rng.random() < 0.6 else rng.randint(listed + 1, 60)
    reps = rng.randint(1, 2)  # Luật Tiếp công dân Art 29: one or two (up to five above ten people)
    people = [_person(rng, ward, ctx.today) for _ in range(listed)]
    return [
        PetitionerCreate(
            full_name=p.full_name,
            id_number=p.id_number,
            phone=p.phone if i < reps or rng.random() < 0.3 else None,
            address=p.address,
            is_representative=i < reps,
        )
        for i, p in enumerate(people)
    ], (signers if signers > listed else None)


async def _one_case(session: AsyncSession, ctx: _Ctx) -> None:
    rng = ctx.rng
    received = ctx.dates[min(ctx.created, len(ctx.dates) - 1)]
    ward = rng.choices(ctx.wards, cum_weights=ctx.ward_cumulative)[0]
    channel = _weighted(rng, _CHANNEL_WEIGHTS)
    if channel not in ("online", "hotline"):  # desks log on working days
        received = _prev_working_day(ctx.clock.calendar, received)
    # A repeat submission of an open case by the same people: archived as a duplicate.
    recent = ctx.recent.get(ward.code)
    if recent and rng.random() < 0.02:
        dup_id, kind, field_, people, respondent, title = rng.choice(recent)
        data = CaseCreate(
            kind=kind,
            channel=channel,
            received_on=received,
            title=title,
            content=f"Tôi tiếp tục gửi đơn về việc: {title}. Đến nay chưa nhận được trả lời.",
            field=CaseField(field_),
            location_unit_code=ward.code,
            respondent=respondent,
            petitioners=people,
        )
        desk = f"UBND-{ward.code}"
        res = await svc.intake(session, ctx.actors[desk], data, ctx.clock, pin=ctx.pin, check_duplicates=False)
        _count_new(ctx, res.case)
        try:
            on = _after(ctx, res.case.last_event_on, 1, 5)
            await _act(
                session,
                ctx,
                res.case,
                "archive",
                on,
                ground="duplicate",
                duplicate_of=dup_id,
                reason="Đơn trùng nội dung với đơn đang giải quyết; gộp vào hồ sơ đã thụ lý.",
            )
        except _Stop:
            pass
        _finish(ctx, res.case)
        return

    kind = _weighted(rng, _KIND_WEIGHTS)
    field_ = _weighted(rng, _FIELD_WEIGHTS[kind])
    anonymous = (kind == Kind.reflection and rng.random() < 0.08) or (kind == Kind.denunciation and rng.random() < 0.03)
    mass = (
        not anonymous
        and kind in (Kind.complaint, Kind.petition, Kind.reflection)
        and field_ in ("land", "compensation", "environment", "housing")
        and rng.random() < 0.07
    )
    title = _fill(rng, rng.choice(_TITLES[field_][kind]), ward, ctx.today)
    decision_date = None
    if kind == Kind.complaint and rng.random() < 0.85:
        late = rng.random() < 0.06  # past the 90-day filing limit (Luật Khiếu nại Art 9)
        decision_date = received - timedelta(days=rng.randint(95, 240) if late else rng.randint(5, 80))
    people, signers = ([], None) if anonymous else _petitioners(ctx, ward, mass=mass)
    if mass:
        title = title.replace("hộ gia đình", "các hộ dân")
    data = CaseCreate(
        kind=kind,
        channel=channel,
        received_on=received,
        title=title,
        content=_content(rng, kind, field_, title, ward, received, decision_date),
        field=field_,
        location_unit_code=ward.code,
        location_address=None if anonymous else _address(rng, ward),
        respondent=_respondent(rng, kind, field_, ward, ctx.today),
        petitioners=people,
        petitioner_count=signers,
        anonymous=anonymous,
        decision_date=decision_date,
        remote_area=False,
    )
    desk = _desk_for(ctx, ward, channel)
    res = await svc.intake(session, ctx.actors[desk], data, ctx.clock, pin=ctx.pin, check_duplicates=False)
    case = res.case
    _count_new(ctx, case)
    if people and kind != Kind.denunciation:
        bucket = ctx.recent.setdefault(ward.code, [])
        bucket.append((case.id, kind, field_, people, data.respondent, title))
        if len(bucket) > 20:
            bucket.pop(0)
    try:
        await _advance(session, ctx, case, ward, res.suggested_org, allow_split=True)
    except _Stop:
        pass
    _finish(ctx, case)


def _count_new(ctx: _Ctx, case: Case) -> None:
    ctx.created += 1
    ctx.report.kinds[case.kind] += 1
    ctx.report.fields[case.field] += 1


def _finish(ctx: _Ctx, case: Case) -> None:
    ctx.report.statuses[case.status] += 1


def _after(ctx: _Ctx, last: date, lo: int, hi: int) -> date:
    """A plausible date lo..hi days after `last`, on a working day; _Stop if after today."""
    d = ctx.clock.calendar.next_working_day(last + timedelta(days=ctx.rng.randint(lo, hi)))
    if d > ctx.today:
        raise _Stop
    return d


async def _act(
    session: AsyncSession, ctx: _Ctx, case: Case, action: str, on: date, **fields: Any
) -> svc.TransitionResult:
    holder = ctx.org_code_by_id[svc.holder_org_id(case)]
    principal = ctx.actors[holder]
    result = await svc.transition(
        session,
        principal,
        case,
        CaseTransitionCreate(action=action, on=on, **fields),
        ctx.clock,
        if_match=str(case.version),
    )
    ctx.report.actions[action] += 1
    return result


def _competent(ctx: _Ctx, case: Case, ward: AdminUnit, suggested: Organization | None) -> str:
    """Where a desk forwards: the competent organisation intake suggested (the ward's People's
    Committee unless a routing rule says otherwise); corruption denunciations often to the city
    inspectorate."""
    if case.kind == Kind.denunciation and case.field == "corruption" and ctx.rng.random() < 0.4:
        return "TTR-01"
    return suggested.code if suggested is not None else f"UBND-{ward.code}"


async def _advance(
    session: AsyncSession, ctx: _Ctx, case: Case, ward: AdminUnit, suggested: Organization | None, *, allow_split: bool
) -> None:
    """Walk the case through plausible steps until it finishes or the next step is after today."""
    rng = ctx.rng
    kind = Kind(case.kind)
    holder = ctx.org_code_by_id[svc.holder_org_id(case)]
    stall = rng.random() < 0.04  # left lying somewhere: runs past its due date

    # -- reception: classify, split, guide, archive or forward -----------------------------------
    if case.anonymous and (kind == Kind.denunciation or rng.random() < 0.5):
        await _act(
            session,
            ctx,
            case,
            "archive",
            _after(ctx, case.last_event_on, 1, 6),
            ground="anonymous",
            reason="Đơn không rõ người gửi, nội dung không cụ thể, không có cơ sở để xác minh.",
        )
        return
    if kind == Kind.petition and rng.random() < 0.03:  # really a complaint about a decision
        await _act(
            session,
            ctx,
            case,
            "reclassify",
            _after(ctx, case.last_event_on, 0, 2),
            kind="complaint",
            reason="Phân loại theo nội dung: đơn có nội dung khiếu nại quyết định hành chính.",
        )
        kind = Kind.complaint
    if (
        allow_split
        and kind == Kind.petition
        and not case.anonymous
        and rng.random() < 0.015
        and ctx.created < ctx.target
    ):
        await _split(session, ctx, case, ward)
    if stall and rng.random() < 0.3:
        return
    r = rng.random()
    if r < 0.05:
        await _act(
            session,
            ctx,
            case,
            "guide",
            _after(ctx, case.last_event_on, 1, 7),
            reason="Nội dung thuộc thẩm quyền giải quyết của Tòa án; hướng dẫn công dân gửi đơn đúng nơi.",
            guided_to="Tòa án nhân dân khu vực",
        )
        return
    if r < 0.08:
        await _act(
            session,
            ctx,
            case,
            "archive",
            _after(ctx, case.last_event_on, 1, 7),
            ground="not_processable",
            reason="Đơn không ghi rõ địa chỉ, không có chữ ký của người viết đơn.",
        )
        return
    if r < 0.09:
        await _act(
            session,
            ctx,
            case,
            "withdraw",
            _after(ctx, case.last_event_on, 2, 20),
            reason="Công dân có đơn xin rút toàn bộ nội dung đơn.",
        )
        return
    if holder.startswith("UBND-"):
        on = _after(ctx, case.last_event_on, 1, 9)  # own competence: the People's Committee accepts
    else:
        target = _competent(ctx, case, ward, suggested)
        on = _after(ctx, case.last_event_on, 1, 8)
        await _act(
            session,
            ctx,
            case,
            "forward",
            on,
            to_org=target,
            reason="Chuyển đơn đến cơ quan có thẩm quyền giải quyết (Luật Tiếp công dân Điều 26).",
        )
        if rng.random() < 0.04:  # not ours: sent back, and the desk forwards it elsewhere
            on = _after(ctx, on, 2, 8)
            await _act(
                session,
                ctx,
                case,
                "return",
                on,
                reason="Nội dung đơn không thuộc thẩm quyền; trả lại nơi chuyển đơn để chuyển đúng cơ quan.",
            )
            other = "UBND-01" if target != "UBND-01" else f"UBND-{ward.code}"
            on = _after(ctx, on, 1, 6)
            await _act(
                session, ctx, case, "forward", on, to_org=other, reason="Chuyển lại đơn đến cơ quan có thẩm quyền."
            )
        on = _after(ctx, on, 2, 12 if not stall else 40)
    # -- acceptance (thụ lý) or refusal ------------------------------------------------------------
    if kind in (Kind.complaint, Kind.denunciation):
        refuse = (case.filing_late and rng.random() < 0.7) or rng.random() < 0.06
        if refuse:
            ground = (
                "kn11_6_time_barred"
                if case.filing_late
                else rng.choice(("kn11_2_no_direct_interest", "kn11_5_unsigned", "kn11_9_court"))
                if kind == Kind.complaint
                else rng.choice(("tc29_no_violation", "tc29_form", "tc29_resolved_complaint"))
            )
            await _act(
                session,
                ctx,
                case,
                "reject",
                on,
                ground=ground,
                reason="Đơn không đủ điều kiện thụ lý; thông báo bằng văn bản cho người gửi đơn.",
            )
            return
    if stall and rng.random() < 0.5:
        return
    await _act(session, ctx, case, "accept", on, reason="Thụ lý giải quyết theo thẩm quyền.")
    await _resolve(session, ctx, case, kind, on, stall=stall)


async def _resolve(session: AsyncSession, ctx: _Ctx, case: Case, kind: Kind, accepted: date, *, stall: bool) -> None:
    rng = ctx.rng
    on = accepted
    if kind in (Kind.complaint, Kind.denunciation):
        on = _after(ctx, on, 1, 8)
        await _act(
            session,
            ctx,
            case,
            "start_verification",
            on,
            reason="Giao tổ xác minh; làm việc với người khiếu nại/tố cáo và cơ quan liên quan.",
        )
        if rng.random() < 0.03:
            on = _after(ctx, on, 5, 25)
            await _act(session, ctx, case, "withdraw", on, reason="Người gửi đơn rút đơn sau khi được giải thích.")
            return
        suspended = rng.random() < 0.05  # waiting for a court or an expert opinion
        if suspended:
            on_suspended = _after(ctx, on, 3, 15)
            row = lc.find("suspend", kind, case.complaint_round, Status(case.status))
            suspended = row is not None and row.not_yet_in_force(on_suspended) is None  # (Law 136/2025 for complaints)
        if suspended:
            on = on_suspended
            await _act(
                session,
                ctx,
                case,
                "suspend",
                on,
                reason="Chờ kết quả giải quyết của cơ quan khác có liên quan (Tòa án thụ lý vụ án liên quan).",
            )
            if rng.random() < 0.15:
                on = _after(ctx, on, 20, 90)
                await _act(
                    session,
                    ctx,
                    case,
                    "terminate",
                    on,
                    reason="Người khiếu nại chết, không có người thừa kế quyền, nghĩa vụ; đình chỉ giải quyết.",
                )
                return
            on = _after(ctx, on, 10, 60)
            await _act(session, ctx, case, "resume", on, reason="Lý do tạm đình chỉ không còn; tiếp tục giải quyết.")
        extend = 0
        complexity = None
        if kind == Kind.denunciation:
            x = rng.random()
            complexity, extend = ("particularly_complex", 2) if x < 0.06 else ("complex", 1) if x < 0.2 else (None, 0)
        elif rng.random() < 0.12 and not suspended:  # (after a suspension the complex limit may not be later)
            complexity, extend = "complex", 1
        for _ in range(extend):
            # extended shortly before the running due date
            before_due = max(on, (case.due or on) - timedelta(days=rng.randint(1, 6)))
            on = _after(ctx, before_due, 0, 1)
            if case.due is not None and on > case.due:  # an extension comes before the due date
                break
            await _act(
                session,
                ctx,
                case,
                "extend",
                on,
                complexity=complexity,
                reason="Vụ việc phức tạp, nhiều nội dung cần xác minh; gia hạn thời hạn giải quyết.",
            )
        if stall:
            if (
                _may_appeal(ctx, case)
                and case.due is not None
                and case.status == Status.verifying
                and rng.random() < 0.4
            ):
                # the first resolver let the deadline pass: the citizen appeals (Luật Khiếu nại Art 33)
                on = _after(ctx, max(on, case.due), 3, 25)
                await _appeal(session, ctx, case, on)
            return
        span = (case.due - on).days if case.due else 30
        on = _after(ctx, on, max(5, span // 3), max(10, span + (8 if rng.random() < 0.15 else -2)))
        outcome = (
            rng.choices(("upheld", "partly_upheld", "rejected"), weights=(18, 27, 55))[0]
            if kind == Kind.complaint
            else rng.choices(("true", "partly_true", "false"), weights=(22, 33, 45))[0]
        )
    else:
        if stall:
            return
        on = _after(ctx, on, 5, 38)
        outcome = "answered"
    if kind == Kind.complaint and case.complaint_round == 2:
        await _hold_dialogue(session, ctx, case, on)  # Luật Khiếu nại Art 39: before the second decision
    await _act(
        session,
        ctx,
        case,
        "decide",
        on,
        outcome=outcome,
        summary=_SUMMARY[outcome],
        reason="Ban hành quyết định giải quyết / văn bản trả lời.",
    )
    decided = on
    appeal = _may_appeal(ctx, case) and outcome != "upheld" and rng.random() < 0.3
    close_on = decided + timedelta(days=rng.randint(3, 20))
    appeal_on = decided + timedelta(days=rng.randint(4, 28)) if appeal else None
    if appeal_on is not None and appeal_on <= close_on:
        await _appeal(session, ctx, case, _after(ctx, appeal_on, 0, 0))
        return
    await _act(session, ctx, case, "close", _after(ctx, close_on, 0, 0), reason="Kết thúc, lưu hồ sơ giải quyết.")
    if appeal_on is not None:
        await _appeal(session, ctx, case, _after(ctx, appeal_on, 0, 0))


async def _hold_dialogue(session: AsyncSession, ctx: _Ctx, case: Case, on: date) -> None:
    """The resolver's dialogue with the complainant, noticed a week ahead and held the day of the decision."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from app.models.dialogues import (
        DialogueActionName,
        DialogueCreate,
        DialogueKind,
        DialogueTransitionCreate,
    )
    from app.services import dialogues as dialogue_service

    principal = ctx.actors[ctx.org_code_by_id[svc.holder_org_id(case)]]
    at = datetime.combine(on, time(8, 30), ZoneInfo("Asia/Ho_Chi_Minh"))
    d = await dialogue_service.create(
        session,
        principal,
        DialogueCreate(
            kind=DialogueKind.complaint_resolution,
            chair="Lãnh đạo cơ quan giải quyết khiếu nại",
            scheduled_at=at,
            notice_on=max(case.received_on, on - timedelta(days=7)),
            location="Trụ sở tiếp công dân",
            case_ids=[case.id],
        ),
        ctx.today,
    )
    await dialogue_service.transition(
        session,
        principal,
        d,
        DialogueTransitionCreate(
            action=DialogueActionName.hold,
            on=on,
            minutes="Các bên trình bày ý kiến; làm rõ nội dung khiếu nại và hướng giải quyết.",
        ),
        ctx.today,
        if_match=str(d.version),
    )
    ctx.report.actions["dialogue"] += 1


def _may_appeal(ctx: _Ctx, case: Case) -> bool:
    """A first-round complaint whose resolver has a superior (a ward's People's Committee), and
    room left for the round-2 case it opens."""
    if case.kind != Kind.complaint or case.complaint_round != 1 or ctx.created >= ctx.target:
        return False
    return ctx.orgs[ctx.org_code_by_id[svc.holder_org_id(case)]].parent_code is not None


async def _appeal(session: AsyncSession, ctx: _Ctx, case: Case, on: date) -> None:
    """Khiếu nại lần hai: the service opens the round-2 case at the city's People's Committee."""
    result = await _act(
        session,
        ctx,
        case,
        "appeal",
        on,
        reason="Người khiếu nại không đồng ý với quyết định giải quyết lần đầu, khiếu nại lần hai.",
    )
    assert result.opened is not None  # an appeal opens the round-2 case
    child = result.opened.case
    _count_new(ctx, child)
    try:
        stall = ctx.rng.random() < 0.06
        on = _after(ctx, child.received_on, 2, 9 if not stall else 30)
        if ctx.rng.random() < 0.05:
            await _act(
                session,
                ctx,
                child,
                "reject",
                on,
                ground="kn11_7_second_decision_exists",
                reason="Đã có quyết định giải quyết khiếu nại lần hai về cùng nội dung.",
            )
        else:
            await _act(session, ctx, child, "accept", on, reason="Thụ lý giải quyết khiếu nại lần hai.")
            await _resolve(session, ctx, child, Kind.complaint, on, stall=stall)
    except _Stop:
        pass
    _finish(ctx, child)


async def _split(session: AsyncSession, ctx: _Ctx, case: Case, ward: AdminUnit) -> None:
    """A petition with two contents: the second, a complaint, becomes its own linked case."""
    rng = ctx.rng
    second = _fill(rng, rng.choice(_TITLES["land"][Kind.complaint]), ward, ctx.today)
    data = CaseSplitCreate(
        parts=[
            CaseSplitPartCreate(kind=Kind.petition, title=case.title, content=case.content),
            CaseSplitPartCreate(
                kind=Kind.complaint,
                title=second,
                field=CaseField.land,
                content=f"Nội dung thứ hai của đơn: {second}. {_ASK[Kind.complaint]}",
            ),
        ],
        reason="Đơn có nhiều nội dung thuộc các loại khác nhau: tách để xử lý riêng (Luật Tiếp công dân Điều 25).",
    )
    holder = ctx.org_code_by_id[svc.holder_org_id(case)]
    _, opened = await svc.split(session, ctx.actors[holder], case, data, ctx.clock, if_match=str(case.version))
    ctx.report.actions["split"] += 1
    for res in opened:
        _count_new(ctx, res.case)
        try:
            await _advance(session, ctx, res.case, ward, res.suggested_org, allow_split=False)
        except _Stop:
            pass
        _finish(ctx, res.case)
