"""Healthy projects report `target-database` and nothing else at warning or above: plain
Alembic and Flask, through the API and both CLIs, on SQLite and on PostgreSQL."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
from _support import (
    BLOG_CREATE_COMMENTS,
    LIB_ADD_ISBN,
    LIB_REVISIONS,
    UNINSTALLED_MODULE,
    FlaskProject,
    assert_healthy,
    flask,
    ids,
    tree_snapshot,
)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.fires("target-database")
def test_plain_alembic_at_head_api(library_db, fired):
    library, database = library_db
    library.upgrade("head")
    before = database.snapshot()

    report = fired(library.diagnose())

    assert_healthy(report)
    assert report.exit_code(strict=True) == 0
    assert report.project is not None and report.database is not None
    assert report.project.kind == "alembic"
    assert report.project.revisions == len(LIB_REVISIONS)
    assert report.project.heads == (LIB_ADD_ISBN,)
    assert report.database.current == (LIB_ADD_ISBN,)
    assert report.database.dialect == database.dialect
    assert database.snapshot() == before


def test_graph_is_read_although_a_revision_imports_a_missing_module(library, fired):
    """The head revision imports a module that is not installed; no database at all."""
    assert importlib.util.find_spec(UNINSTALLED_MODULE) is None
    with pytest.raises(ModuleNotFoundError):
        spec = importlib.util.spec_from_file_location("head_revision", library.file(LIB_ADD_ISBN))
        spec.loader.exec_module(importlib.util.module_from_spec(spec))  # type: ignore[union-attr]
    library.set_url(None)

    report = fired(library.diagnose())
    assert report.project is not None
    assert report.project.revisions == 3 and report.project.heads == (LIB_ADD_ISBN,)
    assert ids(report).count("database-url-missing") == 1
    assert not [f for f in report.findings if f.id.startswith(("script-", "dangling"))]


def test_plain_alembic_at_head_cli(library_db):
    library, _ = library_db
    library.upgrade("head")
    before = tree_snapshot(library.root)

    result = library.cli("diagnose", "--format", "json")
    assert result.code == 0, result.output
    assert_healthy(result.json())

    text = library.cli("diagnose")
    assert text.code == 0 and "Traceback" not in text.output
    headings = [line.split()[:2] for line in text.stdout.splitlines()
                if line.startswith(("error", "warning", "info"))]
    assert headings == [["info", "target-database"]], text.stdout
    assert "0 error(s), 0 warning(s)" in text.stdout

    assert library.cli("diagnose", "--strict").code == 0
    assert tree_snapshot(library.root) == before


def test_plain_alembic_found_from_the_working_directory(library_db):
    """`migrate-doctor diagnose` with no option, run where alembic.ini is."""
    library, _ = library_db
    library.upgrade("head")
    from _support import migrate_doctor

    result = migrate_doctor("diagnose", "--format", "json", cwd=library.root)
    assert result.code == 0, result.output
    report = result.json()
    assert_healthy(report)
    assert report["project"]["kind"] == "alembic"


def test_flask_app_at_head(blog: FlaskProject, db_url, fired):
    blog.url = db_url
    blog.upgrade()

    result, report = blog.diagnose_json()
    assert result.code == 0, result.output
    assert_healthy(fired(report))
    assert report["project"]["kind"] == "flask"
    assert report["project"]["app"] == "blog"
    assert report["project"]["heads"] == [BLOG_CREATE_COMMENTS]
    assert report["database"]["current"] == [BLOG_CREATE_COMMENTS]

    standalone = blog.flask("db", "verify")
    assert standalone.code == 0, standalone.output


def test_flask_app_at_head_through_the_standalone_cli(blog: FlaskProject, db_url):
    blog.url = db_url
    blog.upgrade()
    from _support import migrate_doctor

    result = migrate_doctor("--app", "blog", "diagnose", "--format", "json", cwd=blog.root,
                            DATABASE_URL=db_url)
    assert result.code == 0, result.output
    assert_healthy(result.json())


def test_shop_example_at_head(tmp_path, database):
    """examples/shop (server defaults, indexes, naming convention, render_as_batch)."""
    root = tmp_path / "shop"
    shutil.copytree(EXAMPLES / "shop", root,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.db"))
    env = {"FLASK_APP": "shop", "DATABASE_URL": database.url}
    upgrade = flask("db", "upgrade", cwd=root, **env)
    assert upgrade.code == 0, upgrade.output

    result = flask("db", "diagnose", "--format", "json", cwd=root, **env)
    assert result.code == 0, result.output
    report = result.json()
    assert_healthy(report)
    assert report["project"]["revisions"] == 4
