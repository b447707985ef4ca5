"""The audit core: one function every write in the product calls inside its own transaction.

Each event carries the SHA-256 of its canonical form, which includes the previous event's hash,
so editing or removing any event breaks the chain from that point on
(docs/decisions/0003-audit-chain.md).
"""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from app.models.audit import AuditEvent, AuditVerifyPublic
from app.models.base import as_utc, utcnow
from app.observability import request_id_var

GENESIS_HASH = "0" * 64
# Any constant works; it names the one lock that serialises appends to the chain on PostgreSQL.
_PG_CHAIN_LOCK = 0x48414E4F49  # "HANOI"

_HASHED_FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor",
    "role",
    "org",
    "action",
    "entity",
    "entity_id",
    "case_id",
    "from_status",
    "to_status",
    "changes",
    "reason",
    "request_id",
    "prev_hash",
)


def _jsonable(value: Any) -> Any:
    """Normalise `changes` so that what is hashed is exactly what the database gives back."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))


def _iso(at: datetime) -> str:
    return as_utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(ev: AuditEvent) -> bytes:
    doc = {name: getattr(ev, name) for name in _HASHED_FIELDS}
    doc["at"] = _iso(ev.at)
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def compute_hash(ev: AuditEvent) -> str:
    return hashlib.sha256(canonical_bytes(ev)).hexdigest()


# ---- transaction-scoped memo -------------------------------------------------------------------
# Facts that cannot change under a transaction while it runs, remembered in `session.info` until
# it ends. Forgotten when the session's transaction ends (commit, rollback), when a savepoint
# ends (released or rolled back: be conservative), and on any rollback at all; the internal
# "subtransaction" that every flush opens and closes does not count.
_MEMO_KEY = "txn_memo"


def txn_memo(session: AsyncSession | Session) -> dict[Any, Any]:
    """A dict that lives as long as the session's current transaction (see above)."""
    return session.info.setdefault(_MEMO_KEY, {})


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None or transaction.nested:
        session.info.pop(_MEMO_KEY, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, _previous_transaction: Any) -> None:
    session.info.pop(_MEMO_KEY, None)


# ---- appending at commit ----------------------------------------------------------------------
# `record` does not touch the chain: it keeps the event in the session's list of pending events
# (with the transaction or savepoint it was recorded in). Just before the transaction commits,
# `_append_pending` flushes the transaction's own changes, then takes the chain lock, reads the
# head, numbers and hashes the pending events in order and inserts them; COMMIT follows at once
# and releases the lock. So the lock is held for three statements and the commit, not for the
# whole transaction, and writers no longer queue behind each other's work
# (docs/decisions/0090-audit-append-at-commit.md). A write and its events still commit together
# or not at all: the events are rows of the same transaction, and a failed commit loses both.
_PENDING = "audit_pending"
_ATTACHED = "audit_attached"


def attach(session: AsyncSession | Session, ev: AuditEvent, row: Any) -> None:
    """Insert `row` (which has an `audit_seq` column) when `ev` joins the chain, with `audit_seq`
    set to the event's seq: a record tied to its event (the case's dated history, reports). If the
    event's transaction or savepoint rolls back, the row is dropped with it."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    sync.info.setdefault(_ATTACHED, []).append((ev, row))


def _current_txn(session: Session) -> Any:
    return session.get_nested_transaction() or session.get_transaction()


def pending(session: AsyncSession | Session) -> list[AuditEvent]:
    """The events this transaction has recorded that are not in the chain yet (oldest first)."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    return [ev for ev, _txn in sync.info.get(_PENDING, ())]


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: Any) -> None:
    """Events recorded in a transaction or savepoint that rolled back are not appended."""
    queue = session.info.get(_PENDING)
    if not queue:
        return

    def undone(txn: Any) -> bool:
        while txn is not None:
            if txn is previous_transaction:
                return True
            txn = txn.parent
        return previous_transaction.parent is None  # the whole transaction rolled back

    queue[:] = [(ev, txn) for ev, txn in queue if not undone(txn)]
    kept = {id(ev) for ev, _txn in queue}
    attached = session.info.get(_ATTACHED)
    if attached:
        attached[:] = [(ev, row) for ev, row in attached if id(ev) in kept]


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
        session.info.pop(_ATTACHED, None)


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    """Runs inside the commit (the ORM calls it synchronously, in the AsyncSession's greenlet, so
    the statements below are ordinary awaited statements underneath)."""
    queue = session.info.get(_PENDING)
    if not queue:
        return
    session.flush()  # the transaction's own changes first: the lock covers only the append
    bind = session.get_bind()
    if bind.dialect.name == "postgresql" and _append_in_one_call(session, bind.engine):
        return
    events = take_pending(session)
    if bind.dialect.name == "postgresql":  # (a database not yet migrated to 0014_wpath)
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_CHAIN_LOCK})
    # SQLite: every write transaction began with BEGIN IMMEDIATE, so it already holds the one
    # write lock (app/db.py).
    last = session.execute(
        select(col(AuditEvent.seq), col(AuditEvent.hash)).order_by(col(AuditEvent.seq).desc()).limit(1)
    ).first()
    seal(events, (last[0], last[1]) if last else (0, GENESIS_HASH), utcnow())
    session.add_all(events)
    for row in take_attached(session):
        session.add(row)
    session.flush()


