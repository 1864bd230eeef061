"""The live schema differs from what the migrations made.

What it finds:
    The migrations are replayed into a scratch database up to the revision the database
    says it is at; every difference between that expected schema and the live one is a
    change nobody wrote a revision for: a column or index added by hand, a constraint
    dropped in a console, a type changed by another tool, a half-applied revision. Each
    names the revision that created the object, where one did.

Why it matters:
    The next revision is written against the expected schema: it fails on production
    (`column "..." already exists`, `constraint "..." does not exist`), or autogenerate
    proposes to undo a change someone made on purpose. `stamp` over such a database lies.

Example:
    ALTER TABLE books ADD COLUMN shelf varchar(20)   -- run by hand on production

Fix:
    Either undo the change by hand, or capture it in a revision that matches what is
    live (then stamp that revision on this database only if the others have the change
    too). The finding names the object and the SQL difference.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


def _origin(ctx: Context, where: str) -> str:
    table = where.split(".", 1)[0]
    rev = ctx.drift.created_by.get(where) or ctx.drift.created_by.get(table)
    return f" (created by revision {ctx.describe(rev)})" if rev else ""


@check("manual-schema-change", Severity.WARNING,
       "The live schema differs from what the migrations made", needs=("drift",),
       command="drift")
def run(ctx: Context) -> Iterator[Hit]:
    current = ", ".join(ctx.db.current) if ctx.db else "base"
    for d in ctx.drift.live_vs_expected:
        if d.what == "extra":
            message = (f"the live database has {d.kind} {d.where}, which the migrations up to "
                       f"{current} do not create")
            fix = (f"if it should stay: capture it in a revision ({ctx.cmd('migrate')} reads "
                   f"it from the models); if not: drop {d.kind} {d.where} by hand")
        elif d.what == "missing":
            message = (f"{d.kind} {d.where}{_origin(ctx, d.where)} is missing from the live "
                       "database")
            fix = (f"re-create {d.kind} {d.where} by hand as its revision does, or write a "
                   "revision that drops it everywhere")
        else:
            message = (f"{d.kind} {d.where}{_origin(ctx, d.where)}: its {d.what} is "
                       f"{d.actual!r} live, {d.expected!r} as the migrations made it")
            fix = (f"change it back by hand, or capture the change in a revision "
                   f"({ctx.cmd('migrate')})")
        yield Hit(message, fix, None, {"difference": d.to_dict(), "revision": current})
