"""Dialogues (đối thoại) and the commitments made at them, reception sessions (tiếp công dân)
and voter meetings (tiếp xúc cử tri): tables and API schemas.

Linked cases appear in these outputs only as id, code, kind, status and overdue: never a
petitioner (a denouncer's identity is protected by law, Luật Tố cáo Art 8).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, overload

import sqlalchemy as sa
from pydantic import Field as Constraint
from pydantic import StrictBool, StrictInt, field_validator
from sqlmodel import Field, SQLModel, col

from app.models.base import DB_INT_MAX, NOT_BLANK, Day, Moment, SQLModelConfig, ts_field
from app.workflows.dialogues import (
    CommitmentStatus,
    DialogueActionName,
    DialogueKind,
    DialogueStatus,
)
from app.workflows.lifecycle import Kind, Status

__all__ = [
    "Commitment",
    "CommitmentStatus",
    "Dialogue",
    "DialogueActionName",
    "DialogueCase",
    "DialogueKind",
    "DialogueStatus",
    "ReceptionSession",
    "ReceptionSessionCase",
    "VoterMeeting",
    "VoterMeetingCase",
    "commitment_overdue_clause",
]

# A case id as the database holds it; one naming no case you can see is a 422 `unknown_reference`.
CaseIdIn = Annotated[StrictInt, Constraint(ge=1, le=DB_INT_MAX)]


# each case once (stated as uniqueItems; the validator below refuses a repeat)
def _case_ids_field(description: str = "case ids in your jurisdiction") -> Any:
    return Field(
        default_factory=list,
        max_length=200,
        description=description,
        schema_extra={"json_schema_extra": {"uniqueItems": True}},
    )


NotBlank = Annotated[str, Constraint(pattern=NOT_BLANK)]


@overload
def _strip(v: str) -> str: ...
@overload
def _strip(v: None) -> None: ...
@overload
def _strip(v: str | None) -> str | None: ...
def _strip(v: str | None) -> str | None:
    if v is None:
        return None
    v = " ".join(v.split())
    if not v:
        raise ValueError("must not be blank")
    return v


def _ids(v: list[int]) -> list[int]:
    for i in v:
        if not 1 <= i <= DB_INT_MAX:
            raise ValueError(f"{i} is not a case id")
    if len(set(v)) != len(v):
        raise ValueError("a case is listed twice")
    return v


# ---- tables ---------------------------------------------------------------------------------


class Dialogue(SQLModel, table=True):
    """Đối thoại: with a complainant while resolving a complaint (Luật Khiếu nại Art 30, 39), or a
    leader's direct dialogue with the people on a pressing local matter (Quy chế 2387 Art 8.3, 10.4)."""

    __tablename__ = "dialogue"

    id: int = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    status: str = Field(max_length=16)
    host_org_id: int = Field(foreign_key="organization.id", index=True)
    host_path: str = Field(max_length=200, index=True)
    unit_code: str = Field(foreign_key="admin_unit.code", max_length=16)
    unit_path: str = Field(max_length=200, index=True)
    chair: str = Field(max_length=200)
    scheduled_at: datetime = Field(sa_type=sa.DateTime(timezone=True))
    notice_on: date
    short_notice: bool = False
    location: str = Field(max_length=500)
    topic: str | None = Field(default=None, max_length=500)
    participants: list = Field(default_factory=list, sa_type=sa.JSON)
    minutes: str | None = Field(default=None, sa_type=sa.Text)
    held_on: date | None = None
    cancel_reason: str | None = Field(default=None, max_length=2000)
    postponements: int = 0
    version: int = 1
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


