"""Plain Alembic projects as people write them: env.py straight from `alembic init` (the
async template included), an unguarded fileConfig(), config.attributes, no
target_metadata, model modules nothing imports, no revision yet, and models compared
with the database the way the project's own autogenerate compares them.

Each case is a small project under tests/projects (alembic_bare, alembic_async), copied
and run through the in-process API.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path

import pytest
from _support import AlembicProject, copy_project, describe, ids, loud_ids, only, tree_snapshot

from migrate_doctor import api
from migrate_doctor.model import Severity

NOTES = "6e0d1a2b3c4d"  # the one revision of alembic_async


def set_url(ini: Path, url: str) -> None:
    text = ini.read_text(encoding="utf-8")
    ini.write_text(re.sub(r"(?m)^sqlalchemy\.url =.*$",
                          lambda m: f"sqlalchemy.url = {url.replace('%', '%%')}", text))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def forget_modules(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Each copy of a project imports its own models (prepend_sys_path = .): the
    process's import caches still hold the previous copy's directory under '.'."""
    import importlib

    importlib.invalidate_caches()
    for module in [m for m in sys.modules if m.split(".")[0] in names]:
        monkeypatch.delitem(sys.modules, module)


@pytest.fixture
def bare(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = copy_project("alembic_bare", tmp_path)
    monkeypatch.chdir(root)
    forget_modules(monkeypatch, "app")
    return root


@pytest.fixture
def async_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AlembicProject:
    project = AlembicProject(copy_project("alembic_async", tmp_path))
    monkeypatch.chdir(project.root)
    forget_modules(monkeypatch, "notes_models")
    return project


def diagnose(root: Path, url: str | None = None) -> api.Report:
    return api.diagnose(api.Target(config=str(root / "alembic.ini"), url=url))


# -- env.py sees the config as alembic gives it ----------------------------------------------

def test_unguarded_fileconfig_runs_and_leaves_our_logging_alone(bare: Path, tmp_path: Path):
    set_url(bare / "alembic.ini", f"sqlite:///{tmp_path / 'bare.db'}")
    root_logger = logging.getLogger()
    before = (list(root_logger.handlers), root_logger.level, logging.getLogger("alembic").level)

    report = diagnose(bare)

    assert "app-import-error" not in ids(report), describe(report)
    assert report.database is not None and report.database.dialect == "sqlite"
    after = (list(root_logger.handlers), root_logger.level, logging.getLogger("alembic").level)
    assert after == before


def test_url_option_reaches_env_py_and_no_connection_is_handed_in(bare: Path, tmp_path: Path):
    """env.py honours config.attributes['connection']: migrate-doctor hands none in (it
    would have to open one), so env.py takes the URL, and --url is that URL."""
    from migrate_doctor.api import load_project

    set_url(bare / "alembic.ini", f"sqlite:///{tmp_path / 'ini.db'}")
    edit(bare / "migrations/env.py", 'connection = config.attributes.get("connection", None)',
         'connection = config.attributes.get("connection", None)\n'
         'assert connection is None, "a connection was handed in"')
    override = f"sqlite:///{tmp_path / 'override.db'}"

    project = load_project(api.Target(config=str(bare / "alembic.ini"), url=override))

    assert project.problems == []
    assert project.env_url == override  # what env.py itself passed to configure()
    assert project.url == override and project.url_source == "the --url option"


def test_env_py_connecting_offline_creates_no_sqlite_file(bare: Path, tmp_path: Path):
    path = tmp_path / "never.db"
    set_url(bare / "alembic.ini", f"sqlite:///{path}")
    edit(bare / "migrations/env.py", '    url = config.get_main_option("sqlalchemy.url")\n',
         '    url = config.get_main_option("sqlalchemy.url")\n'
         '    from sqlalchemy import create_engine, text\n'
         '    with create_engine(url).connect() as conn:  # connects even offline\n'
         '        conn.execute(text("SELECT 1"))\n')
    tree = tree_snapshot(bare)

    report = diagnose(bare)

    assert "app-import-error" not in ids(report), describe(report)
    assert not path.exists(), "diagnose created the SQLite file"
    assert tree_snapshot(bare) == tree
    assert only(report, "database-empty").evidence["exists"] is False


# -- what env.py does not give -------------------------------------------------------------

@pytest.mark.fires("target-metadata-missing")
def test_env_py_without_target_metadata(bare: Path, tmp_path: Path, fired):
    set_url(bare / "alembic.ini", f"sqlite:///{tmp_path / 'bare.db'}")

    report = fired(diagnose(bare))

    f = only(report, "target-metadata-missing")
    assert f.severity is Severity.INFO
    assert "autogenerate cannot run" in f.message and "migrations/env.py" in f.message
    assert "target_metadata = Base.metadata" in f.fix
    assert "models-not-registered" not in ids(report)


def test_empty_metadata_and_empty_history_is_not_drop_every_table(bare: Path, tmp_path: Path):
    set_url(bare / "alembic.ini", f"sqlite:///{tmp_path / 'bare.db'}")
    (bare / "app/models/tags.py").unlink()
    edit(bare / "migrations/env.py", "target_metadata = None",
         "from app.models import Base\ntarget_metadata = Base.metadata")

    report = diagnose(bare)

    assert loud_ids(report) == [], describe(report)


@pytest.mark.fires("models-not-registered")
def test_model_module_nothing_imports_is_named(bare: Path, tmp_path: Path, fired):
    set_url(bare / "alembic.ini", f"sqlite:///{tmp_path / 'bare.db'}")
    edit(bare / "migrations/env.py", "target_metadata = None",
         "from app.models import Base\ntarget_metadata = Base.metadata")

    report = fired(diagnose(bare))

    f = only(report, "models-not-registered")
    assert f.severity is Severity.WARNING
    assert "app/models/tags.py defines tags but nothing imports it" in f.message
    assert "drop every table" not in f.message
    assert "import app.models.tags" in f.fix
    assert f.evidence["unimported"] == {"app/models/tags.py": ["tags"]}


@pytest.mark.fires("first-migration-missing")
def test_first_migration_missing(bare: Path, tmp_path: Path, fired):
    set_url(bare / "alembic.ini", f"sqlite:///{tmp_path / 'bare.db'}")
    edit(bare / "migrations/env.py", "target_metadata = None",
         "import app.models.tags\nfrom app.models import Base\ntarget_metadata = Base.metadata")

    report = fired(diagnose(bare))

    f = only(report, "first-migration-missing")
    assert f.evidence["tables"] == ["tags"] and f.evidence["existing"] == []
    assert f.fix.startswith('alembic revision --autogenerate -m "initial schema"')
    assert "models-not-registered" not in ids(report)


# -- async projects ---------------------------------------------------------------------------

def _upgrade(project: AlembicProject, url: str) -> None:
    """`alembic upgrade head`, with the config as alembic builds it (its fileConfig kept
    away from the test process's logging)."""
    import logging.config

    from alembic import command
    from alembic.config import Config

    set_url(project.ini, url)
    saved = logging.config.fileConfig
    logging.config.fileConfig = lambda *a, **k: None
    try:
        command.upgrade(Config(str(project.ini)), "head")
    finally:
        logging.config.fileConfig = saved


def test_async_template_on_aiosqlite(async_project: AlembicProject, tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}"
    _upgrade(async_project, url)  # env.py online: async_engine_from_config + run_sync

    report = diagnose(async_project.root)

    assert loud_ids(report) == [], describe(report)
    assert report.database.dialect == "sqlite" and report.database.current == (NOTES,)
    assert report.project.heads == (NOTES,)


def test_async_url_on_postgresql_is_read_through_a_sync_driver(async_project, postgres):
    """Reading goes through psycopg, whether asyncpg is installed or not (here it is not)."""
    name = postgres.create_database()
    _upgrade(async_project, postgres.url(name))
    async_url = postgres.url(name).replace("+psycopg", "+asyncpg")

    report = diagnose(async_project.root, url=async_url)

    assert loud_ids(report) == [], describe(report)
    assert report.database.dialect == "postgresql" and report.database.current == (NOTES,)
    assert report.database.url.startswith("postgresql+asyncpg://")


# -- models vs database, as the project's autogenerate compares them -------------------------

def test_drift_judged_with_the_projects_settings(async_project: AlembicProject, database):
    if database.dialect == "sqlite":
        url = f"sqlite+aiosqlite:///{database.path}"
        _upgrade(async_project, url)
    else:
        _upgrade(async_project, database.url)
        url = database.url
    database.execute("ALTER TABLE notes ADD COLUMN extra VARCHAR(10)")
    if database.dialect == "postgresql":
        database.execute("ALTER TABLE notes ALTER COLUMN status SET DEFAULT 'new'")

    report = diagnose(async_project.root, url=url)

    drift = [f for f in report.findings if f.id == "schema-drift"]
    loud = [f for f in drift if f.severity is Severity.WARNING]
    assert len(loud) == 1, describe(report)
    assert "remove column notes.extra VARCHAR(10)" in loud[0].message
    assert loud[0].evidence["settings"] == {"compare_type": True, "compare_server_default": False}
    if database.dialect == "postgresql":
        (info,) = [f for f in drift if f.severity is Severity.INFO]
        assert "compare_server_default" in info.message
        assert "server default 'new'::character varying in the database, 'draft' in the models" \
            in info.message, info.message
        assert "DefaultClause" not in info.message and "TextClause" not in info.message
        # when the project compares server defaults, the same difference is a warning
        env = async_project.migrations / "env.py"
        edit(env, "        literal_binds=True,",
             "        literal_binds=True,\n        compare_server_default=True,")
        sys.modules.pop("notes_models", None)
        report = diagnose(async_project.root, url=url)
        (loud,) = [f for f in report.findings if f.id == "schema-drift"]
        assert loud.severity is Severity.WARNING and "server default" in loud.message


def test_drift_honours_include_object(async_project: AlembicProject, tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'notes.db'}"
    _upgrade(async_project, url)
    from sqlalchemy import create_engine, text

    engine = create_engine(f"sqlite:///{tmp_path / 'notes.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE audit_log (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    env = async_project.migrations / "env.py"
    edit(env, "        literal_binds=True,",
         "        literal_binds=True,\n"
         "        include_object=lambda obj, name, kind, reflected, other: name != 'audit_log',")

    report = diagnose(async_project.root)

    assert "schema-drift" not in ids(report), describe(report)
