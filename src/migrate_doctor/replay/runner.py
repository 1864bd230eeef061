"""Run the project's own migrations, through its own env.py, into a scratch database.

- A Flask-Migrate project: inside the app's context, with Flask-SQLAlchemy's engine for
  the app swapped for the scratch engine, so an unmodified env.py (which asks the app for
  its engine) migrates the scratch database; Flask-Migrate's own Config is used.
- A plain Alembic project: the Config as `alembic` builds it, with ``sqlalchemy.url``
  set to the scratch URL, ``config.attributes["connection"]`` holding a scratch
  connection (the cookbook pattern env.py files honour), and every environment variable
  that held the live URL pointing at the scratch one while env.py runs.

Whatever env.py does, it cannot reach the live database meanwhile: every engine created
while it runs is checked, and one for the live database is refused (``replay-failed``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import DoctorError
from ..project.loaded import Project
from ..project.user_code import no_logging_config, run_user_code


class ReplayFailed(DoctorError):
    """What it finds: the project's migrations could not be run into a scratch database:
    a revision raised (an import that fails, SQL the database refuses, code that needs the
    app's data), or env.py tried to reach the live database while replaying.

    Why it matters: the schema a revision should produce is only known by running it; the
    same revision will fail the same way in `flask db upgrade` on a fresh database (CI, a
    new developer, a new environment).

    Fix: the message names the revision, the exception and where it points; fix that
    revision (or install what it imports).
    """

    id = "replay-failed"
    title = "The migrations could not be replayed"


class _LiveRefused(Exception):
    pass


def _refused() -> DoctorError:
    return ReplayFailed(
        "env.py connected to the live database although it was told to use a scratch "
        "database (it builds its engine from somewhere else than sqlalchemy.url, "
        "config.attributes['connection'] or the app's engine); migrate-doctor stopped it "
        "before anything ran",
        "let env.py take its URL from config.get_main_option('sqlalchemy.url'), or, under "
        "Flask-Migrate, from the app's engine as its current env.py template does "
        "(flask db init writes it into a new directory to compare)",
        evidence={"exception": "live database refused"})


@dataclass
class Replayed:
    """What a replay did: the revisions now applied in the scratch database."""

    heads: tuple[str, ...]
    output: str = ""


def _same_database(a: Any, b: Any) -> bool:
    return (a.get_backend_name(), a.host, a.port, a.database) == \
        (b.get_backend_name(), b.host, b.port, b.database)


@contextlib.contextmanager
def _guard_engines(live_url: str | None) -> Iterator[None]:
    """While env.py runs, no engine may be created for the live database."""
    import sqlalchemy
    import sqlalchemy.engine
    from sqlalchemy.engine import create as create_module
    from sqlalchemy.engine import make_url

    if not live_url:
        yield
        return
    live = make_url(live_url)
    original = create_module.create_engine

    def guarded(url: Any, *args: Any, **kwargs: Any) -> Any:
        if _same_database(make_url(url), live):
            raise _LiveRefused("env.py tried to connect to the live database while replaying")
        return original(url, *args, **kwargs)

    targets = [(sqlalchemy, "create_engine"), (sqlalchemy.engine, "create_engine"),
               (create_module, "create_engine")]
    saved = [(mod, name, getattr(mod, name)) for mod, name in targets]
    for mod, name in targets:
        setattr(mod, name, guarded)
    try:
        yield
    finally:
        for mod, name, value in saved:
            setattr(mod, name, value)


@contextlib.contextmanager
def _environment_pointing_at(live_url: str | None, scratch_url: str) -> Iterator[None]:
    """Environment variables holding the live URL hold the scratch URL meanwhile."""
    changed = {k: v for k, v in os.environ.items() if live_url and v == live_url}
    for key in changed:
        os.environ[key] = scratch_url
    try:
        yield
    finally:
        for key, value in changed.items():
            os.environ[key] = value


def upgrade(project: Project, scratch_url: str, revision: str = "heads") -> Replayed:
    """Upgrade the scratch database to ``revision`` with the project's env.py."""
    from alembic import command

    output = _run(project, scratch_url, lambda cfg: command.upgrade(cfg, revision),
                  "replaying the migrations", {"revision": revision})[1]
    return Replayed(_heads(project, scratch_url), output)


def autogenerate(project: Project, scratch_factory: Any, message: str) -> Any:
    """``revision --autogenerate`` against an EMPTY scratch database (never the live one):
    the baseline revision of everything the models define. Returns the new file's path."""
    from alembic import command

    with scratch_factory() as scratch:
        script = _run(project, scratch.url, lambda cfg: command.revision(
            cfg, message=message, autogenerate=True), "generating the baseline", {})[0]
    return Path(script.path) if script is not None else None


def _run(project: Project, scratch_url: str, action: Any, doing: str,
         evidence: dict[str, Any]) -> tuple[Any, str]:
    """An Alembic command of the project's, pointed at the scratch database, run as user
    code: with engines for the live database refused and the environment redirected.
    Returns its value and what it printed; a failure is ReplayFailed naming the line."""
    from ..project.exceptions import classify

    def run() -> Any:
        with _guard_engines(project.url), _environment_pointing_at(project.url, scratch_url), \
                no_logging_config():
            return _in_scratch(project, scratch_url, action)

    outcome = run_user_code(run, "the migrations")
    if outcome.error is not None:
        exc = outcome.error
        if isinstance(exc, DoctorError):
            raise exc
        if _caused_by(exc, _LiveRefused):
            raise _refused() from None
        error = classify(exc, "migrations", project.secrets, outcome.output)
        raise ReplayFailed(error.message.replace("loading the migrations failed", f"{doing} failed"),
                           error.fix, location=error.location,
                           evidence={**error.evidence, **evidence}) from None
    return outcome.value, outcome.output


def _caused_by(exc: BaseException, kind: type) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, kind):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        seen += 1
    return False