class DialogueCase(SQLModel, table=True):
    __tablename__ = "dialogue_case"

    dialogue_id: int = Field(foreign_key="dialogue.id", primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", primary_key=True, index=True)


class Commitment(SQLModel, table=True):
    """A commitment made at a dialogue: what, which organisation, by when; tracked to completion."""

    __tablename__ = "commitment"
    __table_args__ = (sa.Index("ix_commitment_status_due_on", "status", "due_on"),)

    id: int = Field(default=None, primary_key=True)
    dialogue_id: int = Field(foreign_key="dialogue.id", index=True)
    description: str = Field(sa_type=sa.Text)
    responsible_org_id: int = Field(foreign_key="organization.id", index=True)
    responsible_path: str = Field(max_length=200)
    due_on: date
    status: str = Field(max_length=16)
    done_on: date | None = None
    version: int = 1
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


def commitment_overdue_clause(today: date) -> sa.ColumnElement[bool]:
    """app.workflows.dialogues.commitment_overdue as SQL: open, and today after its due date."""
    return sa.and_(col(Commitment.status) == CommitmentStatus.open.value, col(Commitment.due_on) < today)


class ReceptionSession(SQLModel, table=True):
    """Tiếp công dân: a desk's or a leader's reception session on one day."""

    __tablename__ = "reception_session"
    __table_args__ = (sa.Index("ix_reception_session_org_id_held_on", "org_id", "held_on"),)

    id: int = Field(default=None, primary_key=True)
    org_id: int = Field(foreign_key="organization.id")
    org_path: str = Field(max_length=200, index=True)
    held_on: date
    host_name: str = Field(max_length=200)
    host_title: str = Field(max_length=200)
    led_by_head: bool = False
    visitors: int = 0
    delegations: int = 0
    notes: str | None = Field(default=None, sa_type=sa.Text)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = ts_field()


class ReceptionSessionCase(SQLModel, table=True):
    __tablename__ = "reception_session_case"

    session_id: int = Field(foreign_key="reception_session.id", primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", primary_key=True, index=True)


class VoterMeeting(SQLModel, table=True):
    """Tiếp xúc cử tri (Quy chế 2387 Art 9.2): deputies meet voters; the petitions raised are cases."""

    __tablename__ = "voter_meeting"

    id: int = Field(default=None, primary_key=True)
    held_on: date
    unit_code: str = Field(foreign_key="admin_unit.code", max_length=16)
    unit_path: str = Field(max_length=200, index=True)
    organised_by_id: int = Field(foreign_key="organization.id", index=True)
    organised_path: str = Field(max_length=200)
    location: str | None = Field(default=None, max_length=500)
    deputies: list = Field(default_factory=list, sa_type=sa.JSON)
    voters: int = 0
    summary: str | None = Field(default=None, sa_type=sa.Text)
    version: int = 1
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


class VoterMeetingCase(SQLModel, table=True):
    __tablename__ = "voter_meeting_case"

    meeting_id: int = Field(foreign_key="voter_meeting.id", primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", primary_key=True, index=True)


# ---- schemas shared by the three ---------------------------------------------------------


class LinkedCasePublic(SQLModel):
    """A linked case as these records show it: no petitioner, ever."""

    id: int
    code: str
    kind: Kind
    status: Status
    overdue: bool


# ---- dialogues ------------------------------------------------------------------------------


class ParticipantRole(StrEnum):
    complainant = "complainant"  # người khiếu nại
    respondent = "respondent"  # người bị khiếu nại
    related_party = "related_party"  # người có quyền, nghĩa vụ liên quan
    agency = "agency"  # cơ quan, tổ chức liên quan
    citizen = "citizen"  # người dân (đối thoại trực tiếp)
    other = "other"


class ParticipantCreate(SQLModel):
    model_config = SQLModelConfig(extra="forbid")

    name: str = Field(min_length=1, max_length=200, schema_extra={"pattern": NOT_BLANK})
    role: ParticipantRole = ParticipantRole.other
    organisation: str | None = Field(default=None, max_length=300)

    @field_validator("name")
    @classmethod
    def _check_name(cls, v: str) -> str:
        return _strip(v)


class ParticipantPublic(SQLModel):
    name: str
    role: ParticipantRole
    organisation: str | None = None
    present: bool | None = Field(default=None, description="null until the dialogue is held")
    absence_reason: str | None = None


class AttendanceCreate(SQLModel):
    model_config = SQLModelConfig(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="a participant's name, as listed")
    present: StrictBool
    absence_reason: str | None = Field(
        default=None, max_length=1000, description="an absentee's reason, if they gave one"
    )


class DialogueBase(SQLModel):
    kind: DialogueKind
    chair: str = Field(
        min_length=1, max_length=200, schema_extra={"pattern": NOT_BLANK}, description="who chairs it (name and title)"
    )
    scheduled_at: Moment = Field(description="ISO 8601 with offset")
    location: str = Field(min_length=1, max_length=500, schema_extra={"pattern": NOT_BLANK})
    topic: str | None = Field(default=None, max_length=500, description="direct dialogues: required")


class DialogueCreate(DialogueBase):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "complaint_resolution",
                    "chair": "Nguyễn Văn Bình, Chủ tịch UBND phường",
                    "scheduled_at": "2026-11-20T08:30:00+07:00",
                    "notice_on": "2026-11-10",
                    "location": "Trụ sở UBND phường Hoàn Kiếm",
                    "case_ids": [1],
                    "participants": [
                        {"name": "Nguyễn Văn An", "role": "complainant"},
                        {"name": "Phòng Kinh tế", "role": "agency", "organisation": "UBND phường Hoàn Kiếm"},
                    ],
                },
                {
                    "kind": "direct_dialogue",
                    "chair": "Chủ tịch UBND phường",
                    "scheduled_at": "2026-12-05T14:00:00+07:00",
                    "location": "Nhà văn hóa tổ dân phố 5",
                    "unit_code": "00070",
                    "topic": "Ô nhiễm tiếng ồn từ công trường ban đêm",
                    "case_ids": [],
                    "participants": [{"name": "Đại diện tổ dân phố 5", "role": "citizen"}],
                },
            ]
        },
    )

    host_org: str | None = Field(
        default=None, max_length=64, description="organisation code; default and only choice: your own"
    )
    notice_on: Day | None = Field(default=None, description="when the written notice was sent; default today")
    unit_code: str | None = Field(
        default=None,
        max_length=16,
        description="direct dialogues: the unit concerned (required); complaint dialogues: default the case's unit",
    )
    case_ids: list[CaseIdIn] = _case_ids_field()
    participants: list[ParticipantCreate] = Field(default_factory=list, max_length=500)

    @field_validator("chair", "location")
    @classmethod
    def _check_text(cls, v: str) -> str:
        return _strip(v)

    @field_validator("topic")
    @classmethod
    def _check_topic(cls, v: str | None) -> str | None:
        return _strip(v) if v and v.strip() else None

    @field_validator("case_ids")
    @classmethod
    def _check_ids(cls, v: list[int]) -> list[int]:
        return _ids(v)


