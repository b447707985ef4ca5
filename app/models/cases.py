"""Cases (hồ sơ vụ việc), their petitioners, and the API schemas clients build against."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import (
    BaseModel,
    EmailStr,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError
from sqlmodel import Field, SQLModel, col

from app.models.base import DB_INT_MAX, NOT_BLANK, Day, SQLModelConfig, omit_not_null, padded, ts_field
from app.models.obligations import ObligationPublic
from app.workflows import lifecycle as lc
from app.workflows.deadlines import Complexity
from app.workflows.lifecycle import Kind, Stage, Status
from app.workflows.overdue import RUNNING_STATUSES


class Channel(StrEnum):
    in_person = "in_person"  # trực tiếp
    mail = "mail"  # qua bưu chính
    online = "online"  # trực tuyến
    voter_meeting = "voter_meeting"  # tiếp xúc cử tri
    forwarded = "forwarded"  # do cơ quan khác chuyển đến
    hotline = "hotline"  # đường dây nóng


class UrgentReason(StrEnum):
    """Why a case is urgent (Quy chế 2387 Art 23): tình huống phức tạp."""

    mass = "mass"  # đông người
    security = "security"  # an ninh chính trị, trật tự an toàn xã hội
    disaster = "disaster"  # thiên tai, thảm họa
    epidemic = "epidemic"  # dịch bệnh
    other = "other"


class CaseField(StrEnum):
    land = "land"  # đất đai
    housing = "housing"  # nhà ở
    compensation = "compensation"  # bồi thường, hỗ trợ, tái định cư
    environment = "environment"  # môi trường
    social_policy = "social_policy"  # chính sách xã hội
    justice = "justice"  # tư pháp
    corruption = "corruption"  # tham nhũng, tiêu cực
    administration = "administration"  # hành chính
    other = "other"


class Case(SQLModel, table=True):
    __tablename__ = "case_file"
    __table_args__ = (
        # the supervisor's screens: open cases by unit and status; overdue cases by due date.
        # On PostgreSQL the receiving/assigned path prefixes use the ixpg_*_pattern indexes
        # (alembic 0002), which work under any collation.
        sa.Index("ix_case_file_location_path_status", "location_path", "status"),
        sa.Index("ix_case_file_status_due", "status", "due"),
        sa.Index("ix_case_file_received_on_id", "received_on", "id"),
    )

    id: int = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    pin_hash: str = Field(max_length=255)
    kind: str = Field(max_length=16)
    status: str = Field(max_length=16)
    channel: str = Field(max_length=16)
    received_on: date
    title: str = Field(max_length=500)
    content: str = Field(default="", sa_type=sa.Text)
    field: str = Field(max_length=32)
    respondent: str | None = Field(default=None, max_length=500)
    location_unit_code: str = Field(foreign_key="admin_unit.code", max_length=16)
    location_path: str = Field(max_length=200)
    location_address: str | None = Field(default=None, max_length=500)
    anonymous: bool = False
    # Sticky: a denunciation's, or one whose petitioners are protected (they were denouncers on
    # this case or on one it was derived from); never cleared by a reclassification
    # (docs/architecture.md, identity protection).
    identity_protected: bool = False
    complaint_round: int | None = None
    parent_case_id: int | None = Field(default=None, foreign_key="case_file.id", index=True)
    split_from_id: int | None = Field(default=None, foreign_key="case_file.id")
    duplicate_of_id: int | None = Field(default=None, foreign_key="case_file.id")
    receiving_org_id: int = Field(foreign_key="organization.id", index=True)
    receiving_path: str = Field(max_length=200)
    assigned_org_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    assigned_path: str | None = Field(default=None, max_length=200)
    petitioner_count: int = 0
    mass: bool = False
    decision_date: date | None = Field(default=None, description="date of the decision or act complained about")
    filing_late: bool = False
    decision_received_on: date | None = Field(
        default=None, description="when the complainant received or learned of the decision (Luật Khiếu nại Art 9, 33)"
    )
    filing_obstacle_days: int = Field(
        default=0,
        sa_column_kwargs={"server_default": "0"},
        description="days lost to the obstacles of Luật Khiếu nại Art 9",
    )
    filing_obstacle_reason: str | None = Field(default=None, max_length=500)
    # the statutory clock (docs/deadlines.md)
    stage: str | None = Field(default=None, max_length=16)
    stage_started_on: date | None = None
    due: date | None = None
    due_rule: str | None = Field(default=None, max_length=64)
    # the running period's last day before the roll past non-working days (BLDS Art 148(5)):
    # extensions and resumptions add to it, and the roll applies once, to the end
    period_end: date | None = None
    remote_area: bool = False
    complexity: str | None = Field(default=None, max_length=32)
    extensions_used: int = 0
    suspended_on: date | None = None
    status_before_suspend: str | None = Field(default=None, max_length=16)
    accepted_on: date | None = None
    decided_on: date | None = None
    closed_on: date | None = None
    # reports (docs/reports.md): the day the case reached a final status, and whether its decision
    # came after the due date then in force
    ended_on: date | None = None
    decided_late: bool | None = None
    outcome: str | None = Field(default=None, max_length=32)
    outcome_summary: str | None = Field(default=None, sa_type=sa.Text)
    # Quy chế 2387 Art 23: flagged urgent by the `flag_urgent` transition (app/services/alerts.py)
    urgent: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    urgent_reason: str | None = Field(default=None, max_length=16)
    last_event_on: date
    version: int = 1
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


def overdue_condition(
    status: Any, stage: Any, due: Any, today: Any, among: Collection[str] | None = None
) -> sa.ColumnElement[bool]:
    """app/workflows/overdue.py's definition as SQL over any columns holding a case's status,
    stage and due date (the case itself, or its dated history for reports): a running status, a
    running stage with a due date, and `today` (a date or a date column) after it.

    `among` narrows the running statuses to those also in it (a list's own status filter): the
    same cases as the status filter AND the clause, in one `status IN` instead of two, which
    PostgreSQL would estimate as independent (docs/performance.md, the read path at 1M cases)."""
    running = RUNNING_STATUSES if among is None else RUNNING_STATUSES & frozenset(among)
    return sa.and_(status.in_(sorted(running)), stage.is_not(None), due.is_not(None), due < today)


def overdue_clause(today: date, among: Collection[str] | None = None) -> sa.ColumnElement[bool]:
    """app/workflows/overdue.py's definition as SQL (lists, supervision and reports use this one):
    a running status, a running stage with a due date, and today after it (`among`: see
    overdue_condition)."""
    return overdue_condition(col(Case.status), col(Case.stage), col(Case.due), today, among)


class CaseSearch(SQLModel, table=True):
    """The folded text the case list's `q` searches (code, title, content, respondent), one row per
    case, kept out of `case_file` so that a transition's UPDATE neither copies it nor touches its
    trigram index: only a change of the text itself writes here (decision 0096)."""

    __tablename__ = "case_search"

    case_id: int = Field(primary_key=True, foreign_key="case_file.id", sa_column_kwargs={"autoincrement": False})
    text: str = Field(default="", sa_type=sa.Text)


class Petitioner(SQLModel, table=True):
    """Người khiếu nại / tố cáo / kiến nghị / phản ánh. For denunciations, protected by law."""

    __tablename__ = "petitioner"
    __table_args__ = (sa.Index("ix_petitioner_id_number", "id_number"), sa.Index("ix_petitioner_name_key", "name_key"))

    id: int = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    position: int = 0
    full_name: str = Field(max_length=200)
    id_number: str | None = Field(default=None, max_length=20)
    phone: str | None = Field(default=None, max_length=20)
    address: str | None = Field(default=None, max_length=500)
    email: str | None = Field(default=None, max_length=254)
    is_representative: bool = False
    name_key: str = Field(default="", max_length=200, description="folded name, for duplicate detection")
    phone_key: str | None = Field(default=None, max_length=20)
    protected: bool = Field(
        default=False,
        description="a denouncer (here or on a case this one derives from): "
        "identity shown only to the holding organisation",
    )
    withdrawn_on: date | None = Field(default=None, description="the day this person withdrew (rút đơn)")


class DuplicateHint(SQLModel, table=True):
    """A new case (`other_case_id`) whose petitioner matched an open case (`case_id`) held by
    another organisation, at intake. Shown as a flag on `case_id` to those who may see its
    identity, never to the organisation that logged the new case (docs/decisions/0020-...)."""

    __tablename__ = "duplicate_hint"
    __table_args__ = (sa.UniqueConstraint("case_id", "other_case_id"),)

    id: int = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    other_case_id: int = Field(foreign_key="case_file.id")
    match: str = Field(max_length=32)
    created_at: datetime = ts_field()


class IdempotencyRecord(SQLModel, table=True):
    """A stored response for `Idempotency-Key`: a repeat with the same key and body returns it."""

    __tablename__ = "idempotency_record"

    user_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    key: str = Field(primary_key=True, max_length=128)
    scope: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int
    response: dict[str, Any] = Field(sa_type=sa.JSON)
    created_at: datetime = ts_field()


class RoutingRule(SQLModel, table=True):
    """Which organisation is competent for a location and kind (data, not code). The most
    specific matching rule wins; with no rule, the ward's People's Committee."""

    __tablename__ = "routing_rule"

    id: int = Field(default=None, primary_key=True)
    kind: str | None = Field(default=None, max_length=16)
    field: str | None = Field(default=None, max_length=32)
    unit_code: str | None = Field(default=None, foreign_key="admin_unit.code", max_length=16)
    org_code: str = Field(max_length=64)
    priority: int = 0
    note: str | None = Field(default=None, max_length=300)
    created_at: datetime = ts_field()


class CalendarOverride(SQLModel, table=True):
    """Days the Government decrees after the holidays library was released: extra days off,
    and make-up working Saturdays (ngày làm bù)."""

    __tablename__ = "calendar_override"

    day: date = Field(primary_key=True)
    working: bool
    note: str = Field(default="", max_length=300)


class DeadlineSetting(SQLModel, table=True):
    """An admin's change to a *local default* deadline (where the law sets none)."""

    __tablename__ = "deadline_setting"

    key: str = Field(primary_key=True, max_length=64)
    days: int
    mode: str = Field(max_length=16)
    updated_at: datetime = ts_field()


# ---- API schemas -----------------------------------------------------------------------------

_ID_NUMBER = re.compile(r"^([0-9]{9}|[0-9]{12})$")  # CMND (9) or CCCD (12)
_PHONE = re.compile(r"^\+?[0-9 .-]{8,20}$")
# What the validators below accept, for the document: stripped, a phone starts and ends with no space
ID_NUMBER_PATTERN = padded(r"[0-9]{9}|[0-9]{12}")
PHONE_PATTERN = padded(r"\+[0-9 .-]{7,19}[0-9.-]|[0-9.-][0-9 .-]{6,18}[0-9.-]")


class PetitionerBase(SQLModel):
    full_name: str = Field(min_length=1, max_length=200, schema_extra={"pattern": NOT_BLANK})
    id_number: str | None = Field(
        default=None,
        max_length=20,
        schema_extra={"pattern": ID_NUMBER_PATTERN},
        description="CMND (9 digits) or CCCD (12 digits)",
    )
    phone: str | None = Field(default=None, max_length=20, schema_extra={"pattern": PHONE_PATTERN})
    address: str | None = Field(default=None, max_length=500)
    email: EmailStr | None = None
    is_representative: StrictBool = False


class PetitionerCreate(PetitionerBase):
    model_config = SQLModelConfig(extra="forbid")

    @field_validator("full_name")
    @classmethod
    def _name(cls, v: str) -> str:
        v = " ".join(v.split())
        if not v:
            raise ValueError("must not be blank")
        return v

    @field_validator("id_number")
    @classmethod
    def _id(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        v = v.strip()
        if not _ID_NUMBER.match(v):
            raise ValueError("must be 9 (CMND) or 12 (CCCD) digits")
        return v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is None or v == "":
            return None
        if not _PHONE.match(v.strip()):
            raise ValueError("not a phone number")
        return v.strip()


class PetitionerPublic(PetitionerBase):
    id: int
    withdrawn_on: date | None = None


class FilingObstacle(SQLModel):
    """Days an obstacle of Luật Khiếu nại Art 9 kept the complainant from filing (illness, natural
    disaster, war, work or study far away, another objective obstacle): not counted in the
    90-day limit."""

    model_config = SQLModelConfig(extra="forbid")

    days: StrictInt = Field(ge=0, le=3650)
    reason: str = Field(default="", max_length=500)


def _not_blank(v: str | None) -> str | None:
    """A title of only spaces is no title: a 422 naming the field, never a 500 further on."""
    if v is None:
        return v
    v = v.strip()
    if not v:
        raise ValueError("must not be blank")
    return v


class CaseBase(SQLModel):
    kind: Kind
    channel: Channel
    title: str = Field(min_length=1, max_length=500, schema_extra={"pattern": NOT_BLANK})
    field: CaseField = CaseField.other
    anonymous: StrictBool = False
    complaint_round: StrictInt | None = Field(default=None, ge=1, le=2)
    parent_case_id: StrictInt | None = Field(
        default=None, ge=1, le=DB_INT_MAX, description="round 2: the round-1 case this complaint appeals"
    )


class CaseCreate(CaseBase):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "complaint",
                    "channel": "in_person",
                    "received_on": "2026-11-20",
                    "title": "Khiếu nại quyết định thu hồi đất",
                    "content": "Đề nghị xem xét lại quyết định thu hồi đất ...",
                    "field": "land",
                    "location_unit_code": "00070",
                    "respondent": "UBND phường Hoàn Kiếm",
                    "petitioners": [
                        {
                            "full_name": "Nguyễn Văn An",
                            "id_number": "001085012345",
                            "phone": "0912345678",
                            "address": "12 Hàng Bạc, Hoàn Kiếm, Hà Nội",
                            "is_representative": False,
                        }
                    ],
                    "anonymous": False,
                    "complaint_round": 1,
                    "parent_case_id": None,
                    "decision_date": "2026-10-01",
                }
            ]
        },
    )

    received_on: Day | None = Field(
        default=None,
        description="default today (Asia/Ho_Chi_Minh); never in the future "
        "nor before 1990-01-01 (else a 422 of type `rule`)",
    )
    content: str = Field(default="", max_length=20000)
    location_unit_code: str | None = Field(default=None, max_length=16)
    location_address: str | None = Field(default=None, max_length=500)
    location_choice: str | None = Field(
        default=None, max_length=16, description="the desk's choice among `location_resolution.candidates`"
    )
    respondent: str | None = Field(default=None, max_length=500)
    petitioners: list[PetitionerCreate] = Field(default_factory=list, max_length=500)
    petitioner_count: StrictInt | None = Field(
        default=None, ge=1, le=100000, description="signers, when more signed than are listed"
    )
    decision_date: Day | None = Field(
        default=None,
        description="complaints only: date of the decision or act complained "
        "about; not after received_on nor before 1990-01-01 (else a "
        "422 of type `rule`)",
    )
    decision_received_on: Day | None = Field(
        default=None,
        description="complaints: when the complainant received or learned of the decision or act "
        "(Luật Khiếu nại Art 9); default decision_date",
    )
    filing_obstacle: FilingObstacle | None = Field(
        default=None, description="complaints: days lost to the obstacles of Luật Khiếu nại Art 9, with the reason"
    )
    remote_area: StrictBool = Field(
        default=False, description="remote, mountainous or disadvantaged area (longer limits)"
    )

    @field_validator("title")
    @classmethod
    def _title(cls, v: str | None) -> str | None:
        return _not_blank(v)


