"""The city's yearly report over `petitions demo` data (issue 9, "done when"): the XLSX opens, reads
as a Vietnamese report table (title, headings, numbers as numbers, totals row equal to the JSON's)
with its chart; the CLI writes the same bytes as the API; the history agrees with the cases."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import select

from app.config import Settings
from app.db import Database
from app.demo import load_demo
from app.main import create_app
from app.migrations import upgrade
from app.models.reference import Organization
from app.models.reports import ACTIVITY_INDICATORS, CASE_INDICATORS, HEADINGS_VI
from app.models.users import User
from app.security import create_access_token, hash_password
from app.services.reference import seed_reference
from tests.dbtools import throwaway_database

pytestmark = pytest.mark.slow
TODAY = date(2026, 11, 27)
ROOT = Path(__file__).resolve().parents[1]


@pytest_asyncio.fixture(scope="module")
async def demo(database_url, tmp_path_factory):
    async with throwaway_database(database_url, tmp_path_factory.mktemp("repdemo"), "repdemo") as url:
        await asyncio.to_thread(upgrade, url)
        settings = Settings(
            app_env="test", database_url=url, argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1
        )
        db = Database.from_settings(settings)
        try:
            async with db.sessionmaker() as s, s.begin():
                await seed_reference(s)
            await load_demo(db, cases=120, seed=3, batch=60, today=TODAY, password="demo-password-1")
            async with db.sessionmaker() as s, s.begin():
                org = (await s.execute(select(Organization).where(Organization.code == "MTTQ-01"))).scalar_one()
                user = User(
                    username="rep.sup",
                    full_name="Giám sát",
                    password_hash=hash_password("x" * 12),
                    role="supervisor",
                    organization_id=org.id,
                )
                s.add(user)
                await s.flush()
                token = create_access_token(settings, subject=str(user.id))
        finally:
            await db.dispose()
        app = create_app(settings, configure_logs=False)
        app.state.today = lambda: TODAY
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://test") as client,
        ):
            yield client, {"Authorization": f"Bearer {token}"}, url


async def _get(client, headers, fmt: str) -> httpx.Response:
    resp = await client.get(
        "/api/v1/reports/periodic",
        params={"period": "year", "year": 2026, "unit": "01", "format": fmt},
        headers=headers,
    )
    assert resp.status_code == 200, resp.text
    return resp


async def test_the_city_yearly_xlsx_reads_as_the_json(demo):
    client, headers, _ = demo
    report = (await _get(client, headers, "json")).json()
    assert report["total"]["cases"]["received"] > 50
    resp = await _get(client, headers, "xlsx")
    assert resp.headers["content-disposition"] == 'attachment; filename="bao-cao-01-2026-year.xlsx"'
    wb = load_workbook(io.BytesIO(resp.content))
    ws = wb["Báo cáo"]
    assert "Thành phố Hà Nội" in ws["A1"].value and "Năm 2026" in ws["A1"].value
    headings = [c.value for c in ws[4]]
    assert headings == [
        "STT",
        "Đơn vị",
        *(HEADINGS_VI[n] for n in CASE_INDICATORS),
        *(HEADINGS_VI[n] for n in ACTIVITY_INDICATORS),
    ]
    rows = list(ws.iter_rows(min_row=5, values_only=True))
    rows = [r for r in rows if r[1] is not None]
    assert len(rows) == len(report["children"]) + 2  # each ward, the city's own row, the total
    total = rows[-1]
    assert total[1] == "Tổng cộng"
    names = [*CASE_INDICATORS, *ACTIVITY_INDICATORS]
    expected = {**report["total"]["cases"], **report["total"]["activities"]}
    assert dict(zip(names, total[2:], strict=True)) == expected
    assert all(isinstance(v, int) for v in total[2:])  # numbers as numbers
    # the rows above the total add up to it
    for j, name in enumerate(names):
        assert sum(r[2 + j] for r in rows[:-1]) == expected[name], name
    # the native chart, with its three series: received, resolved on time, overdue
    assert "xl/charts/chart1.xml" in zipfile.ZipFile(io.BytesIO(resp.content)).namelist()
    (chart,) = ws._charts
    assert chart.tagname == "barChart"
    series = [s.val.numRef.f for s in chart.series]
    cols = [
        get_column_letter(3 + CASE_INDICATORS.index(n)) for n in ("received", "resolved_on_time", "pending_overdue")
    ]
    assert series == [f"'Báo cáo'!${c}$5:${c}${4 + len(rows) - 1}" for c in cols]
    kinds = wb["Theo loại đơn"]
    kind_total = [r for r in kinds.iter_rows(min_row=5, values_only=True) if r[0] == "Tổng cộng"]
    assert sum(r[2 + CASE_INDICATORS.index("received")] for r in kind_total) == expected["received"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "json"])
async def test_the_cli_writes_the_same_bytes_as_the_api(demo, tmp_path, fmt):
    client, headers, url = demo
    api = (await _get(client, headers, fmt)).content
    out = tmp_path / f"r.{fmt}"
    env = {k: v for k, v in os.environ.items() if k not in ("JWT_SECRET", "APP_ENV", "TEST_DATABASE_URL")}
    env["DATABASE_URL"] = url
    proc = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            "-m",
            "app.cli",
            "reports",
            "export",
            "--period",
            "year",
            "--year",
            "2026",
            "--unit",
            "01",
            "--format",
            fmt,
            "--today",
            TODAY.isoformat(),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes() == api


async def test_each_cases_latest_step_is_the_case_as_it_is(demo):
    """Every write path records its step: over the demo's walk through the lifecycle, each case's
    last step holds exactly the case's state, and no step is dated after today."""
    from sqlalchemy import func

    from app.models.cases import Case
    from app.models.reports import CaseStep

    _, _, url = demo
    db = Database.from_settings(Settings(app_env="test", database_url=url))
    try:
        async with db.read_sessionmaker() as s, s.begin():
            last = select(CaseStep.case_id, func.max(CaseStep.id).label("id")).group_by(CaseStep.case_id).subquery()
            pairs = (
                await s.execute(
                    select(Case, CaseStep)
                    .join(last, last.c.case_id == Case.id)
                    .join(CaseStep, CaseStep.id == last.c.id)
                )
            ).all()
            n_cases = (await s.execute(select(func.count()).select_from(Case))).scalar()
            latest = (await s.execute(select(func.max(CaseStep.on)))).scalar()
    finally:
        await db.dispose()
    assert len(pairs) == n_cases > 100
    assert latest <= TODAY
    columns = (
        "status",
        "kind",
        "field",
        "location_path",
        "received_on",
        "stage",
        "due",
        "accepted_on",
        "decided_on",
        "ended_on",
        "outcome",
        "decided_late",
        "mass",
        "petitioner_count",
    )
    statuses = set()
    for case, step in pairs:
        assert {c: getattr(step, c) for c in columns} == {c: getattr(case, c) for c in columns}, case.code
        assert step.holder_path == (case.assigned_path or case.receiving_path)
        assert step.audit_seq is not None
        statuses.add(case.status)
    assert {"closed", "appealed", "archived", "verifying"} <= statuses


