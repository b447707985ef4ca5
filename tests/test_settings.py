"""Outside development the service refuses to start with a secret that would let anyone forge a token."""

from __future__ import annotations

import os
import secrets
import subprocess

import pytest

from app.config import DEV_SECRET, InsecureSettings, Settings
from tests.conftest import petitions_command


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    for name in ("JWT_SECRET", "APP_ENV", "DATABASE_URL", "PIN_HMAC_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("env", ["production", "staging"])
@pytest.mark.parametrize(
    "secret,reason",
    [
        ("", "JWT_SECRET is missing"),
        (DEV_SECRET, "JWT_SECRET is the built-in development value"),
        ("x" * 31, "JWT_SECRET is shorter than 32 bytes"),
        ("đ" * 15, "JWT_SECRET is shorter than 32 bytes"),  # 30 bytes in UTF-8
    ],
)
def test_insecure_secret_is_refused_with_the_reason(env, secret, reason):
    with pytest.raises(InsecureSettings) as err:
        Settings(app_env=env, jwt_secret=secret, _env_file=None)
    assert reason in str(err.value) and f"APP_ENV={env}" in str(err.value)
    assert secret == "" or secret not in str(err.value)  # the secret itself is never printed


def test_default_secret_is_refused_when_not_given_at_all():
    with pytest.raises(InsecureSettings, match="built-in development value"):
        Settings(app_env="production", _env_file=None)


def test_a_random_48_byte_secret_is_accepted():
    secret = secrets.token_urlsafe(48)
    s = Settings(app_env="production", jwt_secret=secret, _env_file=None)
    assert s.jwt_secret == secret and s.app_env == "production"


def test_secret_from_the_environment(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("JWT_SECRET", "short")
    with pytest.raises(InsecureSettings, match="shorter than 32 bytes"):
        Settings(_env_file=None)


@pytest.mark.parametrize("env", ["development", "test"])
def test_development_and_test_allow_the_built_in_secret(env):
    assert Settings(app_env=env, _env_file=None).jwt_secret == DEV_SECRET


def test_defaults():
    s = Settings(_env_file=None)
    assert s.app_env == "development"
    assert s.database_url == "sqlite+aiosqlite:///./data/petitions.db" and s.is_sqlite
    assert s.access_token_minutes == 60 and s.jwt_algorithm == "HS256"
    assert not Settings(database_url="postgresql+asyncpg://u@h/db", _env_file=None).is_sqlite


@pytest.mark.slow
@pytest.mark.parametrize("secret,reason", [(None, "built-in development value"), ("too-short", "shorter than 32")])
def test_serve_refuses_to_start_in_production_and_says_why(tmp_path, secret, reason):
    env = {k: v for k, v in os.environ.items() if k not in ("JWT_SECRET", "DATABASE_URL")}
    env.update(APP_ENV="production", DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    if secret:
        env["JWT_SECRET"] = secret
    proc = subprocess.run(
        petitions_command() + ["serve", "--port", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert reason in proc.stderr and "refusing to start" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "p.db").exists()  # refused before touching anything


def test_a_short_pin_key_is_refused_outside_development():
    with pytest.raises(InsecureSettings, match="PIN_HMAC_KEY is shorter than 32 bytes"):
        Settings(app_env="production", jwt_secret=secrets.token_urlsafe(48), pin_hmac_key="123456", _env_file=None)


def test_the_pin_key_is_its_own_setting_or_derived_from_the_jwt_secret():
    jwt_secret = secrets.token_urlsafe(48)
    derived = Settings(app_env="production", jwt_secret=jwt_secret, _env_file=None).pin_key
    assert len(derived) == 32 and jwt_secret.encode() not in derived  # not the JWT secret itself
    assert Settings(app_env="production", jwt_secret=secrets.token_urlsafe(48), _env_file=None).pin_key != derived
    own = secrets.token_urlsafe(48)
    assert (
        Settings(app_env="production", jwt_secret=jwt_secret, pin_hmac_key=own, _env_file=None).pin_key == own.encode()
    )
