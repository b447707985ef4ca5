"""Supervision (giám sát): recommendations to agencies, the overview's and the alerts' schemas,
and the SQL forms of the supervision rules next to their pure forms in app/workflows."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from pydantic import StrictInt, field_validator
from sqlmodel import Field, SQLModel, col

from app.models.base import DB_INT_MAX, NOT_BLANK, Day, SQLModelConfig, ts_field
from app.models.cases import Case
from app.models.reference import UnitLevel
from app.workflows.overdue import RUNNING_STATUSES
from app.workflows.recommendations import RecStatus


class Recommendation(SQLModel, table=True):
    """Kiến nghị giám sát: a supervisor's recommendation to the organisation responsible for a
    case (or for a matter), which must answer by `response_due`."""

    __tablename__ = "recommendation"
    __table_args__ = (
        sa.Index("ix_recommendation_unit_path_status", "unit_path", "status"),
        sa.Index("ix_recommendation_target_org_id_status", "target_org_id", "status"),
    )

    id: int = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="case_file.id", index=True)
    target_org_id: int = Field(foreign_key="organization.id")
    target_path: str = Field(max_length=200, description="the target organisation's unit path")
    unit_code: str = Field(
        foreign_key="admin_unit.code",
        max_length=16,
        description="the case's location, else the target organisation's unit",
    )
    unit_path: str = Field(max_length=200)
    issuer_org_id: int = Field(foreign_key="organization.id")
    issued_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    issued_on: date
    content: str = Field(sa_type=sa.Text)
    response_due: date
    status: str = Field(max_length=16)
    response: str | None = Field(default=None, sa_type=sa.Text)
    answered_on: date | None = None
    answered_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    answered_late: bool = False
    closed_on: date | None = None
    version: int = 1
    created_at: datetime = ts_field()
    updated_at: datetime = ts_field()


def recommendation_overdue_clause(today: date) -> sa.ColumnElement[bool]:
    """app/workflows/recommendations.is_overdue as SQL: open, and today after the response due date."""
    return sa.and_(col(Recommendation.status) == RecStatus.open.value, col(Recommendation.response_due) < today)


def due_soon_clause(today: date, horizon: date) -> sa.ColumnElement[bool]:
    """app/workflows/supervision.is_due_soon as SQL: a running clock due from today to `horizon`."""
    return sa.and_(
        col(Case.status).in_(sorted(RUNNING_STATUSES)),
        col(Case.stage).is_not(None),
        col(Case.due).is_not(None),
        col(Case.due) >= today,
        col(Case.due) <= horizon,
    )


# ---- API schemas: recommendations -------------------------------------------------------------


class RecommendationBase(SQLModel):
    content: str = Field(min_length=1, max_length=20000, schema_extra={"pattern": NOT_BLANK})
    response_due: Day = Field(description="the date by which the organisation must answer")


class RecommendationCreate(RecommendationBase):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "case_id": 1,
                    "content": "Đề nghị UBND phường khẩn trương giải quyết đơn đã quá hạn và báo cáo kết quả.",
                    "response_due": "2026-12-15",
                },
                {
                    "target_org": "UBND-00070",
                    "content": "Đề nghị rà soát việc tiếp công dân định kỳ của Chủ tịch UBND phường.",
                    "response_due": "2026-12-31",
                },
            ]
        },
    )

    case_id: StrictInt | None = Field(
        default=None, ge=1, le=DB_INT_MAX, description="the case it is about; the target defaults to the case's holder"
    )
    target_org: str | None = Field(
        default=None, min_length=1, max_length=64, description="the organisation that must answer (its code)"
    )

    @field_validator("content")
    @classmethod
    def _content(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v.strip()


class RecommendationResponseCreate(SQLModel):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [{"response": "UBND phường đã ban hành quyết định giải quyết khiếu nại ngày 10/12/2026."}]
        },
    )

    response: str = Field(min_length=1, max_length=20000, schema_extra={"pattern": NOT_BLANK})

    @field_validator("response")
    @classmethod
    def _response(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("must not be blank")
        return v.strip()


class RecommendationTransitionCreate(SQLModel):
    """The supervisor's decision on an answer (app/workflows/recommendations.py)."""

    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"action": "close", "reason": "Câu trả lời đã đáp ứng kiến nghị"},
                {"action": "reopen", "reason": "Chưa trả lời nội dung thứ hai", "response_due": "2027-01-15"},
            ]
        },
    )

    action: str = Field(max_length=32, description="close | reopen (see `allowed_actions`)")
    reason: str | None = Field(default=None, max_length=5000)
    response_due: Day | None = Field(default=None, description="reopen: a new response due date")


