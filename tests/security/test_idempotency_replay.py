"""An Idempotency-Key replay answers who the caller is now (B5): a caller who may no longer see the
case or act gets no replay; stored responses expire after IDEMPOTENCY_TTL_HOURS and are purged."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import timedelta

from sqlalchemy import select, update

from app.migrations import upgrade
from app.models.base import utcnow
from app.models.cases import IdempotencyRecord
from tests.api.casekit import case_body
from tests.conftest import TEST_PASSWORD, assert_problem, petitions_command


async def _login(client, username: str) -> dict[str, str]:
    resp = await client.post("/api/v1/auth/token", data={"username": username, "password": TEST_PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


async def test_no_intake_replay_once_the_case_is_outside_the_callers_jurisdiction(client, make_user, admin_headers):
    user, _ = await make_user("reception", "MTTQ-00070", username="desk.moves")
    desk = await _login(client, "desk.moves")
    key = {"Idempotency-Key": "intake-moved-1"}
    first = await client.post("/api/v1/cases", json=case_body(), headers={**desk, **key})
    assert first.status_code == 201 and first.json()["tracking"]
    moved = await client.patch(f"/api/v1/users/{user.id}", headers=admin_headers, json={"org": "MTTQ-00167"})
    assert moved.status_code == 200
    desk = await _login(client, "desk.moves")
    again = await client.post("/api/v1/cases", json=case_body(), headers={**desk, **key})
    problem = assert_problem(again, 403)
    assert first.json()["tracking"]["pin"] not in again.text and "Idempotency-Replayed" not in again.headers
    assert "jurisdiction" in problem["detail"]


async def test_no_transition_replay_for_a_role_that_may_no_longer_act(client, make_user, admin_headers):
    user, _ = await make_user("reception", "MTTQ-00070", username="desk.promoted")
    desk = await _login(client, "desk.promoted")
    cid = (await client.post("/api/v1/cases", json=case_body(), headers=desk)).json()["id"]
    headers = {"Idempotency-Key": "fwd-promoted", "If-Match": '"1"'}
    body = {"action": "forward", "to_org": "UBND-00070"}
    t1 = await client.post(f"/api/v1/cases/{cid}/transitions", json=body, headers={**desk, **headers})
    assert t1.status_code == 200, t1.text
    same = await client.post(f"/api/v1/cases/{cid}/transitions", json=body, headers={**desk, **headers})
    assert same.status_code == 200 and same.headers.get("Idempotency-Replayed") == "true"
    await client.patch(f"/api/v1/users/{user.id}", headers=admin_headers, json={"role": "supervisor"})
    watcher = await _login(client, "desk.promoted")
    assert (await client.get(f"/api/v1/cases/{cid}", headers=watcher)).status_code == 200  # still sees it
    again = await client.post(f"/api/v1/cases/{cid}/transitions", json=body, headers={**watcher, **headers})
    assert_problem(again, 403)


async def test_a_stored_response_expires_and_the_key_is_unused_again(client, make_user, db, settings):
    assert settings.idempotency_ttl_hours == 24
    user, desk = await make_user("reception", "MTTQ-00070")
    key = {"Idempotency-Key": "intake-old-1"}
    first = await client.post("/api/v1/cases", json=case_body(), headers={**desk, **key})
    await client.post("/api/v1/cases", json=case_body(title="Khác"), headers={**desk, "Idempotency-Key": "other"})
    fresh = await client.post("/api/v1/cases", json=case_body(), headers={**desk, **key})
    assert fresh.headers.get("Idempotency-Replayed") == "true"  # 0 h old: replayed

    await db.session.execute(
        update(IdempotencyRecord)
        .where(IdempotencyRecord.user_id == user.id)
        .values(created_at=utcnow() - timedelta(hours=24, minutes=1))
    )
    await db.session.commit()
    again = await client.post("/api/v1/cases", json=case_body(), headers={**desk, **key})
    assert again.status_code == 201 and "Idempotency-Replayed" not in again.headers
    assert again.json()["id"] != first.json()["id"]  # a new case: the old response is gone
    # storing it purged this user's other expired key too
    keys = (
        (
            await db.session.execute(
                select(IdempotencyRecord.key)
                .where(IdempotencyRecord.user_id == user.id)
                .execution_options(populate_existing=True)
            )
        )
        .scalars()
        .all()
    )
    assert keys == ["intake-old-1"]


def test_petitions_idempotency_purge_deletes_expired_responses(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'idem.db'}"
    upgrade(url)
    import sqlite3

    con = sqlite3.connect(tmp_path / "idem.db")
    now = utcnow()
    for i, age in enumerate((timedelta(hours=1), timedelta(hours=25), timedelta(days=3))):
        con.execute(
            "INSERT INTO idempotency_record (user_id, key, scope, request_hash, status_code, response, "
            "created_at) VALUES (1, ?, 'POST /x', 'h', 201, '{}', ?)",
            (f"k{i}", (now - age).strftime("%Y-%m-%d %H:%M:%S.%f")),
        )
    con.commit()
    env = {k: v for k, v in os.environ.items() if k not in ("JWT_SECRET", "APP_ENV", "TEST_DATABASE_URL")}
    env["DATABASE_URL"] = url
    proc = subprocess.run(
        petitions_command() + ["idempotency", "purge"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {"purged": 2}
    assert [r[0] for r in con.execute("SELECT key FROM idempotency_record")] == ["k0"]
    con.close()
