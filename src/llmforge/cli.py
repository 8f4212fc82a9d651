"""The `llmforge` command: serve, worker, migrate, create-admin, openapi, version."""

import asyncio
import json
from typing import Annotated

import typer
import uvicorn
from pydantic import ValidationError

from llmforge import __version__
from llmforge.bootstrap import create_admin as create_admin_account
from llmforge.bootstrap import ensure_first_admin, recover_interrupted_work
from llmforge.core.errors import DomainError
from llmforge.core.logging import configure_logging
from llmforge.migrate import downgrade, upgrade
from llmforge.rotation import rotate_encryption_key as rotate_secrets
from llmforge.settings import ConfigurationError, Settings

app = typer.Typer(help="llmforge: one place for every LLM a company uses.", no_args_is_help=True)


def _settings() -> Settings:
    try:
        settings = Settings()
        settings.secrets  # noqa: B018 - validate secrets before doing anything
    except (ConfigurationError, ValidationError) as exc:
        typer.secho(f"Configuration error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    return settings


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development)")] = False,
) -> None:
    """Apply migrations, make sure an admin exists, and serve the API and the web app."""
    settings = _settings()
    if workers > 1 and not reload:
        _require_shared_services(settings)
    configure_logging(settings.log_level)
    upgrade(settings)
    created = asyncio.run(ensure_first_admin(settings))
    if created:
        _announce_admin(created.email, created.generated_password)
    # with Redis other processes may be streaming answers: liveness.Heartbeat finds lost ones
    interrupted = 0 if settings.redis_url else asyncio.run(recover_interrupted_work(settings))
    if interrupted:
        typer.echo(
            f"Marked {interrupted} answer(s) left streaming at the last stop as interrupted."
        )
    typer.echo(f"llmforge {__version__} on http://{host}:{port}")
    uvicorn.run(
        "llmforge.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        log_config=None,
        proxy_headers=True,
    )


def _require_shared_services(settings: Settings) -> None:
    """Worker processes share nothing in memory, and embedded Qdrant admits one process."""
    missing = [
        f"LLMFORGE_{name.upper()} ({why})"
        for name, why in (
            ("redis_url", "rate limits and comparison stops across workers"),
            ("qdrant_url", "a Qdrant server: the embedded store opens in one process only"),
        )
        if not getattr(settings, name)
    ]
    if missing:
        typer.secho(
            "Configuration error: --workers above 1 needs " + " and ".join(missing) + ".",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(2)


def _announce_admin(email: str, generated_password: str | None) -> None:
    if generated_password is None:
        typer.echo(f"Created the first admin {email} with LLMFORGE_ADMIN_PASSWORD.")
        return
    typer.secho(
        f"Created the first admin.\n  email:    {email}\n  password: {generated_password}\n"
        "This password is shown only once: sign in and change it.",
        fg=typer.colors.YELLOW,
    )


@app.command()
def worker() -> None:
    """Run the training scheduler alone (no web server), on the shared database: claims queued
    jobs and runs them on this host's GPUs (LLMFORGE_TRAINING_GPUS) until stopped."""
    from llmforge.training.worker import run_worker

    settings = _settings()
    configure_logging(settings.log_level)
    upgrade(settings)
    typer.echo("llmforge training worker: waiting for jobs (Ctrl+C stops; jobs keep running)")
    asyncio.run(run_worker(settings))


@app.command()
def migrate(
    revision: Annotated[str, typer.Option(help="Target revision for upgrade")] = "heads",
    down_to: Annotated[
        str | None, typer.Option("--downgrade", help="Downgrade to this revision instead (e.g. -1)")
    ] = None,
) -> None:
    """Bring the database schema to a revision (default: the newest)."""
    settings = _settings()
    if down_to:
        downgrade(settings, down_to)
    else:
        upgrade(settings, revision)
    typer.echo("Database schema is up to date." if not down_to else f"Downgraded to {down_to}.")


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True, help="The admin's email")],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Password")
    ],
) -> None:
    """Create an admin account (migrating first if needed)."""
    settings = _settings()
    upgrade(settings)
    try:
        user = asyncio.run(create_admin_account(settings, email, password))
    except ValidationError as exc:
        typer.secho(f"Invalid input: {exc.errors()[0]['msg']}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    except DomainError as exc:
        typer.secho(exc.message, fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Created admin {user.email} (id {user.id}).")


@app.command("rotate-encryption-key")
def rotate_encryption_key() -> None:
    """Re-encrypt every stored secret (provider keys, secret headers) with the newest key."""
    settings = _settings()
    upgrade(settings)
    result = asyncio.run(rotate_secrets(settings))
    typer.echo(f"Re-encrypted {result.secrets_rotated} secret(s); key from {result.key_source}.")


@app.command()
def openapi() -> None:
    """Print the OpenAPI document (used to generate the web app's API types)."""
    from llmforge.app import create_app

    typer.echo(json.dumps(create_app(_settings()).openapi(), indent=2, sort_keys=True))


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo(__version__)