# ---- PostgreSQL: the append in one round trip ---------------------------------------------------
# Under the chain lock a writer waits for each of its statements, and the others wait for it: so
# the lock, the head and the inserts are one call of `audit_append` (migration 0014_wpath), and
# the lock is held for that call and the COMMIT (decision 0101). The events' canonical bytes are
# rendered here, as ever (`canonical_bytes`), with `at`, `prev_hash` and `seq` left out as
# markers; the function puts in the values it finds under the lock and hashes. `seal` then
# numbers and hashes the same events here, and the commit goes on only if it reaches the same
# head hash as the function did: a difference raises, and the transaction rolls back whole.
_MARK = {"at": "\x00at\x00", "prev_hash": "\x00prev\x00", "seq": "\x00seq\x00"}
_has_append: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


class ChainMismatch(RuntimeError):
    """The database hashed an event otherwise than `seal`: nothing is committed."""


def _pieces(ev: AuditEvent) -> list[str] | None:
    """The event's canonical form cut at the three values the lock holder fills in (in the
    canonical key order: at, prev_hash, seq); None if a marker also occurs in the event itself."""
    doc: dict[str, Any] = {name: getattr(ev, name) for name in _HASHED_FIELDS}
    doc.update(_MARK)
    body = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    out = []
    for name in ("at", "prev_hash", "seq"):
        mark = json.dumps(_MARK[name], ensure_ascii=False)  # (quoted and escaped as in the body)
        if body.count(mark) != 1:
            return None
        head, body = body.split(mark)
        out.append(head)
    return [*out, body]


def _column_values(row: Any, skip: tuple[str, ...]) -> dict[str, Any]:
    return {c.name: getattr(row, c.key) for c in row.__table__.columns if c.name not in skip}


def _append_in_one_call(session: Session, engine: Any) -> bool:
    """Append the pending events (and the rows attached to them) with `audit_append`; False if
    this database has no such function or the events are not of the kind it takes, and the
    caller appends them statement by statement."""
    from app.models.reports import CaseStep  # (late: the reports' models build on this module)

    if not _has_append.get(engine):  # (asked again after a miss: a test migrates a live database)
        found = session.execute(
            text("SELECT to_regprocedure('audit_append(bigint,json,timestamptz)') IS NOT NULL")
        ).scalar()
        _has_append[engine] = bool(found)
        if not found:
            return False
    events = pending(session)
    attached = session.info.get(_ATTACHED) or []
    if any(not isinstance(row, CaseStep) for _ev, row in attached):
        return False
    steps: dict[int, list[dict[str, Any]]] = {}
    for ev, row in attached:
        steps.setdefault(id(ev), []).append(_column_values(row, ("id", "audit_seq")))
    docs = []
    for ev in events:
        pieces = _pieces(ev)
        if pieces is None:
            return False
        row = _column_values(ev, ("seq", "at", "prev_hash", "hash"))
        docs.append(
            {
                "row": row,
                "p0": pieces[0],
                "p1": pieces[1],
                "p2": pieces[2],
                "p3": pieces[3],
                "steps": steps.get(id(ev), []),
            }
        )
    got = session.execute(
        text("SELECT head_seq, head_hash, at, new_hash FROM audit_append(:k, CAST(:events AS json), :at)"),
        {"k": _PG_CHAIN_LOCK, "events": json.dumps(docs, default=str), "at": utcnow()},
    ).one()
    take_pending(session)
    _seq, new_hash = seal(events, (got.head_seq or 0, got.head_hash or GENESIS_HASH), got.at)
    if new_hash != got.new_hash:
        raise ChainMismatch(f"the database hashed the chain to {got.new_hash}, seal to {new_hash}")
    take_attached(session)  # (each row's audit_seq, as the function wrote it)
    from app.db import note_audited  # (late: app.db imports the models this module's callers use)

    for ev in events:
        note_audited(session, ev.action)
    return True


def seal(events: list[AuditEvent], head: tuple[int, str], at: datetime) -> tuple[int, str]:
    """Number, time and hash `events` in order after the chain's `head` (seq, hash); the new head.
    The one place an event joins the chain (the commit hook above, and the demo's bulk path)."""
    seq, prev = head
    for ev in events:
        seq += 1
        ev.seq, ev.at, ev.prev_hash = seq, at, prev
        ev.hash = prev = compute_hash(ev)
    return seq, prev


def take_pending(session: Any) -> list[AuditEvent]:
    """Remove and return the events `session` has recorded and not appended (oldest first)."""
    queue = session.info.pop(_PENDING, None) or []
    return [ev for ev, _txn in queue]


