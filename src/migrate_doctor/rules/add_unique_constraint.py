"""A UNIQUE constraint added to an existing PostgreSQL table.

What it finds:
    `op.create_unique_constraint(...)` (also in batch mode) or `ADD CONSTRAINT ... UNIQUE`
    in `op.execute` on a table this revision did not create; `UNIQUE USING INDEX` is the
    safe form and stays quiet. PostgreSQL only.

Why it matters:
    The constraint builds its unique index while holding a lock that blocks every write to
    the table (and the ALTER TABLE takes ACCESS EXCLUSIVE): on a big table, minutes of
    failed or queued writes. Duplicates already in the table fail the upgrade at the end.

Example:
    op.create_unique_constraint("uq_users_email", "users", ["email"])

Use instead:
    Build the index concurrently, then turn it into the constraint (instant):
    with op.get_context().autocommit_block():
        op.create_index("uq_users_email", "users", ["email"], unique=True,
                        postgresql_concurrently=True)
    op.execute("ALTER TABLE users ADD CONSTRAINT uq_users_email UNIQUE USING INDEX uq_users_email")
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ._constraints import added_constraints
from ._values import call, render


@rule("add-unique-constraint", Severity.WARNING,
      "UNIQUE constraint added by building its index under lock", dialects=("postgresql",))
def run(ctx: RuleContext) -> Iterator[Hit]:
    for added in added_constraints(ctx, "unique"):
        table = added.table or "<table>"
        columns = added.op.get("columns") if added.sql is None else None
        column_names = [c for c in columns if isinstance(c, str)] \
            if isinstance(columns, tuple) else []
        name = added.name or f"uq_{table}_{'_'.join(column_names) or 'columns'}"
        attach = f"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING INDEX {name}"
        fix = "\n".join([
            f"# revision {ctx.revision}: build the unique index without blocking writes",
            "with op.get_context().autocommit_block():",
            "    " + call("op.create_index", name, table,
                          columns if isinstance(columns, tuple) else ("<columns>",),
                          unique=True, postgresql_concurrently=True),
            "# then attach it as the constraint (no scan, a brief lock):",
            f"op.execute({render(attach)})",
        ])
        yield ctx.hit(
            f"unique constraint {added.name or '(unnamed)'} on {table} builds its index while "
            f"blocking writes to {table}; duplicates already there fail the upgrade at the end",
            fix, added.op, table=table, constraint=added.name, columns=column_names)
