"""A value added to a PostgreSQL enum type inside the migration's transaction.

What it finds:
    `ALTER TYPE ... ADD VALUE` in `op.execute` (upgrade or downgrade) that is not inside
    `with op.get_context().autocommit_block():`. PostgreSQL only. An error when the server
    is known to be older than 12, a warning otherwise.

Why it matters:
    Before PostgreSQL 12, `ALTER TYPE ... ADD VALUE cannot run inside a transaction block`:
    the upgrade fails. From 12 on it runs, but the new value cannot be used until the
    transaction commits (`unsafe use of new value`), so a later step of the same migration
    that writes it (a backfill, a default, a CHECK) fails.

Example:
    op.execute("ALTER TYPE order_status ADD VALUE 'refunded'")

Use instead:
    with op.get_context().autocommit_block():
        op.execute("ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded'")
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ._values import render


@rule("enum-value-in-transaction", Severity.WARNING,
      "Enum value added inside a transaction", dialects=("postgresql",))
def run(ctx: RuleContext) -> Iterator[Hit]:
    old = ctx.version_below(12)
    for function in ("upgrade", "downgrade"):
        for op, s in ctx.executes(function):
            enum = s.enum_value_added()
            if enum is None or op.in_autocommit:
                continue
            sql = s.text if re.search(r"\bIF\s+NOT\s+EXISTS\b", s.text, re.IGNORECASE) else \
                re.sub(r"\bADD\s+VALUE\b", "ADD VALUE IF NOT EXISTS", s.text, count=1,
                       flags=re.IGNORECASE)
            fix = "\n".join([
                f"# in {function}() of {ctx.revision}, commit first and add the value on its own:",
                "with op.get_context().autocommit_block():",
                f"    op.execute({render(sql)})",
            ])
            why = ("this PostgreSQL version refuses it inside a transaction block, so the "
                   "upgrade fails" if old else
                   "the new value cannot be used until the transaction commits, so any later "
                   "step of this migration that writes it fails (and PostgreSQL < 12 refuses "
                   "the statement outright)")
            yield ctx.hit(f"a value is added to enum type {enum} inside the migration's "
                          f"transaction: {why}", fix, op, Severity.ERROR if old else None,
                          enum=enum, function=function)
