"""A token carries the user's token version: changing the password, role, organisation or active
flag revokes the tokens issued before (decision 0013). A token whose claims are not database
integers is a 401, never a 500."""

from __future__ import annotations

import time

import pytest
from jose import jwt

from tests.conftest import TEST_PASSWORD, assert_problem


async def _login(client, username: str, password: str = TEST_PASSWORD) -> dict[str, str]:
    resp = await client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


async def _me(client, headers) -> int:
    return (await client.get("/api/v1/auth/me", headers=headers)).status_code


@pytest.mark.parametrize(
    "change",
    [
        {"role": "supervisor"},
        {"password": "a-brand-new-password-2026"},
        {"org": "UBND-00070"},
        {"is_active": False},
    ],
)
async def test_a_change_revokes_the_tokens_already_issued(client, make_user, admin_headers, change):
    user, _ = await make_user("handler", "UBND-01", username="revoke.me")
    old = await _login(client, "revoke.me")
    assert await _me(client, old) == 200
    resp = await client.patch(f"/api/v1/users/{user.id}", headers=admin_headers, json=change)
    assert resp.status_code == 200, resp.text
    assert_problem(await client.get("/api/v1/auth/me", headers=old), 401)
    if change != {"is_active": False}:
        password = change.get("password", TEST_PASSWORD)
        assert await _me(client, await _login(client, "revoke.me", password)) == 200  # a new login works


async def test_reactivation_does_not_revive_old_tokens(client, make_user, admin_headers):
    user, _ = await make_user("handler", "UBND-01", username="comes.back")
    old = await _login(client, "comes.back")
    for active in (False, True):
        assert (
            await client.patch(f"/api/v1/users/{user.id}", headers=admin_headers, json={"is_active": active})
        ).status_code == 200
    assert_problem(await client.get("/api/v1/auth/me", headers=old), 401)
    assert await _me(client, await _login(client, "comes.back")) == 200


async def test_a_name_change_keeps_the_tokens(client, make_user, admin_headers):
    user, _ = await make_user("handler", "UBND-01", username="keeps.token")
    old = await _login(client, "keeps.token")
    resp = await client.patch(f"/api/v1/users/{user.id}", headers=admin_headers, json={"full_name": "Tên mới"})
    assert resp.status_code == 200
    assert await _me(client, old) == 200


def _token(settings, **claims) -> dict[str, str]:
    now = int(time.time())
    base = {"iss": settings.jwt_issuer, "aud": settings.jwt_audience, "iat": now, "exp": now + 600}
    token = jwt.encode(base | claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "99999999999999999999999999"},  # SQLite: OverflowError; PostgreSQL: int4 out of range
        {"sub": "2147483648"},
        {"sub": "-1"},
        {"sub": "0"},
        {"sub": "١٢"},  # Arabic-Indic digits: int() would read them
        {"sub": 12},
    ],
)
async def test_a_token_whose_subject_is_not_a_database_integer_is_401(client, settings, claims):
    assert_problem(await client.get("/api/v1/auth/me", headers=_token(settings, **claims)), 401)


@pytest.mark.parametrize(
    "ver,status", [(0, 200), (None, 200), (1, 401), (2**40, 401), ("0", 401), (False, 401), (-1, 401)]
)
async def test_the_token_version_must_be_the_users(client, settings, make_user, ver, status):
    user, _ = await make_user("handler")
    claims = {"sub": str(user.id)} | ({} if ver is None else {"ver": ver})
    resp = await client.get("/api/v1/auth/me", headers=_token(settings, **claims))
    assert resp.status_code == status, resp.text
