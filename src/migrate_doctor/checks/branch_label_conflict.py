"""A branch label declared twice.

What it finds:
    A `branch_labels` entry that another revision already declares, or that is the id of
    a revision.

Why it matters:
    Alembic refuses the whole history: every command fails with `Branch name '...' in
    revision ... already used by revision ...`. It usually comes from copying a revision
    file (labels and all) to start a new one.

Example:
    branch_labels = ("billing",)   # in two revision files

Fix:
    Keep the label on the revision that starts the branch and set `branch_labels = None`
    in the other file (or give it a label of its own).
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


@check("branch-label-conflict", Severity.ERROR, "A branch label is declared twice",
       needs=("scripts",))
def run(ctx: Context) -> Iterator[Hit]:
    if ctx.graph is None:
        return
    for label, rf, first in ctx.graph.problems.label_conflicts:
        loc = ctx.location(rf, rf.lines.get("branch_labels"))
        what = ("is the id of revision" if label == first else "is already declared by revision")
        yield Hit(f"revision {rf.revision} declares the branch label {label!r}, which {what} "
                  f"{ctx.describe(first)}: Alembic refuses the history (\"Branch name "
                  f"'{label}' in revision {rf.revision} already used by revision {first}\")",
                  f"in {loc.path}, set branch_labels = None (or a label of its own), keeping "
                  f"{label!r} on {first}", loc, {"label": label, "revision": rf.revision,
                                                  "first": first})
