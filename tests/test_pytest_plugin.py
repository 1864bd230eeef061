"""The pytest plugin: inert until turned on; then migrate-doctor's checks are collected
items (-k selects them) and the migration_db / migrate / migration_rows fixtures test a
project's own data migrations with rows; with pytest-xdist each worker has its own
scratch database. Each case runs pytest in a subprocess on a project written by the test."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from test_test_command import ADD_NOTE, CHECK_QTY, CREATE_ITEMS, MigrationProject

pytest_plugins = ["pytester"]

BACKFILL = ("b2000000note", "a1000000create", "add items.note, backfilled", """
    op.add_column("items", sa.Column("note", sa.String(100), nullable=True))
    op.execute("UPDATE items SET note = name || ' x ' || CAST(qty AS VARCHAR(10))")
""", """
    op.drop_column("items", "note")
""")


def write_project(pytester: pytest.Pytester, revisions: list[tuple], url: str | None = None) -> MigrationProject:
    url = url or f"sqlite:///{pytester.path / 'live.db'}"
    return MigrationProject(pytester.path, url, revisions)


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=600)


def test_installed_but_off_it_changes_nothing(pytester):
    write_project(pytester, [CREATE_ITEMS, ADD_NOTE])
    pytester.makepyfile(test_plain="def test_ok():\n    pass\n")

    result = run(pytester, "-q")

    result.assert_outcomes(passed=1)
    assert "migrate-doctor" not in result.stdout.str()
    fixtures = run(pytester, "-q", "--fixtures")
    assert "migration_db" not in fixtures.stdout.str()
    assert "migrate-doctor" in run(pytester, "--help").stdout.str()  # the option is known


def test_the_checks_are_items_one_per_revision_and_check(pytester):
    write_project(pytester, [CREATE_ITEMS, ADD_NOTE, CHECK_QTY])

    result = run(pytester, "--migrate-doctor", "-v", "-rA")

    # 3 revisions x 5 checks, 4 whole-history checks; fails-with-rows of the CHECK revision
    # fails; no rows to lose below the first revision, nor in the emptied tables after it
    result.assert_outcomes(passed=16, failed=1, skipped=2)
    out = result.stdout.str()
    assert "\nmigrate-doctor::fails-with-rows[c3000000check] FAILED" in out
    assert "migrate-doctor::upgrade-fails[a1000000create] PASSED" in out
    assert "migrate-doctor::models-differ-from-head PASSED" in out
    # the finding, not a traceback
    assert "fails-with-rows (error): revision c3000000check" in out
    assert "fix: make the rows satisfy the CHECK first" in out and "Traceback" not in out
    assert "SKIPPED [1] migrate-doctor::data-lost-on-round-trip[a1000000create]" in out or \
        "no rows to lose" in out


def test_minus_k_selects_checks_and_revisions(pytester):
    write_project(pytester, [CREATE_ITEMS, ADD_NOTE, CHECK_QTY])

    by_check = run(pytester, "--migrate-doctor", "-q", "-k", "downgrade-leaves-trace")
    by_check.assert_outcomes(passed=3)
    by_revision = run(pytester, "--migrate-doctor", "-q", "-k", "a1000000create")
    by_revision.assert_outcomes(passed=4, skipped=1)


def test_an_ini_setting_turns_it_on(pytester):
    write_project(pytester, [CREATE_ITEMS, ADD_NOTE])
    pytester.makeini("[pytest]\nmigrate_doctor = true\n")

    result = run(pytester, "-q")

    result.assert_outcomes(passed=13, skipped=1)


def test_migrate_with_rows_before_and_assertions_after_a_revision(pytester):
    write_project(pytester, [CREATE_ITEMS, BACKFILL])
    pytester.makeini("[pytest]\nmigrate_doctor = true\n")
    pytester.makepyfile(test_backfill=textwrap.dedent('''
        import pytest
        from sqlalchemy import text


        def test_the_backfill_fills_notes_from_the_rows(migrate, migration_db):
            @migrate.before("b2000000note")
            def rows(conn):
                conn.execute(text("INSERT INTO items (id, name, qty) VALUES (1, 'bolt', 7)"))

            @migrate.after("b2000000note")
            def notes(conn):
                assert conn.execute(text("SELECT note FROM items")).scalar() == "bolt x 7"

            assert migrate.up() == ("b2000000note",)
            assert migrate.down("a1000000create") == ("a1000000create",)
            with migration_db.engine.connect() as conn:
                assert conn.execute(text("SELECT name FROM items")).scalar() == "bolt"


        def test_each_test_starts_from_an_empty_database(migrate, migration_db):
            assert migrate.up("a1000000create") == ("a1000000create",)
            with migration_db.engine.connect() as conn:
                assert conn.execute(text("SELECT count(*) FROM items")).scalar() == 0


        def test_a_failing_revision_fails_the_test(migrate):
            @migrate.before("b2000000note")
            def too_long(conn):
                conn.execute(text("DROP TABLE items"))

            with pytest.raises(AssertionError, match="upgrade b2000000note"):
                migrate.up()


        def test_own_factories(migrate, migration_rows, migration_db):
            migration_rows.factory("items", lambda n: {"id": 100 + n, "name": f"item{n}",
                                                       "qty": n})
            migrate.fill_before("b2000000note")
            migrate.up()
            with migration_db.engine.connect() as conn:
                got = conn.execute(text("SELECT id, note FROM items ORDER BY id")).all()
            assert [tuple(r) for r in got] == [(101, "item1 x 1"), (102, "item2 x 2"),
                                               (103, "item3 x 3")]


        def test_the_generator_fills_every_table(migrate, migration_rows, migration_db):
            migrate.up("a1000000create")
            with migration_db.engine.begin() as conn:
                assert migration_rows.fill(conn) == {"items": 3}
    '''))

    result = run(pytester, "-q", "-k", "not migrate-doctor")

    result.assert_outcomes(passed=5)


@pytest.mark.parametrize("dialect", ["postgresql"])
def test_migrate_on_postgresql(pytester, postgres, dialect):
    url = postgres.url(postgres.create_database())
    write_project(pytester, [CREATE_ITEMS, BACKFILL], url=url)
    pytester.makeini("[pytest]\nmigrate_doctor = true\n")
    pytester.makepyfile(test_pg=textwrap.dedent('''
        from sqlalchemy import text


        def test_on_the_project_dialect(migrate, migration_db):
            assert migration_db.dialect == "postgresql"
            assert "md_scratch_" in migration_db.url
            migrate.before("b2000000note", lambda conn: conn.execute(
                text("INSERT INTO items (id, name, qty) VALUES (1, 'nut', 2)")))
            migrate.up()
            with migration_db.engine.connect() as conn:
                assert conn.execute(text("SELECT note FROM items")).scalar() == "nut x 2"
    '''))

    result = run(pytester, "-q")

    result.assert_outcomes(passed=14, skipped=1)  # the test and the 14 checks
    assert postgres.admin(f"SELECT count(*) FROM pg_database WHERE datname LIKE 'md\\_scratch\\_%'"
                          )[0][0] == 0


def test_xdist_one_scratch_database_per_worker(pytester):
    pytest.importorskip("xdist")
    write_project(pytester, [CREATE_ITEMS, ADD_NOTE])
    pytester.makeini("[pytest]\nmigrate_doctor = true\n")
    seen = pytester.path / "seen"
    seen.mkdir()
    pytester.makepyfile(test_workers=textwrap.dedent(f'''
        import os

        import pytest


        @pytest.mark.parametrize("n", range(8))
        def test_record(migrate, migration_db, n):
            migrate.up()
            worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
            with open(os.path.join({str(seen)!r}, f"{{worker}}-{{n}}"), "w") as f:
                f.write(migration_db.url)
    '''))

    result = run(pytester, "-q", "-n", "2")

    result.assert_outcomes(passed=8 + 13, skipped=1)
    urls: dict[str, set[str]] = {}
    for path in seen.iterdir():
        urls.setdefault(path.name.split("-")[0], set()).add(path.read_text())
    assert len(urls) == 2, urls  # both workers ran tests
    assert all(len(u) == 1 for u in urls.values())  # one database per worker
    assert len(set().union(*urls.values())) == 2  # not the same one


def test_a_model_module_the_tests_import_but_the_app_does_not(pytester):
    orphan = ("import sqlalchemy as sa\n\nfrom MODELS import Base\n\n\nclass Tag(Base):\n"
              "    __tablename__ = 'tags'\n    id = sa.Column(sa.Integer, primary_key=True)\n")
    MigrationProject(pytester.path, f"sqlite:///{pytester.path / 'live.db'}",
                     [CREATE_ITEMS, ADD_NOTE],
                     extra_files={"catalog/__init__.py": "", "catalog/tags.py": orphan})
    # the test session imports it; the app (env.py) never does
    pytester.makepyfile(test_tags="import catalog.tags  # noqa: F401\n\n\ndef test_ok():\n"
                                  "    pass\n")

    result = run(pytester, "--migrate-doctor", "-q", "-k", "model-module-not-imported or ok")

    result.assert_outcomes(passed=1, failed=1)
    assert "catalog/tags.py maps Tag (tags)" in result.stdout.str()
