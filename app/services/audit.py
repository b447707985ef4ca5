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

from sqlalchemy import Integer, event, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlmodel import col

from app.models.audit import AuditEvent, AuditVerifyPublic, CanonicalJSON
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
    events = take_pending(session)
    if session.get_bind().dialect.name == "postgresql":
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


async def _stream(
    session: AsyncSession, batch: int, upto: int | None = None, *, after: int = 0, batches: int | None = None
) -> AsyncIterator[Any]:
    """The events in seq order as plain rows (attribute access, no ORM objects), in keyset batches
    of `batch`: memory stays flat whatever the chain's length, on both databases, and each batch
    is one short indexed range scan of the primary key. `after`: start after that seq; `batches`:
    stop after that many batches."""
    while batches is None or batches > 0:
        if batches is not None:
            batches -= 1
        stmt = select(*_COLUMNS).where(_COLUMNS[0] > after)
        if upto is not None:
            stmt = stmt.where(_COLUMNS[0] <= upto)
        rows = (await session.execute(stmt.order_by(_COLUMNS[0]).limit(batch))).all()
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        after = rows[-1].seq


class _Walk:
    """The verifier's state along the chain: what the next event must be, and the last good one."""

    def __init__(self, expect_head: tuple[int, str] | None) -> None:
        self.expect_head = expect_head
        self.prev_hash = GENESIS_HASH
        self.expected_seq = 1
        self.checked = 0
        self.last_seq: int | None = None
        self.last_hash: str | None = None

    def _broken(self, bad: int, detail: str) -> AuditVerifyPublic:
        return AuditVerifyPublic(
            ok=False,
            events_checked=self.checked,
            first_bad_seq=bad,
            head_seq=self.last_seq,
            head_hash=self.last_hash,
            detail=detail,
        )

    def step(self, ev: Any) -> AuditVerifyPublic | None:
        """Check one event (recomputing its hash here); the verdict if it breaks the chain."""
        if self.expect_head is not None and ev.seq == self.expect_head[0] and ev.hash != self.expect_head[1]:
            return self._broken(ev.seq, "the event at the exported head has another hash")
        if ev.seq != self.expected_seq:
            if ev.seq > self.expected_seq:
                return self._broken(self.expected_seq, f"event {self.expected_seq} is missing")
            return self._broken(ev.seq, "sequence out of order")
        if ev.prev_hash != self.prev_hash:
            return self._broken(ev.seq, "prev_hash does not match the previous event")
        if compute_hash(ev) != ev.hash:
            return self._broken(ev.seq, "content does not match its hash")
        self.passed(ev.seq, ev.hash)
        return None

    def passed(self, seq: int, hash_: str) -> None:
        """Events `expected_seq` … `seq` are good (contiguous), `hash_` being the last one's."""
        self.checked += seq - self.expected_seq + 1
        self.expected_seq = seq + 1
        self.prev_hash = self.last_hash = hash_
        self.last_seq = seq

    def end(self) -> AuditVerifyPublic:
        if self.expect_head is not None:
            seq = self.expect_head[0]
            if self.last_seq is None or self.last_seq < seq:
                return self._broken(
                    (self.last_seq or 0) + 1, f"the chain ends before the exported head {seq}: events were removed"
                )
        return AuditVerifyPublic(
            ok=True,
            events_checked=self.checked,
            first_bad_seq=None,
            head_seq=self.last_seq,
            head_hash=self.last_hash,
        )


async def verify(
    session: AsyncSession,
    *,
    batch: int = 5000,
    expect_head: tuple[int, str] | None = None,
    upto: int | None = None,
    in_database: bool | None = None,
) -> AuditVerifyPublic:
    """Recompute the chain in seq order, streaming (constant memory); name the first bad event.

    `expect_head` — a (seq, hash) kept outside the database (`petitions audit head`) — also
    catches removal of the newest events, which a chain alone cannot reveal. `upto`: check only
    the events up to that seq (a report snapshot's frozen head).

    On PostgreSQL (`in_database=None`: whenever the database is PostgreSQL in UTF-8) the database
    rebuilds each event's canonical bytes and hashes them (`_verify_in_database`); an event it
    finds wrong is checked again here by `compute_hash` before it is called bad, so the verdict is
    the one this loop gives (decision 0102). `in_database=False`: this loop only."""
    walk = _Walk(expect_head)
    if in_database is None:
        in_database = await _database_can_verify(session)
    if in_database:
        return await _verify_in_database(session, walk, batch, upto)
    async for ev in _stream(session, batch, upto):
        if (broken := walk.step(ev)) is not None:
            return broken
    return walk.end()