async def test_the_migration_backfills_the_history_of_existing_cases(demo):
    """Run last in this module: down to 0010 (no history) and up again over the demo's cases. The
    backfill rebuilds each case's end state from its dates and the audit trail: the same end days
    and lateness the service recorded, and the same year's report for what the backfill can know."""
    from sqlalchemy import func

    from app.migrations import downgrade
    from app.models.cases import Case
    from app.models.reports import CaseStep

    client, headers, url = demo
    before = (await _get(client, headers, "json")).json()["total"]["cases"]
    db = Database.from_settings(Settings(app_env="test", database_url=url))

    async def cases() -> list[tuple]:
        async with db.read_sessionmaker() as s, s.begin():
            return [
                tuple(r)
                for r in (await s.execute(select(Case.id, Case.ended_on, Case.decided_late).order_by(Case.id))).all()
            ]

    try:
        recorded = await cases()
        await db.dispose()
        await asyncio.to_thread(downgrade, url, "0010_pub")
        await asyncio.to_thread(upgrade, url)
        assert await cases() == recorded
        async with db.read_sessionmaker() as s, s.begin():
            last = select(CaseStep.case_id, func.max(CaseStep.id).label("id")).group_by(CaseStep.case_id).subquery()
            pairs = (
                await s.execute(
                    select(Case, CaseStep)
                    .join(last, last.c.case_id == Case.id)
                    .join(CaseStep, CaseStep.id == last.c.id)
                )
            ).all()
    finally:
        await db.dispose()
    for case, step in pairs:
        assert (step.status, step.due, step.ended_on, step.location_path) == (
            case.status,
            case.due,
            case.ended_on,
            case.location_path,
        )
    after = (await _get(client, headers, "json")).json()["total"]["cases"]
    # what the dates alone determine comes out the same
    for name in (
        "received",
        "carried_over",
        "total",
        "accepted",
        "resolved",
        "resolved_on_time",
        "resolved_late",
        "archived",
        "guided",
        "withdrawn",
        "rejected",
        "outcome_upheld",
        "outcome_true",
        "outcome_answered",
        "many_signers",
        "mass",
        "pending",
        "pending_overdue",
    ):
        assert after[name] == before[name], name
