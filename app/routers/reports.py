"""Periodic reports over HTTP (Quy chế 2387 Art 24; docs/reports.md): the report in JSON, CSV or
XLSX, and its frozen snapshots."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from app.deps import DbSession, ReadSession, Today
from app.models.base import DB_INT_MAX
from app.models.reports import ReportFormat, ReportPublic, SnapshotCreate, SnapshotPublic, SnapshotSummaryPublic
from app.pagination import Cursor, Limit, Page, cut_page, decode_cursor
from app.problems import problem_responses
from app.routers.params import InputRoute, id_path
from app.security import Principal, RequireRole
from app.services import report_export
from app.services import reports as svc
from app.workflows.periods import Basis, PeriodKind

router = APIRouter(route_class=InputRoute, prefix="/api/v1/reports", tags=["reports"], responses=problem_responses(401))
Reader = Annotated[Principal, Depends(RequireRole(*sorted(svc.READERS)))]
SnapshotId = Annotated[int, id_path("report snapshot")]
_DESC = {
    403: "Your role may not read reports (supervisors, handlers and admins may)",
    404: "No such unit or snapshot in your jurisdiction (its existence is not revealed)",
}
_FILES = {
    "content": {
        report_export.MEDIA_TYPES[ReportFormat.csv]: {"schema": {"type": "string"}},
        report_export.MEDIA_TYPES[ReportFormat.xlsx]: {"schema": {"type": "string", "format": "binary"}},
    },
    "description": "The report; `format=csv|xlsx`: a file (Content-Disposition names it)",
    "headers": {
        "Content-Disposition": {"description": "csv and xlsx: attachment; filename=…", "schema": {"type": "string"}}
    },
}


def _responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return problem_responses(*statuses, descriptions=_DESC)


@router.get(
    "/periodic",
    response_model=ReportPublic,
    summary="Periodic report of a unit (Quy chế 2387 Art 24)",
    description="A row per child unit, the unit's own cases and a total, with each indicator by kind and by "
    "field, computed from the cases' dated history (docs/reports.md defines every number). A "
    "closed period gives the same numbers whenever it is asked; `as_of_seq` (a snapshot's "
    "`audit_head_seq`) also leaves out corrections recorded after it.",
    responses={**_responses(403, 404, 422), 200: _FILES},
)
async def periodic(
    session: ReadSession,
    principal: Reader,
    t: Today,
    period: Annotated[PeriodKind, Query(description="month | quarter | half_year | nine_months | year")],
    year: Annotated[int, Query(ge=1990, le=2100)],
    index: Annotated[
        int | None, Query(ge=1, le=12, description="month 1-12, quarter 1-4, half 1-2; nine months and year: 1 or none")
    ] = None,
    basis: Annotated[
        Basis, Query(description="calendar, or the inspectorate's data period (15th to 14th)")
    ] = Basis.calendar,
    unit: Annotated[str | None, Query(max_length=16, description="administrative unit code; default your own")] = None,
    format: Annotated[ReportFormat, Query(description="json, csv (UTF-8 with BOM) or xlsx")] = ReportFormat.json,
    as_of_seq: Annotated[
        int | None, Query(ge=0, le=DB_INT_MAX, description="count only changes recorded up to this audit event")
    ] = None,
) -> Any:
    report = await svc.periodic_report(
        session,
        principal,
        period=period.value,
        year=year,
        index=index,
        basis=basis.value,
        unit=unit,
        today=t,
        as_of_seq=as_of_seq,
    )
    headers = {}
    if format != ReportFormat.json:
        headers["Content-Disposition"] = f'attachment; filename="{report_export.filename(report, format)}"'
    return Response(
        content=report_export.render(report, format), media_type=report_export.MEDIA_TYPES[format], headers=headers
    )


@router.post(
    "/snapshots",
    response_model=SnapshotPublic,
    status_code=201,
    summary="Freeze a report with the audit chain's head (immutable, audited)",
    responses=_responses(403, 404, 422),
)
async def create_snapshot(
    response: Response, session: DbSession, principal: Reader, t: Today, body: SnapshotCreate
) -> SnapshotPublic:
    snap = await svc.create_snapshot(session, principal, body, t)
    response.headers["Location"] = f"/api/v1/reports/snapshots/{snap.id}"
    return await svc.snapshot_out(session, snap)


@router.get(
    "/snapshots",
    response_model=Page[SnapshotSummaryPublic],
    summary="Report snapshots, newest first",
    responses=_responses(403, 404, 422),
)
async def list_snapshots(
    session: ReadSession,
    principal: Reader,
    unit: Annotated[str | None, Query(max_length=16, description="the unit and below")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SnapshotSummaryPublic]:
    after = decode_cursor(cursor, 1, kinds=(int,))
    rows = await svc.list_snapshots(session, principal, unit=unit, limit=limit, after_id=after[0] if after else None)
    page, nxt = cut_page(rows, limit, lambda s: [s.id])
    return Page(items=page, next_cursor=nxt)


@router.get(
    "/snapshots/{snapshot_id}",
    response_model=SnapshotPublic,
    summary="A snapshot exactly as frozen, and whether it and the audit trail up to its head still verify",
    description="Snapshots are immutable: PUT, PATCH and DELETE answer 405.",
    responses=_responses(403, 404, 422),
)
async def get_snapshot(session: ReadSession, principal: Reader, snapshot_id: SnapshotId) -> SnapshotPublic:
    snap = await svc.get_snapshot(session, principal, snapshot_id)
    return await svc.snapshot_out(session, snap)
