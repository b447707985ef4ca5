"""/metrics answers local clients only, or, with METRICS_TOKEN set, the bearer of that token."""

from __future__ import annotations

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from tests.conftest import assert_problem


def _client(app, address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(address, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.mark.parametrize("address", ["203.0.113.7", "10.1.2.3", "2001:db8::1"])
async def test_metrics_refuse_a_remote_client_by_default(address):
    app = create_app(Settings(app_env="test", _env_file=None), configure_logs=False)
    async with _client(app, address) as c:
        assert_problem(await c.get("/metrics"), 403)


async def test_metrics_refuse_a_request_forwarded_by_a_local_proxy():
    app = create_app(Settings(app_env="test", _env_file=None), configure_logs=False)
    async with _client(app) as c:
        assert_problem(await c.get("/metrics", headers={"X-Forwarded-For": "198.51.100.9"}), 403)
        ok = await c.get("/metrics")
        assert ok.status_code == 200 and "http_requests_total" in ok.text


async def test_metrics_with_a_token_require_it_from_anywhere():
    app = create_app(
        Settings(app_env="test", metrics_token="s3cret-scrape-token", _env_file=None), configure_logs=False
    )
    async with _client(app, "203.0.113.7") as c:
        assert_problem(await c.get("/metrics"), 401)
        assert_problem(await c.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401)
        ok = await c.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
        assert ok.status_code == 200 and "http_requests_total" in ok.text
    async with _client(app) as c:  # the token is required of local clients too
        assert_problem(await c.get("/metrics"), 401)
