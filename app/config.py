"""Settings from the environment (pydantic-settings).

Outside development the service refuses to start with a missing, short, guessable or default
secret: a forged token would let anyone read a denouncer's identity. Whatever APP_ENV says, it
never listens beyond this machine with the built-in secret (docs/decisions/0014-secret-rules.md).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-insecure-secret-change-me-please-0123456789"
DEFAULT_DB_PATH = Path("data") / "petitions.db"
MIN_SECRET_BYTES = 32
MIN_SECRET_BITS = 96
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


def estimated_bits(secret: str) -> float:
    """A crude upper bound on a secret's entropy: its length times the Shannon entropy of its own
    character frequencies. `a` × 32 is 0 bits, `ab` × 16 is 32; 64 random URL-safe characters are
    about 350, 64 random hex digits about 250."""
    n = len(secret)
    if n == 0:
        return 0.0
    return -n * sum(c / n * math.log2(c / n) for c in Counter(secret).values())


def secret_weakness(secret: str) -> str | None:
    """Why a secret is too weak to sign tokens outside development, or None (decision 0014)."""
    bits = estimated_bits(secret)
    if bits < MIN_SECRET_BITS:
        return (
            f"JWT_SECRET has too little entropy (about {bits:.0f} bits by character frequency; "
            f"at least {MIN_SECRET_BITS} are needed)"
        )
    if len(secret) > 1 and secret in (secret + secret)[1:-1]:
        return "JWT_SECRET is a repeated pattern"
    return None


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


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
    jwt_secret_file: Path | None = Field(
        None,
        description="a file holding JWT_SECRET (used when JWT_SECRET is not set); scripts/run writes ./data/jwt_secret",
    )
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    jwt_issuer: str = "hanoi-petitions"
    jwt_audience: str = "hanoi-petitions-api"
    access_token_minutes: int = Field(60, ge=1, le=24 * 60)

    pin_hmac_key: str | None = Field(
        None,
        description="the key tracking PINs are checked under (HMAC-SHA256), kept outside the database; "
        "unset: derived from JWT_SECRET (then rotating JWT_SECRET invalidates every PIN)",
    )
    api_key_hmac_key: str | None = Field(
        None,
        description="the key client API keys are stored under (HMAC-SHA256), kept outside the database; "
        "unset: derived from JWT_SECRET (then rotating JWT_SECRET invalidates every API key)",
    )
    open311_jurisdiction_id: str = Field(
        "hanoi.gov.vn", max_length=100, description="Open311 `jurisdiction_id` this server answers for"
    )
    public_lookups_per_minute: int = Field(10, ge=1, description="public case look-ups per client address per minute")
    rate_limits_shared: bool = Field(
        False,
        description="count the login and public look-up limits in the database, so that every API process "
        "shares one budget per client (decision 0099); `petitions serve --workers N` with N > 1 turns it on",
    )

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

    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="largest request body accepted (bytes); larger ones get 413"
    )
    trusted_proxies: str = Field(
        "",
        description="comma-separated addresses (or CIDR networks) of reverse proxies "
        "whose X-Forwarded-For/-Proto are believed; empty: none",
    )
    metrics_token: str = Field(
        "",
        description="when set, /metrics requires `Authorization: Bearer <token>`; "
        "when empty, /metrics answers loopback clients only",
    )
    idempotency_ttl_hours: int = Field(
        24, ge=1, le=24 * 30, description="how long a stored Idempotency-Key response is replayed"
    )

    @model_validator(mode="after")
    def _refuse_insecure_secret(self) -> "Settings":
        if self.jwt_secret_file is not None and "jwt_secret" not in self.model_fields_set:
            try:
                self.jwt_secret = self.jwt_secret_file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise InsecureSettings(
                    f"JWT_SECRET_FILE {self.jwt_secret_file} cannot be read: {exc.strerror or exc}"
                ) from None
        if self.app_env in ("development", "test"):
            return self
        problems = []
        if not self.jwt_secret:
            problems.append("JWT_SECRET is missing")
        elif self.jwt_secret == DEV_SECRET:
            problems.append("JWT_SECRET is the built-in development value")
        else:
            if len(self.jwt_secret.encode()) < MIN_SECRET_BYTES:
                problems.append(f"JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes")
            weakness = secret_weakness(self.jwt_secret)
            if weakness:
                problems.append(weakness)
        if self.pin_hmac_key is not None and len(self.pin_hmac_key.encode()) < MIN_SECRET_BYTES:
            problems.append(f"PIN_HMAC_KEY is shorter than {MIN_SECRET_BYTES} bytes")
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

    def check_listen_address(self, host: str) -> None:
        """Whatever APP_ENV says, the built-in secret never signs tokens for a server that other
        machines can reach: anyone can read it in this repository."""
        if not is_loopback(host) and (not self.jwt_secret or self.jwt_secret == DEV_SECRET):
            raise InsecureSettings(
                f"refusing to listen on {host} with the built-in development JWT_SECRET: anyone could forge a "
                "token. Set JWT_SECRET (or JWT_SECRET_FILE), or listen on 127.0.0.1 only. Generate one with: "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )

    @property
    def trusted_proxy_list(self) -> list[str]:
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def pin_key(self) -> bytes:
        """The tracking PINs' HMAC key: PIN_HMAC_KEY, else one derived from JWT_SECRET (a distinct
        key for a distinct purpose; a stolen database alone reveals no PIN either way)."""
        if self.pin_hmac_key:
            return self.pin_hmac_key.encode()
        return hmac.new(self.jwt_secret.encode(), b"hanoi-petitions/tracking-pin/v1", hashlib.sha256).digest()

    @property
    def api_key_key(self) -> bytes:
        """API keys' HMAC key: API_KEY_HMAC_KEY, else one derived from JWT_SECRET for this purpose."""
        if self.api_key_hmac_key:
            return self.api_key_hmac_key.encode()
        return hmac.new(self.jwt_secret.encode(), b"hanoi-petitions/api-key/v1", hashlib.sha256).digest()

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
