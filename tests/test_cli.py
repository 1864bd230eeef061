"""Both CLIs as installed console scripts, in a clean environment: `flask db diagnose|verify`
(Flask-Migrate's group, extended by the package with no change to the app) and
`migrate-doctor diagnose|verify` (`-c alembic.ini` or `--app`).

Where the CLI behaviour itself is the point: loading apps that cannot load, exit
statuses, the JSON shape."""

from __future__ import annotations

import shutil

import pytest
from _support import (
    BLOG_CREATE_COMMENTS,
    BLOG_CREATE_POSTS,
    LIB_ADD_ISBN,
    LIB_CREATE_AUTHORS,
    LIB_REVISIONS,
    FlaskProject,
    Result,
    describe,
    loud_ids,
    migrate_doctor,
    tree_snapshot,
)

def no_traceback(result: Result) -> Result:
    assert "Traceback" not in result.output, result.output
    return result


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """For tests where the database is not the point (the app fails before it is used)."""
    return f"sqlite:///{tmp_path / 'blog.db'}"


# -- ways to run the Flask project's diagnose when its app cannot load -------------------------

def flask_db(blog: FlaskProject, *args: str, **env: str | None) -> Result:
    return blog.flask("db", *args, **env)


def flask_plugin(blog: FlaskProject, *args: str, **env: str | None) -> Result:
    return blog.flask("migrate-doctor", *args, **env)


def standalone_app(blog: FlaskProject, *args: str, **env: str | None) -> Result:
    return migrate_doctor("--app", "blog", *args, cwd=blog.root, **blog.env(**{**env, "FLASK_APP": None}))


RUNNERS = [
    pytest.param(flask_db, id="flask-db"),
    pytest.param(flask_plugin, id="flask-migrate-doctor"),
    pytest.param(standalone_app, id="migrate-doctor--app"),
]


@pytest.mark.fires("database-url-missing")
@pytest.mark.parametrize("runner", RUNNERS)
def test_factory_raises_because_database_url_is_unset(blog, runner, fired):
    before = tree_snapshot(blog.root)

    result = no_traceback(runner(blog, "diagnose", "--format", "json"))

    assert result.code == 1, result.output
    report = fired(result.json())
    assert loud_ids(report) == ["database-url-missing"], describe(report)
    (f,) = [f for f in report["findings"] if f["id"] == "database-url-missing"]
    assert "DATABASE_URL" in f["message"]
    assert f["evidence"]["variable"] == "DATABASE_URL"
    assert f["location"]["path"].endswith("blog/__init__.py")
    assert "export DATABASE_URL=" in f["fix"]

    verify = no_traceback(runner(blog, "verify"))
    assert verify.code == 1
    assert verify.stderr.startswith("not ready: database-url-missing:")
    assert "DATABASE_URL" in verify.stderr and len(verify.stderr.splitlines()) == 1
    assert tree_snapshot(blog.root) == before


@pytest.mark.fires("app-import-error")
@pytest.mark.parametrize("runner", RUNNERS)
def test_app_import_fails(blog, runner, sqlite_url, fired):
    init = blog.package / "__init__.py"
    source = init.read_text()
    init.write_text(source.replace("import os\n", "import os\nimport markdown_renderer_not_installed\n"))
    line = init.read_text().splitlines().index("import markdown_renderer_not_installed") + 1
    blog.url = sqlite_url

    result = no_traceback(runner(blog, "diagnose", "--format", "json"))

    assert result.code == 1, result.output
    report = fired(result.json())
    assert loud_ids(report) == ["app-import-error"], describe(report)
    (f,) = [f for f in report["findings"] if f["id"] == "app-import-error"]
    assert "markdown_renderer_not_installed" in f["message"]
    assert "ModuleNotFoundError" in f["message"]
    assert f["location"] == {"path": "blog/__init__.py", "line": line, "end_line": None,
                             "column": None}
    assert "the package that provides module `markdown_renderer_not_installed`" in f["fix"]
    assert "pip install markdown_renderer_not_installed" not in f["fix"]

    verify = no_traceback(runner(blog, "verify"))
    assert verify.code == 1 and verify.stderr.startswith("not ready: app-import-error:")


@pytest.mark.parametrize("runner", RUNNERS)
def test_factory_raises(blog, runner, sqlite_url, fired):
    init = blog.package / "__init__.py"
    init.write_text(init.read_text().replace(
        "    app = Flask(__name__)\n",
        "    app = Flask(__name__)\n    raise RuntimeError('SECRET_KEY must be configured')\n"))
    blog.url = sqlite_url

    result = no_traceback(runner(blog, "diagnose", "--format", "json"))

    assert result.code == 1, result.output
    report = fired(result.json())
    assert loud_ids(report) == ["app-import-error"], describe(report)
    (f,) = [f for f in report["findings"] if f["id"] == "app-import-error"]
    assert "RuntimeError: SECRET_KEY must be configured" in f["message"]
    assert f["location"]["path"] == "blog/__init__.py"


