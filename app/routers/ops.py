"""Health, readiness and metrics for the engineer who runs this at night."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.migrations import head_revision

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="The database is reachable and at the latest migration")
async def readyz(request: Request) -> JSONResponse:
    db = request.app.state.db
    expected = head_revision()
    try:
        async with db.read_sessionmaker() as session:
            current = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar_one_or_none()
    except Exception:
        return JSONResponse({"status": "unavailable", "database": "unreachable or not migrated",
                             "expected_revision": expected}, status_code=503)
    ok = current == expected
    return JSONResponse({"status": "ok" if ok else "unavailable", "database": "ok",
                         "revision": current, "expected_revision": expected}, status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    body, ctype = request.app.state.metrics.render()
    return Response(body, media_type=ctype)
