"""The write path's economies keep behaviour: the calendar, deadline settings and routing rules a
process keeps are re-read when any session changes them (decision 0100); a transition writes its
case once; on PostgreSQL the chain's append in one call refuses to commit what `seal` would not
have hashed the same (decision 0101)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text

from app.services import audit
from tests.api.casekit import act, new_case
from tests.conftest import assert_problem

# a denunciation received on Fri 27 Nov 2026 is due 7 working days later (Luật Tố cáo Art 24(1))
_DUE_PLAIN = "2026-12-08"  # 30 Nov, 1, 2, 3, 4, 7, 8 Dec
_DUE_MON_OFF = "2026-12-09"  # with Mon 30 Nov a day off


async def _stamp(session) -> str:
    return (await session.execute(text("SELECT stamp FROM config_stamp WHERE id = 1"))).scalar_one()


async def test_an_override_written_by_another_session_moves_the_next_due_date(client, db, make_user):
    """Another process's edit: straight into the table, not through this process's service (so
    nothing here is told): the trigger's new stamp makes the next request read the calendar again."""
    _, desk = await make_user("reception", "MTTQ-01")
    before = await new_case(client, desk, received_on="2026-11-27", kind="denunciation")
    assert before["due"] == _DUE_PLAIN  # (and the process now keeps the calendar under this stamp)
    await db.session.execute(
        text("INSERT INTO calendar_override (day, working, note) VALUES ('2026-11-30', false, '')")
    )
    await db.session.commit()
    after = await new_case(client, desk, received_on="2026-11-27", kind="denunciation", title="Tố cáo lần hai")
    assert after["due"] == _DUE_MON_OFF
    await db.session.execute(text("DELETE FROM calendar_override WHERE day = '2026-11-30'"))
    await db.session.commit()
    again = await new_case(client, desk, received_on="2026-11-27", kind="denunciation", title="Tố cáo lần ba")
    assert again["due"] == _DUE_PLAIN


async def test_an_override_put_through_the_api_moves_the_next_due_date(client, make_user):
    _, admin = await make_user("admin", "UBND-01")
    _, desk = await make_user("reception", "MTTQ-01")
    assert (await new_case(client, desk, received_on="2026-11-27", kind="denunciation"))["due"] == _DUE_PLAIN
    body = {"year": 2026, "overrides": [{"day": "2026-11-30", "working": False, "note": "Nghỉ bù"}]}
    assert (await client.put("/api/v1/calendar/overrides", json=body, headers=admin)).status_code == 200
    case = await new_case(client, desk, received_on="2026-11-27", kind="denunciation", title="Tố cáo khác")
    assert case["due"] == _DUE_MON_OFF


async def test_a_deadline_setting_written_by_another_session_is_used_next(client, db, make_user):
    _, desk = await make_user("reception", "UBND-01")
    _, handler = await make_user("handler", "UBND-01")
    first = await new_case(client, desk, location_unit_code="01", received_on="2026-11-27", kind="petition")
    first = await act(client, handler, first["id"], "accept", reason="Thụ lý")
    assert first["due_rule"] == "petition.resolution"  # a local default: 30 calendar days
    assert first["due"] == "2026-12-28"
    await db.session.execute(
        text(
            "INSERT INTO deadline_setting (key, days, mode, updated_at) "
            "VALUES ('petition.resolution', 5, 'calendar', CURRENT_TIMESTAMP)"
        )
    )
    await db.session.commit()
    second = await new_case(
        client, desk, location_unit_code="01", received_on="2026-11-27", kind="petition", title="Kiến nghị khác"
    )
    second = await act(client, handler, second["id"], "accept", reason="Thụ lý")
    assert second["due"] == "2026-12-02"  # 5 calendar days from Fri 27 Nov


async def test_a_routing_rule_written_by_another_session_steers_the_next_suggestion(client, db, make_user):
    _, desk = await make_user("reception", "MTTQ-01")
    plain = await new_case(client, desk)
    assert plain["suggested_org"]["code"] != "TTR-01"
    await db.session.execute(
        text("INSERT INTO routing_rule (org_code, priority, created_at) VALUES ('TTR-01', 100, CURRENT_TIMESTAMP)")
    )
    await db.session.commit()
    routed = await new_case(client, desk, title="Khiếu nại khác")
    assert routed["suggested_org"]["code"] == "TTR-01"


