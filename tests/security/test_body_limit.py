"""Request bodies over MAX_BODY_BYTES (1 MB by default) are refused with 413 while they stream in,
before anything parses them and before authentication."""

from __future__ import annotations

import json

from tests.conftest import assert_problem

LIMIT = 1024 * 1024


def _json_of_size(n: int) -> bytes:
    head = b'{"title": "'
    tail = b'"}'
    return head + b"x" * (n - len(head) - len(tail)) + tail


async def _chunks(body: bytes, size: int = 64 * 1024):
    for i in range(0, len(body), size):
        yield body[i : i + size]


async def test_a_body_just_over_the_limit_with_content_length_is_413(client, settings):
    assert settings.max_body_bytes == LIMIT
    body = _json_of_size(LIMIT + 1)
    resp = await client.post("/api/v1/cases", content=body, headers={"Content-Type": "application/json"})
    problem = assert_problem(resp, 413)
    assert str(LIMIT) in problem["detail"] and problem["request_id"]


async def test_a_chunked_body_just_over_the_limit_is_413(client):
    body = _json_of_size(LIMIT + 1)
    resp = await client.post("/api/v1/cases", content=_chunks(body), headers={"Content-Type": "application/json"})
    assert "content-length" not in {k.lower() for k in resp.request.headers}
    assert_problem(resp, 413)


async def test_a_chunked_body_over_the_limit_is_413_even_when_authenticated(client, make_user):
    _, headers = await make_user("reception", "MTTQ-01")
    body = _json_of_size(LIMIT + 1)
    resp = await client.post(
        "/api/v1/cases", content=_chunks(body), headers={**headers, "Content-Type": "application/json"}
    )
    assert_problem(resp, 413)


async def test_a_login_form_over_the_limit_is_413(client):
    resp = await client.post(
        "/api/v1/auth/token",
        content=_chunks(b"username=a&password=" + b"p" * LIMIT),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_problem(resp, 413)


async def test_a_body_at_the_limit_is_read_as_usual(client):
    body = _json_of_size(LIMIT)
    assert len(body) == LIMIT and json.loads(body)
    resp = await client.post("/api/v1/cases", content=_chunks(body), headers={"Content-Type": "application/json"})
    assert_problem(resp, 401)  # parsed, then refused for want of a token: not a 413