class CaseUpdate(SQLModel):
    """Descriptive fields only: status, kind and the clock change through transitions."""

    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Khiếu nại quyết định thu hồi đất nông nghiệp",
                    "field": "land",
                    "respondent": "UBND phường Hoàn Kiếm",
                },
                {"remote_area": False},
            ]
        },
    )

    # title, field, location_unit_code, remote_area: leave out to keep, never null
    title: str | None = Field(
        default=None, min_length=1, max_length=500, schema_extra={"json_schema_extra": omit_not_null}
    )
    content: str | None = Field(default=None, max_length=20000)
    field: CaseField | None = Field(default=None, schema_extra={"json_schema_extra": omit_not_null})
    respondent: str | None = Field(default=None, max_length=500)
    decision_date: Day | None = None
    remote_area: StrictBool | None = Field(default=None, schema_extra={"json_schema_extra": omit_not_null})

    @model_validator(mode="before")
    @classmethod
    def _unit_is_a_transition(cls, data: Any) -> Any:
        """The unit moves the case between jurisdictions: a reasoned `relocate`, not an edit."""
        if isinstance(data, dict) and "location_unit_code" in data:
            raise ValidationError.from_exception_data(
                cls.__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError(
                            "use_relocate",
                            "not editable: a case's unit changes only by the `relocate` transition (with a reason)",
                        ),
                        loc=("location_unit_code",),
                        input=data["location_unit_code"],
                    )
                ],
            )
        return data

    @field_validator("title")
    @classmethod
    def _title(cls, v: str | None) -> str | None:
        return _not_blank(v)


