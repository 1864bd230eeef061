"""Every rule's fix runs (issue 7, section 3): for each firing case of each rule
(tests/rules/cases/<rule>.py), the findings of that rule on the case's last revision are
pasted in as a user would paste them, on a real database holding rows:

1. a scratch Alembic project (alembic.ini, a generic env.py, the case's revisions);
2. a fresh database of the case's dialect (PostgreSQL for "postgresql" and None, SQLite
   for "sqlite"), upgraded to the revision before the last, a few generated rows in every
   table (tests/rules/_roundtrip.py);
3. each fix applied to the last revision: its first part replaces the flagged lines (or
   what ``fix_at`` names), indented like them; a second part, after the ``_values.LATER``
   line, becomes a new revision after the last one; the result must compile;
   the fixed files must also be sound: no ``op.*`` call at module level, no ``batch_op.*``
   call outside its batch block;
4. ``alembic upgrade head`` succeeds on the rows, and what the original upgrade() created
   by name (tables, columns, indexes) exists; when a fix went into downgrade(),
   ``alembic downgrade`` back to the revision before the last succeeds and gives back the
   schema (tables, columns, enum types) the database had before;
5. lint again (in-file ``# migrate-doctor: ignore[...]`` comments count, as in `lint`):
   neither the rule nor any rule of the case's ``fix_quiet`` list fires on the fixed
   revision(s).

A case that cannot run on a real database says why in its ``roundtrip`` key (skipped with
that reason). Fixes known not to pass yet are listed in KNOWN_BROKEN: strict xfails, so
they turn into XPASS (and must be removed from the list) once the rule's fix is right.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from migrate_doctor.checks._context import display_path
from migrate_doctor.model import Finding
from migrate_doctor.rules import RULES, run_rules
from migrate_doctor.scripts.revision_file import RevisionFile
from migrate_doctor.suppress import apply_ignores, parse_ignores

from . import _roundtrip as rt
from .test_rules import CASES

# "rule-id::case name" -> what fails (step and error), until the rule's fix is mended.
KNOWN_BROKEN: dict[str, str] = {}

UNSUPPORTED_DIALECTS = {"mysql": "MySQL/MariaDB is not set up for the round trip yet"}


def _params() -> list[Any]:
    params = []
    for rule_id, rule_cases in sorted(CASES.items()):
        for case in rule_cases:
            if not case["fires"]:
                continue
            test_id = f"{rule_id}::{case['name']}"
            marks = []
            dialect = case.get("dialect", "postgresql")
            if dialect in UNSUPPORTED_DIALECTS:
                marks.append(pytest.mark.skip(reason=f"{test_id}: "
                                                     f"{UNSUPPORTED_DIALECTS[dialect]}"))
            elif case.get("roundtrip"):
                marks.append(pytest.mark.skip(reason=f"{test_id}: {case['roundtrip']}"))
            elif test_id in KNOWN_BROKEN:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BROKEN[test_id]))
            params.append(pytest.param(rule_id, case, id=test_id, marks=marks))
    return params


PARAMS = _params()


@pytest.fixture(scope="module")
def databases(postgres: Any, request: pytest.FixtureRequest) -> Iterator[rt.DatabasePool]:
    wanted = sum(1 for item in request.session.items  # this module's round trips only
                 if item.module is request.module
                 and "database" in getattr(item, "fixturenames", ())
                 and item.get_closest_marker("skip") is None
                 and isinstance(getattr(item, "callspec", None) and
                                item.callspec.params.get("case"), dict)
                 and item.callspec.params["case"].get("dialect", "postgresql") != "sqlite")
    pool = rt.DatabasePool(postgres, wanted)
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture
def database(case: dict[str, Any], request: pytest.FixtureRequest,
             tmp_path: Path) -> Iterator[Any]:
    """An engine on a fresh database of the case's dialect: a SQLite file, or a PostgreSQL
    database."""
    if case.get("dialect", "postgresql") == "sqlite":
        engine = rt.make_engine(f"sqlite:///{tmp_path / 'app.db'}")
        yield engine
        engine.dispose()
        return
    pool: rt.DatabasePool = request.getfixturevalue("databases")
    name = pool.take()
    engine = rt.make_engine(pool.url(name))
    yield engine
    engine.dispose()
    pool.drop(name)


def _lint(case: dict[str, Any], files: list[Path], report_on: set[str],
          rules: set[str]) -> list[Finding]:
    """The findings of ``rules`` (selected by id: opt-in rules run too) on ``report_on``,
    less those an in-file ``# migrate-doctor: ignore[...]`` silences, as `lint` does."""
    revision_files = [RevisionFile(p) for p in files]
    for rf in revision_files:
        assert rf.problem is None, f"{rf.path.name}: {rf.problem}"
    findings = run_rules(revision_files, report_on=report_on,
                         dialect=case.get("dialect", "postgresql"),
                         server_version=case.get("server_version", (16,)),
                         env_source=case.get("env", ""), select=rules,
                         deploy=case.get("deploy", "online"))
    ignores = [ig for rf in revision_files if rf.revision in report_on
               for ig in parse_ignores(display_path(rf.path), rf.text)]
    return [f for f in apply_ignores(findings, ignores, rules, {e.id for e in RULES.all()})
            if f.id in rules]


