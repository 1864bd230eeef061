"""An UPDATE or DELETE over a whole table in the migration's transaction.

What it finds:
    An UPDATE or DELETE in upgrade() (SQL in `op.execute` / `conn.execute(sa.text(...))`,
    or `sa.update(...)` / `table.update()` expressions) on a table this revision did not
    create, that is not batched: no LIMIT and no bound parameters (`:start`, `:stop`), not
    inside a Python loop over rows or batches, and not inside
    `op.get_context().autocommit_block()`. A WHERE that picks rows by a literal key
    (`id = 3`, `id IN (1, 2)`, `name = 'x'`, also `slug`, `code`, `key`, `uuid`) and a
    statement that only runs offline (under
    `if context.is_offline_mode():`) are not reported.

Why it matters:
    One statement changes every matching row in one transaction: each row stays locked
    until the whole migration commits, so the application's writes to those rows wait (and
    time out), PostgreSQL keeps every old row version alive, and replicas lag. If it fails
    at the end, all the work is rolled back and the deploy stops.

Example:
    op.execute("UPDATE users SET phone = '' WHERE phone IS NULL")

Use instead:
    Run it in batches along the table's key, each committed on its own (every row is
    done once, so the loop ends whatever the statement computes), and keep the single
    statement for `--sql`:
    if context.is_offline_mode():
        op.execute("UPDATE users SET phone = '' WHERE phone IS NULL")
    else:
        with op.get_context().autocommit_block():
            conn = op.get_bind()
            users = sa.table("users", sa.column("id"))
            lo = conn.execute(sa.select(sa.func.min(users.c.id))).scalar()
            while lo is not None:
                keys = (sa.select(users.c.id.label("k")).where(users.c.id >= lo)
                        .order_by(users.c.id).limit(5000).subquery())
                hi = conn.execute(sa.select(sa.func.max(keys.c.k))).scalar()
                conn.execute(sa.text("UPDATE users SET phone = '' WHERE (phone IS NULL) "
                                     "AND users.id BETWEEN :lo AND :hi"), {"lo": lo, "hi": hi})
                lo = conn.execute(sa.select(sa.func.min(users.c.id))
                                  .where(users.c.id > hi)).scalar()
    or run the backfill as a script after the deploy, outside the migration.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ._data import batch_loop, data_statements, is_key_lookup


@rule("unbatched-data-migration", Severity.WARNING,
      "Whole-table UPDATE or DELETE inside the migration's transaction", online=True)
def run(ctx: RuleContext) -> Iterator[Hit]:
    for op, s, table in data_statements(ctx):
        if s.batched or op.in_autocommit or ctx.in_loop(op) or is_key_lookup(s):
            continue
        verb = s.kind.upper()
        scope = "every row of" if not s.has_where else "every matching row of"
        yield ctx.hit(
            f"{verb} changes {scope} {table} in one statement inside the migration's "
            f"transaction: those rows stay locked until the migration commits, and writes to "
            f"{table} wait", batch_loop(ctx, op, s, table), op, table=table, sql=s.text)
