"""`test`: every revision upgraded, downgraded and upgraded again on a scratch database
whose tables hold generated rows, on SQLite, PostgreSQL and a throwaway MariaDB; the live
database is only read. Small plain Alembic projects are written by the tests themselves
(each with a models module of its own name, so that projects never share one)."""

from __future__ import annotations

import json
import os
import re
import textwrap
import uuid
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from _support import describe, ids, migrate_doctor
from conftest import Database

from migrate_doctor import api
from migrate_doctor.testing.checks import TEST_CHECKS

ENV_PY = '''
from alembic import context
from sqlalchemy import engine_from_config, pool

from {models} import Base

config = context.config
target_metadata = Base.metadata


def run(connection):
    context.configure(connection=connection, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    connectable = config.attributes.get("connection", None)
    if connectable is None:
        engine = engine_from_config(config.get_section(config.config_ini_section),
                                    prefix="sqlalchemy.", poolclass=pool.NullPool)
        with engine.connect() as connection:
            run(connection)
    else:
        run(connectable)
'''

MODELS = '''
import sqlalchemy as sa
from sqlalchemy.orm import declarative_base

Base = declarative_base()


class Item(Base):
    __tablename__ = "items"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(50), nullable=False)
    qty = sa.Column(sa.Integer, nullable=False)
    note = sa.Column(sa.String(100))
'''

CREATE_ITEMS = ("a1000000create", None, "create items", """
    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
    )
""", """
    op.drop_table("items")
""")

ADD_NOTE = ("b2000000note", "a1000000create", "add items.note", """
    op.add_column("items", sa.Column("note", sa.String(100), nullable=True))
""", """
    op.drop_column("items", "note")
""")


@dataclass
class Rev:
    id: str
    down: str | tuple[str, ...] | None
    message: str
    upgrade: str
    downgrade: str

    @classmethod
    def of(cls, spec: tuple) -> "Rev":
        return cls(*spec)


class MigrationProject:
    """A plain Alembic project written into ``root``: alembic.ini, env.py, a models module
    of its own name, and the revisions given."""

    def __init__(self, root: Path, url: str, revisions: list[tuple], models: str = MODELS,
                 extra_files: dict[str, str] | None = None) -> None:
        self.root = root
        self.url = url
        self.models = f"md_models_{uuid.uuid4().hex[:10]}"
        self.versions = root / "migrations" / "versions"
        self.versions.mkdir(parents=True)
        (root / "alembic.ini").write_text(
            "[alembic]\nscript_location = %(here)s/migrations\nprepend_sys_path = %(here)s\n"
            f"path_separator = os\nsqlalchemy.url = {url.replace('%', '%%')}\n")
        (root / "migrations" / "env.py").write_text(ENV_PY.format(models=self.models))
        (root / f"{self.models}.py").write_text(models)
        for name, text in (extra_files or {}).items():
            path = root / name.replace("MODELS", self.models)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.replace("MODELS", self.models))
        for spec in revisions:
            self.add(Rev.of(spec))

    def add(self, rev: Rev) -> None:
        down = repr(rev.down) if not isinstance(rev.down, tuple) else repr(rev.down)
        body = (f'"""{rev.message}\n\nRevision ID: {rev.id}\n"""\n'
                "import sqlalchemy as sa\nfrom alembic import op\n\n"
                f"revision = {rev.id!r}\ndown_revision = {down}\n"
                "branch_labels = None\ndepends_on = None\n\n\n"
                f"def upgrade():\n{_indent(rev.upgrade)}\n\n\ndef downgrade():\n"
                f"{_indent(rev.downgrade)}\n")
        slug = re.sub(r"\W+", "_", rev.message).strip("_")[:40]
        (self.versions / f"{rev.id}_{slug}.py").write_text(body)

    @property
    def ini(self) -> Path:
        return self.root / "alembic.ini"

    def test(self, **options) -> api.Report:
        cwd = os.getcwd()
        os.chdir(self.root)
        try:
            return api.test(api.Target(config=str(self.ini)), **options)
        finally:
            os.chdir(cwd)

    def cli(self, *args: str):
        return migrate_doctor("-c", str(self.ini), "test", *args, cwd=self.root)


def _indent(body: str) -> str:
    text = textwrap.dedent(body).strip("\n") or "pass"
    return textwrap.indent(text, "    ")


