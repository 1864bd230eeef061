"""Bad input: one finding (diagnose) or one line (verify), the right exit status, never a
traceback, and nothing written to the database or the project.

These run the real `migrate-doctor` console script on a copy of the plain Alembic
project, whose head revision imports a module that is not installed."""

from __future__ import annotations

from typing import Any

import pytest
from _support import (
    LIB_ADD_ISBN,
    LIB_CREATE_AUTHORS,
    LIB_CREATE_BOOKS,
    PASSWORD,
    AlembicProject,
    describe,
    loud_ids,
    tree_snapshot,
)
from conftest import PG_ROLE, Database, Postgres


def assert_one_problem(project: AlembicProject, expected: str, *args: str,
                       diagnose_code: int = 1) -> dict[str, Any]:
    """diagnose (JSON and text) reports exactly one finding at warning or above, verify
    answers with one line; no traceback anywhere. Returns the diagnose JSON."""
    as_json = project.cli("diagnose", "--format", "json", *args)
    assert "Traceback" not in as_json.output, as_json.output
    assert as_json.code == diagnose_code, as_json.output
    report = as_json.json()
    assert loud_ids(report) == [expected], describe(report)
    assert report["summary"]["error"] + report["summary"]["warning"] == 1

    as_text = project.cli("diagnose", *args)
    assert "Traceback" not in as_text.output, as_text.output
    assert as_text.code == diagnose_code
    heads = [line for line in as_text.stdout.splitlines() if line.startswith(("error", "warning"))]
    assert len(heads) == 1 and expected in heads[0], as_text.stdout

    verify = project.cli("verify", *args)
    assert "Traceback" not in verify.output, verify.output
    assert verify.code == 1
    assert verify.stdout == ""
    lines = verify.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"not ready: {expected}:"), verify.stderr
    return report


class Unchanged:
    """Snapshots of the project tree and the database, compared at the end."""

    def __init__(self, project: AlembicProject, database: Database | None = None) -> None:
        self.project, self.database = project, database
        self.tree = tree_snapshot(project.root)
        self.db = database.snapshot() if database else None

    def check(self) -> None:
        assert tree_snapshot(self.project.root) == self.tree, "files in the project changed"
        if self.database is not None:
            assert self.database.snapshot() == self.db, "the database changed"


# -- scripts ---------------------------------------------------------------------------------

def _break(path, old: str, new: str) -> int:
    lines = path.read_text().splitlines()
    index = lines.index(old)
    lines[index] = new
    path.write_text("\n".join(lines) + "\n")
    return index + 1


@pytest.mark.fires("script-syntax-error")
def test_syntax_error_in_the_head_revision(library_db, fired):
    library, database = library_db
    library.upgrade(LIB_CREATE_BOOKS)
    line = _break(library.file(LIB_ADD_ISBN), "def upgrade() -> None:", "def upgrade( -> None:")
    unchanged = Unchanged(library, database)

    report = fired(assert_one_problem(library, "script-syntax-error"))

    (f,) = [f for f in report["findings"] if f["id"] == "script-syntax-error"]
    assert f["location"]["path"].endswith(library.file(LIB_ADD_ISBN).name)
    assert f["location"]["line"] == line
    unchanged.check()


def test_syntax_error_in_a_middle_revision(library_db):
    """The file after the broken one is not "dangling": its parent exists, it only
    does not parse. The database, at head, is not "unknown" either."""
    library, database = library_db
    library.upgrade("head")
    _break(library.file(LIB_CREATE_BOOKS), "def upgrade() -> None:", "def upgrade() -> None")
    unchanged = Unchanged(library, database)

    assert_one_problem(library, "script-syntax-error")
    unchanged.check()


# -- the database ------------------------------------------------------------------------

@pytest.mark.fires("database-unreachable")
@pytest.mark.parametrize("host", ["db.invalid:5432", "127.0.0.1:1"])
def test_unreachable_host(library, host, fired):
    url = f"postgresql+psycopg://{PG_ROLE}:{PASSWORD}@{host}/library"
    unchanged = Unchanged(library)

    report = fired(assert_one_problem(library, "database-unreachable", "--url", url))

    (f,) = [f for f in report["findings"] if f["id"] == "database-unreachable"]
    assert f["evidence"]["reason"] == "network"
    assert report["database"]["url"] == f"postgresql+psycopg://{PG_ROLE}:***@{host}/library"
    unchanged.check()


@pytest.mark.fires("database-unreachable")
def test_wrong_password(library, postgres: Postgres, fired):
    name = postgres.create_database()
    database = Database("postgresql", postgres.url(name), postgres=postgres, name=name)
    library.set_url(postgres.url(name, user=PG_ROLE, password=PASSWORD))
    unchanged = Unchanged(library, database)

    report = fired(assert_one_problem(library, "database-unreachable"))

    (f,) = [f for f in report["findings"] if f["id"] == "database-unreachable"]
    assert f["evidence"]["reason"] == "authentication"
    assert "password authentication failed" in f["message"]
    assert PG_ROLE in f["fix"] and name in f["fix"]  # the user's own role and database
    unchanged.check()


