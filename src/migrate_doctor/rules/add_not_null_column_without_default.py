"""A NOT NULL column added to an existing table without a server default.

What it finds:
    `op.add_column(...)` (or `batch_op.add_column(...)`) of a column with `nullable=False`
    (or `primary_key=True`) and no `server_default`, on a table that this revision did not
    create. A Python-side `default=` does not count: the database never sees it.

Why it matters:
    The rows already in the table have no value for the new column. PostgreSQL and SQLite
    refuse (`column "phone" contains null values`, `Cannot add a NOT NULL column with
    default value NULL`) and the deploy stops half-way; MySQL quietly fills in `''` or `0`.
    It works on an empty development database and fails on production.

Example:
    op.add_column("users", sa.Column("phone", sa.String(20), nullable=False))

Use instead:
    op.add_column("users", sa.Column("phone", sa.String(20), nullable=True))
    op.execute("UPDATE users SET phone = '' WHERE phone IS NULL")  # in batches on big tables
    # then, in a later revision, once every row has a value:
    op.alter_column("users", "phone", existing_type=sa.String(20), nullable=False)
    (or, when one constant suits every row: `server_default=sa.text("''")`.)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._values import Code, call, column_name, column_type, is_not_null, render, type_source


def _fix(ctx: RuleContext, table: str, name: str, add: str, type_: str) -> str:
    return "\n".join([
        f"# revision {ctx.revision}: add the column as nullable",
        add,
        f"op.execute(\"UPDATE {table} SET {name} = <value> WHERE {name} IS NULL\")"
        "  # in batches on a big table",
        "# a later revision, once every row has a value:",
        call("op.alter_column", table, name, nullable=False) if type_ == "<type>" else
        call("op.alter_column", table, name, existing_type=Code(type_), nullable=False),
        "# or, when one constant suits every row, keep nullable=False and add "
        "server_default=sa.text(\"<value>\")",
    ])


def _sql_columns(ctx: RuleContext, op: Operation) -> Iterator[tuple[str | None, str, str]]:
    """``ADD COLUMN c type NOT NULL`` without DEFAULT (or identity / generated) in SQL."""
    for s in ctx.sql(op):
        for column, definition in s.added_columns():
            if re.search(r"\bNOT\s+NULL\b", definition, re.IGNORECASE) and not re.search(
                    r"\b(DEFAULT|GENERATED|IDENTITY|AUTO_INCREMENT|SERIAL|BIGSERIAL)\b",
                    definition, re.IGNORECASE):
                sql_type = re.split(r"\s+(?:NOT|NULL|CONSTRAINT|REFERENCES|CHECK|PRIMARY|UNIQUE)\b",
                                    definition, maxsplit=1, flags=re.IGNORECASE)[0].strip()
                yield s.table, column, sql_type


@rule("add-not-null-column-without-default", Severity.ERROR,
      "NOT NULL column added to an existing table without a server default")
def run(ctx: RuleContext) -> Iterator[Hit]:
    for op in ctx.upgrade:
        found: list[tuple[str | None, str, str, str]] = []  # table, column, add line, type
        if op.name == "add_column":
            column = ctx.resolve(op.get("column"))
            if is_not_null(column) and column.kwargs.get("server_default") is None:
                table, name = ctx.table_of(op) or "<table>", column_name(column) or "<column>"
                type_ = type_source(ctx.resolve(column_type(column)))
                nullable = column.source.replace("nullable=False", "nullable=True") \
                    if "nullable=False" in column.source else None
                found.append((ctx.table_of(op), name, call("op.add_column", table, Code(
                    nullable or f'sa.Column("{name}", {type_}, nullable=True)')), type_))
        for sql_table, name, sql_type in _sql_columns(ctx, op):
            add = f"ALTER TABLE {sql_table or '<table>'} ADD COLUMN {name} {sql_type}"
            found.append((sql_table, name, f"op.execute({render(add)})", "<type>"))
        for table, name, add, type_ in found:
            if ctx.is_new_table(table, op):
                continue
            table = table or "<table>"
            yield ctx.hit(
                f"{table}.{name} is added as NOT NULL without a server default; the rows "
                f"already in {table} have no value for it, so the upgrade fails on any "
                f"non-empty {table} (MySQL fills in '' or 0 instead)",
                _fix(ctx, table, name, add, type_), op, table=table, column=name)
