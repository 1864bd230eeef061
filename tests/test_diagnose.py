"""One scenario per diagnose finding, built with real tools on a copy of the plain Alembic
project (tests/projects/alembic_library), each run on SQLite and on PostgreSQL.

The project's head revision imports a module that is not installed: every test here
also proves that the graph is read without importing the revision files.
"""

from __future__ import annotations

import py_compile
import shutil
from pathlib import Path

import pytest
from _support import (
    LIB_ADD_ISBN,
    LIB_CREATE_AUTHORS,
    LIB_CREATE_BOOKS,
    LIB_REVISIONS,
    describe,
    git,
    git_init_commit,
    ids,
    loud_ids,
    only,
    third_party_installed,
)

from migrate_doctor.model import Severity

# -- the version table against the scripts -------------------------------------------------

@pytest.mark.fires("database-behind")
def test_database_behind_lists_pending_revisions_in_upgrade_order(library_db, fired):
    library, _ = library_db
    library.upgrade(LIB_CREATE_AUTHORS)

    report = fired(library.diagnose())

    f = only(report, "database-behind")
    assert f.severity is Severity.ERROR
    assert f.evidence["current"] == [LIB_CREATE_AUTHORS]
    assert f.evidence["pending"] == [LIB_CREATE_BOOKS, LIB_ADD_ISBN]
    assert f.evidence["heads"] == [LIB_ADD_ISBN]
    assert f.message.index(LIB_CREATE_BOOKS) < f.message.index(LIB_ADD_ISBN)
    assert "alembic upgrade" in (f.fix or "")
    assert loud_ids(report) == ["database-behind"], describe(report)
    assert report.database is not None and report.database.current == (LIB_CREATE_AUTHORS,)
    assert report.exit_code() == 1


@pytest.mark.fires("database-not-versioned")
def test_database_not_versioned_when_tables_exist_without_version_table(library_db, fired):
    library, database = library_db
    library.upgrade("head")
    database.execute("DROP TABLE alembic_version")

    report = fired(library.diagnose())

    f = only(report, "database-not-versioned")
    assert f.severity is Severity.ERROR
    assert set(f.evidence["tables"]) == {"authors", "books"}
    assert f.evidence["heads"] == [LIB_ADD_ISBN]
    assert f"alembic stamp {LIB_ADD_ISBN}" in (f.fix or "")
    assert "database-behind" not in ids(report)
    assert report.exit_code() == 1


@pytest.mark.fires("database-empty")
def test_database_empty_is_info_only(library_db, fired):
    library, database = library_db

    report = fired(library.diagnose())

    f = only(report, "database-empty")
    assert f.severity is Severity.INFO
    assert loud_ids(report) == [], describe(report)
    assert report.exit_code() == 0
    assert database.tables() == set()
    if database.dialect == "sqlite":
        assert f.evidence["exists"] is False
        assert not database.path.exists(), "diagnose created the SQLite file"


def test_database_empty_sqlite_file_that_exists(library, tmp_path, fired):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    library.set_url(f"sqlite:///{path}")

    report = fired(library.diagnose())

    assert only(report, "database-empty").evidence["exists"] is True
    assert loud_ids(report) == [], describe(report)
    assert path.read_bytes() == b""


@pytest.mark.fires("database-unknown-revision")
def test_database_unknown_revision_names_git_commit_and_branch(library_db, fired):
    library, database = library_db
    git_init_commit(library.root)
    git(library.root, "checkout", "-q", "-b", "feature/reviews")
    new = library.revision("add reviews", rev_id="c0ffee123456")
    new.write_text(new.read_text().replace(
        "def upgrade() -> None:\n    pass",
        "def upgrade() -> None:\n    op.create_table('reviews', sa.Column('id', sa.Integer(), "
        "primary_key=True))"))
    # bytecode committed with it (as a user without PYTHONDONTWRITEBYTECODE would): it
    # holds the revision id too, and must not be named as the file git has
    py_compile.compile(str(new), cfile=str(new.parent / "__pycache__" / f"{new.stem}.cpython-311.pyc"))
    git(library.root, "add", "--all", "--force")
    git(library.root, "commit", "-q", "-m", "reviews")
    commit = git(library.root, "rev-parse", "HEAD")
    assert ".pyc" in git(library.root, "show", "--name-only", "--format=", "HEAD")
    library.upgrade("head")
    git(library.root, "checkout", "-q", "main")
    assert not new.exists()
    assert database.version_rows() == ["c0ffee123456"]

    report = fired(library.diagnose())

    f = only(report, "database-unknown-revision")
    assert f.severity is Severity.ERROR
    assert f.evidence["revision"] == "c0ffee123456"
    found = f.evidence["git"]
    assert found is not None, f.message
    assert commit.startswith(found["commit"])
    assert "feature/reviews" in found["branches"]
    assert found["path"].endswith(new.name)
    assert found["commit"] in f.message and "feature/reviews" in f.message
    assert found["commit"] in (f.fix or "")
    # the unknown row is not "behind" anything, and nothing else is blamed
    assert "database-behind" not in ids(report)
    assert report.exit_code() == 1