@pytest.mark.parametrize(
    ("table", "write", "undo"),
    [
        (
            "calendar_override",
            "INSERT INTO calendar_override (day, working, note) VALUES ('2027-01-04', false, '')",
            "DELETE FROM calendar_override WHERE day = '2027-01-04'",
        ),
        (
            "deadline_setting",
            "INSERT INTO deadline_setting (key, days, mode, updated_at) VALUES ('x', 5, 'working', CURRENT_TIMESTAMP)",
            "UPDATE deadline_setting SET days = 6 WHERE key = 'x'",
        ),
        (
            "routing_rule",
            "INSERT INTO routing_rule (org_code, priority, created_at) VALUES ('UBND-01', 1, CURRENT_TIMESTAMP)",
            "DELETE FROM routing_rule WHERE org_code = 'UBND-01' AND priority = 1",
        ),
    ],
)
async def test_every_write_to_an_admin_table_gives_a_new_stamp(db, table, write, undo):
    seen = {await _stamp(db.session)}
    await db.session.execute(text(write))
    seen.add(await _stamp(db.session))
    await db.session.execute(text(undo))
    seen.add(await _stamp(db.session))
    assert len(seen) == 3, table  # never a value seen before: an undo is not the old state's stamp


async def test_a_transition_writes_its_case_once(client, engine_db, make_user):
    """The query for the case's open obligations no longer flushes half of the action first."""
    _, desk = await make_user("reception", "UBND-01")
    _, handler = await make_user("handler", "UBND-01")
    case = await new_case(client, desk, location_unit_code="01")
    updates: list[str] = []

    def _grab(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE CASE_FILE"):
            updates.append(statement)

    event.listen(engine_db.engine.sync_engine, "before_cursor_execute", _grab)
    try:
        accepted = await act(client, handler, case["id"], "accept", reason="Đủ điều kiện")
    finally:
        event.remove(engine_db.engine.sync_engine, "before_cursor_execute", _grab)
    assert accepted["status"] == "accepted" and accepted["assigned_org"]["code"] == "UBND-01"
    assert len(updates) == 1, updates


async def test_withdrawing_everything_cancels_each_obligation_once(client, make_user):
    """`withdraw` closes and starts obligations in its handler, then looks at the open ones again
    after it: without a flush in between, that second look must see what the first one did (the
    same record as when the query flushed first)."""
    _, desk = await make_user("reception", "UBND-01")
    _, handler = await make_user("handler", "UBND-01")
    case = await new_case(client, desk, location_unit_code="01", kind="denunciation", received_on="2026-11-27")
    await act(client, handler, case["id"], "accept", reason="Đủ điều kiện")
    out = await act(client, handler, case["id"], "withdraw", reason="Rút toàn bộ")
    assert out["status"] == "withdrawn"
    history = (await client.get(f"/api/v1/cases/{case['id']}/history", headers=handler)).json()["items"]
    changes = history[-1]["changes"]
    assert changes["obligations"] == {
        "cancelled": ["tc29_notify_acceptance"],
        "started": [{"key": "tc34_send_termination", "due": "2026-12-04"}],
    }
    assert [(o["key"], o["cancelled_on"]) for o in out["obligations"]] == [
        ("tc29_notify_acceptance", "2026-11-27"),
        ("tc34_send_termination", None),
    ]
    # the response's list (kept from the action's own look-up) is the one a read gives
    got = (await client.get(f"/api/v1/cases/{case['id']}", headers=handler)).json()
    assert out["obligations"] == got["obligations"]


async def test_the_chain_refuses_to_commit_what_seal_hashes_otherwise(db, is_postgres, monkeypatch):
    """PostgreSQL hashes the events it appends (`audit_append`); the commit goes on only if `seal`
    reaches the same head hash here: a difference rolls the whole transaction back."""
    if not is_postgres:
        pytest.skip("the one-call append is PostgreSQL's")
    from app.models.audit import AuditEvent

    session = db.maker()
    before = (await session.execute(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))).scalar()
    await session.rollback()
    await audit.record(session, actor=None, action="test.mismatch", entity="case", entity_id=1)
    monkeypatch.setattr(audit, "compute_hash", lambda ev: "0" * 64)
    with pytest.raises(audit.ChainMismatch):
        await session.commit()
    await session.close()
    monkeypatch.undo()
    after = (await db.session.execute(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))).scalar()
    assert after == before
    assert (await audit.verify(db.session)).ok


async def test_a_disabled_caller_is_refused_at_once(client, db, make_user):
    """The caller is read per request, never kept: deactivation takes effect on the next one."""
    user, desk = await make_user("reception", "MTTQ-01")
    await new_case(client, desk)
    await db.session.execute(text("UPDATE app_user SET is_active = false WHERE id = :i"), {"i": user.id})
    await db.session.commit()
    assert_problem(await client.post("/api/v1/cases", json={}, headers=desk), 401)
