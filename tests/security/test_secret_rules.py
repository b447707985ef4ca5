"""The token secret (decision 0014): never the built-in one beyond loopback, whatever APP_ENV;
no guessable one outside development; scripts/run keeps a random one in a git-ignored file."""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.config import DEV_SECRET, InsecureSettings, Settings, estimated_bits, secret_weakness
from tests.conftest import petitions_command

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    for name in ("JWT_SECRET", "JWT_SECRET_FILE", "APP_ENV", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    "secret,reason",
    [
        ("a" * 32, "too little entropy"),
        ("a" * 64, "too little entropy"),
        ("ab" * 24, "too little entropy"),
        ("abcdefghijklmnop" * 2, "repeated pattern"),
        ("0123456789abcdefghijklmnopqrstuv" * 2, "repeated pattern"),
    ],
)
@pytest.mark.parametrize("env", ["production", "staging"])
def test_a_guessable_secret_is_refused_outside_development(env, secret, reason):
    with pytest.raises(InsecureSettings) as err:
        Settings(app_env=env, jwt_secret=secret, _env_file=None)
    assert reason in str(err.value) and secret not in str(err.value)


@pytest.mark.parametrize(
    "make", [lambda: secrets.token_urlsafe(48), lambda: secrets.token_hex(32), lambda: secrets.token_hex(16)]
)
def test_random_secrets_pass(make):
    for _ in range(50):
        secret = make()
        assert secret_weakness(secret) is None, (secret, estimated_bits(secret))
        Settings(app_env="production", jwt_secret=secret, _env_file=None)


def test_the_secret_can_come_from_a_file(tmp_path, monkeypatch):
    secret = secrets.token_urlsafe(48)
    (tmp_path / "jwt_secret").write_text(secret + "\n")
    monkeypatch.setenv("JWT_SECRET_FILE", str(tmp_path / "jwt_secret"))
    assert Settings(app_env="production", _env_file=None).jwt_secret == secret
    monkeypatch.setenv("JWT_SECRET", "explicit-" + secret)  # JWT_SECRET itself wins
    assert Settings(app_env="production", _env_file=None).jwt_secret == "explicit-" + secret


def test_an_unreadable_secret_file_is_refused(tmp_path):
    with pytest.raises(InsecureSettings, match="cannot be read"):
        Settings(jwt_secret_file=tmp_path / "missing", _env_file=None)


def _serve(args: list[str], monkeypatch, **env) -> tuple[object, dict]:
    import uvicorn

    from app import cli
    from app.config import get_settings

    seen: dict = {}
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.update(kw))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli.cli, ["serve", *args]), seen
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize("env", ["development", "test"])
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.org"])
def test_serve_refuses_the_built_in_secret_beyond_loopback_whatever_app_env(monkeypatch, env, host):
    result, seen = _serve(["--host", host], monkeypatch, APP_ENV=env)
    assert isinstance(result.exception, InsecureSettings) and "built-in development JWT_SECRET" in str(result.exception)
    assert seen == {}  # never started


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_serve_on_loopback_allows_the_built_in_secret_in_development(monkeypatch, host):
    result, seen = _serve(["--host", host], monkeypatch, APP_ENV="development")
    assert result.exit_code == 0 and seen["host"] == host


def test_serve_beyond_loopback_with_a_real_secret(monkeypatch):
    result, seen = _serve(
        ["--host", "0.0.0.0"], monkeypatch, APP_ENV="development", JWT_SECRET=secrets.token_urlsafe(48)
    )
    assert result.exit_code == 0 and seen["host"] == "0.0.0.0"


@pytest.mark.slow
def test_petitions_serve_on_all_interfaces_with_the_built_in_secret_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("JWT_SECRET", "JWT_SECRET_FILE", "APP_ENV")}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'p.db'}"
    proc = subprocess.run(
        petitions_command() + ["serve", "--host", "0.0.0.0", "--port", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "refusing to listen on 0.0.0.0" in proc.stderr
    assert DEV_SECRET not in proc.stderr and "Traceback" not in proc.stderr


def _fake_checkout(tmp_path: Path) -> Path:
    """scripts/run in a copy of the tree whose .venv commands are stand-ins: installing does nothing,
    python is this Python, `petitions` prints the secret file it was given."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "run", tmp_path / "scripts" / "run")
    (tmp_path / "scripts" / "_venv.sh").write_text("install_locked() { :; }\n")  # installs nothing
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    stubs = {
        "python": f'#!/bin/sh\nif [ "$1" = "-m" ]; then exit 0; fi\nexec "{sys.executable}" "$@"\n',
        "pip": "#!/bin/sh\nexit 0\n",
        "petitions": '#!/bin/sh\necho "$1 file=${JWT_SECRET_FILE:-none}"\n',
    }
    for name, body in stubs.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    return tmp_path


def test_scripts_run_writes_a_random_secret_once_and_serves_with_it(tmp_path):
    tree = _fake_checkout(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("JWT_SECRET", "JWT_SECRET_FILE", "DEMO_CASES")}
    first = subprocess.run(["bash", "scripts/run"], cwd=tree, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "serve file=data/jwt_secret" in first.stdout
    secret_file = tree / "data" / "jwt_secret"
    secret = secret_file.read_text().strip()
    assert secret_weakness(secret) is None and len(secret) >= 48
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    again = subprocess.run(["bash", "scripts/run"], cwd=tree, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and secret_file.read_text().strip() == secret  # kept: tokens survive restarts
    given = subprocess.run(
        ["bash", "scripts/run"],
        cwd=tree,
        env={**env, "JWT_SECRET": secrets.token_urlsafe(48)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "serve file=none" in given.stdout  # JWT_SECRET given: no file


def test_the_secret_file_is_ignored_by_git():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    proc = subprocess.run(["git", "check-ignore", "-q", "data/jwt_secret"], cwd=ROOT)
    assert proc.returncode == 0
