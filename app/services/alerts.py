"""Urgent alerts (Quy chế 2387 Art 23, 24.4): what the supervisors and the mass-mobilisation board
of a jurisdiction must learn at once. Derived from the data, with no job to run:

- `urgent`: each `case.flag_urgent` audit event of a case in the jurisdiction; `at` is the
  moment it was recorded;
- `overdue`: each case overdue now (app/workflows/overdue.py, the one definition); `at` is the
  start (00:00 Asia/Ho_Chi_Minh) of the first day it is overdue, the day after its due date;
- `obligation_overdue`: each case obligation missed now (app/workflows/obligations.py); `at` as
  for `overdue`, from the obligation's due date.

At the same instant alerts are ordered by their id (`obligation-…` < `overdue-…` < `urgent-…`).

Newest first. `next_cursor` marks the newest alert a client has seen; `?after=` it returns only
what is newer (the oldest `limit` of them, shown newest first; `has_more` says to call again).

Extension point: ALERT_SOURCES lists the functions that produce alerts (one per kind), each
with the same signature.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped
from sqlmodel import col

from app.errors import Forbidden, Invalid, field_error
from app.models.audit import AuditEvent
from app.models.base import DB_INT_MAX, as_utc
from app.models.cases import Case, UrgentReason, overdue_clause
from app.models.obligations import CaseObligation, obligation_overdue_clause
from app.models.reference import OrgKind
from app.pagination import decode_cursor, encode_cursor
from app.security import Principal
from app.services.cases_scope import visible_clause
from app.workflows.obligations import rule_for
from app.workflows.roles import Role
from app.workflows.supervision import overdue_alert_day

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FLAG_ACTION = "case.flag_urgent"
OBLIGATION_KIND = "obligation_overdue"
URGENT_LABELS = {
    UrgentReason.mass: "đông người (mass petition)",
    UrgentReason.security: "an ninh, trật tự (security, public order)",
    UrgentReason.disaster: "thiên tai, thảm họa (disaster)",
    UrgentReason.epidemic: "dịch bệnh (epidemic)",
    UrgentReason.other: "khác (other)",
}


def apply_flag_urgent(case: Case, urgent_reason: Any, changes: dict[str, Any]) -> None:
    """The `flag_urgent` transition's effect: the case is urgent, for this reason. Flagging an
    urgent case again records the new reason (and alerts again)."""
    reason = UrgentReason(urgent_reason).value
    changes["urgent_reason"] = reason
    if not case.urgent:
        changes["urgent"] = {"from": False, "to": True}
    case.urgent = True
    case.urgent_reason = reason


# ---- who may read ------------------------------------------------------------------------------


def require_alert_reader(principal: Principal) -> None:
    """Supervisors, and anyone in a mass-mobilisation board (Ban Dân vận, Art 23)."""
    if principal.role == Role.supervisor or principal.org.kind == OrgKind.mass_mobilization_board:
        return
    raise Forbidden(
        f"Role '{principal.role.value}' may not read alerts; supervisors and the mass-mobilisation board may."
    )


# ---- the alerts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Alert:
    at: datetime  # aware, UTC
    tiebreak: str  # unique, fixed-width: orders alerts at the same instant
    kind: str
    case_id: int
    unit_code: str
    message: str

    @property
    def key(self) -> tuple[datetime, str]:
        return (self.at, self.tiebreak)

    @property
    def id(self) -> str:
        return self.tiebreak


@dataclass(frozen=True)
class Window:
    """Which alerts a source must return: newer than `after` (oldest first) or, without it, the
    newest (newest first); at most `limit` + 1."""

    principal: Principal
    today: date
    after: tuple[datetime, str] | None
    limit: int


AlertSource = Callable[[AsyncSession, Window], Awaitable[list[Alert]]]


def day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, TZ).astimezone(UTC)


async def urgent_alerts(session: AsyncSession, w: Window) -> list[Alert]:
    stmt = (
        select(
            col(AuditEvent.seq),
            col(AuditEvent.at),
            col(AuditEvent.changes),
            col(AuditEvent.reason),
            col(Case.id),
            col(Case.code),
            col(Case.location_unit_code),
        )
        .join(Case, col(Case.id) == col(AuditEvent.case_id))
        .where(col(AuditEvent.action) == FLAG_ACTION, visible_clause(w.principal))
    )
    if w.after is not None:
        at, tiebreak = w.after
        if tiebreak.startswith("urgent-"):
            newer = or_(
                col(AuditEvent.at) > at, and_(col(AuditEvent.at) == at, col(AuditEvent.seq) > int(tiebreak[7:]))
            )
        else:  # "overdue-…" sorts before "urgent-…" at the same instant
            newer = col(AuditEvent.at) >= at
        stmt = stmt.where(newer).order_by(col(AuditEvent.at), col(AuditEvent.seq))
    else:
        stmt = stmt.order_by(col(AuditEvent.at).desc(), col(AuditEvent.seq).desc())
    out = []
    for seq, at, changes, reason, case_id, code, unit in (await session.execute(stmt.limit(w.limit + 1))).all():
        why = (changes or {}).get("urgent_reason", "other")
        label = URGENT_LABELS.get(why, why)
        out.append(
            Alert(
                at=as_utc(at),
                tiebreak=f"urgent-{seq:012d}",
                kind="urgent",
                case_id=case_id,
                unit_code=unit,
                message=f"{code}: khẩn — {label}" + (f": {reason}" if reason else ""),
            )
        )
    return out


_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


def _by_due_day(
    stmt: _Query, w: Window, due: Mapped[Any], row_id: Mapped[int], kind: str, sorts_after: tuple[str, ...] = ()
) -> _Query:
    """Overdue cases and obligations alert at 00:00 Hanoi of the day after their due date: the
    window's order by (due, id), and after the cursor's mark the rows newer than it (a later day;
    or the mark's own instant and a later tiebreak of this kind, or any of a kind that sorts before
    this one: `sorts_after`)."""
    if w.after is None:
        return stmt.order_by(due.desc(), row_id.desc())
    at, tiebreak = w.after
    local = at.astimezone(TZ).date()
    newer = due >= local
    if day_start(local) == at and tiebreak.startswith(f"{kind}-"):
        newer = or_(newer, and_(due == local - timedelta(days=1), row_id > int(tiebreak.split("-")[1])))
    elif day_start(local) == at and any(tiebreak.startswith(f"{k}-") for k in sorts_after):
        newer = or_(newer, due == local - timedelta(days=1))
    return stmt.where(newer).order_by(due, row_id)


async def overdue_alerts(session: AsyncSession, w: Window) -> list[Alert]:
    stmt = select(col(Case.id), col(Case.code), col(Case.due), col(Case.location_unit_code)).where(
        overdue_clause(w.today), visible_clause(w.principal)
    )
    stmt = _by_due_day(stmt, w, col(Case.due), col(Case.id), "overdue", sorts_after=("obligation",))
    out = []
    for case_id, code, due, unit in (await session.execute(stmt.limit(w.limit + 1))).all():
        assert due is not None  # overdue_clause holds only for a case with a due date
        out.append(
            Alert(
                at=day_start(overdue_alert_day(due)),
                tiebreak=f"overdue-{case_id:010d}-{due.isoformat()}",
                kind="overdue",
                case_id=case_id,
                unit_code=unit,
                message=f"{code}: quá hạn từ {overdue_alert_day(due).isoformat()} (hạn {due.isoformat()})",
            )
        )
    return out


async def obligation_alerts(session: AsyncSession, w: Window) -> list[Alert]:
    """Each case obligation overdue now (app/workflows/obligations.is_obligation_overdue; SQL
    obligation_overdue_clause) of a case in the jurisdiction; `at` as for an overdue case: 00:00
    Hanoi of the day after the obligation's due date."""
    stmt = (
        select(
            col(CaseObligation.id),
            col(CaseObligation.key),
            col(CaseObligation.due),
            col(Case.id),
            col(Case.code),
            col(Case.location_unit_code),
        )
        .join(Case, col(Case.id) == col(CaseObligation.case_id))
        .where(obligation_overdue_clause(w.today), visible_clause(w.principal))
    )
    stmt = _by_due_day(stmt, w, col(CaseObligation.due), col(CaseObligation.id), "obligation")
    out = []
    for ob_id, key, due, case_id, code, unit in (await session.execute(stmt.limit(w.limit + 1))).all():
        rule = rule_for(key)
        day = overdue_alert_day(due)
        out.append(
            Alert(
                at=day_start(day),
                tiebreak=f"obligation-{ob_id:010d}-{due.isoformat()}",
                kind=OBLIGATION_KIND,
                case_id=case_id,
                unit_code=unit,
                message=f"{code}: nghĩa vụ quá hạn từ {day.isoformat()} (hạn {due.isoformat()}): "
                f"{rule.label if rule else key}",
            )
        )
    return out


