"""The sessions apply works through, and what it sets on the ones the project's env.py opens.

While revisions run, every connection an engine opens to the target database (env.py's own
engine, Flask-SQLAlchemy's, ours) gets the bounds of this run before its first statement:

- PostgreSQL: ``lock_timeout`` and ``statement_timeout`` (session settings);
- MySQL/MariaDB: ``lock_wait_timeout`` and ``innodb_lock_wait_timeout`` (whole seconds),
  MariaDB's ``max_statement_time``;
- SQLite: ``busy_timeout``, and each transaction opened with ``BEGIN IMMEDIATE`` (so a
  revision is one transaction, DDL included, and the write lock is taken, or not, at its
  start).

The statements run are reported as they start (progress), and the session's id is noted
(the blocker of a lock timeout is looked for among the others).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

APP_NAME = "migrate-doctor apply"


@dataclass
class Bounds:
    lock_timeout: float | None = 2.0  # seconds; None = wait as long as it takes
    statement_timeout: float | None = None
    retries: int = 3  # retries of a revision whose lock was not granted

    def to_dict(self) -> dict[str, Any]:
        return {"lock_timeout": self.lock_timeout, "statement_timeout": self.statement_timeout,
                "retries": self.retries}


def same_database(a: Any, b: Any) -> bool:
    if a.get_backend_name() != b.get_backend_name():
        return False
    if a.get_backend_name() == "sqlite":
        from pathlib import Path

        return bool(a.database and b.database) and \
            Path(a.database).resolve() == Path(b.database).resolve()
    return (a.host, a.port, a.database, dict(a.query).get("host"),
            dict(a.query).get("unix_socket")) == \
        (b.host, b.port, b.database, dict(b.query).get("host"), dict(b.query).get("unix_socket"))


def writing_engine(url_text: str, purpose: str = "") -> Any:
    """An engine of ours for the target database (NullPool, a connect timeout, a sync
    driver for an async URL, the application name set on PostgreSQL)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from ..database.connect import (_TIMEOUT_ARG, CONNECT_TIMEOUT, SQLITE_BUSY_TIMEOUT, _driver,
                                    _is_async, parse_url, sync_equivalent)

    url = parse_url(url_text)
    if _is_async(url):
        url = sync_equivalent(url, url_text)
    args: dict[str, Any] = {}
    backend = url.get_backend_name()
    timeout_arg = _TIMEOUT_ARG.get(_driver(url))
    if backend in ("postgresql", "mysql", "mariadb") and timeout_arg:
        args[timeout_arg] = CONNECT_TIMEOUT
    if backend == "postgresql" and _driver(url) in ("psycopg", "psycopg2"):
        args["application_name"] = f"{APP_NAME}{f' ({purpose})' if purpose else ''}"
    if backend == "sqlite":
        args["timeout"] = SQLITE_BUSY_TIMEOUT
    return create_engine(url, poolclass=NullPool, connect_args=args)


def settings_sql(dialect: str, bounds: Bounds, mariadb: bool) -> list[str]:
    """The statements that bound one session."""
    lock, stmt = bounds.lock_timeout, bounds.statement_timeout
    if dialect == "postgresql":
        return [f"SET lock_timeout = {int((lock or 0) * 1000)}",
                f"SET statement_timeout = {int((stmt or 0) * 1000)}"]
    if dialect in ("mysql", "mariadb"):
        out = []
        if lock is not None:
            seconds = max(1, math.ceil(lock))
            out += [f"SET SESSION lock_wait_timeout = {seconds}",
                    f"SET SESSION innodb_lock_wait_timeout = {seconds}"]
        if mariadb:
            out.append(f"SET SESSION max_statement_time = {stmt or 0}")
        elif stmt:
            out.append(f"SET SESSION max_execution_time = {int(stmt * 1000)}")
        return out
    if dialect == "sqlite":
        return [f"PRAGMA busy_timeout = {int((lock if lock is not None else 3600) * 1000)}"]
    return []


@dataclass
class Watch:
    """What the instrumented sessions did during one revision."""

    statements: list[str] = field(default_factory=list)
    session_ids: list[Any] = field(default_factory=list)
    foreign_urls: list[str] = field(default_factory=list)  # engines to another database

    @property
    def current(self) -> str | None:
        return self.statements[-1] if self.statements else None


@contextlib.contextmanager
def instrumented(url_text: str, bounds: Bounds, ours: set[int],
                 on_statement: Callable[[str], None] | None = None,
                 refuse_others: bool = False) -> Iterator[Watch]:
    """While it is open, connections to the target database are bounded and watched;
    ``ours``: ids of our own engines, left alone."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from ..database.connect import parse_url

    target = parse_url(url_text)
    watch = Watch()
    sqlite = target.get_backend_name() == "sqlite"

    def relevant(conn: Any) -> bool:
        engine = conn.engine
        if id(engine) in ours:
            return False
        if same_database(engine.url, target):
            return True
        memory = engine.url.get_backend_name() == "sqlite" and \
            engine.url.database in (None, "", ":memory:")
        if refuse_others and not memory:
            from ..database.url import mask_url

            watch.foreign_urls.append(mask_url(engine.url.render_as_string(hide_password=False)))
            raise RuntimeError("env.py connected to another database than the one apply was "
                               f"asked to migrate ({watch.foreign_urls[-1]})")
        return False

    def on_connect(conn: Any) -> None:
        if not relevant(conn):
            return
        dialect = conn.dialect.name
        raw = conn.connection.dbapi_connection
        cur = raw.cursor()
        try:
            for sql in settings_sql(dialect, bounds, bool(getattr(conn.dialect, "is_mariadb", 0))):
                cur.execute(sql)
            if dialect == "postgresql":
                cur.execute("SELECT pg_backend_pid()")
                watch.session_ids.append(cur.fetchone()[0])
            elif dialect in ("mysql", "mariadb"):
                cur.execute("SELECT CONNECTION_ID()")
                watch.session_ids.append(cur.fetchone()[0])
        finally:
            cur.close()
        if dialect != "sqlite":
            raw.commit()  # the settings are the session's; no transaction left open

    def on_begin(conn: Any) -> None:
        if not sqlite or not relevant(conn):
            return
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # an autocommit block stays outside any transaction
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    def before_execute(conn: Any, cursor: Any, statement: str, parameters: Any,
                       context: Any, executemany: bool) -> None:
        if id(conn.engine) in ours or not same_database(conn.engine.url, target):
            return
        if statement.strip().upper().startswith("BEGIN IMMEDIATE"):
            return
        text = " ".join(statement.split())
        watch.statements.append(text)
        if on_statement is not None:
            on_statement(text)

    event.listen(Engine, "engine_connect", on_connect)
    event.listen(Engine, "begin", on_begin)
    event.listen(Engine, "before_cursor_execute", before_execute)
    try:
        yield watch
    finally:
        event.remove(Engine, "engine_connect", on_connect)
        event.remove(Engine, "begin", on_begin)
        event.remove(Engine, "before_cursor_execute", before_execute)
