"""The commands, defined once and mounted both under `flask db` and `migrate-doctor`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from ..api import Target

format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="Output format.")
strict_option = click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")


def get_target(ctx: click.Context) -> Target:
    """The standalone CLI puts a Target in ctx.obj; under `flask db` it is built from
    Flask's ScriptInfo and the db group's --directory."""
    target = ctx.find_object(Target)
    if target is not None:
        return target
    from flask.cli import ScriptInfo

    info = ctx.ensure_object(ScriptInfo)
    directory = ctx.meta.get("migrate_doctor.directory")
    return Target(script_info=info, directory=directory)


def finish(report: Any, fmt: str, strict: bool = False) -> None:
    from ..render import render

    render(report, fmt, sys.stdout)
    sys.exit(report.exit_code(strict))


@click.command()
@click.option("--url", help="Database URL to check instead of the project's.", default=None)
@format_option
@strict_option
@click.pass_context
def diagnose(ctx: click.Context, url: str | None, fmt: str, strict: bool) -> None:
    """Full checkup: scripts, version table, live schema, models; every finding with its fix."""
    from .. import api

    target = get_target(ctx)
    if url:
        target.url = url
    finish(api.diagnose(target), fmt, strict)


@click.command()
@click.option("--url", help="Database URL to check instead of the project's.", default=None)
@click.option("--drift", is_flag=True, help="Also fail when the schema differs from the models.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def verify(ctx: click.Context, url: str | None, drift: bool, fmt: str) -> None:
    """Fast gate for CI and container start: exit 0 only when the database is at head."""
    from .. import api

    target = get_target(ctx)
    if url:
        target.url = url
    report = api.verify(target, drift=drift)
    if fmt == "json":
        finish(report, fmt)
    errors = [f for f in report.findings if f.severity.value == "error"]
    if errors:
        f = errors[0]
        fix = f" Fix: {f.fix.splitlines()[0]}" if f.fix else ""
        more = f" (+{len(errors) - 1} more: migrate-doctor diagnose)" if len(errors) > 1 else ""
        click.echo(f"not ready: {f.id}: {f.message}.{fix}{more}", err=True)
        sys.exit(1)
    head = ", ".join(report.project.heads) if report.project else ""
    click.echo(f"ok: the database is at head {head}")
    sys.exit(0)


COMMANDS: list[Callable[..., Any]] = [diagnose, verify]