# the action names come from the lifecycle table at import time, which a static Literal cannot name
ActionName = Literal[lc.ACTION_NAMES]  # type: ignore[valid-type]


class CaseTransitionCreate(SQLModel):
    """One action on a case; which fields an action needs is in docs/lifecycle.md and in
    `GET /cases/{id}/actions`."""

    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "action": "forward",
                    "to_org": "UBND-00070",
                    "reason": "Thuộc thẩm quyền UBND phường",
                    "on": "2026-11-21",
                },
                {"action": "accept", "reason": "Đủ điều kiện thụ lý"},
                {"action": "reject", "ground": "kn11_6_time_barred", "reason": "Quá thời hiệu khiếu nại"},
                {"action": "guide", "reason": "Hướng dẫn gửi đơn đến Tòa án", "guided_to": "TAND thành phố Hà Nội"},
                {"action": "archive", "ground": "duplicate", "duplicate_of": 1, "reason": "Trùng đơn đã thụ lý"},
                {"action": "reclassify", "kind": "petition", "reason": "Nội dung là kiến nghị, không phải khiếu nại"},
                {"action": "start_verification"},
                {"action": "suspend", "reason": "Chờ kết quả giám định"},
                {
                    "action": "extend",
                    "complexity": "particularly_complex",
                    "days": 20,
                    "reason": "Vụ việc đặc biệt phức tạp",
                },
                {"action": "decide", "outcome": "partly_upheld", "summary": "Khiếu nại đúng một phần"},
                {"action": "appeal", "reason": "Không đồng ý với quyết định lần đầu"},
                {"action": "withdraw", "reason": "Người khiếu nại rút đơn"},
                {"action": "relocate", "location_unit_code": "00073", "reason": "Địa điểm đất thuộc phường Cửa Nam"},
                {
                    "action": "withdraw",
                    "petitioner_ids": [12],
                    "partial": "Nội dung thứ hai",
                    "continue_resolution": False,
                    "reason": "Một người tố cáo rút một phần nội dung",
                },
                {"action": "notify", "obligation": "tc29_notify_acceptance", "reason": "Đã gửi thông báo thụ lý"},
                {
                    "action": "flag_urgent",
                    "urgent_reason": "mass",
                    "reason": "Khoảng 50 hộ dân tập trung tại trụ sở UBND",
                },
            ]
        },
    )

    action: ActionName = Field(description="see docs/lifecycle.md")
    reason: str | None = Field(default=None, max_length=5000)
    on: Day | None = Field(default=None, description="the date the action took effect; default today")
    to_org: str | None = Field(default=None, max_length=64)
    ground: str | None = Field(
        default=None, max_length=64, description="reject/archive: a ground code of the law (docs/lifecycle.md)"
    )
    outcome: str | None = Field(
        default=None,
        max_length=32,
        description="decide: complaints upheld|partly_upheld|rejected; denunciations "
        "true|partly_true|false; petitions and reflections answered",
    )
    summary: str | None = Field(default=None, max_length=20000)
    complexity: Complexity | None = Field(default=None, description="extend: how complex the case is")
    decision_received_on: Day | None = Field(
        default=None,
        description="appeal: when the complainant received the first decision (Luật Khiếu nại "
        "Art 33(1)); default the decision's date",
    )
    days: StrictInt | None = Field(
        default=None,
        ge=1,
        le=30,
        description="extend (denunciations): days of this extension, at most 30 (Luật Tố cáo Art 30); default 30",
    )
    kind: Kind | None = None
    complaint_round: StrictInt | None = Field(default=None, ge=1, le=2)
    duplicate_of: StrictInt | None = Field(
        default=None, ge=1, le=DB_INT_MAX, description="archive as duplicate: the case id"
    )
    guided_to: str | None = Field(default=None, max_length=300)
    remote_area: StrictBool | None = None
    location_unit_code: str | None = Field(
        default=None, max_length=16, description="relocate: the administrative unit the case is about now"
    )
    petitioner_ids: list[StrictInt] | None = Field(
        default=None, max_length=500, description="withdraw: who withdraws (default: everyone)"
    )
    partial: str | None = Field(
        default=None, max_length=5000, description="withdraw: the content withdrawn, when only part is"
    )
    continue_resolution: StrictBool | None = Field(
        default=None, description="withdraw, denunciations: resolved anyway (Luật Tố cáo Art 33(3)); needs a reason"
    )
    obligation: str | None = Field(
        default=None, max_length=64, description="notify: the key of the open obligation fulfilled"
    )
    verification_differs: StrictBool | None = Field(
        default=None,
        description="decide, round-1 complaints: the verification result still differs from the "
        "complainant's request, so a dialogue must have been held (Luật Khiếu nại Art 30(1))",
    )
    urgent_reason: UrgentReason | None = Field(default=None, description="flag_urgent: why (Quy chế 2387 Art 23)")


