"""Running one revision on the live database through the project's own env.py.

The same mechanisms as the replay (replay/runner.py), pointed at the LIVE database: a
Flask-Migrate project upgrades inside the app's context with Flask-Migrate's own Config
(the app's engine; with ``--url`` an engine for that URL swapped in); a plain Alembic
project with the Config as ``alembic`` builds it (``--url`` sets ``sqlalchemy.url``).

Each revision is its own ``upgrade`` call, so env.py opens one connection and (where the
dialect has transactional DDL, and on SQLite through BEGIN IMMEDIATE) one transaction per
revision: a failure or a kill leaves the database at a revision boundary, its version row
matching. Autocommit blocks inside a revision commit on their own, as Alembic does them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..project.loaded import Project
from ..project.user_code import no_logging_config, run_user_code
from .session import Bounds, Watch, instrumented


@dataclass
class Attempt:
    revision: str
    ok: bool
    elapsed: float
    error: BaseException | None = None
    output: str = ""
    watch: Watch = field(default_factory=Watch)


def upgrade_one(project: Project, url: str, revision: str, bounds: Bounds, ours: set[int],
                on_statement: Callable[[str], None] | None = None) -> Attempt:
    """``upgrade <revision>`` through env.py, bounded; never raises (user code)."""
    from alembic import command

    start = time.monotonic()
    holder: dict[str, Watch] = {}

    def run() -> None:
        with no_logging_config(), instrumented(url, bounds, ours, on_statement,
                                               refuse_others=bool(project.url_override)) as w:
            holder["watch"] = w
            if project.kind == "flask" and project.app is not None:
                _flask(project, url, revision, command)
            else:
                _alembic(project, url, revision, command)

    outcome = run_user_code(run, f"revision {revision}")
    return Attempt(revision, outcome.error is None, time.monotonic() - start, outcome.error,
                   outcome.output, holder.get("watch", Watch()))


def _alembic(project: Project, url: str, revision: str, command: Any) -> None:
    from alembic.config import Config

    assert project.config_file is not None
    cfg = Config(str(project.config_file))
    if project.migrations_dir is not None:
        cfg.set_main_option("script_location", str(project.migrations_dir))
    if project.url_override:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    command.upgrade(cfg, revision)


def _flask(project: Project, url: str, revision: str, command: Any) -> None:
    app = project.app
    migrate = app.extensions["migrate"]
    directory = str(project.migrations_dir) if project.migrations_dir else None
    with app.app_context():
        if not project.url_override:
            command.upgrade(migrate.migrate.get_config(directory), revision)
            return
        from .session import writing_engine

        engine = writing_engine(url)
        engines = migrate.db.engines
        saved = dict(engines)
        engines[None] = engine  # type: ignore[index]
        try:
            command.upgrade(migrate.migrate.get_config(directory), revision)
        finally:
            engines.clear()  # type: ignore[attr-defined]
            engines.update(saved)  # type: ignore[attr-defined]
            engine.dispose()
