"""Admin user management: passwords never leave the server, every change is audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.models.audit import AuditEvent
from tests.conftest import TEST_PASSWORD, assert_problem

NEW_PASSWORD = "Mật-khẩu-mới-2026!"


def new_user(**over):
    body = {
        "username": "nguyen.thu",
        "password": "s3cret-Passphrase!",
        "full_name": "Nguyễn Thị Thu",
        "role": "reception",
        "org": "MTTQ-00070",
    }
    body.update(over)
    return body


async def events_after(db, seq: int) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.seq > seq).order_by(AuditEvent.seq)
    return list((await db.session.execute(stmt.execution_options(populate_existing=True))).scalars())


async def head_seq(db) -> int:
    return (await db.session.execute(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))).scalar_one()


async def test_admin_creates_a_user_who_can_log_in(client, admin_headers, db):
    before = await head_seq(db)
    body = new_user()
    resp = await client.post("/api/v1/users", json=body, headers=admin_headers)
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert created["username"] == "nguyen.thu" and created["full_name"] == "Nguyễn Thị Thu"
    assert created["role"] == "reception" and created["is_active"] is True
    assert created["organization"]["code"] == "MTTQ-00070"
    assert "password" not in created and "password_hash" not in created
    assert body["password"] not in resp.text and "argon2" not in resp.text

    [ev] = await events_after(db, before)
    assert (ev.action, ev.entity, ev.entity_id) == ("user.create", "user", str(created["id"]))
    assert ev.changes == {"username": "nguyen.thu", "role": "reception", "org": "MTTQ-00070"}
    stored = json.dumps(ev.changes, ensure_ascii=False) + (ev.reason or "")
    assert body["password"] not in stored and "argon2" not in stored

    token = await client.post("/api/v1/auth/token", data={"username": "nguyen.thu", "password": body["password"]})
    assert token.status_code == 200
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.json()["organization"]["code"] == "MTTQ-00070"
    got = await client.get(f"/api/v1/users/{created['id']}", headers=admin_headers)
    assert got.json() == created


async def test_duplicate_username_is_409(client, admin_headers):
    assert (await client.post("/api/v1/users", json=new_user(), headers=admin_headers)).status_code == 201
    assert_problem(await client.post("/api/v1/users", json=new_user(role="handler"), headers=admin_headers), 409)


async def test_unknown_org_is_422_naming_org(client, admin_headers):
    assert_problem(
        await client.post("/api/v1/users", json=new_user(org="UBND-99999"), headers=admin_headers), 422, "org"
    )


async def test_short_password_is_422_and_not_echoed(client, admin_headers):
    resp = await client.post("/api/v1/users", json=new_user(password="short-pw"), headers=admin_headers)
    assert_problem(resp, 422, "password")
    assert "short-pw" not in resp.text


@pytest.mark.parametrize(
    "field,value", [("role", "superuser"), ("org", None), ("full_name", "x" * 201), ("password", None)]
)
async def test_bad_user_fields_are_422_naming_them(client, admin_headers, field, value):
    assert_problem(
        await client.post("/api/v1/users", json=new_user(**{field: value}), headers=admin_headers), 422, field
    )


@pytest.mark.parametrize("username", ["a b", "xy", "tên.người.dùng", "x" * 65])
async def test_username_outside_the_pattern_is_422(client, admin_headers, username):
    assert_problem(
        await client.post("/api/v1/users", json=new_user(username=username), headers=admin_headers), 422, "username"
    )


async def test_list_users_with_filters_and_pagination(client, admin_headers, make_user):
    for _ in range(3):
        await make_user("handler", "UBND-00070")
    await make_user("reception", "UBND-00070")
    await make_user("handler", "UBND-00073")
    url = "/api/v1/users?org=UBND-00070&role=handler&limit=2"
    first = (await client.get(url, headers=admin_headers)).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    second = (await client.get(url + f"&cursor={first['next_cursor']}", headers=admin_headers)).json()
    assert len(second["items"]) == 1 and second["next_cursor"] is None
    users = first["items"] + second["items"]
    assert len({u["id"] for u in users}) == 3
    assert all(u["role"] == "handler" and u["organization"]["code"] == "UBND-00070" for u in users)
    everyone = (await client.get("/api/v1/users?limit=200", headers=admin_headers)).json()["items"]
    assert len(everyone) == 6  # five above and the admin
    assert all("password_hash" not in u for u in everyone)
    assert_problem(await client.get("/api/v1/users?role=king", headers=admin_headers), 422, "role")
    assert_problem(await client.get("/api/v1/users?cursor=%%%", headers=admin_headers), 422, "cursor")


async def test_patch_role_activity_and_password_is_audited(client, admin_headers, make_user, db):
    user, user_headers = await make_user("reception", "MTTQ-01", username="desk.one")
    before = await head_seq(db)
    resp = await client.patch(
        f"/api/v1/users/{user.id}",
        headers=admin_headers,
        json={"role": "handler", "password": NEW_PASSWORD, "org": "UBND-01"},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["role"] == "handler" and resp.json()["organization"]["code"] == "UBND-01"
    assert NEW_PASSWORD not in resp.text
    [ev] = await events_after(db, before)
    assert ev.action == "user.update" and ev.entity_id == str(user.id)
    assert ev.changes == {"role": {"from": "reception", "to": "handler"}, "org": "UBND-01", "password": "changed"}
    assert NEW_PASSWORD not in json.dumps(ev.changes, ensure_ascii=False)

    old = await client.post("/api/v1/auth/token", data={"username": "desk.one", "password": TEST_PASSWORD})
    assert_problem(old, 401)
    new = await client.post("/api/v1/auth/token", data={"username": "desk.one", "password": NEW_PASSWORD})
    assert new.status_code == 200

    resp = await client.patch(f"/api/v1/users/{user.id}", headers=admin_headers, json={"is_active": False})
    assert resp.status_code == 200 and resp.json()["is_active"] is False
    [ev2] = await events_after(db, ev.seq)
    assert ev2.changes == {"is_active": {"from": True, "to": False}}
    # the deactivated user's existing token stops working at once
    assert_problem(await client.get("/api/v1/auth/me", headers=user_headers), 401)


async def test_patch_with_no_change_writes_no_event(client, admin_headers, make_user, db):
    user, _ = await make_user("handler", "UBND-01")
    before = await head_seq(db)
    resp = await client.patch(f"/api/v1/users/{user.id}", headers=admin_headers, json={"role": "handler"})
    assert resp.status_code == 200
    assert await events_after(db, before) == []


async def test_patch_bad_input(client, admin_headers, make_user):
    user, _ = await make_user("handler", "UBND-01")
    url = f"/api/v1/users/{user.id}"
    assert_problem(await client.patch(url, headers=admin_headers, json={"password": "short"}), 422, "password")
    assert_problem(await client.patch(url, headers=admin_headers, json={"org": "NOPE-1"}), 422, "org")
    assert_problem(await client.patch(url, headers=admin_headers, json={"password_hash": "x"}), 422, "password_hash")
    assert_problem(await client.patch("/api/v1/users/999999", headers=admin_headers, json={"role": "admin"}), 404)


async def test_admin_cannot_deactivate_or_demote_themselves(client, make_user):
    me, headers = await make_user("admin", "UBND-01")
    assert_problem(await client.patch(f"/api/v1/users/{me.id}", headers=headers, json={"is_active": False}), 409)
    assert_problem(await client.patch(f"/api/v1/users/{me.id}", headers=headers, json={"role": "handler"}), 409)
    assert (await client.get("/api/v1/auth/me", headers=headers)).json()["role"] == "admin"
    # another admin may
    _, other = await make_user("admin", "UBND-01")
    resp = await client.patch(f"/api/v1/users/{me.id}", headers=other, json={"is_active": False})
    assert resp.status_code == 200


@pytest.mark.parametrize("role", ["reception", "handler", "supervisor"])
async def test_only_admins_manage_users(client, make_user, role):
    target, _ = await make_user("handler", "UBND-01")
    _, headers = await make_user(role, "UBND-01")
    assert_problem(await client.get("/api/v1/users", headers=headers), 403)
    assert_problem(await client.get(f"/api/v1/users/{target.id}", headers=headers), 403)
    assert_problem(await client.post("/api/v1/users", json=new_user(), headers=headers), 403)
    assert_problem(await client.patch(f"/api/v1/users/{target.id}", json={"role": "admin"}, headers=headers), 403)


async def test_user_management_needs_a_token(client):
    assert_problem(await client.get("/api/v1/users"), 401)
    assert_problem(await client.post("/api/v1/users", json=new_user()), 401)
