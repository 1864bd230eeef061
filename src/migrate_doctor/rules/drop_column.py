"""A column dropped while code may still use it.

What it finds:
    `op.drop_column(...)`, `batch_op.drop_column(...)` or `ALTER TABLE ... DROP COLUMN` in
    upgrade(), on a table this revision did not create.

Why it matters:
    Dropping is a contract step. The application servers still running the previous
    release select that column (SQLAlchemy names every mapped column in its queries), so
    they fail with `column "phone" does not exist` from the moment the migration commits
    until the new code is everywhere. The data is gone, and downgrade() cannot bring it
    back.

Example:
    op.drop_column("users", "phone")

Use instead:
    Stop using the column first: remove it from the model (or list it in
    `__mapper_args__ = {"exclude_properties": ["phone"]}`) and deploy that code. Then,
    in a later revision that runs after the deploy:
    op.drop_column("users", "phone")
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._values import call


@rule("drop-column", Severity.WARNING, "Column dropped while running code may still use it")
def run(ctx: RuleContext) -> Iterator[Hit]:
    found: list[tuple[Operation, str | None, str]] = []
    for op in ctx.upgrade:
        if op.name == "drop_column" and isinstance(op.get("column_name"), str):
            found.append((op, ctx.table_of(op), op.get("column_name")))
        for s in ctx.sql(op):
            found.extend((op, s.table, column) for column in s.dropped_columns())
    for op, table, column in found:
        if ctx.is_new_table(table, op):
            continue
        table = table or "<table>"
        fix = "\n".join([
            f"# 1. deploy code that no longer reads or writes {table}.{column}: remove it from "
            f'the model, or exclude it: __mapper_args__ = {{"exclude_properties": ["{column}"]}}',
            f"# 2. then, in a revision that runs after that deploy (not in {ctx.revision} "
            "with other changes):",
            call("op.drop_column", table, column),
        ])
        yield ctx.hit(
            f"{table}.{column} is dropped: the running release still selects it and fails "
            "until the new code is deployed everywhere, and its data cannot be restored by "
            "downgrade()", fix, op, table=table, column=column)
