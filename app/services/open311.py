"""Open311 GeoReport v2 over the case service: the service list, filing a request, reading
requests. Format-free: the router renders JSON or XML (app/routers/open311.py).

A request filed here is an intake like any other (channel `online`, audited, on the clock),
filed by the API key's service account at the key's organisation. A client reads back only the
requests it filed itself: GeoReport's public listing would otherwise reveal that a complaint or a
denunciation exists, and against whom. No personal data is returned: no name, ID number, phone,
e-mail or street address, and a denunciation's description is withheld as well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import Invalid, NotFound
from app.models.cases import Case, CaseCreate, CaseField, Channel
from app.models.reference import AdminUnit, Organization
from app.security import Principal
from app.services import cases as case_service
from app.services.clock import Clock
from app.workflows.citizen import FIELD_WORDS, KIND_WORDS, open311_status, open311_statuses, status_words
from app.workflows.lifecycle import Kind

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_WINDOW_DAYS = 90  # GeoReport v2: without dates, the last 90 days
MAX_RESULTS = 1000  # ... and at most 1000 requests


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    group: str
    keywords: str
    kind: Kind
    field: CaseField


SERVICES: tuple[Service, ...] = tuple(
    Service(
        code=f"{kind.value}-{field.value}",
        name=f"{KIND_WORDS[kind][0]} — {FIELD_WORDS[field.value][0]}",
        description=f"{KIND_WORDS[kind][1]}: {FIELD_WORDS[field.value][1].lower()} "
        f"({KIND_WORDS[kind][0].lower()}, lĩnh vực {FIELD_WORDS[field.value][0].lower()})",
        group=KIND_WORDS[kind][0],
        keywords=f"{kind.value},{field.value}",
        kind=kind,
        field=field,
    )
    for kind in Kind
    for field in CaseField
)
_BY_CODE = {s.code: s for s in SERVICES}


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str  # string | number | datetime | text | singlevaluelist | multivaluelist
    required: bool
    description: str
    datatype_description: str = ""
    values: tuple[tuple[str, str], ...] = ()


def service(code: str) -> Service:
    found = _BY_CODE.get(code)
    if found is None:
        raise NotFound(f"No service {code}.")
    return found


async def wards(session: AsyncSession) -> list[AdminUnit]:
    """The wards and communes a request can be located in."""
    stmt = select(AdminUnit).where(col(AdminUnit.level) == "commune", col(AdminUnit.valid_to).is_(None))
    return list((await session.execute(stmt.order_by(AdminUnit.code))).scalars())


async def attributes(session: AsyncSession, svc: Service) -> list[Attribute]:
    """What intake needs beyond GeoReport's own fields (description, address_string, first_name,
    last_name, phone, email)."""
    out = [
        Attribute("title", "string", True, "Tiêu đề đơn / the petition's title (at most 500 characters)"),
        Attribute(
            "ward",
            "singlevaluelist",
            False,
            "Phường, xã nơi xảy ra vụ việc / the ward or commune (or give address_string)",
            values=tuple((u.code, u.name) for u in await wards(session)),
        ),
        Attribute(
            "respondent", "string", False, "Người, cơ quan bị khiếu nại, tố cáo / who or what the petition is about"
        ),
        Attribute(
            "id_number",
            "string",
            False,
            "Số CMND (9) hoặc CCCD (12 chữ số) của người gửi / the petitioner's ID number",
            datatype_description="9 or 12 digits",
        ),
    ]
    if svc.kind == Kind.complaint:
        out.append(
            Attribute(
                "decision_date",
                "datetime",
                False,
                "Ngày của quyết định, hành vi bị khiếu nại / the date of the decision or act complained about",
                datatype_description="YYYY-MM-DD",
            )
        )
    return out


# ---- filing ------------------------------------------------------------------------------------

_FIELD_NAMES = {  # CaseCreate's fields as a GeoReport client names them
    "title": "attribute[title]",
    "content": "description",
    "location_unit_code": "attribute[ward]",
    "location_address": "address_string",
    "respondent": "attribute[respondent]",
    "decision_date": "attribute[decision_date]",
    "petitioners.0.full_name": "first_name",
    "petitioners.0.phone": "phone",
    "petitioners.0.email": "email",
    "petitioners.0.id_number": "attribute[id_number]",
    "petitioners": "first_name",
}


def _field_name(loc: str) -> str:
    loc = loc.removeprefix("body.")
    return _FIELD_NAMES.get(loc, loc)


def _as_open311(exc: Invalid) -> Invalid:
    errors = [(_field_name(e["field"]), e["message"]) for e in exc.errors]
    return Invalid(errors[0][0], errors[0][1], more=errors[1:])


def case_create(form: dict[str, str]) -> CaseCreate:
    """A GeoReport POST's fields as an intake (channel `online`); Invalid naming the GeoReport field."""
    svc = _BY_CODE.get(form.get("service_code", ""))
    if svc is None:
        raise Invalid("service_code", "not a service of this server (see services.json)")
    description = form.get("description", "").strip()
    if not description:
        raise Invalid("description", "is required")
    attr = {k[len("attribute[") : -1]: v for k, v in form.items() if k.startswith("attribute[") and k.endswith("]")}
    name = " ".join(p for p in (form.get("first_name", "").strip(), form.get("last_name", "").strip()) if p)
    petitioner: dict[str, Any] = {
        "full_name": name,
        "phone": form.get("phone") or None,
        "email": form.get("email") or None,
        "id_number": attr.get("id_number") or None,
    }
    body: dict[str, Any] = {
        "kind": svc.kind,
        "channel": Channel.online,
        "field": svc.field,
        "title": (attr.get("title") or description[:120]).strip(),
        "content": description,
        "location_unit_code": attr.get("ward") or None,
        "location_address": form.get("address_string") or None,
        "respondent": attr.get("respondent") or None,
        "petitioners": [petitioner] if name else [],
        "anonymous": not name,
    }
    if svc.kind == Kind.complaint and attr.get("decision_date"):
        body["decision_date"] = attr["decision_date"][:10]
    try:
        return CaseCreate.model_validate(body)
    except ValidationError as exc:
        errs = [(_field_name(".".join(str(p) for p in e["loc"])), e["msg"]) for e in exc.errors()]
        raise Invalid(errs[0][0], errs[0][1], more=errs[1:]) from None