class CaseSplitPartCreate(SQLModel):
    model_config = SQLModelConfig(extra="forbid")

    kind: Kind
    title: str = Field(min_length=1, max_length=500)
    content: str = Field(default="", max_length=20000)
    field: CaseField | None = None

    @field_validator("title")
    @classmethod
    def _title(cls, v: str | None) -> str | None:
        return _not_blank(v)


class CaseSplitCreate(SQLModel):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "parts": [
                        {"kind": "complaint", "title": "Khiếu nại quyết định thu hồi đất", "field": "land"},
                        {
                            "kind": "reflection",
                            "title": "Phản ánh ô nhiễm tiếng ồn tại công trường",
                            "field": "environment",
                            "content": "Công trường thi công ban đêm gây ồn",
                        },
                    ],
                    "reason": "Đơn có nhiều nội dung thuộc thẩm quyền khác nhau",
                }
            ]
        },
    )

    parts: list[CaseSplitPartCreate] = Field(
        min_length=2,
        max_length=20,
        description="the first part stays in this case; each other part becomes a linked case",
    )
    reason: str | None = Field(default=None, max_length=2000)


class OrgRefPublic(SQLModel):
    id: int
    code: str
    name: str


class CasePublic(CaseBase):
    id: int
    code: str
    status: Status
    received_on: date
    location_unit_code: str
    receiving_org: OrgRefPublic
    assigned_org: OrgRefPublic | None
    petitioner_count: int
    mass: bool
    urgent: bool = False
    urgent_reason: UrgentReason | None = None
    identity_protected: bool
    due: date | None
    stage: Stage | None
    overdue: bool
    days_overdue: int
    outcome: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class CaseDetailPublic(CasePublic):
    content: str
    respondent: str | None
    location_address: str | None
    decision_date: date | None
    decision_received_on: date | None = Field(
        description="when the complainant received or learned of the decision (default decision_date)"
    )
    filing_obstacle: FilingObstacle | None
    filing_late: bool
    flags: list[CaseFlagPublic]
    petitioners: list[PetitionerPublic] | None = Field(
        description="null when hidden: a denunciation's identity is shown only to the organisation holding it"
    )
    identity_redacted: bool
    outcome_summary: str | None
    accepted_on: date | None
    decided_on: date | None
    closed_on: date | None
    suspended_on: date | None
    extensions_used: int
    complexity: str | None
    remote_area: bool
    due_rule: str | None
    split_from_id: int | None
    duplicate_of_id: int | None
    obligations: list[ObligationPublic] = Field(
        default_factory=list, description="the law's secondary time limits (docs/deadlines.md#obligations)"
    )


