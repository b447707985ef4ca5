"""What the public tracking endpoint returns: no name, ID number, phone, address, respondent,
title, content or internal note — only the case's progress."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class MilestonePublic(BaseModel):
    on: date
    step: str = Field(description="the lifecycle step, e.g. `case.accept`")
    label: str = Field(description="the step in words, in the response's language")


class OrgNamePublic(BaseModel):
    code: str
    name: str


class PublicCasePublic(BaseModel):
    code: str
    kind: str
    kind_label: str
    status: str
    status_label: str = Field(
        description="the status in words a citizen understands (Vietnamese, or English by Accept-Language)"
    )
    received_on: date
    accepted_on: date | None = None
    responsible_org: OrgNamePublic | None = Field(default=None, description="the organisation handling it now")
    stage: str | None = None
    stage_label: str | None = None
    due: date | None = Field(default=None, description="the current stage's statutory due date")
    overdue: bool
    milestones: list[MilestonePublic]
    language: str = Field(description="`vi` or `en`")
