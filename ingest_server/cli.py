"""`evidence-server`: serve, migrate, create-user, enroll-device, reset-device-key, disable,
audit verify, audit checkpoint, store check, worker, jobs status, release, uploads abort-abandoned.

Settings come from EVIDENCE_SERVER_* environment variables (see settings.py).
Tokens are printed once and stored only as their SHA-256. Commands that change
the database are audited with the operating-system user as the actor.

Every command imports the server modules it uses inside its function (here and
in the command groups below), so `--help` and the database-only commands start
without loading the web app, the store client or the media libraries.
"""

from __future__ import annotations

from typing import Annotated

import typer

from ingest_server.auth.roles import USER_ROLES
from ingest_server.cli_common import cli_actor, load_settings, open_context, open_sessions
from ingest_server.derived.cli import app as release_cli
from ingest_server.jobs_cli import jobs_app
from ingest_server.jobs_cli import worker as run_worker
from ingest_server.portal.cli import app as portal_cli
from ingest_server.public.cli import publish as publish_portal
from ingest_server.store.cli import app as store_cli
from ingest_server.sweeper.cli import register as register_retention_commands
from ingest_server.sweeper.cli import reports_app
from ingest_server.uploads_cli import uploads_app

app = typer.Typer(help="Evidence ingest server.", no_args_is_help=True, add_completion=False)
audit_app = typer.Typer(help="The audit chain.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
register_retention_commands(app)  # retention sweep, fixity check, reports export-opm/stats
app.add_typer(portal_cli, name="portal")  # set-password, export
app.add_typer(release_cli, name="release")  # release verify, release requests
reports_app.command("publish")(publish_portal)  # reports publish: the public portal as static files
app.add_typer(store_cli, name="store")  # check
app.command("worker")(run_worker)  # background jobs (jobs_cli.py)
app.add_typer(jobs_app, name="jobs")  # jobs status
app.add_typer(uploads_app, name="uploads")  # abort-abandoned (uploads_cli.py)


@app.command("migrate")
def migrate_cmd() -> None:
    """Bring the database schema to the latest revision."""
    from ingest_server import migrate

    settings = load_settings()
    migrate.upgrade(settings.db_url)
    typer.echo(f"database at revision {', '.join(migrate.head_revisions())}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Run migrations before serving.")
    ] = True,
) -> None:
    """Run the HTTP API (migrates the database first unless --no-migrate)."""
    import uvicorn

    from ingest_server import migrate
    from ingest_server.app import create_app
    from ingest_server.receipts import KeyPermissionError
    from ingest_server.shares.logging import install as keep_share_tokens_out_of_logs
    from ingest_server.store.cli import startup_gate

    settings = load_settings()
    if migrate_first:
        migrate.upgrade(settings.db_url)
    try:
        application = create_app(settings)
    except (migrate.NotMigratedError, KeyPermissionError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    startup_gate(settings)
    keep_share_tokens_out_of_logs()
    uvicorn.run(application, host=host, port=port)


@app.command("create-user")
def create_user(
    username: str,
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(USER_ROLES)}.")],
    officer_id: Annotated[str | None, typer.Option(help="Badge / officer id (troopers).")] = None,
) -> None:
    """Create a user and print its bearer token (shown once)."""
    from ingest_server.auth import service as auth_service

    with open_sessions(load_settings())() as session:
        try:
            user, token = auth_service.create_user(
                session=session, username=username, role=role, officer_id=officer_id, actor=cli_actor()
            )
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
    typer.echo(f"user {user.username} ({user.role}) created; token (shown once, keep it secret):")
    typer.echo(token)


@app.command("enroll-device")
def enroll_device(
    name: str, vehicle_id: Annotated[str | None, typer.Option(help="Vehicle this agent is in.")] = None
) -> None:
    """Enroll an edge agent and print its bearer token (shown once)."""
    from ingest_server.auth import service as auth_service
    from ingest_server.receipts import KeyPermissionError, ReceiptSigner, load_or_create_key

    with open_sessions(load_settings())() as session:
        try:
            device, token = auth_service.enroll_device(
                session=session, name=name, vehicle_id=vehicle_id, actor=cli_actor()
            )
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
    settings = load_settings()
    try:
        signer = ReceiptSigner(load_or_create_key(settings.key_path))
    except KeyPermissionError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"receipt key fingerprint (the agent's server_key_fingerprint): {signer.fingerprint}")
    typer.echo(f"device {device.name} enrolled (id {device.id}); token (shown once, keep it secret):")
    typer.echo(token)


@app.command("reset-device-key")
def reset_device_key(name: str) -> None:
    """Revoke a device's custody-signing key so it may register a new one (audited; the old key is kept)."""
    from ingest_server.devices import keys as device_keys

    with open_sessions(load_settings())() as session:
        try:
            key = device_keys.reset(session=session, name=name, actor=cli_actor())
        except device_keys.KeyRefused as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
    typer.echo(f"device {name}: key {key.fingerprint} revoked; the device may now register a new key")


@app.command("disable")
def disable(
    name: str,
    kind: Annotated[str, typer.Option(help="'device' or 'user'.")] = "device",
) -> None:
    """Revoke a device's or user's token at once (e.g. a stolen car)."""
    from ingest_server.auth import service as auth_service

    if kind not in ("device", "user"):
        typer.echo("error: --kind must be 'device' or 'user'", err=True)
        raise typer.Exit(2)
    with open_sessions(load_settings())() as session:
        try:
            auth_service.disable(session=session, kind=kind, name=name, actor=cli_actor())
        except LookupError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
    typer.echo(f"{kind} {name} disabled: its token is refused from now on")


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the audit chain head now and write it to the Object-Locked store."""
    from ingest_server.anchor import service as anchor

    ctx = open_context()
    with ctx.sessions() as session:
        body = anchor.write_checkpoint(ctx=ctx, session=session)["checkpoint"]
    typer.echo(f"checkpoint at event {body['seq']} (hash {body['hash']}) signed and stored")


@audit_app.command("verify")
def audit_verify() -> None:
    """Verify the audit hash chain and every signed checkpoint in the store; exit 1 naming what broke."""
    from ingest_server.anchor import service as anchor
    from ingest_server.app import build_context
    from ingest_server.audit import service as audit

    settings = load_settings()
    sessions = open_sessions(settings)
    ctx, store_error = None, None
    try:
        ctx = build_context(settings)  # the store holds the signed checkpoints
    except Exception as exc:  # no store reachable: the chain is still checked, the output says so
        store_error = f"{type(exc).__name__}: {exc}"
    with sessions() as session:
        report = anchor.verify_against_checkpoints(ctx=ctx, session=session, store_error=store_error)
        session.rollback()
        audit.append(
            session=session,
            component="cli",
            event_type="audit.verified",
            actor=cli_actor(),
            outcome="success" if report.ok else "failure",
            detail={"message": report.describe()},
        )
        session.commit()
    typer.echo(report.describe())
    if not report.ok:
        raise typer.Exit(1)


def main() -> None:
    app()
