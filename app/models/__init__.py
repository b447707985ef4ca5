"""SQLModel tables and their API schemas, one module per aggregate.

Importing this package registers every table on `SQLModel.metadata` (Alembic reads it)."""

from app.models import base  # noqa: F401  (naming convention first)
from app.models.api_keys import ApiKey
from app.models.audit import AuditEvent
from app.models.auth import RateHit
from app.models.cases import (
    CalendarOverride,
    Case,
    CaseSearch,
    DeadlineSetting,
    IdempotencyRecord,
    Petitioner,
    RoutingRule,
)
from app.models.dialogues import (
    Commitment,
    Dialogue,
    DialogueCase,
    ReceptionSession,
    ReceptionSessionCase,
    VoterMeeting,
    VoterMeetingCase,
)
from app.models.obligations import CaseObligation
from app.models.reference import AdminUnit, Organization
from app.models.reports import CaseStep, ReportSnapshot
from app.models.supervision import Recommendation
from app.models.users import User

__all__ = [
    "AdminUnit",
    "ApiKey",
    "AuditEvent",
    "CalendarOverride",
    "Case",
    "CaseObligation",
    "CaseSearch",
    "CaseStep",
    "Commitment",
    "DeadlineSetting",
    "Dialogue",
    "DialogueCase",
    "IdempotencyRecord",
    "Organization",
    "Petitioner",
    "RateHit",
    "ReceptionSession",
    "ReceptionSessionCase",
    "Recommendation",
    "ReportSnapshot",
    "RoutingRule",
    "User",
    "VoterMeeting",
    "VoterMeetingCase",
]
