"""Audit verification over a long chain (`petitions audit verify`) against hashing the same
canonical bytes alone, in the same run, on PostgreSQL.

The chain: a small demo load (bulk path) gives real events; they are then repeated, each with
its own seq, prev_hash and `at`, hashed by app.services.audit.compute_hash and COPYed in, until
the chain holds --events events (default 1,000,000). What is measured, in one run:

- app.services.audit.verify in a child process, three ways at --small events and at --events:
  as `petitions audit verify` runs it on PostgreSQL (the database rebuilds the canonical bytes and
  hashes them, keyset batches; decision 0102), the same with `changes` taken apart in SQL as for
  events stored before decision 0102, and in Python only (`in_database=False`: keyset batches of
  rows, compute_hash here); wall time and the child's peak RSS (flat memory means the
  same peak at both sizes); the whole command `petitions audit verify` once, at --small;
- the previous implementation (ORM objects streamed with yield_per) in this process, same chain;
- the baselines: the same rows read from the database, then (a) SHA-256 alone over their
  canonical bytes (prepared beforehand, untimed), (b) canonical_bytes + SHA-256 (compute_hash)
  over the rows already in memory — no database.

    python bench/audit_bench.py                    # 1,000,000 events (8 min at load 4; ~1 h at load 7)
    python bench/audit_bench.py --events 200000 --small 50000
    python bench/audit_bench.py --out docs/performance.md

--pg-url (default postgresql+asyncpg://postgres@127.0.0.1:5432); the database
petitions_bench_audit is dropped and re-created, and dropped at the end (--keep to keep it).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.services.audit import _HASHED_FIELDS  # noqa: E402

DB = "petitions_bench_audit"
BEGIN, END = "<!-- audit_bench:begin -->", "<!-- audit_bench:end -->"
# Peak RSS is read as VmHWM from /proc/self/status: getrusage's ru_maxrss of a child started by
# fork + exec carries the parent's peak at the fork (here, the bench process after building the
# chain: 395 MB in the first 1M run), so it cannot show the verifier's own memory.
_HWM = "int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
_RSS = (
    "import atexit, sys; atexit.register(lambda: print('PEAK_RSS_KB', "
    f"{_HWM}, file=sys.stderr)); "
    "from app.cli import main; main()"
)
# The verify the CLI runs (app.services.audit.verify in a read-only session), timed inside a child
# process of its own: its peak RSS is the verifier's, and start-up is not counted.
_VERIFY = """
def _hwm():
    return int(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))
import asyncio, json, sys, time
from app.config import get_settings
from app.db import Database
from app.services import audit
if sys.argv[1] == "sql-taken-apart":  # as for events stored before CanonicalJSON (decision 0102)
    audit._BATCH_SQL = audit._batch_sql(verbatim=False)
async def run():
    db = Database.from_settings(get_settings())
    rss0 = _hwm()
    try:
        async with db.read_sessionmaker() as s, s.begin():
            t = time.perf_counter()
            r = await audit.verify(s, in_database=sys.argv[1] != "python")
            dt = time.perf_counter() - t
    finally:
        await db.dispose()
    print(json.dumps({"ok": r.ok, "events": r.events_checked, "seconds": dt, "rss_before_kb": rss0,
                      "peak_rss_kb": _hwm()}))
