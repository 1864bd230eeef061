"""A PostgreSQL column of type JSON where JSONB is meant.

What it finds:
    `sa.JSON` / `postgresql.JSON` as the type of a column in `op.create_table`,
    `op.add_column` or `op.alter_column(type_=...)`, or a `json` column in CREATE TABLE /
    ADD COLUMN SQL. PostgreSQL only (`sa.JSON` is JSON there; SQLAlchemy never picks JSONB
    on its own).

Why it matters:
    PostgreSQL's `json` stores the text as given and re-parses it on every access. It has
    no equality operator, so `DISTINCT`, `GROUP BY`, `UNION` and unique constraints on it
    fail (`could not identify an equality operator for type json`), and it cannot have a
    GIN index for `@>` lookups. `jsonb` is what applications almost always want; changing
    later rewrites the table.

Example:
    op.add_column("events", sa.Column("payload", sa.JSON(), nullable=True))

Use instead:
    from sqlalchemy.dialects import postgresql
    op.add_column("events", sa.Column("payload", postgresql.JSONB(), nullable=True))
    (and `postgresql.JSONB` in the model). Keep JSON only when the exact text, key order
    or duplicate keys must be preserved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._values import Code, call, column_name, column_type, is_call, render, type_name

_SQL_JSON = re.compile(r"(\w+)\s+json\b(?!b)", re.IGNORECASE)


def _columns(ctx: RuleContext, op: Operation) -> Iterator[tuple[str, Any]]:
    """(column, type) pairs that op gives a type to."""
    if op.name == "create_table":
        for arg in op.args[1:]:
            arg = ctx.resolve(arg)
            if is_call(arg, "Column") and column_name(arg):
                yield column_name(arg) or "", ctx.resolve(column_type(arg))
    elif op.name == "add_column":
        col = ctx.resolve(op.get("column"))
        if column_name(col):
            yield column_name(col) or "", ctx.resolve(column_type(col))
    elif op.name == "alter_column" and "type_" in op.kwargs:
        col = op.get("column_name")
        if isinstance(col, str):
            yield col, ctx.resolve(op.kwargs["type_"])


@rule("json-column-type", Severity.WARNING, "JSON column where JSONB is meant",
      dialects=("postgresql",))
def run(ctx: RuleContext) -> Iterator[Hit]:
    for op in ctx.upgrade:
        found = [(c, render(t), "") for c, t in _columns(ctx, op) if type_name(t) == "JSON"]
        table = ctx.table_of(op)
        for s in ctx.sql(op):
            if s.kind in ("create_table", "alter_table"):
                table = s.table
                body = s.text[s.text.find("(") + 1:] if s.kind == "create_table" else \
                    ", ".join(f"{c} {d}" for c, d in s.added_columns())
                found += [(m.group(1), "json", s.text) for m in _SQL_JSON.finditer(body)]
        table = table or "<table>"
        for column, type_src, sql in found:
            if sql:
                fixed = re.sub(rf"\b({re.escape(column)}\s+)json\b(?!b)", r"\1jsonb", sql,
                               flags=re.IGNORECASE)
                line = f"op.execute({render(fixed)})"
            elif op.name == "alter_column":
                line = call("op.alter_column", table, column, type_=Code("postgresql.JSONB()"),
                            postgresql_using=f"{column}::jsonb")
            elif op.name == "add_column":
                line = call("op.add_column", table, Code(
                    f'sa.Column("{column}", postgresql.JSONB(), nullable=True)'))
            else:
                line = (f'sa.Column("{column}", postgresql.JSONB(), ...)'
                        f'  # in op.create_table("{table}", ...)')
            head = [] if sql else ["from sqlalchemy.dialects import postgresql"]
            fix = "\n".join([*head, line, f"# and postgresql.JSONB for {column} in the model"])
            yield ctx.hit(
                f"{table}.{column} is {type_src} (PostgreSQL json): no equality operator "
                "(DISTINCT, GROUP BY and UNIQUE fail on it), no GIN index, re-parsed on every "
                "read; jsonb is almost always what is meant", fix, op, table=table, column=column)
