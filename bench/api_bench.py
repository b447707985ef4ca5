"""HTTP benchmark: the API under uvicorn against PostgreSQL with demo data.

It makes (or, with --reuse, keeps) the database `petitions_bench_api`, loads `petitions demo`
cases into it, starts `uvicorn app.main:app_factory` on a free port of 127.0.0.1, and drives it
with httpx — a bounded number of requests per scenario at a fixed concurrency, after a short
warm-up — then stops the server. Each scenario reports p50/p95/p99 latency and requests/s:

- GET /healthz — the bare endpoint: uvicorn + FastAPI + middleware, no database (baseline);
- GET /api/v1/cases — a city supervisor's first page (limit 50), and with overdue=true&unit=<ward>,
  and with q=dat dai (diacritics-insensitive search);
- GET /api/v1/cases/{id} — random cases;
- POST /api/v1/cases — intake by a ward's handler (each hashes a new PIN with argon2);
- POST /api/v1/cases/{id}/transitions — accept / start_verification by the holder's handler,
  at concurrency 16 and at 1, sampling how many sessions wait on the audit chain's lock.

Baselines in the same run, for the list queries: the very SQL the service emits (captured from
app.services.cases.list_cases) run with raw asyncpg at the same concurrency, and the service
call itself in-process (SQLAlchemy ORM, no HTTP) — so the ORM's and HTTP's shares are visible.

    python bench/api_bench.py                       # 20,000 cases, 2,000 requests per scenario
    python bench/api_bench.py --reuse --requests 500
    python bench/api_bench.py --out docs/performance.md

Client, server and PostgreSQL share the machine's cores: the numbers are for that whole system.
Only 127.0.0.1 is ever contacted; every loop is bounded by a request count and a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402
import httpx  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "petitions_bench_api"
SECRET = "bench-only-secret-" + "x" * 40
BEGIN, END = "<!-- api_bench:begin -->", "<!-- api_bench:end -->"
SCENARIO_TIMEOUT_S = 900


@dataclass
class Result:
    name: str
    n: int
    concurrency: int
    seconds: float
    latencies_ms: list[float]
    errors: int = 0
    note: str = ""
    extra: dict = field(default_factory=dict)

    def pct(self, p: float) -> float:
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")

    @property
    def rps(self) -> float:
        return self.n / self.seconds if self.seconds else 0.0


async def drive(
    name: str, n: int, concurrency: int, call: Callable[[int], Awaitable[bool]], *, warmup: int = 0, note: str = ""
) -> Result:
    """Run call(i) for i in range(n) with `concurrency` workers; call returns success."""
    for i in range(warmup):
        await call(-1 - i)
    lat: list[float] = []
    errors = 0
    counter = iter(range(n))

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            t = time.perf_counter()
            ok = await call(i)
            lat.append((time.perf_counter() - t) * 1000)
            errors += 0 if ok else 1

    t0 = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), SCENARIO_TIMEOUT_S)
    return Result(name, n, concurrency, time.perf_counter() - t0, lat, errors, note)


# ---- set-up: database, demo data, server ---------------------------------------------------------


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "JWT_SECRET": SECRET}


def _petitions(url: str, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        cwd=ROOT,
        env=_env(url),
        check=True,
        capture_output=True,
        text=True,
    ).stdout


async def prepare_db(server: str, cases: int, reuse: bool) -> str:
    url = f"{server}/{DB_NAME}"
    admin = await asyncpg.connect(_dsn(f"{server}/postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", DB_NAME)
        if exists and reuse:
            conn = await asyncpg.connect(_dsn(url))
            try:
                have = await conn.fetchval("SELECT count(*) FROM case_file")
            finally:
                await conn.close()
            if have >= cases:
                print(f"reusing {DB_NAME} with {have} cases", file=sys.stderr)
                return url
        await admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        await admin.close()
    _petitions(url, "migrate")
    _petitions(url, "seed")
    print(f"loading {cases} demo cases ...", file=sys.stderr, flush=True)
    print(_petitions(url, "demo", "--cases", str(cases), "--seed", "1", "--quiet").strip()[:200], file=sys.stderr)
    return url


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, log: Path) -> subprocess.Popen:
    out = log.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "app.main:app_factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=_env(url),
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("server did not become ready")


# ---- what to ask for -------------------------------------------------------------------------------


@dataclass
class Fixture:
    tokens: dict[str, str]  # username -> bearer token
    supervisor: str
    ward: str  # the ward with the most overdue cases
    case_ids: list[int]
    intake_user: str
    intake_ward: str


def token(user_id: int) -> str:
    from app.config import Settings
    from app.security import create_access_token

    return create_access_token(
        Settings(app_env="development", jwt_secret=SECRET), subject=str(user_id), lifetime_seconds=4 * 3600
    )


async def fixture(url: str) -> Fixture:
    conn = await asyncpg.connect(_dsn(url))
    try:
        users = await conn.fetch("SELECT id, username FROM app_user WHERE username LIKE 'demo.%'")
        tokens = {u["username"]: token(u["id"]) for u in users}
        ward = await conn.fetchval("""
            SELECT location_unit_code FROM case_file
            WHERE status IN ('received','forwarded','accepted','verifying','decided') AND due < CURRENT_DATE
            GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1""")
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM case_file ORDER BY random() LIMIT 5000")]
        busiest = await conn.fetchval(
            "SELECT location_unit_code FROM case_file GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        )
    finally:
        await conn.close()
    return Fixture(
        tokens=tokens,
        supervisor="demo.gs.hdnd-01",
        ward=ward,
        case_ids=ids,
        intake_user=f"demo.gq.ubnd-{busiest}",
        intake_ward=busiest,
    )


async def transition_targets(url: str, limit: int) -> list[dict]:
    """Cases a ward's handler can move on now: received/forwarded at a People's Committee →
    accept; accepted complaints and denunciations → start_verification."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        rows = await conn.fetch(
            """
            SELECT c.id, c.version, c.status, c.kind, o.code AS holder
            FROM case_file c JOIN organization o ON o.id = coalesce(c.assigned_org_id, c.receiving_org_id)
            WHERE o.code LIKE 'UBND-%' AND (c.status IN ('received', 'forwarded')
                  OR (c.status = 'accepted' AND c.kind IN ('complaint', 'denunciation')))
            ORDER BY c.id DESC LIMIT $1""",
            limit,
        )
    finally:
        await conn.close()
    return [
        {
            "id": r["id"],
            "version": r["version"],
            "holder": r["holder"],
            "action": "start_verification" if r["status"] == "accepted" else "accept",
        }
        for r in rows
    ]


