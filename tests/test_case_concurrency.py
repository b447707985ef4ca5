"""Two desks acting on the same case at the same moment, committing for real: one wins, the
others get 412 and change nothing; a repeated Idempotency-Key under a race files one case.
(PostgreSQL: the case row is locked FOR UPDATE; SQLite: BEGIN IMMEDIATE serialises writers.)"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from app.config import Settings
from app.db import Database
from app.migrations import upgrade
from app.models.audit import AuditEvent
from app.models.cases import Case
from app.models.reference import Organization
from app.models.users import User
from app.security import create_access_token, hash_password
from app.services import audit
from app.services.reference import seed_reference
from tests.api.casekit import case_body
from tests.conftest import standalone_client
from tests.dbtools import throwaway_database

pytestmark = pytest.mark.slow

RACERS = 6


async def _user(db: Database, settings: Settings, role: str, org_code: str) -> dict[str, str]:
    async with db.sessionmaker() as s, s.begin():
        org = (await s.execute(select(Organization).where(Organization.code == org_code))).scalar_one()
        user = User(
            username=f"{role}-{org_code}".lower(),
            password_hash=hash_password("irrelevant-pass"),
            role=role,
            organization_id=org.id,
        )
        s.add(user)
        await s.flush()
        uid = user.id
    return {"Authorization": f"Bearer {create_access_token(settings, subject=str(uid))}"}


async def test_concurrent_transitions_one_wins_the_rest_are_412(database_url, tmp_path):
    async with throwaway_database(database_url, tmp_path, "race") as url:
        await asyncio.to_thread(upgrade, url)
        settings = Settings(app_env="test", database_url=url, db_pool_size=RACERS)
        db = Database.from_settings(settings)
        try:
            async with db.sessionmaker() as s, s.begin():
                await seed_reference(s)
            desk = await _user(db, settings, "reception", "MTTQ-01")
            async with standalone_client(settings) as client:
                created = await client.post("/api/v1/cases", json=case_body(received_on="2026-11-02"), headers=desk)
                assert created.status_code == 201, created.text
                cid = created.json()["id"]
                targets = ["UBND-00070", "UBND-00004", "UBND-00008", "TTR-01", "UBND-01", "BTCD-01"][:RACERS]

                async def forward(to_org: str):
                    return await client.post(
                        f"/api/v1/cases/{cid}/transitions",
                        json={"action": "forward", "to_org": to_org, "on": "2026-11-03"},
                        headers={**desk, "If-Match": '"1"'},
                    )

                results = await asyncio.gather(*(forward(t) for t in targets))
                codes = sorted(r.status_code for r in results)
                assert codes == [200] + [412] * (RACERS - 1), [r.text for r in results]
                winner = next(r for r in results if r.status_code == 200).json()
                final = (await client.get(f"/api/v1/cases/{cid}", headers=desk)).json()
                assert final["version"] == 2 and final["assigned_org"]["code"] == winner["assigned_org"]["code"]

                # an Idempotency-Key repeated by a client retrying in a hurry files exactly one case
                key = {**desk, "Idempotency-Key": "retry-storm-1"}
                body = case_body(title="Đơn gửi lại nhiều lần", received_on="2026-11-02")
                burst = await asyncio.gather(
                    *(client.post("/api/v1/cases", json=body, headers=key) for _ in range(RACERS))
                )
                assert {r.status_code for r in burst} <= {201, 409}, [r.text for r in burst]
                ids = {r.json()["id"] for r in burst if r.status_code == 201}
                assert len(ids) == 1
            async with db.read_sessionmaker() as s, s.begin():
                n = (
                    await s.execute(select(func.count()).select_from(Case).where(Case.title == "Đơn gửi lại nhiều lần"))
                ).scalar_one()
                forwards = (
                    await s.execute(
                        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.forward")
                    )
                ).scalar_one()
                assert n == 1 and forwards == 1
                assert (await audit.verify(s)).ok
        finally:
            await db.dispose()
