"""`petitions` as an operator runs it: migrate, seed (twice), create the first admin, log in with
it, verify the audit chain, export its head, and see verification fail after tampering."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from app.config import Settings
from tests.conftest import petitions_command, standalone_client

pytestmark = pytest.mark.slow

ADMIN_PASSWORD = "first-admin-passphrase"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def db_file(workdir) -> Path:
    return workdir / "data" / "cli.db"


@pytest.fixture(scope="module")
def run(workdir, db_file):
    env = {k: v for k, v in os.environ.items() if k not in ("JWT_SECRET", "APP_ENV", "TEST_DATABASE_URL")}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{db_file}"

    def _run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            petitions_command() + list(args), env=env, cwd=workdir, capture_output=True, text=True, timeout=120
        )

    return _run


def test_migrate_creates_the_database(run, db_file):
    proc = run("migrate")
    assert proc.returncode == 0, proc.stderr
    assert db_file.exists()
    assert run("migrate").returncode == 0  # nothing to do is not an error


def test_seed_is_idempotent(run):
    first = run("seed")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout.strip().splitlines()[-1]) == {
        "units_added": 127,
        "units_renamed": 0,
        "organizations_added": 384,
    }
    second = run("seed")
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout.strip().splitlines()[-1]) == {
        "units_added": 0,
        "units_renamed": 0,
        "organizations_added": 0,
    }


def test_users_create_then_log_in_through_the_api(run, db_file):
    proc = run(
        "users",
        "create",
        "--username",
        "quantri",
        "--password",
        ADMIN_PASSWORD,
        "--role",
        "admin",
        "--org",
        "UBND-01",
        "--full-name",
        "Quản trị viên",
    )
    assert proc.returncode == 0, proc.stderr
    assert "quantri" in proc.stdout and ADMIN_PASSWORD not in proc.stdout

    settings = Settings(app_env="test", database_url=f"sqlite+aiosqlite:///{db_file}", _env_file=None)

    async def login_and_me():
        async with standalone_client(settings) as c:
            token = await c.post("/api/v1/auth/token", data={"username": "quantri", "password": ADMIN_PASSWORD})
            assert token.status_code == 200, token.text
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            return (await c.get("/api/v1/auth/me", headers=headers)).json()

    me = asyncio.run(login_and_me())
    assert me["username"] == "quantri" and me["role"] == "admin" and me["full_name"] == "Quản trị viên"
    assert me["organization"]["code"] == "UBND-01"


def test_users_create_refusals(run):
    dup = run(
        "users", "create", "--username", "quantri", "--password", ADMIN_PASSWORD, "--role", "admin", "--org", "UBND-01"
    )
    assert dup.returncode != 0 and "taken" in dup.stderr
    nowhere = run(
        "users",
        "create",
        "--username",
        "ai.do",
        "--password",
        ADMIN_PASSWORD,
        "--role",
        "handler",
        "--org",
        "UBND-99999",
    )
    assert nowhere.returncode != 0 and "UBND-99999" in nowhere.stderr
    weak = run("users", "create", "--username", "ai.do", "--password", "short", "--role", "handler", "--org", "UBND-01")
    assert weak.returncode != 0 and "password" in weak.stderr and "short" not in weak.stdout
    for proc in (dup, nowhere, weak):
        assert "Traceback" not in proc.stderr


def test_audit_verify_and_head_on_a_clean_chain(run):
    proc = run("audit", "verify")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["ok"] is True and result["events_checked"] == 2  # the seed, the first admin
    head = json.loads(run("audit", "head").stdout.strip().splitlines()[-1])
    assert head["seq"] == 2 and len(head["hash"]) == 64 and head["hash"] == result["head_hash"]


def _tamper(db_file: Path, *statements: str) -> None:
    conn = sqlite3.connect(db_file)
    try:
        conn.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        conn.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        for sql in statements:
            conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def test_the_database_itself_refuses_edits(db_file):
    conn = sqlite3.connect(db_file)
    try:
        for sql in ("UPDATE audit_event SET reason = 'x' WHERE seq = 1", "DELETE FROM audit_event WHERE seq = 2"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                conn.execute(sql)
    finally:
        conn.close()


def test_audit_verify_fails_after_tampering_and_names_the_event(run, db_file):
    head = json.loads(run("audit", "head").stdout.strip().splitlines()[-1])
    _tamper(db_file, f"DELETE FROM audit_event WHERE seq = {head['seq']}")
    assert run("audit", "verify").returncode == 0  # a cut tail is invisible to the chain alone ...
    cut = run("audit", "verify", "--head-seq", str(head["seq"]), "--head-hash", head["hash"])
    assert cut.returncode == 1  # ... not to the exported head
    assert f"event {head['seq']}" in cut.stderr

    _tamper(db_file, "UPDATE audit_event SET reason = 'sửa lén' WHERE seq = 1")
    broken = run("audit", "verify")
    assert broken.returncode == 1
    assert json.loads(broken.stdout.strip().splitlines()[-1])["first_bad_seq"] == 1
    assert "BROKEN at event 1" in broken.stderr


def test_audit_verify_refuses_half_an_exported_head(run):
    half = run("audit", "verify", "--head-seq", "2")
    assert half.returncode == 2 and "--head-hash is missing" in half.stderr
    half = run("audit", "verify", "--head-hash", "a" * 64)
    assert half.returncode == 2 and "--head-seq is missing" in half.stderr
