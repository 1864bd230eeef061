"""A column dropped and added again under the same name: every value wiped.

What it finds:
    One upgrade() that drops a column and then adds a column of the same name to the same
    table (`op.drop_column("users", "status")` then `op.add_column("users",
    sa.Column("status", ...))`, also in batch mode, in loops over tables, and in SQL),
    usually to change its type or its constraints. Each drop is paired with the add of
    the same table and name that follows it, never with other columns. Not reported when
    the old values are taken care of: read before the drop (copied to a temporary column
    or table, or read in a loop over rows), or the new column filled by an UPDATE after it
    is added; nor when the table cannot hold rows yet (created or emptied just before,
    created by a revision at most 30 days older, or said to be empty), nor when the author
    says the values are meant to go ("reset", "discard", "wipe", ...).

Why it matters:
    The column keeps its name, so nothing looks lost, but every row now holds NULL (or the
    new default) instead of its value, on production, and downgrade() cannot bring the
    values back. Changing a type or a constraint does not need the drop: the column can
    be altered in place, keeping its values.

Example:
    op.drop_column("users", "score")
    op.add_column("users", sa.Column("score", sa.Numeric(10, 2), nullable=True))

Use instead:
    Alter the column in place (PostgreSQL converts the values with USING):
    op.alter_column("users", "score", existing_type=sa.Integer(),
                    type_=sa.Numeric(10, 2), postgresql_using="score::numeric(10,2)")
    If the values really must go, say so where it happens:
    # reset: the old scores are meaningless under the new scale
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from . import Hit, RuleContext, rule
from ..model import Severity
from ._data import intent, prose
from ._history import key
from ._quote import ident
from ._sql import from_text
from ._values import Code, call, is_call, quote, render, type_length, type_name, type_source
from .drop_add_looks_like_rename import (Add, Drop, cannot_hold_rows, changes, dropped_type,
                                         row_loops)

_RESET = re.compile(r"\b(reset|discard\w*|wipe\w*|throw\w* away|start\w* (?:over|empty|fresh)|"
                    r"values? (?:are|is) (?:lost|gone|dropped|meaningless)|"
                    r"re-?creat\w*|from scratch|drop and (?:re-?)?add)\b", re.IGNORECASE)
# SQLAlchemy type names -> PostgreSQL type names, for USING casts
_PG_TYPES = {"String": "varchar", "VARCHAR": "varchar", "Unicode": "varchar", "Text": "text",
             "TEXT": "text", "UnicodeText": "text", "Integer": "integer", "INTEGER": "integer",
             "BigInteger": "bigint", "BIGINT": "bigint", "SmallInteger": "smallint",
             "Boolean": "boolean", "BOOLEAN": "boolean", "DateTime": "timestamp",
             "TIMESTAMP": "timestamp", "Date": "date", "DATE": "date", "Time": "time",
             "Float": "double precision", "Numeric": "numeric", "NUMERIC": "numeric",
             "UUID": "uuid", "Uuid": "uuid", "JSON": "json", "JSONB": "jsonb",
             "LargeBinary": "bytea", "Interval": "interval", "CITEXT": "citext"}


def pairs(ctx: RuleContext) -> Iterator[tuple[Drop, Add]]:
    drops, adds = changes(ctx)
    used: set[int] = set()
    for drop in drops:
        for add in adds:
            if id(add) in used or add.position < drop.position \
                    or key(add.table) != key(drop.table) or key(add.column) != key(drop.column):
                continue
            used.add(id(add))
            yield drop, add
            break


def _values_kept(ctx: RuleContext, drop: Drop, add: Add) -> bool:
    if ctx.flow.copied_before(drop.table, drop.column, drop.position) is not None:
        return True
    if ctx.flow.filled_after(drop.table, drop.column, add.position) is not None:
        return True
    pattern = re.compile(rf"(?<![\w$]){re.escape(drop.column)}(?![\w$])")
    return any(pattern.search(loop) for loop in row_loops(ctx))


def _said(ctx: RuleContext, drop: Drop, add: Add) -> bool:
    if _RESET.search(prose(ctx)):
        return True
    return intent(ctx, drop.op) is not None and bool(
        re.search(r"\b(all|every)\b.*\b(value|row)s?\b", prose(ctx)))


def _pg_type(type_: Any) -> str | None:
    name = type_name(type_)
    base = _PG_TYPES.get(name or "")
    if base is None:
        if is_call(type_, "Enum", "ENUM") and isinstance(type_.kwargs.get("name"), str):
            return ident(type_.kwargs["name"], "postgresql")
        return None
    length = type_length(type_)
    if base == "varchar" and length:
        return f"varchar({length})"
    if base == "numeric" and is_call(type_) and len(type_.args) >= 1 \
            and all(isinstance(a, int) for a in type_.args[:2]):
        return f"numeric({', '.join(str(a) for a in type_.args[:2])})"
    return base


def _sql_fix(ctx: RuleContext, drop: Drop, add: Add) -> str | None:
    """``ALTER TABLE t DROP COLUMN c, ADD COLUMN c <type> ...`` (one statement) rewritten to
    alter c in place: PostgreSQL ``ALTER COLUMN c TYPE <type> USING c::<type>``, MySQL
    ``MODIFY COLUMN c <definition>``."""
    statements = [st for st in ctx.sql(drop.op) if st.kind == "alter_table"]
    if len(statements) != 1 or ctx.dialect not in ("postgresql", "mysql"):
        return None
    st = statements[0]
    m = re.match(r"(ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?\S+)\s", st.text,
                 re.IGNORECASE)
    definition = next((d for c, d in st.added_columns() if key(c) == key(drop.column)), None)
    if m is None or definition is None:
        return None
    column = ident(drop.column, ctx.dialect)
    actions: list[str] = []
    for action in st.actions:
        dropped = [c for c in st_dropped(action) if key(c) == key(drop.column)]
        added = [c for c in st_added(action) if key(c) == key(drop.column)]
        if dropped:
            if ctx.postgresql:
                sql_type = re.split(r"\s+(?:NOT\s+NULL|NULL|DEFAULT|CONSTRAINT|REFERENCES|CHECK|"
                                    r"PRIMARY|UNIQUE|COLLATE)\b", definition, maxsplit=1,
                                    flags=re.IGNORECASE)[0].strip()
                actions.append(f"ALTER COLUMN {column} TYPE {sql_type} USING "
                               f"{column}::{sql_type}")
            else:
                actions.append(f"MODIFY COLUMN {column} {definition}")
        elif not added:
            actions.append(action.strip())
    return f"op.execute({quote(m.group(1) + ' ' + ', '.join(actions))})"


def st_dropped(action: str) -> list[str]:
    st = from_text("ALTER TABLE t " + action)
    return st.dropped_columns() if st else []


def st_added(action: str) -> list[str]:
    st = from_text("ALTER TABLE t " + action)
    return [c for c, _ in st.added_columns()] if st else []


def _fix(ctx: RuleContext, drop: Drop, add: Add) -> tuple[str, tuple[str, int, int] | None]:
    """Alter the column in place, keeping its values. When the drop and the add are
    statements of one block (same indentation, nothing between them leaves it), the fix
    replaces both, keeping the lines between."""
    if drop.op is add.op:
        sql = _sql_fix(ctx, drop, add)
        if sql is not None:
            return "\n".join([
                f"# keep the values of {drop.table}.{drop.column}: alter it in place instead "
                "of dropping and re-adding it",
                "# (if they really must go, keep the statement and say so in a comment: "
                "# reset: <why>)", sql]), None
    old_type = dropped_type(ctx, drop.table, drop.column)
    definition = add.definition
    batch = drop.op.is_batch
    kwargs: dict[str, Any] = {}
    if old_type is not None:
        kwargs["existing_type"] = Code(type_source(old_type))
    new_type = add.type
    if new_type is not None and render(new_type) != render(old_type):
        kwargs["type_"] = Code(type_source(new_type))
        pg = _pg_type(new_type)
        if ctx.postgresql and pg:
            kwargs["postgresql_using"] = f"{ident(drop.column, 'postgresql')}::{pg}"
    if is_call(definition):
        for name in ("nullable", "server_default", "comment"):
            if name in definition.kwargs:
                kwargs[name] = definition.kwargs[name]
    if not batch and drop.op.schema:
        kwargs["schema"] = drop.op.schema
    alter = (call(f"{drop.op.receiver}.alter_column", drop.column, **kwargs) if batch else
             call("op.alter_column", drop.table, drop.column, **kwargs))
    head = [f"# keep the values of {drop.table}.{drop.column}: alter it in place instead of "
            "dropping and re-adding it",
            "# (if they really must go, keep the two lines and say so in a comment: "
            "# reset: <why>)"]
    lines = ctx.file.text.splitlines()
    same_block = (add.op is not drop.op and add.op.line > drop.op.end_line
                  and not drop.op.via and not add.op.via
                  and _indent(lines[drop.op.line - 1]) == _indent(lines[add.op.line - 1])
                  and all(not line.strip() or _indent(line) >= _indent(lines[drop.op.line - 1])
                          for line in lines[drop.op.end_line:add.op.line - 1]))
    if not same_block or drop.op.name != "drop_column" or add.op.name != "add_column":
        return "\n".join(head + [alter]), None
    base = len(_indent(lines[drop.op.line - 1]))
    between = [line[base:] if line.strip() else "" for line in
               lines[drop.op.end_line:add.op.line - 1]]
    body = head + [alter] + between
    return "\n".join(body), ("replace", drop.op.line, add.op.end_line)


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


@rule("drop-and-re-add-column", Severity.ERROR,
      "Column dropped and added again under the same name: every value wiped")
def run(ctx: RuleContext) -> Iterator[Hit]:
    for drop, add in pairs(ctx):
        if _values_kept(ctx, drop, add) or cannot_hold_rows(ctx, drop.table, drop.op) \
                or _said(ctx, drop, add):
            continue
        fix, at = _fix(ctx, drop, add)
        new_default = is_call(add.definition) and "server_default" in add.definition.kwargs
        yield ctx.hit(
            f"{drop.table}.{drop.column} is dropped and added again (line {add.op.line}): "
            f"every row's value is replaced by {'the default' if new_default else 'NULL'}, "
            "and downgrade() cannot bring the values back", fix, drop.op, fix_at=at,
            table=drop.table, column=drop.column, add_line=add.op.line)
