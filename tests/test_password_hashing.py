"""Argon2 parameters are settings: production keeps the strong defaults, the tests run on cheap
ones, and a stored hash keeps verifying whatever the parameters are now."""

from __future__ import annotations

import secrets

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from pydantic import ValidationError

from app.config import InsecureSettings, Settings
from app.security import hash_password, verify_password
from tests.conftest import TEST_PASSWORD


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    for name in ("ARGON2_TIME_COST", "ARGON2_MEMORY_COST", "ARGON2_PARALLELISM", "APP_ENV", "JWT_SECRET"):
        monkeypatch.delenv(name, raising=False)


def test_production_defaults_are_argon2_cffis():
    s = Settings(_env_file=None)
    assert (s.argon2_time_cost, s.argon2_memory_cost, s.argon2_parallelism) == (3, 65536, 4)


def test_the_tests_hash_with_the_cheap_parameters(settings):
    assert (settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism) == (1, 8, 1)
    stored = hash_password("a-password-of-some-length")
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$"), stored
    assert verify_password("a-password-of-some-length", stored)
    assert not verify_password("another-password", stored)
    assert not verify_password("a-password-of-some-length", None)  # unknown user: the dummy hash


async def test_a_hash_made_with_the_production_parameters_still_logs_in(client, db, make_user):
    """Changing ARGON2_* does not lock anybody out: the stored hash names its own parameters."""
    user, _ = await make_user("reception", "MTTQ-01", username="desk.strong")
    user.password_hash = PasswordHash((Argon2Hasher(time_cost=3, memory_cost=65536, parallelism=4),)).hash(
        TEST_PASSWORD
    )
    db.session.add(user)
    await db.session.commit()
    ok = await client.post("/api/v1/auth/token", data={"username": "desk.strong", "password": TEST_PASSWORD})
    assert ok.status_code == 200, ok.text
    bad = await client.post("/api/v1/auth/token", data={"username": "desk.strong", "password": "not-the-password"})
    assert bad.status_code == 401


def test_production_refuses_test_parameters():
    with pytest.raises(InsecureSettings, match="ARGON2_MEMORY_COST is below 19456 KiB") as err:
        Settings(
            app_env="production",
            jwt_secret=secrets.token_urlsafe(48),
            argon2_memory_cost=8,
            argon2_parallelism=1,
            _env_file=None,
        )
    assert "JWT_SECRET" not in str(err.value)


def test_argon2_parameters_from_the_environment(monkeypatch):
    monkeypatch.setenv("ARGON2_MEMORY_COST", "47104")
    monkeypatch.setenv("ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ARGON2_PARALLELISM", "1")
    s = Settings(app_env="production", jwt_secret=secrets.token_urlsafe(48), _env_file=None)
    assert (s.argon2_time_cost, s.argon2_memory_cost, s.argon2_parallelism) == (1, 47104, 1)


def test_memory_must_cover_the_lanes():
    with pytest.raises(ValidationError, match="8 KiB per lane"):
        Settings(argon2_memory_cost=16, argon2_parallelism=4, _env_file=None)
