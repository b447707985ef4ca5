"""The lock files (decision 0010) pin, with hashes, every dependency that pyproject.toml names,
the runtime lock and the test lock agree on every shared pin, and this environment was installed
from them (so that `holidays`, which decides due dates, is the locked release)."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / lock).read_text()
    pins = {}
    for block in re.split(r"\n(?=\S)", text):
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", block)
        if m:
            assert "--hash=sha256:" in block, f"{lock}: {m.group(1)} has no hash"
            pins[_norm(m.group(1))] = m.group(2)
    return pins


def _names(requirements: list[str]) -> set[str]:
    return {_norm(_NAME.match(r).group(1)) for r in requirements}


PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME, DEV = _pins("requirements.lock"), _pins("requirements-dev.lock")


def test_the_runtime_lock_pins_every_runtime_dependency_and_no_test_tool():
    assert _names(PROJECT["dependencies"]) <= RUNTIME.keys()
    assert not _names(PROJECT["optional-dependencies"]["test"]) & RUNTIME.keys()
    assert "holidays" in RUNTIME


def test_the_dev_lock_has_the_same_runtime_pins_plus_the_test_and_dev_extras():
    extras = PROJECT["optional-dependencies"]
    assert _names(PROJECT["dependencies"] + extras["test"] + extras["dev"]) <= DEV.keys()
    assert {name: DEV[name] for name in RUNTIME} == RUNTIME


@pytest.mark.parametrize("name", ["holidays", "fastapi", "sqlalchemy", "pytest"])
def test_this_environment_runs_the_locked_release(name):
    assert version(name) == DEV[name]
