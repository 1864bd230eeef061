"""The pytest plugin (entry point ``pytest11``): migrate-doctor's `test` checks as collected
test items, and fixtures for testing one's own migrations with real rows.

Installing the package changes no test run: the plugin only adds its command-line options
and ini keys until a project turns it on, with ``--migrate-doctor`` or, in its pytest
configuration, ``migrate_doctor = true``. Then:

- the built-in checks are items of a ``migrate-doctor`` collector, one per revision per
  check (``upgrade-fails[abc123]``, ``fails-with-rows[abc123]``, ...) and one per
  whole-history check (``single-head``, ``models-differ-from-head``, ...), so that
  ``-k fails-with-rows`` or ``-k abc123`` selects them. `test` runs once (in each
  pytest-xdist worker that has one of them to run) and each item reports its case;
- fixtures: ``migration_db`` (an empty scratch database of the project's dialect, one per
  session and worker, emptied for each test), ``migrate`` (upgrade and downgrade it, with
  hooks to put rows in before a revision and check them after it) and ``migration_rows``
  (the row generator, with factories of one's own per table).

Which project: ``--migrate-doctor-config`` / ini ``migrate_doctor_config`` (an alembic.ini),
or ``--migrate-doctor-app`` / ``migrate_doctor_app`` (a Flask app, like FLASK_APP), else
``alembic.ini`` in the root directory, else FLASK_APP. The database URL (only its dialect
and server are used) is the project's, or ``migrate_doctor_url``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_ACTIVE = pytest.StashKey[bool]()
_RESULT = pytest.StashKey[dict[str, Any]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("migrate-doctor", "migrate-doctor: migrations tested with rows")
    group.addoption("--migrate-doctor", action="store_true", default=False,
                    help="collect migrate-doctor's built-in migration checks and enable its "
                         "fixtures (migration_db, migrate, migration_rows)")
    group.addoption("--migrate-doctor-config", default=None, metavar="INI",
                    help="alembic.ini of the project (plain Alembic)")
    group.addoption("--migrate-doctor-app", default=None, metavar="APP",
                    help="the Flask app (like FLASK_APP)")
    group.addoption("--migrate-doctor-url", default=None, metavar="URL",
                    help="a database URL of the project's engine (its dialect and server)")
    parser.addini("migrate_doctor", "enable migrate-doctor's checks and fixtures", type="bool",
                  default=False)
    parser.addini("migrate_doctor_config", "alembic.ini of the project", default="")
    parser.addini("migrate_doctor_app", "the Flask app (like FLASK_APP)", default="")
    parser.addini("migrate_doctor_directory", "the migrations directory", default="")
    parser.addini("migrate_doctor_url", "a database URL of the project's engine", default="")
    parser.addini("migrate_doctor_rows", "generated rows per table", default="")


def pytest_configure(config: pytest.Config) -> None:
    active = bool(config.getoption("--migrate-doctor") or config.getini("migrate_doctor"))
    config.stash[_ACTIVE] = active
    if active:
        config.addinivalue_line("markers", "migrate_doctor: a migrate-doctor built-in check")
        config.pluginmanager.register(Fixtures(config), "migrate-doctor-fixtures")


def _setting(config: pytest.Config, name: str) -> str | None:
    value = config.getoption(f"--migrate-doctor-{name}", None)
    return value or (config.getini(f"migrate_doctor_{name}") or None)


def target_of(config: pytest.Config) -> Any:
    from ..states import Target

    root = Path(str(config.rootpath))
    ini, app = _setting(config, "config"), _setting(config, "app")
    directory = config.getini("migrate_doctor_directory") or None
    url = _setting(config, "url")
    if ini:
        return Target(config=str(root / ini), directory=directory, url=url)
    if app:
        return Target(app=app, directory=directory, url=url)
    if (root / "alembic.ini").is_file():
        return Target(config=str(root / "alembic.ini"), directory=directory, url=url)
    return Target(app=os.environ.get("FLASK_APP"), directory=directory, url=url)


# -- the built-in checks as items ---------------------------------------------------------------

@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """Before -k and -m deselect: the checks join the collected items."""
    if not config.stash.get(_ACTIVE, False):
        return
    collector = MigrationChecks.from_parent(session, name="migrate-doctor",
                                            nodeid="migrate-doctor")
    items.extend(collector.collect())


class MigrationChecks(pytest.Collector):
    """One item per revision per check, and one per whole-history check."""

    def collect(self) -> list[pytest.Item]:
        from ..states import load_project, read_states
        from .checks import PER_REVISION, WHOLE_HISTORY

        project = load_project(target_of(self.config))
        ctx = read_states(project, database=False)
        order = ctx.graph.upgrade_order("heads") if ctx.graph is not None and ctx.graph.ok else []
        whole = (project.migrations_dir / "env.py") if project.migrations_dir else self.path
        out: list[pytest.Item] = []
        for check in WHOLE_HISTORY:
            out.append(CheckItem.from_parent(self, name=check.id, check=check.id, revision=None,
                                             path=whole))
        for rev in order:
            rf = ctx.graph.file(rev) if ctx.graph is not None else None
            for check in PER_REVISION:
                out.append(CheckItem.from_parent(self, name=f"{check.id}[{rev}]", check=check.id,
                                                 revision=rev, path=rf.path if rf else whole))
        if not order:
            out.append(CheckItem.from_parent(self, name="history", check="history", revision=None,
                                             path=whole))
        for item in out:
            item.add_marker("migrate_doctor")
        return out


class CheckFailed(Exception):
    pass


class CheckItem(pytest.Item):
    def __init__(self, *, check: str, revision: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check, self.revision = check, revision

    def runtest(self) -> None:
        result = _run_once(self.config)
        findings = result["findings"]
        errors = [f for f in findings if f["severity"] == "error"]
        if self.check == "history" or not result["cases"]:
            if errors:
                raise CheckFailed("\n\n".join(_said(f) for f in errors))
            return
        case = result["cases"].get((self.check, self.revision))
        if case is None:
            reason = "; ".join(f"{f['id']}: {f['message']}" for f in errors) or "not run"
            raise pytest.skip.Exception(f"not tested: {reason}"[:500], _use_item_location=True)
        if case["status"] == "skipped":
            raise pytest.skip.Exception(case.get("message") or "skipped",
                                        _use_item_location=True)
        if case["status"] == "failed":
            found = [f for f in findings if f["id"] == self.check
                     and (f.get("evidence") or {}).get("revision") == self.revision]
            raise CheckFailed("\n\n".join(_said(f) for f in found) or case.get("message", ""))

    def repr_failure(self, excinfo: Any, style: Any = None) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, 0, f"migrate-doctor {self.name}"


def _said(f: dict[str, Any]) -> str:
    lines = [f"{f['id']} ({f['severity']}): {f['message']}"]
    location = f.get("location") or {}
    if location.get("path"):
        lines.append(f"  at {location['path']}" + (f":{location['line']}" if location.get("line")
                                                    else ""))
    if f.get("fix"):
        lines.append(f"  fix: {f['fix']}")
    return "\n".join(lines)


def _run_once(config: pytest.Config) -> dict[str, Any]:
    """`migrate-doctor test` once per process (each xdist worker: its own scratch database),
    in a fresh interpreter: what the test session itself imported must not hide a model
    module the app never imports (model-module-not-imported)."""
    if _RESULT not in config.stash:
        config.stash[_RESULT] = _run_cli(config)
    return config.stash[_RESULT]


def _run_cli(config: pytest.Config) -> dict[str, Any]:
    import json
    import subprocess
    import sys

    target = target_of(config)
    argv = [sys.executable, "-c", "from migrate_doctor.cli.main import main; main()"]
    if target.config:
        argv += ["-c", target.config]
    elif target.app:
        argv += ["--app", target.app]
    if target.directory:
        argv += ["-d", target.directory]
    argv += ["test", "--format", "json"]
    if target.url:
        argv += ["--url", target.url]
    rows = str(config.getini("migrate_doctor_rows")).strip()
    if rows:
        argv += ["--rows", rows]
    proc = subprocess.run(argv, cwd=str(config.rootpath), capture_output=True, text=True,
                          check=False)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        tail = (proc.stdout + proc.stderr).strip()[-2000:]
        return {"findings": [{"id": "internal-error", "severity": "error", "fix": None,
                              "message": f"migrate-doctor test did not answer: {tail}"}],
                "cases": {}}
    cases = (report.get("test") or {}).get("cases") or []
    return {"findings": report.get("findings") or [],
            "cases": {(c["check"], c["revision"]): c for c in cases}}


# -- fixtures ---------------------------------------------------------------------------------------

class Fixtures:
    """Registered only when the plugin is on."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.fixture(scope="session")
    def migration_project(self) -> Any:
        """The project (a loaded migrate_doctor Project)."""
        from ..states import load_project

        project = load_project(target_of(self.config))
        project.ensure_env()
        return project

    @pytest.fixture(scope="session")
    def _migration_scratch(self, migration_project: Any) -> Iterator[Any]:
        from ..database.scratch import scratch_database

        url = migration_project.url
        if not url:
            pytest.skip("migrate-doctor: the project's database URL is not known (set "
                        "migrate_doctor_url)")
        with scratch_database(url) as scratch:
            yield scratch

    @pytest.fixture
    def migration_db(self, _migration_scratch: Any, migration_project: Any) -> Iterator[Any]:
        """An empty scratch database of the project's dialect (never the live one)."""
        db = MigrationDatabase(_migration_scratch)
        db.empty(migration_project)
        yield db
        db.dispose()

    @pytest.fixture
    def migration_rows(self) -> RowGenerator:
        """The generated-rows generator, with factories of one's own per table."""
        return RowGenerator()

    @pytest.fixture
    def migrate(self, migration_db: Any, migration_project: Any,
                migration_rows: RowGenerator) -> Migrator:
        """Upgrade and downgrade ``migration_db``, with hooks around revisions."""
        return Migrator(migration_project, migration_db, migration_rows)


