"""Tokens (python-jose, hardened), passwords (Argon2 via pwdlib), the current user and their
jurisdiction. Everything about JWTs lives in this module and nowhere else.

Hardening (docs/decisions/0002-token-hardening.md):
- exactly one algorithm is accepted, the one the configured key is for (HS256 by default);
  `alg: none` and every other algorithm are refused before any claim is trusted;
- `exp`, `iat`, `sub`, `iss` and `aud` are all required and verified;
- the user is re-read from the database on every request, so a deactivated user's tokens stop
  working at once; the token's `ver` must equal the user's `token_version`, which changes with the
  password, role, organisation or active flag, so those changes revoke earlier tokens too
  (docs/decisions/0013-token-version.md).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from jose import JWTError, jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import select
from sqlmodel import col

from app.config import Settings, get_settings
from app.models.base import DB_INT_MAX
from app.models.reference import AdminUnit, Organization
from app.models.users import Role, User
from app.problems import Problem

# ---- passwords -------------------------------------------------------------------------------

# The Argon2 parameters are settings (ARGON2_*): production keeps argon2-cffi's defaults (RFC 9106's
# low-memory profile); the tests use cheap ones. A stored hash names its own parameters, so hashes
# made with other parameters still verify.
_DUMMY_PASSWORD = "dummy-password-for-constant-time-login"
_configured: tuple[int, int, int] | None = None


@lru_cache
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> tuple[PasswordHash, str]:
    hasher = PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism),))
    # Verified against when the username does not exist, so that login takes the same time
    # whether or not an account exists (no username enumeration by timing).
    return hasher, hasher.hash(_DUMMY_PASSWORD)


def configure_password_hashing(settings: Settings) -> None:
    """Hash new passwords and PINs in this process with `settings`' Argon2 parameters. Without a
    call, the first hash uses the environment's settings (get_settings()), as the server does."""
    global _configured
    _configured = (settings.argon2_time_cost, settings.argon2_memory_cost, settings.argon2_parallelism)
    _hasher_for(*_configured)


def _password_hasher() -> tuple[PasswordHash, str]:
    if _configured is None:
        configure_password_hashing(get_settings())
    assert _configured is not None
    return _hasher_for(*_configured)


def hash_password(password: str) -> str:
    return _password_hasher()[0].hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    hasher, dummy_hash = _password_hasher()
    if password_hash is None:
        hasher.verify(password, dummy_hash)
        return False
    try:
        return hasher.verify(password, password_hash)
    except Exception:  # a malformed stored hash must not become a 500 or a bypass
        return False


# ---- tokens ----------------------------------------------------------------------------------

_REQUIRED_CLAIMS = ("exp", "iat", "sub", "iss", "aud")


def create_access_token(
    settings: Settings,
    *,
    subject: str,
    extra: dict[str, Any] | None = None,
    now: int | None = None,
    lifetime_seconds: int | None = None,
) -> str:
    issued = int(time.time()) if now is None else now
    ttl = settings.access_token_minutes * 60 if lifetime_seconds is None else lifetime_seconds
    claims = {
        "sub": subject,
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": issued,
        "exp": issued + ttl,
        "jti": uuid.uuid4().hex,
    }
    if extra:
        claims.update(extra)
    return jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)


class InvalidToken(Exception):
    pass


def decode_access_token(settings: Settings, token: str) -> dict[str, Any]:
    """Verify signature, algorithm, issuer, audience and times; every registered claim we rely on
    must be present. Raises InvalidToken with a reason fit for logs (not for clients)."""
    try:
        header = jwt.get_unverified_header(token)
    except JWTError as exc:
        raise InvalidToken("malformed token") from exc
    if header.get("alg") != settings.jwt_algorithm:
        raise InvalidToken(f"algorithm {header.get('alg')!r} not accepted")
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[settings.jwt_algorithm],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={f"require_{c}": True for c in _REQUIRED_CLAIMS}
            | {
                "verify_signature": True,
                "verify_exp": True,
                "verify_iat": True,
                "verify_aud": True,
                "verify_iss": True,
                "verify_sub": True,
                "leeway": 0,
            },
        )
    except JWTError as exc:
        raise InvalidToken(str(exc)) from exc
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise InvalidToken("bad subject")
    return claims


