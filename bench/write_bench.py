"""Write-path benchmark: intake and a transition through the service against a bare ASGI baseline.

On PostgreSQL only. It makes the database `petitions_bench_write` (dropped and re-created:
migrate, seed, two users at one ward's People's Committee), then, one server at a time, each
started the same way (`uvicorn`, one worker, 127.0.0.1, no access log):

- the service (`app.main:app_factory`): POST /api/v1/cases with the body a ward's desk sends
  (kind, channel, title, content, field, place, respondent, a petitioner with ID number, phone,
  address, e-mail), then POST /api/v1/cases/{id}/transitions `accept` on the cases it created;
- the baseline (`write_bench:baseline_app`, in this file): a bare ASGI callable, no framework,
  that parses the same JSON body and writes the same rows with raw asyncpg in one transaction
  — the case (with its HMAC'd PIN), its search text, its petitioners, and one audit event chained onto the
  head under the same advisory lock, hashed over the same canonical bytes — and accepts a case
  (version-checked UPDATE + chained event). No authentication, no rules, no response model:
  the physical floor of these writes on this machine.

All three servers run at once (the service, a second service process, the baseline); service
and baseline take turns (`--rounds`, 2 by default: a share of each scenario per turn) so that
both meet the same machine. Concurrency 32 by default, a bounded number of requests each, after
a short warm-up. For each it reports requests/s, p50/p95/p99, the server's peak resident memory
(sampled VmRSS) and how many sessions waited on the chain's advisory lock (sampled every 50 ms).
Then: reads of a denunciation's identity by its holder (each writes `case.identity_read`) at
concurrency 4 through the second service process, alone and while 32 clients run transitions
on the first, to show whether reads wait on writers in the database. At the end, `petitions
audit verify` over the whole chain (the baseline's events included: they must hash the same).

    python bench/write_bench.py                                 # 5-10 min on the shared 2 cores
    python bench/write_bench.py --intakes 400 --transitions 400
    python bench/write_bench.py --out docs/performance.md        # rewrite the write_bench block
    python bench/write_bench.py --json /tmp/after.json           # the figures as JSON, too

Client, servers and PostgreSQL share the machine's cores: the figures are for that whole system,
and only their ratio (service / baseline, same run) is meant to hold elsewhere. Only 127.0.0.1 is
contacted; every loop is bounded by a count and a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import random
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "petitions_bench_write"
SECRET = "bench-only-secret-" + "w" * 40
BEGIN, END = "<!-- write_bench:begin -->", "<!-- write_bench:end -->"
SCENARIO_TIMEOUT_S = 600
CHAIN_LOCK = 0x48414E4F49  # app/services/audit.py _PG_CHAIN_LOCK
GENESIS = "0" * 64


# ==== the baseline: a bare ASGI app writing the same rows with raw asyncpg ==========================

_HASHED = (
    "seq",
    "at",
    "actor_id",
    "actor",
    "role",
    "org",
    "action",
    "entity",
    "entity_id",
    "case_id",
    "from_status",
    "to_status",
    "changes",
    "reason",
    "request_id",
    "prev_hash",
)


def _canonical(ev: dict[str, Any]) -> bytes:
    """The same bytes as app.services.audit.canonical_bytes, from a plain dict."""
    doc = {k: ev[k] for k in _HASHED}
    doc["at"] = ev["at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


async def _append_event(conn: asyncpg.Connection, ev: dict[str, Any]) -> None:
    """Chain one event onto the head: lock, read the head, hash, insert (the caller commits)."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", CHAIN_LOCK)
    head = await conn.fetchrow("SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1")
    ev["seq"], ev["prev_hash"] = (head["seq"] + 1, head["hash"]) if head else (1, GENESIS)
    ev["at"] = datetime.now(UTC)
    ev["hash"] = hashlib.sha256(_canonical(ev)).hexdigest()
    await conn.execute(
        "INSERT INTO audit_event (seq, at, actor_id, actor, role, org, action, entity, entity_id, case_id, "
        "from_status, to_status, changes, reason, request_id, prev_hash, hash) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13::json,$14,$15,$16,$17)",
        ev["seq"],
        ev["at"],
        ev["actor_id"],
        ev["actor"],
        ev["role"],
        ev["org"],
        ev["action"],
        ev["entity"],
        ev["entity_id"],
        ev["case_id"],
        ev["from_status"],
        ev["to_status"],
        None if ev["changes"] is None else json.dumps(ev["changes"], ensure_ascii=False),
        ev["reason"],
        ev["request_id"],
        ev["prev_hash"],
        ev["hash"],
    )


