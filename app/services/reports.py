"""Periodic reports (Quy chế 2387 Art 24; issue 9; docs/reports.md): for a unit and a period, a row
for the unit's own cases, one per child unit and a total, with the inspectorate's processing and
results indicators by kind and by field, and the supervision activities of the period.

Computed from the cases' dated history (`case_step`, app/services/cases/steps.py), never from
their current state: each case's state at the end of the period is its latest step effective on or
before that day, and recorded up to the report's audit cut-off (`as_of_seq`). So a closed period
gives the same numbers whenever it is asked, whatever happens to the cases afterwards; a change
entered later with an effective date inside the period (a correction) shows in it only when the
cut-off is after it, and a snapshot pins the cut-off (decision 0081).

In SQL, whatever the number of cases: one grouped query over the history (by place, kind and
field), one per activity (by place); the places are folded into child units as the supervision
overview does (app/workflows/supervision.child_path). Memory is bounded by units × kinds × fields.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import Forbidden, NotFound, field_error
from app.models.audit import AuditEvent, AuditVerifyPublic
from app.models.base import as_utc
from app.models.cases import Case, CaseField, overdue_condition
from app.models.dialogues import Commitment, Dialogue, ReceptionSession
from app.models.obligations import CaseObligation
from app.models.reference import AdminUnit
from app.models.reports import (
    ACTIVITY_INDICATORS,
    CASE_INDICATORS,
    ActivityIndicatorsPublic,
    CaseIndicatorsPublic,
    CaseStep,
    ReportPeriodPublic,
    ReportPublic,
    ReportRowPublic,
    ReportSnapshot,
    ReportUnitPublic,
    SnapshotCreate,
    SnapshotPublic,
    SnapshotSummaryPublic,
    SnapshotVerificationPublic,
)
from app.models.supervision import Recommendation
from app.security import Principal
from app.services import audit
from app.workflows import periods
from app.workflows.dialogues import CommitmentStatus
from app.workflows.lifecycle import FINAL_STATUSES, OPEN_STATUSES, Kind, Status
from app.workflows.roles import Role
from app.workflows.supervision import child_path

# Who reads reports: supervisors (they receive them: Ban Dân vận, MTTQ, HĐND), admins, and the
# agencies' handlers (the People's Committees and departments that report upward). Reception desks
# log petitions; they do not report (decision 0082).
READERS = frozenset({Role.supervisor, Role.admin, Role.handler})

_PENDING = sorted(s.value for s in OPEN_STATUSES if s != Status.decided)
_FINAL = sorted(s.value for s in FINAL_STATUSES)


@dataclass(frozen=True)
class ReportParams:
    period: periods.Period
    unit: AdminUnit
    counted_to: date
    today: date
    as_of_seq: int


def resolve_period(
    kind: str, year: int, index: int | None, basis: str, today: date, *, where: str = "query"
) -> tuple[periods.Period, date]:
    """The period and the day its end state is read at (its end, or today while it runs); a period
    that has not begun is refused (there is nothing to report)."""
    try:
        period = periods.bounds(periods.PeriodKind(kind), year, index, periods.Basis(basis))
    except periods.PeriodError as exc:
        raise field_error(f"{where}.{exc.field}", exc.message) from None
    if period.start > today:
        raise field_error(
            f"{where}.{'index' if period.kind != periods.PeriodKind.year else 'year'}",
            f"the period {period.start.isoformat()}..{period.end.isoformat()} has not begun "
            f"(today is {today.isoformat()})",
        )
    return period, min(period.end, today)


async def resolve_unit(session: AsyncSession, principal: Principal | None, code: str | None) -> AdminUnit:
    """The unit reported on: the caller's own by default; one outside the caller's jurisdiction is
    the same 404 as one that does not exist. `principal` None: the CLI, which sees everything."""
    if principal is not None and principal.role not in READERS:
        raise Forbidden(f"Role '{principal.role.value}' may not read periodic reports.")
    if code is None:
        if principal is None:
            root = (
                await session.execute(
                    select(AdminUnit).where(col(AdminUnit.parent_code).is_(None)).order_by(col(AdminUnit.code)).limit(1)
                )
            ).scalar_one_or_none()
            if root is None:
                raise NotFound("No administrative units are loaded.")
            return root
        return principal.unit
    unit = await session.get(AdminUnit, code)
    if unit is None or (principal is not None and not principal.covers(unit.path)):
        raise NotFound(f"No administrative unit {code} in your jurisdiction.")
    return unit


async def audit_head_seq(session: AsyncSession) -> int:
    return int((await session.execute(select(func.max(col(AuditEvent.seq))))).scalar() or 0)


def _count(clause: Any) -> Any:
    return func.sum(sa.case((clause, 1), else_=0))


def _still_to_handle(e: Any, start: date) -> Any:
    """Neither ended (a final status) nor decided before `start`: still to handle on its eve."""
    return sa.and_(
        or_(col(e.ended_on).is_(None), col(e.ended_on) >= start),
        or_(col(e.decided_on).is_(None), col(e.decided_on) >= start),
    )


def _case_indicator_columns(e: Any, start: date, end: date, counted_to: date) -> dict[str, Any]:
    """Each case indicator as a SUM over the cases' end states `e` (docs/reports.md defines them;
    this is the definition the documentation is written from)."""
    received = col(e.received_on) >= start
    carried = sa.and_(col(e.received_on) < start, _still_to_handle(e, start))
    resolved = sa.and_(col(e.decided_on).is_not(None), col(e.decided_on) >= start, col(e.decided_on) <= end)
    pending = col(e.status).in_(_PENDING)
    overdue = sa.and_(pending, overdue_condition(col(e.status), col(e.stage), col(e.due), counted_to))
    cols: dict[str, Any] = {
        "carried_over": carried,
        "received": received,
        "total": sa.true(),
        "processable": col(e.status) != Status.archived.value,
        "within_competence": or_(col(e.accepted_on).is_not(None), col(e.status) == Status.rejected.value),
        "forwarded": col(e.forwarded).is_(True),
        "guided": col(e.status) == Status.guided.value,
        "archived": col(e.status) == Status.archived.value,
        "rejected": col(e.status) == Status.rejected.value,
        "accepted": sa.and_(col(e.accepted_on).is_not(None), col(e.accepted_on) >= start, col(e.accepted_on) <= end),
        "resolved": resolved,
        "resolved_on_time": sa.and_(resolved, col(e.decided_late).is_(False)),
        "resolved_late": sa.and_(resolved, col(e.decided_late).is_(True)),
        "pending": pending,
        "pending_within_deadline": sa.and_(pending, ~overdue),
        "pending_overdue": overdue,
        "withdrawn": col(e.status) == Status.withdrawn.value,
        "terminated": col(e.status) == Status.terminated.value,
        "many_signers": sa.and_(received, col(e.petitioner_count) >= 2),
        "mass": sa.and_(received, col(e.mass).is_(True)),
    }
    for outcome in ("upheld", "partly_upheld", "rejected", "true", "partly_true", "false", "answered"):
        cols[f"outcome_{outcome}"] = sa.and_(resolved, col(e.outcome) == outcome)
    assert set(cols) == set(CASE_INDICATORS)
    return {name: _count(cols[name]).label(name) for name in CASE_INDICATORS}  # in the order rows are read


def end_state_query(path: str, start: date, end: date, counted_to: date, as_of_seq: int | None) -> sa.Select:
    """The cases' state at `counted_to` (their latest step effective by then and recorded by the
    cut-off), those to handle in the period, grouped by place, kind and field, with every case
    indicator summed. Exposed for the benchmark (bench/report_bench.py)."""
    latest = select(col(CaseStep.case_id), func.max(col(CaseStep.id)).label("step_id")).where(
        col(CaseStep.on) <= counted_to
    )
    if as_of_seq is not None:
        latest = latest.where(or_(col(CaseStep.audit_seq).is_(None), col(CaseStep.audit_seq) <= as_of_seq))
    last = latest.group_by(col(CaseStep.case_id)).subquery("last")
    e = sa.orm.aliased(CaseStep, name="e")
    in_period = or_(col(e.received_on) >= start, _still_to_handle(e, start))
    indicators = _case_indicator_columns(e, start, end, counted_to).values()
    return (
        select(col(e.location_path), col(e.kind), col(e.field), *indicators)
        .join(last, last.c.step_id == col(e.id))
        .where(col(e.location_path).startswith(path, autoescape=True), in_period)
        .group_by(col(e.location_path), col(e.kind), col(e.field))
    )


def _activity_queries(path: str, start: date, end: date, today: date) -> list[tuple[str, sa.Select]]:
    """(indicator, grouped query of (place, n)) for the activities, by their own dates."""

    def within(col: Any) -> Any:
        return sa.and_(col >= start, col <= end)

    # a commitment or an obligation is missed once its due date has passed undone: counted in the
    # period its due date falls in, once that day is over (so a closed period counts its last day's)
    missed_by = min(end, today - timedelta(days=1))
    return [
        (
            "dialogues_held",
            select(col(Dialogue.unit_path), func.count())
            .where(
                col(Dialogue.unit_path).startswith(path, autoescape=True),
                col(Dialogue.held_on).is_not(None),
                within(col(Dialogue.held_on)),
            )
            .group_by(col(Dialogue.unit_path)),
        ),
        (
            "reception_sessions",
            select(col(ReceptionSession.org_path), func.count())
            .where(
                col(ReceptionSession.org_path).startswith(path, autoescape=True), within(col(ReceptionSession.held_on))
            )
            .group_by(col(ReceptionSession.org_path)),
        ),
        (
            "reception_visitors",
            select(col(ReceptionSession.org_path), func.coalesce(func.sum(col(ReceptionSession.visitors)), 0))
            .where(
                col(ReceptionSession.org_path).startswith(path, autoescape=True), within(col(ReceptionSession.held_on))
            )
            .group_by(col(ReceptionSession.org_path)),
        ),
        (
            "commitments_kept",
            select(col(Dialogue.unit_path), func.count())
            .select_from(Commitment)
            .join(Dialogue, col(Dialogue.id) == col(Commitment.dialogue_id))
            .where(
                col(Dialogue.unit_path).startswith(path, autoescape=True),
                col(Commitment.status) == CommitmentStatus.done.value,
                col(Commitment.done_on).is_not(None),
                within(col(Commitment.done_on)),
                col(Commitment.done_on) <= col(Commitment.due_on),
            )
            .group_by(col(Dialogue.unit_path)),
        ),
        (
            "commitments_missed",
            select(col(Dialogue.unit_path), func.count())
            .select_from(Commitment)
            .join(Dialogue, col(Dialogue.id) == col(Commitment.dialogue_id))
            .where(
                col(Dialogue.unit_path).startswith(path, autoescape=True),
                col(Commitment.status) != CommitmentStatus.cancelled.value,
                col(Commitment.due_on) >= start,
                col(Commitment.due_on) <= missed_by,
                or_(col(Commitment.done_on).is_(None), col(Commitment.done_on) > col(Commitment.due_on)),
            )
            .group_by(col(Dialogue.unit_path)),
        ),
        (
            "recommendations_issued",
            select(col(Recommendation.unit_path), func.count())
            .where(
                col(Recommendation.unit_path).startswith(path, autoescape=True), within(col(Recommendation.issued_on))
            )
            .group_by(col(Recommendation.unit_path)),
        ),
        (
            "recommendations_answered",
            select(col(Recommendation.unit_path), func.count())
            .where(
                col(Recommendation.unit_path).startswith(path, autoescape=True),
                col(Recommendation.answered_on).is_not(None),
                within(col(Recommendation.answered_on)),
            )
            .group_by(col(Recommendation.unit_path)),
        ),
        (
            "obligations_missed",
            select(col(Case.location_path), func.count())
            .select_from(CaseObligation)
            .join(Case, col(Case.id) == col(CaseObligation.case_id))
            .where(
                col(Case.location_path).startswith(path, autoescape=True),
                col(CaseObligation.due) >= start,
                col(CaseObligation.due) <= missed_by,
                or_(col(CaseObligation.done_on).is_(None), col(CaseObligation.done_on) > col(CaseObligation.due)),
                or_(
                    col(CaseObligation.cancelled_on).is_(None),
                    col(CaseObligation.cancelled_on) > col(CaseObligation.due),
                ),
            )
            .group_by(col(Case.location_path)),
        ),
    ]


class _Row:
    """One report row's counts while the grouped rows are folded."""

    __slots__ = ("activities", "by_field", "by_kind", "cases", "code", "name", "row")

    def __init__(self, code: str, name: str, row: str) -> None:
        self.code, self.name, self.row = code, name, row
        self.cases = dict.fromkeys(CASE_INDICATORS, 0)
        self.by_kind = {k: dict.fromkeys(CASE_INDICATORS, 0) for k in Kind}
        self.by_field = {f: dict.fromkeys(CASE_INDICATORS, 0) for f in CaseField}
        self.activities = dict.fromkeys(ACTIVITY_INDICATORS, 0)

    def add_cases(self, kind: str, field: str, values: dict[str, int]) -> None:
        targets = [self.cases]
        if kind in Kind.__members__:
            targets.append(self.by_kind[Kind(kind)])
        if field in CaseField.__members__:
            targets.append(self.by_field[CaseField(field)])
        for target in targets:
            for name, n in values.items():
                target[name] += n

    def out(self) -> ReportRowPublic:
        return ReportRowPublic(
            unit_code=self.code,
            unit_name=self.name,
            row=self.row,
            cases=CaseIndicatorsPublic(**self.cases),
            by_kind={k: CaseIndicatorsPublic(**v) for k, v in self.by_kind.items()},
            by_field={f: CaseIndicatorsPublic(**v) for f, v in self.by_field.items()},
            activities=ActivityIndicatorsPublic(**self.activities),
        )


