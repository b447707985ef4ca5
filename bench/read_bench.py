"""Read path at scale: the supervisor's case list and the supervision overview, over HTTP, at
10,000 and at 1,000,000 cases on PostgreSQL, each against raw asyncpg running the same SQL in the
same run.

One command:

    python bench/read_bench.py --out docs/performance.md              # 10k demo cases, then 1M
    python bench/read_bench.py --cases 5000 --big 200000 --runs 20    # smaller

It makes the database `petitions_bench_read` (migrate, seed, `petitions demo --cases N`, VACUUM
ANALYZE), serves it with `petitions serve` (uvicorn, one worker, 127.0.0.1) and, as the city
People's Council supervisor (demo.gs.hdnd-01), times:

- `GET /api/v1/cases?unit=01&status=…running…&overdue=true&limit=50` and the next two pages
  through the cursor, and the same list for the busiest ward;
- `GET /api/v1/supervision/overview` (the city);

p50/p95 over --runs requests each (sequential, one client, after a warm-up). Baseline: the very
statements the service emits for each request (captured from an in-process app with a
`before_cursor_execute` hook, authentication included), run back to back on one raw asyncpg
connection, p50/p95 over as many runs. Then the cases are copied (one INSERT … SELECT per copy,
new ids and codes, same places, kinds, statuses and dates: bench/overview_bench.py clone) up to
--big cases, VACUUM ANALYZE, a fresh server, and the same again; EXPLAIN (ANALYZE, BUFFERS) of
the list and overview statements at the big size. The database is dropped at the end (--keep).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from overview_bench import _dsn, _env, _p, _petitions, clone, explain  # noqa: E402

DB = "petitions_bench_read"
BEGIN, END = "<!-- read_bench:begin -->", "<!-- read_bench:end -->"
USER, PASSWORD = "demo.gs.hdnd-01", "bench-password-1"
RUNNING = ("received", "forwarded", "accepted", "verifying", "decided", "suspended")


def _requests(ward: str) -> list[tuple[str, str]]:
    status = "&".join(f"status={s}" for s in RUNNING)
    return [
        ("list, city, overdue — page 1", f"/api/v1/cases?unit=01&{status}&overdue=true&limit=50"),
        ("list, city, overdue — page 2", "+"),
        ("list, city, overdue — page 3", "+"),
        (f"list, ward {ward}, overdue — page 1", f"/api/v1/cases?unit={ward}&{status}&overdue=true&limit=50"),
        ("overview, city", "/api/v1/supervision/overview?unit=01"),
    ]


async def _urls(client: httpx.AsyncClient, headers: dict, ward: str) -> list[tuple[str, str]]:
    """The requests, with the cursors of pages 2 and 3 filled in from the pages before."""
    out, prev = [], None
    for label, path in _requests(ward):
        if path == "+":
            assert prev is not None
            cursor = (await client.get(prev, headers=headers)).json().get("next_cursor")
            if not cursor:
                continue
            path = re.sub(r"&cursor=[^&]*", "", prev) + f"&cursor={cursor}"
        out.append((label, path))
        prev = path
    return out


async def _capture(url: str, paths: list[tuple[str, str]]) -> dict[str, list[tuple[str, tuple]]]:
    """What SQL each request makes the service run (an in-process app, same settings)."""
    from sqlalchemy import event

    from app.config import Settings
    from app.main import create_app

    app = create_app(Settings(app_env="development", database_url=url, log_json=True), configure_logs=False)
    seen: list[tuple[str, tuple]] = []
    out: dict[str, list[tuple[str, tuple]]] = {}
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app):
        db = app.state.db

        @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
        def _grab(conn, cursor, statement, parameters, context, executemany):
            seen.append((statement, tuple(parameters)))

        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            token = (await client.post("/api/v1/auth/token", data={"username": USER, "password": PASSWORD})).json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            for label, path in paths:
                await client.get(path, headers=headers)  # warm
                seen.clear()
                r = await client.get(path, headers=headers)
                assert r.status_code == 200, r.text
                out[label] = list(seen)
    return out


async def _http_times(base: str, paths: list[tuple[str, str]], runs: int) -> dict[str, list[float]]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        token = (await client.post("/api/v1/auth/token", data={"username": USER, "password": PASSWORD})).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        out: dict[str, list[float]] = {}
        for label, path in paths:
            await client.get(path, headers=headers)
            ts = []
            for _ in range(runs):
                t = time.perf_counter()
                r = await client.get(path, headers=headers)
                ts.append((time.perf_counter() - t) * 1000)
                assert r.status_code == 200, r.text
            out[label] = ts
        return out


async def _raw_times(url: str, statements: list[tuple[str, tuple]], runs: int) -> list[float]:
    conn = await asyncpg.connect(_dsn(url), server_settings={"plan_cache_mode": "force_custom_plan"})
    try:
        for sql, params in statements:
            await conn.fetch(sql, *params)
        ts = []
        for _ in range(runs):
            t = time.perf_counter()
            for sql, params in statements:
                await conn.fetch(sql, *params)
            ts.append((time.perf_counter() - t) * 1000)
        return ts
    finally:
        await conn.close()


def _serve(url: str, port: int) -> subprocess.Popen:
    p = subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port)],
        cwd=ROOT,
        env=_env(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    for _ in range(100):  # up to 20 s
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return p
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    p.kill()
    raise RuntimeError("the server did not start: " + (p.stderr.read().decode() if p.stderr else ""))


async def _measure(url: str, port: int, runs: int, ward: str) -> tuple[dict, dict]:
    server = _serve(url, port)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            token = (await client.post("/api/v1/auth/token", data={"username": USER, "password": PASSWORD})).json()
            paths = await _urls(client, {"Authorization": f"Bearer {token['access_token']}"}, ward)
        http = await _http_times(f"http://127.0.0.1:{port}", paths, runs)
    finally:
        server.terminate()
        server.wait(timeout=20)
    statements = await _capture(url, paths)
    raw = {label: await _raw_times(url, statements[label], runs) for label, _ in paths}
    return {"http": http, "raw": raw}, statements


async def _prepare(server: str, cases: int, today: str) -> tuple[str, float]:
    admin = await asyncpg.connect(_dsn(f"{server}/postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DB}"')
    finally:
        await admin.close()
    url = f"{server}/{DB}"
    _petitions(url, "migrate")
    _petitions(url, "seed")
    t = time.perf_counter()
    _petitions(url, "demo", "--cases", str(cases), "--today", today, "--quiet", "--password", PASSWORD)
    return url, time.perf_counter() - t


async def _drop(server: str) -> None:
    admin = await asyncpg.connect(_dsn(f"{server}/postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    finally:
        await admin.close()


async def main(args) -> str:
    server = args.pg_url.rstrip("/")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    url, load_s = await _prepare(server, args.cases, args.today)
    try:
        conn = await asyncpg.connect(_dsn(url))
        try:
            await conn.execute("VACUUM ANALYZE")
            ward = await conn.fetchval(
                "SELECT location_unit_code FROM case_file GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
            )
            pg = await conn.fetchval("SHOW server_version")
            small = await conn.fetchval("SELECT count(*) FROM case_file")
        finally:
            await conn.close()
        res_small, _ = await _measure(url, args.port, args.runs, ward)
        t = time.perf_counter()
        big = await clone(url, max(2, args.big // small))
        clone_s = time.perf_counter() - t
        res_big, statements = await _measure(url, args.port, args.runs, ward)
        plans = []
        for label in (next(iter(statements)), "overview, city"):
            for sql, params in statements.get(label, []):
                if "case_file" not in sql:
                    continue
                plan = await explain(url, sql, params)
                ms = next((ln.split(":", 1)[1].strip() for ln in plan if ln.startswith("Execution Time")), "?")
                plans += [
                    f"#### {label} — {ms}",
                    "",
                    "```sql",
                    " ".join(sql.split()),
                    "```",
                    "",
                    "```",
                    *plan,
                    "```",
                    "",
                ]
    finally:
        if not args.keep:
            await _drop(server)
    lines = [
        BEGIN,
        "",
        f"Run started {started}: `python bench/read_bench.py {' '.join(sys.argv[1:])}` — "
        f"{os.cpu_count()} cores, PostgreSQL {pg}, Python {sys.version.split()[0]}; {small:,} demo cases "
        f"(loaded in {load_s:.0f} s), then copied to {big:,} (in {clone_s:.0f} s); business date {args.today}; "
        f"{args.runs} sequential requests each after a warm-up, one uvicorn worker; load average "
        f"{os.getloadavg()[0]:.1f} at the end.",
        "",
        f"| request | HTTP p50 / p95 at {small:,} | at {big:,} | p95 ratio big/small (target ≤ 1.5) | "
        f"raw SQL p50 / p95 at {big:,} | p95 HTTP/raw at {big:,} (target ≤ 2) | statements |",
        "|---|---|---|---|---|---|---|",
    ]
    for label in res_big["http"]:
        hs, hb, rb = res_small["http"].get(label), res_big["http"][label], res_big["raw"][label]
        ratio = f"{_p(hb, 95) / _p(hs, 95):.2f}" if hs else "—"
        lines.append(
            f"| {label} | "
            + (f"{statistics.median(hs):.1f} / {_p(hs, 95):.1f} ms" if hs else "—")
            + f" | {statistics.median(hb):.1f} / {_p(hb, 95):.1f} ms | {ratio} | "
            f"{statistics.median(rb):.1f} / {_p(rb, 95):.1f} ms | {_p(hb, 95) / _p(rb, 95):.1f} | "
            f"{len(statements[label])} |"
        )
    lines += [
        "",
        f"At {small:,} cases, raw SQL p50 / p95: "
        + "; ".join(
            f"{label}: {statistics.median(v):.1f} / {_p(v, 95):.1f} ms" for label, v in res_small["raw"].items()
        )
        + ".",
        "",
        f"Plans at {big:,} cases (EXPLAIN (ANALYZE, BUFFERS)):",
        "",
        *plans,
        END,
    ]
    text = "\n".join(lines)
    if args.out:
        path = Path(args.out)
        doc = path.read_text(encoding="utf-8")
        if BEGIN not in doc:
            doc += f"\n{BEGIN}\n{END}\n"
        head, rest = doc.split(BEGIN, 1)
        path.write_text(head + text + rest.split(END, 1)[1], encoding="utf-8")
    return text


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432", help="server, no database")
    ap.add_argument("--cases", type=int, default=10000)
    ap.add_argument("--big", type=int, default=1_000_000)
    ap.add_argument("--today", default="2026-11-27")
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--port", type=int, default=8765)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()
    if not (0 < a.cases < a.big <= 5_000_000 and 0 < a.runs <= 1000):
        ap.error("need 0 < --cases < --big <= 5,000,000 and 0 < --runs <= 1000")
    print(asyncio.run(main(a)))
