"""Users: one organisation and one role each."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from pydantic import StrictBool
from sqlmodel import Field, SQLModel

from app.models.base import SQLModelConfig, ts_field
from app.models.reference import OrgPublic
from app.workflows.roles import Role

__all__ = ["Role", "User", "UserCreate", "UserPublic", "UserUpdate"]


class User(SQLModel, table=True):
    __tablename__ = "app_user"

    id: int = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    full_name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    is_active: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    # Carried in every token as `ver`; bumped when the password, role, organisation or active flag
    # changes, which revokes the tokens issued before (docs/decisions/0013-token-version.md).
    token_version: int = Field(default=0, sa_column_kwargs={"server_default": sa.text("0")})
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


USERNAME_PATTERN = r"^[a-zA-Z0-9_.@-]{3,64}$"


class UserBase(SQLModel):
    # SQLModel's Field(regex=) is silently dropped; a pattern reaches pydantic through schema_extra
    username: str = Field(
        min_length=3,
        max_length=64,
        schema_extra={"pattern": USERNAME_PATTERN},
        description="3–64 of letters, digits, _ . @ -",
    )
    full_name: str = Field(default="", max_length=200)
    role: Role


class UserPublic(UserBase):
    id: int
    is_active: bool = True
    organization: OrgPublic


class UserCreate(UserBase):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "username": "tiepdan.mttq",
                    "password": "mot-mat-khau-dai",
                    "full_name": "Trần Thị Bình",
                    "role": "reception",
                    "org": "MTTQ-01",
                },
                {
                    "username": "canbo.hoankiem",
                    "password": "mot-mat-khau-khac",
                    "full_name": "Lê Văn Cường",
                    "role": "handler",
                    "org": "UBND-00070",
                },
            ]
        },
    )

    password: str = Field(min_length=10, max_length=256)
    org: str = Field(min_length=2, max_length=64, description="organisation code, e.g. MTTQ-01")


class UserUpdate(SQLModel):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"role": "supervisor", "org": "HDND-01"},
                {"is_active": False},
                {"password": "mat-khau-moi-du-dai"},
            ]
        },
    )

    full_name: str | None = Field(default=None, max_length=200)
    role: Role | None = None
    org: str | None = Field(default=None, min_length=2, max_length=64)
    is_active: StrictBool | None = None
    password: str | None = Field(default=None, min_length=10, max_length=256)