@pytest.mark.fires("app-not-found")
@pytest.mark.parametrize("runner", RUNNERS)
def test_no_app_and_no_alembic_ini(blog, runner, fired):
    shutil.rmtree(blog.package)

    result = no_traceback(runner(blog, "diagnose", "--format", "json", FLASK_APP=None))

    assert result.code == 1, result.output
    report = fired(result.json())
    assert loud_ids(report) == ["app-not-found"], describe(report)


def test_standalone_in_an_empty_directory(tmp_path, fired):
    result = no_traceback(migrate_doctor("diagnose", "--format", "json", cwd=tmp_path))
    assert result.code == 1, result.output
    report = fired(result.json())
    assert loud_ids(report) == ["app-not-found"], describe(report)
    assert list(tmp_path.iterdir()) == []

    verify = no_traceback(migrate_doctor("verify", cwd=tmp_path))
    assert verify.code == 1 and verify.stderr.startswith("not ready: app-not-found:")


def test_app_that_is_not_there(blog, fired):
    result = no_traceback(migrate_doctor("--app", "no_such_module", "diagnose", "--format",
                                         "json", cwd=blog.root))
    assert result.code == 1
    report = fired(result.json())
    assert loud_ids(report) == ["app-not-found"], describe(report)
    assert "no_such_module" in report["findings"][0]["message"]


def test_alembic_ini_that_is_not_there(library, fired):
    result = no_traceback(migrate_doctor("-c", "elsewhere/alembic.ini", "diagnose", "--format",
                                         "json", cwd=library.root))
    assert result.code == 1
    report = fired(result.json())
    assert loud_ids(report) == ["app-not-found"], describe(report)
    assert "elsewhere/alembic.ini" in report["findings"][0]["message"]


# -- Flask scenarios with a database ------------------------------------------------------

@pytest.mark.fires("database-behind")
def test_flask_db_diagnose_behind(blog, db_url, fired):
    blog.url = db_url
    blog.upgrade(BLOG_CREATE_POSTS)

    result, report = blog.diagnose_json()

    assert result.code == 1
    fired(report)
    assert loud_ids(report) == ["database-behind"], describe(report)
    (f,) = [f for f in report["findings"] if f["id"] == "database-behind"]
    assert f["evidence"]["pending"] == [BLOG_CREATE_COMMENTS]
    assert f["fix"].startswith("flask db upgrade")

    verify = no_traceback(blog.flask("db", "verify"))
    assert verify.code == 1
    assert verify.stderr.startswith("not ready: database-behind:")
    assert len(verify.stderr.splitlines()) == 1


@pytest.mark.fires("models-not-registered")
def test_flask_models_not_imported_in_the_factory(blog, db_url, fired):
    blog.url = db_url
    blog.upgrade()
    init = blog.package / "__init__.py"
    init.write_text(init.read_text().replace("    from . import models", "    # from . import models"))

    result, report = blog.diagnose_json()

    assert result.code == 1
    fired(report)
    (f,) = [f for f in report["findings"] if f["id"] == "models-not-registered"]
    assert f["evidence"]["missing"] == ["comments", "posts"]
    assert "create_app()" in f["fix"]


@pytest.mark.fires("migrations-dir-missing")
def test_flask_migrations_dir_missing(blog, db_url, fired):
    blog.url = db_url
    shutil.rmtree(blog.migrations)

    result, report = blog.diagnose_json()

    assert result.code == 1
    fired(report)
    assert loud_ids(report) == ["migrations-dir-missing"], describe(report)
    assert "flask db init" in report["findings"][0]["fix"]
    assert not blog.migrations.exists()


@pytest.mark.fires("database-url-invalid")
def test_flask_heroku_style_url(blog, fired):
    blog.url = "postgres://blog@db.invalid/blog"

    result = no_traceback(standalone_app(blog, "diagnose", "--format", "json"))

    assert result.code == 1, result.output
    report = fired(result.json())
    assert loud_ids(report) == ["database-url-invalid"], describe(report)
    assert "postgresql://" in report["findings"][0]["fix"]


def test_flask_db_directory_option(blog, sqlite_url):
    """`flask db --directory X diagnose` reads the migrations from X."""
    blog.url = sqlite_url
    blog.upgrade()
    blog.migrations.rename(blog.root / "db_migrations")

    result = no_traceback(blog.flask("db", "--directory", "db_migrations", "diagnose", "--format",
                                     "json"))
    assert result.code == 0, result.output
    assert result.json()["project"]["migrations"].endswith("db_migrations")


# -- plain Alembic through the standalone CLI ----------------------------------------------

@pytest.mark.fires("migrations-dir-missing")
def test_alembic_script_location_missing(library, fired):
    shutil.rmtree(library.migrations)

    result = no_traceback(library.cli("diagnose", "--format", "json"))

    assert result.code == 1
    report = fired(result.json())
    assert loud_ids(report) == ["migrations-dir-missing"], describe(report)
    assert "alembic init" in report["findings"][0]["fix"]