class _Baseline:
    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None
        self.desk: dict[str, Any] = {}
        self.units: dict[str, str] = {}
        self.key = hashlib.sha256(b"bench-pin-key").digest()

    async def startup(self) -> None:
        self.pool = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=4, max_size=20)
        async with self.pool.acquire() as c:
            u = await c.fetchrow(
                "SELECT u.id, u.username, u.role, o.id AS org_id, o.code AS org, un.path "
                "FROM app_user u JOIN organization o ON o.id = u.organization_id "
                "JOIN admin_unit un ON un.code = o.unit_code WHERE u.username = 'bench.desk'"
            )
            self.desk = dict(u)
            self.units = {r["code"]: r["path"] for r in await c.fetch("SELECT code, path FROM admin_unit")}

    def _event(self, action: str, case_id: int, frm: str | None, to: str | None, changes: dict | None) -> dict:
        d = self.desk
        return {
            "actor_id": d["id"],
            "actor": d["username"],
            "role": d["role"],
            "org": d["org"],
            "action": action,
            "entity": "case",
            "entity_id": str(case_id),
            "case_id": case_id,
            "from_status": frm,
            "to_status": to,
            "changes": changes,
            "reason": None,
            "request_id": secrets.token_hex(16),
        }

    async def intake(self, body: dict) -> tuple[int, dict]:
        assert self.pool is not None
        d = self.desk
        today = date.today()
        now = datetime.now(UTC)
        pin = f"{secrets.randbelow(10**6):06d}"
        pin_hash = hmac.new(self.key, pin.encode(), hashlib.sha256).hexdigest()
        code = f"HN-{today:%y}B-{secrets.token_hex(4).upper()}"
        place = body["location_unit_code"]
        people = body.get("petitioners") or []
        search = f"{body['title']} {body['content']} {body.get('respondent') or ''}".lower()
        async with self.pool.acquire() as conn, conn.transaction():
            case_id = await conn.fetchval(
                "INSERT INTO case_file (code, pin_hash, kind, status, channel, received_on, title, content, field, "
                "respondent, location_unit_code, location_path, anonymous, receiving_org_id, receiving_path, "
                "petitioner_count, mass, filing_late, stage, stage_started_on, due, remote_area, extensions_used, "
                "last_event_on, version, created_by_id, created_at, updated_at) VALUES ($1,$2,$3,"
                "'received',$4,$5,$6,$7,$8,$9,$10,$11,false,$12,$13,$14,false,false,'processing',$5,$15,false,0,$5,"
                "1,$16,$17,$17) RETURNING id",
                code,
                pin_hash,
                body["kind"],
                body["channel"],
                today,
                body["title"],
                body["content"],
                body["field"],
                body.get("respondent"),
                place,
                self.units[place],
                d["org_id"],
                d["path"],
                len(people),
                today.replace(day=min(today.day, 28)),
                d["id"],
                now,
            )
            # the folded search text has its own table since migration 0013_srch (decision 0096)
            await conn.execute("INSERT INTO case_search (case_id, text) VALUES ($1, $2)", case_id, search)
            for i, p in enumerate(people):
                await conn.execute(
                    "INSERT INTO petitioner (case_id, position, full_name, id_number, phone, address, email, "
                    "is_representative, name_key, phone_key) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
                    case_id,
                    i,
                    p["full_name"],
                    p.get("id_number"),
                    p.get("phone"),
                    p.get("address"),
                    p.get("email"),
                    i == 0,
                    p["full_name"].lower(),
                    p.get("phone"),
                )
            await _append_event(
                conn,
                self._event(
                    "case.create",
                    case_id,
                    None,
                    "received",
                    {"code": code, "kind": body["kind"], "petitioners": len(people)},
                ),
            )
        return 201, {"id": case_id, "code": code, "status": "received", "version": 1, "pin": pin}

    async def accept(self, case_id: int, version: int) -> tuple[int, dict]:
        assert self.pool is not None
        today = date.today()
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(
                "UPDATE case_file SET status = 'accepted', stage = 'resolution', stage_started_on = $3, "
                "accepted_on = $3, last_event_on = $3, version = version + 1, updated_at = $4 "
                "WHERE id = $1 AND version = $2 AND status IN ('received', 'forwarded') RETURNING version",
                case_id,
                version,
                today,
                datetime.now(UTC),
            )
            if row is None:
                return 409, {"detail": "stale or not acceptable"}
            await _append_event(conn, self._event("case.accept", case_id, "received", "accepted", None))
        return 200, {"id": case_id, "status": "accepted", "version": row["version"]}


