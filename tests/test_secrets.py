"""The database password never appears in any output: text or JSON, diagnose or verify,
stdout or stderr, whichever way the URL was given and however connecting fails."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from _support import PASSWORD, AlembicProject, FlaskProject, Result, migrate_doctor
from conftest import PG_ROLE, Postgres

from migrate_doctor import api

COMMANDS = (
    ("diagnose", "--format", "json"),
    ("diagnose",),
    ("verify",),
    ("verify", "--drift", "--format", "json"),
)


def assert_secret_kept(result: Result) -> None:
    for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        assert PASSWORD not in text, f"the password is in {name}:\n{text}"
        assert PASSWORD not in re.sub(r"\s+", "", text), f"the password is in {name} (wrapped)"
    assert "Traceback" not in result.output, result.output
    assert result.code == 1, result.output


def run_everything(run: Callable[..., Result], *extra: str) -> list[Result]:
    results = []
    for command in COMMANDS:
        result = run(*command, *extra)
        assert_secret_kept(result)
        if "json" in command:
            data = result.json()
            assert PASSWORD not in json.dumps(data)
            if data.get("database"):
                assert "***" in data["database"]["url"] or "@" not in data["database"]["url"]
        results.append(result)
    return results


def unreachable(host: str = "db.invalid:5432") -> str:
    return f"postgresql+psycopg://{PG_ROLE}:{PASSWORD}@{host}/library"


def wrong_password(postgres: Postgres, *, in_query: bool = False) -> str:
    name = postgres.create_database()
    if in_query:
        return f"postgresql+psycopg://{PG_ROLE}@/{name}?host={postgres.socket_dir}&password={PASSWORD}"
    return postgres.url(name, user=PG_ROLE, password=PASSWORD)


# -- plain Alembic --------------------------------------------------------------------------

def test_url_option_unreachable_host(library: AlembicProject):
    results = run_everything(library.cli, "--url", unreachable())
    assert "database-unreachable" in results[0].stdout


def test_ini_wrong_password(library: AlembicProject, postgres: Postgres):
    library.set_url(wrong_password(postgres))
    results = run_everything(library.cli)
    report = results[0].json()
    (f,) = [f for f in report["findings"] if f["id"] == "database-unreachable"]
    assert f["evidence"]["reason"] == "authentication"
    assert report["database"]["url"].startswith(f"postgresql+psycopg://{PG_ROLE}:***@/")


def test_password_in_the_query_string(library: AlembicProject, postgres: Postgres):
    library.set_url(wrong_password(postgres, in_query=True))
    results = run_everything(library.cli)
    assert "password=***" in results[0].json()["database"]["url"]


def test_environment_url_refused_connection(library: AlembicProject):
    url = unreachable("127.0.0.1:1")
    results = run_everything(lambda *args: library.cli(*args, DATABASE_URL=url))
    assert "database-unreachable" in results[0].stdout


def test_invalid_scheme_with_password(library: AlembicProject):
    library.set_url(f"postgres://{PG_ROLE}:{PASSWORD}@db.invalid/library")
    results = run_everything(library.cli)
    assert "database-url-invalid" in results[0].stdout


def test_percent_interpolation_with_password(library: AlembicProject):
    library.set_raw_ini_url(f"postgresql+psycopg://{PG_ROLE}:{PASSWORD}%21@db.invalid/library")
    results = run_everything(library.cli)
    assert "database-url-invalid" in results[0].stdout


def test_encoded_password(library: AlembicProject):
    """A password with characters that must be percent-encoded in the URL."""
    library.set_url(f"postgresql+psycopg://{PG_ROLE}:{PASSWORD}%40home@db.invalid/library")
    for result in run_everything(library.cli):
        assert f"{PASSWORD}@home" not in result.output


def test_api_report_and_errors(library: AlembicProject, postgres: Postgres):
    """The Python API's Report (every finding, its repr and its dict) keeps it too."""
    for url in (unreachable(), wrong_password(postgres), wrong_password(postgres, in_query=True)):
        for function in (api.diagnose, api.verify):
            report = function(library.target(url))
            assert report.has_errors
            assert PASSWORD not in json.dumps(report.to_dict(), default=str)
            assert PASSWORD not in repr(report.findings)
            assert PASSWORD not in repr(report.database)


# -- Flask -----------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["flask db", "flask migrate-doctor", "migrate-doctor --app"])
def test_flask_wrong_password(blog: FlaskProject, postgres: Postgres, how: str):
    blog.url = wrong_password(postgres)

    def run(*args: str, **env: str) -> Result:
        if how == "migrate-doctor --app":
            return migrate_doctor("--app", "blog", *args, cwd=blog.root, DATABASE_URL=blog.url)
        return blog.flask(*how.split()[1:], *args, **env)

    results = run_everything(run)
    assert "database-unreachable" in results[0].stdout


def test_flask_factory_error_that_quotes_the_url(blog: FlaskProject):
    """The app fails before migrate-doctor learns the URL, with the URL in the message."""
    init = blog.package / "__init__.py"
    init.write_text(init.read_text().replace(
        "    db.init_app(app)\n",
        "    raise RuntimeError(f\"cannot use {app.config['SQLALCHEMY_DATABASE_URI']}\")\n"))
    blog.url = unreachable()

    results = run_everything(lambda *args: blog.flask("migrate-doctor", *args))
    assert "app-import-error" in results[0].stdout
