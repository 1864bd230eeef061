"""A UNIQUE constraint added to an existing PostgreSQL table.

What it finds:
    `op.create_unique_constraint(...)` (also in batch mode) or `ADD [CONSTRAINT ...] UNIQUE`
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
    An unnamed constraint gets the name PostgreSQL would have given it
    (`users_email_key`), so later revisions that drop it by that name still work.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import Hit, RuleContext, rule
from ..model import Severity
from ._constraints import Added, added_constraints, pg_guarded, unit_of, using_index_fix


@rule("add-unique-constraint", Severity.WARNING,
      "UNIQUE constraint added by building its index under lock", dialects=("postgresql",), online=True)
def run(ctx: RuleContext) -> Iterator[Hit]:
    by_op: dict[Any, list[Added]] = {}
    for added in added_constraints(ctx, "unique"):
        by_op.setdefault(unit_of(ctx, added.op), []).append(added)
    for items in by_op.values():
        table = items[0].table or "<table>"
        names = ", ".join(a.name or "(unnamed)" for a in items)
        fix, fix_at = using_index_fix(ctx, items[0].op, items)
        fix = pg_guarded(ctx, fix, items[0].op, fix_at)
        yield ctx.hit(
            f"unique constraint {names} on {table} builds its index while blocking writes to "
            f"{table}; duplicates already there fail the upgrade at the end",
            fix, items[0].op, fix_at=fix_at, table=table, constraint=items[0].name,
            columns=items[0].columns())
