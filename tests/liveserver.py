"""A real server in a subprocess, prepared as an operator would (migrate, seed, users), for tests
that need one: the browser test, the fuzz test. Its own database: an SQLite file, or a throwaway
PostgreSQL database beside TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from tests.conftest import _recreate_pg_database

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(tmp: Path, suffix: str) -> str:
    test_url = os.environ.get("TEST_DATABASE_URL", "")
    if not test_url.startswith("postgresql"):
        return f"sqlite+aiosqlite:///{tmp / (suffix + '.db')}"
    url = make_url(test_url)
    url = url.set(database=f"{url.database}_{suffix}").render_as_string(hide_password=False)
    asyncio.run(_recreate_pg_database(url))
    return url


def cli(env: dict[str, str], *args: str) -> str:
    """`petitions ARGS` in a subprocess, with the server's environment."""
    proc = subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, f"petitions {args[0]} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@contextmanager
def live_server(
    tmp: Path, suffix: str, users: dict[str, tuple[str, str]], password: str, **extra_env: str
) -> Iterator[tuple[str, dict[str, str], Path]]:
    """Yields (base URL, the server's environment, its log file)."""
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env.update(
        DATABASE_URL=database_url(tmp, suffix),
        APP_ENV="test",
        JWT_SECRET=secrets.token_urlsafe(48),
        LOG_LEVEL="WARNING",
        **extra_env,
    )
    cli(env, "migrate")
    cli(env, "seed")
    for username, (role, org) in users.items():
        cli(env, "users", "create", "--username", username, "--password", password, "--role", role, "--org", org)
    with server_processes(env, tmp, [suffix]) as [(base, log_path)]:
        yield base, env, log_path


@contextmanager
def server_processes(env: dict[str, str], tmp: Path, names: list[str]) -> Iterator[list[tuple[str, Path]]]:
    """One uvicorn process (one worker) per name, all with `env` (one database, one set of secrets),
    each on a free port, started together: several API processes behind one load balancer.
    Yields [(base URL, its log file)] in the order of `names`."""
    procs: list[tuple[subprocess.Popen, str, Path]] = []
    logs = []
    try:
        for name in names:
            port = free_port()
            log_path = tmp / f"{name}-server.log"
            log = log_path.open("wb")
            logs.append(log)
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
                ],
                env=env,
                cwd=REPO,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            procs.append((proc, f"http://127.0.0.1:{port}", log_path))
        deadline = time.monotonic() + 90
        for proc, base, log_path in procs:
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"server exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
                try:
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not ready:\n{log_path.read_text(errors='replace')}")
                time.sleep(0.2)
        yield [(base, log_path) for _proc, base, log_path in procs]
    finally:
        for proc, _base, _log in procs:
            proc.terminate()
        for proc, _base, _log in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
        for log in logs:
            log.close()
