"""An Alembic command run with the project's own Config against the scratch database, as
``replay.runner`` runs one, and also for the env.py that pytest-alembic documents:

    connectable = context.config.attributes.get("connection", None)
    ...
    with connectable.connect() as connection:

which expects an Engine there. The connection handed over answers ``connect()`` with
itself (left open), so both that env.py and the cookbook's (which expects a Connection)
run unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..project.loaded import Project


def _connection_class() -> type:
    from sqlalchemy.engine import Connection

    class EngineLikeConnection(Connection):
        def connect(self) -> Any:  # type: ignore[override]
            @contextmanager
            def same() -> Iterator[Any]:
                yield self

            return same()

    return EngineLikeConnection


def scratch_engine(url: str) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    engine._connection_cls = _connection_class()
    return engine


def in_scratch(project: Project, url: str, action: Callable[[Any], Any]) -> Any:
    """``action(config)`` with the project's Alembic Config pointed at ``url``."""
    from alembic.config import Config

    engine = scratch_engine(url)
    try:
        if project.kind == "flask" and project.app is not None:
            app = project.app
            migrate = app.extensions["migrate"]
            with app.app_context():
                engines = migrate.db.engines
                saved = dict(engines)
                engines[None] = engine  # type: ignore[index]
                try:
                    directory = str(project.migrations_dir) if project.migrations_dir else None
                    return action(migrate.migrate.get_config(directory))
                finally:
                    engines.clear()  # type: ignore[attr-defined]
                    engines.update(saved)  # type: ignore[attr-defined]
        assert project.config_file is not None
        cfg = Config(str(project.config_file))
        if project.migrations_dir is not None:
            cfg.set_main_option("script_location", str(project.migrations_dir))
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            result = action(cfg)
            if conn.in_transaction():
                conn.commit()
            return result
    finally:
        engine.dispose()
