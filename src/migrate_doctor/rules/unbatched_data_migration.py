"""An UPDATE or DELETE over a whole table in the migration's transaction.

What it finds:
    An UPDATE or DELETE in upgrade() (SQL in `op.execute` / `conn.execute(sa.text(...))`,
    or `sa.update(...)` / `table.update()` expressions) on a table this revision did not
    create, that is not batched: no LIMIT and no bound parameters (`:start`, `:stop`), not
    inside a Python loop, and not inside `op.get_context().autocommit_block()`.

Why it matters:
    One statement changes every matching row in one transaction: each row stays locked
    until the whole migration commits, so the application's writes to those rows wait (and
    time out), PostgreSQL keeps every old row version alive, and replicas lag. If it fails
    at the end, all the work is rolled back and the deploy stops.

Example:
    op.execute("UPDATE users SET phone = '' WHERE phone IS NULL")

Use instead:
    with op.get_context().autocommit_block():
        conn = op.get_bind()
        while conn.execute(sa.text(
            "UPDATE users SET phone = '' WHERE id IN "
            "(SELECT id FROM users WHERE phone IS NULL LIMIT 5000)"
        )).rowcount:
            pass
    or run the backfill as a script after the deploy, outside the migration.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ._data import batch_loop, data_statements


@rule("unbatched-data-migration", Severity.WARNING,
      "Whole-table UPDATE or DELETE inside the migration's transaction")
def run(ctx: RuleContext) -> Iterator[Hit]:
    for op, s, table in data_statements(ctx):
        if s.batched or op.in_autocommit or ctx.in_loop(op):
            continue
        verb = s.kind.upper()
        scope = "every row of" if not s.has_where else "every matching row of"
        yield ctx.hit(
            f"{verb} changes {scope} {table} in one statement inside the migration's "
            f"transaction: those rows stay locked until the migration commits, and writes to "
            f"{table} wait", batch_loop(ctx, s, table), op, table=table, sql=s.text)