asyncio.run(run())
"""


def _verify_child(url: str, how: str) -> dict:
    p = subprocess.run(
        [sys.executable, "-c", _VERIFY, how], cwd=ROOT, env=_env(url), check=True, capture_output=True, text=True
    )
    return json.loads(p.stdout.strip().splitlines()[-1])


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "APP_ENV": "development", "LOG_LEVEL": "WARNING"}


def _petitions(url: str, *args: str) -> tuple[float, float, str]:
    """Run the CLI in a child: (wall seconds, peak RSS MB, stdout)."""
    t = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-c", _RSS, *args], cwd=ROOT, env=_env(url), check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - t
    m = re.search(r"PEAK_RSS_KB (\d+)", p.stderr)
    return wall, (int(m.group(1)) / 1024 if m else float("nan")), p.stdout


async def _recreate(server: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(server.replace("postgresql+asyncpg://", "postgresql://") + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{DB}"')
    finally:
        await conn.close()
    return f"{server}/{DB}"


async def _drop(server: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(server.replace("postgresql+asyncpg://", "postgresql://") + "/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    finally:
        await conn.close()


_FIELDS = (*_HASHED_FIELDS, "hash")  # what a row of the chain holds


async def _extend(url: str, total: int) -> int:
    """Repeat the demo's events until the chain holds `total` events (COPY, 20,000 a batch)."""
    import asyncpg

    from app.models.audit import canonical_json
    from app.services.audit import compute_hash

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        templates = [dict(r) for r in await conn.fetch(f"SELECT {', '.join(_FIELDS)} FROM audit_event ORDER BY seq")]
        for t in templates:  # (asyncpg hands json over as text, and takes it back as text in a binary COPY)
            t["changes"] = json.loads(t["changes"]) if t["changes"] is not None else None
        seq, prev = templates[-1]["seq"], templates[-1]["hash"]
        at = templates[-1]["at"]
        i = 0
        while seq < total:
            batch = []
            for _ in range(min(20000, total - seq)):
                t = dict(templates[i % len(templates)])  # (its changes dict is shared: read only)
                i += 1
                seq += 1
                at = at + timedelta(milliseconds=7)
                t.update(seq=seq, at=at, prev_hash=prev)
                t["hash"] = prev = compute_hash(SimpleNamespace(**t))  # type: ignore[arg-type]
                t["changes"] = canonical_json(t["changes"]) if t["changes"] is not None else None  # as the app
                batch.append(tuple(t[f] for f in _FIELDS))
            await conn.copy_records_to_table("audit_event", records=batch, columns=list(_FIELDS))
        await conn.execute("VACUUM (ANALYZE) audit_event")
        return seq
    finally:
        await conn.close()


async def _in_process(url: str, *, orm: bool = True) -> dict[str, float]:
    """The previous verify (ORM objects, yield_per; unless `orm` is false) and the two baselines,
    over the same chain."""
    from sqlalchemy import select
    from sqlmodel import col

    from app.config import Settings
    from app.db import Database
    from app.models.audit import AuditEvent
    from app.services import audit

    db = Database.from_settings(Settings(app_env="development", database_url=url))
    out: dict[str, float] = {}
    try:
        # the previous implementation: ORM objects streamed with yield_per(1000), expunged one by one
        if orm:
            async with db.read_sessionmaker() as s, s.begin():
                t = time.perf_counter()
                prev, n = audit.GENESIS_HASH, 0
                result = await s.stream_scalars(
                    select(AuditEvent).order_by(col(AuditEvent.seq)).execution_options(yield_per=1000)
                )
                async for ev in result:
                    assert ev.prev_hash == prev and audit.compute_hash(ev) == ev.hash
                    prev = ev.hash
                    n += 1
                    s.expunge(ev)
                out["orm_s"] = time.perf_counter() - t
                out["orm_events"] = n
        # baselines: rows fetched (untimed), then canonical+hash, and hash alone
        sha_s = canon_hash_s = 0.0
        async with db.read_sessionmaker() as s, s.begin():
            async for rows in _batches(s):
                t = time.perf_counter()
                for r in rows:
                    audit.compute_hash(r)
                canon_hash_s += time.perf_counter() - t
                blobs = [audit.canonical_bytes(r) for r in rows]
                t = time.perf_counter()
                for b in blobs:
                    hashlib.sha256(b).hexdigest()
                sha_s += time.perf_counter() - t
        out["sha_s"], out["canon_hash_s"] = sha_s, canon_hash_s
        return out
    finally:
        await db.dispose()