# ---- verification inside PostgreSQL -----------------------------------------------------------
# canonical_sql() is canonical_bytes written in SQL: the same JSON text, built by the database from
# the row. Strings: to_json(text) escapes exactly as json.dumps(ensure_ascii=False) does (\" \\ \b
# \f \n \r \t, other characters below U+0020 as \u00xx, the rest literal). Keys: sorted by code
# point = COLLATE "C" over UTF-8. `changes`, a `json` column (its text kept as written):
# - as written (`verbatim`): the text CanonicalJSON stores is the canonical one already;
# - taken apart (events written before it, by plain json.dumps): json_each / json_array_elements
#   down to _JSON_DEPTH levels, put together canonically, numbers kept as written (json.dumps wrote
#   them as canonical_bytes does); deeper values become chr(1), a character canonical JSON never
#   holds unescaped, so such an event never passes in the database and is left to compute_hash.
# The batch tries the first and, if the hash does not match, the second (decision 0102).
_JSON_DEPTH = 4
_TOO_DEEP = "chr(1)"
_TS_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'  # _iso's %Y-%m-%dT%H:%M:%S.%fZ


def _json_sql(expr: str, depth: int) -> str:
    """SQL for the canonical text of the json value `expr` (not NULL), objects and arrays taken
    apart `depth` levels down."""
    if depth == 0:
        obj = arr = _TOO_DEEP
    else:
        o, a = f"o{depth}", f"a{depth}"
        obj = (
            f"'{{' || coalesce((SELECT string_agg(to_json({o}.key)::text || ':' || "
            f"{_json_sql(f'{o}.value', depth - 1)}, ',' ORDER BY {o}.key COLLATE \"C\") "
            f"FROM json_each({expr}) AS {o}), '') || '}}'"
        )
        arr = (
            f"'[' || coalesce((SELECT string_agg({_json_sql(f'{a}.value', depth - 1)}, ',' ORDER BY {a}.n) "
            f"FROM json_array_elements({expr}) WITH ORDINALITY AS {a}(value, n)), '') || ']'"
        )
    return (
        f"CASE json_typeof({expr}) WHEN 'string' THEN to_json({expr} #>> '{{}}')::text "
        f"WHEN 'object' THEN {obj} WHEN 'array' THEN {arr} ELSE {expr}::text END"
    )


def canonical_sql(*, verbatim: bool = False) -> str:
    """A PostgreSQL expression over a row of audit_event: the text canonical_bytes gives for it
    (`verbatim`: taking `changes` as stored, right for the events CanonicalJSON wrote)."""
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    parts = []
    for name in sorted(_HASHED_FIELDS):  # json.dumps(sort_keys=True): by code point
        type_ = table.c[name].type
        if name == "at":
            value = f"'\"' || to_char(at AT TIME ZONE 'UTC', '{_TS_FORMAT}') || '\"'"
        elif isinstance(type_, CanonicalJSON):
            value = f"coalesce({f'{name}::text' if verbatim else _json_sql(name, _JSON_DEPTH)}, 'null')"
        elif isinstance(type_, Integer):
            value = f"coalesce({name}::text, 'null')"
        else:
            value = f"coalesce(to_json({name})::text, 'null')"
        parts.append(f"'{json.dumps(name)}:' || {value}")
    return "'{' || " + " || ',' || ".join(parts) + " || '}'"


def _sha_sql(canonical: str) -> str:
    return f"encode(sha256(convert_to({canonical}, 'UTF8')), 'hex')"


