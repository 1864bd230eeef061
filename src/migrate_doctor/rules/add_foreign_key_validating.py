"""A foreign key added to an existing PostgreSQL table and validated at once.

What it finds:
    `op.create_foreign_key(...)` (or `ADD CONSTRAINT ... FOREIGN KEY` in `op.execute`) on a
    table this revision did not create, without `postgresql_not_valid=True` / `NOT VALID`;
    or one created NOT VALID and then validated in the same transaction (which keeps the
    strong lock during the scan, so it gains nothing). PostgreSQL only.

Why it matters:
    Adding a foreign key checks every existing row while holding a SHARE ROW EXCLUSIVE lock
    on both tables: writes to both wait for the whole scan. Added NOT VALID, it only checks
    new rows; `VALIDATE CONSTRAINT` later checks the old ones under a lock that lets reads
    and writes go on.

Example:
    op.create_foreign_key("fk_orders_user_id_users", "orders", "users", ["user_id"], ["id"])

Use instead:
    op.create_foreign_key("fk_orders_user_id_users", "orders", "users", ["user_id"], ["id"],
                          postgresql_not_valid=True)
    # in a later revision (or after an autocommit block):
    op.execute("ALTER TABLE orders VALIDATE CONSTRAINT fk_orders_user_id_users")
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ._constraints import validating_hits


@rule("add-foreign-key-validating", Severity.WARNING,
      "Foreign key added with a full validation under lock", dialects=("postgresql",), online=True)
def run(ctx: RuleContext) -> Iterator[Hit]:
    yield from validating_hits(ctx, "foreignkey", "foreign key",
                               "a SHARE ROW EXCLUSIVE lock on both tables (writes wait)")
