"""API schemas of the operations endpoints (/healthz, /readyz)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class HealthPublic(BaseModel):
    status: Literal["ok"] = Field(examples=["ok"])


class ReadinessPublic(BaseModel):
    status: Literal["ok", "unavailable"] = Field(description="`ok` or `unavailable`", examples=["ok"])
    database: str = Field(description="`ok`, or why not", examples=["ok"])
    revision: str | None = Field(default=None, description="the database's migration revision")
    expected_revision: str | None = Field(default=None, description="the code's latest migration revision")
