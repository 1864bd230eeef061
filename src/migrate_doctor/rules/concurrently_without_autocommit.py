"""A concurrent index operation inside the migration's transaction.

What it finds:
    `postgresql_concurrently=True` on `op.create_index` / `op.drop_index`, or `CREATE INDEX
    CONCURRENTLY` / `DROP INDEX CONCURRENTLY` / `REINDEX ... CONCURRENTLY` in `op.execute`,
    that is not inside `with op.get_context().autocommit_block():`. PostgreSQL only.

Why it matters:
    Alembic runs each migration in a transaction, and PostgreSQL refuses: `CREATE INDEX
    CONCURRENTLY cannot run inside a transaction block`. The upgrade fails every time.

Example:
    op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)

Use instead:
    with op.get_context().autocommit_block():
        op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity

_SQL_KINDS = ("create_index", "drop_index", "reindex")


@rule("concurrently-without-autocommit", Severity.ERROR,
      "CONCURRENTLY inside a transaction fails", dialects=("postgresql",))
def run(ctx: RuleContext) -> Iterator[Hit]:
    for op in ctx.upgrade + ctx.downgrade:
        if op.in_autocommit:
            continue
        concurrent = (op.name in ("create_index", "drop_index")
                      and op.kwargs.get("postgresql_concurrently") is True)
        concurrent = concurrent or any(s.kind in _SQL_KINDS and s.concurrently
                                       for s in ctx.sql(op))
        if not concurrent:
            continue
        table = ctx.table_of(op) or op.kwargs.get("table_name") or next(
            (s.table for s in ctx.sql(op) if s.table), None) or "<table>"
        original = textwrap.dedent("\n".join(
            ctx.file.text.splitlines()[op.line - 1:op.end_line])).splitlines()
        fix = "\n".join([
            f"# in {op.function}() of {ctx.revision}: commit first; CONCURRENTLY runs on its own",
            "with op.get_context().autocommit_block():",
            *[f"    {line}" if line.strip() else line for line in original],
        ])
        yield ctx.hit(
            f"a concurrent index operation on {table} runs inside the migration's transaction: "
            "PostgreSQL refuses it ('cannot run inside a transaction block') and the "
            f"{op.function} fails", fix, op, table=table, function=op.function)
