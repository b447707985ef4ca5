"""X-Forwarded-For is believed only from the addresses in TRUSTED_PROXIES (none by default), so a
rotating X-Forwarded-For does not reset the login limit; `petitions serve` does not let uvicorn
trust anyone on its own."""

from __future__ import annotations

import httpx
import pytest
from typer.testing import CliRunner

from tests.conftest import assert_problem


def _client(app, peer: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, client=(peer, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@pytest.fixture
def app_with(app, db, settings):
    """An app over the test's database with other settings."""
    from app.main import create_app

    def _make(**over):
        other = create_app(settings.model_copy(update=over), configure_logs=False)
        other.state.db = app.state.db
        return other

    return _make


async def _bad_logins(c, n: int, forwarded) -> list[int]:
    codes = []
    for i in range(n):
        resp = await c.post(
            "/api/v1/auth/token",
            data={"username": "victim", "password": "wrong-password"},
            headers={"X-Forwarded-For": forwarded(i)},
        )
        codes.append(resp.status_code)
    return codes


async def test_by_default_a_rotating_forwarded_for_does_not_reset_the_login_limit(app_with, make_user):
    await make_user("handler", username="victim")
    app = app_with()
    async with _client(app) as c:
        codes = await _bad_logins(c, 7, lambda i: f"198.51.100.{i}")
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]


async def test_from_a_trusted_proxy_the_forwarded_client_is_limited(app_with, make_user):
    await make_user("handler", username="victim")
    app = app_with(trusted_proxies="127.0.0.1, 10.0.0.0/8")
    async with _client(app) as c:
        # the client rotates what it sends; the proxy appends the address it saw: still one client
        codes = await _bad_logins(c, 6, lambda i: f"198.51.100.{i}, 203.0.113.9")
        assert codes[5] == 429
        # another client behind the same proxy has its own limit
        other = await c.post(
            "/api/v1/auth/token",
            data={"username": "victim", "password": "wrong-password"},
            headers={"X-Forwarded-For": "203.0.113.10"},
        )
        assert other.status_code == 401
    async with _client(app, peer="192.0.2.1") as c:  # not a trusted proxy: its header is ignored
        codes = await _bad_logins(c, 6, lambda i: f"203.0.113.{100 + i}")
        assert codes[5] == 429


async def test_metrics_see_the_forwarded_client(app_with):
    app = app_with(trusted_proxies="127.0.0.1")
    async with _client(app) as c:
        assert_problem(await c.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}), 403)


def test_serve_does_not_let_uvicorn_trust_forwarded_headers(monkeypatch):
    import uvicorn

    from app import cli
    from app.config import get_settings

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    monkeypatch.setenv("APP_ENV", "test")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.cli, ["serve", "--port", "8123"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert seen["proxy_headers"] is False and "forwarded_allow_ips" not in seen