async def _read_body(receive) -> bytes:
    chunks = []
    while True:
        msg = await receive()
        chunks.append(msg.get("body", b""))
        if not msg.get("more_body"):
            return b"".join(chunks)


async def _send_json(send, status: int, doc: dict) -> None:
    body = json.dumps(doc).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


_BASE = _Baseline()


async def baseline_app(scope, receive, send) -> None:
    """POST /intake (a CaseCreate body) · POST /cases/{id}/accept?version=N · GET /ready"""
    if scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                await _BASE.startup()
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                if _BASE.pool is not None:
                    await _BASE.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if path == "/ready":
        await _send_json(send, 200, {"ok": True})
        return
    body = await _read_body(receive)
    try:
        if path == "/intake":
            status, doc = await _BASE.intake(json.loads(body))
        elif path.startswith("/cases/") and path.endswith("/accept"):
            version = int(scope["query_string"].decode().split("version=")[1])
            status, doc = await _BASE.accept(int(path.split("/")[2]), version)
        else:
            status, doc = 404, {"detail": "not found"}
    except Exception as exc:
        print(f"baseline: {exc!r}", file=sys.stderr, flush=True)
        status, doc = 500, {"detail": repr(exc)}
    await _send_json(send, status, doc)


# ==== the client =====================================================================================


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
    for i in range(warmup):
        await call(-1 - i)
    lat: list[float] = []
    errors = 0
    counter = iter(range(n))

    async def worker() -> None:
        nonlocal errors
        for i in counter:
            t = time.perf_counter()
            try:
                ok = await call(i)
            except Exception as exc:  # a dropped connection counts as an error, and is shown
                print(f"{name}: {exc!r}", file=sys.stderr)
                ok = False
            lat.append((time.perf_counter() - t) * 1000)
            errors += 0 if ok else 1

    t0 = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(concurrency))), SCENARIO_TIMEOUT_S)
    return Result(name, n, concurrency, time.perf_counter() - t0, lat, errors, note)


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def _env(url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "APP_ENV": "development",
        "JWT_SECRET": SECRET,
        "BENCH_DSN": _dsn(url),
        "LOG_LEVEL": "WARNING",
    }


def _petitions(url: str, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        cwd=ROOT,
        env=_env(url),
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, app: str, port: int, log: Path, ready: str, *extra: str) -> subprocess.Popen:
    out = log.open("a")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            app,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
            "--log-level",
            "warning",
            *extra,
        ],
        cwd=ROOT,
        env=_env(url),
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 60
    import httpx

    while time.time() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}{ready}", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("server did not become ready")


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(15)


def _rss_kb(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            out[line.split(":")[0]] = int(line.split()[1])
    return out


async def sample(url: str, pid: int, stop: asyncio.Event, into: dict) -> None:
    """Every 50 ms: the server's resident memory, and sessions waiting on an advisory lock."""
    conn = await asyncpg.connect(_dsn(url))
    waits: list[int] = []
    rss: list[int] = []
    try:
        while not stop.is_set():
            rss.append(_rss_kb(pid)["VmRSS"])
            waits.append(
                await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event = 'advisory'"
                )
            )
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    into["rss_peak_mb"] = max(rss) / 1024 if rss else 0.0
    into["hwm_mb"] = _rss_kb(pid)["VmHWM"] / 1024
    into["lock_waiters_mean"] = sum(waits) / len(waits) if waits else 0.0
    into["lock_waiters_max"] = max(waits) if waits else 0


async def measured(url: str, pid: int, run: Awaitable[Result]) -> Result:
    stop: asyncio.Event = asyncio.Event()
    extra: dict = {}
    sampler = asyncio.create_task(sample(url, pid, stop, extra))
    try:
        res = await run
    finally:
        stop.set()
        await sampler
    res.extra.update(extra)
    return res


