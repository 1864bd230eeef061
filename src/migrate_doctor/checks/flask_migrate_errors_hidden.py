"""`flask db` errors are swallowed by the logging set up in alembic.ini.

What it finds:
    A Flask-Migrate project whose migrations/alembic.ini configures logging without a
    `flask_migrate` logger, while env.py calls `fileConfig(config.config_file_name)`
    (which disables every logger the file does not name).

Why it matters:
    Since Flask-Migrate 2.6, `flask db upgrade`, `migrate`, `stamp`, ... report their
    errors (`Can't locate revision identified by ...`, `Target database is not up to
    date.`, `Multiple head revisions are present ...`) through the `flask_migrate`
    logger, then exit 1. An alembic.ini written before that (or by hand) lacks the
    logger, `fileConfig` disables it, and the command exits 1 with no message at all.

Example:
    [loggers]
    keys = root,sqlalchemy,alembic

Fix:
    Name the logger in migrations/alembic.ini, as `flask db init` writes it today:
    keys = root,sqlalchemy,alembic,flask_migrate   (in [loggers])
    [logger_flask_migrate]
    level = INFO
    handlers =
    qualname = flask_migrate
"""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterator

from . import Context, Hit, check
from ._context import display_path
from ..model import Severity

# fileConfig(...) that keeps existing loggers says so in the same call
_FILE_CONFIG = re.compile(r"fileConfig\s*\((?P<args>[^)]*)\)")


def _flask_migrate_logs_errors() -> str | None:
    """The installed Flask-Migrate's version when it reports errors through logging."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("Flask-Migrate")
    except PackageNotFoundError:
        return None
    parts = tuple(int(p) for p in re.findall(r"\d+", found)[:2])
    return found if parts >= (2, 6) else None


def _disables_loggers(env_text: str) -> bool:
    calls = list(_FILE_CONFIG.finditer(env_text))
    return bool(calls) and any(
        not re.search(r"disable_existing_loggers\s*=\s*False", m.group("args")) for m in calls)


@check("flask-migrate-errors-hidden", Severity.WARNING,
       "flask db errors are hidden by alembic.ini's logging")
def run(ctx: Context) -> Iterator[Hit]:
    project = ctx.project
    mdir = project.migrations_dir
    if project.kind != "flask" or mdir is None:
        return
    ini, env = mdir / "alembic.ini", mdir / "env.py"
    installed = _flask_migrate_logs_errors()
    if installed is None or not ini.is_file() or not env.is_file():
        return
    parser = configparser.RawConfigParser()
    try:
        parser.read(ini, encoding="utf-8")
        env_text = env.read_text(encoding="utf-8", errors="replace")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return
    if not parser.has_option("loggers", "keys") or not _disables_loggers(env_text):
        return
    keys = [k.strip() for k in parser.get("loggers", "keys").split(",") if k.strip()]
    if "flask_migrate" in keys or parser.has_section("logger_flask_migrate"):
        return
    shown = display_path(ini)
    yield Hit(
        f"{shown} configures logging without a flask_migrate logger and env.py's fileConfig() "
        f"disables the loggers it does not name: Flask-Migrate {installed} reports the errors of "
        f"`flask db upgrade` and the other commands through that logger, so they exit 1 "
        f"without saying why",
        f"in {shown}, set `keys = {','.join(keys + ['flask_migrate'])}` under [loggers] and add "
        "the section:\n[logger_flask_migrate]\nlevel = INFO\nhandlers =\nqualname = flask_migrate",
        None, {"file": shown, "loggers": keys, "flask_migrate": installed})