ALERT_SOURCES: list[AlertSource] = [urgent_alerts, overdue_alerts, obligation_alerts]
"""Extension point: each source returns its alerts for a window (see `Window`)."""


def parse_cursor(cursor: str | None) -> tuple[datetime, str] | None:
    """An `after` cursor this service issued: (instant, tiebreak), or a 422 naming `query.after`."""
    try:
        values = decode_cursor(cursor, 2, kinds=(str, str))
    except Invalid:
        values = ["", ""]
    if values is None:
        return None
    at: datetime | None
    try:
        parsed = datetime.fromisoformat(values[0])
        _parse_tiebreak(values[1])
        at = parsed.astimezone(UTC) if parsed.tzinfo is not None and 1900 <= parsed.year <= 2100 else None
    except (ValueError, OverflowError):
        at = None
    if at is None:
        raise field_error("query.after", "not a cursor this service issued")
    return (at, values[1])


def _parse_tiebreak(tiebreak: str) -> None:
    kind, _, rest = tiebreak.partition("-")
    number = rest.split("-")[0]
    if (
        kind not in ("urgent", "overdue", "obligation")
        or not (number.isascii() and number.isdigit())
        or not 0 < int(number) <= DB_INT_MAX
    ):
        raise ValueError(tiebreak)


def _cursor(key: tuple[datetime, str]) -> str:
    return encode_cursor([key[0].isoformat(), key[1]])


