"""A table dropped while code may still use it.

What it finds:
    `op.drop_table(...)` or `DROP TABLE` in upgrade(), for a table this revision did not
    create.

Why it matters:
    Dropping is a contract step: the release still running queries the table and fails
    with `relation "sessions" does not exist` until the new code is deployed everywhere.
    The rows are gone for good; downgrade() can recreate the table, not its data. On
    PostgreSQL the drop also waits for an ACCESS EXCLUSIVE lock behind every open
    transaction that touched the table.

Example:
    op.drop_table("sessions")

Use instead:
    Remove the model (and every query of the table) and deploy that code. Then, in a later
    revision that runs after the deploy, with a backup or an archive copy if the rows
    matter:
    op.drop_table("sessions")
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._values import call


@rule("drop-table", Severity.WARNING, "Table dropped while running code may still use it")
def run(ctx: RuleContext) -> Iterator[Hit]:
    found: list[tuple[Operation, str | None]] = []
    for op in ctx.upgrade:
        if op.name == "drop_table":
            found.append((op, ctx.table_of(op)))
        for s in ctx.sql(op):
            found.extend((op, table) for table in s.dropped_tables())
    for op, table in found:
        if ctx.is_new_table(table, op):
            continue
        table = table or "<table>"
        fix = "\n".join([
            f"# 1. deploy code with no model and no query for {table}",
            f"# 2. keep the rows if they may be needed: "
            f'op.execute("CREATE TABLE {table}_archive AS SELECT * FROM {table}")',
            f"# 3. then, in a revision that runs after that deploy (not in {ctx.revision} "
            "with other changes):",
            call("op.drop_table", table),
        ])
        yield ctx.hit(
            f"table {table} is dropped: the running release still queries it and fails until "
            "the new code is deployed everywhere, and its rows are lost for good",
            fix, op, table=table)