class DialogueTransitionCreate(SQLModel):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "action": "hold",
                    "on": "2026-11-20",
                    "minutes": "Hai bên trình bày ý kiến; thống nhất đo đạc lại ranh giới.",
                    "attendance": [
                        {"name": "Nguyễn Văn An", "present": True},
                        {"name": "Phòng Kinh tế", "present": False, "absence_reason": "Không có lý do"},
                    ],
                },
                {"action": "postpone", "scheduled_at": "2026-12-10T08:30:00+07:00", "reason": "Người khiếu nại ốm"},
                {"action": "cancel", "reason": "Người khiếu nại rút đơn"},
            ]
        },
    )

    action: DialogueActionName
    reason: str | None = Field(default=None, max_length=2000)
    on: Day | None = Field(
        default=None, description="hold: the day it was held; postpone: the new notice's day; default today"
    )
    minutes: str | None = Field(default=None, max_length=50000, description="hold: the minutes (biên bản)")
    attendance: list[AttendanceCreate] = Field(
        default_factory=list, max_length=500, description="hold: who was present; absentees are recorded"
    )
    scheduled_at: Moment | None = Field(default=None, description="postpone: the new time")


class CommitmentBase(SQLModel):
    description: str = Field(min_length=1, max_length=5000, schema_extra={"pattern": NOT_BLANK})
    responsible_org: str = Field(min_length=1, max_length=64, description="organisation code")
    due_on: Day


