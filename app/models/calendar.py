"""API schemas of the deadline engine: working-day overrides, the rule table, due-date checks."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from app.models.base import Day
from app.workflows.calendar import CountingMode
from app.workflows.deadlines import Stage
from app.workflows.lifecycle import Kind


class CalendarOverrideBase(BaseModel):
    day: Day
    working: StrictBool = Field(description="true: a make-up working day (ngày làm bù); false: an extra day off")
    note: str = Field(default="", max_length=300)


class CalendarOverrideUpdate(CalendarOverrideBase):
    model_config = ConfigDict(extra="forbid")


class CalendarOverridePublic(CalendarOverrideBase):
    pass


class CalendarOverridesUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "year": 2026,
                    "overrides": [
                        {
                            "day": "2026-01-02",
                            "working": False,
                            "note": "Nghỉ bù Tết Dương lịch (quyết định của Thủ tướng)",
                        },
                        {"day": "2026-01-10", "working": True, "note": "Làm bù cho ngày 02/01"},
                    ],
                },
                {"overrides": []},
            ]
        },
    )

    year: StrictInt | None = Field(
        default=None, ge=2000, le=2100, description="replace only this year's overrides; omit to replace all"
    )
    overrides: list[CalendarOverrideUpdate] = Field(max_length=400)


class CalendarOverridesPublic(BaseModel):
    overrides: list[CalendarOverridePublic]


class DueDatePublic(BaseModel):
    start: date
    days: int
    mode: CountingMode
    due: date
    rule: str


class DeadlineRulePublic(BaseModel):
    key: str
    kind: Kind
    round: int | None
    stage: Stage
    days: int
    mode: CountingMode
    complex_days: int | None
    remote_days: int | None
    remote_complex_days: int | None
    extension_days: int | None
    max_extensions: int
    effective_from: date
    source: str
    local_default: bool
    note: str


class DeadlineRuleUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"days": 10, "mode": "working"}]})

    days: StrictInt = Field(ge=1, le=365)
    mode: CountingMode
