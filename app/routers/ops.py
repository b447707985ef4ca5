"""Health, readiness and metrics for the engineer who runs this at night."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

from app.migrations import head_revision
from app.routers.params import InputRoute

router = APIRouter(route_class=InputRoute, tags=["operations"])


class Health(BaseModel):
    status: str = Field(examples=["ok"])


class Readiness(BaseModel):
    status: str = Field(description="`ok` or `unavailable`", examples=["ok"])
    database: str = Field(description="`ok`, or why not", examples=["ok"])
    revision: str | None = Field(default=None, description="the database's migration revision")
    expected_revision: str | None = Field(default=None, description="the code's latest migration revision")


@router.get("/healthz", response_model=Health, summary="The process is alive")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", response_model=Readiness, summary="The database is reachable and at the latest migration",
            responses={503: {"model": Readiness, "description": "database unreachable, not migrated, or behind"}})
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


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"description": "Prometheus text exposition format",
                             "content": {"text/plain": {"schema": {"type": "string"}}}}})
async def metrics(request: Request) -> Response:
    body, ctype = request.app.state.metrics.render()
    return Response(body, media_type=ctype)
