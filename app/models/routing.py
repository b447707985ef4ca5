"""API schemas of the routing rules (the table is app.models.reference.RoutingRule)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from app.models.cases import CaseField
from app.workflows.lifecycle import Kind


class RoutingRuleBase(BaseModel):
    kind: Kind | None = None
    field: CaseField | None = None
    unit_code: str | None = Field(default=None, max_length=16, description="the unit and everything below it")
    org_code: str = Field(max_length=64)
    priority: StrictInt = Field(default=0, ge=-100, le=100)
    note: str | None = Field(default=None, max_length=300)


class RoutingRuleCreate(RoutingRuleBase):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "kind": "denunciation",
                    "field": "corruption",
                    "unit_code": "01",
                    "org_code": "TTR-01",
                    "priority": 10,
                    "note": "Tố cáo tham nhũng: Thanh tra Thành phố",
                },
                {"field": "land", "unit_code": "00070", "org_code": "UBND-00070"},
            ]
        },
    )


class RoutingRulePublic(RoutingRuleBase):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 1,
                    "kind": "denunciation",
                    "field": "corruption",
                    "unit_code": "01",
                    "org_code": "TTR-01",
                    "priority": 10,
                    "note": "Tố cáo tham nhũng: Thanh tra Thành phố",
                    "created_at": "2026-11-20T02:15:00Z",
                }
            ]
        }
    )

    id: int
    created_at: datetime