def intake_body(rng: random.Random, ward: str, i: int, kind: str | None = None) -> dict:
    """What a ward's reception desk sends for a petition received in person."""
    surname = rng.choice(["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng"])
    return {
        "kind": kind or rng.choice(["petition", "reflection", "complaint"]),
        "channel": "in_person",
        "title": f"Kiến nghị về việc cấp Giấy chứng nhận quyền sử dụng đất cho thửa đất số {100 + i}",
        "content": (
            "Gia đình tôi sử dụng ổn định thửa đất từ năm 1993, không tranh chấp, đã nộp hồ sơ đề nghị "
            "cấp Giấy chứng nhận từ tháng 3 nhưng đến nay chưa nhận được kết quả. Đề nghị Ủy ban nhân dân "
            "phường xem xét, giải quyết theo quy định của Luật Đất đai năm 2024."
        ),
        "field": "land",
        "location_unit_code": ward,
        "respondent": "Ủy ban nhân dân phường",
        "petitioners": [
            {
                "full_name": f"{surname} Văn Bình",
                "id_number": f"0010{rng.randrange(10**8):08d}",
                "phone": f"09{rng.randrange(10**8):08d}",
                "address": f"Số {rng.randrange(1, 200)} ngõ {rng.randrange(1, 90)} phố Hoàng Hoa Thám",
                "email": f"dan{i}@example.vn",
            }
        ],
    }


def token(user_id: int) -> str:
    sys.path.insert(0, str(ROOT))
    from app.config import Settings
    from app.security import create_access_token

    return create_access_token(
        Settings(app_env="development", jwt_secret=SECRET), subject=str(user_id), lifetime_seconds=4 * 3600
    )


