"""The machinery of the fix round trip (test_fix_roundtrip): a scratch Alembic project made
of a case's revisions, rows generated into whatever tables it has, a finding's fix pasted
into the revision the way rules/__init__ says a user pastes it, and Alembic run in-process.

Nothing here knows a rule or a case: tables and columns are read back from the database.
"""

from __future__ import annotations

import ast
import collections
import contextlib
import datetime
import decimal
import re
import textwrap
import time
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from migrate_doctor.model import Finding
from migrate_doctor.rules._values import LATER

ROWS = 3  # rows per table: integers are 1..ROWS, so an integer column that later becomes a
#           foreign key to a table whose ids are 1..ROWS holds valid references
SECONDS = 20  # an upgrade still sending statements after this is a loop that does not end

ALEMBIC_INI = """\
[alembic]
script_location = {script_location}
path_separator = os
sqlalchemy.url = {url}
"""

# A generic env.py: online mode, Alembic's defaults (one transaction for the whole run, as
# transaction_per_migration is not set), batch mode for SQLite. SQLite enforces foreign
# keys (PRAGMA foreign_keys=ON on every connection), as apps that rely on them do: that is
# when a batch rebuild of a parent table can lose or refuse rows. The round trip hands it
# the test's engine (config.attributes, Alembic's pattern for programmatic use: one
# dialect set-up and one statement cache per test); run by hand, it builds one from the URL.
ENV_PY = '''\
from alembic import context
from sqlalchemy import create_engine, event, pool

config = context.config


def _engine():
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    if engine.dialect.name == "sqlite":
        @event.listens_for(engine, "connect")
        def _foreign_keys_on(dbapi_connection, record):
            dbapi_connection.execute("PRAGMA foreign_keys=ON")
    return engine


def run_migrations_online():
    given = config.attributes.get("engine")
    engine = given if given is not None else _engine()
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=None,
                              render_as_batch=engine.dialect.name == "sqlite")
            with context.begin_transaction():
                context.run_migrations()
    finally:
        if given is None:
            engine.dispose()


if context.is_offline_mode():
    raise SystemExit("the round trip runs online only")
run_migrations_online()
'''

LATER_REVISION = '''\
"""the later part of the fix of {down}

Revision ID: {rev}
Revises: {down}
"""
from alembic import op
import sqlalchemy as sa


revision = {rev!r}
down_revision = {down!r}
branch_labels = None
depends_on = None


def upgrade():
{body}


def downgrade():
    pass
'''
LATER_ID = "zz_fix_later"


class RoundTripFailure(AssertionError):
    """A step of the round trip failed; the message says which, with the fix."""


# -- PostgreSQL databases ------------------------------------------------------------------

