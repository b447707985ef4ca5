"""Audit verification inside PostgreSQL (decision 0102): the database rebuilds every event's
canonical bytes — exactly canonical_bytes, awkward content included — and hashes them; an event it
flags is checked again by compute_hash, so the verdict is the Python loop's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text, update

from app.models.audit import AuditEvent
from app.services import audit

pytestmark = pytest.mark.usefixtures("pg_only")

_OTHER = [c for c in audit._HASHED_FIELDS if c != "changes"]

# What a free-form `changes` can hold, at its most awkward.
AWKWARD = [
    {
        "zeta": 1,
        "Ánh": "Nguyễn Thị Ánh, phường Khương Đình",
        "alpha": {"z": [3, 2, 1], "a": {"y": None, "b": True, "A": False}},
        "quote": 'say "xin chào" \\ back\\slash /',
        "ctl": "tab\tnl\ncr\rbs\bff\fbell\x07esc\x1bunit\x1fdel\x7f",
        "emoji": "🇻🇳 👍🏽 𝔘",
        "nums": [0, -1, 2**53 + 1, 2**70, 1.5, -0.0, 0.1, 1e-07, 1e16, 1.0e300, -2.5e-300],
        "empty": {"o": {}, "a": [], "s": ""},
        "é": "e acute sorts after z",
        "Z": "capital sorts before a",
        "😀": "astral key",
        "\u2028": "line separator, not escaped by either",
    },
    {
        "on": "2026-11-30",
        "due": {"to": "2026-12-14", "from": "2026-11-16"},
        "obligations": {"started": [{"key": "k", "due": "d"}]},
    },
    {"list": [["a", {"c": "đ", "b": 2}]]},
    [1, "two", None],
    'a bare string: "quoted" and \\',
    None,
]
DEEP = {"a": {"b": {"c": {"d": {"e": {"f": "six levels"}}}}}}


def _depth(value) -> int:
    """How many objects and arrays deep `value` is."""
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@pytest.fixture
def pg_only(is_postgres):
    if not is_postgres:
        pytest.skip("verification inside the database is PostgreSQL's")


async def _record(db, changes, reason: str | None = None, actor: str | None = None) -> None:
    await audit.record(
        db.session, actor=actor, action="test.awkward", entity="case", entity_id="0", changes=changes, reason=reason
    )
    await db.session.commit()


async def _append_as_before(db, changes_text: str) -> int:
    """Append an event as the service wrote them before `changes` was stored canonically: its
    json text as plain json.dumps gave it (key order as given, spaces, \\u escapes)."""
    last = (await db.session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()))).first()
    ev = SimpleNamespace(
        seq=last.seq + 1,
        at=datetime.now(UTC),
        actor_id=None,
        actor="system",
        role=None,
        org=None,
        action="test.before",
        entity="case",
        entity_id="0",
        case_id=None,
        from_status=None,
        to_status=None,
        changes=json.loads(changes_text),
        reason=None,
        request_id=None,
        prev_hash=last.hash,
    )
    ev.hash = audit.compute_hash(ev)  # type: ignore[arg-type]
    values = {c: getattr(ev, c) for c in (*_OTHER, "hash")}
    await db.session.execute(
        text(
            f"INSERT INTO audit_event ({', '.join(values)}, changes) "
            f"VALUES ({', '.join(':' + c for c in values)}, CAST(:changes AS json))"
        ),
        values | {"changes": changes_text},
    )
    await db.session.commit()
    return ev.seq


async def _batch(db, after: int = 0, prev: str = audit.GENESIS_HASH, batch: int = 100000):
    """What one batch statement says: the first event it flags, or its last event."""
    params = {"after": after, "prev": prev, "upto": 2**31 - 1, "batch": batch, "head_seq": 0, "head_hash": ""}
    return (await db.session.execute(text(audit._BATCH_SQL), params)).one()


async def _bypass_append_only(db) -> None:
    await db.session.execute(text("SET LOCAL session_replication_role = replica"))


async def _sql_canonical(db, seq: int, *, verbatim: bool, changes_text: str | None = None) -> bytes:
    """The database's canonical bytes for event `seq` (`changes_text`: as if stored that way)."""
    changes = "CAST(:changes AS json)" if changes_text is not None else "e.changes"
    cols = ", ".join(f"e.{c}" for c in _OTHER)
    sql = (
        f"SELECT convert_to({audit.canonical_sql(verbatim=verbatim)}, 'UTF8') FROM "
        f"(SELECT {cols}, {changes} AS changes FROM audit_event e WHERE e.seq = :seq) AS audit_event"
    )
    params = {"seq": seq} | ({"changes": changes_text} if changes_text is not None else {})
    return bytes((await db.session.execute(text(sql), params)).scalar_one())


async def _events(db) -> list:
    return (await db.session.execute(select(*audit._COLUMNS).order_by(AuditEvent.seq))).all()


