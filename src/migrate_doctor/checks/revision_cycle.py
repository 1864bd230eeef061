"""A cycle in the revision graph.

What it finds:
    Revisions whose down_revision chain leads back to themselves, usually after
    hand-editing down_revision to reorder or "fix" a branch.

Why it matters:
    Alembic cannot order the revisions: every command fails with `Cycle is detected in
    revisions`.

Fix:
    Edit the down_revision of one revision in the cycle so that the chain ends at a base.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


@check("revision-cycle", Severity.ERROR, "The revision graph has a cycle", needs=("scripts",))
def run(ctx: Context) -> Iterator[Hit]:
    if ctx.graph is None or ctx.graph.ok:
        return
    revs = list(ctx.graph.problems.cycle)
    files = [ctx.graph.file(r) for r in revs]
    first = next((f for f in files if f is not None), None)
    described = ", ".join(ctx.describe(r) for r in revs)
    yield Hit(f"these revisions form a cycle through their down_revision: {described}",
              "edit down_revision in one of these files so that the chain ends at a base "
              "revision (down_revision = None) instead of returning to itself",
              ctx.location(first, first.lines.get("down_revision")) if first else None,
              {"revisions": revs})
