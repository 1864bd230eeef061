"""Adds migrate-doctor's commands to the app's `flask db` group.

Installed as `flask.commands` entry points, so no change to the user's app is needed.
How Flask finds `db` decides everything here:

- `FlaskGroup.get_command` returns a built-in or plugin command of that name *before*
  it loads the app, and only asks `app.cli` when there is none. Flask-Migrate adds its
  `db` group to `app.cli` inside `Migrate.init_app()`; an app may instead (or after it)
  add a `db` group of its own, with its own commands (`flask db seed`).
- So the `db` plugin below is a stand-in: when `flask db ...` runs, it loads the app
  (as user code: nothing it does escapes), and hands over to the `db` command the app
  itself has, after adding our commands to it where the app has none of that name. Only
  when the app cannot load, or has no `db` command, does Flask-Migrate's group (with our
  commands) answer, so `flask db diagnose` still says why the app does not load.
- Flask-Migrate's `db` group loads the app before any subcommand runs. For our commands
  its callback skips that, so `diagnose` loads the app itself and reports why it cannot.
  Flask-Migrate's own subcommands behave exactly as before.
"""

from __future__ import annotations

import functools
from typing import Any

import click

from .commands import COMMANDS, DOCTOR_ONLY

_NAMES = {c.name for c in COMMANDS} - DOCTOR_ONLY  # type: ignore[attr-defined]
_VALUE_OPTIONS = {"-d", "--directory", "-x", "--x-arg"}  # Flask-Migrate's db group options


def _install() -> None:
    try:
        from flask_migrate.cli import db
    except ImportError:  # Flask-Migrate not installed: only `flask migrate-doctor` exists
        return
    if getattr(db, "_migrate_doctor", False):
        return
    original = db.callback

    @functools.wraps(original)  # type: ignore[arg-type]
    def callback(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        if ctx.invoked_subcommand in _NAMES:
            ctx.meta["migrate_doctor.directory"] = kwargs.get("directory")
            return None
        return original(*args, **kwargs)  # type: ignore[misc]

    db.callback = callback
    extend(db)
    db._migrate_doctor = True  # type: ignore[attr-defined]


def extend(group: click.Group) -> None:
    """Add our commands to a group, never replacing one it already has."""
    for command in COMMANDS:
        if command.name not in group.commands and command.name not in DOCTOR_ONLY:  # type: ignore[attr-defined]
            group.add_command(command)  # type: ignore[arg-type]


@click.group("migrate-doctor")
def doctor() -> None:
    """migrate-doctor's commands (also available as `flask db diagnose`, ...)."""


for _command in COMMANDS:
    doctor.add_command(_command)  # type: ignore[arg-type]


def _fallback_group() -> click.Group:
    try:
        from flask_migrate.cli import db as migrate_db
    except ImportError:  # no Flask-Migrate: a `db` group of our commands only
        group = click.Group("db", help="migrate-doctor's checks (Flask-Migrate is not installed).")
        extend(group)
        return group
    _install()
    return migrate_db


def subcommand_of(args: list[str]) -> str | None:
    """The subcommand named in `flask db [OPTIONS] NAME ...`."""
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in _VALUE_OPTIONS:
            skip = True
            continue
        if arg.startswith("-"):
            continue
        return arg
    return None


class AppDbGroup(click.Group):
    """The `db` plugin: a stand-in that hands over to the app's own `db` command."""

    def __init__(self, fallback: click.Group) -> None:
        super().__init__("db", help=fallback.help, short_help=fallback.short_help)
        self.fallback = fallback

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self.fallback.list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self.fallback.get_command(ctx, name)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        group = self.resolve(parent, info_name or "db", subcommand_of(args))
        return group.make_context(info_name, args, parent=parent, **extra)

    def resolve(self, parent: click.Context | None, name: str,
                subcommand: str | None) -> click.Command:
        if parent is None:
            return self.fallback
        from flask import current_app
        from flask.cli import ScriptInfo

        info = parent.ensure_object(ScriptInfo)
        if subcommand in _NAMES or subcommand is None:
            from ..project.flask_app import load_app_once
            from ..project.user_code import set_progress
            from .boundary import announce

            set_progress(announce)  # a slow app is announced, as when diagnose loads it
            try:
                outcome, _ = load_app_once(info)
            finally:
                set_progress(None)
            app, failed = outcome.value, outcome.error is not None
        else:  # the user's own commands: the app loads as `flask` itself would load it
            try:
                app, failed = info.load_app(), False
            except Exception:  # noqa: BLE001 - Flask-Migrate's group reports it as before
                app, failed = None, True
        if failed or app is None:
            return self.fallback
        command = app.cli.get_command(parent, name)
        if command is None:
            return self.fallback
        if isinstance(command, click.Group):
            extend(command)
        if not current_app or current_app._get_current_object() is not app:
            parent.with_resource(app.app_context())  # as FlaskGroup does for app commands
        return command


db = AppDbGroup(_fallback_group())
