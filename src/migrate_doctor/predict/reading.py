"""What each pending revision demands of the rows already in the tables, read from the
rules' reading of the revision (RuleContext: operations as they run, dialect guards
applied, SQL statements read): NOT NULL, UNIQUE / PRIMARY KEY, FOREIGN KEY, CHECK and
type changes, as Requirements a query can test.

The pending revisions are walked in upgrade order as one sequence: a requirement is only
emitted while the rows it is about are still the rows of the live database. Once an
earlier step (of this revision or an earlier pending one) wrote to a table (UPDATE,
INSERT, DELETE, bulk_insert, SQL that cannot be read), or changed the column (added,
dropped, renamed, retyped, given a server default), nothing more is predicted about it:
the live rows no longer say what the step will meet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..model import Location
from ..rules._constraints import added_constraints, columns_of
from ..rules._context import RuleContext
from ..rules._history import History, key
from ..rules._project import ProjectFacts
from ..rules._sql import Statement, split_top_level
from ..rules._types import UNKNOWN, Imports, SqlType, read, read_sql
from ..rules._values import column_name, is_call, is_not_null, one_line, text_argument
from ..scripts.expressions import Call
from ..scripts.operations import Operation
from ..scripts.revision_file import RevisionFile

_FILLED_BY_DATABASE = {"Identity", "Computed", "Sequence", "FetchedValue"}
_DATA_KINDS = {"update", "delete", "insert", "truncate", "select", "merge", "copy"}
_QUIET_KINDS = {"create_index", "drop_index", "create_type", "drop_type", "alter_type", "set",
                "pragma", "lock", "reindex"}


@dataclass
class Requirement:
    """One demand of a revision on the existing rows."""

    revision: str
    op: Operation
    kind: str  # not-null | add-not-null | unique | primary-key | foreign-key | check | type
    table: str
    schema: str | None
    location: Location
    statement: str  # the operation (or SQL statement) as written, on one line
    columns: list[str] = field(default_factory=list)
    expressions: bool = False  # columns are SQL expressions (an index on lower(email))
    where: str | None = None  # partial index
    name: str | None = None
    referent: str | None = None
    referent_schema: str | None = None
    remote_columns: list[str] = field(default_factory=list)
    condition: str | None = None  # CHECK
    new_type: SqlType = UNKNOWN
    using: str | None = None  # PostgreSQL USING expression
    always: str | None = None  # fails whatever the rows (SQLite ADD COLUMN NOT NULL)


@dataclass
class _Dirty:
    """What the steps before the current one did to the live rows."""

    tables: set[str] = field(default_factory=set)
    columns: set[tuple[str, str]] = field(default_factory=set)
    created: set[str] = field(default_factory=set)  # new (empty) tables
    everything: bool = False

    def clean(self, table: str, columns: list[str] = ()) -> bool:  # type: ignore[assignment]
        t = key(table)
        if self.everything or t in self.tables:
            return False
        return not any((t, key(c)) in self.columns for c in columns)


def requirements(files: list[RevisionFile], pending: list[str], dialect: str | None,
                 server_version: tuple[int, ...] | None,
                 facts: ProjectFacts | None = None) -> Iterator[Requirement]:
    """The requirements of the ``pending`` revisions (in upgrade order), with the history
    of every file before them replayed for the rules' context."""
    from ..rules._engine import normalize_dialect

    dialect = normalize_dialect(dialect)
    facts = facts or ProjectFacts()
    todo = set(pending)
    history = History(dates={f.revision: f.create_date for f in files
                             if f.revision and f.create_date})
    dirty = _Dirty()
    for rf in files:
        if rf.problem is not None:
            continue
        revision = rf.revision or rf.path.stem
        ctx = RuleContext(rf, revision, dialect, server_version, facts.env_source, history, facts)
        if revision in todo:
            yield from _revision(ctx, dirty)
        for op in ctx.upgrade:
            history.apply(op, ctx.table_of(op), revision, ctx.sql(op), ctx.resolve)
        history.note_revision(rf)


