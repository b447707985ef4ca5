"""API keys for client systems (online portals, city apps) that file and read requests through
Open311: issued per client by an admin, tied to a receiving organisation, revocable."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import NOT_BLANK, SQLModelConfig, ts_field


class ApiKey(SQLModel, table=True):
    """The key itself is never stored: `key_digest` is its HMAC-SHA256 under a server key kept
    outside the database (a high-entropy key needs no slow hash), unique and indexed, so that a
    request's key is found in one index look-up. Requests filed with the key are filed by its
    service account (`user_id`, role reception, at `organization_id`): the audit trail names it."""

    __tablename__ = "api_key"

    id: int = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    user_id: int = Field(foreign_key="app_user.id")
    key_digest: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16, description="the key's first characters, to tell keys apart")
    created_at: datetime = ts_field()
    revoked_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class ApiKeyBase(SQLModel):
    name: str = Field(
        min_length=1,
        max_length=200,
        schema_extra={"pattern": NOT_BLANK},
        description="who the client is, e.g. the portal's name",
    )


class ApiKeyCreate(ApiKeyBase):
    model_config = SQLModelConfig(
        extra="forbid", json_schema_extra={"examples": [{"name": "Cổng dịch vụ công Hà Nội", "org": "MTTQ-01"}]}
    )

    org: str = Field(min_length=2, max_length=64, description="the receiving organisation's code, e.g. MTTQ-01")


class ApiKeyPublic(ApiKeyBase):
    id: int
    org: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None
    active: bool


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="the key: shown only in this response, stored only as a keyed hash")
