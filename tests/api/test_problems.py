"""Every error is RFC 9457 problem+json: unknown paths, wrong methods, bad input, crashes."""

from __future__ import annotations

import httpx
import pytest

from app.db import DbSession
from app.main import create_app
from tests.conftest import assert_problem


async def test_unknown_path_is_404_problem(client):
    body = assert_problem(await client.get("/api/v1/no-such-thing"), 404)
    assert body["instance"] == "/api/v1/no-such-thing"


async def test_wrong_method_is_405_problem_with_allow(client):
    resp = await client.delete("/healthz")
    body = assert_problem(resp, 405)
    assert "DELETE" in body["detail"]
    assert "GET" in resp.headers["allow"]


async def test_validation_names_each_bad_field(client, admin_headers):
    resp = await client.post(
        "/api/v1/organizations",
        headers=admin_headers,
        json={"code": "SO-TEST", "kind": "ministry_of_magic", "unit_code": "01"},
    )
    body = assert_problem(resp, 422, "kind")
    assert_problem(resp, 422, "name")
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.kind", "body.name"}, body
    assert all(e["message"] for e in body["errors"])


async def test_malformed_json_is_422_not_500(client, admin_headers):
    resp = await client.post(
        "/api/v1/organizations",
        headers={**admin_headers, "Content-Type": "application/json"},
        content=b'{"code": "SO-TEST",',
    )
    assert_problem(resp, 422)


async def test_bad_query_parameter_is_422_naming_it(client, admin_headers):
    assert_problem(await client.get("/api/v1/units?limit=0", headers=admin_headers), 422, "query.limit")
    assert_problem(await client.get("/api/v1/units?limit=201", headers=admin_headers), 422, "query.limit")
    assert_problem(await client.get("/api/v1/units?level=province", headers=admin_headers), 422, "query.level")


async def test_request_id_is_echoed_in_header_and_problem(client):
    resp = await client.get("/api/v1/nowhere", headers={"X-Request-ID": "desk-42.req_0001"})
    body = assert_problem(resp, 404)
    assert resp.headers["x-request-id"] == "desk-42.req_0001"
    assert body["request_id"] == "desk-42.req_0001"


@pytest.mark.parametrize("bad", ["short", "has space in it", "x" * 65, "semi;colon;inject"])
async def test_malformed_request_id_is_replaced_by_our_own(client, bad):
    resp = await client.get("/api/v1/nowhere", headers={"X-Request-ID": bad})
    body = assert_problem(resp, 404)
    rid = resp.headers["x-request-id"]
    assert rid != bad and len(rid) == 32
    assert body["request_id"] == rid


async def test_every_response_gets_a_fresh_request_id(client):
    a = await client.get("/healthz")
    b = await client.get("/healthz")
    assert a.headers["x-request-id"] != b.headers["x-request-id"]


@pytest.fixture
def crashing_app(settings, db, app):
    """A separate app with one throwaway route that fails the way a bug would."""
    crash = create_app(settings, configure_logs=False)
    crash.state.db = app.state.db

    @crash.get("/boom/{item}")
    async def boom(item: str) -> dict:
        raise RuntimeError(f"internal detail /srv/secret/{item} password=hunter2")

    @crash.get("/boom-in-transaction")
    async def boom_db(session: DbSession) -> dict:
        raise KeyError("internal")

    return crash


async def test_unexpected_exception_is_500_problem_without_stack_trace(crashing_app):
    transport = httpx.ASGITransport(app=crashing_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        resp = await c.get("/boom/7", headers={"X-Request-ID": "crash-test-0001"})
        body = assert_problem(resp, 500)
        for leak in ("RuntimeError", "hunter2", "/srv/secret", "Traceback", 'File "'):
            assert leak not in resp.text
        assert body["request_id"] == "crash-test-0001"
        assert resp.headers.get("x-request-id") == "crash-test-0001"
        # the service stays up after it
        assert (await c.get("/healthz")).status_code == 200
        # a failure inside a request transaction is the same 500 problem (and the transaction is rolled back)
        assert_problem(await c.get("/boom-in-transaction"), 500)


async def test_unexpected_exception_is_logged_with_its_request_id(crashing_app, json_log):
    transport = httpx.ASGITransport(app=crashing_app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        resp = await c.get("/boom/8")
    rid = resp.headers["x-request-id"]
    errors = [line for line in json_log.lines() if line["level"] == "ERROR"]
    assert len(errors) == 1, json_log.text
    assert errors[0]["request_id"] == rid
    assert errors[0]["route"] == "/boom/{item}"
    assert "RuntimeError" in errors[0]["exc"]  # the operator gets the trace; the client does not
    access = json_log.lines("app.access")
    assert [(a["status"], a["request_id"]) for a in access] == [(500, rid)]
