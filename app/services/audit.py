"""The audit core: one function every write in the product calls inside its own transaction.

Each event carries the SHA-256 of its canonical form, which includes the previous event's hash,
so editing or removing any event breaks the chain from that point on
(docs/decisions/0003-audit-chain.md).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.models.audit import AuditEvent, AuditVerifyPublic
from app.models.base import as_utc, utcnow
from app.observability import request_id_var

GENESIS_HASH = "0" * 64
# Any constant works; it names the one lock that serialises appends to the chain on PostgreSQL.
_PG_CHAIN_LOCK = 0x48414E4F49  # "HANOI"

_HASHED_FIELDS = ("seq", "at", "actor_id", "actor", "role", "org", "action", "entity", "entity_id", "case_id",
                  "from_status", "to_status", "changes", "reason", "request_id", "prev_hash")


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


async def _lock_chain(session: AsyncSession) -> None:
    conn = await session.connection()
    if conn.dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_CHAIN_LOCK})
    # SQLite: every write transaction began with BEGIN IMMEDIATE, so it already holds the one
    # write lock (app/db.py).


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


# The chain head (seq, hash) this transaction appended last. Once a transaction holds the chain
# lock, no one else can append until it ends, so the next event chains onto what this one
# wrote: no need to take the lock and read the head again for every event of a request that
# writes several, or of a bulk load.
_HEAD = "audit_chain_head"


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
    """Append one event to the chain in the caller's transaction. `actor` is a Principal
    (user, role, organisation) or None for the system (seeding, CLI)."""
    memo = txn_memo(session)
    known = memo.get(_HEAD)
    if known is None:
        await _lock_chain(session)
        last = (await session.execute(select(AuditEvent.seq, AuditEvent.hash)
                                      .order_by(AuditEvent.seq.desc()).limit(1))).first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS_HASH)
    else:
        seq, prev = known[0] + 1, known[1]
    user = getattr(actor, "user", None)
    org = getattr(actor, "org", None)
    ev = AuditEvent(
        seq=seq,
        at=utcnow(),
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
        prev_hash=prev,
    )
    ev.hash = compute_hash(ev)
    session.add(ev)
    await session.flush()
    memo[_HEAD] = (ev.seq, ev.hash)
    return ev


async def head(session: AsyncSession) -> dict[str, Any] | None:
    row = (await session.execute(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))).scalar_one_or_none()
    if row is None:
        return None
    return {"seq": row.seq, "hash": row.hash, "at": _iso(row.at)}


_COLUMNS = [AuditEvent.__table__.c[name] for name in (*_HASHED_FIELDS, "hash")]  # type: ignore[attr-defined]


async def _stream(session: AsyncSession, batch: int) -> AsyncIterator[Any]:
    """The events in seq order as plain rows (attribute access, no ORM objects), in keyset batches
    of `batch`: memory stays flat whatever the chain's length, on both databases, and each batch
    is one short indexed range scan of the primary key."""
    after = 0
    while True:
        rows = (await session.execute(select(*_COLUMNS).where(_COLUMNS[0] > after)
                                      .order_by(_COLUMNS[0]).limit(batch))).all()
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        after = rows[-1].seq


async def verify(session: AsyncSession, *, batch: int = 5000,
                 expect_head: tuple[int, str] | None = None) -> AuditVerifyPublic:
    """Recompute the chain in seq order, streaming (constant memory); name the first bad event.

    `expect_head` — a (seq, hash) kept outside the database (`petitions audit head`) — also
    catches removal of the newest events, which a chain alone cannot reveal."""
    prev_hash = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq, last_hash = None, None
    async for ev in _stream(session, batch):
        reason = None
        if expect_head is not None and ev.seq == expect_head[0] and ev.hash != expect_head[1]:
            return AuditVerifyPublic(ok=False, events_checked=checked, first_bad_seq=ev.seq, head_seq=last_seq,
                                     head_hash=last_hash, detail="the event at the exported head has another hash")
        if ev.seq != expected_seq:
            reason = f"event {expected_seq} is missing" if ev.seq > expected_seq else "sequence out of order"
            bad = expected_seq if ev.seq > expected_seq else ev.seq
        elif ev.prev_hash != prev_hash:
            reason, bad = "prev_hash does not match the previous event", ev.seq
        elif compute_hash(ev) != ev.hash:
            reason, bad = "content does not match its hash", ev.seq
        if reason:
            return AuditVerifyPublic(ok=False, events_checked=checked, first_bad_seq=bad, head_seq=last_seq,
                                     head_hash=last_hash, detail=reason)
        checked += 1
        prev_hash = ev.hash
        expected_seq += 1
        last_seq, last_hash = ev.seq, ev.hash
    if expect_head is not None:
        seq, hsh = expect_head
        if last_seq is None or last_seq < seq:
            return AuditVerifyPublic(ok=False, events_checked=checked, first_bad_seq=(last_seq or 0) + 1,
                                     head_seq=last_seq, head_hash=last_hash,
                                     detail=f"the chain ends before the exported head {seq}: events were removed")
    return AuditVerifyPublic(ok=True, events_checked=checked, first_bad_seq=None, head_seq=last_seq,
                             head_hash=last_hash)