class DatabasePool:
    """Fresh databases on the session's PostgreSQL, created ahead and dropped after use by
    background threads, so the tests do not wait for CREATE/DROP DATABASE. The pool's own
    statements, and the tests' sessions (see url()), skip waiting for the WAL flush
    (synchronous_commit=off): nothing here must survive a crash, and the disk is slow."""

    def __init__(self, postgres: Any, wanted: int, ahead: int = 4, threads: int = 3) -> None:
        self._postgres = postgres
        self._worker = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="roundtrip-db")
        self._to_create = max(wanted, 1)  # no more than the tests will take
        self._ready: collections.deque[Future[str]] = collections.deque()
        self._dropped: list[Future[None]] = []
        for _ in range(ahead):
            self._ahead()

    def _ahead(self) -> None:
        if self._to_create > 0:
            self._to_create -= 1
            self._ready.append(self._worker.submit(self._create))

    def _admin(self, sql: str) -> None:
        with self._postgres.connect() as conn:
            conn.execute("SET synchronous_commit = off")
            conn.execute(sql)

    def _create(self) -> str:
        name = f"md_roundtrip_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return name

    def take(self) -> str:
        """The name of a database no one has used."""
        if not self._ready:
            self._to_create += 1
            self._ahead()
        name = self._ready.popleft().result()
        self._ahead()
        return name

    def url(self, name: str) -> str:
        return f"{self._postgres.url(name)}&options=-csynchronous_commit%3Doff"

    def drop(self, name: str) -> None:
        self._dropped.append(self._worker.submit(
            self._admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        for future in self._ready:
            self.drop(future.result())
        self._worker.shutdown(wait=True)
        for future in self._dropped:
            future.result()  # a drop that failed is an error of the suite


# -- the scratch project ------------------------------------------------------------------

def make_engine(url: str) -> Any:
    """The test's engine: one dialect set-up, one statement cache, one pooled connection
    for every step; SQLite with foreign keys enforced on every connection."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, pool_size=1, max_overflow=2) \
        if not url.startswith("sqlite") else sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _foreign_keys_on(dbapi_connection: Any, record: Any) -> None:
            dbapi_connection.execute("PRAGMA foreign_keys=ON")
    return engine


@dataclass
class Project:
    root: Path
    engine: Any
    files: list[Path] = field(default_factory=list)  # the case's revisions, in upgrade order

    @property
    def versions(self) -> Path:
        return self.root / "versions"

    def config(self) -> Any:
        from alembic.config import Config

        config = Config(str(self.root / "alembic.ini"))
        config.attributes["engine"] = self.engine
        return config

    def upgrade(self, target: str) -> None:
        from alembic import command

        with deadline(self.engine):
            command.upgrade(self.config(), target)

    def downgrade(self, target: str) -> None:
        from alembic import command

        with deadline(self.engine):
            command.downgrade(self.config(), target)


@contextlib.contextmanager
def deadline(engine: Any, seconds: float = SECONDS) -> Iterator[None]:
    """Fail a command still sending statements after ``seconds``: a loop that does not
    end (a batched backfill whose WHERE keeps matching the rows it did)."""
    import sqlalchemy as sa

    started = time.monotonic()

    def check(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if time.monotonic() - started > seconds:
            raise RuntimeError(f"still sending statements after {seconds:.0f}s "
                               f"(a loop that does not end?): {statement[:200]}")

    sa.event.listen(engine, "before_cursor_execute", check)
    try:
        yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", check)


def write_revisions(folder: Path, revisions: list[str]) -> list[Path]:
    """NNN_case.py for each revision text, in upgrade order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, text in enumerate(revisions):
        path = folder / f"{index:03d}_case.py"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def make_project(root: Path, engine: Any, revisions: list[str]) -> Project:
    """alembic.ini, env.py and versions/NNN_case.py for each revision text (Alembic imports
    every file of versions/ on each command: the last revision is written only once the
    database stands at the one before it)."""
    root.mkdir(parents=True, exist_ok=True)
    url = engine.url.render_as_string(hide_password=False)
    (root / "alembic.ini").write_text(
        ALEMBIC_INI.format(script_location=root, url=url.replace("%", "%%")), encoding="utf-8")
    (root / "env.py").write_text(ENV_PY, encoding="utf-8")
    project = Project(root, engine)
    project.files = write_revisions(project.versions, revisions)
    return project


# -- rows ---------------------------------------------------------------------------------

def fill_tables(engine: Any, rows: int = ROWS) -> dict[str, int]:
    """Insert ``rows`` generated rows into every table (parents first), values by column
    type; NOT NULL, primary keys, uniques (values differ per row) and foreign keys (values
    read back from the referred table) are respected; columns with a server default or
    identity are left to the database. Returns the row count per table."""
    import sqlalchemy as sa

    counts: dict[str, int] = {}
    with engine.begin() as conn:
        metadata = sa.MetaData()
        metadata.reflect(bind=conn)
        for table in metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            referred = _referred_rows(conn, table)
            values = [_row(table, n, referred) for n in range(1, rows + 1)]
            conn.execute(table.insert(), values)
            counts[table.name] = rows
    return counts


def _referred_rows(conn: Any, table: Any) -> dict[Any, list[tuple[Any, ...]]]:
    """For each foreign key of ``table`` (to another table), the referred values there."""
    import sqlalchemy as sa

    found: dict[Any, list[tuple[Any, ...]]] = {}
    for fk in table.foreign_key_constraints:
        if fk.referred_table is table:
            continue
        cols = [e.column for e in fk.elements]
        found[fk] = [tuple(r) for r in conn.execute(sa.select(*cols).distinct())]
    return found


_IN_LIST = re.compile(r"^\(*\s*\"?(\w+)\"?\s+IN\s*\(\s*('(?:[^']|'')*'(?:\s*,\s*'(?:[^']|'')*')*)"
                      r"\s*\)\s*\)*$", re.IGNORECASE)


def _allowed(table: Any) -> dict[str, list[str]]:
    """Column -> values, from CHECK (column IN ('a', 'b')): a non-native enum."""
    import sqlalchemy as sa

    found: dict[str, list[str]] = {}
    for constraint in table.constraints:
        if isinstance(constraint, sa.CheckConstraint):
            m = _IN_LIST.match(str(constraint.sqltext).strip())
            if m:
                found[m.group(1)] = [v.replace("''", "'")
                                     for v in re.findall(r"'((?:[^']|'')*)'", m.group(2))]
    return found


def _row(table: Any, n: int, referred: dict[Any, list[tuple[Any, ...]]]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    allowed = _allowed(table)
    for column in table.columns:
        if column.server_default is not None or column.computed is not None \
                or column.identity is not None:
            continue
        values = allowed.get(column.name)
        row[column.name] = values[(n - 1) % len(values)] if values else _value(column, n)
    for fk in table.foreign_key_constraints:
        names = [e.parent.name for e in fk.elements]
        if fk.referred_table is table:  # self-reference: none, or the row itself
            if all(table.c[name].nullable for name in names):
                row.update(dict.fromkeys(names))
            continue
        targets = referred.get(fk) or []
        if targets:
            row.update(zip(names, targets[(n - 1) % len(targets)]))
        elif all(table.c[name].nullable for name in names):
            row.update(dict.fromkeys(names))
    return row


def _value(column: Any, n: int) -> Any:
    import sqlalchemy as sa

    type_ = column.type
    if isinstance(type_, sa.Enum) and type_.enums:
        return type_.enums[(n - 1) % len(type_.enums)]
    if isinstance(type_, sa.ARRAY):
        return [_value(sa.Column(column.name, type_.item_type), n)]
    try:
        python = type_.python_type
    except NotImplementedError:
        python = None
    if python is bool:
        return n % 2 == 1
    if python is int:
        return n
    if python is float:
        return n + 0.5
    if python is decimal.Decimal:
        return decimal.Decimal(n)
    if python is datetime.datetime:
        return datetime.datetime(2024, 1, n, 12, 0, 0)
    if python is datetime.date:
        return datetime.date(2024, 1, n)
    if python is datetime.time:
        return datetime.time(12, n)
    if python is datetime.timedelta:
        return datetime.timedelta(minutes=n)
    if python is uuid.UUID or isinstance(type_, sa.Uuid):
        return uuid.UUID(int=n) if getattr(type_, "as_uuid", True) else str(uuid.UUID(int=n))
    if python is bytes:
        return f"{column.name}-{n}".encode()
    if python in (dict, list) or isinstance(type_, sa.JSON):
        return {"n": n}
    if python is str:
        text = f"{column.name}-{n}".lower()
        length = getattr(type_, "length", None)
        return text if not length or len(text) <= length else str(n)[-length:]
    return None if column.nullable else str(n)


# -- the fix ------------------------------------------------------------------------------

@dataclass
class Applied:
    text: str  # the fixed revision file
    later: str | None  # the upgrade() body of the later revision, if the fix has one
    in_downgrade: bool  # some fix replaced or went into downgrade()


def split_fix(fix: str) -> tuple[list[str], list[str] | None]:
    lines = fix.splitlines()
    for index, line in enumerate(lines):
        if line.strip() == LATER.strip():
            return lines[:index], lines[index + 1:]
    return lines, None


def _has_code(lines: list[str]) -> bool:
    return any(line.strip() and not line.strip().startswith("#") for line in lines)


def _indented(lines: list[str], indent: str) -> list[str]:
    lines = textwrap.dedent("\n".join(lines)).splitlines()
    return [indent + line if line.strip() else "" for line in lines]


def where(finding: Finding) -> tuple[str, int, int]:
    """(mode, first line, last line) the fix's first part goes to."""
    at = finding.evidence.get("fix_at")
    if at:
        return at["mode"], int(at["start"]), int(at["end"])
    assert finding.location is not None and finding.location.line is not None
    line = finding.location.line
    return "replace", line, finding.location.end_line or line


def apply_fixes(text: str, findings: list[Finding]) -> Applied:
    """Paste every finding's fix into ``text`` (bottom-up, so the line numbers hold)."""
    lines = text.splitlines()
    downgrade = _function_lines(text, "downgrade")
    spots = sorted((where(f) + (f.fix or "",) for f in findings), key=lambda s: -s[1])
    later: list[str] = []
    in_downgrade = False
    previous_start: int | None = None
    for mode, start, end, fix in spots:
        last = start - 1 if mode == "insert" else end
        if previous_start is not None and last >= previous_start:
            raise RoundTripFailure(f"two fixes of the rule overlap at lines {start}..{end}")
        if not 1 <= start <= len(lines) + (mode == "insert"):
            raise RoundTripFailure(f"the fix's lines {start}..{end} are outside the file "
                                   f"({len(lines)} lines)")
        previous_start = start
        first, second = split_fix(fix)
        anchor = lines[start - 1] if start <= len(lines) else ""
        indent = anchor[:len(anchor) - len(anchor.lstrip())]
        body = _indented(first, indent)
        if not _has_code(first) and indent:
            body.append(indent + "pass")
        if mode == "insert":
            lines[start - 1:start - 1] = body
        else:
            lines[start - 1:end] = body
        if second is not None:
            later[:0] = second
        if downgrade and downgrade[0] <= start <= downgrade[1]:
            in_downgrade = True
    return Applied("\n".join(lines) + "\n", "\n".join(later) if later else None, in_downgrade)


def _function_lines(text: str, name: str) -> tuple[int, int] | None:
    """The lines of ``def name():`` (from the def line to its last line)."""
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node.lineno, node.end_lineno or node.lineno
    return None


def later_revision(down: str, body: str) -> str:
    lines = _indented(body.splitlines(), "    ")
    if not _has_code(body.splitlines()):
        lines.append("    pass")
    return LATER_REVISION.format(rev=LATER_ID, down=down, body="\n".join(lines))


def revision_id(text: str) -> str | None:
    """``revision = "..."`` of a revision file, read without importing it."""
    for node in ast.parse(text).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "revision" for t in targets) \
                    and isinstance(node.value, ast.Constant):
                return str(node.value.value)
    return None


def unsound(text: str) -> list[str]:
    """What compiles but cannot be what the user meant: ``op.*`` called at module level
    (it runs whenever Alembic imports the file), and a batch's ``batch_op.*`` called
    outside its ``with op.batch_alter_table(...)`` block (Alembic drops it silently)."""
    tree = ast.parse(text)
    problems = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for call in ast.walk(node):
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                    and isinstance(call.func.value, ast.Name) and call.func.value.id == "op":
                problems.append(f"line {call.lineno}: op.{call.func.attr}() at module level "
                                "runs whenever Alembic imports the file")
    blocks: dict[str, list[tuple[int, int]]] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                expr = item.context_expr
                if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) \
                        and expr.func.attr == "batch_alter_table" \
                        and isinstance(item.optional_vars, ast.Name):
                    blocks.setdefault(item.optional_vars.id, []).append(
                        (node.lineno, node.end_lineno or node.lineno))
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                and isinstance(call.func.value, ast.Name) and call.func.value.id in blocks \
                and not any(a <= call.lineno <= b for a, b in blocks[call.func.value.id]):
            problems.append(f"line {call.lineno}: {call.func.value.id}.{call.func.attr}() "
                            "outside its batch_alter_table block is never run")
    return problems


Thing = tuple[str, "str | None", str, "str | None"]  # (kind, schema, table, name)


def created_things(path: Path, dialect: str | None) -> set[Thing]:
    """What a revision's upgrade() creates by name and leaves in place: tables
    (create_table), columns (add_column) and indexes (create_index), in batch mode too;
    operations behind a dialect test the target fails are left out. SQL text is not read."""
    from migrate_doctor.rules._context import RuleContext
    from migrate_doctor.rules._history import History
    from migrate_doctor.rules._values import column_name, name_of
    from migrate_doctor.scripts.revision_file import RevisionFile

    rf = RevisionFile(path)
    ctx = RuleContext(rf, rf.revision or "", dialect, None, "", History())
    things: set[Thing] = set()
    for op in ctx.upgrade:
        table = ctx.table_of(op)
        schema = op.get("schema", op.batch_kwargs.get("schema"))
        schema = schema if isinstance(schema, str) else None
        if table is None:
            continue
        if op.name == "create_table":
            things.add(("table", schema, table, None))
        elif op.name == "drop_table":
            things = {t for t in things if t[2] != table}
        elif op.name == "add_column" and column_name(op.get("column")):
            things.add(("column", schema, table, column_name(op.get("column"))))
        elif op.name in ("drop_column", "alter_column"):  # a rename is a drop here
            things.discard(("column", schema, table, op.get("column_name")))
        elif op.name == "create_index" and name_of(op.get("index_name")):
            things.add(("index", schema, table, name_of(op.get("index_name"))))
        elif op.name == "drop_index":
            things = {t for t in things
                      if not (t[0] == "index" and t[3] == name_of(op.get("index_name")))}
        elif op.name == "rename_table":
            things = {t for t in things if t[2] != table}
    return things


def missing_things(engine: Any, things: set[Thing]) -> list[str]:
    """Those of ``things`` the database does not have."""
    import sqlalchemy as sa

    missing = []
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        for kind, schema, table, name in sorted(things, key=str):
            where = f"{schema}.{table}" if schema else table
            if not inspector.has_table(table, schema=schema):
                missing.append(f"table {where}")
            elif kind == "column" and name not in {
                    c["name"] for c in inspector.get_columns(table, schema=schema)}:
                missing.append(f"column {where}.{name}")
            elif kind == "index" and name not in {
                    i["name"] for i in inspector.get_indexes(table, schema=schema)}:
                missing.append(f"index {name} on {where}")
    return missing


def schema_of(engine: Any) -> dict[str, Any]:
    """Tables with their column names, and PostgreSQL enum types: what a downgrade() must
    give back."""
    import sqlalchemy as sa

    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        found: dict[str, Any] = {
            f"table {t}": sorted(c["name"] for c in inspector.get_columns(t))
            for t in inspector.get_table_names() if t != "alembic_version"}
        if engine.dialect.name == "postgresql":
            enums = inspector.get_enums(schema="*")  # type: ignore[attr-defined]
            found.update({f"enum type {e['name']}": sorted(e["labels"]) for e in enums})
        return found


def schema_difference(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    out = [f"{k} is left behind" for k in sorted(set(after) - set(before))]
    out += [f"{k} is gone" for k in sorted(set(before) - set(after))]
    out += [f"{k} has columns {after[k]}, not {before[k]}" for k in sorted(set(before) & set(after))
            if before[k] != after[k]]
    return out


def quietly(step: str, func: Any, *args: Any, context: str = "") -> Any:
    """Run one step; warnings are kept, not raised; any error fails the round trip with
    the step's name, the error and ``context`` (the fix, the fixed file)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return func(*args)
        except Exception as exc:  # noqa: BLE001 - every error is the finding
            noted = "".join(f"\n  warning: {w.category.__name__}: {w.message}" for w in caught)
            # from None: the message holds the error; a chained traceback through
            # SQLAlchemy's and Alembic's frames costs pytest seconds to render, per test
            raise RoundTripFailure(
                f"{step} failed: {type(exc).__name__}: {_short(exc)}{noted}{context}") from None


def _short(exc: BaseException, limit: int = 1500) -> str:
    text = str(exc)
    orig = getattr(exc, "orig", None)  # a DBAPI error: its own message, without the SQL dump
    if orig is not None:
        text = f"{str(orig).strip()}\n  [SQL: {getattr(exc, 'statement', '')}]"
    return text if len(text) <= limit else text[:limit] + " ..."
