"""Periodic reports (Quy chế 2387 Art 24; docs/reports.md): the cases' dated history they are
computed from, the frozen snapshots, and the report's API schemas."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import ConfigDict, StrictInt
from sqlmodel import Field, SQLModel

from app.models.base import ts_field
from app.models.cases import CaseField
from app.workflows.lifecycle import Kind
from app.workflows.periods import Basis, PeriodKind


class CaseStep(SQLModel, table=True):
    """One dated change of a case, append-only: the case's state *after* the change, in force from
    the day `on` (the action's effective date) until the case's next step. Written in the same
    transaction as the change and its audit event (app/services/cases/steps.py); `audit_seq` is
    that event, so "recorded up to audit event N" is an exact cut-off (decision 0081). Rows
    backfilled by the migration for cases older than the table have no `audit_seq`."""

    __tablename__ = "case_step"
    __table_args__ = (
        sa.Index("ix_case_step_case_id_on_id", "case_id", "on", "id"),
        sa.Index("ix_case_step_on_action", "on", "action"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id")
    on: date = Field(description="the day the change took effect")
    recorded_at: datetime = ts_field()
    audit_seq: int | None = Field(default=None, description="the audit event recording the change")
    action: str = Field(max_length=32, description="intake, a lifecycle action, update, split or backfill")
    # the case's state from `on`
    status: str = Field(max_length=16)
    kind: str = Field(max_length=16)
    field: str = Field(max_length=32)
    location_path: str = Field(max_length=200)
    holder_path: str = Field(max_length=200, description="the holding organisation's unit path")
    received_on: date
    stage: str | None = Field(default=None, max_length=16)
    due: date | None = None
    accepted_on: date | None = None
    decided_on: date | None = None
    ended_on: date | None = Field(default=None, description="the day the case reached a final status")
    forwarded: bool = Field(default=False, description="held by another organisation than the one that received it")
    mass: bool = False
    petitioner_count: int = 0
    outcome: str | None = Field(default=None, max_length=32)
    decided_late: bool | None = None


class ReportSnapshot(SQLModel, table=True):
    """A report frozen as sent upward: never changed nor deleted (no endpoint does)."""

    __tablename__ = "report_snapshot"

    id: int | None = Field(default=None, primary_key=True)
    unit_code: str = Field(foreign_key="admin_unit.code", max_length=16)
    unit_path: str = Field(max_length=200, index=True)
    period: str = Field(max_length=16)
    year: int
    period_index: int
    basis: str = Field(max_length=16)
    body: dict[str, Any] = Field(sa_type=sa.JSON, description="the report, as the API returned it")
    body_digest: str = Field(max_length=64, description="sha256 of the canonical JSON of `body`")
    audit_head_seq: int = Field(description="the audit chain's head when frozen (0: empty chain)")
    audit_head_hash: str = Field(max_length=64)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_by: str = Field(max_length=64)
    org_code: str = Field(max_length=64)
    created_at: datetime = ts_field()


# ---- API schemas -----------------------------------------------------------------------------


class ReportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class CaseIndicatorsPublic(SQLModel):
    """The processing and results indicators (legal-rules.md §8), defined in docs/reports.md."""

    carried_over: int = 0
    received: int = 0
    total: int = 0
    processable: int = 0
    within_competence: int = 0
    forwarded: int = 0
    guided: int = 0
    archived: int = 0
    rejected: int = 0
    accepted: int = 0
    resolved: int = 0
    resolved_on_time: int = 0
    resolved_late: int = 0
    pending: int = 0
    pending_within_deadline: int = 0
    pending_overdue: int = 0
    outcome_upheld: int = 0
    outcome_partly_upheld: int = 0
    outcome_rejected: int = 0
    outcome_true: int = 0
    outcome_partly_true: int = 0
    outcome_false: int = 0
    outcome_answered: int = 0
    withdrawn: int = 0
    terminated: int = 0
    many_signers: int = 0
    mass: int = 0


class ActivityIndicatorsPublic(SQLModel):
    """Dialogues, reception, commitments, recommendations and obligations, by their own dates."""

    dialogues_held: int = 0
    reception_sessions: int = 0
    reception_visitors: int = 0
    commitments_kept: int = 0
    commitments_missed: int = 0
    recommendations_issued: int = 0
    recommendations_answered: int = 0
    obligations_missed: int = 0


CASE_INDICATORS: tuple[str, ...] = tuple(CaseIndicatorsPublic.model_fields)
ACTIVITY_INDICATORS: tuple[str, ...] = tuple(ActivityIndicatorsPublic.model_fields)

# Column headings as a Vietnamese report table reads them (CSV, XLSX).
HEADINGS_VI: dict[str, str] = {
    "carried_over": "Kỳ trước chuyển sang",
    "received": "Tiếp nhận trong kỳ",
    "total": "Tổng số phải xử lý",
    "processable": "Đủ điều kiện xử lý",
    "within_competence": "Thuộc thẩm quyền",
    "forwarded": "Chuyển đơn",
    "guided": "Hướng dẫn",
    "archived": "Lưu đơn",
    "rejected": "Không thụ lý",
    "accepted": "Thụ lý trong kỳ",
    "resolved": "Đã giải quyết",
    "resolved_on_time": "Giải quyết đúng hạn",
    "resolved_late": "Giải quyết quá hạn",
    "pending": "Đang giải quyết",
    "pending_within_deadline": "Trong hạn",
    "pending_overdue": "Quá hạn",
    "outcome_upheld": "KN đúng",
    "outcome_partly_upheld": "KN đúng một phần",
    "outcome_rejected": "KN sai",
    "outcome_true": "TC đúng",
    "outcome_partly_true": "TC đúng một phần",
    "outcome_false": "TC sai",
    "outcome_answered": "KN-PA đã trả lời",
    "withdrawn": "Rút đơn",
    "terminated": "Đình chỉ",
    "many_signers": "Đơn nhiều người ký",
    "mass": "Đông người",
    "dialogues_held": "Đối thoại đã tổ chức",
    "reception_sessions": "Buổi tiếp công dân",
    "reception_visitors": "Lượt người được tiếp",
    "commitments_kept": "Cam kết thực hiện đúng hạn",
    "commitments_missed": "Cam kết không đúng hạn",
    "recommendations_issued": "Kiến nghị giám sát đã ban hành",
    "recommendations_answered": "Kiến nghị đã được trả lời",
    "obligations_missed": "Nghĩa vụ pháp lý bị trễ",
}
KIND_VI = {
    Kind.complaint: "Khiếu nại",
    Kind.denunciation: "Tố cáo",
    Kind.petition: "Kiến nghị",
    Kind.reflection: "Phản ánh",
}
FIELD_VI = {
    CaseField.land: "Đất đai",
    CaseField.housing: "Nhà ở",
    CaseField.compensation: "Bồi thường, tái định cư",
    CaseField.environment: "Môi trường",
    CaseField.social_policy: "Chính sách xã hội",
    CaseField.justice: "Tư pháp",
    CaseField.corruption: "Tham nhũng, tiêu cực",
    CaseField.administration: "Hành chính",
    CaseField.other: "Khác",
}


class ReportRowPublic(SQLModel):
    unit_code: str
    unit_name: str
    row: str = Field(
        description="`child`: a child unit and everything below it; `own`: cases at the unit itself, "
        "in none of its children; `total`: the unit and everything below it"
    )
    cases: CaseIndicatorsPublic
    by_kind: dict[Kind, CaseIndicatorsPublic] = Field(description="the case indicators of each kind")
    by_field: dict[CaseField, CaseIndicatorsPublic] = Field(description="the case indicators of each field")
    activities: ActivityIndicatorsPublic


class ReportUnitPublic(SQLModel):
    code: str
    name: str
    level: str


class ReportPeriodPublic(SQLModel):
    kind: PeriodKind
    year: int
    index: int
    basis: Basis
    label: str = Field(description="as a Vietnamese report names it")
    start: date
    end: date


class ReportPublic(SQLModel):
    unit: ReportUnitPublic
    period: ReportPeriodPublic
    counted_to: date = Field(
        description="the day the end-of-period state is read at: the period's end, or today while the period runs"
    )
    as_of_seq: int = Field(description="only changes recorded up to this audit event are counted (0: none)")
    children: list[ReportRowPublic]
    own: ReportRowPublic
    total: ReportRowPublic


class SnapshotCreate(SQLModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [  # type: ignore[assignment]
                {"period": "quarter", "year": 2026, "index": 3, "unit": "01"}
            ]
        },
    )

    period: PeriodKind
    year: StrictInt = Field(ge=1990, le=2100)
    index: StrictInt | None = Field(
        default=None, ge=1, le=12, description="month 1-12, quarter 1-4, half 1-2; nine months and year: 1 or none"
    )
    basis: Basis = Basis.calendar
    unit: str | None = Field(
        default=None, min_length=1, max_length=16, description="administrative unit code; default your own"
    )


class SnapshotVerificationPublic(SQLModel):
    body_digest_ok: bool = Field(description="the stored body still hashes to the digest taken when frozen")
    audit_event_ok: bool = Field(description="the snapshot's own audit event records this digest and head")
    chain_ok: bool = Field(description="the audit chain verifies from its start up to the frozen head")
    chain_events_checked: int
    chain_first_bad_seq: int | None = None
    detail: str | None = None


class SnapshotSummaryPublic(SQLModel):
    id: int
    unit_code: str
    period: PeriodKind
    year: int
    index: int
    basis: Basis
    body_digest: str
    audit_head_seq: int
    audit_head_hash: str
    created_by: str
    org_code: str
    created_at: datetime


class SnapshotPublic(SnapshotSummaryPublic):
    report: ReportPublic = Field(description="the report exactly as frozen")
    verification: SnapshotVerificationPublic