def test_right_password_connects(library, postgres: Postgres):
    """The role of the wrong-password test really can log in with its own password."""
    from conftest import PG_ROLE_PASSWORD

    name = postgres.create_database()
    # the role may create the tables it will migrate (else role-cannot-migrate says so)
    postgres.admin(f"GRANT CREATE ON SCHEMA public TO {PG_ROLE}", database=name)
    library.set_url(postgres.url(name, user=PG_ROLE, password=PG_ROLE_PASSWORD))
    result = library.cli("diagnose", "--format", "json")
    assert result.code == 0, result.output
    assert loud_ids(result.json()) == []


@pytest.mark.fires("database-unreachable")
def test_missing_postgresql_database(library, postgres: Postgres, fired):
    library.set_url(postgres.url("no_such_database"))
    before = postgres.admin("SELECT datname FROM pg_database ORDER BY 1")
    unchanged = Unchanged(library)

    report = fired(assert_one_problem(library, "database-unreachable"))

    (f,) = [f for f in report["findings"] if f["id"] == "database-unreachable"]
    assert f["evidence"]["reason"] == "missing-database"
    assert "createdb no_such_database" in f["fix"]
    assert postgres.admin("SELECT datname FROM pg_database ORDER BY 1") == before
    unchanged.check()


def test_missing_sqlite_file_is_not_created(library, tmp_path):
    path = tmp_path / "data" / "app.db"
    path.parent.mkdir()
    library.set_url(f"sqlite:///{path}")
    unchanged = Unchanged(library)

    result = library.cli("diagnose", "--format", "json")
    assert result.code == 0 and "Traceback" not in result.output
    report = result.json()
    assert loud_ids(report) == [], describe(report)
    assert "database-empty" in [f["id"] for f in report["findings"]]
    verify = library.cli("verify")
    assert verify.code == 1 and verify.stderr.startswith("not ready: database-empty:")
    assert len(verify.stderr.splitlines()) == 1
    assert list(path.parent.iterdir()) == []
    unchanged.check()


@pytest.mark.fires("database-unreachable")
def test_sqlite_path_that_is_a_directory(library, tmp_path, fired):
    folder = tmp_path / "not-a-file.db"
    folder.mkdir()
    library.set_url(f"sqlite:///{folder}")
    unchanged = Unchanged(library)

    fired(assert_one_problem(library, "database-unreachable"))
    assert list(folder.iterdir()) == []
    unchanged.check()


@pytest.mark.fires("version-table-inconsistent")
def test_version_table_with_a_row_and_its_ancestor(library_db, fired):
    library, database = library_db
    library.upgrade("head")
    database.execute(f"INSERT INTO alembic_version (version_num) VALUES ('{LIB_CREATE_AUTHORS}')")
    unchanged = Unchanged(library, database)

    report = fired(assert_one_problem(library, "version-table-inconsistent"))

    assert sorted(report["database"]["current"]) == sorted([LIB_CREATE_AUTHORS, LIB_ADD_ISBN])
    unchanged.check()


def test_version_table_with_two_unrelated_rows(library_db):
    """Head plus a row no script knows: the unknown row is the one problem to report."""
    library, database = library_db
    library.upgrade("head")
    database.execute("INSERT INTO alembic_version (version_num) VALUES ('0badc0ffee00')")
    unchanged = Unchanged(library, database)

    report = assert_one_problem(library, "database-unknown-revision")

    (f,) = [f for f in report["findings"] if f["id"] == "database-unknown-revision"]
    assert f["evidence"]["revision"] == "0badc0ffee00"
    unchanged.check()


# -- the URL -----------------------------------------------------------------------------

@pytest.mark.fires("database-url-invalid")
def test_percent_in_alembic_ini_url(library, fired):
    library.set_raw_ini_url(f"postgresql+psycopg://{PG_ROLE}:p%40ss{PASSWORD}@db.invalid/library")
    unchanged = Unchanged(library)

    report = fired(assert_one_problem(library, "database-url-invalid"))

    (f,) = [f for f in report["findings"] if f["id"] == "database-url-invalid"]
    assert "%" in f["message"] and "interpolation" in f["message"]
    assert "%%" in f["fix"]
    assert report["database"] is None or PASSWORD not in str(report["database"])
    unchanged.check()


@pytest.mark.parametrize("url, words", [
    (f"postgres://{PG_ROLE}:{PASSWORD}@db.invalid/library", "postgresql://"),
    ("not a database url", "dialect+driver://"),
    ("nosuchdialect://user@host/db", "postgresql+psycopg://"),
])
@pytest.mark.fires("database-url-invalid")
def test_invalid_url(library, url, words, fired):
    library.set_url(url)
    unchanged = Unchanged(library)

    report = fired(assert_one_problem(library, "database-url-invalid"))

    (f,) = [f for f in report["findings"] if f["id"] == "database-url-invalid"]
    assert words in f["fix"]
    unchanged.check()