async def _batches(session):
    """The rows of the chain, 5,000 at a time, as verify reads them."""
    from sqlalchemy import select

    from app.services import audit

    cols = audit._COLUMNS
    after = 0
    while True:
        rows = (await session.execute(select(*cols).where(cols[0] > after).order_by(cols[0]).limit(5000))).all()
        if not rows:
            return
        yield rows
        after = rows[-1].seq


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--small", type=int, default=100_000)
    ap.add_argument("--demo-cases", type=int, default=500)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument(
        "--skip-orm", action="store_true", help="leave out the previous (ORM) verify, the slowest part of the run"
    )
    args = ap.parse_args()
    if not (0 < args.small < args.events <= 5_000_000):
        ap.error("need 0 < --small < --events <= 5,000,000")
    started = datetime.now(UTC)
    url = asyncio.run(_recreate(args.pg_url))
    try:
        _petitions(url, "migrate")
        _petitions(url, "seed")
        _petitions(
            url,
            "demo",
            "--cases",
            str(args.demo_cases),
            "--today",
            "2026-11-27",
            "--password",
            "bench-demo-pass",
            "--quiet",
        )
        rows = []
        for size in (args.small, args.events):
            t = time.perf_counter()
            n = asyncio.run(_extend(url, size))
            build = time.perf_counter() - t
            wall, rss = float("nan"), float("nan")
            if size == args.small:  # the whole command once (start-up included); the same function as below
                wall, rss, stdout = _petitions(url, "audit", "verify")
                assert '"ok": true' in stdout, stdout
            for how in ("sql", "sql-taken-apart", "python"):
                v = _verify_child(url, how)
                assert v["ok"] and v["events"] == n, v
                rows.append(
                    {
                        "events": n,
                        "how": how,
                        "build_s": build,
                        "cli_s": wall,
                        "cli_rss_mb": rss,
                        "verify_s": v["seconds"],
                        "rss0_mb": v["rss_before_kb"] / 1024,
                        "verify_rss_mb": v["peak_rss_kb"] / 1024,
                    }
                )
                print(
                    f"{n:,} events, {how}: verify {v['seconds']:.1f} s, peak RSS {v['peak_rss_kb'] / 1024:.0f} MB; "
                    f"the CLI {wall:.1f} s, {rss:.0f} MB (chain built in {build:.0f} s)",
                    file=sys.stderr,
                )
                wall, rss = float("nan"), float("nan")
        base = asyncio.run(_in_process(url, orm=not args.skip_orm))
        print(base, file=sys.stderr)
    finally:
        if not args.keep:
            asyncio.run(_drop(args.pg_url))
    _report(args, started, rows, base)


_HOW = {
    "sql": "in the database (as the CLI runs it)",
    "sql-taken-apart": "in the database, `changes` taken apart (events stored before decision 0102)",
    "python": "in Python (`in_database=False`)",
}


def _row(r: dict) -> str:
    line = (
        f"| {r['events']:,} events | {_HOW[r['how']]} | {r['verify_s']:.1f} s | {r['events'] / r['verify_s']:,.0f} | "
        f"{r['verify_rss_mb']:.0f} MB ({r['rss0_mb']:.0f} MB) | {r['cli_s']:.1f} s | {r['cli_rss_mb']:.0f} MB |"
    )
    return line.replace("nan s", "—").replace("nan MB", "—")


def _report(args, started: datetime, rows: list[dict], base: dict[str, float]) -> None:
    n = rows[-1]["events"]
    rate = {r["how"]: n / r["verify_s"] for r in rows if r["events"] == n}
    load = os.getloadavg()
    v = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()

    def shares(base: float) -> str:
        return f"**{rate['sql'] / base:.0%}** | {rate['sql-taken-apart'] / base:.0%} | {rate['python'] / base:.0%}"

    baselines = [
        ("SHA-256 alone over the canonical bytes (prepared beforehand)", base["sha_s"], n),
        ("canonical_bytes + SHA-256 (compute_hash) over rows in memory", base["canon_hash_s"], n),
    ]
    if "orm_s" in base:
        baselines.append(("the previous verify: ORM objects, yield_per(1000)", base["orm_s"], base["orm_events"]))
    lines = [
        BEGIN,
        "",
        f"Run started {started:%Y-%m-%d %H:%M} UTC, ended {datetime.now(UTC):%H:%M} UTC: `python bench/audit_bench.py"
        + (f" --events {args.events} --small {args.small}" if args.events != 1_000_000 else "")
        + (" --skip-orm" if args.skip_orm else "")
        + f" --out docs/performance.md` — {os.cpu_count()} cores, {v}, Python {platform.python_version()}; "
        f"load average {load[0]:.1f} (1 min), {load[1]:.1f} (5 min), {load[2]:.1f} (15 min) at the end "
        "(2.0 = both cores busy).",
        "",
        "| chain | verify | time | events/s | peak RSS (before verify) | `petitions audit verify`, whole command "
        "| its peak RSS |",
        "|---|---|---|---|---|---|---|",
        *[_row(r) for r in rows],
        "",
        f"Same run, same {n:,} events, in the bench process:",
        "",
        "| what | seconds | events/s | verify in the database: its rate as a share of it "
        "| in the database, taken apart | in Python |",
        "|---|---|---|---|---|---|",
        *[f"| {what} | {sec:.1f} | {cnt / sec:,.0f} | {shares(cnt / sec)} |" for what, sec, cnt in baselines],
        "",
        END,
    ]
    block = "\n".join(lines)
    print(block)
    if args.out:
        text_ = args.out.read_text()
        if BEGIN in text_:
            text_ = text_[: text_.index(BEGIN)] + block + text_[text_.index(END) + len(END) :]
        else:
            text_ += "\n" + block + "\n"
        args.out.write_text(text_)


if __name__ == "__main__":
    main()
