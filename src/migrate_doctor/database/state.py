"""What the database holds: dialect, server version, tables and version table rows."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import DatabaseUnreachable
from .connect import create_readonly_engine, explain_connect_error, parse_url, sqlite_path
from .url import mask_url

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

SQLITE_RETRY_FOR = 20.0  # seconds of retrying a SQLite database that a writer keeps locked


@dataclass
class DatabaseState:
    masked_url: str
    dialect: str
    server_version: str | None
    tables: list[str]
    version_table: str
    version_table_schema: str | None
    version_table_exists: bool
    version_rows: list[str] = field(default_factory=list)
    # Problems with the version table itself (missing column, NULL rows), as text.
    version_table_problems: list[str] = field(default_factory=list)
    version_num_length: int | None = None
    exists: bool = True  # False for a SQLite file that does not exist yet
    missing_directory: bool = False  # ... and its directory does not exist either
    engine: Engine | None = None

    @property
    def current(self) -> tuple[str, ...]:
        return tuple(self.version_rows)


def read_database(url_text: str, version_table: str = "alembic_version",
                  version_table_schema: str | None = None,
                  engine_options: dict[str, Any] | None = None) -> DatabaseState:
    """Read the database without writing to it. Raises the typed errors of ``errors``.
    A SQLite database busy with a writer is read again (a busy database is not broken)."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    url = parse_url(url_text)
    masked = mask_url(url_text)
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite:
        path = sqlite_path(url)
        if path is not None and not path.exists():
            return DatabaseState(masked, "sqlite", None, [], version_table,
                                 version_table_schema, False, exists=False,
                                 missing_directory=not path.parent.is_dir())
        if path is not None and path.is_dir():
            raise explain_connect_error(IsADirectoryError(f"{path} is a directory"), url_text)
    engine = create_readonly_engine(url_text, engine_options)
    delay, waited = 0.05, 0.0
    while True:
        try:
            return _read(engine, masked, version_table, version_table_schema)
        except DatabaseUnreachable:
            raise
        except (DBAPIError, SQLAlchemyError, OSError, ImportError) as exc:
            reason = str(getattr(exc, "orig", exc)).lower()
            if sqlite and ("locked" in reason or "busy" in reason) and waited < SQLITE_RETRY_FOR:
                time.sleep(delay)
                waited, delay = waited + delay, min(delay * 2, 1.0)
                continue
            raise explain_connect_error(exc, url_text) from None


def _read(engine: Engine, masked: str, version_table: str,
          version_table_schema: str | None) -> DatabaseState:
    from sqlalchemy import inspect

    with engine.connect() as conn:
        info = engine.dialect.server_version_info
        server = ".".join(str(p) for p in info) if info else None
        insp = inspect(conn)
        tables = insp.get_table_names()
        # has_table also finds a view: Alembic accepts a version table that is a view
        vt_exists = insp.has_table(version_table, schema=version_table_schema)
        state = DatabaseState(masked, engine.dialect.name, server,
                              [t for t in tables if t != version_table], version_table,
                              version_table_schema, vt_exists, engine=engine)
        if vt_exists:
            _read_version_rows(conn, insp, state)
        conn.rollback()
        return state


def _read_version_rows(conn: Any, insp: Any, state: DatabaseState) -> None:
    from sqlalchemy import column, select, table

    reflected = insp.get_columns(state.version_table, schema=state.version_table_schema)
    columns = {c["name"] for c in reflected}
    for c in reflected:
        if c["name"] == "version_num":
            state.version_num_length = getattr(c["type"], "length", None)
    if "version_num" not in columns:
        state.version_table_problems.append(
            f"{state.version_table} has no version_num column (columns: {', '.join(sorted(columns))})")
        return
    vt = table(state.version_table, column("version_num"), schema=state.version_table_schema)
    rows = [r[0] for r in conn.execute(select(vt.c.version_num))]
    if any(r is None or r == "" for r in rows):
        state.version_table_problems.append(f"{state.version_table} has empty version_num rows")
    state.version_rows = [str(r) for r in rows if r]