@pytest.mark.parametrize(("rule_id", "case"), PARAMS)
def test_fix_round_trip(rule_id: str, case: dict[str, Any], database: Any,
                        tmp_path: Path) -> None:
    dialect = case.get("dialect", "postgresql")
    original = case["revisions"][-1]
    last_id = rt.revision_id(original)
    assert last_id, "the case's last revision has no literal revision id"

    # the findings, as `lint` gives them on the case
    linted = rt.write_revisions(tmp_path / "case", case["revisions"])
    findings = _lint(case, linted, {last_id}, {rule_id})
    assert findings, f"{rule_id} does not fire on the case"

    # 3. the fixes, pasted in: they compile and are sound
    fixes = "\n\n".join(f"[lines {rt.where(f)[1]}..{rt.where(f)[2]}, {rt.where(f)[0]}]\n{f.fix}"
                        for f in findings)
    applied = rt.apply_fixes(original, findings)
    shown = f"\n--- the fix:\n{fixes}\n--- the fixed revision:\n{applied.text}"
    try:
        compile(applied.text, linted[-1].name, "exec")
    except SyntaxError as exc:
        pytest.fail(f"the fixed revision does not compile: {exc}{shown}")
    unsound = rt.unsound(applied.text)
    fixed_id = rt.revision_id(applied.text) or last_id
    later_text = None
    if applied.later is not None:
        later_text = rt.later_revision(fixed_id, applied.later)
        shown += f"\n--- the later revision:\n{later_text}"
        try:
            compile(later_text, "later revision", "exec")
        except SyntaxError as exc:
            pytest.fail(f"the later revision does not compile: {exc}{shown}")
        unsound += [f"later revision, {problem}" for problem in rt.unsound(later_text)]
    if unsound:
        pytest.fail("the fixed revision compiles but cannot be meant: " + "; ".join(unsound)
                    + shown)

    # 1, 2. the project without its last revision; the database there, holding rows
    project = rt.make_project(tmp_path / "project", database, case["revisions"][:-1])
    previous = rt.revision_id(case["revisions"][-2]) if len(case["revisions"]) > 1 else "base"
    if project.files:
        rt.quietly(f"alembic upgrade {previous} (the case's earlier revisions)",
                   project.upgrade, previous)
    rt.quietly("inserting generated rows", rt.fill_tables, database)
    before = rt.schema_of(database) if applied.in_downgrade else None

    # the fixed revision, and the later one, join the project
    files = [*project.files, project.versions / linted[-1].name]
    files[-1].write_text(applied.text, encoding="utf-8")
    report_on = {fixed_id}
    if later_text is not None:
        files.append(project.versions / f"{rt.LATER_ID}.py")
        files[-1].write_text(later_text, encoding="utf-8")
        report_on.add(rt.LATER_ID)

    # 4. upgrade head on the rows; what the revision created by name is there; a fix in
    # downgrade() gives back the schema the database had before
    rt.quietly("alembic upgrade head", project.upgrade, "head", context=shown)
    missing = rt.missing_things(database, rt.created_things(linted[-1], dialect))
    if missing:
        pytest.fail("after the fix, upgrade head leaves out what the original revision "
                    f"created: {', '.join(missing)}{shown}")
    if before is not None:
        rt.quietly(f"alembic downgrade {previous} (the fix went into downgrade())",
                   project.downgrade, previous, context=shown)
        changed = rt.schema_difference(before, rt.schema_of(database))
        if changed:
            pytest.fail(f"after downgrade to {previous}, the schema is not what it was: "
                        f"{'; '.join(changed)}{shown}")

    # 5. lint again: the rule, and the rules that ask for the opposite, are quiet
    quiet = {rule_id, *case.get("fix_quiet", ())}
    loud = rt.quietly("linting the fixed revisions", _lint, case, files, report_on, quiet,
                      context=shown)
    if loud:
        pytest.fail("lint still fires after the fix: "
                    + "; ".join(f"{f.id} at {Path(f.location.path).name}:{f.location.line}: "
                                f"{f.message}" for f in loud) + shown)


def test_every_rule_with_a_firing_case_is_round_tripped() -> None:
    """Computed from the registry: each rule with a firing case has one that runs (not
    skipped), and KNOWN_BROKEN names only tests that exist."""
    ran = {p.values[0] for p in PARAMS
           if not any(m.name == "skip" for m in p.marks)}
    with_firing = {e.id for e in RULES.all() if any(c["fires"] for c in CASES.get(e.id, []))}
    assert with_firing, "no rule has a firing case"
    assert with_firing <= ran, f"no firing case of these rules runs: {sorted(with_firing - ran)}"
    ids = {p.id for p in PARAMS}
    assert len(ids) == len(PARAMS), "two firing cases of one rule share a name"
    running = {p.id for p in PARAMS if not any(m.name == "skip" for m in p.marks)}
    stale = set(KNOWN_BROKEN) - running
    assert not stale, f"KNOWN_BROKEN names tests that do not run (remove them): {stale}"


