"""adopt and the guarded stamp: they prove the schema before they write, write only the
version table, and say what they do (SQLite and PostgreSQL)."""

from __future__ import annotations

import shutil

from _support import BLOG_CREATE_COMMENTS, BLOG_CREATE_POSTS, FlaskProject, describe
from conftest import Database


def _py(blog: FlaskProject, code: str) -> None:
    import sys

    from _support import clean_env, run

    result = run([sys.executable, "-c", code], blog.root, clean_env(DATABASE_URL=blog.url))
    assert result.code == 0, result.output


def _create_all(blog: FlaskProject) -> None:
    _py(blog, "from blog import create_app, db\napp = create_app()\n"
              "with app.app_context(): db.create_all()")


def test_create_all_database_adopted_then_upgraded_with_rows_intact(blog: FlaskProject,
                                                                     database: Database):
    blog.url = database.url
    _create_all(blog)
    database.execute("INSERT INTO posts (id, title, body) VALUES (1, 'hello', 'first')")
    result = blog.flask("db", "adopt", "--format", "json")
    report = result.json()
    assert report["summary"]["error"] == 0, describe(report)
    assert report["adopt"]["revision"] == BLOG_CREATE_COMMENTS  # the history's head matched
    assert "will stamp" in result.stderr
    assert database.version_rows() == [BLOG_CREATE_COMMENTS]
    assert blog.flask("db", "verify").code == 0
    # a new revision on top runs, and the rows stay
    new = blog.versions / "c0ffee000001_add_posts_slug.py"
    new.write_text(
        '"""add posts.slug\n\nRevision ID: c0ffee000001\nRevises: 7b3e91c4d6a2\n"""\n'
        "from alembic import op\nimport sqlalchemy as sa\n\n"
        "revision = 'c0ffee000001'\ndown_revision = '7b3e91c4d6a2'\n"
        "branch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade():\n    op.add_column('posts', sa.Column('slug', sa.String(50)))\n\n\n"
        "def downgrade():\n    op.drop_column('posts', 'slug')\n")
    blog.upgrade()
    assert database.query("SELECT id, title FROM posts") == [(1, "hello")]


def test_no_history_yet_gets_a_proven_baseline(blog: FlaskProject, database: Database):
    blog.url = database.url
    shutil.rmtree(blog.migrations)
    _create_all(blog)
    database.execute("INSERT INTO posts (id, title) VALUES (7, 'kept')")
    dry = blog.flask("db", "adopt", "--dry-run", "--format", "json")
    assert not blog.migrations.exists() and database.version_rows() == []
    assert any("baseline" in a for a in dry.json()["actions"])
    report = blog.flask("db", "adopt", "--format", "json").json()
    assert report["summary"]["error"] == 0, describe(report)
    (baseline,) = list(blog.versions.glob("*_baseline.py"))
    assert "op.create_table('posts'" in baseline.read_text() or \
        'op.create_table("posts"' in baseline.read_text()
    assert database.version_rows() == [report["adopt"]["revision"]]
    assert blog.flask("db", "verify").code == 0
    assert database.query("SELECT id, title FROM posts") == [(7, "kept")]


def test_adopt_refuses_when_the_database_is_not_the_models(blog: FlaskProject, database: Database):
    blog.url = database.url
    shutil.rmtree(blog.migrations)
    _create_all(blog)
    database.execute("ALTER TABLE posts ADD COLUMN legacy_flag INTEGER")
    before = database.snapshot()
    report = blog.flask("db", "adopt", "--format", "json").json()
    (f,) = [f for f in report["findings"] if f["id"] == "adopt-refused"]
    assert "legacy_flag" in f["message"] and "not touched" in f["message"]
    assert database.snapshot() == before
    assert not list(blog.versions.glob("*.py"))  # the generated baseline was taken back


def test_guarded_stamp_refuses_then_force_says_what_it_overrode(blog: FlaskProject,
                                                               database: Database):
    blog.url = database.url
    blog.upgrade()  # at head: posts and comments
    before = database.snapshot()
    refused = blog.flask("migrate-doctor", "stamp", BLOG_CREATE_POSTS, "--format", "json")
    assert refused.code == 1
    (f,) = [f for f in refused.json()["findings"] if f["id"] == "stamp-refused"]
    assert "comments" in f["message"]
    assert database.snapshot() == before
    forced = blog.flask("migrate-doctor", "stamp", BLOG_CREATE_POSTS, "--force", "--format", "json")
    report = forced.json()
    assert [f["id"] for f in report["findings"] if f["id"] == "stamp-forced"]
    assert report["stamp"]["forced"] is True and report["stamp"]["written"] is True
    assert database.version_rows() == [BLOG_CREATE_POSTS]


def test_guarded_stamp_over_an_unknown_row(blog: FlaskProject, database: Database):
    blog.url = database.url
    blog.upgrade()
    database.execute("UPDATE alembic_version SET version_num = 'feedfacecafe'")
    dry = blog.flask("migrate-doctor", "stamp", "heads", "--dry-run")
    assert dry.code == 0 and database.version_rows() == ["feedfacecafe"]
    assert "will set alembic_version" in dry.stderr and "feedfacecafe" in dry.stderr
    ok = blog.flask("migrate-doctor", "stamp", "heads")
    assert ok.code == 0, ok.output
    assert database.version_rows() == [BLOG_CREATE_COMMENTS]


def test_flask_migrate_stamp_is_not_shadowed(blog: FlaskProject, database: Database):
    blog.url = database.url
    blog.upgrade()
    help_text = blog.flask("db", "stamp", "--help").stdout
    assert "--purge" in help_text and "--force" not in help_text  # Flask-Migrate's own
    assert blog.flask("db", "stamp", BLOG_CREATE_POSTS).code == 0
    assert database.version_rows() == [BLOG_CREATE_POSTS]