class MigrationDatabase:
    def __init__(self, scratch: Any) -> None:
        self.scratch = scratch
        self.url: str = scratch.url
        self.dialect: str = scratch.dialect
        self._engine: Any = None

    @property
    def engine(self) -> Any:
        if self._engine is None:
            from sqlalchemy import create_engine
            from sqlalchemy.pool import NullPool

            self._engine = create_engine(self.url, poolclass=NullPool)
        return self._engine

    def empty(self, project: Any) -> None:
        from .session import in_env
        from .wipe import wipe

        in_env(project, self.url, wipe)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


Factory = Callable[[int], dict[str, Any]]


class RowGenerator:
    """``fill(conn, tables, rows)``: generated rows (``database.rows``), except in the
    tables given a factory of one's own: ``factory(table, fn)`` where ``fn(n)`` returns
    the n-th row (1-based) as a dict, or ``factory(table, rows=[...])``."""

    def __init__(self) -> None:
        self.factories: dict[str, Factory] = {}

    def factory(self, table: str, fn: Factory | None = None, *,
                rows: list[dict[str, Any]] | None = None) -> Any:
        if rows is not None:
            fixed = list(rows)
            self.factories[table] = lambda n: fixed[n - 1]
            self.factories[table].count = len(fixed)  # type: ignore[attr-defined]
            return None
        if fn is None:  # as a decorator
            def register(f: Factory) -> Factory:
                self.factories[table] = f
                return f
            return register
        self.factories[table] = fn
        return fn

    def fill(self, conn: Any, tables: list[str] | None = None, rows: int | None = None) -> dict[str, int]:
        import sqlalchemy as sa

        from ..database.rows import ROWS, fill

        rows = ROWS if rows is None else rows
        if tables is None:
            tables = [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"]
        counts: dict[str, int] = {}
        own = [t for t in tables if t in self.factories]
        for table in own:
            meta = sa.MetaData()
            reflected = sa.Table(table, meta, autoload_with=conn)
            factory = self.factories[table]
            n = min(rows, getattr(factory, "count", rows))
            values = [factory(i) for i in range(1, n + 1)]
            if values:
                conn.execute(reflected.insert(), values)
            counts[table] = len(values)
        rest = [t for t in tables if t not in self.factories]
        if rest:
            counts.update(fill(conn, rest, rows))
        return counts


class Migrator:
    """``migrate.up(rev)``, ``migrate.down(rev)``; ``migrate.before(rev)`` and
    ``migrate.after(rev)`` register ``fn(conn)`` to run right before / after that
    revision's upgrade (in its transaction); ``migrate.fill_before(rev)`` fills every table
    with generated rows before it. ``migrate.current`` is where the database is."""

    def __init__(self, project: Any, db: MigrationDatabase, rows: RowGenerator) -> None:
        self.project, self.db, self.rows = project, db, rows
        self._before: dict[str, list[Callable[[Any], Any]]] = {}
        self._after: dict[str, list[Callable[[Any], Any]]] = {}
        self.current: tuple[str, ...] = ()

    def before(self, revision: str, fn: Callable[[Any], Any] | None = None) -> Any:
        return self._hook(self._before, revision, fn)

    def after(self, revision: str, fn: Callable[[Any], Any] | None = None) -> Any:
        return self._hook(self._after, revision, fn)

    def fill_before(self, revision: str, tables: list[str] | None = None,
                    rows: int | None = None) -> None:
        self.before(revision, lambda conn: self.rows.fill(conn, tables, rows))

    def _hook(self, table: dict[str, list[Callable[[Any], Any]]], revision: str,
              fn: Callable[[Any], Any] | None) -> Any:
        if fn is None:
            def register(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
                table.setdefault(revision, []).append(f)
                return f
            return register
        table.setdefault(revision, []).append(fn)
        return fn

    def up(self, revision: str = "heads") -> tuple[str, ...]:
        return self._run(lambda s: s.upgrade(revision))

    def down(self, revision: str = "base") -> tuple[str, ...]:
        target: Any = () if revision == "base" else (revision,)
        return self._run(lambda s: s.downgrade(target))

    def _run(self, action: Callable[[Any], None]) -> tuple[str, ...]:
        from .session import StepFailed, in_env, quiet_alembic_log

        def work(session: Any) -> tuple[str, ...]:
            def hook(rev: str, upgrade: bool, when: str) -> None:
                if not upgrade:
                    return
                for fn in (self._before if when == "before" else self._after).get(rev, []):
                    fn(session.conn)

            session.on_step(hook)
            try:
                action(session)
            except StepFailed as failed:
                raise MigrationFailed(str(failed)) from failed.error
            return session.heads

        with quiet_alembic_log():
            self.current = in_env(self.project, self.db.url, work)
        return self.current


class MigrationFailed(AssertionError):
    """A revision failed while the ``migrate`` fixture ran it."""
