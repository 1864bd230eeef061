"""`verify`, the gate for CI and container start: exit 0 only when the database is at the
single head (and, with --drift, matches the models); otherwise one line and exit 1."""

from __future__ import annotations

import pytest
from _support import (
    LIB_ADD_ISBN,
    LIB_CREATE_AUTHORS,
    LIB_CREATE_BOOKS,
    describe,
    ids,
    tree_snapshot,
)

from migrate_doctor.model import Severity


def errors(report) -> list[str]:
    return [f.id for f in report.findings if f.severity is Severity.ERROR]


def test_api_at_head_passes(library_db):
    library, _ = library_db
    library.upgrade("head")
    report = library.verify()
    assert errors(report) == [], describe(report)
    assert report.exit_code() == 0
    assert report.command == "verify"


def test_api_behind_fails(library_db):
    library, _ = library_db
    library.upgrade(LIB_CREATE_BOOKS)
    report = library.verify()
    assert errors(report) == ["database-behind"], describe(report)


def test_api_empty_database_fails(library_db):
    library, _ = library_db
    report = library.verify()
    assert errors(report) == ["database-empty"], describe(report)


def _replayable(library) -> None:
    """Drift replays the history: the head revision's third-party import must be there."""
    path = library.file("a93e4b6c7d80")
    path.write_text(path.read_text()
                    .replace("import some_module_that_is_not_installed\n", "")
                    .replace("some_module_that_is_not_installed.ISBN()", "sa.String(13)"))


def test_api_drift_only_with_the_flag(library_db):
    library, database = library_db
    _replayable(library)
    library.upgrade("head")
    database.execute("CREATE INDEX ix_books_title ON books (title)")

    assert errors(library.verify()) == []
    report = library.verify(drift=True)
    assert errors(report) == ["manual-schema-change"], describe(report)
    assert "ix_books_title" in report.findings[-1].message or any(
        "ix_books_title" in f.message for f in report.findings)


def test_drift_that_cannot_replay_fails_the_gate(library_db):
    library, database = library_db
    library.upgrade("head")  # its head revision imports what is not installed here
    report = library.verify(drift=True)
    assert errors(report) == ["replay-failed"], describe(report)


def test_api_does_not_run_the_slow_checks(library_db):
    """verify is the fast gate: no git, no models, no drift unless asked."""
    library, _ = library_db
    library.upgrade("head")
    library.revision("untracked and empty", rev_id="e0e1e2e3e4e5")  # not in git, empty
    report = library.verify()
    assert "empty-migration" not in ids(report)
    assert "script-not-in-git" not in ids(report)
    assert errors(report) == ["database-behind"], describe(report)


def test_cli_at_head(library_db):
    library, database = library_db
    library.upgrade("head")
    before = (tree_snapshot(library.root), database.snapshot())

    result = library.cli("verify")

    assert result.code == 0, result.output
    assert result.stdout == f"ok: the database is at head {LIB_ADD_ISBN}\n"
    assert result.stderr == ""
    assert (tree_snapshot(library.root), database.snapshot()) == before


@pytest.mark.parametrize("state, expected", [
    (LIB_CREATE_AUTHORS, "database-behind"),
    (None, "database-empty"),
])
def test_cli_not_ready_is_one_line(library_db, state, expected):
    library, _ = library_db
    if state:
        library.upgrade(state)

    result = library.cli("verify")

    assert result.code == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"not ready: {expected}:")
    assert " Fix: " in result.stderr


def test_cli_multiple_heads(library_db):
    library, _ = library_db
    library.upgrade("head")
    library.revision("teammate", rev_id="3f6d2a9c8b71", head=LIB_CREATE_BOOKS, splice=True)

    result = library.cli("verify")

    assert result.code == 1
    line = result.stderr.strip()
    assert line.startswith("not ready: ")
    assert "multiple-heads" in line or "database-behind" in line
    assert "more: migrate-doctor diagnose" in line  # both are errors; the first is shown


def test_cli_drift_flag(library_db):
    library, database = library_db
    _replayable(library)
    library.upgrade("head")
    database.execute("ALTER TABLE books ADD COLUMN subtitle VARCHAR(200)")

    assert library.cli("verify").code == 0
    result = library.cli("verify", "--drift")
    assert result.code == 1
    assert result.stderr.startswith("not ready: manual-schema-change:")
    assert "books.subtitle" in result.stderr


def test_cli_json(library_db):
    library, _ = library_db
    library.upgrade(LIB_CREATE_AUTHORS)

    result = library.cli("verify", "--format", "json")

    assert result.code == 1
    report = result.json()
    assert report["tool"]["command"] == "verify"
    assert [f["id"] for f in report["findings"] if f["severity"] == "error"] == ["database-behind"]
    assert report["database"]["current"] == [LIB_CREATE_AUTHORS]