async def prepare(server: str) -> tuple[str, str, dict[str, int]]:
    url = f"{server}/{DB_NAME}"
    admin = await asyncpg.connect(_dsn(f"{server}/postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{DB_NAME}"')
    finally:
        await admin.close()
    _petitions(url, "migrate")
    _petitions(url, "seed")
    conn = await asyncpg.connect(_dsn(url))
    try:
        ward = await conn.fetchval(
            "SELECT u.code FROM admin_unit u JOIN organization o ON o.unit_code = u.code "
            "WHERE u.level = 'commune' AND o.code = 'UBND-' || u.code ORDER BY u.code LIMIT 1"
        )
    finally:
        await conn.close()
    pw = secrets.token_urlsafe(16)
    for name in ("bench.desk", "bench.reader"):
        _petitions(
            url, "users", "create", "--username", name, "--password", pw, "--role", "handler", "--org", f"UBND-{ward}"
        )
    conn = await asyncpg.connect(_dsn(url))
    try:
        ids = {r["username"]: r["id"] for r in await conn.fetch("SELECT id, username FROM app_user")}
    finally:
        await conn.close()
    return url, ward, ids


def merge(name: str, parts: list[Result], note: str = "") -> Result:
    """Rounds of one scenario as one result: requests and seconds add up, latencies pool, the
    peaks are the highest of any round, the mean waiters weighted by time."""
    out = Result(
        name,
        sum(p.n for p in parts),
        parts[0].concurrency,
        sum(p.seconds for p in parts),
        [x for p in parts for x in p.latencies_ms],
        sum(p.errors for p in parts),
        note,
    )
    if "rss_peak_mb" in parts[0].extra:
        secs = out.seconds or 1.0
        out.extra = {
            "rss_peak_mb": max(p.extra["rss_peak_mb"] for p in parts),
            "hwm_mb": max(p.extra["hwm_mb"] for p in parts),
            "lock_waiters_mean": sum(p.extra["lock_waiters_mean"] * p.seconds for p in parts) / secs,
            "lock_waiters_max": max(p.extra["lock_waiters_max"] for p in parts),
        }
    return out


async def run(args) -> tuple[list[Result], str]:
    """Three servers up at once: the service (writes), a second service process (identity reads,
    so that they meet the writers only in the database) and the baseline. Service and baseline
    take turns, `--rounds` times, a share of each scenario per round, so that both see the same
    machine when other work comes and goes."""
    import httpx

    server = args.pg_url.rstrip("/")
    url, ward, ids = await prepare(server)
    log = Path(args.server_log)
    log.write_text("")
    rng = random.Random(1)
    c = args.concurrency
    limits = httpx.Limits(max_connections=c + 8, max_keepalive_connections=c + 8)
    desk = {"Authorization": f"Bearer {token(ids['bench.desk'])}"}
    reader = {"Authorization": f"Bearer {token(ids['bench.reader'])}"}
    ports = [free_port() for _ in range(3)]
    procs = [
        start_server(url, "app.main:app_factory", ports[0], log, "/readyz", "--factory"),
        start_server(url, "app.main:app_factory", ports[1], log, "/readyz", "--factory"),
        start_server(url, "write_bench:baseline_app", ports[2], log, "/ready", "--app-dir", str(ROOT / "bench")),
    ]
    svc_pid, base_pid = procs[0].pid, procs[2].pid
    rounds = max(1, args.rounds)
    parts: dict[str, list[Result]] = {}
    try:
        async with (
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[0]}", limits=limits, timeout=120) as svc,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[1]}", timeout=120) as other,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{ports[2]}", limits=limits, timeout=120) as base,
        ):
            created: list[tuple[int, int]] = []
            made: list[tuple[int, int]] = []

            async def intake(i: int) -> bool:
                r = await svc.post("/api/v1/cases", json=intake_body(rng, ward, i), headers=desk)
                if r.status_code == 201:
                    created.append((r.json()["id"], r.json()["version"]))
                    return True
                print(r.status_code, r.text[:300], file=sys.stderr)
                return False

            async def b_intake(i: int) -> bool:
                r = await base.post("/intake", json=intake_body(rng, ward, i))
                if r.status_code == 201:
                    made.append((r.json()["id"], r.json()["version"]))
                    return True
                return False

            async def accept(_i: int) -> bool:
                case_id, version = created.pop()
                r = await svc.post(
                    f"/api/v1/cases/{case_id}/transitions",
                    headers={**desk, "If-Match": f'"{version}"'},
                    json={"action": "accept", "reason": "Đủ điều kiện thụ lý"},
                )
                if r.status_code != 200:
                    print(r.status_code, r.text[:300], file=sys.stderr)
                return r.status_code == 200

            async def b_accept(_i: int) -> bool:
                case_id, version = made.pop()
                r = await base.post(f"/cases/{case_id}/accept?version={version}")
                return r.status_code == 200

            per_intake, per_accept = args.intakes // rounds, args.transitions // rounds
            warm = 10
            for rnd in range(rounds):
                for name, call, pid, n in (
                    ("service intake", intake, svc_pid, per_intake),
                    ("baseline intake", b_intake, base_pid, per_intake),
                ):
                    parts.setdefault(name, []).append(
                        await measured(url, pid, drive(name, n, c, call, warmup=warm if rnd == 0 else 0))
                    )
            for _rnd in range(rounds):
                for name, call2, pid, n in (
                    ("service accept", accept, svc_pid, per_accept),
                    ("baseline accept", b_accept, base_pid, per_accept),
                ):
                    n = min(n, len(created) - 1, len(made) - 1)
                    parts.setdefault(name, []).append(await measured(url, pid, drive(name, n, c, call2)))

            # identity reads: a denunciation held by the reader's organisation, read by its handler
            # through the second process, alone and while 32 clients run transitions on the first
            r = await svc.post("/api/v1/cases", json=intake_body(rng, ward, 0, kind="denunciation"), headers=desk)
            r.raise_for_status()
            secret_case = r.json()["id"]

            async def read_identity(_i: int) -> bool:
                r = await other.get(f"/api/v1/cases/{secret_case}", headers=reader)
                return r.status_code == 200 and bool(r.json()["petitioners"])

            quiet = await drive("identity quiet", args.reads, 4, read_identity, warmup=5)
            for i in range(min(args.transitions, 400)):  # cases for the writers below (bounded)
                await intake(i)
            writers = asyncio.create_task(drive("writers", len(created) - 1, c, accept))
            await asyncio.sleep(1.0)

            async def read_while_writing(i: int) -> bool:
                if writers.done():  # only reads that met the writers count
                    raise RuntimeError("writers finished")
                return await read_identity(i)

            busy = await drive("identity busy", args.reads, 4, read_while_writing)
            busy.latencies_ms = busy.latencies_ms[: len(busy.latencies_ms) - busy.errors]
            still = busy.errors == 0
            busy.n -= busy.errors
            busy.errors = 0
            await writers
    finally:
        for proc in procs:
            stop_server(proc)
    results = [
        merge("service: POST /api/v1/cases (intake)", parts["service intake"]),
        merge(
            "baseline: bare ASGI + asyncpg intake",
            parts["baseline intake"],
            "case, its search text, petitioner, chained event; one transaction",
        ),
        merge("service: POST /api/v1/cases/{id}/transitions (accept)", parts["service accept"]),
        merge(
            "baseline: bare ASGI + asyncpg accept",
            parts["baseline accept"],
            "version-checked UPDATE, chained event; one transaction",
        ),
        merge(
            "service: GET /api/v1/cases/{id} (identity read), no writes",
            [quiet],
            "second service process; each writes case.identity_read",
        ),
        merge(
            "service: GET /api/v1/cases/{id} (identity read), during 32 writers",
            [busy],
            "second service process, while 32 clients accept cases on the first"
            + ("" if still else " (the writers finished first: only the reads made while they ran)"),
        ),
    ]
    verify = _petitions(url, "audit", "verify").strip()
    return results, verify


