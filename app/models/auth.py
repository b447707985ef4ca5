"""API schemas of logging in, and the shared rate limits' table."""

from __future__ import annotations

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Field, SQLModel


class TokenPublic(BaseModel):
    model_config = {
        "json_schema_extra": {
            "examples": [
                {"access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…", "token_type": "bearer", "expires_in": 3600}
            ]
        }
    }

    access_token: str = Field(description="a JWT: send it as `Authorization: Bearer <token>`")
    token_type: str = "bearer"
    expires_in: int = Field(description="seconds until it expires")


class RateHit(SQLModel, table=True):
    """One counted attempt of a shared rate limit (app/ratelimit.py, decision 0099): which limit,
    a keyed hash of whose (username and address, or address), and when (seconds since the epoch)."""

    __tablename__ = "rate_hit"
    __table_args__ = (sa.Index("ix_rate_hit_scope_key_at", "scope", "key", "at"),)

    id: int = Field(default=None, primary_key=True)
    scope: str = Field(max_length=16)
    key: str = Field(max_length=64)
    at: float