class _Sparse(BaseModel):
    """A response object whose optional keys are left out where they do not apply (not sent as
    null): the JSON shape clients rely on. A key is sent when it was given, even as null."""

    @model_serializer(mode="wrap")
    def _omit_absent(self, handler):  # unannotated on purpose: a return type would replace the fields' schema
        data = handler(self)
        return {k: v for k, v in data.items() if k in self.model_fields_set}


FlagCode = Literal["filing_deadline_passed", "mass", "anonymous_denunciation", "possible_duplicate_elsewhere"]


class CaseFlagPublic(_Sparse):
    """Something the desk must check on this case, with its legal source."""

    code: FlagCode
    source: str
    detail: str
    case_code: str | None = Field(default=None, description="possible_duplicate_elsewhere: the other case's code")
    org: str | None = Field(default=None, description="possible_duplicate_elsewhere: the organisation holding it")
    received_on: date | None = Field(default=None, description="possible_duplicate_elsewhere: when it was received")


class PossibleDuplicatePublic(SQLModel):
    """An open case of the caller's own organisation from the same petitioner."""

    id: int
    code: str
    title: str
    status: Status
    kind: Kind
    received_on: date
    match: Literal["same respondent", "similar title"]


class UnitRefPublic(SQLModel):
    code: str
    name: str