def _revision(ctx: RuleContext, dirty: _Dirty) -> Iterator[Requirement]:
    constraints: dict[int, list[Any]] = {}
    for kind in ("unique", "primary", "foreignkey", "check"):
        for added in added_constraints(ctx, kind):
            constraints.setdefault(id(added.op), []).append(added)
    recreated = _recreated_batches(ctx)
    for op in ctx.upgrade:
        table = ctx.table_of(op)
        for req in _of_op(ctx, op, table, constraints.get(id(op), []), recreated):
            if key(req.table) in dirty.created and not dirty.everything \
                    and key(req.table) not in dirty.tables:
                continue  # a table a pending step created: empty
            if dirty.clean(req.table, [] if req.expressions else req.columns):
                yield req
        _note(ctx, op, table, dirty)


def _recreated_batches(ctx: RuleContext) -> set[tuple[int, str]]:
    """(line of the batch block's first op, table) of SQLite batch blocks Alembic rebuilds:
    any operation but add_column / create_index / drop_index (or recreate="always")."""
    blocks: dict[tuple[str, str], list[Operation]] = {}
    for op in ctx.upgrade:
        if op.is_batch:
            blocks.setdefault((op.receiver, op.batch_table or ""), []).append(op)
    out: set[tuple[int, str]] = set()
    for (_, table), ops in blocks.items():
        always = ops[0].batch_kwargs.get("recreate") == "always"
        if always or any(o.name not in ("add_column", "create_index", "drop_index") for o in ops):
            out.update((id(o), table) for o in ops)
    return out


def _req(ctx: RuleContext, op: Operation, kind: str, table: str, **kw: Any) -> Requirement:
    from ..rules._fixes import op_schema

    statement = kw.pop("statement", None) or one_line(op.source)
    return Requirement(ctx.revision, op, kind, table, kw.pop("schema", op_schema(op)),
                       ctx.location(op), statement, **kw)


def _of_op(ctx: RuleContext, op: Operation, table: str | None, added: list[Any],
           recreated: set[tuple[int, str]]) -> Iterator[Requirement]:
    dialect = ctx.dialect
    sqlite = dialect == "sqlite"
    rebuilt = any(i == id(op) for i, _ in recreated)
    if table is None and op.name != "execute":
        return
    if op.name == "add_column" and table:
        column = op.column
        if column is not None and is_not_null(column) and not _filled(column) \
                and column.kwargs.get("primary_key") is not True and dialect != "mysql":
            name = column_name(column) or "?"
            if sqlite and not rebuilt and ctx.version_below(3, 37):
                yield _req(ctx, op, "add-not-null", table, columns=[name], always=(
                    "SQLite before 3.37 cannot add a NOT NULL column without a default value, "
                    "even to an empty table"))
            elif dialect in ("postgresql", "sqlite"):
                yield _req(ctx, op, "add-not-null", table, columns=[name])
    elif op.name == "alter_column" and table:
        column = op.get("column_name")
        if not isinstance(column, str) or (sqlite and not rebuilt):
            return  # SQLite outside a rebuilt batch: Alembic itself refuses (lint says so)
        if op.kwargs.get("type_") is not None and not sqlite:
            new = read(Imports(ctx.file, dialect), ctx.resolve(op.kwargs["type_"]),
                       dialect=dialect)
            using = op.kwargs.get("postgresql_using")
            using = text_argument(using) if using is not None else None
            if new.known:
                yield _req(ctx, op, "type", table, columns=[column], new_type=new, using=using)
        if op.kwargs.get("nullable") is False:
            yield _req(ctx, op, "not-null", table, columns=[column])
    elif op.name == "create_index" and table and op.kwargs.get("unique") is True:
        cols = op.get("columns")
        cols = cols if isinstance(cols, tuple) else (cols,)
        names: list[str] = []
        expressions = False
        for c in cols:
            if isinstance(c, str):
                names.append(c)
            elif text_argument(c) is not None:
                names.append(text_argument(c) or "")
                expressions = True
            else:
                return  # a column expression that cannot be read
        where = None
        for k in (f"{dialect}_where", "postgresql_where", "sqlite_where"):
            if k in op.kwargs:
                where = text_argument(op.kwargs[k])
                if where is None:
                    return  # a partial index whose predicate cannot be read
                break
        if names:
            yield _req(ctx, op, "unique", table, columns=names, expressions=expressions,
                       where=where, name=_name(op.get("index_name")))
    for a in added:
        yield from _constraint(ctx, op, a, rebuilt)
    for statement in ctx.sql(op):
        yield from _of_statement(ctx, op, statement)


