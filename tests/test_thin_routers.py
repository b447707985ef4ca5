"""Routers hold no SQL (issue 7): they parse, authorise through dependencies, call a service and
shape the response. No module in app/routers imports SQLAlchemy or builds a query."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROUTERS = sorted((Path(__file__).resolve().parents[1] / "app" / "routers").glob("*.py"))


@pytest.mark.parametrize("path", ROUTERS, ids=lambda p: p.name)
def test_a_router_does_not_import_sqlalchemy(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    assert not {m for m in imported if m.split(".")[0] in ("sqlalchemy", "sqlmodel")}, path.name


@pytest.mark.parametrize("path", ROUTERS, ids=lambda p: p.name)
def test_a_router_does_not_query_or_write_the_session(path):
    text = path.read_text(encoding="utf-8")
    for call in ("session.execute(", "session.get(", "session.add(", "session.delete(", "audit.record("):
        assert call not in text, f"{path.name} calls {call}: move it into a service"
