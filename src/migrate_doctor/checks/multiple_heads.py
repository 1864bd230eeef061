"""More than one head revision.

What it finds:
    Two or more revisions that nothing follows: two branches each added a migration on top
    of the same revision. Each head is named with its file, and their common ancestor.

Why it matters:
    `flask db upgrade` fails with `Multiple head revisions are present for given argument
    'head'`, and `flask db migrate` refuses to run. `flask db upgrade heads` only hides it:
    the database then carries several rows in alembic_version, the branches run in an
    order nobody chose, and the next `migrate` still fails.

Fix:
    flask db merge heads -m "merge heads"   (plain Alembic: alembic merge heads -m ...)
    then review the merge revision, commit it, and upgrade.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


@check("multiple-heads", Severity.ERROR, "More than one head revision", needs=("graph",))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.graph is not None
    heads = ctx.graph.heads
    if len(heads) < 2:
        return
    common = ctx.graph.common_ancestors(heads)
    heads_text = "; ".join(ctx.describe(h) for h in heads)
    base = (f" They branch from {', '.join(ctx.describe(c) for c in common)}."
            if common else " They share no common ancestor (separate bases).")
    first = ctx.graph.file(heads[-1])
    yield Hit(
        f"{len(heads)} heads: {heads_text}.{base} `upgrade` fails with 'Multiple head revisions "
        "are present'; `upgrade heads` would only hide this: the branches would run in an order "
        "nobody chose and the next `migrate` still fails",
        f'{ctx.cmd("merge heads")} -m "merge heads"\n'
        f"then review and commit the new merge revision, and run {ctx.cmd('upgrade')}",
        ctx.location(first) if first else None,
        {"heads": list(heads), "common_ancestors": common},
    )
