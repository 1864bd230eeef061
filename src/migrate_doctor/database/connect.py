"""Opening a read-only connection, and turning driver failures into one clear line."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import DatabaseUnreachable, DatabaseUrlInvalid
from .url import mask_url, redact, url_secrets

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine

CONNECT_TIMEOUT = 5


def parse_url(url: str) -> URL:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise DatabaseUrlInvalid(
            f"the database URL {mask_url(url)!s} cannot be parsed: {redact(str(exc), url_secrets(url))}",
            "write it as dialect+driver://user:password@host:port/dbname "
            "(percent-encode special characters in the password)",
        ) from None


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory database."""
    db = url.database
    if not db or db == ":memory:" or db.startswith("file::memory:"):
        return None
    if db.startswith("file:"):
        db = db[5:].split("?", 1)[0]
    return Path(db)


def create_readonly_engine(url_text: str, options: dict[str, Any] | None = None) -> Engine:
    """An engine that cannot write: SQLite opened with mode=ro, others in read-only
    transactions. A SQLite file that does not exist is not created."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.exc import NoSuchModuleError
    from sqlalchemy.pool import NullPool

    url = parse_url(url_text)
    backend = url.get_backend_name()
    if backend == "postgres":
        raise DatabaseUrlInvalid(
            f"the URL {mask_url(url_text)} uses the scheme postgres://, which SQLAlchemy does not accept",
            "write postgresql:// instead of postgres:// (or replace it when reading the URL: "
            "url.replace('postgres://', 'postgresql://', 1))",
        )
    kwargs: dict[str, Any] = {"poolclass": NullPool}
    connect_args = dict((options or {}).get("connect_args", {}))
    try:
        if backend == "sqlite":
            path = sqlite_path(url)
            if path is not None:
                uri = f"file:{path.resolve()}?mode=ro"
                engine = create_engine(url, creator=lambda: sqlite3.connect(uri, uri=True),
                                       **kwargs)
            else:
                engine = create_engine(url, **kwargs)
            return engine
        if backend == "postgresql":
            connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT)
        elif backend in ("mysql", "mariadb"):
            connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
    except NoSuchModuleError as exc:
        raise DatabaseUrlInvalid(
            f"the URL {mask_url(url_text)} names a dialect or driver SQLAlchemy does not know: "
            f"{exc}",
            "use a scheme such as postgresql+psycopg://, mysql+pymysql:// or sqlite:///",
        ) from None
    except ImportError as exc:
        raise DatabaseUnreachable(
            f"the driver for {mask_url(url_text)} is not installed ({exc.name or exc})",
            f"pip install {_driver_package(backend)}",
        ) from None

    @event.listens_for(engine, "begin")
    def _read_only(conn: Any) -> None:
        if backend == "postgresql":
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        elif backend in ("mysql", "mariadb"):
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")

    return engine


def _driver_package(backend: str) -> str:
    return {"postgresql": "'psycopg[binary]'", "mysql": "PyMySQL",
            "mariadb": "PyMySQL"}.get(backend, "the database driver")


def explain_connect_error(exc: BaseException, url_text: str) -> DatabaseUnreachable:
    """A one-line DatabaseUnreachable from whatever the driver raised."""
    orig = getattr(exc, "orig", None) or exc
    reason = " ".join(str(orig).split()) or type(orig).__name__
    reason = redact(reason, url_secrets(url_text))
    low = reason.lower()
    masked = mask_url(url_text)
    if "password authentication failed" in low or "access denied" in low:
        fix = "check the user and password in the URL (and that the role may log in)"
        kind = "authentication"
    elif "does not exist" in low and "database" in low or "unknown database" in low:
        fix = "create the database first (e.g. createdb NAME / CREATE DATABASE NAME), or fix its name"
        kind = "missing-database"
    elif "role" in low and "does not exist" in low:
        fix = "create the role, or fix the user name in the URL"
        kind = "authentication"
    elif "unable to open database file" in low:
        fix = "check the SQLite path and that its directory exists and is readable"
        kind = "file"
    elif "permission denied" in low:
        fix = "grant the connecting role SELECT on the tables migrate-doctor reads"
        kind = "permission"
    else:
        fix = "check that the host and port are reachable from here and the server is running"
        kind = "network"
    if isinstance(orig, ImportError):
        kind, fix = "driver", "install the database driver"
    return DatabaseUnreachable(f"cannot connect to {masked}: {reason}", fix,
                               evidence={"reason": kind})
