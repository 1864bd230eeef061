"""Replay: the schema the migrations produce, built in a scratch database of the live
database's dialect (SQLite, PostgreSQL, MariaDB), and `drift` built on it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from _support import (
    BLOG_CREATE_COMMENTS,
    LIB_CREATE_BOOKS,
    AlembicProject,
    FlaskProject,
    describe,
    ids,
)
from conftest import Database

from migrate_doctor import api


def drift_json(blog: FlaskProject) -> dict:
    result = blog.flask("db", "drift", "--format", "json")
    assert "Traceback" not in result.output, result.output
    return result.json()


def add_column_by_hand(database: Database, table: str, column: str) -> None:
    database.execute(f"ALTER TABLE {table} ADD COLUMN {column} VARCHAR(20)")


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mariadb"])
def test_hand_added_column_and_model_only_change_are_told_apart(blog: FlaskProject, tmp_path: Path,
                                                                 request, dialect: str):
    database = _database(request, tmp_path, dialect)
    blog.url = database.url
    blog.upgrade()
    add_column_by_hand(database, "posts", "shelf")
    models = blog.package / "models.py"
    models.write_text(models.read_text().replace(
        "    body = db.Column(db.Text, nullable=True)\n",
        "    body = db.Column(db.Text, nullable=True)\n    rating = db.Column(db.Integer)\n"))
    before = database.snapshot()

    report = drift_json(blog)

    manual = [f for f in report["findings"] if f["id"] == "manual-schema-change"]
    assert [f["evidence"]["difference"]["where"] for f in manual] == ["posts.shelf"], describe(report)
    assert manual[0]["evidence"]["difference"]["what"] == "extra"
    (model,) = [f for f in report["findings"] if f["id"] == "model-without-migration"]
    assert "posts.rating" in model["message"] and "flask db migrate" in model["fix"]
    assert "migration-without-model" not in ids(report)
    assert report["drift"]["scratch"] and "md_scratch_" in report["drift"]["scratch"]
    assert report["drift"]["replayed"] == 2
    assert database.snapshot() == before  # the live database is only read
    again = drift_json(blog)
    assert again["drift"]["replayed"] == 0 and again["drift"]["scratch"] is None
    assert sorted(ids(again)) == sorted(ids(report))
    _no_scratch_left(database, dialect)


def _database(request, tmp_path: Path, dialect: str) -> Database:
    if dialect == "mariadb":
        server = request.getfixturevalue("mariadb")
        name = server.create_database()
        return Database("mysql", server.url(name), name=name)
    if dialect == "sqlite":
        (tmp_path / "live").mkdir()
        path = tmp_path / "live" / "app.db"
        return Database("sqlite", f"sqlite:///{path}", path=path)
    pg = request.getfixturevalue("postgres")
    name = pg.create_database()
    return Database("postgresql", pg.url(name), postgres=pg, name=name)


def _no_scratch_left(database: Database, dialect: str) -> None:
    if dialect == "sqlite":
        import tempfile

        mine = [p for p in Path(tempfile.gettempdir()).glob("md_scratch_*")
                if f"_{os.getpid()}_" in p.name]
        assert not mine, mine
    elif dialect == "postgresql":
        assert not database.query("SELECT datname FROM pg_database WHERE datname LIKE 'md_scratch_%'")
    else:
        assert not database.query("SELECT schema_name FROM information_schema.schemata "
                                  "WHERE schema_name LIKE 'md_scratch_%'")


def test_migration_without_model(blog: FlaskProject, database: Database):
    blog.url = database.url
    blog.upgrade()
    models = blog.package / "models.py"
    text = models.read_text()
    models.write_text(text[:text.index("class Comment")])  # the model is gone, its table not
    report = drift_json(blog)
    (f,) = [f for f in report["findings"] if f["id"] == "migration-without-model"]
    assert "comments" in f["message"]


def test_clean_project_has_no_drift(blog: FlaskProject, database: Database):
    blog.url = database.url
    blog.upgrade()
    report = drift_json(blog)
    assert [f["id"] for f in report["findings"] if f["severity"] != "info"] == [], describe(report)


# -- plain Alembic env.py ----------------------------------------------------------------------

def _importable(library: AlembicProject) -> None:
    """The library's head revision imports a module that is not installed: make it not."""
    path = library.versions / "a93e4b6c7d80_add_books_isbn.py"
    path.write_text(path.read_text()
                    .replace("import some_module_that_is_not_installed\n", "")
                    .replace("some_module_that_is_not_installed.ISBN()", "sa.String(13)"))


