"""Periodic report benchmark: the city's yearly report (GET /api/v1/reports/periodic's work) on
PostgreSQL, against the raw aggregate SQL in the same run.

It makes (or, with --reuse, keeps) the database `petitions_report_bench` (--db), loads `petitions demo`
cases into it (migrate, seed, demo: every case walked through the service, so every step is in
`case_step`), then measures for the city (`01`, 126 wards), year of the business date; with
--sizes it then copies those cases with their history and obligations up to each size in turn
(`clone_to`) and measures again:

- the service call in-process (`app.services.reports.periodic_report`: SQLAlchemy, the folding of
  the grouped rows into the wards, the response models), as a city supervisor, and its rendering
  to XLSX; time, and the Python heap's peak (tracemalloc) during the call;
- the same report over HTTP, the whole app in-process (httpx ASGITransport); time and heap peak;
- baseline: the very SQL statements the call emitted (captured, not rewritten), run back to back
  on raw asyncpg on one connection; time and heap peak (the rows fetched).

With --out it rewrites its own block in docs/performance.md. Only 127.0.0.1 is contacted; every
loop is bounded by --runs.

    python bench/report_bench.py --cases 2000                     # load 2,000 demo cases, then measure
    python bench/report_bench.py --cases 2000 --sizes 100000 1000000 --out docs/performance.md --drop
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import asyncpg  # noqa: E402
from overview_bench import _dsn, _petitions  # noqa: E402  (the bench scripts' shared helpers)

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "petitions_report_bench"
BEGIN, END = "<!-- report_bench:begin -->", "<!-- report_bench:end -->"
SUPERVISOR, PASSWORD = "demo.gs.hdnd-01", "bench-password-1"  # a city supervisor made by `petitions demo`


async def _count(url: str, table: str) -> int:
    try:
        conn = await asyncpg.connect(_dsn(url))
    except Exception:
        return 0
    try:
        return int(await conn.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608 (a fixed table name)
    except Exception:
        return 0
    finally:
        await conn.close()


async def prepare(server: str, cases: int, today: str, reuse: bool, db: str = DB_NAME) -> tuple[str, float | None]:
    url = f"{server}/{db}"
    if reuse and await _count(url, "case_file") >= cases * 0.9:
        return url, None
    admin = await asyncpg.connect(_dsn(f"{server}/postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{db}"')
    finally:
        await admin.close()
    _petitions(url, "migrate")
    _petitions(url, "seed")
    t = time.perf_counter()
    _petitions(url, "demo", "--cases", str(cases), "--today", today, "--quiet", "--password", PASSWORD)
    return url, time.perf_counter() - t


CLONE_MARK = "~r"  # a copy's code: the demo case's code + "~r<copy>"


async def clone_to(url: str, target: int, chunk: int = 20) -> tuple[int, float]:
    """Copy the demo cases (those without CLONE_MARK in their code) with their history (case_step)
    and their obligations until there are about `target` cases: copy g of case n gets the id
    n + g * stride (stride above the demo's highest id), so its steps, obligations and its links to
    other cases (parent, split, duplicate) map by the same offset. Same places, kinds, fields,
    statuses and dates; the dialogues, commitments, reception sessions and recommendations are not
    copied (they are per unit, not per case). Returns (cases now, seconds)."""
    t = time.perf_counter()
    conn = await asyncpg.connect(_dsn(url))
    try:
        base = int(await conn.fetchval(f"SELECT count(*) FROM case_file WHERE code NOT LIKE '%{CLONE_MARK}%'"))
        stride = int(await conn.fetchval(f"SELECT max(id) FROM case_file WHERE code NOT LIKE '%{CLONE_MARK}%'")) + 1
        have = int(await conn.fetchval("SELECT count(*) FROM case_file"))
        done = have // base - 1  # copies already made
        want = max(0, -(-target // base) - 1)

        async def columns(table: str, skip: tuple[str, ...]) -> list[str]:
            return [
                r[0]
                for r in await conn.fetch(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
                    "ORDER BY ordinal_position",
                    table,
                )
                if r[0] not in skip
            ]

        linked = ("parent_case_id", "split_from_id", "duplicate_of_id")
        cf = await columns("case_file", ("id", "code", *linked))
        cs = await columns("case_step", ("id", "case_id"))
        co = await columns("case_obligation", ("id", "case_id"))

        def q(cols: list[str] | tuple[str, ...]) -> str:
            return ", ".join(f'"{c}"' for c in cols)

        base_ids = f"(SELECT id FROM case_file WHERE code NOT LIKE '%{CLONE_MARK}%')"
        for lo in range(done + 1, want + 1, chunk):  # bounded: at most want / chunk statements per table
            hi = min(want, lo + chunk - 1)
            g = f"generate_series({lo}, {hi}) AS g"
            async with conn.transaction():
                await conn.execute(
                    f"INSERT INTO case_file (id, code, {q(linked)}, {q(cf)}) SELECT id + g * {stride}, "
                    f"code || '{CLONE_MARK}' || g, {', '.join(f'{c} + g * {stride}' for c in linked)}, {q(cf)} "
                    f"FROM case_file, {g} WHERE code NOT LIKE '%{CLONE_MARK}%'"
                )  # noqa: S608 (fixed names)
                await conn.execute(
                    f"INSERT INTO case_step (case_id, {q(cs)}) SELECT case_id + g * {stride}, {q(cs)} "
                    f"FROM case_step, {g} WHERE case_id IN {base_ids} ORDER BY g, id"
                )  # noqa: S608
                await conn.execute(
                    f"INSERT INTO case_obligation (case_id, {q(co)}) SELECT case_id + g * {stride}, {q(co)} "
                    f"FROM case_obligation, {g} WHERE case_id IN {base_ids}"
                )  # noqa: S608
            print(f"cloned {hi + 1} x {base:,} cases", file=sys.stderr, flush=True)
        await conn.execute("SELECT setval('case_file_id_seq', (SELECT max(id) FROM case_file))")
        await conn.execute("VACUUM ANALYZE case_file")
        await conn.execute("VACUUM ANALYZE case_step")
        await conn.execute("VACUUM ANALYZE case_obligation")
        return int(await conn.fetchval("SELECT count(*) FROM case_file")), time.perf_counter() - t
    finally:
        await conn.close()


async def service_runs(
    url: str, today: date, runs: int
) -> tuple[list[tuple[str, tuple]], list[float], list[float], float, dict]:
    """The report as the service computes it: its statements, its timings, its XLSX timings and
    the heap peak of one call."""
    from sqlalchemy import event, select
    from sqlmodel import col

    from app.config import Settings
    from app.db import Database
    from app.models.reports import ReportFormat
    from app.models.users import User
    from app.security import load_principal
    from app.services import report_export
    from app.services import reports as svc

    db = Database.from_settings(Settings(app_env="development", database_url=url))
    seen: list[tuple[str, tuple]] = []
    grab = {"on": False}

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _grab(conn, cursor, statement, parameters, context, executemany):
        if grab["on"]:
            seen.append((statement, tuple(parameters)))

    async with db.sessionmaker() as s, s.begin():
        user = (await s.execute(select(User).where(col(User.username) == SUPERVISOR))).scalar_one()
        principal = await load_principal(s, user)

    async def once():
        async with db.read_sessionmaker() as s, s.begin():
            return await svc.periodic_report(
                s, principal, period="year", year=today.year, index=None, basis="calendar", unit="01", today=today
            )

    times, xlsx_times = [], []
    report = None
    for i in range(runs + 1):
        grab["on"] = i == 0
        t = time.perf_counter()
        report = await once()
        if i:  # the first run warms the caches and captures the SQL
            times.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            report_export.render(report, ReportFormat.xlsx)
            xlsx_times.append((time.perf_counter() - t) * 1000)
        grab["on"] = False
    tracemalloc.start()
    await once()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    await db.dispose()
    assert report is not None
    tot = report.total.cases
    summary = {
        "children": len(report.children),
        "received": tot.received,
        "carried_over": tot.carried_over,
        "resolved": tot.resolved,
        "pending_overdue": tot.pending_overdue,
    }
    return seen, times, xlsx_times, peak, summary


async def http_runs(url: str, today: date, runs: int) -> tuple[list[float], float]:
    """GET /api/v1/reports/periodic (JSON) through the whole app in-process (httpx ASGITransport: no
    socket), as the same supervisor, business date pinned; time and the heap peak of one request."""
    import httpx

    from app.config import Settings
    from app.main import create_app

    app = create_app(Settings(app_env="development", database_url=url), configure_logs=False)
    app.state.today = lambda: today
    path = f"/api/v1/reports/periodic?period=year&year={today.year}&unit=01"
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench", timeout=600) as client,
    ):
        app.state.today = lambda: today
        token = (await client.post("/api/v1/auth/token", data={"username": SUPERVISOR, "password": PASSWORD})).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        r = await client.get(path, headers=headers)  # warm-up
        assert r.status_code == 200, r.text
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            r = await client.get(path, headers=headers)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, r.text
        tracemalloc.start()
        await client.get(path, headers=headers)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return times, peak


async def raw_runs(url: str, statements: list[tuple[str, tuple]], runs: int) -> tuple[list[float], float]:
    conn = await asyncpg.connect(_dsn(url))
    try:
        for sql, params in statements:  # warm-up
            await conn.fetch(sql, *params)
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            for sql, params in statements:
                await conn.fetch(sql, *params)
            times.append((time.perf_counter() - t) * 1000)
        tracemalloc.start()
        for sql, params in statements:
            await conn.fetch(sql, *params)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        return times, peak
    finally:
        await conn.close()


async def explain_main(url: str, statements: list[tuple[str, tuple]]) -> tuple[str, list[str]]:
    """EXPLAIN ANALYZE of the history aggregate (the statement over case_step)."""
    sql, params = next(((s, p) for s, p in statements if "case_step" in s), statements[0])
    conn = await asyncpg.connect(_dsn(url))
    try:
        return sql, [r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *params)]
    finally:
        await conn.close()


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


@dataclass
class Measure:
    cases: int
    steps: int
    obligations: int
    service: list[float]
    http: list[float]
    http_peak: float
    raw: list[float]
    xlsx: list[float]
    service_peak: float
    raw_peak: float
    statements: int
    summary: dict


def block(args, load_s: float | None, clone_s: float, results: list[Measure], plan: list[str], pg_version: str) -> str:
    load = f", loaded in {load_s:.0f} s" if load_s else ""
    base = results[0]
    copied = (
        f"; then its cases, with their history steps and obligations, copied (new ids and codes, same "
        f"places, kinds, fields, statuses and dates) up to each size in turn, in {clone_s:.0f} s in all, "
        "VACUUM ANALYZE after each"
        if len(results) > 1
        else ""
    )
    rows = []
    for m in results:
        svc50, raw50 = statistics.median(m.service), statistics.median(m.raw)
        rows.append(
            f"| {m.cases:,} | {m.steps:,} | {svc50:.0f} / {_pct(m.service, 0.95):.0f} ms | "
            f"{raw50:.0f} / {_pct(m.raw, 0.95):.0f} ms | {svc50 / raw50:.2f} | {m.service_peak:.1f} MiB | "
            f"{statistics.median(m.http):.0f} / {_pct(m.http, 0.95):.0f} ms | "
            f"{statistics.median(m.http) / raw50:.2f} | {m.http_peak:.1f} MiB | {m.raw_peak:.1f} MiB | "
            f"{statistics.median(m.xlsx):.0f} ms | {m.summary['received']:,} / "
            f"{m.summary['resolved']:,} / {m.summary['pending_overdue']:,} |"
        )
    lines = [
        BEGIN,
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: `python bench/report_bench.py "
        f"{' '.join(sys.argv[1:])}` — database `{args.db}`: {base.cases:,} `petitions demo` cases "
        f"({base.steps:,} history steps){load}{copied}. Business date {args.today}, {pg_version}, "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cores "
        f"({platform.machine()}, {platform.system()} {platform.release()}), load average {os.getloadavg()[0]:.1f} "
        f"at the end (other jobs ran on the machine: read the ratios, not the absolute times). "
        f"{args.runs} runs each, after one warm-up.",
        "",
        f"The city's (`01`, {base.summary['children']} wards) yearly report, {base.statements} statements at every "
        "size. Service: `reports.periodic_report` in-process; HTTP: `GET /api/v1/reports/periodic?period=year&"
        "year=…&unit=01` (JSON) through the whole app in-process (httpx ASGITransport, no socket; authentication, "
        "validation, serialisation); raw: the very statements the service emitted, back to back on one asyncpg "
        "connection. Heap peak: tracemalloc during one call (the Python heap; PostgreSQL's memory is its own).",
        "",
        "| cases | history steps | service p50 / p95 | raw SQL p50 / p95 | service / raw (p50) | service heap peak | "
        "HTTP p50 / p95 | HTTP / raw (p50) | HTTP heap peak | raw heap peak | XLSX rendering p50 | "
        "received / resolved / pending overdue |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"The history aggregate at {results[-1].cases:,} cases, EXPLAIN (ANALYZE, BUFFERS):",
        "",
        "```",
        *plan,
        "```",
        "",
        END,
    ]
    return "\n".join(lines)


def write_block(path: Path, text: str) -> None:
    doc = path.read_text()
    if BEGIN in doc and END in doc:
        head, rest = doc.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        doc = head + text + tail
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    path.write_text(doc)


async def measure(url: str, today: date, runs: int) -> tuple[Measure, list[tuple[str, tuple]]]:
    async with _conn(url) as conn:
        await conn.execute("VACUUM ANALYZE")
    cases, steps = await _count(url, "case_file"), await _count(url, "case_step")
    statements, service, xlsx, service_peak, summary = await service_runs(url, today, runs)
    raw, raw_peak = await raw_runs(url, statements, runs)
    http, http_peak = await http_runs(url, today, runs)
    m = Measure(
        cases=cases,
        steps=steps,
        obligations=await _count(url, "case_obligation"),
        service=service,
        http=http,
        http_peak=http_peak,
        raw=raw,
        xlsx=xlsx,
        service_peak=service_peak,
        raw_peak=raw_peak,
        statements=len(statements),
        summary=summary,
    )
    print(
        f"{cases:,} cases: service {statistics.median(service):.0f} ms, raw {statistics.median(raw):.0f} ms, "
        f"http {statistics.median(http):.0f} ms, heap {service_peak:.1f} MiB",
        file=sys.stderr,
        flush=True,
    )
    return m, statements


@asynccontextmanager
async def _conn(url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(_dsn(url))
    try:
        yield conn
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000, help="demo cases to load (the base)")
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="*",
        default=[],
        help="then copy the base's cases up to each of these totals and measure again",
    )
    parser.add_argument("--today", default="2026-11-27")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--db", default=DB_NAME)
    parser.add_argument("--reuse", action="store_true", help="keep the database if it has the cases already")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    parser.add_argument("--out", help="rewrite the report_bench block in this file (docs/performance.md)")
    args = parser.parse_args()
    if "127.0.0.1" not in args.pg_url and "localhost" not in args.pg_url:
        sys.exit("only a local PostgreSQL is benchmarked")
    args.runs = max(1, min(args.runs, 200))
    url, load_s = await prepare(args.pg_url, args.cases, args.today, args.reuse, args.db)
    async with _conn(url) as conn:
        pg_version = "PostgreSQL " + (await conn.fetchval("SHOW server_version"))
    today = date.fromisoformat(args.today)
    first, statements = await measure(url, today, args.runs)
    results, clone_s = [first], 0.0
    for size in sorted(s for s in args.sizes[:4] if s > first.cases):
        _, seconds = await clone_to(url, size)
        clone_s += seconds
        m, statements = await measure(url, today, args.runs)
        results.append(m)
    _, plan = await explain_main(url, statements)
    text = block(args, load_s, clone_s, results, plan, pg_version)
    print(text)
    if args.out:
        write_block(Path(args.out), text)
    if args.drop:
        async with _conn(f"{args.pg_url}/postgres") as admin:
            await admin.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
