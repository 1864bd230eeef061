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
            key = sa.table("users", sa.column("id")).c["id"]
            lo = conn.execute(sa.select(key).where(key.is_not(None)).order_by(key)
                              .limit(1)).scalar()
            while lo is not None:
                keys = (sa.select(key.label("k")).where(key >= lo).order_by(key)
                        .limit(5000).subquery())
                hi = conn.execute(sa.select(keys.c.k).order_by(keys.c.k.desc())
                                  .limit(1)).scalar()
                conn.execute(sa.text("UPDATE users SET phone = '' WHERE (phone IS NULL) "
                                     "AND users.id BETWEEN :lo AND :hi"), {"lo": lo, "hi": hi})
                lo = conn.execute(sa.select(key).where(key > hi).order_by(key)
                                  .limit(1)).scalar()
    or run the backfill as a script after the deploy, outside the migration. The keys are
    read with ORDER BY ... LIMIT 1, not min()/max(): any key that sorts works, a uuid too.
    An op whose SQL holds several statements keeps them all, in order: only the whole-table
    ones are batched.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._data import batch_statements, data_statements, is_key_lookup
from ._sql import Statement


@rule("unbatched-data-migration", Severity.WARNING,
      "Whole-table UPDATE or DELETE inside the migration's transaction", online=True)
def run(ctx: RuleContext) -> Iterator[Hit]:
    by_op: dict[int, list[tuple[Operation, Statement, str]]] = {}
    for op, s, table in data_statements(ctx):
        if s.batched or op.in_autocommit or ctx.in_loop(op) or is_key_lookup(s):
            continue
        by_op.setdefault(id(op), []).append((op, s, table))
    for found in by_op.values():  # one finding per op: its fix keeps every statement
        op = found[0][0]
        flagged = [s for _op, s, _t in found]
        tables = list(dict.fromkeys(t for _op, _s, t in found))
        shown = ", ".join(tables)
        if len(found) == 1:
            s = flagged[0]
            verb = s.kind.upper()
            scope = "every row of" if not s.has_where else "every matching row of"
            what = f"{verb} changes {scope} {shown} in one statement"
        else:
            verbs = " and ".join(dict.fromkeys(s.kind.upper() for s in flagged))
            what = f"{len(found)} {verbs} statements change the rows of {shown}, each in one go,"
        yield ctx.hit(
            f"{what} inside the migration's transaction: those rows stay locked until the "
            f"migration commits, and writes to {shown} wait",
            batch_statements(ctx, op, ctx.sql(op), flagged, tables[0]), op, table=tables[0],
            tables=tables, sql=flagged[0].text, statements=len(found))
