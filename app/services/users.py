"""Users: creation, updates, authentication."""

from __future__ import annotations

from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.errors import Conflict, NotFound, unknown_reference
from app.models.base import utcnow
from app.models.reference import Organization, OrgPublic
from app.models.users import Role, User, UserCreate, UserPublic, UserUpdate
from app.pagination import cut_page, decode_cursor
from app.security import hash_password, verify_password
from app.services import audit
from app.services.reference import get_org

# Changes after which the tokens a user holds must stop working.
REVOKING_CHANGES = frozenset({"password", "role", "org", "is_active"})


def user_public(user: User, org: Organization) -> UserPublic:
    """A user as the API shows it (the users admin and `GET /auth/me`)."""
    return UserPublic(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=Role(user.role),
        is_active=user.is_active,
        organization=OrgPublic.model_validate(org, from_attributes=True),
    )


async def get_by_username(session: AsyncSession, username: str) -> User | None:
    return (await session.execute(select(User).where(col(User.username) == username))).scalar_one_or_none()


async def _hash(password: str) -> str:
    # Argon2 is deliberately slow (tens of milliseconds): keep it off the event loop.
    return await anyio.to_thread.run_sync(hash_password, password)


async def authenticate(session: AsyncSession, username: str, password: str) -> User | None:
    """Constant-time with respect to whether the user exists (a dummy hash is verified)."""
    user = await get_by_username(session, username)
    # Argon2 is deliberately slow: keep it off the event loop.
    ok = await anyio.to_thread.run_sync(verify_password, password, user.password_hash if user else None)
    if not ok or user is None or not user.is_active:
        return None
    return user


async def _org_or_422(session: AsyncSession, code: str, field: str) -> Organization:
    org = await get_org(session, code=code)
    if org is None:
        raise unknown_reference(field, f"no organisation with code {code}")
    return org


async def create_user(
    session: AsyncSession, actor: Any, data: UserCreate, *, password_hash: str | None = None
) -> tuple[User, Organization]:
    """`password_hash`: data.password's hash when the caller already has it (demo data creates
    a hundred users with one password and hashes it once)."""
    if await get_by_username(session, data.username):
        raise Conflict(
            f"Username {data.username} is taken.", errors=[{"field": "body.username", "message": "already taken"}]
        )
    org = await _org_or_422(session, data.org, "body.org")
    user = User(
        username=data.username,
        full_name=data.full_name,
        password_hash=password_hash or await _hash(data.password),
        role=data.role.value,
        organization_id=org.id,
    )
    session.add(user)
    await session.flush()
    await audit.record(
        session,
        actor=actor,
        action="user.create",
        entity="user",
        entity_id=user.id,
        changes={"username": user.username, "role": user.role, "org": org.code},
    )
    return user, org


async def get_user(session: AsyncSession, user_id: int) -> tuple[User, Organization]:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user {user_id}.")
    org = await session.get(Organization, user.organization_id)
    assert org is not None  # a foreign key
    return user, org


async def update_user_by_id(
    session: AsyncSession, actor: Any, user_id: int, data: UserUpdate
) -> tuple[User, Organization]:
    """Apply an admin's change to a user; the user and their (possibly new) organisation."""
    user, _ = await get_user(session, user_id)
    await update_user(session, actor, user, data)
    return await get_user(session, user_id)


async def update_user(session: AsyncSession, actor: Any, user: User, data: UserUpdate) -> User:
    actor_user = getattr(actor, "user", None)
    if (
        actor_user is not None
        and actor_user.id == user.id
        and (data.is_active is False or (data.role is not None and data.role != Role.admin))
    ):
        # the last admin could lock everyone out; another admin must do it
        raise Conflict("An administrator cannot deactivate or demote their own account.")
    changes: dict[str, Any] = {}
    patch = data.model_dump(exclude_unset=True)
    if "org" in patch and patch["org"] is not None:
        org = await _org_or_422(session, patch["org"], "body.org")
        if org.id != user.organization_id:
            changes["org"] = org.code
            user.organization_id = org.id
    for name in ("full_name", "role", "is_active"):
        if name in patch and patch[name] is not None and getattr(user, name) != patch[name]:
            value = patch[name].value if hasattr(patch[name], "value") else patch[name]
            changes[name] = {"from": getattr(user, name), "to": value}
            setattr(user, name, value)
    if patch.get("password"):
        user.password_hash = await _hash(patch["password"])
        changes["password"] = "changed"  # never the value
    if changes.keys() & REVOKING_CHANGES:
        user.token_version += 1  # the tokens issued before stop working (decision 0013)
    if changes:
        user.updated_at = utcnow()
        await session.flush()
        await audit.record(
            session, actor=actor, action="user.update", entity="user", entity_id=user.id, changes=changes
        )
    return user


async def list_users(
    session: AsyncSession, *, org: str | None, role: str | None, limit: int, cursor: str | None
) -> tuple[list[tuple[User, Organization]], str | None]:
    stmt = select(User, Organization).join(Organization, col(Organization.id) == col(User.organization_id))
    if org:
        stmt = stmt.where(col(Organization.code) == org)
    if role:
        stmt = stmt.where(col(User.role) == role)
    after = decode_cursor(cursor, 1, kinds=(int,))
    if after:
        stmt = stmt.where(User.id > after[0])
    rows = list((await session.execute(stmt.order_by(col(User.id)).limit(limit + 1))).all())
    page, nxt = cut_page(rows, limit, lambda row: [row[0].id])
    return [(u, o) for u, o in page], nxt
