"""Health, readiness, metrics and logs, as the engineer on call sees them."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from app.config import Settings
from app.migrations import head_revision, upgrade
from tests.conftest import standalone_client


async def test_healthz(client):
    resp = await client.get("/healthz")
    assert resp.status_code == 200 and resp.json() == {"status": "ok"}


async def test_readyz_when_migrated(client):
    resp = await client.get("/readyz")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "ok" and body["revision"] == head_revision() == body["expected_revision"]


async def _readyz(settings: Settings) -> httpx.Response:
    async with standalone_client(settings) as c:
        return await c.get("/readyz")


async def test_readyz_503_on_an_empty_database(tmp_path):
    resp = await _readyz(
        Settings(app_env="test", database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", _env_file=None)
    )
    assert resp.status_code == 503
    assert resp.json()["status"] == "unavailable" and resp.json()["expected_revision"] == head_revision()


@pytest.mark.skipif(head_revision() == "0001", reason="needs a migration after the first")
async def test_readyz_503_when_migrations_are_behind(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    await asyncio.to_thread(upgrade, url, "0001")
    resp = await _readyz(Settings(app_env="test", database_url=url, _env_file=None))
    assert resp.status_code == 503
    assert resp.json()["revision"] == "0001" and resp.json()["expected_revision"] == head_revision()


async def test_readyz_503_when_the_database_is_unreachable():
    resp = await _readyz(
        Settings(app_env="test", database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none", _env_file=None)
    )
    assert resp.status_code == 503 and resp.json()["status"] == "unavailable"


def _counter(text: str, route: str, status: str, method: str = "GET") -> float:
    prefix = f'http_requests_total{{method="{method}",route="{route}",status="{status}"}} '
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return 0.0


async def test_metrics_count_requests_by_route_template(client, admin_headers):
    before = (await client.get("/metrics")).text
    for code in ("00070", "00073", "99999"):
        await client.get(f"/api/v1/units/{code}", headers=admin_headers)
    await client.get("/api/v1/no/such/path/123")
    resp = await client.get("/metrics")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    after = resp.text
    assert _counter(after, "/api/v1/units/{code}", "200") - _counter(before, "/api/v1/units/{code}", "200") == 2
    assert _counter(after, "/api/v1/units/{code}", "404") - _counter(before, "/api/v1/units/{code}", "404") == 1
    assert _counter(after, "unmatched", "404") - _counter(before, "unmatched", "404") == 1
    routes = set(re.findall(r'route="([^"]*)"', after))
    for raw in ("00070", "00073", "99999", "/no/such/path"):
        # raw paths would leak identifiers and grow the label set without bound
        assert not any(raw in route for route in routes), routes
    assert "http_request_duration_seconds_bucket" in after


def _audit_counter(text: str, action: str) -> float:
    prefix = f'audit_events_total{{action="{action}"}} '
    return next((float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix)), 0.0)


async def test_metrics_count_committed_audit_events(client, admin_headers):
    before = (await client.get("/metrics")).text
    body = {"code": "SO-METRIC", "name": "Sở đo đếm", "kind": "department", "unit_code": "01"}
    assert (await client.post("/api/v1/organizations", json=body, headers=admin_headers)).status_code == 201
    assert (await client.post("/api/v1/organizations", json=body, headers=admin_headers)).status_code == 409
    after = (await client.get("/metrics")).text
    assert _audit_counter(after, "organization.create") - _audit_counter(before, "organization.create") == 1


async def test_one_json_log_line_per_request(client, admin_headers, json_log):
    resp = await client.get("/api/v1/units/00070", headers={**admin_headers, "X-Request-ID": "trace-me-123"})
    assert resp.status_code == 200
    [line] = json_log.lines("app.access")
    assert line["request_id"] == "trace-me-123"
    assert line["route"] == "/api/v1/units/{code}" and line["status"] == 200 and line["method"] == "GET"
    assert line["duration_ms"] >= 0 and isinstance(line["user_id"], int)
    assert line["level"] == "INFO" and line["ts"].endswith("Z")


async def test_logs_carry_no_query_string_and_no_body(client, admin_headers, json_log, make_user):
    name, password = "Nguyễn Văn A", "mật-khẩu-bí-mật-123"
    await client.get("/api/v1/units", params={"q": name}, headers=admin_headers)
    await client.get("/api/v1/organizations", params={"q": name}, headers=admin_headers)
    created = await client.post(
        "/api/v1/users",
        headers=admin_headers,
        json={"username": "nguyen.van.a", "password": password, "full_name": name, "role": "handler", "org": "UBND-01"},
    )
    assert created.status_code == 201
    await client.post(
        "/api/v1/users",
        headers=admin_headers,
        json={"username": "nguyen.van.b", "password": "short", "full_name": name, "role": "handler", "org": "UBND-01"},
    )
    await client.post("/api/v1/auth/token", data={"username": "nguyen.van.a", "password": "wrong-" + password})
    await client.post("/api/v1/auth/token", data={"username": "nguyen.van.a", "password": password})
    # what the service logged (the test's own HTTP client logs the URLs it calls)
    text = "\n".join(map(str, (line for line in json_log.lines() if not line["logger"].startswith("httpx"))))
    assert len(json_log.lines("app.access")) == 6
    for secret in (name, "Nguy", "q=", password, "short", "nguyen.van"):
        assert secret not in text, f"{secret!r} reached the logs"
    routes = [line["route"] for line in json_log.lines("app.access")]
    assert routes == [
        "/api/v1/units",
        "/api/v1/organizations",
        "/api/v1/users",
        "/api/v1/users",
        "/api/v1/auth/token",
        "/api/v1/auth/token",
    ]
    assert [line["status"] for line in json_log.lines("app.access")] == [200, 200, 201, 422, 401, 200]
