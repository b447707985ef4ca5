"""A case's obligations: the law's secondary time limits (app/workflows/obligations.py), one row each."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlmodel import Field, SQLModel, col

from app.models.base import ts_field


class CaseObligation(SQLModel, table=True):
    """Started by an event on the case, fulfilled (`done_on`) or cancelled (`cancelled_on`) by a later one."""

    __tablename__ = "case_obligation"
    __table_args__ = (
        # supervision and reports: open obligations by due date
        sa.Index("ix_case_obligation_due", "due"),
    )

    id: int = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="case_file.id", index=True)
    key: str = Field(max_length=64)
    org_id: int = Field(foreign_key="organization.id", description="the organisation that owes it")
    started_on: date
    due: date
    done_on: date | None = None
    cancelled_on: date | None = None
    source: str = Field(max_length=200)
    created_at: datetime = ts_field()


def obligation_overdue_clause(today: date) -> sa.ColumnElement[bool]:
    """app/workflows/obligations.is_obligation_overdue as SQL: neither done nor cancelled, and
    today after the due date."""
    return sa.and_(
        col(CaseObligation.done_on).is_(None),
        col(CaseObligation.cancelled_on).is_(None),
        col(CaseObligation.due) < today,
    )


def case_has_overdue_obligation(
    case_id_col: sa.ColumnElement[int] | Mapped[int], today: date
) -> sa.ColumnElement[bool]:
    """EXISTS an overdue obligation of the case (for case lists, supervision and reports)."""
    return sa.exists().where(col(CaseObligation.case_id) == case_id_col, obligation_overdue_clause(today))


class ObligationPublic(SQLModel):
    key: str
    label: str
    due: date
    done_on: date | None
    cancelled_on: date | None
    overdue: bool
    source: str
    started_on: date
    org_code: str | None = Field(default=None, description="the organisation that owes it")
