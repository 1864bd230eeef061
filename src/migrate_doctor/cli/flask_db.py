"""Adds migrate-doctor's commands to Flask-Migrate's `flask db` group.

Installed as `flask.commands` entry points, so no change to the user's app is needed.
Two things stand between `flask db diagnose` and an app that cannot load:

- Flask-Migrate adds `db` to the app's CLI inside `Migrate.init_app()`, so Flask finds
  `db` only after loading the app. The `db` entry point below hands Flask the very same
  group as a plugin command, found before any app is loaded.
- Flask-Migrate's `db` group loads the app before any subcommand runs. For our commands
  the group's callback skips that, so `diagnose` loads the app itself and reports why
  it cannot. Flask-Migrate's own subcommands behave exactly as before.
"""

from __future__ import annotations

import functools
from typing import Any

import click

from .commands import COMMANDS

_NAMES = {c.name for c in COMMANDS}  # type: ignore[attr-defined]


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
    for command in COMMANDS:
        db.add_command(command)  # type: ignore[arg-type]
    db._migrate_doctor = True  # type: ignore[attr-defined]


@click.group("migrate-doctor")
def doctor() -> None:
    """migrate-doctor's commands (also available as `flask db diagnose`, ...)."""


for _command in COMMANDS:
    doctor.add_command(_command)  # type: ignore[arg-type]


def _db_group() -> click.Group:
    try:
        from flask_migrate.cli import db as migrate_db
    except ImportError:  # no Flask-Migrate: a `db` group of our commands only
        group = click.Group("db", help="migrate-doctor's checks (Flask-Migrate is not installed).")
        for command in COMMANDS:
            group.add_command(command)  # type: ignore[arg-type]
        return group
    _install()
    return migrate_db


db = _db_group()