@pytest.mark.parametrize("through", ["sqlalchemy.url", "DATABASE_URL"])
def test_plain_alembic_env_py_replays_into_the_scratch(library: AlembicProject, database: Database,
                                                       through: str):
    _importable(library)
    library.set_url(database.url)
    library.upgrade("head")
    add_column_by_hand(database, "books", "shelf")
    before = database.snapshot()
    env = {"DATABASE_URL": database.url} if through == "DATABASE_URL" else {}
    result = library.cli("drift", "--format", "json", **env)
    report = result.json()
    manual = [f for f in report["findings"] if f["id"] == "manual-schema-change"]
    assert [f["evidence"]["difference"]["where"] for f in manual] == ["books.shelf"], result.output
    assert database.snapshot() == before


def test_revision_that_cannot_be_imported_is_named(library: AlembicProject, database: Database):
    library.set_url(database.url)
    library.upgrade(LIB_CREATE_BOOKS)
    report = library.cli("drift", "--format", "json").json()
    (f,) = [f for f in report["findings"] if f["id"] == "replay-failed"]
    assert "a93e4b6c7d80_add_books_isbn.py" in f["location"]["path"]
    assert "some_module_that_is_not_installed" in f["message"]


def test_env_py_that_ignores_the_scratch_cannot_touch_the_live_database(library: AlembicProject,
                                                                         database: Database):
    _importable(library)
    library.set_url(database.url)
    library.upgrade(LIB_CREATE_BOOKS)
    env = library.migrations / "env.py"
    env.write_text(env.read_text().replace(
        "def database_url():\n",
        f"def database_url():\n    return {database.url!r}\n"))  # hard-wired: the live one
    before = database.snapshot()
    report = library.cli("drift", "--format", "json").json()
    (f,) = [f for f in report["findings"] if f["id"] == "replay-failed"]
    assert "live database" in f["message"], f
    assert database.snapshot() == before


# -- scratch databases are always dropped ------------------------------------------------------

KILLED = textwrap.dedent('''
    import sys, time
    from migrate_doctor.database.scratch import scratch_database
    with scratch_database(sys.argv[1]) as scratch:
        print(scratch.name, flush=True)
        time.sleep(60)
''')


def test_a_killed_run_leaves_no_scratch_after_the_next(postgres, blog: FlaskProject):
    name = postgres.create_database()
    url = postgres.url(name)
    with subprocess.Popen([sys.executable, "-c", KILLED, url], stdout=subprocess.PIPE,
                          text=True) as proc:
        scratch = proc.stdout.readline().strip()
        assert scratch.startswith("md_scratch_")
        assert postgres.admin(f"SELECT 1 FROM pg_database WHERE datname = '{scratch}'")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert postgres.admin(f"SELECT 1 FROM pg_database WHERE datname = '{scratch}'")  # left over
    blog.url = url
    blog.upgrade()
    drift_json(blog)  # the next run cleans up
    assert not postgres.admin(f"SELECT 1 FROM pg_database WHERE datname = '{scratch}'")


def test_sigterm_drops_the_scratch(postgres):
    name = postgres.create_database()
    with subprocess.Popen([sys.executable, "-c", KILLED, postgres.url(name)],
                          stdout=subprocess.PIPE, text=True) as proc:
        scratch = proc.stdout.readline().strip()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    for _ in range(50):
        if not postgres.admin(f"SELECT 1 FROM pg_database WHERE datname = '{scratch}'"):
            break
        time.sleep(0.1)
    assert not postgres.admin(f"SELECT 1 FROM pg_database WHERE datname = '{scratch}'")


# -- diagnose answers with the revision the schema is ---------------------------------------------