def intake_body(rng: random.Random, ward: str, i: int) -> dict:
    return {
        "kind": rng.choice(["complaint", "petition", "reflection"]),
        "channel": "in_person",
        "title": f"Kiến nghị về việc cấp Giấy chứng nhận quyền sử dụng đất số {i}",
        "field": "land",
        "content": "Đề nghị xem xét, giải quyết theo quy định của Luật Đất đai năm 2024.",
        "location_unit_code": ward,
        "respondent": "UBND phường",
        "petitioners": [
            {
                "full_name": "Nguyễn Văn Bình",
                "id_number": f"0010{rng.randrange(10**8):08d}",
                "phone": f"09{rng.randrange(10**8):08d}",
            }
        ],
    }


# ---- baselines: the service's list SQL with raw asyncpg, and the service call without HTTP ----------


async def captured_list_sql(url: str, supervisor: str, filters: dict) -> tuple[str, tuple]:
    """The SELECT on case_file that list_cases emits for these filters (statement, parameters)."""
    from sqlalchemy import event, select
    from sqlmodel import col

    from app.config import Settings
    from app.db import Database
    from app.models.users import User
    from app.security import load_principal
    from app.services import cases as svc
    from app.workflows.calendar import business_today

    db = Database.from_settings(Settings(app_env="development", database_url=url, jwt_secret=SECRET))
    seen: list[tuple[str, tuple]] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM case_file" in statement and "ORDER BY" in statement:
            seen.append((statement, tuple(parameters)))

    async with db.sessionmaker() as s, s.begin():
        user = (await s.execute(select(User).where(col(User.username) == supervisor))).scalar_one()
        principal = await load_principal(s, user)
        await svc.list_cases(s, principal, svc.CaseFilters(**filters), business_today(), limit=50, after=None)
    await db.dispose()
    return seen[-1]


