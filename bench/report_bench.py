"""Periodic report benchmark: the city's yearly report (GET /api/v1/reports/periodic's work) on
PostgreSQL, against the raw aggregate SQL in the same run.

It makes (or, with --reuse, keeps) the database `petitions_report_bench`, loads `petitions demo`
cases into it (migrate, seed, demo: every case walked through the service, so every step is in
`case_step`), then measures for the city (`01`, 126 wards), year of the business date:

- the service call in-process (`app.services.reports.periodic_report`: SQLAlchemy, the folding of
  the grouped rows into the wards, the response models), as a city supervisor, and its rendering
  to XLSX; time, and the Python heap's peak (tracemalloc) during the call;
- baseline: the very SQL statements the call emitted (captured, not rewritten), run back to back
  on raw asyncpg on one connection; time and heap peak (the rows fetched).

With --out it rewrites its own block in docs/performance.md. Only 127.0.0.1 is contacted; every
loop is bounded by --runs.

    python bench/report_bench.py --cases 5000                     # load 5,000 demo cases, then measure
    python bench/report_bench.py --reuse --out docs/performance.md
    python bench/report_bench.py --cases 100000 --out docs/performance.md   # the lead, after merging
"""
from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "petitions_report_bench"
BEGIN, END = "<!-- report_bench:begin -->", "<!-- report_bench:end -->"


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "LOG_LEVEL": "WARNING"}


def _petitions(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from app.cli import main; main()", *args], cwd=ROOT, env=_env(url),
                          check=True, capture_output=True, text=True)


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


async def prepare(server: str, cases: int, today: str, reuse: bool) -> tuple[str, float | None]:
    url = f"{server}/{DB_NAME}"
    if reuse and await _count(url, "case_file") >= cases * 0.9:
        return url, None
    admin = await asyncpg.connect(_dsn(f"{server}/postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        await admin.close()
    _petitions(url, "migrate")
    _petitions(url, "seed")
    t = time.perf_counter()
    _petitions(url, "demo", "--cases", str(cases), "--today", today, "--quiet", "--password", "bench-password-1")
    return url, time.perf_counter() - t


async def service_runs(url: str, today: date, runs: int) -> tuple[list[tuple[str, tuple]], list[float], list[float],
                                                                  float, dict]:
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
        user = (await s.execute(select(User).where(col(User.username) == "demo.gs.hdnd-01"))).scalar_one()
        principal = await load_principal(s, user)

    async def once():
        async with db.read_sessionmaker() as s, s.begin():
            return await svc.periodic_report(s, principal, period="year", year=today.year, index=None,
                                             basis="calendar", unit="01", today=today)

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
    summary = {"children": len(report.children), "received": tot.received, "carried_over": tot.carried_over,
               "resolved": tot.resolved, "pending_overdue": tot.pending_overdue}
    return seen, times, xlsx_times, peak, summary


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


def block(args, url_cases: int, steps: int, load_s: float | None, service: list[float], xlsx: list[float],
          service_peak: float, raw: list[float], raw_peak: float, statements: int, summary: dict, plan: list[str],
          pg_version: str) -> str:
    load = f", loaded in {load_s:.0f} s" if load_s else ""
    lines = [
        BEGIN, "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: `python bench/report_bench.py "
        f"{' '.join(sys.argv[1:])}` — database `{DB_NAME}` with {url_cases:,} demo cases ({steps:,} history steps)"
        f"{load}, business date {args.today}, {pg_version}, load average {os.getloadavg()[0]:.1f} at the end, "
        f"{platform.python_implementation()} {platform.python_version()}. {args.runs} runs each, after one warm-up.",
        "",
        f"The city's (`01`, {summary['children']} wards) yearly report: received {summary['received']:,}, carried over "
        f"{summary['carried_over']:,}, resolved {summary['resolved']:,}, pending overdue "
        f"{summary['pending_overdue']:,}.",
        "",
        "| | p50 / p95 | Python heap peak | statements |",
        "|---|---|---|---|",
        f"| service in-process (`reports.periodic_report`) | {statistics.median(service):.1f} / "
        f"{_pct(service, 0.95):.1f} ms | {service_peak:.1f} MiB | {statements} |",
        f"| raw asyncpg, the same SQL | {statistics.median(raw):.1f} / {_pct(raw, 0.95):.1f} ms | "
        f"{raw_peak:.1f} MiB | {statements} |",
        f"| XLSX rendering of that report | {statistics.median(xlsx):.1f} / {_pct(xlsx, 0.95):.1f} ms | | |",
        "",
        "The history aggregate, EXPLAIN (ANALYZE, BUFFERS):",
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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--today", default="2026-11-27")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--reuse", action="store_true", help="keep the database if it has the cases already")
    parser.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    parser.add_argument("--out", help="rewrite the report_bench block in this file (docs/performance.md)")
    args = parser.parse_args()
    if "127.0.0.1" not in args.pg_url and "localhost" not in args.pg_url:
        sys.exit("only a local PostgreSQL is benchmarked")
    args.runs = max(1, min(args.runs, 200))
    url, load_s = await prepare(args.pg_url, args.cases, args.today, args.reuse)
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute("VACUUM ANALYZE")
        pg_version = "PostgreSQL " + (await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()
    n_cases, n_steps = await _count(url, "case_file"), await _count(url, "case_step")
    today = date.fromisoformat(args.today)
    statements, service, xlsx, service_peak, summary = await service_runs(url, today, args.runs)
    raw, raw_peak = await raw_runs(url, statements, args.runs)
    sql, plan = await explain_main(url, statements)
    text = block(args, n_cases, n_steps, load_s, service, xlsx, service_peak, raw, raw_peak, len(statements), summary,
                 plan, pg_version)
    print(text)
    if args.out:
        write_block(Path(args.out), text)


if __name__ == "__main__":
    asyncio.run(main())