def project(tmp_path: Path, database: Database, revisions: list[tuple] | None = None,
            **kwargs) -> MigrationProject:
    return MigrationProject(tmp_path / "shop", database.url,
                            revisions if revisions is not None else [CREATE_ITEMS, ADD_NOTE],
                            **kwargs)


def findings(report: api.Report, check: str) -> list:
    return [f for f in report.findings if f.id == check]


def cases(report: api.Report, check: str | None = None, status: str | None = None) -> list[dict]:
    return [c for c in report.extra["test"]["cases"]
            if (check is None or c["check"] == check) and (status is None or c["status"] == status)]


def no_scratch_left(database: Database) -> None:
    import tempfile

    if database.dialect == "sqlite":
        mine = [p for p in Path(tempfile.gettempdir()).glob("md_scratch_*")
                if f"_{os.getpid()}_" in p.name]
        assert not mine, mine
    elif database.dialect == "postgresql":
        assert not database.query("SELECT datname FROM pg_database WHERE datname LIKE 'md\\_scratch\\_%'")
    else:
        assert not database.query("SELECT schema_name FROM information_schema.schemata "
                                  "WHERE schema_name LIKE 'md\\_scratch\\_%'")


# -- a history that works -------------------------------------------------------------------------

def test_a_sound_history_passes_and_the_live_database_is_only_read(tmp_path, replay_database):
    shop = project(tmp_path, replay_database)
    before = replay_database.snapshot()

    report = shop.test()

    assert [f.id for f in report.findings if f.severity.value != "info"] == [], describe(report)
    info = report.extra["test"]
    assert info["revisions"] == ["a1000000create", "b2000000note"]
    assert "md_scratch_" in info["scratch"]
    assert info["generated_rows"] == {"items": 3}  # filled before the revision that names it
    per_revision = {c["check"] for c in cases(report) if c["revision"]}
    assert per_revision == {"upgrade-fails", "fails-with-rows", "downgrade-fails",
                            "downgrade-leaves-trace", "data-lost-on-round-trip"}
    assert not cases(report, status="failed")
    assert {c["check"] for c in cases(report, status="passed") if not c["revision"]} >= {
        "single-head", "models-differ-from-head", "model-module-not-imported",
        "downgrades-not-supported"}
    assert replay_database.snapshot() == before
    no_scratch_left(replay_database)


# -- rows ------------------------------------------------------------------------------------

CHECK_QTY = ("c3000000check", "b2000000note", "qty above five", """
    with op.batch_alter_table("items") as batch_op:
        batch_op.create_check_constraint("ck_items_qty", "qty > 5")
""", """
    with op.batch_alter_table("items") as batch_op:
        batch_op.drop_constraint("ck_items_qty", type_="check")
""")


def test_a_revision_that_fails_only_on_rows(tmp_path, replay_database):
    shop = project(tmp_path, replay_database, [CREATE_ITEMS, ADD_NOTE, CHECK_QTY])

    report = shop.test()

    (f,) = findings(report, "fails-with-rows")
    assert f.evidence["revision"] == "c3000000check"
    assert "ck_items_qty" in (f.evidence["statement"] or "") or "CHECK" in f.message.upper() \
        or "check" in f.message.lower(), f.message
    assert "upgrade-fails" not in ids(report)
    assert report.exit_code() == 1
    # on empty tables it works: the stairway goes on past it
    assert "c3000000check" in report.extra["test"]["revisions"]
    assert cases(report, "downgrade-fails", "passed")[-1]["revision"] == "c3000000check"


@pytest.mark.parametrize("dialect", ["postgresql"])
def test_a_not_null_column_without_default_names_the_statement_and_a_row(tmp_path, request,
                                                                        dialect):
    from test_replay import _database

    database = _database(request, tmp_path, dialect)
    required = ("c3000000sku", "b2000000note", "add required sku", """
        op.add_column("items", sa.Column("sku", sa.String(20), nullable=False))
    """, """
        op.drop_column("items", "sku")
    """)
    shop = project(tmp_path, database, [CREATE_ITEMS, ADD_NOTE, required])

    (f,) = findings(shop.test(), "fails-with-rows")

    assert 'column "sku"' in f.message and "null values" in f.message
    assert f.evidence["statement"].startswith("ALTER TABLE items ADD COLUMN sku")
    assert f.evidence["rows"]["items"]["name"] == "1"  # the generated row it met
    assert "nullable" in f.fix and "backfill" in f.fix
    assert f.location is not None and f.location.path.endswith("c3000000sku_add_required_sku.py")


# -- upgrade, downgrade, round trip --------------------------------------------------------------

