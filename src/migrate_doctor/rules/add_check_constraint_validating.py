"""A CHECK constraint added to an existing PostgreSQL table and validated at once.

What it finds:
    `op.create_check_constraint(...)` (or `ADD CONSTRAINT ... CHECK` in `op.execute`) on a
    table this revision did not create, without `postgresql_not_valid=True` / `NOT VALID`;
    or one created NOT VALID and validated in the same transaction. PostgreSQL only.

Why it matters:
    Adding a CHECK scans every row under an ACCESS EXCLUSIVE lock: nothing reads or writes
    the table until it ends, and one bad row fails the upgrade. NOT VALID applies it to new
    rows at once; `VALIDATE CONSTRAINT` later checks the old rows under a lock that lets
    reads and writes go on.

Example:
    op.create_check_constraint("ck_orders_total_positive", "orders", "total >= 0")

Use instead:
    op.create_check_constraint("ck_orders_total_positive", "orders", "total >= 0",
                               postgresql_not_valid=True)
    # in a later revision:
    op.execute("ALTER TABLE orders VALIDATE CONSTRAINT ck_orders_total_positive")
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ._constraints import validating_hits


@rule("add-check-constraint-validating", Severity.WARNING,
      "CHECK constraint added with a full validation under lock", dialects=("postgresql",), online=True)
def run(ctx: RuleContext) -> Iterator[Hit]:
    yield from validating_hits(ctx, "check", "CHECK constraint",
                               "an ACCESS EXCLUSIVE lock (no reads or writes)")
