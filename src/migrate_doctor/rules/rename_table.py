"""A table renamed in one step.

What it finds:
    `op.rename_table(...)` or `ALTER TABLE ... RENAME TO` in upgrade().

Why it matters:
    The release still running queries the old name and fails (`relation "customers"
    does not exist`) from the commit until the new code is everywhere; deploying the code
    first fails the other way round.

Example:
    op.rename_table("customers", "clients")

Use instead:
    On PostgreSQL, rename and leave a view with the old name (a simple view is updatable,
    so the old code keeps reading and writing), then drop the view in a later revision:
    op.rename_table("customers", "clients")
    op.execute("CREATE VIEW customers AS SELECT * FROM clients")
    # a later revision, after the code uses only clients:
    op.execute("DROP VIEW customers")
    Elsewhere: create the new table, write to both, copy the rows, switch reads, then drop
    the old table.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._values import call


@rule("rename-table", Severity.WARNING, "Table renamed while running code uses the old name")
def run(ctx: RuleContext) -> Iterator[Hit]:
    found: list[tuple[Operation, str, str]] = []
    for op in ctx.upgrade:
        new = op.get("new_table_name")
        if op.name == "rename_table" and isinstance(new, str):
            found.append((op, ctx.table_of(op) or "<table>", new))
        for s in ctx.sql(op):
            found.extend((op, s.table or "<table>", n) for old, n in s.renamed() if old is None)
    for op, old, new in found:
        if ctx.is_new_table(old, op):
            continue
        if ctx.dialect in ("postgresql", "mysql", None):
            fix = "\n".join([
                f"# revision {ctx.revision}: rename, and keep the old name working as a view",
                call("op.rename_table", old, new),
                f'op.execute("CREATE VIEW {old} AS SELECT * FROM {new}")',
                f"# a later revision, after the code uses only {new}:",
                f'op.execute("DROP VIEW {old}")',
            ])
        else:
            fix = "\n".join([
                f"# create {new} next to {old}, deploy code that writes both, copy the rows:",
                f'op.execute("INSERT INTO {new} SELECT * FROM {old}")',
                f"# a later revision, after the code uses only {new}:",
                call("op.drop_table", old),
            ])
        yield ctx.hit(
            f"table {old} is renamed to {new}: the running release fails on the old name as "
            "soon as this commits, and new code deployed first fails on the new name",
            fix, op, table=old, new_table=new)