# -- the harness itself ---------------------------------------------------------------------

def _finding(line: int, fix: str, end: int | None = None, **evidence: Any) -> Finding:
    from migrate_doctor.model import Location, Severity

    return Finding("some-rule", Severity.WARNING, "t", "m", fix, Location("x.py", line, end),
                   evidence)


def test_apply_fixes_replaces_inserts_and_splits_at_later() -> None:
    text = ("def upgrade():\n"
            "    with op.batch_alter_table('t') as batch_op:\n"
            "        batch_op.drop_column('a')\n"
            "    op.execute('x')\n"
            "    op.execute('y')\n"
            "\n"
            "\n"
            "def downgrade():\n"
            "    pass\n")
    later = f"# in the same revision\nbatch_op.drop_column('b')\n{rt.LATER}\nop.drop_table('old')"
    applied = rt.apply_fixes(text, [
        _finding(3, later),
        _finding(4, "op.execute('z')", 5),
        _finding(1, "op.drop_column('t', 'a')", fix_at={"mode": "replace", "start": 9, "end": 9}),
        _finding(1, "# the comment only", fix_at={"mode": "insert", "start": 2, "end": 0}),
    ])
    assert applied.text.splitlines() == [
        "def upgrade():",
        "    # the comment only",
        "    pass",
        "    with op.batch_alter_table('t') as batch_op:",
        "        # in the same revision",
        "        batch_op.drop_column('b')",
        "    op.execute('z')",
        "",
        "",
        "def downgrade():",
        "    op.drop_column('t', 'a')",
    ]
    assert applied.later == "op.drop_table('old')"
    assert applied.in_downgrade
    assert "def upgrade():\n    op.drop_table('old')\n" in rt.later_revision("b2", applied.later)
    with pytest.raises(rt.RoundTripFailure, match="overlap"):
        rt.apply_fixes(text, [_finding(3, "pass", 4), _finding(4, "pass")])


def test_unsound_fixes_are_named() -> None:
    text = ("import sqlalchemy as sa\n"
            "op.alter_column('alembic_version', 'version_num', type_=sa.String(64))\n"
            "def upgrade():\n"
            "    with op.batch_alter_table('t') as batch_op:\n"
            "        batch_op.drop_column('a')\n"
            "    batch_op.drop_column('b')\n")
    assert rt.unsound(text) == [
        "line 2: op.alter_column() at module level runs whenever Alembic imports the file",
        "line 6: batch_op.drop_column() outside its batch_alter_table block is never run"]


def test_generated_rows_keep_the_constraints(tmp_path: Path) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'rows.db'}"
    metadata = sa.MetaData()
    sa.Table("teams", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("slug", sa.String(4), nullable=False, unique=True),
             sa.Column("kind", sa.Enum("a", "it's", name="kind", create_constraint=True),
                       nullable=False))
    sa.Table("members", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("team_id", sa.ForeignKey("teams.id"), nullable=False),
             sa.Column("parent_id", sa.ForeignKey("members.id")),
             sa.Column("joined", sa.DateTime, nullable=False), sa.Column("on", sa.Boolean),
             sa.Column("score", sa.Numeric(5, 2)), sa.Column("data", sa.JSON),
             sa.Column("token", sa.Uuid), sa.Column("since", sa.Date),
             sa.Column("note", sa.Text, server_default="x"))
    engine = rt.make_engine(url)
    metadata.create_all(engine)
    assert rt.fill_tables(engine) == {"teams": rt.ROWS, "members": rt.ROWS}
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        assert conn.exec_driver_sql(
            "SELECT count(*) FROM members WHERE team_id IN (SELECT id FROM teams) "
            "AND note = 'x' AND joined IS NOT NULL").scalar() == rt.ROWS
        kinds = {r[0] for r in conn.exec_driver_sql("SELECT kind FROM teams")}
        assert kinds == {"a", "it's"}  # SQLite: a non-native enum, read from its CHECK
    engine.dispose()


def test_a_loop_that_does_not_end_fails(tmp_path: Path) -> None:
    import sqlalchemy as sa

    engine = rt.make_engine(f"sqlite:///{tmp_path / 'loop.db'}")
    with pytest.raises(RuntimeError, match="a loop that does not end"):
        with rt.deadline(engine, 0.05), engine.connect() as conn:
            while conn.execute(sa.text("SELECT 1")).scalar():
                pass
    with engine.connect() as conn:  # the listener is gone with the block
        assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    engine.dispose()
