"""The lint engine (issue 3): which revisions are linted (all, --since, --pending, file
paths), suppression comments in revision files, `[tool.migrate-doctor]` in pyproject.toml,
revision files that import what is not installed, the target dialect, the JSON contract
and exit statuses, and both CLIs (`migrate-doctor lint|rules`, `flask db lint|rules`).

Each test builds a small plain Alembic project in tmp_path from strings (`Scratch`) and
runs the API; the console scripts run only where the CLI behaviour is the point.
"""

from __future__ import annotations

import importlib.util
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from _support import (
    BLOG_CREATE_COMMENTS,
    BLOG_CREATE_POSTS,
    FlaskProject,
    Result,
    describe,
    flask,
    migrate_doctor,
)

from migrate_doctor import api
from migrate_doctor.errors import UsageError
from migrate_doctor.model import Report, Severity
from migrate_doctor.rules import RULES

# -- a scratch plain Alembic project, written from strings -------------------------------

ENV_PY = '''\
"""env.py of a scratch project: the URL from alembic.ini, the models from models.py."""
import importlib.util
from pathlib import Path

from alembic import context
from sqlalchemy import create_engine, pool

config = context.config
ROOT = Path(__file__).resolve().parent.parent


def load_metadata():
    path = ROOT / "models.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("scratch_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.metadata


target_metadata = load_metadata()
url = config.get_main_option("sqlalchemy.url") or None

if context.is_offline_mode():
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=target_metadata)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
'''


def _body(code: str) -> str:
    code = textwrap.dedent(code).strip("\n")
    return textwrap.indent(code or "pass", "    ")


class Scratch:
    """A plain Alembic project: alembic.ini, migrations/env.py, migrations/versions/."""

    def __init__(self, root: Path, url: str | None = None, models: str | None = None) -> None:
        self.root = root
        self.ini = root / "alembic.ini"
        self.migrations = root / "migrations"
        self.versions = self.migrations / "versions"
        self.versions.mkdir(parents=True)
        (self.migrations / "env.py").write_text(ENV_PY, encoding="utf-8")
        self.files: dict[str, Path] = {}
        self.set_url(url)
        if models is not None:
            self.set_models(models)

    def set_url(self, url: str | None) -> None:
        value = (url or "").replace("%", "%%")
        self.ini.write_text(
            "[alembic]\nscript_location = %(here)s/migrations\npath_separator = os\n"
            f"sqlalchemy.url = {value}\n".replace("= \n", "=\n"), encoding="utf-8")

    def set_models(self, source: str) -> None:
        (self.root / "models.py").write_text(textwrap.dedent(source), encoding="utf-8")

    def add(self, rev: str, down: str | tuple[str, ...] | None, upgrade: str = "pass",
            downgrade: str = "pass", *, header: str = "", slug: str | None = None) -> Path:
        """Write one revision file; ``header`` goes between the imports and the ids."""
        text = (
            f'"""{slug or "revision " + rev}\n\nRevision ID: {rev}\nRevises: {down or ""}\n"""\n'
            "from alembic import op\n"
            "import sqlalchemy as sa\n"
            f"{textwrap.dedent(header).strip()}\n\n"
            f"revision = {rev!r}\n"
            f"down_revision = {down!r}\n"
            "branch_labels = None\n"
            "depends_on = None\n\n\n"
            f"def upgrade():\n{_body(upgrade)}\n\n\n"
            f"def downgrade():\n{_body(downgrade)}\n"
        )
        path = self.versions / f"{rev}_{slug or 'step'}.py"
        path.write_text(text, encoding="utf-8")
        self.files[rev] = path
        return path

    def target(self) -> api.Target:
        return api.Target(config=str(self.ini))

    def lint(self, **options: Any) -> Report:
        return api.lint(self.target(), **options)

    def plan(self, revision_range: str | None = None) -> Report:
        return api.plan(self.target(), revision_range=revision_range)

    def upgrade(self, rev: str) -> None:
        """Apply revisions with Alembic itself (the database state under test)."""
        from alembic import command
        from alembic.config import Config

        command.upgrade(Config(str(self.ini)), rev)

    def cli(self, *args: str, **env: str | None) -> Result:
        return migrate_doctor("-c", str(self.ini), *args, cwd=self.root, **env)


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Scratch:
    """An empty scratch project with no database URL; the working directory is its root."""
    project = Scratch(tmp_path / "project")
    monkeypatch.chdir(project.root)
    return project


# -- reading findings ---------------------------------------------------------------------

def of(report: Report | dict[str, Any], rule_id: str) -> list[Any]:
    findings = report["findings"] if isinstance(report, dict) else report.findings
    return [f for f in findings if (f["id"] if isinstance(f, dict) else f.id) == rule_id]