def _filled(column: Call) -> bool:
    """The database fills the column for existing rows (server default, identity, ...)."""
    if column.kwargs.get("server_default") is not None:
        return True
    return any(is_call(a, *_FILLED_BY_DATABASE) for a in column.args)


def _name(value: Any) -> str | None:
    from ..rules._values import name_of

    return name_of(value)


def _constraint(ctx: RuleContext, op: Operation, a: Any, rebuilt: bool) -> Iterator[Requirement]:
    """A constraint of added_constraints() (an op.* call or ALTER TABLE ... ADD in SQL)."""
    dialect = ctx.dialect
    if a.not_valid or a.table is None:
        return
    if a.statement is None and dialect == "sqlite" and not rebuilt:
        return  # Alembic refuses constraints on SQLite outside batch mode
    schema = a.schema
    kw: dict[str, Any] = {"schema": schema, "name": a.name}
    if a.statement is not None:
        kw["statement"] = a.statement.text
    if a.kind in ("unique", "primary"):
        cols = a.columns()
        if cols:
            yield _req(ctx, op, "unique" if a.kind == "unique" else "primary-key", a.table,
                       columns=cols, **kw)
    elif a.kind == "foreignkey":
        if dialect == "sqlite" and not (rebuilt and ctx.facts.sqlite_fk == "on"):
            return  # not enforced unless PRAGMA foreign_keys is on for the connection
        if a.statement is None:
            local, remote = columns_of(op), _strings(op.get("remote_cols"))
            ref_schema = op.kwargs.get("referent_schema")
        else:
            m = re.match(r"\s*\(([^)]*)\)\s*REFERENCES\s+([\w$\".`]+)\s*\(([^)]*)\)", a.body,
                         re.IGNORECASE)
            if not m:
                return
            local = _idents(m.group(1))
            remote = _idents(m.group(3))
            ref_schema = None
        referent = a.referent()
        if referent and local and len(local) == len(remote):
            yield _req(ctx, op, "foreign-key", a.table, columns=local, referent=referent,
                       referent_schema=ref_schema if isinstance(ref_schema, str) else None,
                       remote_columns=remote, **kw)
    elif a.kind == "check":
        if a.statement is None:
            condition = text_argument(op.get("condition"))
        else:
            condition = _check_body(a.body)
        if condition:
            yield _req(ctx, op, "check", a.table, columns=a.columns(), condition=condition, **kw)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, tuple) else []


def _idents(text: str) -> list[str]:
    return [p.strip().strip('"`') for p in text.split(",") if p.strip()]


def _check_body(body: str) -> str | None:
    """``(price > 0) NOT VALID`` -> ``price > 0``."""
    text = body.strip()
    if not text.startswith("("):
        return None
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            return text[1:i].strip() or None
    return None


_ALTER_TYPE = re.compile(
    r"ALTER\s+(?:COLUMN\s+)?(\"[^\"]+\"|[\w$]+)\s+(?:SET\s+DATA\s+)?TYPE\s+(.+?)"
    r"(?:\s+USING\s+(.+))?$", re.IGNORECASE | re.DOTALL)
_UNIQUE_INDEX = re.compile(
    r"^CREATE\s+UNIQUE\s+INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?"
    r"([\w$\"]+)?\s*ON\s+(?:ONLY\s+)?([\w$\".`]+)\s*(?:USING\s+\w+\s*)?\((.*)\)\s*"
    r"(?:WHERE\s+(.+))?$", re.IGNORECASE | re.DOTALL)


