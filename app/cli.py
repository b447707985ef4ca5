"""`petitions`: serve, migrate, seed, users, audit, reports, demo data."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from sqlmodel import col

from app.config import get_settings

T = TypeVar("T")

cli = typer.Typer(help="Hanoi citizen petitions service.", no_args_is_help=True, add_completion=False)
users_cli = typer.Typer(help="Manage users.", no_args_is_help=True)
audit_cli = typer.Typer(help="Check the audit trail.", no_args_is_help=True)
cli.add_typer(users_cli, name="users")
cli.add_typer(audit_cli, name="audit")
api_keys_cli = typer.Typer(help="Manage API keys of client systems (Open311).", no_args_is_help=True)
cli.add_typer(api_keys_cli, name="api-keys")
reports_cli = typer.Typer(help="Periodic reports (Quy chế 2387 Art 24).", no_args_is_help=True)
cli.add_typer(reports_cli, name="reports")
idempotency_cli = typer.Typer(help="Stored Idempotency-Key responses.", no_args_is_help=True)
cli.add_typer(idempotency_cli, name="idempotency")


def _with_session(fn: Callable[[Any], Awaitable[T]], *, read_only: bool = False) -> T:
    from app.db import Database

    async def _run() -> T:
        db = Database.from_settings(get_settings())
        try:
            maker = db.read_sessionmaker if read_only else db.sessionmaker
            async with maker() as session, session.begin():
                return await fn(session)
        finally:
            await db.dispose()

    return asyncio.run(_run())


@cli.command()
def migrate(revision: str = "head") -> None:
    """Apply database migrations (Alembic) up to REVISION."""
    from app.migrations import upgrade

    upgrade(get_settings().database_url, revision)
    typer.echo(f"database at {revision}")


@cli.command()
def seed() -> None:
    """Load the reference data: Hanoi, its 126 wards/communes and their organisations. Idempotent."""
    from app.services.reference import seed_reference

    summary = _with_session(seed_reference)
    typer.echo(json.dumps(summary))


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: int = 8000,
    workers: int = 1,
    reload: bool = False,
) -> None:
    """Serve the API with uvicorn."""
    import uvicorn

    # refuse to start on an insecure configuration, with the reason
    get_settings().check_listen_address(host)
    if workers > 1:
        # several processes: one budget per client for the login and look-up limits, counted in
        # the database, unless the operator chose otherwise (decision 0099)
        os.environ.setdefault("RATE_LIMITS_SHARED", "true")
    # proxy_headers=False: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1 (or from
    # its own FORWARDED_ALLOW_IPS); the application applies TRUSTED_PROXIES itself (app/main.py),
    # so one setting decides, whichever server runs it.
    uvicorn.run(
        "app.main:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=False,
        access_log=False,
        log_config=None,
    )


@users_cli.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="login name")],
    password: Annotated[str, typer.Option(help="at least 10 characters", prompt=True, hide_input=True)],
    role: Annotated[str, typer.Option(help="admin | reception | handler | supervisor")],
    org: Annotated[str, typer.Option(help="organisation code, e.g. MTTQ-01 or UBND-00070")],
    full_name: Annotated[str, typer.Option("--full-name")] = "",
) -> None:
    """Create a user (the first admin, typically)."""
    from app.errors import DomainError
    from app.models.users import UserCreate
    from app.services.users import create_user

    try:
        data = UserCreate.model_validate(
            {"username": username, "password": password, "role": role, "org": org, "full_name": full_name}
        )
    except ValidationError as exc:
        for err in exc.errors():
            typer.echo(f"error: --{'-'.join(str(p) for p in err['loc'])}: {err['msg']}", err=True)
        raise typer.Exit(2) from None
    try:
        user = _with_session(lambda s: create_user(s, "cli", data))[0]
    except DomainError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"created user {user.username} (id {user.id}, role {user.role}, org {org})")


@cli.command()
def demo(
    cases: Annotated[
        int, typer.Option("--cases", min=1, help="how many cases to load (appeals and splits count)")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="same seed, cases and --today: same data")] = 1,
    batch: Annotated[int, typer.Option("--batch", min=1, help="cases per transaction")] = 500,
    today: Annotated[
        str | None, typer.Option("--today", help="business date to load up to (YYYY-MM-DD); default today in Hanoi")
    ] = None,
    password: Annotated[
        str | None, typer.Option("--password", help="password for new demo users; default a random one, printed once")
    ] = None,
    quiet: bool = False,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="do nothing when the database already has cases")
    ] = False,
    bulk: Annotated[
        bool,
        typer.Option(
            "--bulk/--per-case",
            help="run the case service over an in-memory session and copy its rows "
            "in bulk (default; the same rows, several times faster), or write "
            "case by case through the ORM session",
        ),
    ] = True,
) -> None:
    """Load realistic synthetic cases through the case service (every step audited and clocked).

    For development and demonstrations only: it creates demo.* users and cases that look real."""
    import resource
    from datetime import date as date_

    from app.db import Database
    from app.demo import load_demo

    if get_settings().app_env == "production":
        typer.echo("error: refusing to load synthetic cases into a production database (APP_ENV=production)", err=True)
        raise typer.Exit(2)
    day = None
    if today:
        try:
            day = date_.fromisoformat(today)
        except ValueError:
            typer.echo("error: --today must be YYYY-MM-DD", err=True)
            raise typer.Exit(2) from None

    def progress(r) -> None:
        if not quiet:
            typer.echo(f"  {r.cases} cases, {r.seconds:.1f} s, {r.cases / max(r.seconds, 1e-9):.0f} cases/s", err=True)

    async def _has_cases() -> bool:
        from sqlalchemy import select

        from app.models.cases import Case

        db = Database.from_settings(get_settings())
        try:
            async with db.read_sessionmaker() as s, s.begin():
                return (await s.execute(select(col(Case.id)).limit(1))).first() is not None
        finally:
            await db.dispose()

    if if_empty and asyncio.run(_has_cases()):
        typer.echo("demo: the database already has cases; nothing loaded (--if-empty)", err=True)
        return

    async def _run():
        db = Database.from_settings(get_settings())
        try:
            return await load_demo(
                db, cases=cases, seed=seed, batch=batch, today=day, password=password, progress=progress, bulk=bulk
            )
        finally:
            await db.dispose()

    try:
        report = asyncio.run(_run())
    except RuntimeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    out = report.as_dict()
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    typer.echo(json.dumps(out, ensure_ascii=False))
    if report.password:
        typer.echo(
            f"demo users (demo.tn.*, demo.gq.*, demo.gs.*) were created with password: {report.password}", err=True
        )
    typer.echo(
        f"every case the demo logged has PIN {report.pin} (split parts and round-2 cases have their own)", err=True
    )


@audit_cli.command("verify")
def audit_verify(
    head_seq: Annotated[int | None, typer.Option(help="seq of a head exported earlier")] = None,
    head_hash: Annotated[str | None, typer.Option(help="hash of a head exported earlier")] = None,
) -> None:
    """Recompute the hash chain; exit 1 and name the first bad event if it is broken."""
    from app.services.audit import verify

    if (head_seq is None) != (head_hash is None):
        missing = "--head-hash" if head_hash is None else "--head-seq"
        typer.echo(f"error: an exported head needs both --head-seq and --head-hash; {missing} is missing", err=True)
        raise typer.Exit(2)
    expect = (head_seq, head_hash) if head_seq is not None and head_hash is not None else None
    result = _with_session(lambda s: verify(s, expect_head=expect), read_only=True)
    typer.echo(json.dumps(result.model_dump()))
    if not result.ok:
        typer.echo(f"audit chain BROKEN at event {result.first_bad_seq}: {result.detail}", err=True)
        raise typer.Exit(1)


@audit_cli.command("head")
def audit_head() -> None:
    """Print the chain head (seq, hash) as JSON, to keep outside the database."""
    from app.services.audit import GENESIS_HASH, head

    h = _with_session(head, read_only=True) or {"seq": 0, "hash": GENESIS_HASH, "at": None}
    typer.echo(json.dumps(h))


@reports_cli.command("export")
def reports_export(
    period: Annotated[str, typer.Option("--period", help="month | quarter | half_year | nine_months | year")],
    year: Annotated[int, typer.Option("--year")],
    out: Annotated[str, typer.Option("--out", help="file to write")],
    index: Annotated[int | None, typer.Option("--index", help="month 1-12, quarter 1-4, half 1-2")] = None,
    unit: Annotated[str | None, typer.Option("--unit", help="administrative unit code; default the city")] = None,
    fmt: Annotated[str, typer.Option("--format", help="json | csv | xlsx")] = "xlsx",
    basis: Annotated[str, typer.Option("--basis", help="calendar | inspectorate")] = "calendar",
    as_of_seq: Annotated[
        int | None, typer.Option("--as-of-seq", help="count only changes recorded up to this audit event")
    ] = None,
    today: Annotated[
        str | None, typer.Option("--today", help="business date (YYYY-MM-DD); default today in Hanoi")
    ] = None,
) -> None:
    """Write a periodic report to a file: the same bytes as GET /api/v1/reports/periodic."""
    from datetime import date as date_
    from pathlib import Path

    from app.errors import DomainError
    from app.models.reports import ReportFormat
    from app.services import report_export
    from app.services.reports import periodic_report
    from app.workflows.calendar import business_today
    from app.workflows.periods import Basis, PeriodKind

    try:
        kind, the_format, the_basis = PeriodKind(period), ReportFormat(fmt), Basis(basis)
        day = date_.fromisoformat(today) if today else business_today()
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    async def _run(session: Any) -> bytes:
        report = await periodic_report(
            session,
            None,
            period=kind.value,
            year=year,
            index=index,
            basis=the_basis.value,
            unit=unit,
            today=day,
            as_of_seq=as_of_seq,
        )
        return report_export.render(report, the_format)

    try:
        data = _with_session(_run, read_only=True)
    except DomainError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    Path(out).write_bytes(data)
    typer.echo(f"wrote {out} ({len(data)} bytes)")


@idempotency_cli.command("purge")
def idempotency_purge() -> None:
    """Delete the stored responses older than IDEMPOTENCY_TTL_HOURS (they are no longer replayed)."""
    from datetime import timedelta

    from app.services.idempotency import purge_expired

    ttl = timedelta(hours=get_settings().idempotency_ttl_hours)
    purged = _with_session(lambda s: purge_expired(s, ttl))
    typer.echo(json.dumps({"purged": purged}))


def main() -> None:  # console script entry point
    from app.config import InsecureSettings

    try:
        cli()
    except InsecureSettings as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


@api_keys_cli.command("create")
def api_keys_create(
    name: Annotated[str, typer.Option("--name", help="who the client is, e.g. the portal's name")],
    org: Annotated[str, typer.Option("--org", help="the receiving organisation's code, e.g. MTTQ-01")],
) -> None:
    """Issue an API key; the key is printed alone on the last line (shown only now)."""
    from app.errors import DomainError
    from app.models.api_keys import ApiKeyCreate
    from app.services import api_keys

    try:
        data = ApiKeyCreate(name=name, org=org)
    except ValidationError as exc:
        for err in exc.errors():
            typer.echo(f"error: --{'-'.join(str(p) for p in err['loc'])}: {err['msg']}", err=True)
        raise typer.Exit(2) from None
    try:
        row, organisation, key = _with_session(
            lambda s: api_keys.create(s, "cli", data, server_key=get_settings().api_key_key)
        )
    except DomainError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"created API key {row.id} ({row.prefix}…) for {organisation.code}: {row.name}")
    typer.echo(key)


if __name__ == "__main__":  # `python -m app.cli ...`
    main()