def _versions() -> str:
    import fastapi
    import sqlalchemy
    import uvicorn

    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return (
        f"Python {platform.python_version()}, FastAPI {fastapi.__version__}, SQLAlchemy {sqlalchemy.__version__}, "
        f"uvicorn {uvicorn.__version__}, asyncpg {asyncpg.__version__}, {pg}"
    )


def _machine() -> str:
    cpu = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    mem = int(Path("/proc/meminfo").read_text().split()[1]) // 1024
    return f"{os.cpu_count()} cores ({cpu}), {mem:,} MB RAM, {platform.system()} {platform.release()}"


def markdown(results: list[Result], verify: str, args, load: tuple[float, float, float]) -> str:
    by = {r.name: r for r in results}
    lines = [
        BEGIN,
        "",
        f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: `python bench/write_bench.py "
        f"{' '.join(args.argv)}`".rstrip()
        + f" — one uvicorn worker per server; load average at the start "
        f"{', '.join(f'{x:.2f}' for x in load)}.",
        "",
        f"Machine: {_machine()}. {_versions()}.",
        "",
        "| scenario | requests | concurrency | req/s | p50 ms | p95 ms | p99 ms | errors | server peak RSS MB "
        "| chain-lock waiters mean / max | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        rss = f"{r.extra['rss_peak_mb']:.0f}" if "rss_peak_mb" in r.extra else ""
        waits = (
            f"{r.extra['lock_waiters_mean']:.1f} / {r.extra['lock_waiters_max']}"
            if "lock_waiters_mean" in r.extra
            else ""
        )
        lines.append(
            f"| {r.name} | {r.n:,} | {r.concurrency} | {r.rps:,.0f} | {r.pct(50):.1f} | {r.pct(95):.1f} "
            f"| {r.pct(99):.1f} | {r.errors} | {rss} | {waits} | {r.note} |"
        )
    lines.append("")
    for what, svc, base in (
        ("intake", "service: POST /api/v1/cases (intake)", "baseline: bare ASGI + asyncpg intake"),
        ("transition", "service: POST /api/v1/cases/{id}/transitions (accept)", "baseline: bare ASGI + asyncpg accept"),
    ):
        s, b = by[svc], by[base]
        ratio = s.rps / b.rps if b.rps else float("nan")
        lines.append(
            f"- {what}: service {s.rps:,.0f} req/s / baseline {b.rps:,.0f} req/s = **{ratio:.0%}** "
            f"(target ≥ 50%: {'met' if ratio >= 0.5 else 'missed'}); server peak RSS "
            f"{s.extra.get('rss_peak_mb', 0):.0f} MB (target < 250 MB: "
            f"{'met' if s.extra.get('rss_peak_mb', 0) < 250 else 'missed'})."
        )
    quiet = by["service: GET /api/v1/cases/{id} (identity read), no writes"]
    busy = by["service: GET /api/v1/cases/{id} (identity read), during 32 writers"]
    lines.append(
        f"- identity read p50/p95: {quiet.pct(50):.1f} / {quiet.pct(95):.1f} ms alone, "
        f"{busy.pct(50):.1f} / {busy.pct(95):.1f} ms while 32 clients run transitions."
    )
    lines += [
        f"- `petitions audit verify` afterwards (service and baseline events in one chain): `{verify[:160]}`",
        "",
        END,
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pg-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432", help="server, no database")
    ap.add_argument("--intakes", type=int, default=1000)
    ap.add_argument("--transitions", type=int, default=800)
    ap.add_argument("--reads", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--rounds", type=int, default=2, help="service and baseline take turns this many times")
    ap.add_argument("--server-log", default="/tmp/petitions-write-bench-server.log")
    ap.add_argument("--out", help="rewrite the write_bench block of this markdown file")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args()
    args.argv = sys.argv[1:]
    load = os.getloadavg()
    results, verify = asyncio.run(run(args))
    md = markdown(results, verify, args, load)
    print(md)
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                [
                    {
                        "name": r.name,
                        "n": r.n,
                        "rps": r.rps,
                        "p50": r.pct(50),
                        "p95": r.pct(95),
                        "p99": r.pct(99),
                        "errors": r.errors,
                        **r.extra,
                    }
                    for r in results
                ],
                indent=1,
            )
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
