"""Demo data (`petitions demo`): a small load into a fresh SQLite file, through the case service.

What is checked is behaviour a reader of the demo relies on: every kind shows up, land and
compensation lead the fields, the lifecycles reach the statuses a supervisor expects to see
(closed, appealed with a round-2 case at the city, refused, still open and overdue...), the
audit chain verifies, and the same seed gives the same data. No timing is asserted here:
speed is measured by bench/load_bench.py and reported in docs/performance.md.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest_asyncio
from sqlalchemy import func, select

from app.config import Settings
from app.db import Database
from app.demo import load_demo
from app.migrations import upgrade
from app.models.audit import AuditEvent
from app.models.cases import Case, Petitioner
from app.models.users import User
from app.services import audit
from app.services.cases import is_overdue
from app.services.reference import seed_reference

TODAY = date(2026, 11, 27)
SEED = 7
CASES = 60


async def _fresh_db(path: Path) -> Database:
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    db = Database.from_settings(Settings(app_env="test", database_url=url))
    async with db.sessionmaker() as s, s.begin():
        await seed_reference(s)
    return db


async def _snapshot(db: Database) -> list[tuple]:
    async with db.read_sessionmaker() as s, s.begin():
        rows = (
            await s.execute(
                select(
                    Case.code,
                    Case.kind,
                    Case.field,
                    Case.status,
                    Case.title,
                    Case.received_on,
                    Case.due,
                    Case.complaint_round,
                ).order_by(Case.id)
            )
        ).all()
    return [tuple(r) for r in rows]


@pytest_asyncio.fixture(scope="module")
async def loaded(tmp_path_factory):
    db = await _fresh_db(tmp_path_factory.mktemp("demo") / "demo.db")
    report = await load_demo(db, cases=CASES, seed=SEED, batch=25, today=TODAY)
    async with db.read_sessionmaker() as s, s.begin():
        cases = list((await s.execute(select(Case).order_by(Case.id))).scalars())
    yield db, report, cases
    await db.dispose()


async def test_loads_exactly_the_cases_asked_for_each_audited(loaded):
    db, report, cases = loaded
    assert len(cases) == report.cases == CASES
    async with db.read_sessionmaker() as s, s.begin():
        created = (
            await s.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("case.create%")))
        ).scalar_one()
        linked = select(AuditEvent.case_id).where(AuditEvent.case_id.is_not(None))
        per_case = Counter((await s.execute(linked)).scalars())
    assert created == CASES  # every case was opened by intake (directly, by an appeal or by a split)
    assert all(per_case[c.id] >= 1 for c in cases)
    assert report.events >= CASES * 2  # and moved on through transitions


async def test_kinds_and_fields_in_plausible_proportions(loaded):
    _, _, cases = loaded
    kinds = Counter(c.kind for c in cases)
    assert set(kinds) == {"complaint", "denunciation", "petition", "reflection"}
    assert kinds["denunciation"] < kinds["complaint"] and kinds["denunciation"] < kinds["petition"]
    fields = Counter(c.field for c in cases).most_common()
    assert {fields[0][0], fields[1][0]} == {"land", "compensation"}, fields


async def test_lifecycles_reach_the_statuses_a_supervisor_expects(loaded):
    _, _, cases = loaded
    statuses = Counter(c.status for c in cases)
    assert {"closed", "appealed", "accepted"} <= set(statuses) or {"closed", "appealed", "verifying"} <= set(statuses)
    assert len(statuses) >= 6, statuses
    assert statuses["closed"] == max(statuses.values())  # most old cases are done
    # every appealed case opened a round-2 complaint at the city's People's Committee, linked to it
    by_id = {c.id: c for c in cases}
    appealed = [c for c in cases if c.status == "appealed"]
    children = [c for c in cases if c.parent_case_id is not None]
    assert appealed and {c.parent_case_id for c in children} == {c.id for c in appealed}
    assert all(c.kind == "complaint" and c.complaint_round == 2 for c in children)
    assert all(by_id[c.parent_case_id].complaint_round == 1 for c in children)


async def test_dates_are_plausible_and_some_cases_are_overdue(loaded):
    _, _, cases = loaded
    assert all(c.received_on <= c.last_event_on <= TODAY for c in cases)
    assert min(c.received_on for c in cases) >= date(2025, 7, 1)  # today's wards exist from then
    assert all(c.decided_on is None or c.accepted_on is None or c.accepted_on <= c.decided_on for c in cases)
    assert all(c.closed_on is None or c.decided_on <= c.closed_on for c in cases)
    assert any(is_overdue(c, TODAY) for c in cases)
    assert any(c.due is not None and not is_overdue(c, TODAY) for c in cases)  # and some still within time


async def test_people_look_real_and_mass_cases_have_representatives(loaded):
    db, _, cases = loaded
    async with db.read_sessionmaker() as s, s.begin():
        people = list((await s.execute(select(Petitioner))).scalars())
        demo_users = Counter((await s.execute(select(User.role).where(User.username.like("demo.%")))).scalars())
    assert people and all(p.id_number and len(p.id_number) == 12 and p.id_number.startswith("001") for p in people)
    assert all(p.phone is None or (len(p.phone) == 10 and p.phone[:2] in ("09", "03")) for p in people)
    assert all(len(p.full_name.split()) >= 3 for p in people)
    assert sum(p.full_name.startswith("Nguyễn ") for p in people) > len(people) / 5
    for case in (c for c in cases if c.mass):
        reps = [p for p in people if p.case_id == case.id and p.is_representative]
        assert case.petitioner_count >= 5 and 1 <= len(reps) <= 2
    assert all(c.location_unit_code.isdigit() and len(c.location_unit_code) == 5 for c in cases)
    assert demo_users["handler"] >= 100 and demo_users["reception"] >= 3 and demo_users["supervisor"] >= 1


async def test_the_audit_chain_verifies(loaded):
    db, _, _ = loaded
    async with db.read_sessionmaker() as s, s.begin():
        result = await audit.verify(s)
    assert result.ok, result


async def test_same_seed_same_data(loaded, tmp_path):
    _, _, cases = loaded
    other = await _fresh_db(tmp_path / "again.db")
    try:
        await load_demo(other, cases=CASES, seed=SEED, batch=60, today=TODAY)  # batch size changes nothing
        again = await _snapshot(other)
    finally:
        await other.dispose()
    first = [(c.code, c.kind, c.field, c.status, c.title, c.received_on, c.due, c.complaint_round) for c in cases]
    assert again == first
    third = await _fresh_db(tmp_path / "other-seed.db")
    try:
        await load_demo(third, cases=CASES, seed=SEED + 1, batch=60, today=TODAY)
        assert [r[4] for r in await _snapshot(third)] != [r[4] for r in first]
    finally:
        await third.dispose()


async def test_loading_the_same_seed_twice_adds_the_same_data_under_new_codes(tmp_path):
    db = await _fresh_db(tmp_path / "twice.db")
    try:
        await load_demo(db, cases=15, seed=SEED, today=TODAY)
        await load_demo(db, cases=15, seed=SEED, today=TODAY)
        rows = await _snapshot(db)
    finally:
        await db.dispose()
    first, second = rows[:15], rows[15:]
    assert len(second) == 15 and [r[1:] for r in first] == [r[1:] for r in second]
    assert len({r[0] for r in rows}) == 30


async def test_the_chain_head_memo_is_dropped_with_a_rolled_back_savepoint(tmp_path):
    """The audit function remembers the chain head within a transaction; events written in a
    savepoint that is rolled back must not be chained onto."""
    db = await _fresh_db(tmp_path / "memo.db")
    try:
        async with db.sessionmaker() as s, s.begin():
            await audit.record(s, actor="test", action="test.kept", entity="test", entity_id=1)
            nested = await s.begin_nested()
            await audit.record(s, actor="test", action="test.undone", entity="test", entity_id=2)
            await nested.rollback()
            await audit.record(s, actor="test", action="test.after", entity="test", entity_id=3)
        async with db.read_sessionmaker() as s, s.begin():
            result = await audit.verify(s)
            actions = list((await s.execute(select(AuditEvent.action).order_by(AuditEvent.seq))).scalars())
        assert result.ok, result
        assert actions[-2:] == ["test.kept", "test.after"]
    finally:
        await db.dispose()


def test_cli_demo_prints_a_report(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from app.cli import cli
    from app.config import get_settings

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        assert runner.invoke(cli, ["migrate"]).exit_code == 0
        assert runner.invoke(cli, ["seed"]).exit_code == 0
        result = runner.invoke(cli, ["demo", "--cases", "12", "--seed", "3", "--today", "2026-11-27", "--quiet"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout.strip().splitlines()[0])
        assert report["cases"] == 12 and report["events"] > 12 and report["today"] == "2026-11-27"
        again = runner.invoke(cli, ["demo", "--cases", "12", "--seed", "3", "--today", "2026-11-27", "--if-empty"])
        assert again.exit_code == 0 and "nothing loaded" in again.stderr and again.stdout.strip() == ""
        bad = runner.invoke(cli, ["demo", "--cases", "1", "--today", "27/11/2026"])
        assert bad.exit_code == 2
        monkeypatch.setenv("APP_ENV", "production")
        monkeypatch.setenv("JWT_SECRET", "a-production-secret-that-is-long-enough-0123456789")
        get_settings.cache_clear()
        refused = runner.invoke(cli, ["demo", "--cases", "1"])
        assert refused.exit_code == 2 and "production" in refused.stderr
    finally:
        get_settings.cache_clear()


def test_the_text_corpus_is_package_data():
    """Issue #7 item 7: the Vietnamese text the demo samples is a data file of the demo package."""
    from importlib import resources

    corpus = json.loads(resources.files("app.demo").joinpath("corpus.json").read_text(encoding="utf-8"))
    assert ["Nguyễn", 380] in corpus["family_names"]
    assert set(corpus["titles"]["land"]) == {"complaint", "denunciation", "petition", "reflection"}
