"""A column renamed in one step.

What it finds:
    `op.alter_column(..., new_column_name=...)` (also in batch mode) or `ALTER TABLE ...
    RENAME COLUMN` in upgrade(), on a table this revision did not create.

Why it matters:
    The release still running uses the old name and fails (`column "phone" does not
    exist`) from the commit until the new code is everywhere; the new code fails the same
    way if it is deployed first. There is no order of deploy and migrate that works.

Example:
    op.alter_column("users", "phone", new_column_name="phone_number")

Use instead:
    Expand, migrate, contract: add the new column, have the code write both and read the
    new one, backfill, then drop the old column in a later revision.
    op.add_column("users", sa.Column("phone_number", sa.String(20), nullable=True))
    op.execute("UPDATE users SET phone_number = phone WHERE phone_number IS NULL")
    # a later revision, after the code uses only phone_number:
    op.drop_column("users", "phone")
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._values import Code, call, type_source


@rule("rename-column", Severity.WARNING, "Column renamed while running code uses the old name")
def run(ctx: RuleContext) -> Iterator[Hit]:
    found: list[tuple[Operation, str | None, str, str]] = []
    for op in ctx.upgrade:
        new = op.kwargs.get("new_column_name")
        if op.name == "alter_column" and isinstance(new, str):
            old = op.get("column_name")
            found.append((op, ctx.table_of(op), old if isinstance(old, str) else "<column>", new))
        for s in ctx.sql(op):
            found.extend((op, s.table, old, new) for old, new in s.renamed() if old is not None)
    for op, table, old, new in found:
        if ctx.is_new_table(table, op):
            continue
        table = table or "<table>"
        known = ctx.resolve(op.kwargs.get("existing_type")) or ctx.history.column_type(table, old)
        type_ = type_source(known, "<type>")
        fix = "\n".join([
            f"# revision {ctx.revision}: add the new column; deploy code that writes both "
            f"{old} and {new}, and reads {new}",
            call("op.add_column", table, Code(f'sa.Column("{new}", {type_}, nullable=True)')),
            f'op.execute("UPDATE {table} SET {new} = {old} WHERE {new} IS NULL")'
            "  # in batches on a big table",
            f"# a later revision, after the code no longer uses {old}:",
            call("op.drop_column", table, old),
        ])
        yield ctx.hit(
            f"{table}.{old} is renamed to {new}: the running release fails on the old name "
            "as soon as this commits, and new code deployed first fails on the new name",
            fix, op, table=table, column=old, new_column=new)