def test_an_upgrade_that_fails_stops_what_is_above_it(tmp_path, replay_database):
    broken = ("c3000000bad", "b2000000note", "index a missing table", """
        op.create_index("ix_nowhere", "nowhere", ["id"])
    """, """
        op.drop_index("ix_nowhere", table_name="nowhere")
    """)
    above = ("d4000000above", "c3000000bad", "above it", """
        op.add_column("items", sa.Column("extra", sa.Integer()))
    """, """
        op.drop_column("items", "extra")
    """)
    shop = project(tmp_path, replay_database, [CREATE_ITEMS, ADD_NOTE, broken, above])

    report = shop.test()

    (f,) = findings(report, "upgrade-fails")
    assert f.evidence["revision"] == "c3000000bad" and "nowhere" in f.message
    assert report.extra["test"]["not_reached"] == ["d4000000above"]
    assert {c["status"] for c in cases(report) if c["revision"] == "d4000000above"} == {"skipped"}
    assert cases(report, "models-differ-from-head")[0]["status"] == "skipped"
    no_scratch_left(replay_database)


def test_a_downgrade_that_raises(tmp_path, replay_database):
    raises = ("c3000000raise", "b2000000note", "backfill note", """
        op.execute("UPDATE items SET note = 'x'")
    """, """
        raise ValueError("cannot go back")
    """)
    shop = project(tmp_path, replay_database, [CREATE_ITEMS, ADD_NOTE, raises])

    report = shop.test()

    (f,) = findings(report, "downgrade-fails")
    assert f.evidence["revision"] == "c3000000raise" and "cannot go back" in f.message
    assert f.location is not None and f.location.line is not None
    assert "downgrades-not-supported" not in ids(report)


def test_a_downgrade_that_leaves_a_trace(tmp_path, replay_database):
    index = ("c3000000index", "b2000000note", "index items.name", """
        op.create_index("ix_items_name", "items", ["name"])
    """, """
        pass  # forgot the index
    """)
    shop = project(tmp_path, replay_database, [CREATE_ITEMS, ADD_NOTE, index])

    report = shop.test()

    (f,) = findings(report, "downgrade-leaves-trace")
    assert f.evidence["revision"] == "c3000000index"
    assert "index items.ix_items_name is not expected" in f.message or \
        "ix_items_name" in f.message, f.message
    assert "upgrading it again then fails" in f.message  # the index exists already
    assert "drop the index" in f.fix


def test_a_postgresql_enum_left_behind_by_the_downgrade(tmp_path, request):
    from test_replay import _database

    database = _database(request, tmp_path, "postgresql")
    status = ("c3000000status", "b2000000note", "orders with a status", """
        op.create_table("orders", sa.Column("id", sa.Integer(), primary_key=True),
                        sa.Column("status", sa.Enum("new", "paid", name="order_status")))
    """, """
        op.drop_table("orders")
    """)
    shop = project(tmp_path, database, [CREATE_ITEMS, ADD_NOTE, status])

    (f,) = findings(shop.test(), "downgrade-leaves-trace")

    assert "enum order_status is not expected" in f.message
    assert 'DROP TYPE' in f.fix or "drop the enum order_status" in f.fix


def test_rows_a_downgrade_deletes_are_lost(tmp_path, replay_database):
    wipe = ("c3000000wipe", "b2000000note", "fill notes", """
        op.execute("UPDATE items SET note = 'n'")
    """, """
        op.execute("DELETE FROM items")
    """)
    shop = project(tmp_path, replay_database, [CREATE_ITEMS, ADD_NOTE, wipe])

    report = shop.test()

    (f,) = findings(report, "data-lost-on-round-trip")
    assert f.evidence["revision"] == "c3000000wipe"
    assert "items: 3 of 3 rows" in f.message
    assert f.severity.value == "warning"


def test_rows_the_revision_means_to_drop_are_not_lost(tmp_path, replay_database):
    drop = ("c3000000drop", "b2000000note", "drop items", """
        op.drop_table("items")
    """, """
        op.create_table("items", sa.Column("id", sa.Integer(), primary_key=True),
                        sa.Column("name", sa.String(50), nullable=False),
                        sa.Column("qty", sa.Integer(), nullable=False),
                        sa.Column("note", sa.String(100)))
    """)
    shop = project(tmp_path, replay_database, [CREATE_ITEMS, ADD_NOTE, drop],
                   models=MODELS.split("class Item")[0])

    report = shop.test()

    assert "data-lost-on-round-trip" not in ids(report), describe(report)
    assert "downgrade-leaves-trace" not in ids(report), describe(report)


