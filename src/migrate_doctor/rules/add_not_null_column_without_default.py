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

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ._values import Code, call, column_name, column_type, is_not_null, type_source


@rule("add-not-null-column-without-default", Severity.ERROR,
      "NOT NULL column added to an existing table without a server default")
def run(ctx: RuleContext) -> Iterator[Hit]:
    for op in ctx.upgrade:
        if op.name != "add_column":
            continue
        column = ctx.resolve(op.get("column"))
        table = ctx.table_of(op)
        if not is_not_null(column) or column.kwargs.get("server_default") is not None:
            continue
        if ctx.is_new_table(table, op):
            continue
        name = column_name(column) or "<column>"
        table = table or "<table>"
        type_ = type_source(ctx.resolve(column_type(column)))
        nullable = column.source.replace("nullable=False", "nullable=True") \
            if "nullable=False" in column.source else None
        add = call("op.add_column", table, Code(nullable or
                                                f'sa.Column("{name}", {type_}, nullable=True)'))
        fix = "\n".join([
            f"# revision {ctx.revision}: add the column as nullable",
            add,
            f"op.execute(\"UPDATE {table} SET {name} = <value> WHERE {name} IS NULL\")"
            "  # in batches on a big table",
            "# a later revision, once every row has a value:",
            call("op.alter_column", table, name, existing_type=Code(type_), nullable=False),
            "# or, when one constant suits every row, keep nullable=False and add "
            "server_default=sa.text(\"<value>\")",
        ])
        yield ctx.hit(
            f"{table}.{name} is added as NOT NULL without a server default; the rows already in "
            f"{table} have no value for it, so the upgrade fails on any non-empty {table} "
            "(MySQL fills in '' or 0 instead)",
            fix, op, table=table, column=name)
