"""Command-line verbs for operators: demo data, accounts, tokens, the worker, jobs."""

from __future__ import annotations

import contextlib
import json
import time

import click
import sqlalchemy as sa
from flask import Flask, current_app

from service import demo, scale
from service.audit.services import record, reset_actor, set_actor
from service.auth import services as auth
from service.auth.models import ApiToken, TokenLevel, User
from service.auth.roles import Role
from tenants import portability
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope


@contextlib.contextmanager
def _as_cli():
    token = set_actor("cli")
    try:
        yield
    finally:
        reset_actor(token)


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_operator)
    app.cli.add_command(tokens)
    app.cli.add_command(worker)
    app.cli.add_command(scheduler)
    app.cli.add_command(jobs_group)
    app.cli.add_command(tenant)
    app.cli.add_command(seed_scale)
    app.cli.add_command(sso_cas)


@click.command("seed-scale")
@click.option("--scale", "scale_name", type=click.Choice(sorted(scale.SCALES)), required=True)
@click.option("--seed", default=1, show_default=True, help="The same seed gives the same data.")
def seed_scale(scale_name: str, seed: int) -> None:
    """Load benchmark data: 'province' (150 associations, about 300,000 members) or 'nation'
    (31 federations, 3,000 associations, about 3 million). On PostgreSQL, COPY needs a role
    that bypasses row-level security (a superuser); other roles get multi-row INSERTs."""
    with _as_cli(), system_scope(f"seed-scale {scale_name}"):
        report = scale.generate(scale.SCALES[scale_name], seed=seed)
        db.session.commit()
    for table, count in report.rows.items():
        click.echo(f"  {table:<20} {count:>10,}")
    click.echo(f"{sum(report.rows.values()):,} rows in {report.seconds:.1f} s")
    click.echo(f"({report.rows_per_second:,.0f} rows per second)")


@click.command("seed-demo")
def seed_demo() -> None:
    """Load the demo data if the database is empty, and print the demo logins."""
    password = current_app.config["DEMO_PASSWORD"]
    with _as_cli():
        if demo.is_empty():
            demo.load(password)
            click.echo("Demo data loaded.")
        else:
            click.echo("The database has data already; demo data not loaded.")
    click.echo(f"Demo logins (password for all: {password}):")
    for username, _display, role, _owner in demo.ACCOUNTS:
        click.echo(f"  {username:<12} {role.value}")


@click.command("create-operator")
@click.argument("username")
@click.password_option()
def create_operator(username: str, password: str) -> None:
    """Create a platform operator account."""
    with _as_cli():
        db.session.add(
            User(
                username=username,
                display_name=username,
                role=Role.OPERATOR.value,
                password_hash=auth.hash_password(password),
            )
        )
        db.session.commit()
    click.echo(f"Operator {username} created.")


@click.group("tokens")
def tokens() -> None:
    """Create, list and revoke API tokens."""


@tokens.command("create")
@click.option("--name", required=True)
@click.option("--association", "association_id", type=int)
@click.option("--federation", "federation_id", type=int)
@click.option("--national", "national", help="comma-separated federation ids")
@click.option("--write", is_flag=True, help="allow writes (default read-only)")
@click.option("--days", type=int, default=90, show_default=True)
def create_token(name, association_id, federation_id, national, write, days) -> None:
    """Create a token and print it once."""
    if sum(x is not None for x in (association_id, federation_id, national)) != 1:
        raise click.UsageError("give exactly one of --association, --federation, --national")
    level = (
        TokenLevel.ASSOCIATION
        if association_id
        else TokenLevel.FEDERATION
        if federation_id
        else TokenLevel.NATIONAL
    )
    feds = [int(f) for f in national.split(",")] if national else None
    with _as_cli():
        try:
            token, plaintext = auth.create_token(
                name=name,
                level=level,
                created_by=None,
                association_id=association_id,
                federation_id=federation_id,
                federation_ids=feds,
                read_only=not write,
                days=days,
            )
            db.session.commit()
        except (auth.AuthError, sa.exc.IntegrityError) as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
    click.echo(f"Token {token.id} ({token.level}, expires {token.expires_at:%Y-%m-%d}):")
    click.echo(plaintext)
    click.echo("It is shown once; only its hash is stored.")


@tokens.command("list")
def list_tokens() -> None:
    """List tokens (never their secrets)."""
    for token in db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)):
        state = "revoked" if token.revoked_at else f"expires {token.expires_at:%Y-%m-%d}"
        mode = "read-only" if token.read_only else "read-write"
        click.echo(
            f"{token.id:>4} {token.prefix} {token.level:<11} {mode:<10} {state} {token.name}"
        )


@tokens.command("revoke")
@click.argument("token_id", type=int)
def revoke_token(token_id: int) -> None:
    """Revoke a token at once."""
    with _as_cli():
        token = db.session.scalar(sa.select(ApiToken).where(ApiToken.id == token_id))
        if token is None:
            raise click.ClickException(f"no token {token_id}")
        auth.revoke_token(token)
        db.session.commit()
    click.echo(f"Token {token_id} revoked.")


@click.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queues are empty")
def worker(burst: bool) -> None:
    """Run an RQ worker (with the scheduler) on every queue: refreshes in its own process,
    other jobs each in a process it forks (service.jobs.JobWorker)."""
    from service.jobs import QUEUES, JobWorker, queue, serve

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run inline, no worker needed")
    serve(current_app._get_current_object())
    queues = [queue(name) for name in QUEUES]
    JobWorker(queues, connection=queues[0].connection).work(with_scheduler=True, burst=burst)


