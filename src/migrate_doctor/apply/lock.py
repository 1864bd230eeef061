"""One apply at a time per database, across servers: a lock the database itself keeps.

- PostgreSQL: a session advisory lock (``pg_try_advisory_lock``), its key derived from the
  database and the version table, so two projects sharing a server (or a database with
  separate version tables) do not wait on each other;
- MySQL/MariaDB: ``GET_LOCK`` with a name derived the same way;
- SQLite: an exclusive ``flock`` on the database file (independent of SQLite's own
  byte-range locks): every apply on the machine that can open the file sees it.

The lock lives in a session of its own and dies with it: a killed apply leaves nothing
to clean up. Waiting is bounded (``--wait``); while it waits, the holder is reported.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..database.connect import parse_url, sqlite_path


@dataclass
class Holder:
    """Who holds the lock (or a table lock), as far as the database tells."""

    pid: Any = None
    user: str | None = None
    application: str | None = None
    state: str | None = None
    query: str | None = None
    since: str | None = None
    lock: str | None = None
    host: str | None = None

    def said(self) -> str:
        parts = [f"pid {self.pid}" if self.pid is not None else "a session"]
        if self.user:
            parts.append(f"user {self.user}")
        if self.application:
            parts.append(f"application {self.application!r}")
        if self.host:
            parts.append(f"from {self.host}")
        if self.state:
            parts.append(f"state {self.state}")
        if self.since:
            parts.append(f"for {self.since}")
        if self.lock:
            parts.append(f"holding {self.lock}")
        text = ", ".join(parts)
        if self.query:
            q = " ".join(self.query.split())
            text += f", last query: {q[:200]}"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {k: (str(v) if k == "pid" and v is not None else v)
                for k, v in self.__dict__.items()}


class LockTimeout(Exception):
    def __init__(self, waited: float, holders: list[Holder]) -> None:
        super().__init__(f"waited {waited:.0f}s")
        self.waited = waited
        self.holders = holders


def lock_key(url_text: str, version_table: str, schema: str | None) -> tuple[int, str]:
    """(PostgreSQL bigint key, MySQL lock name) for this database's version table."""
    url = parse_url(url_text)
    ident = f"migrate-doctor:{url.database}:{schema or ''}.{version_table}"
    digest = hashlib.sha256(ident.encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    return key, "md_apply_" + digest.hex()[:40]


class MigrationLock:
    """``with MigrationLock(...) as lock:``; ``acquire`` waits up to ``wait`` seconds."""

    def __init__(self, url_text: str, version_table: str, schema: str | None,
                 engine_factory: Callable[[str, str], Any]) -> None:
        self.url_text = url_text
        self.url = parse_url(url_text)
        self.backend = self.url.get_backend_name()
        self.key, self.name = lock_key(url_text, version_table, schema)
        self._factory = engine_factory
        self.engine: Any = None
        self._conn: Any = None
        self._fd: int | None = None
        self.waited = 0.0

    @property
    def description(self) -> str:
        if self.backend == "postgresql":
            return f"PostgreSQL advisory lock {self.key}"
        if self.backend in ("mysql", "mariadb"):
            return f"GET_LOCK('{self.name}')"
        return "an exclusive flock on the SQLite file"

    def acquire(self, wait: float, on_wait: Callable[[list[Holder], float], None] | None = None,
                poll: float = 0.25) -> None:
        start = time.monotonic()
        told = -10.0
        self._open()
        while not self._try():
            now = time.monotonic()
            self.waited = now - start
            if self.waited >= wait:
                holders = self.holders()
                self.release()
                raise LockTimeout(self.waited, holders)
            if on_wait is not None and now - told >= 5.0:
                told = now
                on_wait(self.holders(), self.waited)
            time.sleep(min(poll, max(0.01, wait - self.waited)))
        self.waited = time.monotonic() - start

    def _open(self) -> None:
        if self.backend == "sqlite":
            path = sqlite_path(self.url)
            if path is None:
                return  # in memory: one process, nothing to share
            self._fd = os.open(str(path), os.O_RDONLY | os.O_CREAT, 0o644)
            return
        self.engine = self._factory(self.url_text, "lock")
        self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def _try(self) -> bool:
        from sqlalchemy import text

        if self.backend == "sqlite":
            if self._fd is None:
                return True
            import fcntl

            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False
        if self.backend == "postgresql":
            return bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                           {"k": self.key}).scalar())
        got = self._conn.execute(text("SELECT GET_LOCK(:n, 0)"), {"n": self.name}).scalar()
        return got == 1

    def holders(self) -> list[Holder]:
        """Who holds the lock now (PostgreSQL and MySQL tell; SQLite does not)."""
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        if self._conn is None:
            return []
        try:
            if self.backend == "postgresql":
                rows = self._conn.execute(text(
                    "SELECT a.pid, a.usename, a.application_name, a.state, a.query, "
                    "date_trunc('second', now() - a.backend_start)::text FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                    "AND l.granted AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1"),
                    {"hi": (self.key >> 32) & 0xFFFFFFFF, "lo": self.key & 0xFFFFFFFF}).all()
            else:
                rows = self._conn.execute(text(
                    "SELECT p.ID, p.USER, p.HOST, p.COMMAND, p.INFO, p.TIME FROM "
                    "information_schema.PROCESSLIST p WHERE p.ID = IS_USED_LOCK(:n)"),
                    {"n": self.name}).all()
        except SQLAlchemyError:
            return []
        if self.backend == "postgresql":
            return [Holder(r[0], r[1], r[2], r[3], r[4], r[5], "the apply lock") for r in rows]
        return [Holder(r[0], r[1], None, r[3], r[4], f"{r[5]}s", "the apply lock", r[2])
                for r in rows]

    def release(self) -> None:
        from sqlalchemy import text
        from sqlalchemy.exc import SQLAlchemyError

        if self._fd is not None:
            import fcntl

            try:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
            finally:
                os.close(self._fd)
                self._fd = None
        if self._conn is not None:
            try:
                if self.backend == "postgresql":
                    self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
                else:
                    self._conn.execute(text("SELECT RELEASE_LOCK(:n)"), {"n": self.name})
            except SQLAlchemyError:
                pass
            finally:
                self._conn.close()
                self._conn = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
