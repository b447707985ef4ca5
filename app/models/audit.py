"""The append-only, hash-chained audit trail (nhật ký)."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


def canonical_json(value: Any) -> str:
    """The JSON text the audit hash covers (app.services.audit.canonical_bytes): sorted keys, no
    spaces, non-ASCII characters as themselves."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class CanonicalJSON(sa.types.TypeDecorator[Any]):
    """A JSON column whose stored text is `canonical_json` of its value, exactly the text the
    event's canonical form holds, so that PostgreSQL can verify the event without taking the JSON
    apart (decision 0102). Read back like any JSON column; NULL and JSON null as sa.JSON has them."""

    impl = sa.JSON
    cache_ok = True
    should_evaluate_none = True  # as sa.JSON: None is stored as JSON null

    def bind_processor(self, dialect: sa.Dialect) -> Any:
        plain = self.impl_instance.bind_processor(dialect)  # None, sa.JSON.NULL, sa.null()

        def process(value: Any) -> Any:
            if value is None or value is sa.JSON.NULL or isinstance(value, sa.sql.elements.Null):
                return plain(value) if plain else value
            return canonical_json(value)

        return process


class AuditEvent(SQLModel, table=True):
    """One event per change. `seq` is gapless and assigned under a lock, so the chain order is
    the commit order; `hash` = sha256(canonical form including `prev_hash`)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_case_id_seq", "case_id", "seq"),
        sa.Index("ix_audit_event_entity_entity_id", "entity", "entity_id"),
    )

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    at: datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)
    actor_id: int | None = Field(default=None)
    actor: str | None = Field(default=None, max_length=64, index=True)
    role: str | None = Field(default=None, max_length=16)
    org: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=40)
    entity_id: str = Field(max_length=64)
    case_id: int | None = Field(default=None)
    from_status: str | None = Field(default=None, max_length=32)
    to_status: str | None = Field(default=None, max_length=32)
    changes: dict[str, Any] | None = Field(default=None, sa_type=CanonicalJSON)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    request_id: str | None = Field(default=None, max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)


class AuditEntity(StrEnum):
    """What an event is about (`entity`): every kind of record the service audits."""

    case = "case"
    dialogue = "dialogue"
    commitment = "commitment"
    recommendation = "recommendation"
    reception_session = "reception_session"
    voter_meeting = "voter_meeting"
    duplicate_hint = "duplicate_hint"
    report_snapshot = "report_snapshot"
    user = "user"
    organization = "organization"
    unit = "unit"
    calendar = "calendar"
    deadline_rule = "deadline_rule"
    routing_rule = "routing_rule"
    reference = "reference"


class AuditEventPublic(SQLModel):
    seq: int
    at: datetime
    actor: str | None
    role: str | None  # as recorded then (a Role value): history keeps what it said
    org: str | None
    action: str
    entity: str
    entity_id: str
    case_id: int | None = None
    from_status: str | None
    to_status: str | None
    changes: dict[str, Any] | None  # free-form by design: what changed, per entity
    reason: str | None
    request_id: str | None = None
    hash: str
    prev_hash: str


class AuditVerifyPublic(SQLModel):
    ok: bool
    events_checked: int
    first_bad_seq: int | None
    head_seq: int | None = None
    head_hash: str | None = None
    detail: str | None = None


class AuditChainHeadPublic(SQLModel):
    seq: int = Field(description="0 when the trail is empty")
    hash: str
    at: str | None = Field(default=None, description="when the event was recorded (ISO 8601)")
