"""A column's type changed in place in a way that rewrites or copies the table.

What it finds:
    `op.alter_column(..., type_=...)` (also in batch mode), or `ALTER COLUMN ... TYPE` in
    `op.execute`, on a table this revision did not create, when the database must rewrite
    or copy the table for it. Types are read as the database sees them: the file's imports
    say whether a name is SQLAlchemy's type or a project's own, and the old type comes from
    `existing_type` or from the revision that created the column. Left alone:
    - PostgreSQL changes made in the catalog only: `TEXT` <-> `VARCHAR`, a `VARCHAR`
      widened (or made unbounded), `NUMERIC(p, s)` to a larger precision at the same scale,
      the same type under another name; a change to `TEXT` / unbounded `VARCHAR` from an
      old type that cannot be read (`existing_type=col.type`);
    - MySQL `VARCHAR` widening that keeps the length prefix (both sizes at most 255 bytes,
      or both above; 4 bytes a character, or the table's `mysql_charset`);
    - SQLite changes within one type affinity (SQLite ignores lengths);
    - a new type whose origin cannot be read (a project TypeDecorator not defined in the
      file, whose name says nothing): what it compiles to is unknown.

Why it matters:
    PostgreSQL rewrites the whole table and rebuilds its indexes under an ACCESS EXCLUSIVE
    lock (nothing reads or writes it meanwhile); MySQL copies the table; SQLite's batch mode
    copies it and converts the values. Narrowing or a cast can fail on existing values
    (`value too long`, invalid input) or, on MySQL without strict mode, truncate them.

Example:
    op.alter_column("orders", "total", type_=sa.Integer(), existing_type=sa.Numeric(10, 2))

Use instead:
    A new column of the new type, filled in committed batches, while the code writes both:
    op.add_column("orders", sa.Column("total_new", sa.Integer(), nullable=True))
    with op.get_context().autocommit_block():
        conn = op.get_bind()
        while conn.execute(sa.text(
            "UPDATE orders SET total_new = CAST(total AS INTEGER) WHERE ctid = ANY(ARRAY("
            "SELECT ctid FROM orders WHERE total_new IS NULL AND total IS NOT NULL "
            "LIMIT 5000))")).rowcount:
            pass
    # a later revision, once the code reads total_new only: op.drop_column("orders", "total")
    For a small table, the in-place change is fine: give it its own revision and a
    lock_timeout. A primary key or a column other tables' foreign keys point at cannot be
    swapped that way (the key and the foreign keys would have to be rebuilt): change it in
    place when that lock is acceptable, or build the new key beside it (a unique index
    built CONCURRENTLY, then `ADD PRIMARY KEY USING INDEX` and the foreign keys re-pointed
    `NOT VALID`) in one short transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from . import _types
from ._fixes import batch_block, batched, col, op_schema, ref, schema_kwarg, sql_target
from ._constraints import pg_guarded
from ._types import Imports, SqlType
from ._values import LATER, one_line, quote, render

_SQL_TYPE_ACTION = (r"(?:ALTER|MODIFY)\s+(?:COLUMN\s+)?({name})\s+(?:SET\s+DATA\s+)?"
                    r"(?:TYPE\s+)?(.+?)(?:\s+USING\s+(.+))?$")
_ALTER_TABLE = r"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(?:\"[^\"]+\"|`[^`]+`|[\w$]+)" \
               r"(?:\s*\.\s*(?:\"[^\"]+\"|`[^`]+`|[\w$]+))*"
_AFFINITY = {"text": "text", "varchar": "text", "char": "text", "citext": "text", "enum": "text",
             "uuid": "text",
             "int1": "integer", "int2": "integer", "int3": "integer", "int4": "integer",
             "int8": "integer", "float4": "real", "float8": "real", "binary": "blob"}
# what sqlalchemy type names the common aliases stand for, for types read from the history
_COMMON = {"sa": "sqlalchemy", "sqlalchemy": "sqlalchemy", "db": "sqlalchemy",
           "postgresql": "sqlalchemy.dialects.postgresql", "pg": "sqlalchemy.dialects.postgresql",
           "postgres": "sqlalchemy.dialects.postgresql", "mysql": "sqlalchemy.dialects.mysql",
           "sqlite": "sqlalchemy.dialects.sqlite", "types": "sqlalchemy.types"}


@dataclass
class Change:
    op: Operation
    table: str | None
    schema: str | None
    column: str
    new: SqlType
    old: SqlType
    new_source: str | None  # Python source of the new type
    new_sql: str | None  # SQL of the new type (from op.execute)
    using: str | None  # USING expression (postgresql_using / SQL)


class _HistoryImports(Imports):
    """Types stored in the history come from other files: read them with this file's
    imports, else with the usual aliases (``sa``, ``postgresql``, ``mysql``)."""

    def full_name(self, dotted: str) -> str | None:
        found = super().full_name(dotted)
        if found is not None:
            return found
        head, _, rest = dotted.partition(".")
        if head in _COMMON:
            return f"{_COMMON[head]}.{rest}" if rest else _COMMON[head]
        if not rest and head in _types._KINDS:
            return f"sqlalchemy.{head}"
        return None


def _python_type(imports: Imports, value: Any) -> SqlType:
    found = _types.read(imports, value)
    if not found.known and (found.origin is None or not found.origin.startswith("sqlalchemy")):
        guess = _types.by_name(value)
        if guess.known:
            return guess
    return found


def _changes(ctx: RuleContext) -> Iterator[Change]:
    imports = Imports(ctx.file, ctx.dialect)
    history_imports = _HistoryImports(ctx.file, ctx.dialect)
    for op in ctx.upgrade:
        column = op.get("column_name")
        if op.name == "alter_column" and "type_" in op.kwargs and isinstance(column, str):
            table = ctx.table_of(op)
            new_value = ctx.resolve(op.kwargs["type_"])
            old = _python_type(imports, ctx.resolve(op.kwargs.get("existing_type")))
            if not old.known:
                old = _python_type(history_imports,
                                   ctx.state_at(op).column_type(table, column))
            if not old.known:
                old = _restored(ctx, imports, table, column)
            using = op.kwargs.get("postgresql_using")
            yield Change(op, table, op_schema(op), column, _python_type(imports, new_value),
                         old, render(new_value), None, using if isinstance(using, str) else None)
        for s in ctx.sql(op):
            if s.kind != "alter_table":
                continue
            schema, table = sql_target(s)
            pattern = _SQL_TYPE_ACTION.format(name=r'(?:"[^"]+"|`[^`]+`|[\w$]+)')
            for m in s.action_matches(pattern):
                action_word = m.group(0).split(None, 1)[0].upper()
                if action_word == "ALTER" and not _says_type(m.group(0)):
                    continue
                name = m.group(1).strip('"`')
                name = name if m.group(1)[:1] in '"`' else name.lower()
                new_sql = m.group(2).strip()
                if action_word == "MODIFY":  # MySQL: MODIFY c VARCHAR(64) NOT NULL ...
                    new_sql = new_sql.split(" NOT NULL")[0].split(" NULL")[0].strip()
                enum_types = ctx.state_at(op).enum_types
                old = _python_type(history_imports, ctx.state_at(op).column_type(table, name))
                if not old.known:
                    old = _restored(ctx, imports, table, name)
                yield Change(op, table, schema, name, _types.read_sql(new_sql, enum_types), old,
                             None, new_sql, m.group(3))


def _restored(ctx: RuleContext, imports: Imports, table: str | None, column: str) -> SqlType:
    """The type downgrade() gives the column back: the old type, when neither
    existing_type nor the history knows it."""
    if table is None:
        return _types.UNKNOWN
    pattern = _SQL_TYPE_ACTION.format(name=r'(?:"[^"]+"|`[^`]+`|[\w$]+)')
    for op in ctx.downgrade:
        if op.name == "alter_column" and "type_" in op.kwargs \
                and op.get("column_name") == column and ctx.table_of(op) == table:
            return _python_type(imports, ctx.resolve(op.kwargs["type_"]))
        for s in ctx.sql(op):
            if s.kind != "alter_table" or (s.table or "").lower() != table.lower():
                continue
            for m in s.action_matches(pattern):
                if _says_type(m.group(0)) and m.group(1).strip('"`').lower() == column.lower():
                    return _types.read_sql(m.group(2).strip())
    return _types.UNKNOWN


def _says_type(action: str) -> bool:
    return bool(re.match(r"ALTER\s+(?:COLUMN\s+)?\S+\s+(?:SET\s+DATA\s+)?TYPE\b", action,
                         re.IGNORECASE))


def _charset_bytes(ctx: RuleContext, table: str | None) -> int:
    """Bytes a character of the table's charset takes: the table's own mysql_charset, else
    the one most tables of the history declare, else utf8mb4 (MySQL 8's default)."""
    t = ctx.history.table(table)
    charset = t.charset if t is not None else None
    if charset is None:
        declared = [x.charset.lower() for x in ctx.history.tables.values() if x.charset]
        charset = max(set(declared), key=declared.count) if declared else "utf8mb4"
    return _types.MYSQL_BYTES.get(charset.lower(), 4)


def _quiet(ctx: RuleContext, change: Change) -> bool:
    old, new = change.old, change.new
    if not new.known:
        return True  # a project type whose storage cannot be read
    if ctx.dialect == "postgresql":
        if not old.known:
            return new.unbounded_text
        if old.kind == new.kind == "enum" and old.name and new.name and \
                ctx.state_at(change.op).type_renamed_from.get(new.name.lower()) == old.name.lower():
            return True  # the type the column has, under the name ALTER TYPE gave it
        return _types.pg_free(old, new)
    if ctx.dialect == "mysql":
        return old.known and _types.mysql_in_place(old, new, _charset_bytes(ctx, change.table))
    if ctx.dialect == "sqlite":
        if not old.known:
            return True
        return _AFFINITY.get(old.kind, "numeric") == _AFFINITY.get(new.kind, "numeric")
    return old.known and old.core == new.core


_WIDER = {"int1": 1, "int2": 2, "int3": 3, "int4": 4, "int8": 5, "numeric": 6, "float4": 7,
          "float8": 8}


def _narrowing(change: Change) -> bool:
    """True when existing values may not fit or convert (narrowing, or a cast that can
    fail); False for widening changes (int to bigint, anything to text, more digits)."""
    old, new = change.old, change.new
    if not old.known:
        return True
    if new.unbounded_text or (new.kind == old.kind == "json") or \
            (old.kind == "json" and new.kind == "jsonb"):
        return False
    if old.kind in ("varchar", "text", "char") and new.kind in ("varchar", "char"):
        return new.length is not None and (old.length is None or new.length < old.length)
    if old.kind in _WIDER and new.kind in _WIDER:
        if old.kind == new.kind == "numeric":
            return (new.precision or 1000) - (new.scale or 0) < \
                (old.precision or 1000) - (old.scale or 0) or (new.scale or 0) < (old.scale or 0)
        return _WIDER[new.kind] < _WIDER[old.kind] or (old.kind == "numeric" and
                                                       new.kind.startswith("int"))
    return old.kind != new.kind


def _value(d: str | None, change: Change) -> tuple[str, str]:
    """The SQL that converts the old value, and the condition that selects the rows not
    copied yet (false once a row is copied, so the loop ends)."""
    old_c, new_c = col(change.column, d), col(f"{change.column}_new", d)
    if change.using:
        return change.using, f"{new_c} IS NULL AND ({change.using}) IS NOT NULL"
    if d in ("mysql", "sqlite") or change.new.kind in ("varchar", "char", "text"):
        value = old_c  # the assignment converts (and, unlike CAST, refuses what is too long)
    else:
        spelled = change.new_sql or _types.pg_spelling(change.new)
        value = f"CAST({old_c} AS {spelled or '<new type>'})"
    return value, f"{new_c} IS NULL AND {old_c} IS NOT NULL"


def _add(change: Change, d: str | None, batch: bool) -> str:
    table = change.table or "<table>"
    new_name = f"{change.column}_new"
    if change.new_source is not None:
        column = f"sa.Column({quote(new_name)}, {change.new_source}, nullable=True)"
        return (f"{change.op.receiver}.add_column({column})" if batch else
                f"op.add_column({quote(table)}, {column}{schema_kwarg(change.schema)})")
    target = ref(table, change.schema, d)
    sql = f"ALTER TABLE {target} ADD COLUMN {col(new_name, d)} {change.new_sql}"
    return f"op.execute({quote(sql)})"


def _rest_of_sql(ctx: RuleContext, op: Operation, columns: set[str]) -> str | None:
    """The SQL of an execute op without the type changes of ``columns`` (other statements
    and other actions of the same ALTER TABLE kept); None when nothing is left."""
    pattern = _SQL_TYPE_ACTION.format(name=r'(?:"[^"]+"|`[^`]+`|[\w$]+)')
    kept: list[str] = []
    for s in ctx.sql(op):
        if s.kind != "alter_table" or not s.actions:
            kept.append(s.text)
            continue
        actions = []
        for action in s.actions:
            m = re.match(pattern, action.strip(), re.IGNORECASE | re.DOTALL)
            if m and _says_type(m.group(0)) and m.group(1).strip('"`').lower() in columns:
                continue
            actions.append(action)
        head = re.match(_ALTER_TABLE, s.text, re.IGNORECASE | re.DOTALL)
        if actions and head:
            kept.append(f"{head.group(0)} {', '.join(actions)}")
    return ";\n".join(kept) if kept else None


def key_role(ctx: RuleContext, change: Change) -> str | None:
    """What makes the column a key other objects hang on: "the primary key", "referenced
    by foreign keys from a, b" (before this revision or once it is done); None otherwise."""
    roles = []
    states = (ctx.history, ctx.after)
    if any(h.is_primary_key(change.table, change.column) for h in states):
        roles.append("the primary key")
    children = sorted({fk.table for h in states for fk in h.referencing(change.table,
                                                                        change.column)})
    if children:
        roles.append(f"referenced by foreign keys from {', '.join(children)}")
    return " and ".join(roles) or None


def _key_fix(ctx: RuleContext, changes: list[Change],
             roles: dict[str, str]) -> tuple[str, tuple[str, int, int] | None]:
    """A key column keeps its in-place change: a copy column cannot take its place without
    rebuilding the key and every foreign key to it. Say what to do instead, and mark the
    change as deliberate."""
    import textwrap

    first = changes[0]
    table = first.table or "<table>"
    lines = [f"# {table}.{c} is {r}" for c, r in roles.items()]
    primary = any("primary key" in r for r in roles.values())
    lines += [
        "# a copy column cannot take its place without rebuilding the "
        + ("key and every foreign key to it." if primary else "foreign keys to it."),
        "# Keep the change in place and run it when that lock is acceptable (a maintenance",
        "# window, or a small table with a lock_timeout). For a big table, build the new "
        + ("key" if primary else "column"),
        "# beside it: a new column filled in batches, a unique index on it built CONCURRENTLY,",
        ("# then one short transaction that swaps the primary key (ADD PRIMARY KEY USING INDEX)"
         if primary else "# then, in one short transaction,"),
        "# and re-points the foreign keys (ADD ... NOT VALID, then VALIDATE).",
    ]
    ignore = ("# migrate-doctor: ignore[alter-column-type] a key column: changed in place on "
              "purpose")
    block = batch_block(ctx.file, first.op) if first.op.is_batch else None
    if block is not None:
        start, end, body = block
        at = first.op.line - start
        indent = body[at][:len(body[at]) - len(body[at].lstrip())]
        body = body[:at] + [indent + ignore] + body[at:]
        return "\n".join(lines + body), ("replace", start, end)
    source = textwrap.dedent("\n".join(ctx.file.text.splitlines()[first.op.line - 1:
                                                                   first.op.end_line]))
    return "\n".join(lines + [ignore, source]), None


def _fix(ctx: RuleContext, changes: list[Change]) -> tuple[str, tuple[str, int, int] | None]:
    """One fix for the changes of one op (or one batch block): each column gets a new
    column of the new type and a batched copy; the later revision drops the old ones."""
    d = ctx.dialect
    first = changes[0]
    roles = {c.column: r for c in changes for r in [key_role(ctx, c)] if r}
    if roles:
        return _key_fix(ctx, changes, roles)
    names = ", ".join(c.column for c in changes)
    lines = [f"# revision {ctx.revision}: a column of the new type beside {names}; deploy "
             "code that writes both"]
    copies: list[str] = []
    for change in changes:
        value, condition = _value(d, change)
        target = ref(change.table or "<table>", change.schema, d)
        copies += batched(d, target, f"{col(change.column + '_new', d)} = {value}", condition)
    batch = first.op.is_batch and first.new_source is not None
    fix_at = None
    block = None
    if batch:
        block = batch_block(ctx.file, first.op)
        if block is not None:
            start, end, body = block
            for change in sorted(changes, key=lambda c: -c.op.line):  # bottom-up
                at, last = change.op.line - start, change.op.end_line - start
                indent = body[at][:len(body[at]) - len(body[at].lstrip())]
                body = body[:at] + [indent + _add(change, d, True)] + body[last + 1:]
            lines += body + ["# then copy the values in committed batches"] + copies
            fix_at = ("replace", start, end)
    if block is None:
        if first.new_sql is not None:
            rest = _rest_of_sql(ctx, first.op, {c.column.lower() for c in changes})
            if rest is not None:
                lines.append(f"{first.op.receiver}.execute({quote(rest)})"
                             if first.op.receiver == "op" else f"op.execute({quote(rest)})")
        lines += [_add(c, d, False) for c in changes] + copies
    lines += [
        LATER,
        f"# once the code reads and writes the *_new columns only (map the model attributes "
        f"to them: sa.Column({quote(first.column + '_new')}, ...)); move the indexes, "
        "constraints, NOT NULL and defaults of the old columns first",
    ]
    for change in changes:
        table = change.table or "<table>"
        if change.op.is_batch:
            lines += [f"with op.batch_alter_table({quote(table)}{schema_kwarg(change.schema)})"
                      " as batch_op:", f"    batch_op.drop_column({quote(change.column)})"]
        else:
            lines.append(f"op.drop_column({quote(table)}, {quote(change.column)}"
                         f"{schema_kwarg(change.schema)})")
    return "\n".join(lines), fix_at


_LOCK = {"postgresql": "PostgreSQL rewrites the table and rebuilds its indexes under an "
                       "ACCESS EXCLUSIVE lock (no reads or writes meanwhile)",
         "mysql": "MySQL copies the table (writes wait)",
         "sqlite": "batch mode copies the table and converts every value"}


@rule("alter-column-type", Severity.WARNING, "Column type changed in place", online=True)
def run(ctx: RuleContext) -> Iterator[Hit]:
    units: dict[Any, list[Change]] = {}
    for change in list(_changes(ctx)):
        if ctx.is_new_table(change.table, change.op) or _quiet(ctx, change):
            continue
        unit: Any = id(change.op)
        if change.op.is_batch:
            found = batch_block(ctx.file, change.op)
            unit = ("batch", found[0]) if found else unit
        units.setdefault(unit, []).append(change)
    for changes in units.values():
        parts = []
        for change in changes:
            old = f" from {_show(change.old)}" if change.old.known else ""
            role = key_role(ctx, change)
            parts.append(f"{change.table or '<table>'}.{change.column} changes type{old} to "
                         f"{_show(change.new, change)}" + (f" ({role})" if role else ""))
        what = _LOCK.get(ctx.dialect or "", "most databases rewrite or copy the table "
                                            "under lock")
        risk = ""
        if any(_narrowing(c) for c in changes):
            risk = "; narrowing or the cast can fail on existing values" + (
                " (or, without strict mode, truncate them)" if ctx.dialect == "mysql" else "")
        fix, fix_at = _fix(ctx, changes)
        fix = pg_guarded(ctx, fix, first_op(changes), fix_at)
        first = changes[0]
        yield ctx.hit("; ".join(parts) + f": {what}{risk}", fix, first.op, fix_at=fix_at,
                      table=first.table or "<table>", column=first.column,
                      columns=[c.column for c in changes])


def first_op(changes: list[Change]) -> Operation:
    return changes[0].op


def _show(t: SqlType, change: Change | None = None) -> str:
    if change is not None:
        if change.new_sql is not None:
            return change.new_sql
        if change.new_source is not None:
            return one_line(change.new_source)
    spelled = _types.pg_spelling(t)
    if spelled:
        return spelled
    return t.kind + (f"({t.length})" if t.length is not None else "")
