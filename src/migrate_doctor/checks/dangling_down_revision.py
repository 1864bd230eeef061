"""A revision whose down_revision (or depends_on) names a revision no file has.

What it finds:
    A `down_revision` that points at an id missing from every version directory: the
    parent file was deleted, renamed, lives on another branch, or was never pulled.

Why it matters:
    Alembic fails every command with `Can't locate revision identified by '...'` or
    `Revision ... referenced from ... is not present`.

Fix:
    Restore the missing file from git, or point down_revision at the revision that really
    comes before it (often the current head: `flask db heads`).
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


@check("dangling-down-revision", Severity.ERROR, "down_revision names a missing revision",
       needs=("scripts",))
def run(ctx: Context) -> Iterator[Hit]:
    if ctx.graph is None:
        return
    for rf, missing, is_dependency in ctx.graph.problems.dangling:
        if ctx.in_unreadable(missing):
            continue  # its file exists but does not parse: script-syntax-error says so
        field = "depends_on" if is_dependency else "down_revision"
        loc = ctx.location(rf, rf.lines.get(field))
        what = "itself" if missing == rf.revision else f"{missing!r}, which no file defines"
        yield Hit(f"revision {rf.revision} ({loc.path}) has {field} = {what}",
                  f"restore the file of {missing} (git log --all -S {missing} -- "
                  f"{loc.path.rsplit('/', 1)[0]}), or set {field} in {loc.path} to the "
                  "revision that really precedes it",
                  loc, {"revision": rf.revision, "missing": missing, "field": field})
