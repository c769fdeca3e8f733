"""Command-line verbs for operators: demo data, accounts, tokens, the worker."""

from __future__ import annotations

import contextlib

import click
import sqlalchemy as sa
from flask import Flask, current_app

from service import demo
from service.audit.services import reset_actor, set_actor
from service.auth import services as auth
from service.auth.models import ApiToken, TokenLevel, User
from service.auth.roles import Role
from tenants.db import db


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
    """Run an RQ worker (with the scheduler) on every queue."""
    from rq import Worker

    from service.jobs import QUEUES, queue

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: jobs run inline, no worker needed")
    queues = [queue(name) for name in QUEUES]
    Worker(queues, connection=queues[0].connection).work(with_scheduler=True, burst=burst)