def test_database_unknown_revision_without_git(library_db, fired):
    library, database = library_db
    library.upgrade("head")
    database.execute(f"UPDATE alembic_version SET version_num = '0badc0ffee00' "
                     f"WHERE version_num = '{LIB_ADD_ISBN}'")

    report = fired(library.diagnose())

    f = only(report, "database-unknown-revision")
    assert f.evidence["revision"] == "0badc0ffee00" and f.evidence["git"] is None
    # the head revision imports a module that is not installed here: the history cannot be
    # replayed to say which revision the schema is, and the finding says so
    assert "some_module_that_is_not_installed" in f.evidence["replay_error"]
    assert "could not be worked out" in f.message
    assert loud_ids(report) == ["database-unknown-revision"], describe(report)


@pytest.mark.fires("version-table-inconsistent")
def test_version_table_inconsistent_ancestor_row(library_db, fired):
    library, database = library_db
    library.upgrade("head")
    database.execute(f"INSERT INTO alembic_version (version_num) VALUES ('{LIB_CREATE_AUTHORS}')")

    report = fired(library.diagnose())

    found = [f for f in report.findings if f.id == "version-table-inconsistent"]
    assert found, describe(report)
    assert any(f.evidence.get("ancestor") == LIB_CREATE_AUTHORS
               and f.evidence.get("descendant") == LIB_ADD_ISBN for f in found)
    assert all(f.severity is Severity.ERROR for f in found)
    assert f"stamp --purge {LIB_ADD_ISBN}" in (found[0].fix or "")
    assert report.exit_code() == 1


def test_version_table_inconsistent_empty_rows_beside_tables(library_db, fired):
    library, database = library_db
    library.upgrade("head")
    database.execute("DELETE FROM alembic_version")

    report = fired(library.diagnose())

    f = only(report, "version-table-inconsistent")
    assert set(f.evidence["tables"]) == {"authors", "books"}
    assert f.evidence["rows"] == []
    assert loud_ids(report) == ["version-table-inconsistent"], describe(report)


# -- live schema and models -------------------------------------------------------------

@pytest.mark.fires("schema-drift")
def test_schema_drift_after_a_manual_change(library_db, fired):
    library, database = library_db
    library.upgrade("head")
    database.execute("ALTER TABLE authors ADD COLUMN nickname VARCHAR(40)")

    report = fired(library.diagnose())

    f = only(report, "schema-drift")
    assert f.severity is Severity.WARNING
    assert any("authors.nickname" in d for d in f.evidence["differences"]), f.evidence
    assert loud_ids(report) == ["schema-drift"], describe(report)
    assert report.exit_code() == 0
    assert report.exit_code(strict=True) == 1


def test_no_schema_drift_when_behind(library_db, fired):
    """Drift is only judged at head: a database behind is reported as behind."""
    library, database = library_db
    library.upgrade(LIB_CREATE_BOOKS)

    report = fired(library.diagnose())

    assert loud_ids(report) == ["database-behind"], describe(report)


@pytest.mark.fires("models-not-registered")
def test_models_not_registered_when_a_model_is_not_imported(library_db, fired):
    library, _ = library_db
    library.upgrade("head")
    models = library.root / "models.py"
    text = models.read_text()
    models.write_text(text[: text.index("books = Table(")])

    report = fired(library.diagnose())

    f = only(report, "models-not-registered")
    assert f.severity is Severity.ERROR
    assert f.evidence["missing"] == ["books"]
    assert "env.py" in (f.fix or "")


def test_models_not_registered_needs_no_database(library, fired):
    """The models are a state of their own: the check runs with no database URL at all."""
    models = library.root / "models.py"
    text = models.read_text()
    models.write_text(text[: text.index("books = Table(")])

    report = fired(library.diagnose())

    assert report.database is None
    assert only(report, "models-not-registered").evidence["missing"] == ["books"]


def test_models_not_registered_when_metadata_is_empty(library_db, fired):
    library, _ = library_db
    library.upgrade("head")
    env = library.migrations / "env.py"
    env.write_text(env.read_text().replace(
        "target_metadata = load_models().metadata",
        "from sqlalchemy import MetaData\ntarget_metadata = MetaData()  # models never imported"))

    report = fired(library.diagnose())

    f = only(report, "models-not-registered")
    assert "has no tables" in f.message
    assert f.evidence["missing"] == ["authors", "books"]


