"""Typed errors. Each has a stable id (also the id of the finding it becomes) and a
one-line message; ``fix`` says what to do. The API raises them; the CLI turns them
into findings or one line, never a traceback.
"""

from __future__ import annotations

from typing import Any

from .model import Finding, Location, Severity


class DoctorError(Exception):
    """Base class. Subclasses set ``id`` and ``title``; the docstring is the documentation."""

    id = "migrate-doctor-error"
    title = "migrate-doctor could not run"
    severity = Severity.ERROR
    exit_code = 1

    def __init__(self, message: str, fix: str | None = None, *,
                 location: Location | None = None, evidence: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.location = location
        self.evidence = evidence or {}

    def to_finding(self) -> Finding:
        return Finding(self.id, self.severity, self.title, self.message, self.fix,
                       self.location, self.evidence)

    def one_line(self) -> str:
        text = f"{self.id}: {self.message}"
        if self.fix:
            text += f" Fix: {self.fix.splitlines()[0]}"
        return " ".join(text.split())


class UsageError(DoctorError):
    """The command was called wrongly (unknown option value, unknown revision, ...)."""

    id = "usage-error"
    title = "The command was called wrongly"
    exit_code = 2


class AppNotFound(DoctorError):
    """What it finds: no Flask app (`FLASK_APP`/`--app`) and no `alembic.ini` to load.

    Why it matters: without the app or the Alembic config, nothing says which migrations
    and which database this command is about: the classic deploy shell with
    `FLASK_APP` missing (`Error: Could not locate a Flask application.`).

    Fix: `export FLASK_APP=yourpackage` (or `--app yourpackage:create_app`), or run
    from the directory that holds `alembic.ini` (or pass `-c path/to/alembic.ini`).
    """

    id = "app-not-found"
    title = "No Flask app and no alembic.ini to load"


class AppImportError(DoctorError):
    """What it finds: importing the app, calling its factory or running env.py raised.

    Why it matters: every `flask db` command loads the app first; when it cannot, no
    migration command runs, and the traceback hides the one line that matters.

    Fix: the message names the exception and the user's file and line; fix that line or
    provide what it reads (an environment variable, an installed package).
    """

    id = "app-import-error"
    title = "The app could not be loaded"


class DatabaseUrlMissing(DoctorError):
    """What it finds: the database URL is not set (the config key, or the environment
    variable the app or env.py reads, is missing).

    Why it matters: the app either refuses to start or falls back to a default database,
    so migrations run against the wrong database.

    Fix: set the variable in the environment the command runs in (the service's
    `Environment=`/`EnvironmentFile=`, the container's env), e.g. `export DATABASE_URL=...`.
    """

    id = "database-url-missing"
    title = "The database URL is not set"


class DatabaseUrlInvalid(DoctorError):
    """What it finds: the database URL cannot be parsed or names an unknown dialect,
    including `%` characters in alembic.ini that configparser reads as interpolation
    (`ValueError: invalid interpolation syntax`) and Heroku-style `postgres://` URLs.

    Why it matters: nothing can connect; the error usually surfaces deep in a traceback.

    Fix: write the URL as `dialect+driver://user:password@host:port/dbname`, escape `%`
    as `%%` in alembic.ini (or read the URL from the environment in env.py), and use
    `postgresql://` rather than `postgres://`.
    """

    id = "database-url-invalid"
    title = "The database URL is not valid"


class DatabaseUnreachable(DoctorError):
    """What it finds: connecting to the database failed: host not reachable, wrong
    user or password, database missing, driver not installed. The driver's reason is
    given with the URL masked.

    Why it matters: migrations cannot run, and deploy scripts that ignore the failure
    start the app against a database in an unknown state.

    Fix: check host and port from where the command runs, the credentials, that the
    database exists (`createdb`), and that the driver is installed.
    """

    id = "database-unreachable"
    title = "The database cannot be reached"


class MigrationsDirMissing(DoctorError):
    """What it finds: the migrations directory (Flask-Migrate's `migrations/`, or
    `script_location` of alembic.ini) does not exist, or the app does not set up
    Flask-Migrate.

    Why it matters: without it there is no revision history; commands run from the wrong
    directory, or `flask db init` was never run or its output never committed.

    Fix: run the command from the project root, pass `--directory`, or create the
    repository with `flask db init` (plain Alembic: `alembic init migrations`).
    """

    id = "migrations-dir-missing"
    title = "No migrations directory"


class ConfigInvalid(DoctorError):
    """What it finds: alembic.ini (or pyproject.toml) cannot be read: not UTF-8, a syntax
    error, or a `%` that configparser reads as interpolation in an option other than the
    URL (`ValueError: invalid interpolation syntax`).

    Why it matters: Alembic reads the same file the same way; every `alembic` and
    `flask db` command fails before it does anything.

    Fix: the message names the file and the option; save it as UTF-8, fix the syntax, or
    write a literal `%` as `%%`.
    """

    id = "config-invalid"
    title = "A configuration file cannot be read"


class InternalError(DoctorError):
    """What it finds: migrate-doctor itself failed in a way it does not know how to explain.

    Why it matters: the command could not run, so its answer is unknown; a gate treats
    that as not ready (exit 2).

    Fix: run it again with `--format json` and report the message to migrate-doctor's
    issue tracker (the project page of `pip show migrate-doctor`); URLs in it are masked.
    """

    id = "internal-error"
    title = "migrate-doctor failed unexpectedly"
    exit_code = 2


LOAD_ERRORS: tuple[type[DoctorError], ...] = (
    AppNotFound, AppImportError, DatabaseUrlMissing, DatabaseUrlInvalid,
    DatabaseUnreachable, MigrationsDirMissing, ConfigInvalid,
)