def test_no_downgrades_by_policy_is_said_once(tmp_path, replay_database):
    def irreversible(spec):
        return (*spec[:4], 'raise NotImplementedError("forward only")')

    shop = project(tmp_path, replay_database, [irreversible(CREATE_ITEMS), irreversible(ADD_NOTE)])

    report = shop.test()

    (f,) = findings(report, "downgrades-not-supported")
    assert f.evidence["revisions"] == ["a1000000create", "b2000000note"]
    assert "downgrade-fails" not in ids(report)
    assert report.exit_code() == 0 and report.exit_code(strict=True) == 1


# -- the whole history --------------------------------------------------------------------------

def test_models_that_differ_from_head(tmp_path, database):
    models = MODELS + '    sku = sa.Column(sa.String(20))\n'
    shop = project(tmp_path, database, models=models)

    (f,) = findings(shop.test(), "models-differ-from-head")

    assert "items.sku" in f.message and "alembic revision --autogenerate" in f.fix


def test_two_heads(tmp_path, database):
    other = ("c3000000other", "a1000000create", "other branch", """
        op.create_index("ix_items_qty", "items", ["qty"])
    """, """
        op.drop_index("ix_items_qty", table_name="items")
    """)
    models = MODELS.replace("qty = sa.Column(sa.Integer, nullable=False)",
                            "qty = sa.Column(sa.Integer, nullable=False, index=True)")
    shop = project(tmp_path, database, [CREATE_ITEMS, ADD_NOTE, other], models=models)

    report = shop.test()

    (f,) = findings(report, "single-head")
    assert set(f.evidence["heads"]) == {"b2000000note", "c3000000other"}
    assert "merge heads" in f.fix
    assert set(report.extra["test"]["revisions"]) == {"a1000000create", "b2000000note",
                                                      "c3000000other"}


def test_a_model_module_nothing_imports(tmp_path, database):
    orphan = '''
import sqlalchemy as sa

from MODELS import Base


class Tag(Base):
    __tablename__ = "tags"
    id = sa.Column(sa.Integer, primary_key=True)
'''
    shop = project(tmp_path, database, extra_files={"catalog/__init__.py": "",
                                                    "catalog/tags.py": orphan})

    report = shop.test()

    (f,) = findings(report, "model-module-not-imported")
    assert f.evidence["module"] == "catalog.tags"
    assert "Tag (tags)" in f.message and "import catalog.tags" in f.fix
    assert "tags" not in __import__(shop.models).Base.metadata.tables  # taken off again


# -- scope and output ---------------------------------------------------------------------------

def test_since_and_pending_choose_the_revisions(tmp_path, database):
    third = ("c3000000third", "b2000000note", "index qty", """
        op.create_index("ix_items_qty", "items", ["qty"])
    """, """
        op.drop_index("ix_items_qty", table_name="items")
    """)
    models = MODELS.replace("qty = sa.Column(sa.Integer, nullable=False)",
                            "qty = sa.Column(sa.Integer, nullable=False, index=True)")
    shop = project(tmp_path, database, [CREATE_ITEMS, ADD_NOTE, third], models=models)

    since = shop.test(since="a1000")  # a partial id, as Alembic takes them
    assert since.extra["test"]["revisions"] == ["b2000000note", "c3000000third"]
    # the live database (only its version table matters) has applied the first two
    database.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)",
                     "INSERT INTO alembic_version VALUES ('b2000000note')")
    pending = shop.test(pending=True)
    assert pending.extra["test"]["revisions"] == ["c3000000third"]
    assert [f.id for f in pending.findings if f.severity.value == "error"] == []


def test_cli_json_and_junit(tmp_path, database):
    shop = project(tmp_path, database, [CREATE_ITEMS, ADD_NOTE, CHECK_QTY])

    result = shop.cli("--format", "json")
    assert result.code == 1, result.output
    report = result.json()
    assert "fails-with-rows" in ids(report)
    assert report["test"]["cases"]

    junit = shop.cli("--format", "junit")
    assert junit.code == 1
    root = ET.fromstring(junit.stdout)
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) >= {"upgrade-fails", "fails-with-rows", "downgrade-leaves-trace"}
    failed = [c for c in suites["fails-with-rows"].findall("testcase")
              if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["c3000000check qty above five"]
    assert failed[0].find("failure").get("type") == "fails-with-rows"
    assert int(root.get("failures")) == 1
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values())