# -- the revision scripts -------------------------------------------------------------------

@pytest.mark.fires("multiple-heads")
def test_multiple_heads_names_both_heads_and_their_common_ancestor(library_db, fired):
    library, _ = library_db
    library.upgrade("head")
    teammate = library.revision("add authors.born", rev_id="3f6d2a9c8b71",
                                head=LIB_CREATE_BOOKS, splice=True)

    report = fired(library.diagnose())

    f = only(report, "multiple-heads")
    assert f.severity is Severity.ERROR
    assert sorted(f.evidence["heads"]) == sorted([LIB_ADD_ISBN, "3f6d2a9c8b71"])
    assert f.evidence["common_ancestors"] == [LIB_CREATE_BOOKS]
    assert teammate.name in f.message
    assert "alembic merge heads" in (f.fix or "")
    assert report.project is not None
    assert sorted(report.project.heads) == sorted([LIB_ADD_ISBN, "3f6d2a9c8b71"])
    # the database, at one of the heads, still has the teammate's revision to apply
    assert only(report, "database-behind").evidence["pending"] == ["3f6d2a9c8b71"]


@pytest.mark.fires("dangling-down-revision")
def test_dangling_down_revision_when_the_parent_file_is_gone(library_db, fired):
    library, _ = library_db
    library.upgrade(LIB_CREATE_AUTHORS)
    missing = library.file(LIB_CREATE_BOOKS)
    missing.unlink()

    report = fired(library.diagnose())

    f = only(report, "dangling-down-revision")
    assert f.severity is Severity.ERROR
    assert f.evidence == {"revision": LIB_ADD_ISBN, "missing": LIB_CREATE_BOOKS,
                          "field": "down_revision"}
    assert f.location is not None and f.location.path.endswith(library.file(LIB_ADD_ISBN).name)
    assert f.location.line is not None


@pytest.mark.fires("duplicate-revision-id")
def test_duplicate_revision_id_in_a_copied_file(library_db, fired):
    library, _ = library_db
    library.upgrade("head")
    original = library.file(LIB_CREATE_BOOKS)
    copy = original.with_name(f"{LIB_CREATE_BOOKS}_create_books_copy.py")
    shutil.copy(original, copy)

    report = fired(library.diagnose())

    f = only(report, "duplicate-revision-id")
    assert f.severity is Severity.ERROR
    assert f.evidence["revision"] == LIB_CREATE_BOOKS
    assert sorted(Path(p).name for p in f.evidence["files"]) == sorted([original.name, copy.name])


@pytest.mark.fires("revision-cycle")
def test_revision_cycle_after_editing_down_revision(library_db, fired):
    library, _ = library_db
    library.upgrade("head")
    first = library.file(LIB_CREATE_AUTHORS)
    first.write_text(first.read_text().replace("down_revision = None",
                                               f'down_revision = "{LIB_ADD_ISBN}"'))

    report = fired(library.diagnose())

    f = only(report, "revision-cycle")
    assert f.severity is Severity.ERROR
    assert set(f.evidence["revisions"]) <= set(LIB_REVISIONS) and f.evidence["revisions"]
    assert report.exit_code() == 1


@pytest.mark.fires("revision-id-too-long")
def test_revision_id_too_long_for_version_num(library_db, fired):
    library, _ = library_db
    library.upgrade("head")
    long_id = "2026_11_05_add_customer_loyalty_points"
    library.revision("loyalty points", rev_id=long_id)

    report = fired(library.diagnose())

    f = only(report, "revision-id-too-long")
    assert f.severity is Severity.ERROR
    assert f.evidence == {"revision": long_id, "length": len(long_id), "limit": 32}
    assert f.location is not None and f.location.line is not None


@pytest.mark.fires("empty-migration")
def test_empty_migration_from_alembic_revision(library_db, fired):
    library, _ = library_db
    library.upgrade("head")
    path = library.revision("nothing changed", rev_id="e0e1e2e3e4e5")

    report = fired(library.diagnose())

    f = only(report, "empty-migration")
    assert f.severity is Severity.WARNING
    assert f.evidence == {"revision": "e0e1e2e3e4e5"}
    assert f.location is not None and f.location.path.endswith(path.name)