class CommitmentCreate(CommitmentBase):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "description": "Đo đạc lại ranh giới thửa đất số 12",
                    "responsible_org": "UBND-00070",
                    "due_on": "2026-12-15",
                }
            ]
        },
    )

    @field_validator("description")
    @classmethod
    def _check_description(cls, v: str) -> str:
        return _strip(v)


class CommitmentUpdate(SQLModel):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"status": "done", "done_on": "2026-11-26"},
                {"due_on": "2027-01-15", "reason": "Chờ kết quả đo đạc"},
            ]
        },
    )

    description: str | None = Field(default=None, min_length=1, max_length=5000)
    due_on: Day | None = None
    status: CommitmentStatus | None = None
    done_on: Day | None = Field(default=None, description="status done: the day it was done; default today")
    reason: str | None = Field(default=None, max_length=2000)


class CommitmentPublic(CommitmentBase):
    id: int
    dialogue_id: int
    responsible_org_name: str
    status: CommitmentStatus
    done_on: date | None
    overdue: bool
    days_overdue: int
    version: int
    created_at: datetime
    updated_at: datetime


class DialoguePublic(DialogueBase):
    id: int
    status: DialogueStatus
    host_org: str
    host_org_name: str
    notice_on: date
    short_notice: bool = Field(description="notice of fewer than 5 days before the dialogue")
    unit_code: str
    case_ids: list[int]
    cases: list[LinkedCasePublic]
    participants: list[ParticipantPublic]
    absentees: list[ParticipantPublic]
    minutes: str | None
    held_on: date | None
    cancel_reason: str | None
    postponements: int
    commitments: list[CommitmentPublic]
    allowed_actions: list[str]
    version: int
    created_at: datetime
    updated_at: datetime


# ---- reception sessions ---------------------------------------------------------------------


class ReceptionSessionBase(SQLModel):
    host_name: str = Field(min_length=1, max_length=200, schema_extra={"pattern": NOT_BLANK})
    host_title: str = Field(min_length=1, max_length=200, schema_extra={"pattern": NOT_BLANK})
    led_by_head: StrictBool = Field(description="the organisation's head received in person (the legal duty)")
    held_on: Day
    visitors: StrictInt = Field(ge=0, le=100000, description="citizens received")
    delegations: StrictInt = Field(default=0, ge=0, le=10000, description="mass groups (đoàn đông người)")
    notes: str | None = Field(default=None, max_length=5000)


class ReceptionSessionCreate(ReceptionSessionBase):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "org": "UBND-00070",
                    "host_name": "Nguyễn Văn Bình",
                    "host_title": "Chủ tịch UBND phường",
                    "led_by_head": True,
                    "held_on": "2026-11-12",
                    "visitors": 9,
                    "delegations": 1,
                    "case_ids": [1],
                },
                {
                    "org": "BTCD-01",
                    "host_name": "Trần Thị Hoa",
                    "host_title": "Cán bộ Ban Tiếp công dân",
                    "led_by_head": False,
                    "held_on": "2026-11-13",
                    "visitors": 21,
                    "delegations": 0,
                    "case_ids": [],
                },
            ]
        },
    )

    org: str | None = Field(
        default=None, max_length=64, description="organisation code: yours or one at your unit; default yours"
    )
    case_ids: list[CaseIdIn] = _case_ids_field()

    @field_validator("host_name", "host_title")
    @classmethod
    def _check_names(cls, v: str) -> str:
        return _strip(v)

    @field_validator("case_ids")
    @classmethod
    def _check_ids(cls, v: list[int]) -> list[int]:
        return _ids(v)


class ReceptionSessionPublic(ReceptionSessionBase):
    id: int
    org: str
    org_name: str
    case_ids: list[int]
    cases: list[LinkedCasePublic]
    created_at: datetime