async def build(session: AsyncSession, params: ReportParams) -> ReportPublic:
    unit, period = params.unit, params.period
    children = list(
        (
            await session.execute(
                select(AdminUnit).where(col(AdminUnit.parent_code) == unit.code).order_by(col(AdminUnit.code))
            )
        ).scalars()
    )
    by_path = {c.path: _Row(c.code, c.name, "child") for c in children}
    total, own = _Row(unit.code, unit.name, "total"), _Row(unit.code, unit.name, "own")
    memo: dict[str, tuple[_Row, _Row]] = {}

    def rows_for(path: str) -> tuple[_Row, _Row]:
        if path not in memo:
            child = child_path(path, unit.path)
            memo[path] = (total, by_path.get(child, own) if child else own)
        return memo[path]

    stmt = end_state_query(unit.path, period.start, period.end, params.counted_to, params.as_of_seq)
    for path, kind, field, *counts in (await session.execute(stmt)).all():
        values = {name: int(n or 0) for name, n in zip(CASE_INDICATORS, counts, strict=True)}
        for row in rows_for(path):
            row.add_cases(kind, field, values)
    for name, query in _activity_queries(unit.path, period.start, period.end, params.today):
        for path, n in (await session.execute(query)).all():
            for row in rows_for(path):
                row.activities[name] += int(n or 0)
    return ReportPublic(
        unit=ReportUnitPublic(code=unit.code, name=unit.name, level=unit.level),
        period=ReportPeriodPublic(
            kind=period.kind,
            year=period.year,
            index=period.index,
            basis=period.basis,
            label=period.label,
            start=period.start,
            end=period.end,
        ),
        counted_to=params.counted_to,
        as_of_seq=params.as_of_seq,
        children=[r.out() for r in by_path.values()],
        own=own.out(),
        total=total.out(),
    )