async def raw_baseline(url: str, name: str, sql: str, params: tuple, n: int, concurrency: int) -> Result:
    pool = await asyncpg.create_pool(_dsn(url), min_size=concurrency, max_size=concurrency)
    try:

        async def call(_i: int) -> bool:
            async with pool.acquire() as c:
                await c.fetch(sql, *params)
            return True

        return await drive(name, n, concurrency, call, warmup=20, note="raw asyncpg, the service's SQL")
    finally:
        await pool.close()


async def orm_baseline(url: str, name: str, supervisor: str, filters: dict, n: int, concurrency: int) -> Result:
    """The list endpoint's work without HTTP: principal, list_cases, organisations, CasePublic."""
    from sqlalchemy import select
    from sqlmodel import col

    from app.config import Settings
    from app.db import Database, referenced
    from app.models.cases import CasePublic
    from app.models.users import User
    from app.pagination import Page
    from app.security import load_principal
    from app.services import cases as svc
    from app.workflows.calendar import business_today

    db = Database.from_settings(
        Settings(app_env="development", database_url=url, jwt_secret=SECRET, db_pool_size=concurrency)
    )
    async with db.sessionmaker() as s:
        user_id = (await s.execute(select(col(User.id)).where(col(User.username) == supervisor))).scalar_one()
    today = business_today()

    async def call(_i: int) -> bool:
        async with db.sessionmaker() as s, s.begin():
            principal = await load_principal(s, await referenced(s, User, user_id))
            rows, _ = await svc.list_cases(s, principal, svc.CaseFilters(**filters), today, limit=50, after=None)
            orgs = svc.OrgCache(s)
            await orgs.preload(
                {r.receiving_org_id for r in rows} | {r.assigned_org_id for r in rows if r.assigned_org_id}
            )
            Page[CasePublic](
                items=[await svc.case_out(r, orgs, today) for r in rows], next_cursor=None
            ).model_dump_json()
        return True

    try:
        return await drive(name, n, concurrency, call, warmup=20, note="service call in-process (ORM, no HTTP)")
    finally:
        await db.dispose()


async def q_with_custom_plans(url: str, fx: Fixture, params: dict, n: int, c: int, log: Path) -> Result:
    admin = await asyncpg.connect(_dsn(url))
    await admin.execute(f'ALTER DATABASE "{DB_NAME}" SET plan_cache_mode = force_custom_plan')
    port = free_port()
    proc = start_server(url, port, log)
    try:
        limits = httpx.Limits(max_connections=c, max_keepalive_connections=c)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as client:
            sup = {"Authorization": f"Bearer {fx.tokens[fx.supervisor]}"}

            async def call(_i: int) -> bool:
                return (await client.get("/api/v1/cases", params=params, headers=sup)).status_code == 200

            return await drive(
                "GET /api/v1/cases?q=dat dai, plan_cache_mode = force_custom_plan",
                n,
                c,
                call,
                warmup=50,
                note="ALTER DATABASE … SET plan_cache_mode: no generic plans",
            )
    finally:
        proc.terminate()
        proc.wait(10)
        await admin.execute(f'ALTER DATABASE "{DB_NAME}" RESET plan_cache_mode')
        await admin.close()