def _heads(project: Project, scratch_url: str) -> tuple[str, ...]:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(scratch_url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return _current(conn, project)
    finally:
        engine.dispose()


def _current(conn: Any, project: Project) -> tuple[str, ...]:
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(conn, opts={
        "version_table": project.version_table,
        "version_table_schema": project.version_table_schema})
    return tuple(context.get_current_heads())


def _in_scratch(project: Project, scratch_url: str, action: Any) -> Any:
    """Run ``action(config)`` with the project's own Config, pointed at the scratch
    database: a Flask app's engine swapped in its app context (an unmodified Flask-Migrate
    env.py asks the app for it), or a plain Alembic Config whose ``sqlalchemy.url`` and
    ``attributes["connection"]`` are the scratch database's."""
    from alembic.config import Config

    engine = scratch_engine(scratch_url)
    try:
        if project.kind == "flask" and project.app is not None:
            app = project.app
            migrate = app.extensions["migrate"]
            with app.app_context():
                engines = migrate.db.engines  # Flask-SQLAlchemy 3: this app's, by bind key
                saved = dict(engines)
                engines[None] = engine  # type: ignore[index]
                # older env.py templates build their engine from the app's config instead
                uri = app.config.get("SQLALCHEMY_DATABASE_URI")
                app.config["SQLALCHEMY_DATABASE_URI"] = scratch_url
                try:
                    directory = str(project.migrations_dir) if project.migrations_dir else None
                    return action(migrate.migrate.get_config(directory))
                finally:
                    app.config["SQLALCHEMY_DATABASE_URI"] = uri
                    engines.clear()  # type: ignore[attr-defined]
                    engines.update(saved)  # type: ignore[attr-defined]
        assert project.config_file is not None
        cfg = Config(str(project.config_file))
        if project.migrations_dir is not None:
            cfg.set_main_option("script_location", str(project.migrations_dir))
        cfg.set_main_option("sqlalchemy.url", scratch_url.replace("%", "%%"))
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            result = action(cfg)
            if conn.in_transaction():
                conn.commit()
            return result
    finally:
        engine.dispose()


def scratch_engine(url: str) -> Any:
    """An engine for the scratch database whose connections also answer ``connect()``
    (with themselves, left open): env.py files differ in what they expect in
    ``config.attributes["connection"]`` (the cookbook's a Connection, pytest-alembic's
    documented one an Engine), and both then run unchanged."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    engine._connection_cls = _engine_like_connection()  # noqa: SLF001
    return engine


def _engine_like_connection() -> type:
    from sqlalchemy.engine import Connection

    class EngineLikeConnection(Connection):
        def connect(self) -> Any:  # type: ignore[override]
            @contextlib.contextmanager
            def same() -> Any:
                yield self

            return same()

    return EngineLikeConnection