class ReceptionRulePublic(SQLModel):
    key: str
    head: str
    frequency: str
    effective_from: date
    effective_to: date | None
    source: str
    evidence: str


class ComplianceItemPublic(SQLModel):
    org: str
    org_name: str
    unit_code: str
    rule: ReceptionRulePublic = Field(description="the legal frequency in force on the month's first day")
    measure: str = Field(
        description="`days`: distinct days with a session led by the head in the month; "
        "`weeks`: weeks of the month with one"
    )
    required: int
    met: int
    compliant: bool
    head_session_days: list[date]
    weeks_missed: list[date] = Field(description="weekly rules: the Monday of each week without a session")


class CompliancePublic(SQLModel):
    year: int
    month: int
    month_complete: bool = Field(description="false while the month is still running")
    items: list[ComplianceItemPublic]
    compliant: int
    not_compliant: int


# ---- voter meetings -------------------------------------------------------------------------


class VoterMeetingBase(SQLModel):
    held_on: Day
    unit_code: str = Field(min_length=1, max_length=16)
    deputies: list[NotBlank] = Field(default_factory=list, max_length=100, description="deputies' names")
    voters: StrictInt = Field(ge=0, le=1000000, description="voters attending")
    location: str | None = Field(default=None, max_length=500)
    summary: str | None = Field(default=None, max_length=50000)


class VoterMeetingCreate(VoterMeetingBase):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "held_on": "2026-11-14",
                    "unit_code": "00070",
                    "organised_by": "HDND-00070",
                    "deputies": ["Lê Thị Mai", "Phạm Văn Quang"],
                    "voters": 120,
                    "location": "Nhà văn hóa tổ dân phố 3",
                    "case_ids": [],
                    "summary": None,
                }
            ]
        },
    )

    organised_by: str | None = Field(
        default=None,
        max_length=64,
        description="the People's Council or Fatherland Front organising it (organisation code); default yours",
    )
    case_ids: list[CaseIdIn] = _case_ids_field(
        "petitions raised there: cases with channel voter_meeting in your jurisdiction"
    )

    @field_validator("case_ids")
    @classmethod
    def _check_ids(cls, v: list[int]) -> list[int]:
        return _ids(v)

    @field_validator("deputies")
    @classmethod
    def _check_deputies(cls, v: list[str]) -> list[str]:
        return [_strip(d) for d in v]


class VoterMeetingUpdate(SQLModel):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "case_ids": [1, 2],
                    "summary": "Hai kiến nghị đã được UBND phường trả lời; một kiến nghị đang giải quyết.",
                }
            ]
        },
    )

    deputies: list[NotBlank] | None = Field(default=None, max_length=100)
    voters: StrictInt | None = Field(default=None, ge=0, le=1000000)
    location: str | None = Field(default=None, max_length=500)
    case_ids: list[CaseIdIn] | None = Field(
        default=None, max_length=200, schema_extra={"json_schema_extra": {"uniqueItems": True}}
    )
    summary: str | None = Field(default=None, max_length=50000)

    @field_validator("case_ids")
    @classmethod
    def _check_ids(cls, v: list[int] | None) -> list[int] | None:
        return _ids(v) if v is not None else v

    @field_validator("deputies")
    @classmethod
    def _check_deputies(cls, v: list[str] | None) -> list[str] | None:
        return [_strip(d) for d in v] if v else v


class MeetingCase(LinkedCasePublic):
    answered: bool = Field(description="an answer or decision has been issued")
    outcome: str | None


class MeetingCountsPublic(SQLModel):
    total: int
    answered: int
    open: int = Field(description="still awaiting an answer")
    overdue: int


class VoterMeetingPublic(VoterMeetingBase):
    id: int
    organised_by: str
    organised_by_name: str
    case_ids: list[int]
    cases: list[MeetingCase]
    counts: MeetingCountsPublic
    version: int
    created_at: datetime
    updated_at: datetime
