"""Two API processes on one PostgreSQL, as behind a load balancer (docs/scaling.md): concurrent
intakes and acceptances sent to both, then the chain is valid and gapless and nothing is lost —
every 201 has its case and its event, every accepted case its acceptance event. And with
RATE_LIMITS_SHARED a client's public look-ups spread over both processes draw on one budget."""

from __future__ import annotations

import asyncio
import os
import random
import secrets

import httpx
import pytest
from sqlalchemy import text

from app.config import Settings
from app.db import Database
from app.migrations import upgrade
from app.models.users import Role, UserCreate
from app.services import audit
from app.services.reference import seed_reference
from app.services.users import create_user
from tests.liveserver import database_url, server_processes

pytestmark = pytest.mark.slow

PASSWORD = "scale-out-password-1"
WARD = "00070"
PER_SERVER = 30
CONCURRENCY = 6


def _intake_body(i: int) -> dict:
    return {
        "kind": "petition",
        "channel": "in_person",
        "field": "land",
        "location_unit_code": WARD,
        "title": f"Kiến nghị về cấp Giấy chứng nhận quyền sử dụng đất, hồ sơ số {i}",
        "content": "Đề nghị xem xét, giải quyết theo quy định của Luật Đất đai năm 2024.",
        "petitioners": [{"full_name": "Nguyễn Văn An", "id_number": f"001{i:09d}"}],
    }


async def _drive(bases: list[str]) -> tuple[list[dict], list[int]]:
    """Intakes on both servers at once; then each case accepted through the *other* server."""
    clients = [httpx.AsyncClient(base_url=b, timeout=30) for b in bases]
    try:
        for c in clients:
            r = await c.post("/api/v1/auth/token", data={"username": "desk", "password": PASSWORD})
            assert r.status_code == 200, r.text
            c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        created: list[dict] = []

        async def intakes(server: int) -> None:
            numbers = iter(range(server * PER_SERVER, (server + 1) * PER_SERVER))

            async def worker() -> None:
                for i in numbers:
                    r = await clients[server].post("/api/v1/cases", json=_intake_body(i))
                    assert r.status_code == 201, r.text
                    created.append({**r.json(), "server": server})

            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))

        await asyncio.gather(intakes(0), intakes(1))
        accepted: list[int] = []
        todo = iter(random.Random(7).sample(created, len(created) // 2))

        async def accept_worker() -> None:
            for case in todo:
                other = clients[1 - case["server"]]
                r = await other.post(
                    f"/api/v1/cases/{case['id']}/transitions",
                    json={"action": "accept"},
                    headers={"If-Match": f'"{case["version"]}"'},
                )
                assert r.status_code == 200, r.text
                accepted.append(case["id"])

        await asyncio.gather(*(accept_worker() for _ in range(2 * CONCURRENCY)))
        return created, accepted
    finally:
        for c in clients:
            await c.aclose()


LOOKUPS = 4


async def _lookups(bases: list[str]) -> list[int]:
    """Public look-ups of an unknown code from one address, alternating between the processes."""
    async with httpx.AsyncClient(timeout=30) as c:
        return [
            (await c.get(f"{bases[i % 2]}/api/v1/public/cases/HN-NO-SUCH-CASE", params={"pin": "000000"})).status_code
            for i in range(LOOKUPS + 2)
        ]


async def _prepare(url: str) -> None:
    """What `petitions migrate`, `seed` and `users create` do, in this process (each of those is a
    process start and a full import of the app: seconds each)."""
    await asyncio.to_thread(upgrade, url)
    db = Database.from_settings(Settings(app_env="test", database_url=url))
    try:
        async with db.sessionmaker() as s, s.begin():
            await seed_reference(s)
        async with db.sessionmaker() as s, s.begin():
            await create_user(
                s, "test", UserCreate(username="desk", password=PASSWORD, role=Role.handler, org=f"UBND-{WARD}")
            )
    finally:
        await db.dispose()


async def _stored(url: str):
    db = Database.from_settings(Settings(app_env="test", database_url=url))
    try:
        async with db.read_sessionmaker() as s, s.begin():
            cases = {r[0]: r[1] for r in await s.execute(text("SELECT id, code FROM case_file"))}
            events = [
                tuple(r) for r in await s.execute(text("SELECT seq, action, case_id FROM audit_event ORDER BY seq"))
            ]
            verify = await audit.verify(s)
    finally:
        await db.dispose()
    return cases, events, verify


def test_two_server_processes_write_one_gapless_chain(tmp_path, is_postgres):
    if not is_postgres:
        pytest.skip(
            "several API processes on one database is the PostgreSQL deployment; SQLite is one process "
            "on one machine (docs/scaling.md)"
        )
    url = database_url(tmp_path, "scale")
    asyncio.run(_prepare(url))
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env.update(DATABASE_URL=url, APP_ENV="test", JWT_SECRET=secrets.token_urlsafe(48), LOG_LEVEL="WARNING")
    env.update(RATE_LIMITS_SHARED="true", PUBLIC_LOOKUPS_PER_MINUTE=str(LOOKUPS))
    with server_processes(env, tmp_path, ["scale-a", "scale-b"]) as [(first, _), (second, _)]:
        created, accepted = asyncio.run(_drive([first, second]))
        looked_up = asyncio.run(_lookups([first, second]))
    cases, events, verify = asyncio.run(_stored(url))

    assert len(created) == 2 * PER_SERVER and {c["server"] for c in created} == {0, 1}
    assert verify.ok, verify
    assert [seq for seq, _, _ in events] == list(range(1, len(events) + 1))
    assert verify.head_seq == verify.events_checked == len(events)
    for case in created:  # every 201 has its case, and its creation event
        assert cases[case["id"]] == case["code"]
    creations = [case_id for _, action, case_id in events if action == "case.create"]
    assert sorted(creations) == sorted(c["id"] for c in created)
    acceptances = [case_id for _, action, case_id in events if action == "case.accept"]
    assert sorted(acceptances) == sorted(accepted) and len(accepted) == PER_SERVER
    # two look-ups on each process, then both refuse: one budget, not one per process
    assert looked_up == [404] * LOOKUPS + [429, 429]
