"""Settings from the environment (pydantic-settings).

Outside development the service refuses to start with a missing, short or default secret:
a forged token would let anyone read a denouncer's identity.
"""
from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-insecure-secret-change-me-please-0123456789"
DEFAULT_DB_PATH = Path("data") / "petitions.db"
MIN_SECRET_BYTES = 32


class InsecureSettings(RuntimeError):
    """Raised at start-up when the configuration is unsafe for the environment."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    app_env: Literal["development", "test", "production", "staging"] = Field(
        "development", description="`development` allows the built-in secret; anything else does not."
    )
    database_url: str = Field(
        f"sqlite+aiosqlite:///./{DEFAULT_DB_PATH.as_posix()}",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db",
    )
    db_echo: bool = False
    db_pool_size: int = 10
    sqlite_busy_timeout_ms: int = 15000

    jwt_secret: str = DEV_SECRET
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    jwt_issuer: str = "hanoi-petitions"
    jwt_audience: str = "hanoi-petitions-api"
    access_token_minutes: int = Field(60, ge=1, le=24 * 60)

    pin_hmac_key: str | None = Field(
        None, description="the key tracking PINs are checked under (HMAC-SHA256), kept outside the database; "
                          "unset: derived from JWT_SECRET (then rotating JWT_SECRET invalidates every PIN)")

    login_max_failures: int = Field(5, ge=1, description="failed logins per username+address per window")
    login_window_seconds: int = Field(300, ge=1)
    login_max_per_address: int = Field(50, ge=1, description="login attempts per address per window")

    log_level: str = "INFO"
    log_json: bool = True

    @model_validator(mode="after")
    def _refuse_insecure_secret(self) -> "Settings":
        if self.app_env in ("development", "test"):
            return self
        problems = []
        if not self.jwt_secret:
            problems.append("JWT_SECRET is missing")
        elif self.jwt_secret == DEV_SECRET:
            problems.append("JWT_SECRET is the built-in development value")
        elif len(self.jwt_secret.encode()) < MIN_SECRET_BYTES:
            problems.append(f"JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes")
        if self.pin_hmac_key is not None and len(self.pin_hmac_key.encode()) < MIN_SECRET_BYTES:
            problems.append(f"PIN_HMAC_KEY is shorter than {MIN_SECRET_BYTES} bytes")
        if problems:
            raise InsecureSettings(
                f"refusing to start with APP_ENV={self.app_env}: " + "; ".join(problems)
                + ". Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        return self

    @property
    def pin_key(self) -> bytes:
        """The tracking PINs' HMAC key: PIN_HMAC_KEY, else one derived from JWT_SECRET (a distinct
        key for a distinct purpose; a stolen database alone reveals no PIN either way)."""
        if self.pin_hmac_key:
            return self.pin_hmac_key.encode()
        return hmac.new(self.jwt_secret.encode(), b"hanoi-petitions/tracking-pin/v1", hashlib.sha256).digest()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