def take_attached(session: Any) -> list[Any]:
    """Remove and return the rows attached to sealed events, each given its event's seq."""
    rows = []
    for ev, row in session.info.pop(_ATTACHED, None) or []:
        row.audit_seq = ev.seq
        rows.append(row)
    return rows


async def record(
    session: AsyncSession,
    *,
    actor: Any | None,
    action: str,
    entity: str,
    entity_id: Any,
    case_id: int | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    changes: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Record one event in the caller's transaction. `actor` is a Principal (user, role,
    organisation) or None for the system (seeding, CLI).

    The event joins the chain when the transaction commits (see above): until then its `seq`,
    `at`, `prev_hash` and `hash` are unset, and it is not in the table."""
    user = getattr(actor, "user", None)
    org = getattr(actor, "org", None)
    # seq, at, prev_hash and hash are set when the event joins the chain (_append_pending)
    fields: dict[str, Any] = dict(
        actor_id=getattr(user, "id", None),
        actor=getattr(user, "username", None) or (actor if isinstance(actor, str) else None) or "system",
        role=getattr(user, "role", None),
        org=getattr(org, "code", None),
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        case_id=case_id,
        from_status=from_status,
        to_status=to_status,
        changes=_jsonable(changes),
        reason=reason,
        request_id=request_id_var.get(),
    )
    ev = AuditEvent(**fields)
    sync = session.sync_session
    await session.connection()  # begins the transaction if nothing has yet, as a statement would
    sync.info.setdefault(_PENDING, []).append((ev, _current_txn(sync)))
    return ev


async def head(session: AsyncSession) -> dict[str, Any] | None:
    row = (await session.execute(select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(1))).scalar_one_or_none()
    if row is None:
        return None
    return {"seq": row.seq, "hash": row.hash, "at": _iso(row.at)}


_COLUMNS = [AuditEvent.__table__.c[name] for name in (*_HASHED_FIELDS, "hash")]  # type: ignore[attr-defined]


async def _stream(session: AsyncSession, batch: int, upto: int | None = None) -> AsyncIterator[Any]:
    """The events in seq order as plain rows (attribute access, no ORM objects), in keyset batches
    of `batch`: memory stays flat whatever the chain's length, on both databases, and each batch
    is one short indexed range scan of the primary key."""
    after = 0
    while True:
        stmt = select(*_COLUMNS).where(_COLUMNS[0] > after)
        if upto is not None:
            stmt = stmt.where(_COLUMNS[0] <= upto)
        rows = (await session.execute(stmt.order_by(_COLUMNS[0]).limit(batch))).all()
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        after = rows[-1].seq


async def verify(
    session: AsyncSession, *, batch: int = 5000, expect_head: tuple[int, str] | None = None, upto: int | None = None
) -> AuditVerifyPublic:
    """Recompute the chain in seq order, streaming (constant memory); name the first bad event.

    `expect_head` — a (seq, hash) kept outside the database (`petitions audit head`) — also
    catches removal of the newest events, which a chain alone cannot reveal. `upto`: check only
    the events up to that seq (a report snapshot's frozen head)."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq, last_hash = None, None
    async for ev in _stream(session, batch, upto):
        reason = None
        if expect_head is not None and ev.seq == expect_head[0] and ev.hash != expect_head[1]:
            return AuditVerifyPublic(
                ok=False,
                events_checked=checked,
                first_bad_seq=ev.seq,
                head_seq=last_seq,
                head_hash=last_hash,
                detail="the event at the exported head has another hash",
            )
        if ev.seq != expected_seq:
            reason = f"event {expected_seq} is missing" if ev.seq > expected_seq else "sequence out of order"
            bad = expected_seq if ev.seq > expected_seq else ev.seq
        elif ev.prev_hash != prev_hash:
            reason, bad = "prev_hash does not match the previous event", ev.seq
        elif compute_hash(ev) != ev.hash:
            reason, bad = "content does not match its hash", ev.seq
        if reason:
            return AuditVerifyPublic(
                ok=False,
                events_checked=checked,
                first_bad_seq=bad,
                head_seq=last_seq,
                head_hash=last_hash,
                detail=reason,
            )
        checked += 1
        prev_hash = ev.hash
        expected_seq += 1
        last_seq, last_hash = ev.seq, ev.hash
    if expect_head is not None:
        seq, hsh = expect_head
        if last_seq is None or last_seq < seq:
            return AuditVerifyPublic(
                ok=False,
                events_checked=checked,
                first_bad_seq=(last_seq or 0) + 1,
                head_seq=last_seq,
                head_hash=last_hash,
                detail=f"the chain ends before the exported head {seq}: events were removed",
            )
    return AuditVerifyPublic(
        ok=True, events_checked=checked, first_bad_seq=None, head_seq=last_seq, head_hash=last_hash
    )