async def test_the_database_builds_exactly_the_canonical_bytes_of_awkward_events(db):
    for i, changes in enumerate(AWKWARD):
        await _record(db, changes, reason=f'lý do "{i}"\n\t\\ \x01 😀' if i % 2 else None, actor=f"cán bộ {i} ‘x’")
    rows = await _events(db)
    awkward = [r for r in rows if r.action == "test.awkward"]
    assert len(awkward) == len(AWKWARD) and _depth(AWKWARD[2]) == audit._JSON_DEPTH
    stored = dict((await db.session.execute(text("SELECT seq, changes::text FROM audit_event"))).all())
    for row in rows:  # the seeded events and the awkward ones
        expected = audit.canonical_bytes(row)
        # as stored now (canonical text), as is and taken apart, and as an older event stored it
        assert stored[row.seq] == json.dumps(row.changes, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert await _sql_canonical(db, row.seq, verbatim=True) == expected, row.seq
        old = json.dumps(row.changes)
        for taken_apart in (
            await _sql_canonical(db, row.seq, verbatim=False),
            await _sql_canonical(db, row.seq, verbatim=False, changes_text=old),
        ):
            if _depth(row.changes) <= audit._JSON_DEPTH:
                assert taken_apart == expected, row.seq
            else:  # left to compute_hash (next test)
                assert b"\x01" in taken_apart
    # the verbatim form is only ever right for canonical text: the old text gives other bytes
    assert await _sql_canonical(db, awkward[0].seq, verbatim=True, changes_text=json.dumps(AWKWARD[0])) != (
        audit.canonical_bytes(awkward[0])
    )
    verdict = await audit.verify(db.session, in_database=True)
    assert verdict == await audit.verify(db.session, in_database=False)
    assert verdict.ok and verdict.head_seq == rows[-1].seq


async def test_events_written_before_canonical_storage_verify_in_the_database(db):
    for changes in AWKWARD[:4]:
        await _append_as_before(db, json.dumps(changes))
    rows = await _events(db)
    stored = await db.session.execute(text("SELECT changes::text FROM audit_event WHERE seq = :s"), {"s": rows[-4].seq})
    assert stored.scalar_one() == json.dumps(AWKWARD[0])  # spaces, insertion order, \u escapes
    last = await _batch(db)
    assert not last.bad and last.seq == rows[-1].seq  # no event needed the Python re-check
    verdict = await audit.verify(db.session, in_database=True)
    assert verdict.ok and verdict == await audit.verify(db.session, in_database=False)


async def test_events_the_database_cannot_rebuild_are_checked_in_python(db):
    """Nested deeper than the SQL takes apart, or a \\u0000 that PostgreSQL's text cannot hold: the
    database flags them (or fails), compute_hash passes them, the chain verifies."""
    deep = await _append_as_before(db, json.dumps(DEEP))
    flagged = await _batch(db)
    assert flagged.bad and flagged.seq == deep
    assert b"\x01" in await _sql_canonical(db, deep, verbatim=False)
    await _record(db, {"after": "it"})
    await _append_as_before(db, json.dumps({"nul": "a\x00b"}))
    await _record(db, {"after": "them"})
    rows = await _events(db)
    for batch in (2, 5000):
        verdict = await audit.verify(db.session, in_database=True, batch=batch)
        assert verdict.ok and verdict.events_checked == len(rows) and verdict.head_hash == rows[-1].hash
        assert verdict == await audit.verify(db.session, in_database=False, batch=batch)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("org", "UBND-99"),
        ("changes", {**AWKWARD[1], "due": {"to": "2027-01-01", "from": "2026-11-16"}}),
        ("reason", "lý do\u00a0khác"),
        ("at", datetime(2026, 1, 1, tzinfo=UTC)),
    ],
)
async def test_the_database_catches_a_tampered_column(db, column, value):
    for changes in AWKWARD[:3]:
        await _record(db, changes, reason="lý do")
    victim = (await _events(db))[-2]
    await _bypass_append_only(db)
    await db.session.execute(update(AuditEvent).where(AuditEvent.seq == victim.seq).values({column: value}))
    await db.session.commit()

    # the batch statement itself names the event (not only the Python re-check after it)
    flagged = await _batch(db)
    assert flagged.bad and flagged.seq == victim.seq

    verdict = await audit.verify(db.session, in_database=True)
    assert not verdict.ok and verdict.first_bad_seq == victim.seq and verdict.events_checked == victim.seq - 1
    assert verdict.detail == "content does not match its hash"
    assert verdict == await audit.verify(db.session, in_database=False)


async def test_a_broken_link_and_an_exported_head_give_the_python_verdicts(db):
    for changes in AWKWARD[:4]:
        await _record(db, changes)
    rows = await _events(db)
    head = (rows[-1].seq, rows[-1].hash)
    for batch in (1, 2, 5000):
        for expect in (None, head, (rows[-2].seq, "0" * 64), (rows[-1].seq + 3, "1" * 64)):
            sql = await audit.verify(db.session, in_database=True, batch=batch, expect_head=expect)
            assert sql == await audit.verify(db.session, in_database=False, batch=batch, expect_head=expect)
    assert (await audit.verify(db.session, in_database=True, upto=rows[-2].seq)).head_seq == rows[-2].seq

    await _bypass_append_only(db)
    await db.session.execute(update(AuditEvent).where(AuditEvent.seq == rows[-2].seq).values(prev_hash="f" * 64))
    await db.session.commit()
    for batch in (1, 3, 5000):
        verdict = await audit.verify(db.session, in_database=True, batch=batch)
        assert verdict.first_bad_seq == rows[-2].seq and "prev_hash" in (verdict.detail or "")
        assert verdict == await audit.verify(db.session, in_database=False, batch=batch)