async def file_request(
    session: AsyncSession, principal: Principal, form: dict[str, str], clock: Clock
) -> case_service.IntakeResult:
    data = case_create(form)
    try:
        return await case_service.intake(session, principal, data, clock, check_duplicates=False)
    except Invalid as exc:
        raise _as_open311(exc) from None


# ---- reading -----------------------------------------------------------------------------------


@dataclass
class RequestView:
    """One request as GeoReport shows it: no personal data."""

    case: Case
    service: Service
    agency: Organization | None
    ward: AdminUnit | None

    def as_dict(self, notice: str | None = None) -> dict[str, Any]:
        c = self.case
        protected = c.kind == Kind.denunciation
        return {
            "service_request_id": c.code,
            "status": open311_status(c.status),
            "status_notes": status_words(c.status),
            "service_name": self.service.name,
            "service_code": self.service.code,
            "description": None if protected else c.content,
            "agency_responsible": self.agency.name if self.agency else None,
            "service_notice": notice,
            "requested_datetime": _iso(c.created_at),
            "updated_datetime": _iso(c.updated_at),
            "expected_datetime": _end_of_day(c.due) if c.due else None,
            "address": f"{self.ward.name}, Hà Nội" if self.ward else None,
            "address_id": c.location_unit_code,
            "zipcode": None,
            "lat": None,
            "long": None,
            "media_url": None,
        }


def _iso(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=ZoneInfo("UTC"))
    return ts.astimezone(HANOI).isoformat(timespec="seconds")


def _end_of_day(day: date) -> str:
    """A due date is a day (decided by date in Hanoi): its last second."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=HANOI).isoformat()


@dataclass
class RequestFilters:
    ids: list[str] | None = None
    service_code: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    status: str | None = None


async def find_requests(
    session: AsyncSession, principal: Principal, f: RequestFilters, now: datetime
) -> list[RequestView]:
    """The client's own requests, newest first: by id list, or within [start, end] (default the
    last 90 days), at most 1000."""
    stmt = select(Case).where(col(Case.created_by_id) == principal.user.id)
    if f.ids:
        stmt = stmt.where(col(Case.code).in_(f.ids[:MAX_RESULTS]))
    else:
        end = f.end or now
        start = f.start or end - timedelta(days=DEFAULT_WINDOW_DAYS)
        stmt = stmt.where(col(Case.created_at) >= start, col(Case.created_at) <= end)
        if f.service_code:
            svc = _BY_CODE.get(f.service_code)
            if svc is None:
                return []
            stmt = stmt.where(col(Case.kind) == svc.kind.value, col(Case.field) == svc.field.value)
        if f.status:
            wanted: set[str] = set()
            for s in f.status.split(","):
                wanted |= open311_statuses(s.strip())
            stmt = stmt.where(col(Case.status).in_(sorted(wanted)))
    rows = list(
        (
            await session.execute(stmt.order_by(col(Case.created_at).desc(), col(Case.id).desc()).limit(MAX_RESULTS))
        ).scalars()
    )
    return await _views(session, rows)


async def get_request(session: AsyncSession, principal: Principal, code: str) -> RequestView:
    case = (
        await session.execute(select(Case).where(col(Case.code) == code, col(Case.created_by_id) == principal.user.id))
    ).scalar_one_or_none()
    if case is None:
        raise NotFound(f"No service request {code}.")
    return (await _views(session, [case]))[0]


async def _views(session: AsyncSession, rows: list[Case]) -> list[RequestView]:
    org_ids = {c.assigned_org_id or c.receiving_org_id for c in rows}
    found = await session.execute(select(Organization).where(col(Organization.id).in_(org_ids)))
    orgs = {o.id: o for o in found.scalars()}
    unit_codes = {c.location_unit_code for c in rows}
    units = {
        u.code: u
        for u in (await session.execute(select(AdminUnit).where(col(AdminUnit.code).in_(unit_codes)))).scalars()
    }
    return [
        RequestView(
            case=c,
            service=_BY_CODE[f"{c.kind}-{c.field}"],
            agency=orgs.get(c.assigned_org_id or c.receiving_org_id),
            ward=units.get(c.location_unit_code),
        )
        for c in rows
    ]
