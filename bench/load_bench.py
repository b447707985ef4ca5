"""Demo-load benchmark: how fast `petitions demo` loads cases through the case service.

For each target (PostgreSQL 10k and 100k cases, SQLite 10k by default) it makes a fresh database
(migrate + seed), loads the demo in a child process, and reports wall time, cases/s, audit
events/s, the loader's peak RSS, its CPU and the database server's CPU, the number of SQL
statements, then times `petitions audit verify` over the result.

Baseline in the same run: the round-trip time of a bare statement (`SELECT 1`, raw asyncpg or
sqlite3) on the same connection, times the number of statements the load issued — what the
load would cost if the service and the ORM were free. The gap is Python: the ORM, the rules
and the hashing.

    python bench/load_bench.py                          # the default targets (~15 min on 2 cores)
    python bench/load_bench.py --targets pg:2000 sqlite:1000
    python bench/load_bench.py --targets pg:5000 pg+bulk:5000 pg+bulk:50000   # the bulk path beside the per-case one
    python bench/load_bench.py --out docs/performance.md   # also rewrite the results block there

PostgreSQL: --pg-url (default postgresql+asyncpg://postgres@127.0.0.1:5432), the database
`petitions_bench_load` is dropped and re-created. Never point it at data you care about.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_DB = "petitions_bench_load"
BEGIN, END = "<!-- load_bench:begin -->", "<!-- load_bench:end -->"


# ---- child: one load, measured from inside -------------------------------------------------------


def _proc_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _child(url: str, cases: int, seed: int, batch: int, today: date, bulk: bool = False) -> dict:
    from sqlalchemy import event, text

    from app.config import Settings
    from app.db import Database
    from app.demo import load_demo

    db = Database.from_settings(Settings(app_env="test", database_url=url))
    pg = db.dialect == "postgresql"
    statements = {"n": 0}

    @event.listens_for(db.engine.sync_engine, "after_cursor_execute")
    def _count(*_args, **_kw):
        statements["n"] += 1

    # baseline: a bare statement's round trip on the same kind of connection, without the ORM
    rtt = await _round_trip(url)
    pids_before: dict[int, float] = {}
    if pg:
        async with db.engine.connect() as conn:
            active = text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            for (pid,) in await conn.execute(active):
                pids_before[pid] = _proc_cpu(pid)
    rates: list[tuple[int, float]] = []
    cpu0 = time.process_time()
    report = await load_demo(
        db,
        cases=cases,
        seed=seed,
        batch=batch,
        today=today,
        bulk=bulk,
        progress=lambda r: rates.append((r.cases, r.seconds)),
    )
    cpu = time.process_time() - cpu0
    server_cpu = None
    if pg:
        async with db.engine.connect() as conn:
            pids = [
                p
                for (p,) in await conn.execute(
                    text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
                )
            ]
        server_cpu = sum(_proc_cpu(p) - pids_before.get(p, 0.0) for p in pids)
    await db.dispose()

    def rate(a: tuple[int, float], b: tuple[int, float]) -> float:
        return (b[0] - a[0]) / (b[1] - a[1]) if b[1] > a[1] else 0.0

    first = rate((0, 0.0), rates[0]) if rates else 0.0
    last = rate(rates[-2], rates[-1]) if len(rates) > 1 else first
    return {
        "cases": report.cases,
        "events": report.events,
        "seconds": report.seconds,
        "analyze_s": report.analyze_seconds,
        "cases_per_s": report.cases / report.seconds,
        "events_per_s": report.events / report.seconds,
        "first_batch_cases_per_s": first,
        "last_batch_cases_per_s": last,
        "loader_cpu_s": cpu,
        "server_cpu_s": server_cpu,
        "statements": statements["n"],
        "round_trip_us": rtt * 1e6,
        "statement_floor_s": statements["n"] * rtt,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "statuses": dict(report.statuses.most_common()),
        "kinds": dict(report.kinds.most_common()),
    }


async def _round_trip(url: str, n: int = 3000) -> float:
    if url.startswith("postgresql"):
        import asyncpg

        conn = await asyncpg.connect(_asyncpg_dsn(url))
        try:
            stmt = await conn.prepare("SELECT 1")
            for _ in range(200):
                await stmt.fetchval()
            t = time.perf_counter()
            for _ in range(n):
                await stmt.fetchval()
            return (time.perf_counter() - t) / n
        finally:
            await conn.close()
    import aiosqlite

    async with aiosqlite.connect(url.split("///", 1)[1]) as conn:
        t = time.perf_counter()
        for _ in range(n):
            await (await conn.execute("SELECT 1")).fetchone()
        return (time.perf_counter() - t) / n


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


# ---- parent: fresh databases, children, verify, report -------------------------------------------


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


async def _recreate_pg(server: str, name: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(_asyncpg_dsn(f"{server}/postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{server}/{name}"


def _fresh(kind: str, pg_server: str, tmp: Path) -> str:
    if kind == "pg":
        url = asyncio.run(_recreate_pg(pg_server, PG_DB))
    else:
        path = tmp / "bench-load.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{path}"
    _petitions(url, "migrate")
    _petitions(url, "seed")
    return url


def run_target(kind: str, cases: int, *, pg_server: str, seed: int, batch: int, today: str, tmp: Path) -> dict:
    kind, _, path = kind.partition("+")  # pg+bulk: the bulk path (app/demo/bulk.py), else case by case
    bulk = path == "bulk"
    url = _fresh(kind, pg_server, tmp)
    loads: list[float] = []
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", url, str(cases), str(seed), str(batch), today, "1" if bulk else "0"],
        cwd=ROOT,
        env=_env(url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while child.poll() is None:  # the machine's 1-minute load average while the load runs
        loads.append(os.getloadavg()[0])
        time.sleep(5)
    out, err = child.communicate()
    if child.returncode:
        raise RuntimeError(f"load failed: {err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result["load_avg_mean"] = sum(loads) / len(loads) if loads else os.getloadavg()[0]
    t = time.perf_counter()
    verify = _petitions(url, "audit", "verify")
    result["verify_s"] = time.perf_counter() - t
    result["verify"] = json.loads(verify.stdout.strip().splitlines()[-1])
    result["target"] = f"{'PostgreSQL' if kind == 'pg' else 'SQLite'} {cases:,}" + (", bulk path" if bulk else "")
    return result


def machine() -> dict:
    mem = next(
        (ln.split()[1] for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")), "0"
    )
    pg = (
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-tAc", "SHOW server_version"], capture_output=True, text=True
        ).stdout.strip()
        or "?"
    )
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_gib": round(int(mem) / 1024 / 1024, 1),
        "postgres": pg,
        "python": platform.python_version(),
        "load_avg": os.getloadavg(),
    }


def markdown(results: list[dict], info: dict, args) -> str:
    lines = [
        BEGIN,
        "",
        f"Run started {info['started']}: `python bench/load_bench.py {' '.join(args.argv)}`".rstrip()
        + f" — {info['nproc']} cores ({info['cpu']}), {info['mem_gib']} GiB, "
        f"PostgreSQL {info['postgres']}, Python {info['python']}. The machine is shared: the last column is "
        "its mean 1-minute load average during the load (2.0 = both cores busy).",
        "",
        "| target | wall | cases/s | events/s | first → last batch cases/s | loader CPU | DB server CPU "
        "| statements | bare round trip | statement floor | peak RSS | `audit verify` | VACUUM ANALYZE "
        "| load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        server = f"{r['server_cpu_s']:.0f} s" if r["server_cpu_s"] is not None else "(in process)"
        lines.append(
            f"| {r['target']} | {r['seconds']:.0f} s | {r['cases_per_s']:.0f} | {r['events_per_s']:.0f} "
            f"| {r['first_batch_cases_per_s']:.0f} → {r['last_batch_cases_per_s']:.0f} | {r['loader_cpu_s']:.0f} s "
            f"| {server} | {r['statements']:,} ({r['statements'] / r['cases']:.1f}/case) | {r['round_trip_us']:.0f} µs "
            f"| {r['statement_floor_s']:.0f} s | {r['peak_rss_mb']:.0f} MB "
            f"| {r['verify_s']:.1f} s for {r['verify']['events_checked']:,} events, ok={r['verify']['ok']} "
            f"| {r['analyze_s']:.1f} s | {r['load_avg_mean']:.1f} |"
        )
    lines += [
        "",
        "Statuses after the largest load: "
        + ", ".join(f"{k} {v:,}" for k, v in max(results, key=lambda r: r["cases"])["statuses"].items())
        + ".",
        "",
        END,
    ]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        url, cases, seed, batch, today = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
        bulk = len(sys.argv) > 7 and sys.argv[7] == "1"
        sys.path.insert(0, str(ROOT))
        print(json.dumps(asyncio.run(_child(url, cases, seed, batch, date.fromisoformat(today), bulk))))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--targets",
        nargs="+",
        default=["pg:10000", "pg:100000", "sqlite:10000"],
        help="kind:cases, kind pg or sqlite, or pg+bulk / sqlite+bulk for the bulk path",
    )
    ap.add_argument(
        "--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432", help="server URL without a database name"
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--today", default="2026-11-27", help="the demo's business date (fixed: same data every run)")
    ap.add_argument("--out", help="rewrite the load_bench block of this markdown file")
    ap.add_argument("--block", default="load_bench", help="the block's name (load_bench_bulk: the bulk comparison)")
    args = ap.parse_args()
    global BEGIN, END
    BEGIN, END = f"<!-- {args.block}:begin -->", f"<!-- {args.block}:end -->"
    args.argv = sys.argv[1:]
    info = machine()
    results = []
    with tempfile.TemporaryDirectory(prefix="petitions-bench-") as tmp:
        for target in args.targets:
            kind, n = target.split(":")
            print(f"loading {n} cases into {kind} ...", file=sys.stderr, flush=True)
            r = run_target(
                kind,
                int(n),
                pg_server=args.pg_url.rstrip("/"),
                seed=args.seed,
                batch=args.batch,
                today=args.today,
                tmp=Path(tmp),
            )
            print(
                json.dumps({k: v for k, v in r.items() if k not in ("statuses", "kinds")}), file=sys.stderr, flush=True
            )
            results.append(r)
    md = markdown(results, info, args)
    print(md)
    if args.out:
        path = Path(args.out)
        doc = path.read_text(encoding="utf-8") if path.exists() else f"{BEGIN}\n{END}\n"
        if BEGIN not in doc:
            doc += f"\n{BEGIN}\n{END}\n"
        head, rest = doc.split(BEGIN, 1)
        path.write_text(head + md + rest.split(END, 1)[1], encoding="utf-8")


if __name__ == "__main__":
    main()
