"""`plan` (issue 3): the phase of each revision (expand, contract, data, mixed, none) from
its operations; ranges (REV:REV, base:head) and the pending revisions of a database on
SQLite and PostgreSQL; before_deploy / after_deploy / split_first in the order they must
run; contract-still-mapped against the current models (plain Alembic and Flask); the JSON
`plan` object; usage errors; `flask db plan` and `migrate-doctor plan`.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from _support import BLOG_CREATE_COMMENTS, BLOG_CREATE_POSTS, FlaskProject, describe
from test_lint_engine import USERS, Scratch, line_of, of, one_line_error, same_file

from migrate_doctor.errors import UsageError
from migrate_doctor.model import Report, Severity

PLAN_KEYS = {"before_deploy", "after_deploy", "split_first", "phases"}


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Scratch:
    project = Scratch(tmp_path / "project")
    monkeypatch.chdir(project.root)
    return project


def plan_of(report: Report) -> dict:
    plan = report.extra["plan"]
    assert set(plan) == PLAN_KEYS
    return plan


def chain(project: Scratch, steps: list[tuple[str, str]], down: str | None = None) -> list[str]:
    """One revision per (upgrade body, slug), each on top of the previous; their ids."""
    revs = []
    for index, (body, slug) in enumerate(steps):
        rev = f"{index + 1:02d}c0ffee{index + 1:04d}"
        project.add(rev, down, body, slug=slug)
        revs.append(rev)
        down = rev
    return revs


# -- phases ---------------------------------------------------------------------------------

PHASE_CASES = [
    (USERS, "expand", "create_users"),
    ('op.add_column("users", sa.Column("age", sa.Integer(), nullable=True))', "expand",
     "add_age"),
    ('op.create_index("ix_users_age", "users", ["age"])', "expand", "index_age"),
    ('op.alter_column("users", "name", nullable=True)', "expand", "relax_name"),
    ("op.execute(\"UPDATE users SET age = 0 WHERE age IS NULL\")", "data", "backfill"),
    ("pass", "none", "nothing"),
    ('op.drop_column("users", "fax")', "contract", "drop_fax"),
    ('with op.batch_alter_table("users") as batch_op:\n    batch_op.drop_column("phone")',
     "contract", "batch_drop"),
    ('op.alter_column("users", "name", new_column_name="full_name")', "contract", "rename"),
    ('op.alter_column("users", "age", nullable=False)', "contract", "age_not_null"),
    ('op.execute("ALTER TABLE users DROP COLUMN email")', "contract", "sql_drop"),
    ('op.add_column("users", sa.Column("nick", sa.String(20)))\n'
     'op.drop_column("users", "age")', "mixed", "mixed"),
    ('op.rename_table("users", "people")', "contract", "rename_table"),
]


def test_each_revision_gets_its_phase_from_its_operations(scratch):
    revs = chain(scratch, [(body, slug) for body, _, slug in PHASE_CASES])
    plan = plan_of(scratch.plan("base:head"))
    assert list(plan["phases"]) == revs  # in upgrade order
    assert plan["phases"] == {rev: phase for rev, (_, phase, _) in zip(revs, PHASE_CASES)}


def test_downgrade_does_not_count(scratch):
    rev = "0a0a0a0a0a0a"
    scratch.add(rev, None, USERS, 'op.drop_table("users")')
    assert plan_of(scratch.plan("base:head"))["phases"] == {rev: "expand"}


# -- deploy order -------------------------------------------------------------------------

def test_before_after_and_split_in_the_order_they_run(scratch):
    steps = [
        (USERS, "expand"),
        ('op.execute("UPDATE users SET name = \'x\' WHERE name IS NULL")', "data"),
        ("pass", "none"),
        ('op.drop_column("users", "fax")', "contract"),
        ('op.add_column("users", sa.Column("age", sa.Integer(), nullable=True))', "late_expand"),
        ('op.add_column("users", sa.Column("nick", sa.String(20)))\n'
         'op.drop_column("users", "phone")', "mixed"),
        ('op.drop_column("users", "email")', "contract2"),
    ]
    revs = chain(scratch, steps)
    report = scratch.plan("base:head")
    plan = plan_of(report)

    assert plan["before_deploy"] == revs[:3]
    assert plan["after_deploy"] == [revs[3], revs[4], revs[6]]
    assert plan["split_first"] == [revs[5]]
    # an expand step behind a contract step cannot go before the deploy: said so
    (late,) = of(report, "expand-after-contract")
    assert late.severity is Severity.WARNING and late.evidence["revision"] == revs[4]
    assert late.evidence["after"] == revs[3]  # the first contract step it waits behind
    assert revs[3] in (late.fix or "") and revs[4] in (late.fix or "")
    assert late.location is not None and late.location.path.endswith(".py")
    assert report.exit_code() == 0 and report.exit_code(strict=True) == 1


def test_a_plan_of_expand_steps_only_is_all_before_deploy(scratch):
    revs = chain(scratch, [(USERS, "create"), (
        'op.add_column("users", sa.Column("age", sa.Integer(), nullable=True))', "add_age")])
    report = scratch.plan("base:head")
    assert plan_of(report) == {"before_deploy": revs, "after_deploy": [], "split_first": [],
                               "phases": dict.fromkeys(revs, "expand")}
    assert [f for f in report.findings if f.severity is not Severity.INFO] == []


# -- ranges -----------------------------------------------------------------------------------

def five(project: Scratch) -> list[str]:
    return chain(project, [
        (USERS, "create"),
        ('op.add_column("users", sa.Column("age", sa.Integer(), nullable=True))', "add_age"),
        ('op.drop_column("users", "fax")', "drop_fax"),
        ('op.execute("UPDATE users SET age = 1 WHERE age IS NULL")', "backfill"),
        ('op.drop_column("users", "phone")', "drop_phone"),
    ])


def test_ranges(scratch):
    revs = five(scratch)
    phases = lambda rng: list(plan_of(scratch.plan(rng))["phases"])  # noqa: E731
    assert phases("base:head") == revs
    assert phases(f"{revs[1]}:{revs[3]}") == revs[2:4]  # after the lower, up to the upper
    assert phases(f"{revs[1][:6]}:{revs[3][:6]}") == revs[2:4]  # partial ids
    assert phases(f"{revs[2]}:") == revs[3:]  # up to the heads
    assert phases(f"base:{revs[1]}") == revs[:2]
    assert phases(f"{revs[4]}:head") == []


@pytest.mark.parametrize("bad", ["nothing:head", "base:nothing", "HIGH:LOW", "one:two:three"])
def test_a_range_that_cannot_be_read_is_a_usage_error(scratch, bad):
    revs = five(scratch)
    bad = bad.replace("HIGH", revs[3]).replace("LOW", revs[1])
    with pytest.raises(UsageError):
        scratch.plan(bad)


def test_bad_range_and_no_range_without_database_exit_2_with_one_line(scratch):
    revs = five(scratch)
    no_db = scratch.cli("plan")
    one_line_error(no_db, "usage-error", 2)
    backwards = scratch.cli("plan", f"{revs[3]}:{revs[1]}")
    one_line_error(backwards, "usage-error", 2)
    unknown = scratch.cli("plan", "zzzzzz:head")
    one_line_error(unknown, "usage-error", 2)
    assert "zzzzzz" in unknown.stderr
    as_json = scratch.cli("plan", "zzzzzz:head", "--format", "json")  # the usage error as JSON
    assert as_json.code == 2 and as_json.stderr == "", as_json.output
    (finding,) = as_json.json()["findings"]
    assert finding["id"] == "usage-error" and "zzzzzz" in finding["message"], finding


def test_a_range_needs_no_database(scratch):
    """No URL at all: the range still plans, and exits 0."""
    revs = five(scratch)
    report = scratch.plan("base:head")
    assert list(plan_of(report)["phases"]) == revs
    assert report.exit_code() == 0, describe(report)


# -- the pending revisions of a database ------------------------------------------------------

def test_plan_of_the_pending_revisions(tmp_path, monkeypatch, database):
    project = Scratch(tmp_path / "project", url=database.url)
    monkeypatch.chdir(project.root)
    revs = five(project)
    project.upgrade(revs[1])

    report = project.plan()

    assert report.database is not None
    assert report.database.dialect == database.dialect
    assert list(report.database.current) == [revs[1]]
    plan = plan_of(report)
    assert list(plan["phases"]) == revs[2:]
    assert plan["phases"] == {revs[2]: "contract", revs[3]: "data", revs[4]: "contract"}
    assert plan["before_deploy"] == [] and plan["split_first"] == []
    assert plan["after_deploy"] == revs[2:]
    assert database.version_rows() == [revs[1]]  # planning only reads

    project.upgrade("head")
    done = plan_of(project.plan())
    assert done == {"before_deploy": [], "after_deploy": [], "split_first": [], "phases": {}}


def test_plan_of_pending_with_an_unreachable_database_is_a_finding(scratch):
    five(scratch)
    scratch.set_url("postgresql+psycopg://app:s3cr3t-pw@127.0.0.1:1/nowhere?connect_timeout=3")
    result = scratch.cli("plan", "--format", "json")
    assert "Traceback" not in result.output and result.code == 1, result.output
    assert [f["id"] for f in result.json()["findings"]] == ["database-unreachable"]
    assert "s3cr3t-pw" not in result.output


# -- contract-still-mapped ---------------------------------------------------------------------

MODELS = '''
from sqlalchemy import Column, Integer, MetaData, String, Table

metadata = MetaData()
users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    {columns}
)
'''
ALL_COLUMNS = ("name", "email", "phone", "fax")


def models(*columns: str) -> str:
    return MODELS.format(columns="\n    ".join(f'Column("{c}", String(50)),' for c in columns))


CONTRACTS = [  # upgrade body, the column it removes (None: the table), evidence target
    pytest.param('op.drop_column("users", "email")', "email", "column users.email",
                 id="drop-column"),
    pytest.param('with op.batch_alter_table("users") as batch_op:\n'
                 '    batch_op.drop_column("email")', "email", "column users.email",
                 id="batch-drop-column"),
    pytest.param('op.alter_column("users", "email", new_column_name="mail")', "email",
                 "column users.email (renamed to mail)", id="rename-column"),
    pytest.param('op.drop_table("users")', None, "table users", id="drop-table"),
    pytest.param('op.rename_table("users", "people")', None,
                 "table users (renamed to people)", id="rename-table"),
]


@pytest.mark.parametrize("body, column, target", CONTRACTS)
def test_contract_still_mapped_when_the_models_still_map_it(scratch, body, column, target):
    scratch.set_models(models(*ALL_COLUMNS))
    base, contract = "1a1a1a1a1a1a", "2b2b2b2b2b2b"
    scratch.add(base, None, USERS, 'op.drop_table("users")')
    path = scratch.add(contract, base, body)

    report = scratch.plan("base:head")

    (f,) = of(report, "contract-still-mapped")
    assert f.severity is Severity.ERROR and report.exit_code() == 1
    assert f.evidence == {"revision": contract, "target": target}
    assert same_file(f.location.path, path)
    needle = body.split("(")[0] if column is None else f'"{column}"'
    assert f.location.line == line_of(path, needle)
    assert plan_of(report)["after_deploy"] == [contract]

    # once the models no longer map it, the contract step is safe to plan
    if column is None:
        scratch.set_models("from sqlalchemy import MetaData\nmetadata = MetaData()\n")
    else:
        scratch.set_models(models(*(c for c in ALL_COLUMNS if c != column)))
    report = scratch.plan("base:head")
    assert of(report, "contract-still-mapped") == [], describe(report)
    assert report.exit_code() == 0


def test_contract_still_mapped_only_looks_at_the_planned_revisions(scratch):
    scratch.set_models(models("name", "phone", "fax"))  # email is no longer mapped
    revs = chain(scratch, [
        (USERS, "create"),
        ('op.drop_column("users", "phone")', "drop_phone"),  # still mapped
        ('op.drop_column("users", "email")', "drop_email"),
    ])
    assert [f.evidence["revision"] for f in of(scratch.plan("base:head"),
                                               "contract-still-mapped")] == [revs[1]]
    assert of(scratch.plan(f"{revs[1]}:head"), "contract-still-mapped") == []


def test_contract_still_mapped_on_the_pending_revisions(tmp_path, monkeypatch, database):
    project = Scratch(tmp_path / "project", url=database.url, models=models(*ALL_COLUMNS))
    monkeypatch.chdir(project.root)
    revs = five(project)
    project.upgrade(revs[2])
    report = project.plan()
    (f,) = of(report, "contract-still-mapped")
    assert f.evidence["revision"] == revs[4]  # phone: fax was dropped before, by revs[2]
    assert report.exit_code() == 1


# -- JSON and both CLIs ------------------------------------------------------------------------

def test_migrate_doctor_plan_json(scratch):
    scratch.set_models(models(*ALL_COLUMNS))
    revs = five(scratch)
    api_plan = plan_of(scratch.plan("base:head"))

    result = scratch.cli("plan", "base:head", "--format", "json")

    assert "Traceback" not in result.output
    assert result.code == 1, result.output  # contract-still-mapped for fax and phone
    data = result.json()
    assert set(data["plan"]) == PLAN_KEYS
    assert data["plan"] == api_plan
    assert list(data["plan"]["phases"]) == revs
    assert data["tool"]["command"] == "plan"
    assert sorted(f["evidence"]["revision"] for f in of(data, "contract-still-mapped")) == \
        [revs[2], revs[4]]
    assert data["summary"]["error"] == 2

    scratch.set_models(models("name", "email"))
    clean = scratch.cli("plan", f"{revs[0][:6]}:head", "--format", "json")
    assert clean.code == 0, clean.output
    assert list(clean.json()["plan"]["phases"]) == revs[1:]


def add_blog_revision(blog: FlaskProject, rev: str, down: str, upgrade: str) -> Path:
    path = blog.versions / f"{rev}_step.py"
    path.write_text(textwrap.dedent(f'''\
        """a step

        Revision ID: {rev}
        Revises: {down}
        """
        from alembic import op
        import sqlalchemy as sa

        revision = '{rev}'
        down_revision = '{down}'
        branch_labels = None
        depends_on = None


        def upgrade():
            {upgrade}


        def downgrade():
            pass
        '''), encoding="utf-8")
    return path


def test_flask_db_plan(blog, tmp_path):
    blog.url = f"sqlite:///{tmp_path / 'blog.db'}"
    tags, drop = "3c4d5e6f7a8b", "9c1d2e3f4a5b"
    add_blog_revision(blog, tags, BLOG_CREATE_COMMENTS,
                      "op.add_column('posts', sa.Column('tags', sa.Text(), nullable=True))")
    path = add_blog_revision(blog, drop, tags, "op.drop_column('posts', 'body')")

    result = blog.flask("db", "plan", "base:head", "--format", "json")

    assert "Traceback" not in result.output, result.output
    assert result.code == 1, result.output
    data = result.json()
    assert data["project"]["kind"] == "flask"
    assert data["plan"] == {
        "before_deploy": [BLOG_CREATE_POSTS, BLOG_CREATE_COMMENTS, tags],
        "after_deploy": [drop], "split_first": [],
        "phases": {BLOG_CREATE_POSTS: "expand", BLOG_CREATE_COMMENTS: "expand",
                   tags: "expand", drop: "contract"}}
    (f,) = of(data, "contract-still-mapped")  # Post.body is still in the models
    assert f["evidence"] == {"revision": drop, "target": "column posts.body"}
    assert (blog.root / f["location"]["path"]).resolve() == path.resolve()
    assert f["location"]["line"] == line_of(path, "op.drop_column")

    # the pending revisions of the app's database
    blog.upgrade(BLOG_CREATE_COMMENTS)
    pending = blog.flask("db", "plan", "--format", "json")
    assert pending.code == 1, pending.output
    assert pending.json()["plan"]["phases"] == {tags: "expand", drop: "contract"}
    assert pending.json()["database"]["current"] == [BLOG_CREATE_COMMENTS]

    # the model no longer maps posts.body: the contract step is safe
    models = blog.package / "models.py"
    models.write_text(models.read_text().replace(
        "    body = db.Column(db.Text, nullable=True)\n", ""))
    fixed = blog.flask("db", "plan", "--format", "json")
    assert fixed.code == 0, fixed.output
    assert of(fixed.json(), "contract-still-mapped") == []
