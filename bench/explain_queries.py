"""EXPLAIN (ANALYZE, BUFFERS) of the supervisor's list queries on PostgreSQL, as the service emits them.

The SQL is captured from app.services.cases.list_cases (not rewritten by hand) for a principal
and filters, then explained twice with its parameters: as the driver runs it the first times
(a custom plan, the parameter values known) and as a prepared statement may run it after five
executions (`plan_cache_mode = force_generic_plan`: values unknown; asyncpg prepares and caches
every statement). It prints which indexes each plan uses.

    python bench/explain_queries.py                       # the 100k-case database of load_bench
    python bench/explain_queries.py --db petitions_bench_api --out docs/performance.md
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402

BEGIN, END = "<!-- explain:begin -->", "<!-- explain:end -->"


async def capture(url: str, username: str, filters: dict) -> tuple[str, tuple]:
    from sqlalchemy import event, select
    from sqlmodel import col

    from app.config import Settings
    from app.db import Database
    from app.models.users import User
    from app.security import load_principal
    from app.services import cases as svc
    from app.workflows.calendar import business_today

    db = Database.from_settings(Settings(app_env="development", database_url=url))
    seen: list[tuple[str, tuple]] = []

    @event.listens_for(db.engine.sync_engine, "before_cursor_execute")
    def _grab(conn, cursor, statement, parameters, context, executemany):
        if "FROM case_file" in statement and "ORDER BY" in statement:
            seen.append((statement, tuple(parameters)))

    async with db.sessionmaker() as s, s.begin():
        user = (await s.execute(select(User).where(col(User.username) == username))).scalar_one()
        principal = await load_principal(s, user)
        await svc.list_cases(s, principal, svc.CaseFilters(**filters), business_today(), limit=50, after=None)
    await db.dispose()
    return seen[-1]


def summarise(plan: list[str]) -> tuple[str, str, list[str]]:
    nodes = []
    for line in plan:
        m = re.search(
            r"(?:->\s*)?((?:Parallel )?(?:Index Only Scan|Index Scan|Bitmap Index Scan|Bitmap Heap Scan|"
            r"Seq Scan|"
            r"BitmapOr|BitmapAnd|Sort|Limit|Incremental Sort)[^(]*)",
            line,
        )
        if m and not line.strip().startswith(("Sort Key", "Sort Method", "Filter", "Recheck", "Index Cond")):
            nodes.append(" ".join(m.group(1).split()))
    indexes = sorted(set(re.findall(r"(?:on|using) (ix\w+)", "\n".join(plan))))
    total = next((ln.split(":", 1)[1].strip() for ln in plan if ln.startswith("Execution Time")), "?")
    return total, ", ".join(indexes) or "(none)", nodes


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"  # str, date


async def explain(url: str, sql: str, params: tuple, generic: bool) -> list[str]:
    """Custom: EXPLAIN the statement with its parameters (planned with their values). Generic:
    PREPARE it and EXPLAIN EXECUTE under force_generic_plan, as a cached prepared statement may
    be run once PostgreSQL decides a generic plan is good enough."""
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        if not generic:
            rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *params)
        else:
            await conn.execute("SET plan_cache_mode = force_generic_plan")
            await conn.execute(f"PREPARE bench_q AS {sql}")
            args = ", ".join(_literal(p) for p in params)
            rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_q({args})")
        return [r[0] for r in rows]
    finally:
        await conn.close()


async def main(args) -> str:
    url = f"{args.pg_url.rstrip('/')}/{args.db}"
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        total = await conn.fetchval("SELECT count(*) FROM case_file")
        ward = await conn.fetchval(
            "SELECT location_unit_code FROM case_file GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        )
        small = await conn.fetchval("SELECT location_unit_code FROM case_file GROUP BY 1 ORDER BY count(*), 1 LIMIT 1")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    city = "demo.gs.hdnd-01"
    open_ = ["received", "forwarded", "accepted", "verifying", "suspended", "decided"]
    queries = [
        ("open cases of a ward by status (city supervisor, unit filter)", city, {"unit": ward, "status": open_}),
        ("a ward handler's own list (jurisdiction only)", f"demo.gq.ubnd-{ward}", {}),
        ("the smallest ward's handler's own list", f"demo.gq.ubnd-{small}", {}),
        ("overdue cases, city-wide, newest first", city, {"overdue": True}),
        ("overdue cases by due date", city, {"overdue": True, "sort": "due"}),
        ("overdue cases of a ward", city, {"overdue": True, "unit": ward}),
        ("q = dat dai (common words)", city, {"q": "dat dai"}),
        ("q = thuy khue (rare words)", city, {"q": "thuy khue"}),
        ("the first page, no filter", city, {}),
    ]
    out = [
        BEGIN,
        "",
        f"`python bench/explain_queries.py {' '.join(sys.argv[1:])}`".replace(" `", "`")
        + f" — database `{args.db}` with {total:,} cases; the ward is {ward} (the most cases), the smallest {small}. "
        "Custom plan: parameter values known at planning (the first five executions of a prepared statement); "
        "generic plan: `plan_cache_mode = force_generic_plan`.",
        "",
        "| query | plan | time | indexes used | plan nodes |",
        "|---|---|---|---|---|",
    ]
    full: list[str] = []
    for label, user, filters in queries:
        sql, params = await capture(url, user, filters)
        for generic in (False, True):
            plan = await explain(url, sql, params, generic)
            t, idx, nodes = summarise(plan)
            out.append(f"| {label} | {'generic' if generic else 'custom'} | {t} | {idx} | {' → '.join(nodes[:6])} |")
            if not generic:
                full += [f"-- {label}", sql, f"-- parameters: {params}", *plan, ""]
    out += ["", END]
    if args.full:
        Path(args.full).write_text("\n".join(full), encoding="utf-8")
    return "\n".join(out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    ap.add_argument("--db", default="petitions_bench_load")
    ap.add_argument("--out", help="rewrite the explain block of this markdown file")
    ap.add_argument("--full", help="also write the SQL and full plans to this file")
    args = ap.parse_args()
    md = asyncio.run(main(args))
    print(md)
    if args.out:
        path = Path(args.out)
        doc = path.read_text(encoding="utf-8") if path.exists() else ""
        if BEGIN not in doc:
            doc += f"\n{BEGIN}\n{END}\n"
        head, rest = doc.split(BEGIN, 1)
        path.write_text(head + md + rest.split(END, 1)[1], encoding="utf-8")