class RecommendationPublic(RecommendationBase):
    id: int
    case_id: int | None
    case_code: str | None = None
    target_org: str = Field(description="the organisation that must answer (its code)")
    target_org_name: str
    unit_code: str
    issuer_org: str
    issued_on: date
    status: RecStatus
    overdue: bool
    days_overdue: int
    response: str | None
    answered_on: date | None
    answered_late: bool
    closed_on: date | None
    allowed_actions: list[str] = Field(default_factory=list, description="what the caller may do now")
    version: int
    created_at: datetime
    updated_at: datetime


# ---- API schemas: overview ---------------------------------------------------------------------


class OpenOverduePublic(SQLModel):
    open: int = 0
    overdue: int = 0


class RecommendationCountsPublic(OpenOverduePublic):
    answered: int = 0
    answered_late: int = Field(default=0, description="answered after the due date (still open or not)")


class MissedObligations(SQLModel):
    cases: int = Field(
        default=0, description="cases with an obligation overdue today (= GET /cases?unit=&obligation_overdue=true)"
    )
    obligations: int = Field(default=0, description="the overdue obligations of those cases")


class OldestOverduePublic(SQLModel):
    id: int
    code: str
    due: date
    days_overdue: int


class UnitOverviewPublic(SQLModel):
    unit_code: str
    unit_name: str | None = None
    open: int = Field(default=0, description="open cases located in the unit and below")
    overdue: int = 0
    due_soon: int = Field(default=0, description="running, not overdue, due within 5 working days")
    mass: int = Field(default=0, description="open mass cases (5 or more petitioners)")
    urgent: int = Field(default=0, description="open cases flagged urgent")
    by_kind: dict[str, int] = Field(default_factory=dict)
    by_stage: dict[str, int] = Field(
        default_factory=dict, description="open cases by clock stage; `none` = no running clock"
    )
    by_status: dict[str, int] = Field(default_factory=dict)
    oldest_overdue: OldestOverduePublic | None = None
    recommendations: RecommendationCountsPublic = Field(default_factory=RecommendationCountsPublic)
    commitments: OpenOverduePublic = Field(
        default_factory=OpenOverduePublic,
        description="open commitments of the dialogues about the unit, and "
        "the overdue ones (= GET /commitments?unit=&overdue=true)",
    )
    missed_obligations: MissedObligations = Field(default_factory=MissedObligations)
    # Extension point: a count provider (app/services/supervision.COUNT_PROVIDERS) fills each of
    # recommendations, commitments and missed_obligations.


class OverviewUnitPublic(SQLModel):
    code: str
    name: str
    level: UnitLevel


class OverviewPublic(SQLModel):
    unit: OverviewUnitPublic
    as_of: date
    due_soon_until: date = Field(description="today + 5 working days")
    total: UnitOverviewPublic = Field(description="the unit and everything below it")
    own: UnitOverviewPublic = Field(description="cases located at the unit itself, in none of its children")
    children: list[UnitOverviewPublic]


# ---- API schemas: alerts -------------------------------------------------------------------------


class AlertPublic(SQLModel):
    id: str
    at: datetime
    kind: str = Field(description="urgent | overdue | obligation_overdue")
    case_id: int
    unit_code: str
    message: str


class AlertPagePublic(SQLModel):
    items: list[AlertPublic]
    next_cursor: str = Field(description="pass as `after` to get only what is newer")
    has_more: bool = Field(default=False, description="more new alerts than `limit`: call again with next_cursor")