@click.command("scheduler")
def scheduler() -> None:
    """Run the cron scheduler: enqueue each job of service.jobs.SCHEDULES when it is due.
    Run exactly one per deployment (workers then run what it enqueues)."""
    from service.jobs import cron_scheduler, queue

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: there is no queue to schedule on")
    cron_scheduler(queue().connection).start()


@click.group("jobs")
def jobs_group() -> None:
    """Run the scheduler's periodic jobs by hand."""


@jobs_group.command("run")
@click.argument("periodic_ids", nargs=-1, required=True)
@click.option("--wait/--no-wait", default=True, show_default=True, help="wait for each result")
@click.option("--timeout", type=int, default=600, show_default=True, help="seconds to wait")
def run_job(periodic_ids: tuple[str, ...], wait: bool, timeout: int) -> None:
    """Queue periodic jobs of service.jobs.SCHEDULES now, in the order given (e.g.
    compliance-daily compliance-reminders), as the scheduler would: a worker runs each,
    or this process when jobs run inline."""
    from service import jobs

    known = [p.id for p in jobs.SCHEDULES]
    unknown = [periodic_id for periodic_id in periodic_ids if periodic_id not in known]
    if unknown:
        raise click.BadParameter(f"no periodic job {unknown[0]!r}; one of: {', '.join(known)}")
    app = current_app._get_current_object()
    for periodic_id in periodic_ids:
        job = jobs.queue().enqueue(jobs.run_periodic, periodic_id)
        if jobs.is_inline(app):
            jobs.run_inline(app)
        elif not wait:
            click.echo(f"{periodic_id}: queued as job {job.id}")
            continue
        status = _wait_for(job, timeout)
        if status != "finished":
            raise click.ClickException(f"{periodic_id}: job {job.id} is {status}")
        click.echo(f"{periodic_id}: {job.return_value()}")


def _wait_for(job, timeout: int) -> str:
    deadline = time.monotonic() + timeout
    while (status := job.get_status(refresh=True)) not in ("finished", "failed", "stopped"):
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    return str(getattr(status, "value", status))


@click.group("tenant")
def tenant() -> None:
    """Export one association's data as JSON, delete it, import it back."""


@tenant.command("export")
@click.argument("association_id", type=int)
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-")
def export_tenant(association_id: int, output) -> None:
    """Write every row of the association's tables as JSON (personal data: keep it safe)."""
    with _as_cli():
        document = portability.export_tenant(association_id)
        _record(association_id, "export", {t: len(r) for t, r in document["tables"].items()})
    json.dump(document, output, ensure_ascii=False)


@tenant.command("delete-data")
@click.argument("association_id", type=int)
@click.option("--yes", is_flag=True, help="really delete; export first")
def delete_tenant_data(association_id: int, yes: bool) -> None:
    """Delete the association's rows (not its accounts, its audit log nor its reports)."""
    if not yes:
        raise click.UsageError("this deletes the association's data: add --yes")
    with _as_cli():
        deleted = portability.delete_tenant_data(association_id)
        _record(association_id, "delete-data", deleted)
    click.echo(json.dumps(deleted))


@tenant.command("import")
@click.argument("source", type=click.File("r", encoding="utf-8"))
def import_tenant(source) -> None:
    """Insert an export's rows into its association, which must hold no data."""
    document = json.load(source)
    if db.engine.dialect.name == "postgresql":
        _advance_sequences(document)  # first: if the owner cannot, nothing is imported
    with _as_cli():
        try:
            inserted = portability.import_tenant(document)
        except (LookupError, ValueError) as refused:
            db.session.rollback()
            raise click.ClickException(str(refused)) from refused
        _record(document["association"]["id"], "import", inserted)
    click.echo(json.dumps(inserted))


def _advance_sequences(document: dict) -> None:
    """Imported rows keep their ids; on a database that never had them, the sequences must
    move past them. Only the owner (the migration role) may move a sequence."""
    owner = sa.create_engine(
        current_app.config["MIGRATION_DATABASE_URL"], poolclass=sa.pool.NullPool
    )
    try:
        with owner.begin() as connection:
            portability.advance_sequences(connection, document)
    except sa.exc.DBAPIError as refused:
        raise click.ClickException(
            "the id sequences could not be advanced, so nothing was imported; set "
            f"MIGRATION_DATABASE_URL to the owner role ({refused.orig})"
        ) from refused
    finally:
        owner.dispose()


def _record(association_id: int, action: str, counts: dict) -> None:
    with use_scope(Scope.association(association_id)):
        record(db.session, action, "tenant", association_id, association_id, {"rows": counts})
        db.session.commit()
    click.echo(f"tenant {association_id}: {action} done", err=True)


@click.command("sso-cas")
@click.argument("association_id", type=int)
@click.option("--name", required=True, help="What the login page shows, e.g. 浙江大学统一身份认证")
@click.option(
    "--server-url", required=True, help="The CAS base, e.g. https://cas.example.edu.cn/cas"
)
@click.option("--version", type=click.Choice(["2", "3"]), default="3", show_default=True)
@click.option("--match", "match_field", type=click.Choice(["email", "phone"]), default="email")
@click.option("--attribute", default="email", show_default=True, help="The attribute matched")
def sso_cas(association_id: int, name, server_url, version, match_field, attribute) -> None:
    """The platform operator sets an association's CAS server on its behalf."""
    from service.sso import services as sso

    set_actor("cli:sso-cas")
    with use_scope(Scope.association(association_id)):
        try:
            provider = sso.configure_cas(
                association_id,
                name=name,
                server_url=server_url,
                version=int(version),
                match_field=match_field,
                match_attribute=attribute,
            )
        except sso.SsoError as exc:
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
    click.echo(f"association {association_id}: CAS {provider.server_url} (provider {provider.id})")