def test_cli_text_summary_and_keep(tmp_path, database):
    shop = project(tmp_path, database)

    result = shop.cli("--keep")

    assert result.code == 0, result.output
    assert "tested 2 revision(s)" in result.stdout
    kept = [line for line in result.stderr.splitlines() if line.startswith("kept the scratch")]
    assert kept, result.output
    url = kept[0].split(": ", 1)[1]
    assert "md_kept_" in url
    if database.dialect == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        assert path.exists()
        path.unlink()
    else:
        name = url.split("/")[-1].split("?")[0]
        rows = database.query("SELECT datname FROM pg_database WHERE datname = "
                              f"'{name}'")
        assert rows
        database.postgres.admin(f'DROP DATABASE "{name}"')


def test_the_checks_are_documented():
    for check in TEST_CHECKS.values():
        assert check.title and not check.title.endswith(".")
        for section in ("What it finds", "Why it matters", "Fix"):
            assert check.section(section), (check.id, section)


def test_flask_db_test(blog, database):
    blog.url = database.url
    result = blog.flask("db", "test", "--format", "json")
    assert "Traceback" not in result.output, result.output
    report = result.json()
    assert report["test"]["revisions"] == ["0d5f7c2a9e11", "7b3e91c4d6a2"]
    assert [f["id"] for f in report["findings"] if f["severity"] == "error"] == [], \
        describe(report)
    assert database.tables() <= {"alembic_version"} or database.dialect == "sqlite"


def test_progress_is_told_per_revision(tmp_path, database):
    shop = project(tmp_path, database)
    seen = []

    shop.test(progress=lambda done, total, rev: seen.append((done, total, rev)))

    assert seen == [(1, 2, "a1000000create"), (2, 2, "b2000000note")]


def test_json_is_one_object(tmp_path, database):
    shop = project(tmp_path, database)
    result = shop.cli("--format", "json")
    data = json.loads(result.stdout)
    assert data["tool"]["command"] == "test" and data["database"]["url"]


def test_the_schema_at_head_goes_to_the_expected_schema_cache(tmp_path, database):
    from migrate_doctor.replay.expected import cached, path_key
    from migrate_doctor.states import read_states

    shop = project(tmp_path, database)
    shop.test()

    cwd = os.getcwd()
    os.chdir(shop.root)
    try:
        ctx = read_states(api.load_project(api.Target(config=str(shop.ini))))
        key = path_key(ctx.project, ctx.graph, ("b2000000note",), ctx.db.dialect,
                       ctx.db.server_version)
        schema = cached(ctx.project, key)
    finally:
        os.chdir(cwd)
    assert schema is not None and set(schema["tables"]) == {"items"}
    assert set(schema["tables"]["items"]["columns"]) == {"id", "name", "qty", "note"}


def test_postgresql_autocommit_blocks_and_transaction_per_migration(tmp_path, request):
    """A revision that commits (autocommit_block, as CREATE INDEX CONCURRENTLY needs) ends
    the savepoints taken before it: the stairway upgrades again for real instead; an env.py
    with transaction_per_migration gets one transaction of the session's own."""
    from test_replay import _database

    database = _database(request, tmp_path, "postgresql")
    concurrently = ("c3000000conc", "b2000000note", "index name concurrently", """
        with op.get_context().autocommit_block():
            op.create_index("ix_items_name", "items", ["name"], postgresql_concurrently=True)
    """, """
        with op.get_context().autocommit_block():
            op.drop_index("ix_items_name", table_name="items", postgresql_concurrently=True)
    """)
    models = MODELS.replace("name = sa.Column(sa.String(50), nullable=False)",
                            "name = sa.Column(sa.String(50), nullable=False, index=True)")
    shop = project(tmp_path, database, [CREATE_ITEMS, ADD_NOTE, concurrently], models=models)
    env = shop.root / "migrations" / "env.py"

    for per_migration in (False, True):
        if per_migration:
            env.write_text(env.read_text().replace(
                "context.configure(connection=connection, target_metadata=target_metadata)",
                "context.configure(connection=connection, target_metadata=target_metadata, "
                "transaction_per_migration=True)"))
        report = shop.test()
        assert [f.id for f in report.findings if f.severity.value != "info"] == [], \
            describe(report)
        assert report.extra["test"]["revisions"][-1] == "c3000000conc"
        assert not cases(report, status="failed")
