"""A primary key added to an existing PostgreSQL table.

What it finds:
    `op.create_primary_key(...)` (also in batch mode), or `ADD [CONSTRAINT ...] PRIMARY KEY`
    in `op.execute`, on a table this revision did not create; `PRIMARY KEY USING INDEX` is
    the safe form and stays quiet. PostgreSQL only.

Why it matters:
    ALTER TABLE ... ADD PRIMARY KEY builds the unique index while holding an ACCESS
    EXCLUSIVE lock: nothing reads or writes the table until the build ends, minutes on a big
    table. Columns not yet NOT NULL are also scanned under that lock, and duplicates or
    NULLs fail the upgrade at the end.

Example:
    op.create_primary_key("votes_pkey", "votes", ["user_id", "post_id"])

Use instead:
    Build the index concurrently, then attach it (a brief lock, no scan once the columns
    are NOT NULL):
    with op.get_context().autocommit_block():
        op.create_index("votes_pkey", "votes", ["user_id", "post_id"], unique=True,
                        postgresql_concurrently=True)
    op.execute("ALTER TABLE votes ADD CONSTRAINT votes_pkey PRIMARY KEY USING INDEX votes_pkey")
    (for nullable columns, set-not-null's CHECK ... NOT VALID recipe first).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import Hit, RuleContext, rule
from ..model import Severity
from ._constraints import Added, added_constraints, pg_guarded, unit_of, using_index_fix
from ._history import key
from ._values import call


def _nullable(ctx: RuleContext, added: Added) -> list[str]:
    """Columns of the key not known to be NOT NULL."""
    t = ctx.state_at(added.op).table(added.table)
    if t is None:
        return []
    out = []
    for column in added.columns():
        known = t.columns.get(key(column))
        if known is not None and known.nullable:
            out.append(column)
    return out


@rule("add-primary-key", Severity.WARNING,
      "Primary key added by building its index under an exclusive lock",
      dialects=("postgresql",), online=True)
def run(ctx: RuleContext) -> Iterator[Hit]:
    by_op: dict[Any, list[Added]] = {}
    for added in added_constraints(ctx, "primary"):
        by_op.setdefault(unit_of(ctx, added.op), []).append(added)
    for items in by_op.values():
        first = items[0]
        table = first.table or "<table>"
        fix, fix_at = using_index_fix(ctx, first.op, items)
        nullable = [c for a in items for c in _nullable(ctx, a)]
        if nullable:
            from .set_not_null import not_null_steps

            schema = {"schema": first.schema} if first.schema else {}
            steps = not_null_steps(ctx, table, first.schema, nullable, [
                call("op.alter_column", table, c, nullable=False, **schema) for c in nullable])
            fix = "\n".join(["# the key's columns NOT NULL first, without a scan under lock",
                             *steps[1:], fix])
        scan = (f"; {', '.join(nullable)} {'is' if len(nullable) == 1 else 'are'} not NOT NULL "
                "yet, so it also scans for NULLs") if nullable else ""
        fix = pg_guarded(ctx, fix, first.op, fix_at)
        yield ctx.hit(
            f"primary key {first.name or '(unnamed)'} on {table} builds its unique index under "
            f"an ACCESS EXCLUSIVE lock: nothing reads or writes {table} until it ends{scan}",
            fix, first.op, fix_at=fix_at, table=table, constraint=first.name,
            columns=first.columns())