# ---- the run ---------------------------------------------------------------------------------------------


async def lock_waiters(url: str, stop: asyncio.Event, samples: list[int]) -> None:
    conn = await asyncpg.connect(_dsn(url))
    try:
        while not stop.is_set():
            samples.append(
                await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event = 'advisory'"
                )
            )
            await asyncio.sleep(0.05)
    finally:
        await conn.close()


async def run(args) -> list[Result]:
    server = args.pg_url.rstrip("/")
    url = await prepare_db(server, args.cases, args.reuse)
    fx = await fixture(url)
    port = free_port()
    log = Path(args.server_log)
    proc = start_server(url, port, log)
    results: list[Result] = []
    rng = random.Random(1)
    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    n, c = args.requests, args.concurrency
    sup = {"Authorization": f"Bearer {fx.tokens[fx.supervisor]}"}
    # list: (CaseFilters keywords, query parameters)
    lists: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
        "list": ({}, {"limit": 50}),
        "overdue": ({"overdue": True, "unit": fx.ward}, {"overdue": "true", "unit": fx.ward, "limit": 50}),
        "q": ({"q": "dat dai"}, {"q": "dat dai", "limit": 50}),
    }
    try:
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

            async def get(path: str, params=None, headers=None) -> bool:
                r = await client.get(path, params=params, headers=headers)
                return r.status_code == 200

            async def healthz(_i: int) -> bool:
                return await get("/healthz")

            results.append(await drive("GET /healthz", n, c, healthz, warmup=50, note="no database: the HTTP floor"))
            for key, (_filters, params) in lists.items():
                label = {
                    "list": "GET /api/v1/cases?limit=50 (city supervisor)",
                    "overdue": f"GET /api/v1/cases?overdue=true&unit={fx.ward}",
                    "q": "GET /api/v1/cases?q=dat dai",
                }[key]

                async def list_call(_i: int, p: dict[str, Any] = params) -> bool:
                    return await get("/api/v1/cases", p, sup)

                results.append(await drive(label, n, c, list_call, warmup=50))
            ids = fx.case_ids
            results.append(
                await drive(
                    "GET /api/v1/cases/{id}",
                    n,
                    c,
                    lambda i: get(f"/api/v1/cases/{ids[i % len(ids)]}", None, sup),
                    warmup=50,
                )
            )

            desk = {"Authorization": f"Bearer {fx.tokens[fx.intake_user]}"}

            async def intake(i: int) -> bool:
                r = await client.post("/api/v1/cases", json=intake_body(rng, fx.intake_ward, i), headers=desk)
                return r.status_code == 201

            results.append(
                await drive(
                    "POST /api/v1/cases (intake)",
                    args.intakes,
                    c,
                    intake,
                    warmup=5,
                    note="each hashes a new PIN with argon2",
                )
            )

            targets = await transition_targets(url, args.transitions + args.transitions_serial + 40)

            def transition_call(pool: list[dict]):
                async def call(i: int) -> bool:
                    t = pool.pop()
                    headers = {
                        "Authorization": f"Bearer {fx.tokens['demo.gq.' + t['holder'].lower()]}",
                        "If-Match": f'"{t["version"]}"',
                    }
                    body = {"action": t["action"], "reason": "Thụ lý / xác minh (benchmark)"}
                    r = await client.post(f"/api/v1/cases/{t['id']}/transitions", json=body, headers=headers)
                    return r.status_code == 200

                return call

            want = args.transitions + args.transitions_serial + 5
            if len(targets) < want:  # a reused database runs out of cases to move on: scale both down
                print(f"only {len(targets)} cases can be moved on; fewer transitions", file=sys.stderr)
            for conc, count in ((c, args.transitions), (1, args.transitions_serial)):
                warm = 5 if conc == c else 0
                count = min(count, max(0, len(targets) * count // want - warm))
                if count <= 0:
                    continue
                pool = [targets.pop() for _ in range(count + warm)]
                stop, samples = asyncio.Event(), list[int]()
                sampler = asyncio.create_task(lock_waiters(url, stop, samples))
                res = await drive(
                    f"POST /api/v1/cases/{{id}}/transitions (concurrency {conc})",
                    count,
                    conc,
                    transition_call(pool),
                    warmup=warm,
                    note="accept / start_verification",
                )
                stop.set()
                await sampler
                res.extra["lock_waiters_mean"] = statistics.mean(samples) if samples else 0.0
                res.extra["lock_waiters_max"] = max(samples) if samples else 0
                results.append(res)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    # The same search with PostgreSQL told to plan every execution with its values: asyncpg
    # prepares statements, and after five executions PostgreSQL may keep a generic plan.
    results.append(await q_with_custom_plans(url, fx, lists["q"][1], n, c, log))
    # baselines for the list queries (server stopped: the database and the cores are the client's alone)
    for key, (filters, _params) in lists.items():
        sql, sql_params = await captured_list_sql(url, fx.supervisor, filters)
        results.append(await raw_baseline(url, f"baseline {key}: raw asyncpg", sql, sql_params, n, c))
        results.append(await orm_baseline(url, f"baseline {key}: ORM in-process", fx.supervisor, filters, n, c))
    return results


def markdown(results: list[Result], args, load: tuple[float, float, float]) -> str:
    lines = [
        BEGIN,
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: `python bench/api_bench.py "
        f"{' '.join(args.argv)}`".rstrip()
        + f" — {args.cases:,} demo cases, one uvicorn worker; load average "
        f"at the start {', '.join(f'{x:.2f}' for x in load)}.",
        "",
        "| scenario | requests | concurrency | req/s | p50 ms | p95 ms | p99 ms | errors | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        note = r.note
        if "lock_waiters_mean" in r.extra:
            note += (
                f"; sessions waiting on the chain lock: mean {r.extra['lock_waiters_mean']:.1f}, "
                f"max {r.extra['lock_waiters_max']}"
            )
        lines.append(
            f"| {r.name} | {r.n:,} | {r.concurrency} | {r.rps:,.0f} | {r.pct(50):.1f} | {r.pct(95):.1f} "
            f"| {r.pct(99):.1f} | {r.errors} | {note} |"
        )
    lines += ["", END]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432", help="server, no database")
    ap.add_argument("--cases", type=int, default=20000)
    ap.add_argument("--requests", type=int, default=2000, help="per read scenario")
    ap.add_argument("--intakes", type=int, default=400)
    ap.add_argument("--transitions", type=int, default=1000)
    ap.add_argument("--transitions-serial", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--reuse", action="store_true", help="keep the database if it has enough cases")
    ap.add_argument("--server-log", default="/tmp/petitions-api-bench-server.log")
    ap.add_argument("--out", help="rewrite the api_bench block of this markdown file")
    args = ap.parse_args()
    args.argv = sys.argv[1:]
    load = os.getloadavg()
    results = asyncio.run(run(args))
    md = markdown(results, args, load)
    print(md)
    print(
        json.dumps(
            [
                {
                    "name": r.name,
                    "rps": r.rps,
                    "p50": r.pct(50),
                    "p95": r.pct(95),
                    "p99": r.pct(99),
                    "errors": r.errors,
                    **r.extra,
                }
                for r in results
            ]
        ),
        file=sys.stderr,
    )
    if args.out:
        path = Path(args.out)
        doc = path.read_text(encoding="utf-8") if path.exists() else ""
        if BEGIN not in doc:
            doc += f"\n{BEGIN}\n{END}\n"
        head, rest = doc.split(BEGIN, 1)
        path.write_text(head + md + rest.split(END, 1)[1], encoding="utf-8")


if __name__ == "__main__":
    main()