class LocationResolutionPublic(SQLModel):
    """How `location_address` was resolved to a ward or commune."""

    unit: UnitRefPublic
    candidates: list[UnitRefPublic]
    legacy: bool
    ambiguous: bool
    note: str | None


class TrackingPublic(SQLModel):
    code: str
    pin: str


class CaseCreatedPublic(CaseDetailPublic):
    tracking: TrackingPublic
    possible_duplicates: list[PossibleDuplicatePublic]
    suggested_org: OrgRefPublic | None
    location_resolution: LocationResolutionPublic | None = None


class CaseTransitionPublic(CaseDetailPublic):
    opened_case: CaseCreatedPublic | None = None


class GroundPublic(SQLModel):
    code: str
    label: str
    source: str


class CaseActionPublic(_Sparse):
    """One action the caller may take now, with the fields it needs (docs/lifecycle.md)."""

    action: ActionName
    label: str
    to_status: Status | None = Field(description="null: computed (resume returns to the status before suspension)")
    required: list[str]
    optional: list[str]
    source: str
    grounds: list[GroundPublic] | None = Field(default=None, description="reject/archive: the grounds of the law")
    outcomes: list[str] | None = Field(default=None, description="decide: the outcomes for this kind")
    complexities: list[Complexity] | None = Field(default=None, description="extend")
    urgent_reasons: list[UrgentReason] | None = Field(default=None, description="flag_urgent")
    obligations: list[str] | None = Field(default=None, description="notify: the open obligations it fulfils")


class CaseActionsPublic(SQLModel):
    case_id: int
    status: Status
    version: int
    actions: list[CaseActionPublic]


class CaseSplitPublic(SQLModel):
    case: CaseDetailPublic
    opened_cases: list[CaseCreatedPublic]