def _batch_sql(*, verbatim: bool = True) -> str:
    """One batch: hash every event in the database, check each link (seq follows seq, prev_hash is
    the previous hash, the batch's first event follows the last one checked) and return one row:
    the first event that fails (`bad`), or the batch's last event. `at` outside years 1–9999 is
    left to Python (to_char writes no era). `verbatim=False`: never take `changes` as stored."""
    content = _sha_sql(canonical_sql()) + " = hash"
    if verbatim:
        content = f"CASE WHEN {_sha_sql(canonical_sql(verbatim=True))} = hash THEN true ELSE {content} END"
    return f"""
WITH b AS (
    SELECT seq, at, prev_hash, hash, {content} AS content_ok
    FROM audit_event WHERE seq > :after AND seq <= :upto ORDER BY seq LIMIT :batch
), w AS (
    SELECT seq, hash, lag(seq, 1, :after) OVER o AS pseq, lag(hash, 1, :prev) OVER o AS phash,
           lead(seq) OVER o IS NULL AS last,
           (seq = lag(seq, 1, :after) OVER o + 1 AND prev_hash = lag(hash, 1, :prev) OVER o AND content_ok
            AND (seq <> :head_seq OR hash = :head_hash)
            AND at >= '0001-01-01 00:00:00+00' AND at < '10000-01-01 00:00:00+00') AS good
    FROM b WINDOW o AS (ORDER BY seq)
)
SELECT seq, hash, pseq, phash, good IS NOT TRUE AS bad FROM w WHERE good IS NOT TRUE OR last ORDER BY seq LIMIT 1
"""


_BATCH_SQL = _batch_sql()
_SEQ_MAX = 2**31 - 1  # audit_event.seq is an integer


async def _database_can_verify(session: AsyncSession) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return False
    return (await session.execute(text("SHOW server_encoding"))).scalar_one() == "UTF8"


async def _verify_in_database(session: AsyncSession, walk: _Walk, batch: int, upto: int | None) -> AuditVerifyPublic:
    """The events in keyset batches of `batch`, each batch one statement that hashes its events in
    the database and returns a single row. An event the database flags is checked again by `walk`
    (compute_hash): bad → the verdict; good (the database built other bytes than Python would,
    e.g. changes nested deeper than _JSON_DEPTH) → the next batch starts after it. A batch the
    database cannot canonicalise at all (a json \\u0000) is checked by `walk` alone."""
    # A JIT compile of this large expression costs more than the batch it would speed up.
    jit = (await session.execute(text("SELECT set_config('jit', 'off', true)"))).scalar_one()
    verdict = await _walk_in_database(session, walk, batch, upto)
    await session.execute(text("SELECT set_config('jit', :jit, true)"), {"jit": jit})
    return verdict


async def _walk_in_database(session: AsyncSession, walk: _Walk, batch: int, upto: int | None) -> AuditVerifyPublic:
    stmt = text(_BATCH_SQL)
    head_seq, head_hash = walk.expect_head or (0, "")
    while True:  # every turn moves walk.last_seq on, or returns
        after = walk.last_seq or 0
        params = {
            "after": after,
            "prev": walk.prev_hash,
            "upto": _SEQ_MAX if upto is None else upto,
            "batch": batch,
            "head_seq": head_seq,
            "head_hash": head_hash,
        }
        try:
            async with session.begin_nested():
                row = (await session.execute(stmt, params)).first()
        except DBAPIError:
            n = 0
            async for ev in _stream(session, batch, upto, after=after, batches=1):
                if (broken := walk.step(ev)) is not None:
                    return broken
                n += 1
            if n < batch:
                return walk.end()
            continue
        if row is None:
            return walk.end()
        if not row.bad:
            walk.passed(row.seq, row.hash)
            if row.seq - after < batch:
                return walk.end()
            continue
        if row.pseq > after:
            walk.passed(row.pseq, row.phash)
        flagged = [ev async for ev in _stream(session, 1, upto, after=row.pseq, batches=1)]
        if not flagged:
            return walk.end()
        if (broken := walk.step(flagged[0])) is not None:
            return broken
