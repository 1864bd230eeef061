"""A column dropped and another added to the same table: a rename that loses the data.

What it finds:
    One upgrade() that drops a column of a table and adds a column of a compatible type
    (same family: text, integer, number, time, ...) to the same table. This is what
    `flask db migrate` / autogenerate writes for a renamed model attribute: it cannot tell
    a rename from a drop and an add. The dropped column's type comes from the revision that
    created it, or from the `add_column` autogenerate wrote in downgrade().

Why it matters:
    Every value of the old column is thrown away and the new column starts empty (NULL):
    a silent data loss on production, which downgrade() cannot undo.

Example:
    op.drop_column("users", "name")
    op.add_column("users", sa.Column("full_name", sa.String(100), nullable=True))

Use instead:
    If it is a rename, say so, so the data is kept (and see rename-column for doing it
    without downtime):
    op.alter_column("users", "name", new_column_name="full_name")
    If it really is a new column, copy the data before the drop:
    op.execute("UPDATE users SET full_name = name")
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._history import key
from ._values import call, column_name, column_type, type_family


def _dropped_type(ctx: RuleContext, table: str, column: str) -> Any:
    known = ctx.history.column_type(table, column)
    if known is not None:
        return known
    for op in ctx.downgrade:  # autogenerate re-adds the dropped column in downgrade()
        col = ctx.resolve(op.get("column"))
        if op.name == "add_column" and key(ctx.table_of(op) or "") == key(table) \
                and column_name(col) == column:
            return ctx.resolve(column_type(col))
    return None


@rule("drop-add-looks-like-rename", Severity.ERROR,
      "Column dropped and a similar one added: a rename that loses the data")
def run(ctx: RuleContext) -> Iterator[Hit]:
    drops: list[tuple[Operation, str, str]] = []
    adds: list[tuple[Operation, str, str, Any]] = []
    for op in ctx.upgrade:
        table = ctx.table_of(op)
        if table is None:
            continue
        if op.name == "drop_column" and isinstance(op.get("column_name"), str):
            drops.append((op, table, op.get("column_name")))
        elif op.name == "add_column":
            col = ctx.resolve(op.get("column"))
            if column_name(col):
                adds.append((op, table, column_name(col) or "", ctx.resolve(column_type(col))))
    by_table: dict[str, list[tuple[Operation, str, str, Any]]] = {}
    for add in adds:
        by_table.setdefault(key(add[1]), []).append(add)
    for drop, table, old in drops:
        old_type = _dropped_type(ctx, table, old)
        for add, add_table, new, new_type in by_table.get(key(table), ()):
            if key(new) == key(old):
                continue
            old_family, new_family = type_family(old_type), type_family(new_type)
            if old_family and new_family and old_family != new_family:
                continue
            sure = bool(old_family and new_family)
            fix = "\n".join([
                f"# if {table}.{new} is {table}.{old} renamed, keep the data: replace the "
                "drop_column and the add_column with",
                call("op.alter_column", table, old, new_column_name=new),
                f"# if it is a new column, copy the values before dropping {old}:",
                f'op.execute("UPDATE {table} SET {new} = {old}")',
            ])
            yield ctx.hit(
                f"{table}.{old} is dropped and {table}.{new} added"
                + (f" (both {old_family})" if sure else " (types unknown)")
                + f": if this is a rename, every value of {old} is lost and {new} starts empty",
                fix, drop, None if sure else Severity.WARNING,
                table=table, column=old, new_column=new, add_line=add.line)