def revisions(report: Report, rule_id: str) -> list[str]:
    """The revision each finding of ``rule_id`` is about (from its evidence), sorted."""
    return sorted(f.evidence["revision"] for f in of(report, rule_id))


def line_of(path: Path, needle: str, start: int = 1) -> int:
    """The 1-based number of the first line at or after ``start`` containing ``needle``."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if number >= start and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def same_file(location_path: str, path: Path) -> bool:
    return Path(location_path).resolve() == path.resolve()


def checked(report: Report) -> int:
    return report.extra["lint"]["revisions_checked"]


def one_line_error(result: Result, error_id: str, code: int) -> None:
    assert "Traceback" not in result.output, result.output
    assert result.code == code, result.output
    assert result.stdout == "", result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{error_id}: "), result.stderr


# The users table, then three revisions that each drop one of its columns.
USERS = '''
op.create_table(
    "users",
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("name", sa.String(50), nullable=True),
    sa.Column("email", sa.String(100), nullable=True),
    sa.Column("phone", sa.String(20), nullable=True),
    sa.Column("fax", sa.String(20), nullable=True),
)
'''
A, B, C, D = "a1a1a1a1a1a1", "b2b2b2b2b2b2", "c3c3c3c3c3c3", "d4d4d4d4d4d4"


def dropping_chain(project: Scratch) -> None:
    """A creates users; B, C, D each drop one column (a drop-column warning each)."""
    project.add(A, None, USERS, 'op.drop_table("users")', slug="create_users")
    project.add(B, A, 'op.drop_column("users", "email")', slug="drop_email")
    project.add(C, B, 'op.drop_column("users", "phone")', slug="drop_phone")
    project.add(D, C, 'op.drop_column("users", "fax")', slug="drop_fax")


# -- selecting what to lint ----------------------------------------------------------------

def test_all_revisions_are_linted_in_upgrade_order_not_file_order(scratch):
    """File names sort against the graph (the base revision's file sorts last): the
    history each rule sees still follows down_revision."""
    base, second = "ff00000000ff", "0000aaaa0000"
    scratch.add(base, None, USERS, 'op.drop_table("users")', slug="create_users")
    scratch.add(second, base, '''
        op.drop_column("users", "name")
        op.add_column("users", sa.Column("full_name", sa.String(100), nullable=True))
    ''', slug="rename_by_hand")
    assert sorted(p.name for p in scratch.versions.iterdir())[0].startswith(second)

    report = scratch.lint(select={"drop-add-looks-like-rename"})  # an opt-in rule

    assert checked(report) == 2
    assert report.project is not None and report.project.heads == (second,)
    (rename,) = of(report, "drop-add-looks-like-rename")
    # the type of users.name comes from the base revision, replayed first: both are text
    assert "(both text)" in rename.message, describe(report)
    assert rename.evidence["revision"] == second
    assert (rename.evidence["column"], rename.evidence["new_column"]) == ("name", "full_name")
    assert same_file(rename.location.path, scratch.files[second])
    assert rename.location.line == line_of(scratch.files[second], 'op.drop_column("users"')


def test_every_revision_is_linted_by_default(scratch):
    dropping_chain(scratch)
    report = scratch.lint()
    assert checked(report) == 4
    assert revisions(report, "drop-column") == [B, C, D]
    for f in of(report, "drop-column"):
        path = scratch.files[f.evidence["revision"]]
        assert same_file(f.location.path, path)
        assert f.location.line == line_of(path, "op.drop_column(")


@pytest.mark.parametrize("given", [B, B[:5]], ids=["full-id", "partial-id"])
def test_since_lints_only_the_revisions_after_it(scratch, given):
    dropping_chain(scratch)
    report = scratch.lint(since=given)
    assert checked(report) == 2
    assert revisions(report, "drop-column") == [C, D]


def test_since_an_unknown_or_ambiguous_revision_is_a_usage_error(scratch):
    dropping_chain(scratch)
    scratch.add("d4d4ffffffff", D, slug="twin_prefix")  # shares "d4d4" with D
    for bad in ("999999", "d4d4"):
        with pytest.raises(UsageError) as info:
            scratch.lint(since=bad)
        assert bad in info.value.message

    result = scratch.cli("lint", "--since", "999999")
    one_line_error(result, "usage-error", 2)
    assert "999999" in result.stderr


def test_pending_lints_only_what_the_database_has_not_applied(tmp_path, monkeypatch, database):
    project = Scratch(tmp_path / "project", url=database.url)
    monkeypatch.chdir(project.root)
    dropping_chain(project)
    project.upgrade(B)
    assert database.version_rows() == [B]

    report = project.lint(pending=True)

    assert checked(report) == 2
    assert revisions(report, "drop-column") == [C, D]
    assert report.extra["lint"]["dialect"] == database.dialect

    project.upgrade("head")
    report = project.lint(pending=True)
    assert checked(report) == 0
    assert of(report, "drop-column") == []
    # and the database was only read
    assert database.version_rows() == [D]


def test_pending_without_a_database_url_is_a_usage_error(scratch):
    dropping_chain(scratch)
    with pytest.raises(UsageError):
        scratch.lint(pending=True)
    one_line_error(scratch.cli("lint", "--pending"), "usage-error", 2)


def test_pending_with_an_unreachable_database_is_one_line(scratch):
    dropping_chain(scratch)
    scratch.set_url("postgresql+psycopg://app:s3cr3t-pw@127.0.0.1:1/nowhere?connect_timeout=3")
    result = scratch.cli("lint", "--pending")
    one_line_error(result, "database-unreachable", 1)
    assert "s3cr3t-pw" not in result.output


def test_file_paths_report_only_those_files_with_the_earlier_history(scratch):
    """Pre-commit passes the changed files: only their findings are reported, but the
    revisions before them still build the schema the rules see."""
    dropping_chain(scratch)
    rename = scratch.add("e5e5e5e5e5e5", D, '''
        op.drop_column("users", "name")
        op.add_column("users", sa.Column("full_name", sa.String(100), nullable=True))
        op.add_column("users", sa.Column("age", sa.Integer(), nullable=False))
    ''', slug="rename_by_hand")

    rules = {"drop-add-looks-like-rename", "drop-column", "add-not-null-column-without-default"}
    report = scratch.lint(paths=(str(rename.relative_to(scratch.root)),), select=rules)

    assert checked(report) == 1
    located = {Path(f.location.path).resolve() for f in report.findings if f.location}
    assert located == {rename.resolve()}, describe(report)
    (finding,) = of(report, "drop-add-looks-like-rename")
    assert "(both text)" in finding.message  # users.name's type is known from A
    assert revisions(report, "drop-column") == ["e5e5e5e5e5e5"]
    # users, created by an earlier revision, is an existing table with rows
    (not_null,) = of(report, "add-not-null-column-without-default")
    assert (not_null.evidence["table"], not_null.evidence["column"]) == ("users", "age")

    # the same file with no history before it: the type of users.name is unknown
    alone = Scratch(scratch.root.parent / "alone")
    alone.add("e5e5e5e5e5e5", None, '''
        op.drop_column("users", "name")
        op.add_column("users", sa.Column("full_name", sa.String(100), nullable=True))
    ''', slug="rename_by_hand")
    (without_history,) = of(alone.lint(select=rules), "drop-add-looks-like-rename")
    assert "(both text)" not in without_history.message


def test_file_paths_and_since_combine(scratch):
    dropping_chain(scratch)
    report = scratch.lint(paths=(str(scratch.files[B]), str(scratch.files[D])), since=B)
    assert revisions(report, "drop-column") == [D]


# -- suppression comments in revision files ----------------------------------------------

def test_ignore_at_the_end_of_the_line(scratch):
    scratch.add(A, None, USERS, slug="create_users")
    path = scratch.add(B, A, '''
        op.drop_column("users", "email")  # migrate-doctor: ignore[drop-column] nobody reads it
        op.drop_column("users", "phone")
    ''')
    report = scratch.lint(select={"drop-column"})
    (kept,) = of(report, "drop-column")
    assert kept.location.line == line_of(path, '"phone"')
    assert of(report, "unused-ignore") == []


def test_ignore_on_its_own_line_silences_the_next_statement(scratch):
    scratch.add(A, None, USERS, slug="create_users")
    path = scratch.add(B, A, '''
        # migrate-doctor: ignore[drop-column] the column was never used

        op.drop_column(
            "users",
            "email",
        )
        op.drop_column("users", "phone")
        op.drop_column(
            "users",
            "fax",
        )  # migrate-doctor: ignore[drop-column] end of a statement spanning lines
    ''')
    report = scratch.lint(select={"drop-column"})
    (kept,) = of(report, "drop-column")
    assert kept.location.line == line_of(path, '"phone"')
    assert of(report, "unused-ignore") == []


def test_ignore_in_the_header_covers_the_whole_file(scratch):
    scratch.add(A, None, USERS, slug="create_users")
    scratch.add(B, A, '''
        op.drop_column("users", "email")
        op.drop_column("users", "phone")
    ''', header="# migrate-doctor: ignore[drop-column] the legacy columns go in one step")
    other = scratch.add(C, B, 'op.drop_column("users", "fax")')
    report = scratch.lint(select={"drop-column"})
    (kept,) = of(report, "drop-column")  # the other file is not covered
    assert same_file(kept.location.path, other)
    assert of(report, "unused-ignore") == []


def test_an_ignore_that_silences_nothing_is_reported_with_its_place(scratch):
    scratch.add(A, None, USERS, slug="create_users")
    path = scratch.add(B, A, '''
        op.drop_column("users", "email")  # migrate-doctor: ignore[drop-table] wrong id
    ''')
    report = scratch.lint()
    assert revisions(report, "drop-column") == [B]  # not silenced: wrong id
    (unused,) = of(report, "unused-ignore")
    assert unused.severity is Severity.WARNING
    assert unused.evidence["rule"] == "drop-table"
    assert same_file(unused.location.path, path)
    assert unused.location.line == line_of(path, "ignore[drop-table]")
    assert f"{unused.location.path}:{unused.location.line}" in unused.message


def test_one_comment_may_name_several_ids(scratch):
    scratch.add(A, None, USERS, slug="create_users")
    scratch.add("f6f6f6f6f6f6", A, 'op.create_table("tags", sa.Column("id", sa.Integer()))',
                'op.drop_table("tags")')
    header_file = scratch.add(B, "f6f6f6f6f6f6", '''
        op.drop_column("users", "email")
        op.drop_table("tags")
    ''', header="# migrate-doctor: ignore[drop-column, drop-table] retired features")
    line_file = scratch.add(C, B, '''
        op.drop_column("users", "phone")  # migrate-doctor: ignore[drop-column,drop-table] x
    ''')
    report = scratch.lint(select={"drop-column", "drop-table"})
    assert of(report, "drop-column") == [] and of(report, "drop-table") == [], describe(report)
    (unused,) = of(report, "unused-ignore")  # drop-table on C's line silences nothing
    assert unused.evidence["rule"] == "drop-table"
    assert same_file(unused.location.path, line_file)
    assert unused.location.line == line_of(line_file, "ignore[drop-column,drop-table]")
    assert not same_file(unused.location.path, header_file)


def test_ignores_in_revisions_not_linted_are_not_reported(scratch):
    scratch.add(A, None, USERS, slug="create_users")
    scratch.add(B, A, 'op.drop_column("users", "email")  # migrate-doctor: ignore[drop-table] x')
    scratch.add(C, B, 'op.drop_column("users", "phone")')
    report = scratch.lint(since=B)
    assert of(report, "unused-ignore") == []
    assert revisions(report, "drop-column") == [C]



def test_an_ignore_is_judged_only_where_its_rule_runs(scratch):
    scratch.add(A, None, USERS, slug="create_users")
    scratch.add(B, A, '''
        op.create_index("ix_users_email", "users", ["email"])  # migrate-doctor: ignore[create-index-not-concurrently] small table
    ''')
    # on SQLite the PostgreSQL rule does not run: its ignore proves nothing either way
    assert of(scratch.lint(dialect="sqlite"), "unused-ignore") == []
    # on PostgreSQL it runs and the ignore silences it
    report = scratch.lint(dialect="postgresql")
    assert of(report, "create-index-not-concurrently") == [] and of(report, "unused-ignore") == []
    # left out by --select, the rule did not run: no unused-ignore
    assert of(scratch.lint(dialect="postgresql", select={"drop-column"}), "unused-ignore") == []


def test_an_ignore_naming_no_rule_is_reported_as_a_typo(scratch):
    scratch.add(A, None, USERS, slug="create_users")
    path = scratch.add(B, A, '''
        op.drop_column("users", "email")  # migrate-doctor: ignore[drop-colum] typo
    ''')
    report = scratch.lint(dialect="sqlite")
    (unused,) = of(report, "unused-ignore")
    assert unused.evidence["rule"] == "drop-colum" and "names no rule" in unused.message
    assert unused.location.line == line_of(path, "ignore[drop-colum]")
    assert revisions(report, "drop-column") == [B]


def test_a_malformed_revision_file_is_one_finding_and_the_rest_is_linted(scratch):
    scratch.add(A, None, USERS, slug="create_users")
    scratch.add(B, A, 'op.drop_column("users", "email")', slug="drop_email")
    broken = scratch.versions / "c0ffee000000_broken.py"
    broken.write_text("revision = 'c0ffee000000'\ndown_revision = %r\n\ndef upgrade(:\n" % B)
    before = broken.read_bytes()

    report = scratch.lint()

    (syntax,) = of(report, "script-syntax-error")
    assert same_file(syntax.location.path, broken) and syntax.location.line == 4
    assert revisions(report, "drop-column") == [B]  # the readable files are linted all the same
    assert broken.read_bytes() == before
    # linting only another file leaves the broken one out of the report
    assert of(scratch.lint(paths=(str(scratch.files[B]),)), "script-syntax-error") == []
    result = scratch.cli("lint")
    assert result.code == 1 and "Traceback" not in result.output

def test_a_duplicated_revision_id_is_said_by_lint(scratch):
    scratch.add(A, None, USERS, slug="create_users")
    scratch.add(B, A, 'op.drop_column("users", "email")', slug="one")
    copy = scratch.versions / f"{B}_two.py"
    copy.write_text(scratch.files[B].read_text(encoding="utf-8"), encoding="utf-8")
    report = scratch.lint()
    (dup,) = of(report, "duplicate-revision-id")
    assert dup.evidence["revision"] == B and dup.severity is Severity.ERROR
    assert dup.location is not None and dup.location.line is not None

# -- [tool.migrate-doctor] in pyproject.toml ------------------------------------------------

def write_config(where: Path, body: str) -> Path:
    path = where / "pyproject.toml"
    path.write_text("[project]\nname = \"app\"\n\n[tool.migrate-doctor]\n"
                    + textwrap.dedent(body), encoding="utf-8")
    return path


def error_chain(project: Scratch) -> None:
    """drop-column (warning) in B, add-not-null-column-without-default (error) in C."""
    project.add(A, None, USERS, 'op.drop_table("users")', slug="create_users")
    project.add(B, A, 'op.drop_column("users", "email")', slug="drop_email")
    project.add(C, B, 'op.add_column("users", sa.Column("age", sa.Integer(), nullable=False))',
                'op.drop_column("users", "age")', slug="add_age")


@pytest.mark.parametrize("where", ["migrations", "project", "above"])
def test_config_is_found_at_or_above_the_migrations_directory(scratch, where):
    dropping_chain(scratch)
    folder = {"migrations": scratch.migrations, "project": scratch.root,
              "above": scratch.root.parent}[where]
    write_config(folder, 'ignore = ["drop-column"]\n')
    assert of(scratch.lint(), "drop-column") == []


def test_config_select_and_ignore(scratch):
    error_chain(scratch)
    everything = {f.id for f in scratch.lint().findings}
    assert {"drop-column", "add-not-null-column-without-default"} <= everything

    write_config(scratch.root, 'select = ["drop-column"]\n')
    assert {f.id for f in scratch.lint().findings} == {"drop-column"}

    write_config(scratch.root, 'ignore = ["drop-column", "missing-downgrade"]\n')
    ids = {f.id for f in scratch.lint().findings}
    assert ids == everything - {"drop-column", "missing-downgrade"}


def test_the_command_line_select_replaces_the_config_select(scratch):
    error_chain(scratch)
    write_config(scratch.root, 'select = ["drop-column"]\n')
    chosen = {f.id for f in scratch.lint(select={"add-not-null-column-without-default"}).findings}
    assert chosen == {"add-not-null-column-without-default"}


def test_config_severity_changes_the_exit_status(scratch):
    dropping_chain(scratch)
    report = scratch.lint(select={"drop-column"})
    assert {f.severity for f in report.findings} == {Severity.WARNING}
    assert report.exit_code() == 0

    write_config(scratch.root, '[tool.migrate-doctor.severity]\n"drop-column" = "error"\n')
    report = scratch.lint(select={"drop-column"})
    assert [f.severity for f in of(report, "drop-column")] == [Severity.ERROR] * 3
    assert report.exit_code() == 1

    result = scratch.cli("lint", "--select", "drop-column", "--format", "json")
    assert result.code == 1, result.output
    assert {f["severity"] for f in of(result.json(), "drop-column")} == {"error"}


def test_config_start_after_leaves_old_history_alone(scratch):
    dropping_chain(scratch)
    scratch.add("e5e5e5e5e5e5", D, '''
        op.drop_column("users", "name")
        op.add_column("users", sa.Column("full_name", sa.String(100), nullable=True))
    ''')
    write_config(scratch.root, f'start-after = "{C[:6]}"\n')
    report = scratch.lint(select={"drop-column", "drop-add-looks-like-rename"})
    assert checked(report) == 2
    assert revisions(report, "drop-column") == [D, "e5e5e5e5e5e5"]
    # the old revisions are not judged, but they still build the schema
    (rename,) = of(report, "drop-add-looks-like-rename")
    assert "(both text)" in rename.message


def test_config_deploy_stopped_turns_off_the_rules_about_a_running_release(scratch):
    error_chain(scratch)
    online = {f.id for f in scratch.lint().findings}
    assert "drop-column" in online

    write_config(scratch.root, 'deploy = "stopped"\n')
    report = scratch.lint()
    stopped = {f.id for f in report.findings}
    assert "drop-column" not in stopped
    assert "add-not-null-column-without-default" in stopped  # fails on rows all the same
    assert report.extra["lint"]["deploy"] == "stopped"
    marked = {e.id for e in RULES.all() if e.options.get("online")}
    assert not stopped & marked
    # the option replaces the setting, also on the command line
    assert "drop-column" in {f.id for f in scratch.lint(deploy="online").findings}
    result = scratch.cli("lint", "--deploy", "online", "--format", "json")
    assert "drop-column" in {f["id"] for f in result.json()["findings"]}


@pytest.mark.parametrize("body, words", [
    ('colour = "blue"\n', ["colour"]),
    ('deploy = "rolling"\n', ["deploy", "rolling"]),
    ('[tool.migrate-doctor.severity]\n"drop-column" = "fatal"\n', ["drop-column", "fatal"]),
    ('select = "drop-column"\n', ["select"]),
    ('start-after = "0123456789"\n', ["0123456789"]),
    ("select = [\n", []),  # not TOML
], ids=["unknown-key", "bad-deploy", "bad-severity", "select-not-a-list", "unknown-start-after",
        "bad-toml"])
def test_invalid_config_is_a_one_line_usage_error(scratch, body, words):
    dropping_chain(scratch)
    write_config(scratch.root, body)
    with pytest.raises(UsageError):
        scratch.lint()
    result = scratch.cli("lint")
    one_line_error(result, "usage-error", 2)
    for word in words:
        assert word in result.stderr


# -- revision files that import what is not installed -----------------------------------------

def test_revisions_importing_modules_that_are_not_installed_are_linted(scratch):
    missing = "package_that_is_not_installed_anywhere"
    assert importlib.util.find_spec(missing) is None
    scratch.add(A, None, USERS, slug="create_users")
    path = scratch.add(B, A, '''
        op.add_column("users", sa.Column("code", package_that_is_not_installed_anywhere.Code()))
        op.drop_column("users", "email")
        for user in User.query.all():  # the app's model, queried
            pass
    ''', header=f"import {missing}\nfrom myapp.models import User")

    report = scratch.lint()

    assert {"script-syntax-error", "app-import-error"}.isdisjoint(f.id for f in report.findings)
    assert checked(report) == 2
    assert revisions(report, "drop-column") == [B]
    (imports,) = of(report, "data-migration-imports-app-models")
    assert same_file(imports.location.path, path)
    assert imports.location.line == line_of(path, "from myapp.models import User")
    assert importlib.util.find_spec(missing) is None


# -- dialect ---------------------------------------------------------------------------------

def dialect_only(dialect: str) -> set[str]:
    """Rule ids that name their dialects and leave ``dialect`` out."""
    return {e.id for e in RULES.all()
            if e.options.get("dialects") is not None and dialect not in e.options["dialects"]}


def dialect_chain(project: Scratch) -> None:
    project.add(A, None, USERS, 'op.drop_table("users")', slug="create_users")
    project.add(B, A, '''
        op.create_index("ix_users_email", "users", ["email"])
        op.alter_column("users", "name", nullable=False)
    ''', '''
        op.alter_column("users", "name", nullable=True)
        op.drop_index("ix_users_email", table_name="users")
    ''', slug="index_and_not_null")


def test_dialect_comes_from_the_project_url(tmp_path, monkeypatch):
    sqlite = Scratch(tmp_path / "lite", url=f"sqlite:///{tmp_path / 'app.db'}")
    pg = Scratch(tmp_path / "pg", url="postgresql+psycopg://app:pw@db.invalid/prod")
    monkeypatch.chdir(tmp_path)
    for project in (sqlite, pg):
        dialect_chain(project)
    on_sqlite, on_pg = sqlite.lint(), pg.lint()  # lint does not connect

    assert on_sqlite.extra["lint"]["dialect"] == "sqlite"
    assert on_pg.extra["lint"]["dialect"] == "postgresql"
    sqlite_ids = {f.id for f in on_sqlite.findings}
    pg_ids = {f.id for f in on_pg.findings}
    assert sqlite_ids.isdisjoint(dialect_only("sqlite")), describe(on_sqlite)
    assert pg_ids.isdisjoint(dialect_only("postgresql")), describe(on_pg)
    assert "create-index-not-concurrently" in dialect_only("sqlite")
    assert "create-index-not-concurrently" in pg_ids
    assert "sqlite-alter-without-batch" in sqlite_ids
    assert "sqlite-alter-without-batch" not in pg_ids


def test_the_dialect_option_overrides_the_url(tmp_path, monkeypatch):
    project = Scratch(tmp_path / "lite", url=f"sqlite:///{tmp_path / 'app.db'}")
    monkeypatch.chdir(project.root)
    dialect_chain(project)
    report = project.lint(dialect="postgresql")
    assert report.extra["lint"]["dialect"] == "postgresql"
    ids = {f.id for f in report.findings}
    assert "create-index-not-concurrently" in ids
    assert ids.isdisjoint(dialect_only("postgresql"))

    result = project.cli("lint", "--dialect", "postgresql", "--format", "json")
    data = result.json()
    assert data["lint"]["dialect"] == "postgresql"
    assert of(data, "create-index-not-concurrently") and not of(data, "sqlite-alter-without-batch")


def test_no_dialect_rules_run_when_the_target_is_unknown(scratch):
    dialect_chain(scratch)
    report = scratch.lint()
    assert report.extra["lint"]["dialect"] is None
    assert {f.id for f in report.findings}.isdisjoint(
        {e.id for e in RULES.all() if e.options.get("dialects") is not None})


# -- JSON output and exit statuses ------------------------------------------------------------

FINDING_KEYS = {"id", "severity", "title", "message", "fix", "location", "evidence"}
KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def check_contract(data: dict[str, Any], project: Scratch) -> None:
    assert {"tool", "project", "database", "findings", "summary"} <= set(data)
    assert data["tool"]["name"] == "migrate-doctor" and data["tool"]["command"] == "lint"
    assert data["project"]["kind"] == "alembic"
    assert Path(data["project"]["migrations"]).resolve() == project.migrations.resolve()
    assert data["project"]["revisions"] == len(project.files)
    assert isinstance(data["project"]["heads"], list)
    summary = {"error": 0, "warning": 0, "info": 0}
    for f in data["findings"]:
        assert set(f) == FINDING_KEYS
        assert KEBAB.match(f["id"]) and f["severity"] in summary
        assert f["title"] and not f["title"].endswith(".") and "\n" not in f["title"]
        assert f["message"] and isinstance(f["evidence"], dict)
        summary[f["severity"]] += 1
        if f["location"] is not None:
            assert set(f["location"]) == {"path", "line", "end_line", "column"}
            path = (project.root / f["location"]["path"]).resolve()
            assert path in {p.resolve() for p in project.files.values()}
            assert isinstance(f["location"]["line"], int)
    assert data["summary"] == summary


def test_json_follows_the_finding_contract_and_errors_exit_1(scratch):
    error_chain(scratch)
    result = scratch.cli("lint", "--format", "json")
    assert result.code == 1, result.output
    data = result.json()
    check_contract(data, scratch)
    (error,) = of(data, "add-not-null-column-without-default")
    assert error["severity"] == "error"
    assert error["evidence"]["revision"] == C
    assert (error["evidence"]["table"], error["evidence"]["column"]) == ("users", "age")
    assert error["location"]["line"] == line_of(scratch.files[C], "op.add_column(")
    assert "users" in error["fix"] and "age" in error["fix"]
    (warning,) = of(data, "drop-column")
    assert warning["evidence"]["revision"] == B
    # the API gives the same findings the JSON shows
    report = scratch.lint()
    assert sorted(f.id for f in report.findings) == sorted(f["id"] for f in data["findings"])


def test_warnings_exit_0_unless_strict(scratch):
    dropping_chain(scratch)
    plain = scratch.cli("lint", "--select", "drop-column", "--format", "json")
    assert plain.code == 0, plain.output
    data = plain.json()
    check_contract(data, scratch)
    assert data["summary"] == {"error": 0, "warning": 3, "info": 0}
    strict = scratch.cli("lint", "--select", "drop-column", "--strict")
    assert strict.code == 1, strict.output
    assert "Traceback" not in strict.output
    ignored = scratch.cli("lint", "--ignore", "drop-column", "--ignore", "missing-downgrade",
                          "--strict", "--format", "json")
    assert ignored.code == 0, ignored.output
    assert of(ignored.json(), "drop-column") == []


def test_clean_revisions_exit_0(scratch):
    scratch.add(A, None, USERS, 'op.drop_table("users")', slug="create_users")
    result = scratch.cli("lint", "--strict", "--format", "json")
    assert result.code == 0, result.output
    assert result.json()["findings"] == []


# -- both CLIs: lint and rules -----------------------------------------------------------------

def add_blog_revision(blog: FlaskProject) -> Path:
    path = blog.versions / "9c1d2e3f4a5b_drop_posts_body.py"
    path.write_text(textwrap.dedent(f'''\
        """drop posts.body

        Revision ID: 9c1d2e3f4a5b
        Revises: {BLOG_CREATE_COMMENTS}
        """
        from alembic import op
        import sqlalchemy as sa

        revision = '9c1d2e3f4a5b'
        down_revision = '{BLOG_CREATE_COMMENTS}'
        branch_labels = None
        depends_on = None


        def upgrade():
            op.drop_column('posts', 'body')


        def downgrade():
            op.add_column('posts', sa.Column('body', sa.Text(), nullable=True))
        '''), encoding="utf-8")
    return path


def test_flask_db_lint(blog, tmp_path):
    path = add_blog_revision(blog)
    blog.url = f"sqlite:///{tmp_path / 'blog.db'}"
    result = blog.flask("db", "lint", "--format", "json")
    assert "Traceback" not in result.output, result.output
    assert result.code == 0, result.output
    data = result.json()
    assert data["project"]["kind"] == "flask"
    assert data["project"]["revisions"] == 3
    assert data["lint"]["dialect"] == "sqlite"
    (drop,) = of(data, "drop-column")
    assert drop["evidence"]["revision"] == "9c1d2e3f4a5b"
    assert (blog.root / drop["location"]["path"]).resolve() == path.resolve()
    assert drop["location"]["line"] == line_of(path, "op.drop_column(")

    since = blog.flask("db", "lint", "--since", BLOG_CREATE_POSTS[:6], "--format", "json")
    assert since.code == 0, since.output
    assert since.json()["lint"]["revisions_checked"] == 2


def run_rules(runner: str, project_root: Path, *args: str) -> Result:
    if runner == "migrate-doctor":
        return migrate_doctor("rules", *args, cwd=project_root)
    return flask("db", "rules", *args, cwd=project_root, FLASK_APP="blog")


@pytest.mark.parametrize("runner", ["migrate-doctor", "flask-db"])
def test_rules_lists_explains_and_refuses(blog, runner):
    listing = run_rules(runner, blog.root)
    assert listing.code == 0, listing.output
    listed = [line.split()[0] for line in listing.stdout.splitlines() if line.strip()]
    registered = sorted(e.id for e in RULES.all())
    assert listed == registered
    for entry in RULES.all():
        line = next(ln for ln in listing.stdout.splitlines() if ln.split()[0] == entry.id)
        assert entry.severity.value in line.split() and entry.title in line

    entry = RULES.get("drop-column")
    assert entry is not None
    explained = run_rules(runner, blog.root, "drop-column")
    assert explained.code == 0, explained.output
    assert "Use instead" in explained.stdout
    assert entry.section("use instead").splitlines()[0] in explained.stdout
    assert entry.title in explained.stdout

    refused = run_rules(runner, blog.root, "nope")
    one_line_error(refused, "usage-error", 2)
    assert "nope" in refused.stderr


def test_api_rules_are_the_registry():
    assert [e.id for e in api.rules()] == sorted(e.id for e in RULES.all())
    for entry in api.rules():
        assert isinstance(entry.severity, Severity) and KEBAB.match(entry.id)



# -- output a person can use on a real history (issue 7, section 4) ---------------------------

def test_text_is_grouped_by_revision_with_a_summary_table(scratch):
    dropping_chain(scratch)
    text = scratch.cli("lint", "--dialect", "postgresql").stdout
    headers = re.findall(r"^revision (\w+)  (\S+)$", text, flags=re.M)
    assert [rev for rev, _ in headers] == [B, C, D], text  # in upgrade order
    table = text[text.index("rule "):]
    assert re.search(r"^drop-column\s+warning\s+3$", table, flags=re.M), table
    assert re.search(r"^missing-lock-timeout\s+warning\s+1$", table, flags=re.M), table


def test_a_cause_in_env_py_is_one_finding_there(scratch):
    dropping_chain(scratch)
    report = scratch.lint(dialect="postgresql")
    (f,) = of(report, "missing-lock-timeout")
    assert f.location is not None and f.location.path.endswith("env.py") and f.location.line
    assert f.evidence["count"] == 3 and f.evidence["revisions"] == [B, C, D]
    assert "3 revision(s)" in f.message and "lock_timeout" in (f.fix or "")
    # linting one file (pre-commit) keeps that file's own finding
    (own,) = of(scratch.lint(dialect="postgresql", paths=(str(scratch.files[C]),)),
                "missing-lock-timeout")
    assert own.location is not None and same_file(own.location.path, scratch.files[C])


def test_old_revisions_with_findings_get_the_baseline_lines(scratch):
    dropping_chain(scratch)
    report = scratch.lint(dialect="postgresql")
    hint = report.extra["lint"]["baseline"]
    assert hint["lines"] == f'[tool.migrate-doctor]\nstart-after = "{D}"'
    text = scratch.cli("lint", "--dialect", "postgresql").stdout
    assert f'start-after = "{D}"' in text
    write_config(scratch.root, f'start-after = "{D}"\n')
    assert "baseline" not in scratch.lint(dialect="postgresql").extra["lint"]


@pytest.mark.parametrize("args", [("--select", "drop-colum"), ("--ignore", "no-such-rule")])
def test_unknown_rule_ids_are_usage_errors(scratch, args):
    dropping_chain(scratch)
    one_line_error(scratch.cli("lint", *args), "usage-error", 2)
    as_json = scratch.cli("lint", *args, "--format", "json")
    assert as_json.code == 2 and as_json.json()["findings"][0]["id"] == "usage-error"
    write_config(scratch.root, 'ignore = ["drop-colum"]\n')
    one_line_error(scratch.cli("lint"), "usage-error", 2)
