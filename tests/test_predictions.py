"""Predictions from the live rows (issue 9): `will-fail-on-rows` in `plan` and `diagnose`,
each one checked against reality on SQLite, PostgreSQL and MariaDB: where the prediction
says a revision fails on N rows, running it with Alembic fails; where it is silent, the
revision runs. Table sizes from the catalog; lint findings weighed by them.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from _support import describe
from conftest import Database
from test_lint_engine import Scratch, of

from migrate_doctor import api

BASE = '''
op.create_table(
    "users",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("email", sa.String(50)),
    sa.Column("phone", sa.String(20)),
    sa.Column("age", sa.BigInteger()),
    sa.Column("code", sa.Text()),
)
op.create_table(
    "orders",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("user_id", sa.Integer()),
    sa.Column("price", sa.Integer()),
)
'''
SEED = (
    "INSERT INTO users (id, email, phone, age, code) VALUES "
    "(1, 'a@x.org', '1', 5, '12'), (2, 'b@x.org', '2', 7, '3'), (3, 'c@x.org', '3', 9, '4')",
    "INSERT INTO orders (id, user_id, price) VALUES (1, 1, 10), (2, 2, 5)",
)


@dataclass
class Case:
    id: str
    body: str  # upgrade() of the pending revision
    bad: str | None  # SQL that makes the rows break it (None: the seed already does)
    good: str | None  # SQL that makes the rows fit it
    count: int | None  # rows (or groups) the prediction must name on the bad rows
    fails_on: tuple[str, ...] = ("sqlite", "postgresql", "mysql")  # where bad rows fail it
    sqlite_body: str | None = None  # SQLite needs batch mode for ALTERs
    good_fails_on: tuple[str, ...] = ()  # where it fails whatever the rows


def batch(table: str, line: str) -> str:
    return f'with op.batch_alter_table("{table}") as b:\n    b.{line}'


CASES = [
    Case("set-not-null", 'op.alter_column("users", "phone", existing_type=sa.String(20), '
         "nullable=False)", "UPDATE users SET phone = NULL WHERE id IN (1, 3)", None, 2,
         sqlite_body=batch("users", 'alter_column("phone", existing_type=sa.String(20), '
                           "nullable=False)")),
    Case("add-not-null-column", 'op.add_column("orders", sa.Column("note", sa.String(10), '
         "nullable=False))", None, "DELETE FROM orders", 2, ("sqlite", "postgresql")),
    Case("unique-constraint", 'op.create_unique_constraint("uq_users_email", "users", '
         '["email"])', "UPDATE users SET email = 'same@x.org' WHERE id IN (1, 2)", None, 1,
         sqlite_body=batch("users", 'create_unique_constraint("uq_users_email", ["email"])')),
    Case("unique-index", 'op.create_index("ix_users_email", "users", ["email"], unique=True)',
         "UPDATE users SET email = 'same@x.org'", None, 1),
    Case("foreign-key", 'op.create_foreign_key("fk_orders_user", "orders", "users", '
         '["user_id"], ["id"])', "UPDATE orders SET user_id = 99 WHERE id = 2", None, 1,
         ("postgresql", "mysql"),
         sqlite_body=batch("orders", 'create_foreign_key("fk_orders_user", "users", '
                           '["user_id"], ["id"])')),
    Case("check", 'op.create_check_constraint("ck_orders_price", "orders", "price > 0")',
         "UPDATE orders SET price = 0 WHERE id = 1", None, 1,
         sqlite_body=batch("orders", 'create_check_constraint("ck_orders_price", "price > 0")')),
    Case("varchar-narrowed", 'op.alter_column("users", "email", existing_type=sa.String(50), '
         "type_=sa.String(5))", None, "UPDATE users SET email = substr(email, 1, 3)", 3,
         ("postgresql", "mysql"),
         sqlite_body=batch("users", 'alter_column("email", existing_type=sa.String(50), '
                           "type_=sa.String(5))")),
    Case("integer-narrowed", 'op.alter_column("users", "age", existing_type=sa.BigInteger(), '
         "type_=sa.SmallInteger())", "UPDATE users SET age = 100000 WHERE id = 1", None, 1,
         ("postgresql", "mysql"),
         sqlite_body=batch("users", 'alter_column("age", existing_type=sa.BigInteger(), '
                           "type_=sa.SmallInteger())")),
    Case("text-to-integer", 'op.alter_column("users", "code", existing_type=sa.Text(), '
         'type_=sa.Integer(), postgresql_using="code::integer")',
         "UPDATE users SET code = 'x1' WHERE id = 2", None, 1, ("postgresql", "mysql"),
         sqlite_body=batch("users", 'alter_column("code", existing_type=sa.Text(), '
                           "type_=sa.Integer())")),
    Case("filled-before-not-null",  # the revision fills the NULLs first: nothing to predict
         "op.execute(\"UPDATE users SET phone = '0' WHERE phone IS NULL\")\n"
         'op.alter_column("users", "phone", existing_type=sa.String(20), nullable=False)',
         "UPDATE users SET phone = NULL", None, None, (),
         sqlite_body="op.execute(\"UPDATE users SET phone = '0' WHERE phone IS NULL\")\n"
         + batch("users", 'alter_column("phone", existing_type=sa.String(20), nullable=False)')),
]


def project_at_base(root: Path, database: Database, case: Case) -> Scratch:
    project = Scratch(root, url=database.url)
    project.add("0a0000000001", None, BASE, slug="base")
    body = case.sqlite_body if database.dialect == "sqlite" and case.sqlite_body else case.body
    project.add("0b0000000002", "0a0000000001", body, slug=case.id.replace("-", "_"))
    project.upgrade("0a0000000001")
    database.execute(*SEED)
    return project


def runs(project: Scratch) -> BaseException | None:
    """Run the pending revision with Alembic itself: the reality a prediction is held to."""
    try:
        project.upgrade("head")
    except Exception as exc:  # noqa: BLE001 - the driver's error is the answer here
        return exc
    return None


@pytest.mark.parametrize("rows", ["bad", "good"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_prediction_matches_reality(case: Case, rows: str, replay_database: Database,
                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    database = replay_database
    project = project_at_base(tmp_path / "project", database, case)
    monkeypatch.chdir(project.root)
    change = case.bad if rows == "bad" else case.good
    if change:
        database.execute(change)
    fails = database.dialect in (case.fails_on if rows == "bad" else case.good_fails_on)

    report = api.plan(project.target())
    predicted = of(report, "will-fail-on-rows")
    assert database.version_rows() == ["0a0000000001"]  # predicting only reads
    error = runs(project)

    assert bool(predicted) == fails, describe(report)
    assert (error is not None) == fails, f"prediction {describe(report)} vs reality {error!r}"
    if fails:
        (f,) = predicted
        assert f.evidence["revision"] == "0b0000000002"
        assert f.location is not None and f.location.path.endswith("0b0000000002_"
                                                                    + case.id.replace("-", "_")
                                                                    + ".py")
        if case.count is not None and rows == "bad" and not f.evidence.get("error"):
            assert f.evidence["rows"] == case.count, f.message
        assert f.fix


def test_rows_are_named_by_primary_key(database: Database, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch):
    case = CASES[0]
    project = project_at_base(tmp_path / "project", database, case)
    monkeypatch.chdir(project.root)
    database.execute(case.bad or "")
    (f,) = of(api.plan(project.target()), "will-fail-on-rows")
    assert f.evidence["samples"] == [{"id": 1}, {"id": 3}]
    assert "2 row(s) of users have phone NULL (id 1, 3)" in f.message
    assert "phone IS NULL" in f.evidence["query"] and "phone IS NULL" in (f.fix or "")
    assert f.evidence["statement"].startswith(("op.alter_column", "b.alter_column"))


@pytest.mark.fires("will-fail-on-rows")
def test_diagnose_reports_it_and_the_cli_shows_it(database: Database, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch, fired):
    case = CASES[2]  # a unique constraint over duplicates
    project = project_at_base(tmp_path / "project", database, case)
    monkeypatch.chdir(project.root)
    database.execute(case.bad or "")
    before = database.snapshot()

    report = fired(api.diagnose(project.target()))
    (f,) = of(report, "will-fail-on-rows")
    assert "'same@x.org' ×2" in f.message and f.evidence["samples"] == [
        {"values": ["same@x.org"], "rows": 2}]
    assert "database-behind" in [x.id for x in report.findings]

    result = project.cli("plan", "--format", "json")
    assert "Traceback" not in result.output
    assert result.code == 1, result.output
    assert [x["id"] for x in of(result.json(), "will-fail-on-rows")] == ["will-fail-on-rows"]
    assert database.snapshot() == before


def test_quiet_once_an_earlier_pending_revision_changed_the_rows(database: Database,
                                                                  tmp_path: Path, monkeypatch):
    """The live rows say nothing about rows an earlier pending step rewrites."""
    project = Scratch(tmp_path / "project", url=database.url)
    monkeypatch.chdir(project.root)
    project.add("0a0000000001", None, BASE, slug="base")
    project.add("0b0000000002", "0a0000000001",
                "op.execute(\"UPDATE users SET email = 'x@y.org'\")", slug="same_email")
    project.add("0c0000000003", "0b0000000002",
                'op.create_index("ix_users_email", "users", ["email"], unique=True)',
                slug="unique")
    project.upgrade("0a0000000001")
    database.execute(*SEED)
    assert of(api.plan(project.target()), "will-fail-on-rows") == []
    assert runs(project) is not None  # it does fail: but not on the rows there now


def test_sizes_in_plan_and_lint_findings_weighed_by_them(postgres, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch):
    from conftest import Database as Db

    name = postgres.create_database()
    database = Db("postgresql", postgres.url(name), postgres=postgres, name=name)
    project = Scratch(tmp_path / "project", url=database.url)
    monkeypatch.chdir(project.root)
    project.add("0a0000000001", None, BASE, slug="base")
    project.add("0b0000000002", "0a0000000001",
                'op.create_index("ix_orders_price", "orders", ["price"])', slug="index")
    project.upgrade("0a0000000001")
    database.execute(*SEED, "ANALYZE orders")

    report = api.plan(project.target())
    assert report.extra["sizes"]["0b0000000002"][0].startswith("orders: 2 rows, ")
    text = project.cli("plan").stdout
    assert "orders: 2 rows" in text and "apply --phase expand" in text

    from migrate_doctor.predict import predict
    from migrate_doctor.predict.scale import scale
    from migrate_doctor.states import load_project, read_states

    ctx = read_states(load_project(project.target()))
    prediction = predict(ctx, ["0b0000000002"])
    linted = api.lint(project.target(), select={"create-index-not-concurrently"},
                      dialect="postgresql")
    (small,) = scale(linted.findings, prediction)
    assert small.severity.value == "info" and "orders: 2 rows" in small.message
    prediction.sizes["orders"] = type(prediction.sizes["orders"])("orders", 41_000_000,
                                                                  12 << 30)
    (big,) = scale(linted.findings, prediction)
    assert big.severity.value == "error" and "orders: ~41 M rows, 12 GB" in big.message


def test_a_check_that_cannot_be_evaluated_says_nothing(database: Database, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch):
    """A CHECK written for another database (a function this one lacks) is not guessed."""
    project = Scratch(tmp_path / "project", url=database.url)
    monkeypatch.chdir(project.root)
    project.add("0a0000000001", None, BASE, slug="base")
    body = textwrap.dedent('''\
        with op.batch_alter_table("orders") as b:
            b.create_check_constraint("ck_odd", "no_such_function(price) > 0")''')
    project.add("0b0000000002", "0a0000000001", body, slug="odd_check")
    project.upgrade("0a0000000001")
    database.execute(*SEED)
    assert of(api.plan(project.target()), "will-fail-on-rows") == []
