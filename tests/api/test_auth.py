"""Login, tokens and their hardening: every refusal here would be a breach if it broke."""

from __future__ import annotations

import base64
import json
import time

from jose import jwt

from app.security import create_access_token
from tests.conftest import TEST_PASSWORD, assert_problem


async def login(client, username, password=TEST_PASSWORD, ip=None):
    return await client.post("/api/v1/auth/token", data={"username": username, "password": password})


async def test_login_then_me_shows_user_role_and_organisation(client, make_user):
    user, _ = await make_user("reception", "MTTQ-01", username="desk.mttq")
    resp = await login(client, "desk.mttq")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    me = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    data = me.json()
    assert data["username"] == "desk.mttq" and data["role"] == "reception"
    assert data["organization"]["code"] == "MTTQ-01"
    assert data["organization"]["kind"] == "fatherland_front"


async def test_wrong_password_and_unknown_user_look_the_same(client, make_user):
    await make_user("handler", "UBND-00070", username="handler.hk")
    wrong = await login(client, "handler.hk", "not-the-password")
    unknown = await login(client, "nobody.here", "not-the-password")
    assert_problem(wrong, 401)
    assert_problem(unknown, 401)
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_login_form_missing_field_names_it(client):
    resp = await client.post("/api/v1/auth/token", data={"username": "x"})
    assert_problem(resp, 422, "password")


async def test_login_is_rate_limited_per_username_with_retry_after(client, make_user):
    await make_user("handler", "UBND-01", username="target.user")
    for _ in range(5):
        assert (await login(client, "target.user", "bad-password")).status_code == 401
    blocked = await login(client, "target.user", TEST_PASSWORD)  # even the right password waits
    body = assert_problem(blocked, 429)
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Try again" in body["detail"]
    # another username from the same address is not blocked by that user's failures
    await make_user("handler", "UBND-01", username="other.user")
    assert (await login(client, "other.user")).status_code == 200


async def test_inactive_user_cannot_log_in_nor_use_old_token(client, make_user, db):
    user, headers = await make_user("handler", "UBND-01", username="leaver")
    user.is_active = False
    await db.session.commit()
    assert_problem(await login(client, "leaver"), 401)
    assert_problem(await client.get("/api/v1/auth/me", headers=headers), 401)


def _b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


def _claims(settings, user_id, **over):
    now = int(time.time())
    c = {"sub": str(user_id), "iss": settings.jwt_issuer, "aud": settings.jwt_audience, "iat": now, "exp": now + 600}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


async def _me(client, token):
    return await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})


async def test_valid_handmade_token_is_accepted(client, make_user, settings):
    user, _ = await make_user("handler")
    token = jwt.encode(_claims(settings, user.id), settings.jwt_secret, algorithm="HS256")
    assert (await _me(client, token)).status_code == 200


async def test_alg_none_token_is_refused(client, make_user, settings):
    user, _ = await make_user("admin")
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(settings, user.id))}."
    assert_problem(await _me(client, token), 401)


async def test_other_algorithm_is_refused_even_with_the_right_key(client, make_user, settings):
    user, _ = await make_user("admin")
    token = jwt.encode(_claims(settings, user.id), settings.jwt_secret, algorithm="HS512")
    assert_problem(await _me(client, token), 401)


async def test_bad_signature_is_refused(client, make_user, settings):
    user, _ = await make_user("admin")
    token = jwt.encode(_claims(settings, user.id), "another-secret-another-secret-123456", algorithm="HS256")
    assert_problem(await _me(client, token), 401)


async def test_wrong_audience_or_issuer_is_refused(client, make_user, settings):
    user, _ = await make_user("admin")
    for over in ({"aud": "someone-else"}, {"iss": "someone-else"}):
        token = jwt.encode(_claims(settings, user.id, **over), settings.jwt_secret, algorithm="HS256")
        assert_problem(await _me(client, token), 401)


async def test_expired_token_is_refused(client, make_user, settings):
    user, _ = await make_user("admin")
    expired = create_access_token(settings, subject=str(user.id), now=int(time.time()) - 7200, lifetime_seconds=60)
    assert_problem(await _me(client, expired), 401)


async def test_each_required_claim_is_required(client, make_user, settings):
    user, _ = await make_user("admin")
    for missing in ("exp", "iat", "sub", "iss", "aud"):
        token = jwt.encode(_claims(settings, user.id, **{missing: None}), settings.jwt_secret, algorithm="HS256")
        resp = await _me(client, token)
        assert resp.status_code == 401, f"token without {missing} was accepted"


async def test_missing_or_garbage_bearer_is_401_with_challenge(client):
    for headers in ({}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic abc"}):
        resp = await client.get("/api/v1/auth/me", headers=headers)
        assert_problem(resp, 401)
        assert resp.headers.get("www-authenticate") == "Bearer"
