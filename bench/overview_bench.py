"""Supervision overview benchmark: GET /api/v1/supervision/overview's work on PostgreSQL.

It makes (or, with --reuse, keeps) the database `petitions_sup_bench`, loads `petitions demo`
cases into it (migrate, seed, demo, VACUUM ANALYZE), then for the city (`01`, 126 wards) and for
the largest ward measures:

- the service call in-process (app.services.supervision.overview: SQLAlchemy, the folding of the
  grouped rows into the wards, the response model), as a city supervisor;
- baseline: the very SQL statements that call emitted (captured, not rewritten), run back to back
  with raw asyncpg on one connection;

and prints EXPLAIN (ANALYZE, BUFFERS) of each statement. With --out it rewrites its own block in
docs/performance.md. Only 127.0.0.1 is contacted; every loop is bounded by --runs.

    python bench/overview_bench.py --cases 100000           # ~10 min to load on 2 cores
    python bench/overview_bench.py --reuse --out docs/performance.md
    python bench/overview_bench.py --cases 10000 --clone 10  # 10k demo cases, then copied to 100k with SQL

`--clone K` (when loading is too slow) copies the loaded cases K-1 times with one INSERT … SELECT
each (new ids and codes; petitioners and audit events are not copied: the overview reads
neither), so the distribution of places, kinds, statuses and due dates stays the demo's.
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
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "petitions_sup_bench"
BEGIN, END = "<!-- overview_bench:begin -->", "<!-- overview_bench:end -->"


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "LOG_LEVEL": "WARNING"}


def _petitions(url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        cwd=ROOT,
        env=_env(url),
        check=True,
        capture_output=True,
        text=True,
    )


async def _case_count(url: str) -> int:
    try:
        conn = await asyncpg.connect(_dsn(url))
    except Exception:
        return 0
    try:
        return await conn.fetchval("SELECT count(*) FROM case_file")
    except Exception:
        return 0
    finally:
        await conn.close()


async def prepare(server: str, cases: int, today: str, reuse: bool) -> tuple[str, float | None]:
    url = f"{server}/{DB_NAME}"
    if reuse and await _case_count(url) >= cases * 0.9:
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


async def capture_and_time(
    url: str, unit: str, today: date, runs: int
) -> tuple[list[tuple[str, tuple]], list[float], dict]:
    """The overview as the service computes it: its statements, and its in-process timings."""
    from sqlalchemy import event, select
    from sqlmodel import col

    from app.config import Settings
    from app.db import Database
    from app.models.users import User
    from app.security import load_principal
    from app.services import supervision as svc

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
    times = []
    result = None
    for i in range(runs + 1):
        async with db.sessionmaker() as s, s.begin():
            grab["on"] = i == 0
            t = time.perf_counter()
            result = await svc.overview(s, principal, unit, today)
            if i:  # the first run warms the caches and captures the SQL
                times.append((time.perf_counter() - t) * 1000)
            grab["on"] = False
    await db.dispose()
    assert result is not None  # runs + 1 >= 1 overviews were computed
    summary = {
        "children": len(result.children),
        "open": result.total.open,
        "overdue": result.total.overdue,
        "due_soon": result.total.due_soon,
        "mass": result.total.mass,
    }
    return seen, times, summary


async def raw_times(url: str, statements: list[tuple[str, tuple]], runs: int) -> list[float]:
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
        return times
    finally:
        await conn.close()


async def explain(url: str, sql: str, params: tuple) -> list[str]:
    conn = await asyncpg.connect(_dsn(url))
    try:
        return [r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *params)]
    finally:
        await conn.close()


async def clone(url: str, k: int) -> int:
    """Copy the demo's cases until there are k times as many (see --clone)."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        base = await conn.fetchval("SELECT count(*) FROM case_file WHERE code NOT LIKE '%~c%'")
        have = await conn.fetchval("SELECT count(*) FROM case_file")
        cols = [
            r[0]
            for r in await conn.fetch(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'case_file' AND column_name "
                "NOT IN ('id', 'code') ORDER BY ordinal_position"
            )
        ]
        names = ", ".join(cols)
        for i in range(have // base, k):
            await conn.execute(
                f"INSERT INTO case_file (code, {names}) SELECT code || '~c{i}', {names} "
                f"FROM case_file WHERE code NOT LIKE '%~c%'"
            )
        await conn.execute("VACUUM ANALYZE case_file")
        return await conn.fetchval("SELECT count(*) FROM case_file")
    finally:
        await conn.close()


def _p(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def _label(sql: str) -> str:
    if "row_number()" in sql:
        return "oldest overdue case per place (window)"
    if "FROM recommendation" in sql:
        return "recommendations by place and status"
    if "FROM case_file" in sql and "GROUP BY" in sql:
        return "open cases by place, kind, status, stage"
    return "reference (unit, children, calendar)"


async def main(args) -> str:
    url, load_s = await prepare(args.pg_url.rstrip("/"), args.cases, args.today, args.reuse)
    conn = await asyncpg.connect(_dsn(url))
    try:
        if load_s is not None:
            await conn.execute("VACUUM ANALYZE")
        total = await conn.fetchval("SELECT count(*) FROM case_file")
        ward = await conn.fetchval(
            "SELECT location_unit_code FROM case_file GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        )
        pg = await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()
    if args.clone > 1:
        total = await clone(url, args.clone)
    today = date.fromisoformat(args.today)
    lines = [
        BEGIN,
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: `python bench/overview_bench.py "
        f"{' '.join(sys.argv[1:])}` — database `{DB_NAME}` with {total:,} "
        + (f"cases (demo cases copied {args.clone}×)" if args.clone > 1 else "demo cases")
        + (f" (loaded in {load_s:.0f} s)" if load_s else "")
        + f", business date {args.today}, "
        f"PostgreSQL {pg}, load average {os.getloadavg()[0]:.1f} at the end. {args.runs} runs each, after one "
        "warm-up.",
        "",
        "| unit | rows | service in-process p50 / p95 | raw asyncpg, same SQL, p50 / p95 | statements |",
        "|---|---|---|---|---|",
    ]
    plans: list[str] = []
    for unit in ("01", ward):
        statements, svc_ms, summary = await capture_and_time(url, unit, today, args.runs)
        heavy = [(s, p) for s, p in statements if _label(s) != "reference (unit, children, calendar)"]
        raw_ms = await raw_times(url, statements, args.runs)
        lines.append(
            f"| `{unit}` ({summary['children']} children; {summary['open']:,} open, {summary['overdue']:,} "
            f"overdue, {summary['due_soon']:,} due soon) | {summary['children'] + 2} | "
            f"{statistics.median(svc_ms):.1f} / {_p(svc_ms, 95):.1f} ms | "
            f"{statistics.median(raw_ms):.1f} / {_p(raw_ms, 95):.1f} ms | {len(statements)} |"
        )
        if unit == "01":
            for sql, params in heavy:
                plan = await explain(url, sql, params)
                t = next((ln.split(":", 1)[1].strip() for ln in plan if ln.startswith("Execution Time")), "?")
                idx = sorted(set(re.findall(r"(?:on|using) (ix\w+)", "\n".join(plan))))
                plans += [
                    f"#### {_label(sql)} — {t}, indexes: {', '.join(idx) or '(none)'}",
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
    lines += ["", "Plans for the city (`01`), EXPLAIN (ANALYZE, BUFFERS):", "", *plans, END]
    text = "\n".join(lines)
    if args.out:
        path = Path(args.out)
        doc = path.read_text(encoding="utf-8")
        if BEGIN not in doc:
            doc += f"\n{BEGIN}\n{END}\n"
        head, rest = doc.split(BEGIN, 1)
        doc = head + text + rest.split(END, 1)[1]
        path.write_text(doc, encoding="utf-8")
    return text


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432", help="server, no database")
    ap.add_argument("--cases", type=int, default=100000)
    ap.add_argument("--today", default="2026-11-27", help="the demo's and the overview's business date")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--reuse", action="store_true", help="keep the database if it has the cases")
    ap.add_argument("--clone", type=int, default=1, help="copy the loaded cases up to K times as many (SQL)")
    ap.add_argument("--out", help="rewrite the overview_bench block of this markdown file")
    print(asyncio.run(main(ap.parse_args())))