async def periodic_report(
    session: AsyncSession,
    principal: Principal | None,
    *,
    period: str,
    year: int,
    index: int | None,
    basis: str,
    unit: str | None,
    today: date,
    as_of_seq: int | None = None,
    where: str = "query",
) -> ReportPublic:
    """The report as the API, the CLI and a snapshot give it. `as_of_seq`: count only changes
    recorded up to that audit event (default: everything recorded now)."""
    target = await resolve_unit(session, principal, unit)
    the_period, counted_to = resolve_period(period, year, index, basis, today, where=where)
    head = await audit_head_seq(session)
    if as_of_seq is not None and as_of_seq > head:
        raise field_error(f"{where}.as_of_seq", f"the audit trail ends at event {head}")
    params = ReportParams(
        period=the_period,
        unit=target,
        counted_to=counted_to,
        today=today,
        as_of_seq=head if as_of_seq is None else as_of_seq,
    )
    return await build(session, params)


def report_bytes(report: ReportPublic) -> bytes:
    """The canonical JSON of a report: what snapshots digest."""
    return json.dumps(
        report.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(
        json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    ).hexdigest()


# ---- snapshots: a report frozen with the audit chain's head ------------------------------------

SNAPSHOT_ACTION = "report.snapshot"


def _summary_fields(snap: ReportSnapshot) -> dict[str, Any]:
    assert snap.id is not None
    return {
        "id": snap.id,
        "unit_code": snap.unit_code,
        "period": snap.period,
        "year": snap.year,
        "index": snap.period_index,
        "basis": snap.basis,
        "body_digest": snap.body_digest,
        "audit_head_seq": snap.audit_head_seq,
        "audit_head_hash": snap.audit_head_hash,
        "created_by": snap.created_by,
        "org_code": snap.org_code,
        "created_at": as_utc(snap.created_at),
    }


async def create_snapshot(
    session: AsyncSession, principal: Principal, data: SnapshotCreate, today: date
) -> ReportSnapshot:
    """Freeze the report as it stands: counted up to the audit chain's head (which the snapshot
    keeps, with its hash), digested, and audited in the same transaction. The audit event carries
    the digest and the head, so the trail itself proves what was frozen."""
    unit = await resolve_unit(session, principal, data.unit)
    head = (
        await session.execute(
            select(col(AuditEvent.seq), col(AuditEvent.hash)).order_by(col(AuditEvent.seq).desc()).limit(1)
        )
    ).first()
    head_seq, head_hash = (int(head[0]), str(head[1])) if head else (0, audit.GENESIS_HASH)
    report = await periodic_report(
        session,
        principal,
        period=data.period.value,
        year=data.year,
        index=data.index,
        basis=data.basis.value,
        unit=unit.code,
        today=today,
        as_of_seq=head_seq,
        where="body",
    )
    body = report.model_dump(mode="json")
    snap = ReportSnapshot(
        unit_code=unit.code,
        unit_path=unit.path,
        period=report.period.kind.value,
        year=report.period.year,
        period_index=report.period.index,
        basis=report.period.basis.value,
        body=body,
        body_digest=digest(body),
        audit_head_seq=head_seq,
        audit_head_hash=head_hash,
        created_by_id=principal.user.id,
        created_by=principal.user.username,
        org_code=principal.org.code,
    )
    session.add(snap)
    await session.flush()
    await audit.record(
        session,
        actor=principal,
        action=SNAPSHOT_ACTION,
        entity="report_snapshot",
        entity_id=snap.id,
        changes={
            "unit": unit.code,
            "period": snap.period,
            "year": snap.year,
            "index": snap.period_index,
            "basis": snap.basis,
            "body_digest": snap.body_digest,
            "audit_head_seq": head_seq,
            "audit_head_hash": head_hash,
        },
    )
    return snap


def snapshot_visible_clause(principal: Principal) -> Any:
    return col(ReportSnapshot.unit_path).startswith(principal.jurisdiction_path, autoescape=True)


async def get_snapshot(session: AsyncSession, principal: Principal, snapshot_id: int) -> ReportSnapshot:
    if principal.role not in READERS:
        raise Forbidden(f"Role '{principal.role.value}' may not read periodic reports.")
    snap = (
        await session.execute(
            select(ReportSnapshot).where(col(ReportSnapshot.id) == snapshot_id, snapshot_visible_clause(principal))
        )
    ).scalar_one_or_none()
    if snap is None:
        raise NotFound(f"No report snapshot {snapshot_id} in your jurisdiction.")
    return snap


async def list_snapshots(
    session: AsyncSession, principal: Principal, *, unit: str | None, limit: int, after_id: int | None
) -> list[SnapshotSummaryPublic]:
    """Newest first; `unit`: that unit and below (within the caller's jurisdiction)."""
    if principal.role not in READERS:
        raise Forbidden(f"Role '{principal.role.value}' may not read periodic reports.")
    stmt = select(ReportSnapshot).where(snapshot_visible_clause(principal))
    if unit is not None:
        target = await resolve_unit(session, principal, unit)
        stmt = stmt.where(col(ReportSnapshot.unit_path).startswith(target.path, autoescape=True))
    if after_id is not None:
        stmt = stmt.where(col(ReportSnapshot.id) < after_id)
    rows = (await session.execute(stmt.order_by(col(ReportSnapshot.id).desc()).limit(limit + 1))).scalars()
    return [SnapshotSummaryPublic(**_summary_fields(s)) for s in rows]


async def verify_snapshot(session: AsyncSession, snap: ReportSnapshot) -> SnapshotVerificationPublic:
    """Whether the stored body still has its digest, the snapshot's audit event records that digest
    and head, and the audit chain verifies from its start up to the frozen head (streamed)."""
    body_ok = digest(snap.body) == snap.body_digest
    # just frozen: its event joins the chain when this transaction commits (decision 0090)
    event = next(
        (
            e
            for e in audit.pending(session)
            if e.action == SNAPSHOT_ACTION and e.entity == "report_snapshot" and str(e.entity_id) == str(snap.id)
        ),
        None,
    )
    in_chain = event is None
    if event is None:
        event = (
            await session.execute(
                select(AuditEvent).where(
                    col(AuditEvent.action) == SNAPSHOT_ACTION,
                    col(AuditEvent.entity) == "report_snapshot",
                    col(AuditEvent.entity_id) == str(snap.id),
                )
            )
        ).scalar_one_or_none()
    changes = (event.changes or {}) if event is not None else {}
    event_ok = (
        event is not None
        and changes.get("body_digest") == snap.body_digest
        and changes.get("audit_head_seq") == snap.audit_head_seq
        and changes.get("audit_head_hash") == snap.audit_head_hash
        and (not in_chain or audit.compute_hash(event) == event.hash)
    )
    if snap.audit_head_seq == 0:
        chain = AuditVerifyPublic(ok=snap.audit_head_hash == audit.GENESIS_HASH, events_checked=0, first_bad_seq=None)
    else:
        chain = await audit.verify(
            session, expect_head=(snap.audit_head_seq, snap.audit_head_hash), upto=snap.audit_head_seq
        )
    details = [
        d
        for d, ok in (
            ("the body does not match its digest", body_ok),
            ("the snapshot's audit event is missing or does not match", event_ok),
            (f"audit chain: {chain.detail}" if chain.detail else "audit chain broken", chain.ok),
        )
        if not ok
    ]
    return SnapshotVerificationPublic(
        body_digest_ok=body_ok,
        audit_event_ok=event_ok,
        chain_ok=chain.ok,
        chain_events_checked=chain.events_checked,
        chain_first_bad_seq=chain.first_bad_seq,
        detail="; ".join(details) or None,
    )


async def snapshot_out(session: AsyncSession, snap: ReportSnapshot) -> SnapshotPublic:
    verification = await verify_snapshot(session, snap)
    return SnapshotPublic(
        **_summary_fields(snap), report=ReportPublic.model_validate(snap.body), verification=verification
    )