@pytest.mark.fires("database-unknown-revision")
def test_ghost_revision_is_named_and_the_proven_stamp_works(library: AlembicProject,
                                                            database: Database, fired):
    _importable(library)
    library.set_url(database.url)
    library.upgrade(LIB_CREATE_BOOKS)
    database.execute("UPDATE alembic_version SET version_num = 'a1b2c3d4e5f6'")
    report = fired(api.diagnose(library.target()))
    f = next(f for f in report.findings if f.id == "database-unknown-revision")
    assert f.evidence["schema_match"] == LIB_CREATE_BOOKS and f.evidence["exact"] is True
    assert "exactly revision 5c8d0e7a9b21" in f.message and "replayed" in f.message
    stamp = (f.fix or "").splitlines()[0].split("  (")[0]
    assert stamp == f"alembic stamp --purge {LIB_CREATE_BOOKS}", f.fix
    library.stamp(LIB_CREATE_BOOKS, purge=True)  # what the fix says
    after = api.diagnose(library.target())
    assert "database-unknown-revision" not in ids(after)
    assert "database-behind" in ids(after)
    library.upgrade("head")  # and the rest applies on top
    assert database.version_rows() == ["a93e4b6c7d80"]


@pytest.mark.fires("database-not-versioned")
def test_unversioned_database_is_matched_to_its_revision(library: AlembicProject,
                                                        database: Database, fired):
    _importable(library)
    library.set_url(database.url)
    library.upgrade(LIB_CREATE_BOOKS)
    database.execute("DROP TABLE alembic_version")
    f = next(f for f in fired(api.diagnose(library.target())).findings
             if f.id == "database-not-versioned")
    assert f.evidence["schema_match"] == LIB_CREATE_BOOKS and f.evidence["exact"]
    assert (f.fix or "").startswith(f"alembic stamp {LIB_CREATE_BOOKS}")


HALF = '''
op.add_column("books", sa.Column("shelf", sa.String(20), nullable=True))
op.create_index("ix_books_nope", "books", ["no_such_column"])
'''


@pytest.mark.fires("half-applied-revision")
def test_half_applied_revision_on_mariadb(library: AlembicProject, mariadb, fired):
    _importable(library)
    url = mariadb.url(mariadb.create_database())
    library.set_url(url)
    library.upgrade("head")
    new = library.revision("shelf and a broken index", rev_id="5e1f0000abcd")
    text = new.read_text()
    body = 'def upgrade() -> None:\n    """Upgrade schema."""\n    pass'
    assert body in text
    new.write_text(text.replace(body, "def upgrade() -> None:\n"
                                + textwrap.indent(HALF.strip(), "    ")))
    with pytest.raises(Exception):
        library.upgrade("head")  # the second step fails; MariaDB keeps the first
    report = fired(api.diagnose(library.target()))
    (f,) = [f for f in report.findings if f.id == "half-applied-revision"]
    assert f.evidence["revision"] == "5e1f0000abcd"
    assert f.evidence["present"] == ["add column books.shelf"]
    (missing,) = f.evidence["missing"]
    assert "after the statement that fails" in missing and "no_such_column" in missing
    assert "do not upgrade" in (f.fix or "")


OLD_STYLE_ENV = '''
from alembic import context
from flask import current_app
from sqlalchemy import engine_from_config, pool

config = context.config
# as Flask-Migrate's early templates did: the URL read from the app's config
config.set_main_option("sqlalchemy.url", current_app.config.get("SQLALCHEMY_DATABASE_URI"))
target_metadata = current_app.extensions["migrate"].db.metadata


def run_migrations_online():
    engine = engine_from_config(config.get_section(config.config_ini_section),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
'''


def test_old_flask_migrate_env_py_replays_into_the_scratch(blog: FlaskProject, database: Database):
    """An env.py of Flask-Migrate's early templates builds its engine from the app's config
    URL: it is pointed at the scratch database too (and the live one is left alone)."""
    (blog.migrations / "env.py").write_text(OLD_STYLE_ENV)
    blog.url = database.url
    blog.upgrade()
    add_column_by_hand(database, "posts", "shelf")
    before = database.snapshot()
    report = drift_json(blog)
    assert [f["evidence"]["difference"]["where"] for f in report["findings"]
            if f["id"] == "manual-schema-change"] == ["posts.shelf"], describe(report)
    assert database.snapshot() == before
