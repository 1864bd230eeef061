"""Adds migrate-doctor's commands to Flask-Migrate's `flask db` group.

Installed as a `flask.commands` entry point, so no change to the user's app is needed.
Flask-Migrate's `db` group loads the app before any subcommand runs, which makes every
`flask db` command die with a traceback when the app cannot load. For our commands the
group's callback skips that, so `diagnose` can load the app itself and report why not.
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

_install()
