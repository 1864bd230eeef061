"""Opening a read-only connection, and turning driver failures into one clear line."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote
from typing import TYPE_CHECKING, Any

from ..errors import DatabaseUnreachable, DatabaseUrlInvalid
from .url import mask_url, raw_at_in_password, redact, url_secrets

if TYPE_CHECKING:
    from sqlalchemy.engine import URL, Engine

CONNECT_TIMEOUT = 5
# The connect-timeout argument each driver takes; a driver not named here gets none.
_TIMEOUT_ARG = {"psycopg": "connect_timeout", "psycopg2": "connect_timeout",
                "pymysql": "connect_timeout", "mysqldb": "connect_timeout", "pg8000": "timeout"}
# Async drivers are read through a sync driver of the same database (first one installed).
_SYNC_DRIVERS = {"postgresql": ("psycopg", "psycopg2", "pg8000"),
                 "mysql": ("pymysql", "mysqldb"), "mariadb": ("pymysql", "mysqldb"),
                 "sqlite": ("pysqlite",)}
_MODULES = {"psycopg": "psycopg", "psycopg2": "psycopg2", "pg8000": "pg8000",
            "pymysql": "pymysql", "mysqldb": "MySQLdb", "pysqlite": "sqlite3"}
_ASYNC_ONLY_QUERY = {"prepared_statement_cache_size", "prepared_statement_name_func",
                     "async_fallback", "ssl"}
SQLITE_BUSY_TIMEOUT = 10  # seconds a read waits for a writer's lock before SQLite gives up
_SERVER_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}


def parse_url(url: str) -> URL:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    if raw_at_in_password(url):
        raise DatabaseUrlInvalid(
            f"the database URL {mask_url(url)} has a raw '@' in its password: SQLAlchemy ends "
            "the password at the first '@' and reads the rest as the host and database",
            "percent-encode the password: '@' as %40 (and '/' %2F, '#' %23, '?' %3F, "
            "'%' %25, ' ' %20), e.g. urllib.parse.quote(password, safe='')")
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
    if _is_async(url):
        url = sync_equivalent(url, url_text)
        connect_args = {}  # they were written for the async driver
    try:
        if backend == "sqlite":
            path = sqlite_path(url)
            if path is not None:
                uri = f"file:{quote(str(path.resolve()))}?mode=ro"
                engine = create_engine(url, creator=lambda: sqlite3.connect(
                    uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT), **kwargs)
            else:
                engine = create_engine(url, **kwargs)
            return engine
        timeout_arg = _TIMEOUT_ARG.get(_driver(url))
        if backend in _SERVER_PORTS and timeout_arg:  # each driver its own name, or none
            connect_args.setdefault(timeout_arg, CONNECT_TIMEOUT)
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
        if backend in _SERVER_PORTS:  # the same statement on PostgreSQL and MySQL
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")

    return engine


def _driver(url: URL) -> str:
    try:
        return url.get_dialect().driver
    except Exception:  # noqa: BLE001 - unknown driver: create_engine says so
        return url.get_driver_name()


def _is_async(url: URL) -> bool:
    try:
        return bool(url.get_dialect().is_async)
    except Exception:  # noqa: BLE001
        return False


def sync_equivalent(url: URL, url_text: str) -> URL:
    """The same database through a sync driver that is installed (asyncpg -> psycopg,
    aiosqlite -> sqlite3, aiomysql -> PyMySQL): reading needs no event loop, and the
    async driver need not even be installed."""
    import importlib.util

    backend = url.get_backend_name()
    for driver in _SYNC_DRIVERS.get(backend, ()):
        if importlib.util.find_spec(_MODULES[driver]) is not None:
            query = {k: v for k, v in url.query.items() if k not in _ASYNC_ONLY_QUERY}
            if backend == "postgresql" and "ssl" in url.query and "sslmode" not in query:
                query["sslmode"] = url.query["ssl"]  # asyncpg's ssl=require is sslmode
            return url.set(drivername=f"{backend}+{driver}", query=query)
    raise DatabaseUnreachable(
        f"the URL {mask_url(url_text)} uses the async driver {url.get_driver_name()}; "
        f"migrate-doctor reads the database through a sync driver, and none for {backend} is "
        "installed",
        f"pip install {_driver_package(backend)} (in the environment migrate-doctor runs in)",
        evidence={"reason": "driver"})


def _sqlite_advice(reason: str, database: str) -> tuple[str, str]:
    """(kind, fix) for a SQLite failure: a file, not a network."""
    path = Path(database) if database and database != "the database" else None
    if "locked" in reason or "busy" in reason:
        return "locked", (f"another process holds a write lock on {database} for longer than "
                          f"{SQLITE_BUSY_TIMEOUT}s: run again when it is done, or find it "
                          f"(fuser {database})")
    if "not a database" in reason or "malformed" in reason:
        return "not-a-database", (f"{database} is not a SQLite database (or is damaged): check "
                                  "the path in the URL; `sqlite3 FILE .tables` tells")
    if path is not None and path.is_dir():
        return "is-a-directory", (f"{database} is a directory: the URL must name the database "
                                  "file inside it, e.g. sqlite:///instance/app.db")
    if path is not None and not path.parent.is_dir():
        return "file", (f"the directory {path.parent} does not exist (relative paths are taken "
                        "from the directory the command runs in): fix the path or create it")
    return "file", f"check that the SQLite file {database} and its directory are readable"


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
    try:
        url = parse_url(url_text)
        host, port = url.host or "localhost", url.port or _SERVER_PORTS.get(url.get_backend_name())
        user, database = url.username or "the user", url.database or "the database"
    except DatabaseUrlInvalid:
        host, port, user, database = "the host", None, "the user", "the database"
    where = f"{host}:{port}" if port else host
    sqlite = url_text.lower().startswith("sqlite")
    if sqlite:
        kind, fix = _sqlite_advice(low, database)
    elif "password authentication failed" in low or "access denied" in low:
        fix = f"check the password of {user} in the URL (and that {user} may log in to {database})"
        kind = "authentication"
    elif "does not exist" in low and "database" in low or "unknown database" in low:
        fix = f"create the database first (createdb {database} / CREATE DATABASE {database}), or fix its name"
        kind = "missing-database"
    elif "role" in low and "does not exist" in low:
        fix = f"create the role {user} (CREATE ROLE {user} LOGIN ...), or fix the user name in the URL"
        kind = "authentication"
    elif "permission denied" in low:
        fix = f"grant {user} SELECT on the tables migrate-doctor reads (the version table first)"
        kind = "permission"
    else:
        fix = (f"check that {where} is reachable from where this command runs and that the "
               "server is running (a firewall, a wrong host in DATABASE_URL, a container network)")
        kind = "network"
    if isinstance(orig, ImportError):
        kind, fix = "driver", "install the database driver"
    return DatabaseUnreachable(f"cannot connect to {masked}: {reason}", fix,
                               evidence={"reason": kind})
