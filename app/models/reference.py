"""Administrative units and organisations: the reference data every case hangs on."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from pydantic import StrictBool
from sqlmodel import Field, SQLModel

from app.models.base import Day, SQLModelConfig, ts_field


class UnitLevel(StrEnum):
    """`city` is a centrally-run city (thành phố trực thuộc trung ương) or a province;
    `district` the level abolished on 1 July 2025 (quận/huyện/thị xã), kept for legacy records;
    `commune` a ward, commune or special zone (phường/xã/đặc khu)."""

    city = "city"
    district = "district"
    commune = "commune"


class OrgKind(StrEnum):
    people_committee = "people_committee"  # UBND
    people_council = "people_council"  # HĐND
    fatherland_front = "fatherland_front"  # MTTQ
    inspectorate = "inspectorate"  # Thanh tra
    party_committee = "party_committee"  # Cấp ủy
    mass_mobilization_board = "mass_mobilization_board"  # Ban Dân vận
    citizen_reception_board = "citizen_reception_board"  # Ban Tiếp công dân
    department = "department"  # Sở, ngành
    police = "police"
    court = "court"
    procuracy = "procuracy"
    mass_organization = "mass_organization"
    other = "other"


# Kinds that resolve complaints and denunciations (thụ lý, giải quyết): state bodies with a
# competence under Luật Khiếu nại Ch. III and Luật Tố cáo Ch. II. The Fatherland Front, People's
# Councils, Party bodies, reception boards and mass organisations receive, guide and forward
# (Luật Tiếp công dân Art 26): they never accept. Decision 0031.
RESOLVING_KINDS = frozenset(
    {
        OrgKind.people_committee,
        OrgKind.inspectorate,
        OrgKind.department,
        OrgKind.police,
        OrgKind.court,
        OrgKind.procuracy,
    }
)


class AdminUnit(SQLModel, table=True):
    """Đơn vị hành chính. `path` is the materialised path ("01/00070/") used for subtree queries."""

    __tablename__ = "admin_unit"

    code: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=200)
    level: str = Field(max_length=16)
    parent_code: str | None = Field(default=None, foreign_key="admin_unit.code", max_length=16, index=True)
    path: str = Field(max_length=200, index=True)
    division_type: str | None = Field(default=None, max_length=40)
    codename: str | None = Field(default=None, max_length=200)
    valid_to: date | None = Field(default=None, description="last day the unit existed (legacy units)")


class Organization(SQLModel, table=True):
    """Cơ quan, tổ chức: every user belongs to one; every organisation sits at one unit."""

    __tablename__ = "organization"

    id: int = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=300)
    kind: str = Field(max_length=40)
    unit_code: str = Field(foreign_key="admin_unit.code", max_length=16, index=True)
    parent_code: str | None = Field(default=None, max_length=64, description="superior organisation's code")
    active: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    may_resolve: bool = Field(
        default=False,
        sa_column_kwargs={"server_default": sa.false()},
        description="accepts (thụ lý) and resolves complaints and denunciations",
    )
    created_at: datetime = ts_field()


# ---- API schemas -----------------------------------------------------------------------------


class UnitBase(SQLModel):
    # SQLModel's Field(regex=) is silently dropped; a pattern reaches pydantic through schema_extra.
    # No "/" above all: the materialised path ("01/00070/") is what jurisdiction is computed from.
    code: str = Field(min_length=1, max_length=16, schema_extra={"pattern": r"^[0-9A-Za-z_-]+$"})
    name: str = Field(min_length=1, max_length=200)
    level: UnitLevel
    parent_code: str | None = Field(default=None, max_length=16)
    division_type: str | None = Field(default=None, max_length=40)


class UnitPublic(UnitBase):
    valid_to: date | None = None


class UnitCreate(UnitBase):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "00071",
                    "name": "Phường Thử Nghiệm",
                    "level": "commune",
                    "parent_code": "01",
                    "division_type": "phường",
                },
                {
                    "code": "001",
                    "name": "Quận Ba Đình",
                    "level": "district",
                    "parent_code": "01",
                    "division_type": "quận",
                    "valid_to": "2025-06-30",
                },
            ]
        },
    )

    valid_to: Day | None = None


class OrgBase(SQLModel):
    code: str = Field(min_length=2, max_length=64, schema_extra={"pattern": r"^[0-9A-Za-z_.-]+$"})
    name: str = Field(min_length=1, max_length=300)
    kind: OrgKind
    unit_code: str = Field(min_length=1, max_length=16)
    parent_code: str | None = Field(default=None, max_length=64)


class OrgPublic(OrgBase):
    id: int
    active: bool = True
    may_resolve: bool = Field(
        default=False,
        description="accepts (thụ lý) and resolves complaints and denunciations; "
        "the Fatherland Front and People's Councils receive, guide and forward",
    )


class OrgCreate(OrgBase):
    model_config = SQLModelConfig(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "STNMT-01",
                    "name": "Sở Nông nghiệp và Môi trường Hà Nội",
                    "kind": "department",
                    "unit_code": "01",
                },
                {
                    "code": "CA-00070",
                    "name": "Công an phường Hoàn Kiếm",
                    "kind": "police",
                    "unit_code": "00070",
                    "parent_code": "UBND-00070",
                },
            ]
        },
    )

    may_resolve: StrictBool | None = Field(
        default=None,
        description="accepts and resolves complaints and denunciations; "
        "default by kind (people_committee, inspectorate, department, police, court, "
        "procuracy: true)",
    )