_ORIGIN = (datetime(1970, 1, 1, tzinfo=UTC), "")


async def list_alerts(
    session: AsyncSession, principal: Principal, today: date, *, after: str | None, limit: int
) -> tuple[list[Alert], str, bool]:
    require_alert_reader(principal)
    mark = parse_cursor(after)
    w = Window(principal=principal, today=today, after=mark, limit=limit)
    found: list[Alert] = []
    for source in ALERT_SOURCES:
        found.extend(await source(session, w))
    if mark is not None:
        newer = sorted((a for a in found if a.key > mark), key=lambda a: a.key)
        page, more = newer[:limit], len(newer) > limit
        nxt = _cursor(page[-1].key) if page else _cursor(mark)
        return list(reversed(page)), nxt, more
    newest = sorted(found, key=lambda a: a.key, reverse=True)
    page = newest[:limit]
    nxt = _cursor(page[0].key) if page else _cursor(_ORIGIN)
    return page, nxt, False


def alert_dict(a: Alert) -> dict[str, Any]:
    return {
        "id": a.id,
        "at": a.at.astimezone(TZ),
        "kind": a.kind,
        "case_id": a.case_id,
        "unit_code": a.unit_code,
        "message": a.message,
    }


__all__ = ["ALERT_SOURCES", "Alert", "Window", "alert_dict", "apply_flag_urgent", "list_alerts"]
