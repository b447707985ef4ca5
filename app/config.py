"""Settings from the environment (pydantic-settings).

Outside development the service refuses to start with a missing, short or default secret:
a forged token would let anyone read a denouncer's identity.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-insecure-secret-change-me-please-0123456789"
DEFAULT_DB_PATH = Path("data") / "petitions.db"
MIN_SECRET_BYTES = 32
MIN_ARGON2_MEMORY_KIB = 19456  # OWASP's smallest recommended Argon2id memory (19 MiB)


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

    login_max_failures: int = Field(5, ge=1, description="failed logins per username+address per window")
    login_window_seconds: int = Field(300, ge=1)
    login_max_per_address: int = Field(50, ge=1, description="login attempts per address per window")

    # Argon2id for passwords and case PINs. The defaults are argon2-cffi's (RFC 9106's low-memory
    # profile: 3 passes over 64 MiB, 4 lanes); the tests lower them so that their time goes to behaviour.
    argon2_time_cost: int = Field(3, ge=1, description="Argon2 passes")
    argon2_memory_cost: int = Field(65536, ge=8, description="Argon2 memory in KiB")
    argon2_parallelism: int = Field(4, ge=1, description="Argon2 lanes")

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
        if problems:
            problems[-1] += ". Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        if self.argon2_memory_cost < MIN_ARGON2_MEMORY_KIB:
            problems.append(f"ARGON2_MEMORY_COST is below {MIN_ARGON2_MEMORY_KIB} KiB (test parameters?)")
        if problems:
            raise InsecureSettings(f"refusing to start with APP_ENV={self.app_env}: " + "; ".join(problems))
        return self

    @model_validator(mode="after")
    def _argon2_memory_fits_lanes(self) -> "Settings":
        if self.argon2_memory_cost < 8 * self.argon2_parallelism:
            raise ValueError("ARGON2_MEMORY_COST must be at least 8 KiB per lane (ARGON2_PARALLELISM)")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
