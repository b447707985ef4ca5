"""The hash-chained audit trail: every write appends a linked event; the database refuses edits;
any edit, removal or truncation that gets past it anyway is named by verification."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from app.models.audit import AuditEvent
from app.services import audit as audit_service
from tests.conftest import assert_problem


async def chain(db) -> list[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.seq).execution_options(populate_existing=True)
    return list((await db.session.execute(stmt)).scalars())


async def add_orgs(client, headers, n: int) -> None:
    for i in range(n):
        body = {"code": f"SO-AUDIT-{i}", "name": f"Sở thử nghiệm {i}", "kind": "department", "unit_code": "01"}
        assert (await client.post("/api/v1/organizations", json=body, headers=headers)).status_code == 201


async def verify(client, headers, **params) -> dict:
    resp = await client.get("/api/v1/audit/verify", params=params, headers=headers)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def bypass_append_only_guards(db, is_postgres: bool) -> None:
    """What an attacker with database access does first. Only inside this test's transaction,
    which is rolled back at the end."""
    if is_postgres:
        await db.session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        await db.session.execute(text("DROP TRIGGER audit_event_no_update"))
        await db.session.execute(text("DROP TRIGGER audit_event_no_delete"))


async def test_each_write_appends_an_event_chained_to_the_previous_one(client, admin_headers, db):
    before = await chain(db)
    head = before[-1]
    org = await client.post(
        "/api/v1/organizations",
        headers=admin_headers,
        json={"code": "SO-XD", "name": "Sở Xây dựng", "kind": "department", "unit_code": "01"},
    )
    unit = await client.post(
        "/api/v1/units",
        headers=admin_headers,
        json={"code": "002", "name": "Quận Hoàn Kiếm", "level": "district", "parent_code": "01"},
    )
    user = await client.post(
        "/api/v1/users",
        headers=admin_headers,
        json={"username": "le.van", "password": "a-long-password-1", "role": "handler", "org": "SO-XD"},
    )
    patch = await client.patch(
        f"/api/v1/users/{user.json()['id']}", headers=admin_headers, json={"full_name": "Lê Văn"}
    )
    responses = [org, unit, user, patch]
    assert [r.status_code for r in responses] == [201, 201, 201, 200]

    new = (await chain(db))[len(before) :]
    assert [e.action for e in new] == ["organization.create", "unit.create", "user.create", "user.update"]
    assert [e.seq for e in new] == list(range(head.seq + 1, head.seq + 5))
    prev = head.hash
    for ev, resp in zip(new, responses, strict=False):
        assert ev.prev_hash == prev
        assert ev.hash == audit_service.compute_hash(ev) and len(ev.hash) == 64
        assert (ev.actor, ev.role, ev.org) == (ev.actor, "admin", "UBND-01") and ev.actor.startswith("admin")
        assert ev.request_id == resp.headers["x-request-id"]
        prev = ev.hash

    result = await verify(client, admin_headers)
    assert result == {
        **result,
        "ok": True,
        "first_bad_seq": None,
        "events_checked": head.seq + 4,
        "head_seq": head.seq + 4,
        "head_hash": prev,
    }


async def test_events_are_listed_for_an_admin_oldest_first(client, admin_headers, db):
    await add_orgs(client, admin_headers, 2)
    body = (await client.get("/api/v1/audit?action=organization.create", headers=admin_headers)).json()
    assert [e["entity_id"] for e in body["items"]] == sorted((e["entity_id"] for e in body["items"]), key=int)
    ev = body["items"][-1]
    assert set(ev) >= {
        "seq",
        "at",
        "actor",
        "role",
        "org",
        "action",
        "entity",
        "entity_id",
        "from_status",
        "to_status",
        "changes",
        "reason",
        "hash",
        "prev_hash",
    }
    assert ev["at"].endswith(("Z", "+00:00"))


async def test_the_database_refuses_to_update_or_delete_events(db, is_postgres):
    statements = ["UPDATE audit_event SET reason = 'rewritten' WHERE seq = 1", "DELETE FROM audit_event WHERE seq = 1"]
    if is_postgres:
        statements.append("TRUNCATE audit_event")
    for sql in statements:
        with pytest.raises(DBAPIError, match="append-only"):
            await db.session.execute(text(sql))
        await db.session.rollback()
    assert (await chain(db))[0].seq == 1


async def test_verify_names_an_event_whose_changes_were_edited(client, admin_headers, db, is_postgres):
    await add_orgs(client, admin_headers, 4)
    events = await chain(db)
    victim = events[-3]
    await bypass_append_only_guards(db, is_postgres)
    await db.session.execute(
        update(AuditEvent).where(AuditEvent.seq == victim.seq).values(changes={**victim.changes, "name": "Sở khác"})
    )
    await db.session.commit()
    result = await verify(client, admin_headers)
    assert result["ok"] is False and result["first_bad_seq"] == victim.seq
    assert result["events_checked"] == victim.seq - 1
    assert "hash" in result["detail"]


async def test_verify_names_an_event_whose_reason_was_edited(client, admin_headers, db, is_postgres):
    await add_orgs(client, admin_headers, 3)
    victim = (await chain(db))[-2]
    await bypass_append_only_guards(db, is_postgres)
    await db.session.execute(update(AuditEvent).where(AuditEvent.seq == victim.seq).values(reason="đã sửa"))
    await db.session.commit()
    assert (await verify(client, admin_headers))["first_bad_seq"] == victim.seq


async def test_a_rehashed_edit_breaks_the_next_link(client, admin_headers, db, is_postgres):
    """Editing an event and recomputing its own hash is not enough: the next event points at the old one."""
    await add_orgs(client, admin_headers, 3)
    victim = (await chain(db))[-2]
    db.session.expunge(victim)
    victim.reason = "đã sửa"
    forged = audit_service.compute_hash(victim)
    await bypass_append_only_guards(db, is_postgres)
    await db.session.execute(
        update(AuditEvent).where(AuditEvent.seq == victim.seq).values(reason="đã sửa", hash=forged)
    )
    await db.session.commit()
    result = await verify(client, admin_headers)
    assert result["first_bad_seq"] == victim.seq + 1 and "prev_hash" in result["detail"]


async def test_verify_names_a_removed_middle_event(client, admin_headers, db, is_postgres):
    await add_orgs(client, admin_headers, 4)
    victim = (await chain(db))[-3]
    await bypass_append_only_guards(db, is_postgres)
    await db.session.execute(delete(AuditEvent).where(AuditEvent.seq == victim.seq))
    await db.session.commit()
    result = await verify(client, admin_headers)
    assert result["ok"] is False and result["first_bad_seq"] == victim.seq
    assert "missing" in result["detail"]


async def test_removing_the_newest_events_is_caught_by_an_exported_head(client, admin_headers, db, is_postgres):
    await add_orgs(client, admin_headers, 3)
    head = (await client.get("/api/v1/audit/head", headers=admin_headers)).json()
    last = (await chain(db))[-1]
    assert (head["seq"], head["hash"]) == (last.seq, last.hash)
    assert (await verify(client, admin_headers, head_seq=head["seq"], head_hash=head["hash"]))["ok"] is True

    await bypass_append_only_guards(db, is_postgres)
    await db.session.execute(delete(AuditEvent).where(AuditEvent.seq >= head["seq"] - 1))
    await db.session.commit()
    # the chain alone cannot see a cut tail ...
    assert (await verify(client, admin_headers))["ok"] is True
    # ... the head kept outside the database can
    result = await verify(client, admin_headers, head_seq=head["seq"], head_hash=head["hash"])
    assert result["ok"] is False and result["first_bad_seq"] == head["seq"] - 1
    assert result["head_seq"] == head["seq"] - 2


async def test_a_rewritten_tail_is_caught_by_an_exported_head(client, admin_headers, db, is_postgres):
    """Remove the newest event and append a well-formed forgery in its place: the chain is valid,
    the exported head is not."""
    await add_orgs(client, admin_headers, 2)
    head = (await client.get("/api/v1/audit/head", headers=admin_headers)).json()
    await bypass_append_only_guards(db, is_postgres)
    await db.session.execute(delete(AuditEvent).where(AuditEvent.seq == head["seq"]))
    await audit_service.record(
        db.session,
        actor=None,
        action="organization.create",
        entity="organization",
        entity_id="999",
        changes={"code": "SO-GIA"},
    )
    await db.session.commit()
    assert (await verify(client, admin_headers))["ok"] is True
    result = await verify(client, admin_headers, head_seq=head["seq"], head_hash=head["hash"])
    assert result["ok"] is False and result["first_bad_seq"] == head["seq"]


async def test_head_parameters_are_validated(client, admin_headers):
    assert_problem(
        await client.get("/api/v1/audit/verify?head_seq=1&head_hash=xyz", headers=admin_headers), 422, "head_hash"
    )
    assert_problem(
        await client.get("/api/v1/audit/verify?head_seq=0&head_hash=" + "a" * 64, headers=admin_headers),
        422,
        "head_seq",
    )
    # half a head would check nothing while looking like it did
    assert_problem(await client.get("/api/v1/audit/verify?head_seq=5", headers=admin_headers), 422, "head_hash")
    assert_problem(
        await client.get("/api/v1/audit/verify?head_hash=" + "a" * 64, headers=admin_headers), 422, "head_seq"
    )


@pytest.mark.parametrize("role,status", [("admin", 200), ("supervisor", 200), ("reception", 403), ("handler", 403)])
async def test_who_may_verify_the_chain(client, make_user, role, status):
    _, headers = await make_user(role, "MTTQ-01")
    resp = await client.get("/api/v1/audit/verify", headers=headers)
    if status == 200:
        assert resp.status_code == 200 and resp.json()["ok"] is True
    else:
        assert_problem(resp, status)
    head = await client.get("/api/v1/audit/head", headers=headers)
    assert head.status_code == status


async def test_audit_needs_a_token(client):
    for path in ("/api/v1/audit/verify", "/api/v1/audit/head", "/api/v1/audit"):
        assert_problem(await client.get(path), 401)