@pytest.mark.fires("database-url-missing")
def test_alembic_without_a_url(library, fired):
    result = no_traceback(library.cli("diagnose", "--format", "json"))

    assert result.code == 1
    report = fired(result.json())
    assert loud_ids(report) == ["database-url-missing"], describe(report)
    assert report["database"] is None
    assert report["project"]["heads"] == [LIB_ADD_ISBN]

    verify = no_traceback(library.cli("verify"))
    assert verify.code == 1 and verify.stderr.startswith("not ready: database-url-missing:")


def test_alembic_url_from_the_environment(library, db_url):
    """env.py reads DATABASE_URL: the URL's source is named."""
    result = no_traceback(library.cli("diagnose", "--format", "json", DATABASE_URL=db_url))
    report = result.json()
    (target,) = [f for f in report["findings"] if f["id"] == "target-database"]
    assert target["evidence"]["url_source"] == "env.py, from the environment variable DATABASE_URL"
    assert report["database"]["url"] == db_url


@pytest.mark.fires("app-import-error")
def test_alembic_env_py_raises(library_db, fired):
    library, _ = library_db
    env = library.migrations / "env.py"
    env.write_text(env.read_text().replace("config = context.config\n",
                                           "config = context.config\nimport company_settings\n"))

    result = no_traceback(library.cli("diagnose", "--format", "json"))

    assert result.code == 1
    report = fired(result.json())
    assert loud_ids(report) == ["app-import-error"], describe(report)
    f = report["findings"][0]
    assert "company_settings" in f["message"] and "env.py" in f["message"]
    assert f["location"]["path"].endswith("migrations/env.py")


def test_json_shape(library_db):
    library, database = library_db
    library.upgrade(LIB_CREATE_AUTHORS)

    result = no_traceback(library.cli("diagnose", "--format", "json"))

    assert result.code == 1
    report = result.json()
    assert set(report) >= {"tool", "project", "database", "findings", "summary"}
    assert report["tool"]["name"] == "migrate-doctor" and report["tool"]["command"] == "diagnose"
    project = report["project"]
    assert project["kind"] == "alembic"
    assert project["migrations"] == str(library.migrations)
    assert project["revisions"] == len(LIB_REVISIONS)
    assert project["heads"] == [LIB_ADD_ISBN]
    db = report["database"]
    assert db["url"] == database.url and db["dialect"] == database.dialect
    assert db["current"] == [LIB_CREATE_AUTHORS]
    assert report["summary"] == {"error": 1, "warning": 0, "info": 1}
    for f in report["findings"]:
        assert set(f) >= {"id", "severity", "title", "message", "fix", "location", "evidence"}
        assert f["severity"] in ("error", "warning", "info")
        assert not f["title"].endswith(".")
    assert [f["severity"] for f in report["findings"]] == ["error", "info"]  # worst first


# -- exit statuses ------------------------------------------------------------------------

def test_exit_status_warning_and_strict(library_db):
    library, database = library_db
    library.upgrade("head")
    database.execute("ALTER TABLE authors ADD COLUMN nickname VARCHAR(40)")

    assert library.cli("diagnose").code == 0
    strict = library.cli("diagnose", "--strict", "--format", "json")
    assert strict.code == 1
    assert loud_ids(strict.json()) == ["schema-drift"]


@pytest.mark.parametrize("args", [
    ["diagnose", "--format", "yaml"],
    ["diagnose", "--no-such-option"],
    ["no-such-command"],
    ["verify", "--format", "sarif"],
])
def test_usage_errors_exit_2(library, args):
    result = no_traceback(library.cli(*args))
    assert result.code == 2, result.output
    assert result.stdout == ""


@pytest.mark.parametrize("args", [["diagnose", "--format", "yaml"], ["verify", "--bogus"]])
def test_flask_db_usage_errors_exit_2(blog, sqlite_url, args):
    blog.url = sqlite_url
    result = no_traceback(blog.flask("db", *args))
    assert result.code == 2, result.output


def test_flask_db_help_lists_the_commands(blog, sqlite_url):
    blog.url = sqlite_url
    result = no_traceback(blog.flask("db", "--help"))
    assert result.code == 0
    for command in ("diagnose", "verify", "upgrade"):
        assert command in result.stdout


def test_flask_db_other_commands_still_work(blog, sqlite_url):
    blog.url = sqlite_url
    blog.upgrade()
    current = no_traceback(blog.flask("db", "current"))
    assert current.code == 0 and BLOG_CREATE_COMMENTS in current.output


def test_version_option(tmp_path):
    result = no_traceback(migrate_doctor("--version", cwd=tmp_path))
    assert result.code == 0 and "migrate-doctor" in result.stdout