# ---- the current user ------------------------------------------------------------------------

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def _unauthorized(detail: str = "Missing or invalid bearer token.") -> Problem:
    return Problem(401, detail, slug="unauthorized", headers={"WWW-Authenticate": "Bearer"})


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: who, in which organisation, with which role, over which units."""

    user: User
    org: Organization
    unit: AdminUnit

    @property
    def role(self) -> Role:
        return Role(self.user.role)

    @property
    def jurisdiction_path(self) -> str:
        """The caller's jurisdiction: their organisation's unit and everything below it."""
        return self.unit.path

    def covers(self, unit_path: str | None) -> bool:
        return unit_path is not None and unit_path.startswith(self.unit.path)


async def load_principal(session, user: User) -> Principal:
    org = await session.get(Organization, user.organization_id)
    unit = await session.get(AdminUnit, org.unit_code) if org else None
    if org is None or unit is None:  # pragma: no cover - foreign keys prevent it
        raise _unauthorized("The account's organisation no longer exists.")
    return Principal(user=user, org=org, unit=unit)


async def get_current_principal(
    request: Request,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> Principal:
    """Reads the caller in one statement of its own (on PostgreSQL in autocommit: no BEGIN and
    COMMIT around it), not in the request's transaction: on SQLite the request's transaction
    holds the write lock from its first statement, so authenticating
    through it would make every read-only endpoint (a long chain verification, an export) block
    all writers for its whole duration; and a rollback of the request's transaction cannot
    expire the principal's rows while an error is being handled."""
    if not token:
        raise _unauthorized()
    settings: Settings = request.app.state.settings
    try:
        claims = decode_access_token(settings, token)
    except InvalidToken:
        raise _unauthorized() from None
    user_id = _int_claim(claims["sub"], digits=True)
    # A token from before token versions existed counts as version 0: the first change revokes it.
    version = _int_claim(claims.get("ver", 0), low=0)
    if user_id is None or version is None:
        raise _unauthorized()
    db = request.app.state.db
    maker = db.statement_sessionmaker or db.read_sessionmaker
    async with maker() as session, session.begin():
        # the user, their organisation and its unit in one statement (not three)
        row = (
            await session.execute(
                select(User, Organization, AdminUnit)
                .join(Organization, col(Organization.id) == col(User.organization_id))
                .join(AdminUnit, col(AdminUnit.code) == col(Organization.unit_code))
                .where(col(User.id) == user_id)
            )
        ).first()
        if row is None:
            raise _unauthorized()
        user, org, unit = row
        if not user.is_active or user.token_version != version:
            raise _unauthorized()
    request.state.user_id = user.id
    return Principal(user=user, org=org, unit=unit)


def _int_claim(value: Any, *, low: int = 1, digits: bool = False) -> int | None:
    """A claim that must be a database integer (the user id, the token version): anything else,
    a huge number among them, is a bad token (401), never a database error (500). `digits`: the
    claim is a string of ASCII digits (`sub`)."""
    if isinstance(value, bool) or isinstance(value, str) != digits:
        return None
    if digits:
        if not value.isascii() or not value.isdigit() or len(value) > 10:
            return None
        value = int(value)
    if not isinstance(value, int) or not low <= value <= DB_INT_MAX:
        return None
    return value


def token_claims_for(user: User) -> dict[str, Any]:
    """The claims a user's token carries besides the registered ones."""
    return {"role": user.role, "ver": user.token_version}


CurrentPrincipal = Annotated[Principal, Depends(get_current_principal)]


class RequireRole:
    """Permission as a small dependency: `Depends(RequireRole(Role.admin))`."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    async def __call__(self, principal: CurrentPrincipal) -> Principal:
        if principal.role not in self.roles:
            allowed = ", ".join(sorted(r.value for r in self.roles))
            raise Problem(403, f"Role '{principal.role.value}' may not do this; allowed: {allowed}.", slug="forbidden")
        return principal


AdminPrincipal = Annotated[Principal, Depends(RequireRole(Role.admin))]


async def unit_path(session, code: str) -> str | None:
    return (await session.execute(select(col(AdminUnit.path)).where(col(AdminUnit.code) == code))).scalar_one_or_none()
