"""API keys: issue, list, revoke, and find the client behind a key.

A key is `hp_` + 43 random URL-safe characters (256 bits): far beyond any online guessing, so it
is stored as an HMAC-SHA256 under the server's key (`keyed_digest`), looked up by a unique index,
not as a slow password hash. Each key has a service account (role reception at the key's
organisation, no usable password) that files its requests, so the audit trail names the client.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import Forbidden, NotFound, unknown_reference
from app.models.api_keys import ApiKey, ApiKeyCreate
from app.models.base import utcnow
from app.models.reference import AdminUnit, Organization
from app.models.users import User
from app.security import Principal, load_principal
from app.services import audit
from app.services.reference import get_org
from app.workflows.roles import Role

KEY_PREFIX = "hp_"
_NO_PASSWORD = "!api-key"  # not a hash: no password verifies against it, so the account cannot log in


def digest(server_key: bytes, key: str) -> str:
    """The key's HMAC-SHA256 under the server's key (Settings.api_key_key): what is stored."""
    return hmac.new(server_key, key.encode(), hashlib.sha256).hexdigest()


async def create(
    session: AsyncSession, actor: Any, data: ApiKeyCreate, *, server_key: bytes
) -> tuple[ApiKey, Organization, str]:
    org = await get_org(session, code=data.org)
    if org is None or not org.active or not await _in_jurisdiction(session, actor, org):
        raise unknown_reference("body.org", f"no active organisation with code {data.org} in your jurisdiction")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    user = User(
        username=f"apikey-{secrets.token_hex(6)}",
        full_name=f"API: {data.name}"[:200],
        password_hash=_NO_PASSWORD,
        role=Role.reception.value,
        organization_id=org.id,
    )
    session.add(user)
    await session.flush()
    row = ApiKey(
        name=data.name, organization_id=org.id, user_id=user.id, key_digest=digest(server_key, key), prefix=key[:10]
    )
    session.add(row)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="api_key.create",
        entity="api_key",
        entity_id=row.id,
        changes={"name": row.name, "org": org.code, "prefix": row.prefix, "account": user.username},
    )
    return row, org, key


async def _in_jurisdiction(session: AsyncSession, actor: Any, org: Organization) -> bool:
    if not isinstance(actor, Principal):  # the CLI: the operator
        return True
    unit = await session.get(AdminUnit, org.unit_code)
    return unit is not None and actor.covers(unit.path)


def _scoped(principal: Principal | None):
    stmt = (
        select(ApiKey, Organization)
        .join(Organization, col(Organization.id) == col(ApiKey.organization_id))
        .join(AdminUnit, col(AdminUnit.code) == col(Organization.unit_code))
    )
    if principal is not None:
        stmt = stmt.where(col(AdminUnit.path).startswith(principal.jurisdiction_path, autoescape=True))
    return stmt


async def list_keys(
    session: AsyncSession, principal: Principal | None, *, limit: int, after_id: int | None
) -> list[tuple[ApiKey, Organization]]:
    """Keys of the organisations in the admin's jurisdiction, by id."""
    stmt = _scoped(principal)
    if after_id is not None:
        stmt = stmt.where(ApiKey.id > after_id)
    return [(k, o) for k, o in (await session.execute(stmt.order_by(ApiKey.id).limit(limit + 1))).all()]


async def get(session: AsyncSession, principal: Principal | None, key_id: int) -> tuple[ApiKey, Organization]:
    row = (await session.execute(_scoped(principal).where(ApiKey.id == key_id))).first()
    if row is None:
        raise NotFound(f"No API key {key_id}.")
    return row[0], row[1]


async def revoke(session: AsyncSession, actor: Principal, key_id: int) -> tuple[ApiKey, Organization]:
    row, org = await get(session, actor, key_id)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        account = await session.get(User, row.user_id)
        if account is not None:
            account.is_active = False
        await session.flush()
        await audit.record(
            session,
            actor=actor,
            action="api_key.revoke",
            entity="api_key",
            entity_id=row.id,
            changes={"name": row.name, "org": org.code, "prefix": row.prefix},
        )
    return row, org


async def principal_for_key(session: AsyncSession, key: str | None, *, server_key: bytes) -> tuple[ApiKey, Principal]:
    """The client behind a key, acting as its service account; Forbidden for a missing, unknown or
    revoked key (Open311 answers 403 for an invalid api_key)."""
    if not key or len(key) > 128:
        raise Forbidden("A valid api_key is required.")
    found = await session.execute(select(ApiKey).where(col(ApiKey.key_digest) == digest(server_key, key)))
    row = found.scalar_one_or_none()
    if row is None or row.revoked_at is not None:
        raise Forbidden("A valid api_key is required.")
    user = await session.get(User, row.user_id)
    if user is None or not user.is_active:
        raise Forbidden("A valid api_key is required.")
    return row, await load_principal(session, user)
