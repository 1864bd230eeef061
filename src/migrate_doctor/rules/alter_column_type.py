"""A column's type changed in place.

What it finds:
    `op.alter_column(..., type_=...)` (also in batch mode), or `ALTER COLUMN ... TYPE` in
    `op.execute`, on a table this revision did not create. Widening a `String` (or turning
    it into `Text`) on PostgreSQL is left alone when the old type is known (from
    `existing_type` or the revision that created the column): it needs no rewrite.

Why it matters:
    Most type changes rewrite the whole table and its indexes under an ACCESS EXCLUSIVE lock
    (PostgreSQL) or copy it (MySQL, SQLite batch mode): nothing reads or writes the table
    meanwhile. Narrowing can fail on existing values (`value too long`, invalid cast) or,
    on MySQL without strict mode, truncate them silently. The running code may not expect
    the new type either.

Example:
    op.alter_column("orders", "total", type_=sa.Integer(), existing_type=sa.Numeric(10, 2))

Use instead:
    Add a column of the new type, write both from the code, backfill, switch reads, and drop
    the old column later:
    op.add_column("orders", sa.Column("total_new", sa.Integer(), nullable=True))
    op.execute("UPDATE orders SET total_new = total")  # in batches
    # a later revision: drop total, then rename total_new
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import Hit, RuleContext, rule
from ..model import Severity
from ._values import Code, call, render, type_family, type_length, type_name


def _safe_on_postgresql(old: Any, new: Any) -> bool:
    if type_family(old) != "text" or type_family(new) != "text":
        return False
    if type_name(new) in ("Text", "TEXT", "UnicodeText"):
        return True
    old_len, new_len = type_length(old), type_length(new)
    return old_len is not None and (new_len is None or new_len >= old_len)


@rule("alter-column-type", Severity.WARNING, "Column type changed in place")
def run(ctx: RuleContext) -> Iterator[Hit]:
    found: list[tuple[Any, str | None, str, Any, Any]] = []
    for op in ctx.upgrade:
        column = op.get("column_name")
        if op.name == "alter_column" and "type_" in op.kwargs and isinstance(column, str):
            table = ctx.table_of(op)
            old = ctx.resolve(op.kwargs.get("existing_type")) or \
                ctx.history.column_type(table, column)
            found.append((op, table, column, ctx.resolve(op.kwargs["type_"]), old))
        for s in ctx.sql(op):
            for column in s.altered_columns(r"(?:SET\s+DATA\s+)?TYPE\b"):
                found.append((op, s.table, column, None, None))
    for op, table, column, new, old in found:
        if ctx.is_new_table(table, op):
            continue
        if ctx.postgresql and _safe_on_postgresql(old, new):
            continue
        table = table or "<table>"
        new_src = render(new) if new is not None else "<new type>"
        fix = "\n".join([
            f"# revision {ctx.revision}: a new column of the new type; deploy code that writes "
            "both",
            call("op.add_column", table,
                 Code(f'sa.Column("{column}_new", {new_src}, nullable=True)')),
            f'op.execute("UPDATE {table} SET {column}_new = {column}")  # in batches; check the '
            "values convert",
            f"# a later revision, after the code reads {column}_new:",
            call("op.drop_column", table, column),
            call("op.alter_column", table, f"{column}_new", new_column_name=column),
        ])
        yield ctx.hit(
            f"{table}.{column} changes type"
            + (f" from {render(old)}" if old is not None else "")
            + (f" to {new_src}" if new is not None else "")
            + ": most type changes rewrite the table under an exclusive lock, and narrowing can "
            "fail on (or truncate) existing values",
            fix, op, table=table, column=column)
