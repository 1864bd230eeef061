"""An index created on an existing PostgreSQL table without CONCURRENTLY.

What it finds:
    `op.create_index(...)` (or `batch_op.create_index`, or `CREATE INDEX` in `op.execute`)
    on a table this revision did not create, without `postgresql_concurrently=True`.
    PostgreSQL only.

Why it matters:
    A plain CREATE INDEX holds a SHARE lock on the table until the index is built: every
    INSERT, UPDATE and DELETE waits, for minutes on a big table. CONCURRENTLY builds it
    while writes go on.

Example:
    op.create_index("ix_users_email", "users", ["email"])

Use instead:
    CREATE INDEX CONCURRENTLY cannot run in a transaction, so give it an autocommit block:
    with op.get_context().autocommit_block():
        op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)
    and in downgrade():
    with op.get_context().autocommit_block():
        op.drop_index("ix_users_email", table_name="users", postgresql_concurrently=True)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.expressions import Call, Name
from ..scripts.operations import Operation
from ._values import Code, call, name_of, quote, render


@rule("create-index-not-concurrently", Severity.WARNING,
      "Index created without CONCURRENTLY locks writes", dialects=("postgresql",))
def run(ctx: RuleContext) -> Iterator[Hit]:
    for op in ctx.upgrade:
        if op.name == "create_index" and op.kwargs.get("postgresql_concurrently") is not True:
            table, given = ctx.table_of(op), op.get("index_name")
            if ctx.is_new_table(table, op):
                continue
            table = table or "<table>"
            name = name_of(given) or f"ix_{table}"
            code = Code(f"op.f({quote(name)})") if isinstance(given, Call) else name
            columns = op.get("columns")
            extra = {k: v for k, v in op.kwargs.items() if k not in
                     ("index_name", "table_name", "columns", "postgresql_concurrently")}
            create = call("op.create_index", code, table,
                          columns if isinstance(columns, (tuple, str, Call, Name)) else
                          Code("[...]"), **extra, postgresql_concurrently=True)
            drop = call("op.drop_index", code, table_name=table, postgresql_concurrently=True)
            yield _hit(ctx, op, table, name, create, drop)
        for s in ctx.sql(op):
            if s.kind == "create_index" and not s.concurrently \
                    and not ctx.is_new_table(s.table, op):
                table = s.table or "<table>"
                sql = re.sub(r"\bINDEX\b", "INDEX CONCURRENTLY", s.text, count=1,
                             flags=re.IGNORECASE)
                yield _hit(ctx, op, table, None, f"op.execute({render(sql)})", None)


def _hit(ctx: RuleContext, op: Operation, table: str, name: str | None, create: str,
         drop: str | None) -> Hit:
    fix = "\n".join([
        "with op.get_context().autocommit_block():",
        f"    {create}",
    ])
    if drop:
        fix += "\n# and in downgrade():\nwith op.get_context().autocommit_block():\n    " + drop
    return ctx.hit(
        f"index {name + ' ' if name else ''}on {table} is built without CONCURRENTLY: "
        f"every write to {table} waits until the build ends",
        fix, op, table=table, index=name)
