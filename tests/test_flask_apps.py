"""diagnose, plan and verify on Flask apps as people write them: apps with `flask db`
commands of their own, target options after the subcommand, .flaskenv/.env, URLs that
the app rewrites or reads from a misspelled variable, missing packages, Flask-Migrate's
logging, unknown revisions from another branch, roles without the rights to migrate,
uncommitted migration files and drift printed as SQL.

The CLI is run as the installed console scripts only where the CLI itself is the point;
the rest goes through the in-process API on copies of tests/projects.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from _support import (
    BLOG_CREATE_COMMENTS,
    BLOG_CREATE_POSTS,
    LIB_ADD_ISBN,
    LIB_CREATE_AUTHORS,
    LIB_CREATE_BOOKS,
    PROJECTS,
    FlaskProject,
    Result,
    copy_project,
    describe,
    flask,
    git,
    git_init_commit,
    ids,
    loud_ids,
    migrate_doctor,
    only,
)

from migrate_doctor import api
from migrate_doctor.model import Severity

ITEMS = "3a1b2c3d4e5f"  # the one revision of tests/projects/flask_cli_app


def no_traceback(result: Result) -> Result:
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture
def cli_app(tmp_path: Path) -> Path:
    """tests/projects/flask_cli_app: apps whose `db` group has a `seed` command."""
    return copy_project("flask_cli_app", tmp_path)


def load_blog(blog: FlaskProject, monkeypatch: pytest.MonkeyPatch, **env: str) -> api.Report:
    """The blog diagnosed in-process, from its root, with these environment variables."""
    monkeypatch.chdir(blog.root)
    monkeypatch.syspath_prepend(str(blog.root))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for module in [m for m in sys.modules if m == "blog" or m.startswith("blog.")]:
        monkeypatch.delitem(sys.modules, module)
    return api.diagnose(api.Target(app="blog"))


# -- the app's own `flask db` commands -------------------------------------------------------

@pytest.mark.parametrize("app", ["own_db", "migrate_group"])
def test_app_db_commands_are_kept(cli_app: Path, tmp_path: Path, app: str):
    url = f"sqlite:///{tmp_path / 'shop.db'}"

    seed = no_traceback(flask("--app", app, "db", "seed", cwd=cli_app, DATABASE_URL=url))
    assert seed.code == 0, seed.output
    assert "seeded" in seed.stdout

    listed = no_traceback(flask("--app", app, "db", "--help", cwd=cli_app, DATABASE_URL=url))
    assert "seed" in listed.stdout and "diagnose" in listed.stdout

    result = no_traceback(flask("--app", app, "db", "diagnose", "--format", "json",
                                cwd=cli_app, DATABASE_URL=url))
    assert result.code == 0, result.output
    report = result.json()
    assert report["project"]["app"] == app
    assert report["project"]["heads"] == [ITEMS]
    assert "database-empty" in ids(report)


def test_app_db_group_when_the_app_cannot_load(cli_app: Path):
    """DATABASE_URL unset: the app raises while it loads; `flask db diagnose` says why."""
    result = no_traceback(flask("--app", "own_db", "db", "diagnose", "--format", "json",
                                cwd=cli_app))
    assert result.code == 1
    report = result.json()
    assert loud_ids(report) == ["database-url-missing"], describe(report)
    assert report["project"]["heads"] == [ITEMS]  # the scripts are still read

    seed = no_traceback(flask("--app", "own_db", "db", "seed", cwd=cli_app))
    assert seed.code != 0  # the app's own command needs the app, as without migrate-doctor


def test_flask_migrate_commands_still_run_through_the_app_group(cli_app: Path, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    upgrade = no_traceback(flask("--app", "migrate_group", "db", "upgrade", cwd=cli_app,
                                 DATABASE_URL=url))
    assert upgrade.code == 0, upgrade.output
    current = flask("--app", "migrate_group", "db", "current", cwd=cli_app, DATABASE_URL=url)
    assert ITEMS in current.output


# -- target options before and after the subcommand ------------------------------------------

def test_flask_db_directory_after_the_subcommand(blog: FlaskProject, tmp_path: Path):
    blog.url = f"sqlite:///{tmp_path / 'blog.db'}"
    blog.upgrade()
    blog.migrations.rename(blog.root / "db_migrations")

    for args in (["diagnose", "-d", "db_migrations"], ["diagnose", "--directory=db_migrations"],
                 ["-d", "db_migrations", "diagnose"]):
        result = no_traceback(blog.flask("db", *args, "--format", "json"))
        assert result.code == 0, (args, result.output)
        assert result.json()["project"]["migrations"].endswith("db_migrations"), args


def test_standalone_target_options_after_the_subcommand(library, blog: FlaskProject,
                                                          tmp_path: Path):
    library.set_url(f"sqlite:///{tmp_path / 'lib.db'}")
    before = no_traceback(migrate_doctor("-c", "alembic.ini", "diagnose", "--format", "json",
                                         cwd=library.root))
    after = no_traceback(migrate_doctor("diagnose", "-c", "alembic.ini", "--format", "json",
                                        cwd=library.root))
    assert after.json()["project"] == before.json()["project"]
    assert after.json()["project"]["heads"] == [LIB_ADD_ISBN]

    app = no_traceback(migrate_doctor("verify", "--app", "blog", cwd=blog.root,
                                      DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}"))
    assert app.code == 1 and "database-empty" in app.stderr
    plan = no_traceback(migrate_doctor("plan", "--app", "blog", "-d", "migrations", "--format",
                                       "json", cwd=blog.root,
                                       DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}"))
    assert plan.json()["project"]["app"] == "blog"


def test_standalone_reads_flaskenv_and_env(blog: FlaskProject, tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'blog.db'}"
    (blog.root / ".flaskenv").write_text("FLASK_APP=blog\n")
    (blog.root / ".env").write_text(f"DATABASE_URL={url}\n")

    result = no_traceback(migrate_doctor("diagnose", "--format", "json", cwd=blog.root))

    report = result.json()
    assert report["project"]["kind"] == "flask" and report["project"]["app"] == "blog"
    assert report["database"]["url"] == url
    (target,) = [f for f in report["findings"] if f["id"] == "target-database"]
    assert target["evidence"]["url_source"].endswith("from DATABASE_URL in .env")
    assert target["evidence"]["dotenv_file"] == ".env"

    # the shell wins over the files, as with `flask`
    other = f"sqlite:///{tmp_path / 'other.db'}"
    shell = no_traceback(migrate_doctor("diagnose", "--format", "json", cwd=blog.root,
                                        DATABASE_URL=other))
    (target,) = [f for f in shell.json()["findings"] if f["id"] == "target-database"]
    assert shell.json()["database"]["url"] == other
    assert target["evidence"]["url_source"].endswith("from the environment variable DATABASE_URL")

    skipped = no_traceback(migrate_doctor("diagnose", "--format", "json", cwd=blog.root,
                                          FLASK_SKIP_DOTENV="1"))
    assert skipped.json()["project"]["kind"] == "alembic"  # no FLASK_APP without the files


# -- where the URL came from ----------------------------------------------------------------

def _set_uri(blog: FlaskProject, expression: str) -> None:
    init = blog.package / "__init__.py"
    init.write_text(init.read_text().replace('os.environ["DATABASE_URL"]', expression))


def test_url_rewritten_by_the_app_still_comes_from_database_url(blog, postgres, monkeypatch):
    name = postgres.create_database()
    raw = postgres.url(name).replace("postgresql+psycopg://", "postgres://")
    _set_uri(blog, 'os.environ["DATABASE_URL"].replace("postgres://", '
                   '"postgresql+psycopg://", 1)')

    report = load_blog(blog, monkeypatch, DATABASE_URL=raw)

    target = only(report, "target-database")
    assert target.evidence["variable"] == "DATABASE_URL"
    assert "from the environment variable DATABASE_URL (rewritten" in target.evidence["url_source"]
    assert "%2F" not in report.database.url and postgres.socket_dir in report.database.url


def test_misspelled_variable_is_never_the_source(blog, tmp_path, monkeypatch):
    fallback = f"sqlite:///{tmp_path / 'dev.db'}"
    _set_uri(blog, f'os.environ.get("DATABSE_URL", {fallback!r})')

    # DATABASE_URL holds the very same value: matching values would name it
    report = load_blog(blog, monkeypatch, DATABASE_URL=fallback)

    source = only(report, "target-database").evidence["url_source"]
    assert "DATABASE_URL is set but the app never reads it" in source
    assert "it read DATABSE_URL, which is not set; DATABASE_URL is set: a misspelled name?" in source
    assert "from the environment variable" not in source


def test_url_built_from_parts(blog, postgres, monkeypatch):
    name = postgres.create_database()
    _set_uri(blog, 'f"postgresql+psycopg://postgres@/{os.environ[\'PGDATABASE\']}'
                   '?host={os.getenv(\'PGHOST\')}"')

    report = load_blog(blog, monkeypatch, PGDATABASE=name, PGHOST=postgres.socket_dir)

    source = only(report, "target-database").evidence["url_source"]
    assert "built from the environment variables" in source
    assert "PGDATABASE" in source and "PGHOST" in source


# -- a missing module, and the package that provides it --------------------------------------

def _import_in_app(blog: FlaskProject, module: str) -> None:
    init = blog.package / "__init__.py"
    init.write_text(init.read_text().replace("import os\n", f"import os\nimport {module}\n"))


@pytest.mark.parametrize("listed_in", ["requirements.txt", "pyproject.toml"])
def test_missing_module_named_by_the_requirement_that_provides_it(blog, monkeypatch, tmp_path,
                                                                   listed_in):
    _import_in_app(blog, "jwt")
    if listed_in == "requirements.txt":
        (blog.root / "requirements.txt").write_text("Flask>=3\nPyJWT==2.8.0  # tokens\n")
    else:
        (blog.root / "pyproject.toml").write_text(
            '[project]\nname = "blog"\nversion = "1"\ndependencies = ["flask", "PyJWT>=2"]\n')

    report = load_blog(blog, monkeypatch, DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}")

    f = only(report, "app-import-error")
    assert f.evidence["module"] == "jwt" and f.evidence["distribution"] == "PyJWT"
    assert f"install PyJWT (listed in {listed_in}" in f.fix
    assert "pip install jwt" not in f.fix


def test_missing_module_not_listed_anywhere(blog, monkeypatch, tmp_path):
    _import_in_app(blog, "jwt")

    report = load_blog(blog, monkeypatch, DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}")

    f = only(report, "app-import-error")
    assert "the package that provides module `jwt`" in f.fix
    assert "pip install" not in f.fix


def test_missing_module_of_the_project_itself(blog, monkeypatch, tmp_path):
    _import_in_app(blog, "blog.settings_local")

    report = load_blog(blog, monkeypatch, DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}")

    f = only(report, "app-import-error")
    assert "`blog.settings_local` is not in the project's `blog`" in f.fix
    assert "pip" not in f.fix


def test_missing_submodule_of_an_installed_package(blog, monkeypatch, tmp_path):
    _import_in_app(blog, "flask_migrate.no_such_part")

    report = load_blog(blog, monkeypatch, DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}")

    f = only(report, "app-import-error")
    assert f.evidence["distribution"] == "Flask-Migrate"
    assert "Flask-Migrate is installed but has no module `flask_migrate.no_such_part`" in f.fix


# -- Flask-Migrate's errors hidden by alembic.ini's logging ----------------------------------

OLD_LOGGING = ("keys = root,sqlalchemy,alembic,flask_migrate",
               "[logger_flask_migrate]\nlevel = INFO\nhandlers =\nqualname = flask_migrate\n")


@pytest.mark.fires("flask-migrate-errors-hidden")
def test_flask_migrate_errors_hidden_by_an_old_alembic_ini(blog: FlaskProject, tmp_path, fired):
    blog.url = f"sqlite:///{tmp_path / 'blog.db'}"
    blog.upgrade()
    ini = blog.migrations / "alembic.ini"
    fixed = ini.read_text()
    ini.write_text(fixed.replace(OLD_LOGGING[0], "keys = root,sqlalchemy,alembic")
                   .replace(OLD_LOGGING[1], ""))
    (blog.versions / f"{BLOG_CREATE_COMMENTS}_create_comments.py").unlink()

    # what the user sees: exit 1 and not a word about why
    silent = blog.flask("db", "upgrade")
    assert silent.code == 1 and "Can't locate revision" not in silent.output

    result, report = blog.diagnose_json()
    fired(report)
    (f,) = [f for f in report["findings"] if f["id"] == "flask-migrate-errors-hidden"]
    assert f["severity"] == "warning"
    assert "keys = root,sqlalchemy,alembic,flask_migrate" in f["fix"]
    assert "[logger_flask_migrate]" in f["fix"] and "qualname = flask_migrate" in f["fix"]

    # the fix, as given, brings the message back
    ini.write_text(fixed)
    loud = blog.flask("db", "upgrade")
    assert loud.code == 1 and "Can't locate revision" in loud.output
    _, report = blog.diagnose_json()
    assert "flask-migrate-errors-hidden" not in ids(report)


def test_flask_migrate_logging_kept_when_env_py_keeps_loggers(blog: FlaskProject, tmp_path):
    blog.url = f"sqlite:///{tmp_path / 'blog.db'}"
    ini, env = blog.migrations / "alembic.ini", blog.migrations / "env.py"
    ini.write_text(ini.read_text().replace(OLD_LOGGING[0], "keys = root,sqlalchemy,alembic")
                   .replace(OLD_LOGGING[1], ""))
    env.write_text(env.read_text().replace("fileConfig(config.config_file_name)",
                                           "fileConfig(config.config_file_name, "
                                           "disable_existing_loggers=False)"))
    _, report = blog.diagnose_json()
    assert "flask-migrate-errors-hidden" not in ids(report)


# -- "Can't locate revision": another branch, and stamp --purge ------------------------------

def test_unknown_revision_from_a_branch_whose_history_is_missing(library, database, fired):
    library.set_url(database.url)
    git_init_commit(library.root)
    git(library.root, "checkout", "-q", "-b", "feature/reviews")
    library.revision("add reviews", rev_id="c0ffee000001")
    library.revision("add ratings", rev_id="c0ffee000002")
    git(library.root, "add", "--all")
    git(library.root, "commit", "-q", "-m", "reviews and ratings")
    library.upgrade("head")
    git(library.root, "checkout", "-q", "main")

    report = fired(library.diagnose())

    f = only(report, "database-unknown-revision")
    assert f.evidence["git"]["missing_ancestors"] == ["c0ffee000001"]
    assert len(f.evidence["git"]["missing_on_branch"]) == 2
    assert "its ancestors are missing here too (c0ffee000001)" in f.message
    assert f.fix.startswith("git merge feature/reviews")
    assert "alembic stamp --purge <that revision>" in f.fix


def test_unknown_revision_stamp_uses_purge_under_flask(blog, monkeypatch, tmp_path):
    from sqlalchemy import create_engine, text

    path = tmp_path / "blog.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('0badc0ffee00')"))
    engine.dispose()

    report = load_blog(blog, monkeypatch, DATABASE_URL=f"sqlite:///{path}")

    f = only(report, "database-unknown-revision")
    assert "flask db stamp --purge <that revision>" in f.fix


# -- a role without the rights to migrate (PostgreSQL) ----------------------------------------

def _limited_role(postgres, database: str) -> tuple[str, str]:
    """A login role that may read everything in the database and write nothing."""
    import uuid

    role, password = f"md_ro_{uuid.uuid4().hex[:8]}", "limited-pw-1"
    postgres.add_password_role(role, password)
    postgres.admin(f'GRANT CONNECT ON DATABASE "{database}" TO {role}')
    postgres.admin(f"GRANT USAGE ON SCHEMA public TO {role}",
                   f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}",
                   f"REVOKE CREATE ON SCHEMA public FROM PUBLIC", database=database)
    return role, postgres.url(database, role, password)


@pytest.mark.fires("role-cannot-migrate")
def test_role_cannot_migrate_on_postgresql(library, postgres, fired):
    from sqlalchemy.exc import ProgrammingError

    name = postgres.create_database()
    library.set_url(postgres.url(name))
    library.upgrade(LIB_CREATE_AUTHORS)
    role, url = _limited_role(postgres, name)

    report = fired(library.diagnose(url=url))

    f = only(report, "role-cannot-migrate")
    assert f.severity is Severity.ERROR
    assert f.evidence["role"] == role and f.evidence["create_on_schema"] is False
    assert f.evidence["version_table_writable"] is False
    assert f.evidence["no_references"] == ["authors"]  # books' foreign key points to it
    assert f"GRANT CREATE ON SCHEMA public TO {role};" in f.fix
    assert f"GRANT INSERT, UPDATE, DELETE ON alembic_version TO {role};" in f.fix
    library.set_url(url)
    with pytest.raises(ProgrammingError, match="permission denied"):
        library.upgrade(LIB_CREATE_BOOKS)  # the claim is true: upgrade fails

    # the grants of the fix, run by the owner, are enough
    postgres.admin(*[line for line in f.fix.splitlines() if line.startswith("GRANT")],
                   database=name)
    assert "role-cannot-migrate" not in ids(library.diagnose(url=url))
    library.upgrade(LIB_CREATE_BOOKS)

    # books is now the role's; authors is still postgres's
    rev = library.revision("authors bio", rev_id="b10b10b10b10")
    rev.write_text(rev.read_text().replace(
        '"""Upgrade schema."""\n    pass',
        "op.add_column('authors', sa.Column('bio', sa.Text()))", 1))
    report = library.diagnose(url=url)
    f = only(report, "role-cannot-migrate")
    assert f.evidence["not_owned"] == {"authors": "postgres"}
    assert "it does not own authors (owner: postgres), which b10b10b10b10 alters" in f.message
    assert f"ALTER TABLE authors OWNER TO {role};" in f.fix
    assert "as the role that owns the tables (postgres)" in f.fix


def test_role_cannot_migrate_quiet_for_the_owner(library, postgres):
    name = postgres.create_database()
    library.set_url(postgres.url(name))
    library.upgrade(LIB_CREATE_AUTHORS)
    assert "role-cannot-migrate" not in ids(library.diagnose())


# -- script-not-in-git: staged files, and env.py / alembic.ini / script.py.mako ---------------

@pytest.mark.fires("script-not-in-git")
def test_staged_revision_and_untracked_env_py(library, fired):
    library.set_url(f"sqlite:///{library.root / 'lib.db'}")
    git(library.root, "init", "-q")
    git(library.root, "add", "alembic.ini", "models.py", "migrations/versions")
    git(library.root, "commit", "-q", "-m", "revisions, but not env.py")
    staged = library.revision("add reviews", rev_id="5ba9ed000001")
    git(library.root, "add", str(staged))

    report = fired(library.diagnose())

    by_state = {(f.evidence.get("file") or f.evidence.get("revision")): f.evidence["state"]
                for f in report.findings if f.id == "script-not-in-git"}
    assert by_state == {"5ba9ed000001": "staged but not committed",
                        "migrations/env.py": "untracked",
                        "migrations/script.py.mako": "untracked"}, describe(report)
    f = next(f for f in report.findings if f.id == "script-not-in-git"
             and f.evidence.get("revision") == "5ba9ed000001")
    assert f.fix.startswith("git commit migrations/versions/5ba9ed000001_add_reviews.py")

    git(library.root, "add", "--all")
    git(library.root, "commit", "-q", "-m", "the rest")
    assert "script-not-in-git" not in ids(library.diagnose())


def test_role_cannot_migrate_on_mariadb(library, mariadb):
    """A MySQL user with data privileges only: the missing ones are named, upgrade fails as
    said, and the GRANT of the fix is enough."""
    import uuid

    from sqlalchemy.exc import OperationalError

    name = mariadb.create_database()
    library.set_url(mariadb.url(name))
    library.upgrade(LIB_CREATE_AUTHORS)
    user = f"md_ro_{uuid.uuid4().hex[:6]}"
    mariadb.admin(f"CREATE USER '{user}'@'localhost' IDENTIFIED BY 'limited-pw-1'",
                  f"GRANT SELECT, INSERT, UPDATE, DELETE ON `{name}`.* TO '{user}'@'localhost'")
    url = (f"mysql+pymysql://{user}:limited-pw-1@localhost/{name}"
           f"?unix_socket={mariadb.socket}")

    f = only(library.diagnose(url=url), "role-cannot-migrate")
    missing = {(m["privilege"], m["table"]) for m in f.evidence["missing"]}
    assert ("CREATE", None) in missing and ("REFERENCES", "authors") in missing, missing
    grant = next(line for line in f.fix.splitlines() if line.startswith("GRANT"))
    library.set_url(url)
    with pytest.raises(OperationalError, match="denied"):
        library.upgrade(LIB_CREATE_BOOKS)  # the claim is true
    mariadb.admin(grant)
    assert "role-cannot-migrate" not in ids(library.diagnose(url=url))
    library.upgrade(LIB_CREATE_BOOKS)