def test_merge_revision_is_not_an_empty_migration(library_db, fired):
    from alembic import command

    library, _ = library_db
    library.revision("teammate", rev_id="3f6d2a9c8b71", head=LIB_CREATE_BOOKS, splice=True)
    with third_party_installed():
        command.merge(library.config(), "heads", message="merge heads", rev_id="4d4d4d4d4d4d")
    report = fired(library.diagnose())

    empty = {f.evidence["revision"] for f in report.findings if f.id == "empty-migration"}
    assert empty == {"3f6d2a9c8b71"}, describe(report)  # the teammate's, not the merge
    assert "multiple-heads" not in ids(report)


@pytest.mark.fires("script-missing-revision")
def test_script_missing_revision_for_a_helper_module(library_db, fired):
    library, _ = library_db
    library.upgrade("head")
    helper = library.versions / "helpers.py"
    helper.write_text("def backfill(connection):\n    pass\n")

    report = fired(library.diagnose())

    f = only(report, "script-missing-revision")
    assert f.severity is Severity.ERROR
    assert f.location is not None and f.location.path.endswith("helpers.py")
    assert loud_ids(report) == ["script-missing-revision"], describe(report)


@pytest.mark.fires("script-syntax-error")
def test_script_syntax_error_names_file_and_line(library_db, fired):
    library, _ = library_db
    library.upgrade(LIB_CREATE_BOOKS)
    head = library.file(LIB_ADD_ISBN)
    lines = head.read_text().splitlines()
    line_no = lines.index("def upgrade() -> None:") + 1
    lines[line_no - 1] = "def upgrade( -> None:"
    head.write_text("\n".join(lines) + "\n")

    report = fired(library.diagnose())

    f = only(report, "script-syntax-error")
    assert f.severity is Severity.ERROR
    assert f.location is not None
    assert f.location.path.endswith(head.name) and f.location.line == line_no
    assert loud_ids(report) == ["script-syntax-error"], describe(report)


@pytest.mark.fires("script-not-in-git")
def test_script_not_in_git_untracked_and_ignored(library_db, fired):
    library, _ = library_db
    git_init_commit(library.root)
    library.upgrade("head")
    untracked = library.revision("add authors.born", rev_id="b0b0b0b0b0b0")
    (library.root / ".gitignore").write_text("*_ignored_*.py\n")
    ignored = library.revision("ignored by accident", rev_id="1a1a1a1a1a1a",
                               head="b0b0b0b0b0b0")
    ignored = ignored.rename(ignored.with_name("1a1a1a1a1a1a_ignored_by_accident.py"))

    report = fired(library.diagnose())

    found = {f.evidence["revision"]: f for f in report.findings if f.id == "script-not-in-git"}
    assert set(found) == {"b0b0b0b0b0b0", "1a1a1a1a1a1a"}, describe(report)
    assert found["b0b0b0b0b0b0"].evidence["state"] == "untracked"
    assert found["1a1a1a1a1a1a"].evidence["state"] == "ignored by .gitignore"
    assert found["b0b0b0b0b0b0"].severity is Severity.WARNING
    assert f"git add {found['b0b0b0b0b0b0'].location.path}" in (found["b0b0b0b0b0b0"].fix or "")
    assert "git add -f" in (found["1a1a1a1a1a1a"].fix or "")


def test_committed_scripts_are_not_reported(library_db, fired):
    library, _ = library_db
    git_init_commit(library.root)
    library.upgrade("head")

    report = fired(library.diagnose())

    assert "script-not-in-git" not in ids(report)
    assert loud_ids(report) == [], describe(report)


# -- the target ------------------------------------------------------------------------------

@pytest.mark.fires("target-database")
def test_target_database_says_which_project_and_database(library_db, fired):
    library, database = library_db
    library.upgrade("head")

    report = fired(library.diagnose())

    f = only(report, "target-database")
    assert f.severity is Severity.INFO
    assert f.evidence["kind"] == "alembic"
    assert f.evidence["dialect"] == database.dialect
    assert f.evidence["url"] == database.url  # no password in these URLs: nothing to mask
    assert f.evidence["url_source"] == f"sqlalchemy.url in {library.ini}"
    assert Path(f.evidence["migrations"]) == library.migrations
    assert f.evidence["server_version"]


def test_a_second_run_sees_edited_files(library_db, fired):
    """Revision files are cached between runs: an edit must still be seen."""
    library, _ = library_db
    library.upgrade("head")
    assert loud_ids(library.diagnose()) == []
    head = library.file(LIB_ADD_ISBN)
    original = head.read_text()

    head.write_text(original.replace("def upgrade() -> None:", "def upgrade( -> None:"))
    assert loud_ids(fired(library.diagnose())) == ["script-syntax-error"]

    head.write_text(original)
    assert loud_ids(library.diagnose()) == []