def _of_statement(ctx: RuleContext, op: Operation, s: Statement) -> Iterator[Requirement]:
    from ..rules._fixes import sql_target

    if s.kind == "alter_table" and s.table:
        schema = sql_target(s)[0]
        for column in s.altered_columns(r"SET\s+NOT\s+NULL"):
            yield _req(ctx, op, "not-null", s.table, columns=[column], schema=schema,
                       statement=s.text)
        if ctx.dialect == "postgresql":
            for action in s.actions:
                m = _ALTER_TYPE.match(action.strip())
                if m:
                    new = read_sql(m.group(2))
                    if new.known:
                        yield _req(ctx, op, "type", s.table, columns=[m.group(1).strip('"')],
                                   new_type=new, using=m.group(3), schema=schema,
                                   statement=s.text)
    elif s.kind == "create_index":
        m = _UNIQUE_INDEX.match(s.text)
        if m and s.table:
            parts = split_top_level(m.group(3), ",")
            plain = all(re.fullmatch(r"\"?[\w$]+\"?", p) for p in parts)
            yield _req(ctx, op, "unique", s.table, columns=[p.strip('"') if plain else p
                                                            for p in parts],
                       expressions=not plain, where=m.group(4), name=m.group(1),
                       schema=sql_target(s)[0], statement=s.text)


def _note(ctx: RuleContext, op: Operation, table: str | None, dirty: _Dirty) -> None:
    """What this step does to the rows and columns later steps would be judged on."""
    t = key(table) if table else None
    name = op.name
    if name == "create_table" and t:
        dirty.created.add(t)
    elif name in ("drop_table",) and t:
        dirty.tables.add(t)
    elif name == "rename_table":
        for v in (op.get("old_table_name"), op.get("new_table_name")):
            if isinstance(v, str):
                dirty.tables.add(key(v))
    elif name == "add_column" and t:
        column = column_name(op.column) if op.column is not None else None
        if column:
            dirty.columns.add((t, key(column)))
    elif name == "drop_column" and t:
        column = op.get("column_name")
        if isinstance(column, str):
            dirty.columns.add((t, key(column)))
    elif name == "alter_column" and t:
        column = op.get("column_name")
        changes = {"type_", "new_column_name", "server_default"} & set(op.kwargs)
        if isinstance(column, str) and changes:
            dirty.columns.add((t, key(column)))
            new = op.kwargs.get("new_column_name")
            if isinstance(new, str):
                dirty.columns.add((t, key(new)))
    elif name == "bulk_insert":
        target = op.get("table")
        found = ctx.table_name(target.dotted) if hasattr(target, "dotted") else None
        if found:
            dirty.tables.add(key(found))
        else:
            dirty.everything = True
    elif name == "execute":
        statements = ctx.sql(op)
        if not statements:
            dirty.everything = True  # SQL (or an expression) that cannot be read
        for s in statements:
            _note_statement(s, dirty)


_INSERT = re.compile(r"^(?:INSERT|REPLACE)\s+(?:IGNORE\s+)?(?:INTO\s+)?([\w$\".`]+)",
                     re.IGNORECASE)


def _note_statement(s: Statement, dirty: _Dirty) -> None:
    from ..rules._sql import ident

    t = key(s.table) if s.table else None
    if t is None and s.kind == "insert":
        m = _INSERT.match(s.text)
        t = key(ident(m.group(1))) if m else None
    if s.kind in _DATA_KINDS - {"select"}:
        if t:
            dirty.tables.add(t)
        else:
            dirty.everything = True
    elif s.kind == "select" or s.kind in _QUIET_KINDS:
        return
    elif s.kind == "create_table" and t:
        dirty.created.add(t)
    elif s.kind == "drop_table" and t:
        dirty.tables.add(t)
    elif s.kind == "alter_table" and t:
        columns = (s.added_columns() and [c for c, _ in s.added_columns()]) or []
        columns += s.dropped_columns()
        columns += [c for old, new in s.renamed() for c in (old, new) if c]
        columns += s.altered_columns(r"(?:SET\s+DATA\s+)?TYPE\b|SET\s+DEFAULT\b")
        if any(old is None for old, _ in s.renamed()):
            dirty.tables.add(t)
        dirty.columns.update((t, key(c)) for c in columns)
    else:
        dirty.everything = True

