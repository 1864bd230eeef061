"""The database is behind the head revision(s).

What it finds:
    The version table names known revisions, but revisions above them have not been
    applied; they are listed in the order `upgrade` would run them.

Why it matters:
    The code expects tables and columns the database lacks: errors after a deploy that
    forgot the upgrade; `flask db migrate` refuses with `Target database is not up to date.`

Fix:
    flask db upgrade   (plain Alembic: alembic upgrade head), before the new code starts.

    `verify` reads the phases in the evidence: when every pending revision belongs after
    the deploy (the first is a contract revision and none mixes expand and contract, as
    `plan` splits them), the new code may start, and verify passes (unless --head).
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


@check("database-behind", Severity.ERROR, "The database is behind the head revision",
       needs=("graph", "database"))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.graph is not None and ctx.db is not None
    current = ctx.db.current
    if not current or any(r not in ctx.graph.files for r in current):
        return
    if any(a != b and a in ctx.graph.ancestors(b) for a in current for b in current):
        return  # one row is an ancestor of another: version-table-inconsistent reports it
    if set(current) == set(ctx.graph.heads):
        return
    pending = ctx.graph.upgrade_order("heads", current)
    if not pending:
        return
    listed = "; ".join(ctx.describe(r) for r in pending[:20])
    more = f" and {len(pending) - 20} more" if len(pending) > 20 else ""
    target = "heads" if len(ctx.graph.heads) > 1 else "head"
    from ..scripts.phases import revision_phase

    phases = {r: revision_phase(ctx.graph.files[r].operations).value for r in pending}
    yield Hit(
        f"the database is at {', '.join(current)}; {len(pending)} revision(s) not applied, in "
        f"upgrade order: {listed}{more}",
        f"{ctx.cmd('upgrade')}" + (" (after merging the heads)" if target == "heads" else "")
        + ", before the new code starts",
        None, {"current": list(current), "pending": pending, "heads": list(ctx.graph.heads),
               "phases": phases})
