"""A file under versions/ that defines no revision id.

What it finds:
    A .py file in a version directory with no `revision = "..."` assignment (or whose
    value could not be read, even by importing the file).

Why it matters:
    Alembic skips or fails on such a file (`Could not determine revision id`), so the
    history it describes is silently missing; often a helper module or a half-written file.

Example:
    # versions/helpers.py
    def backfill(): ...

Fix:
    Give it a `revision` (and `down_revision`) header, or move it out of versions/.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


@check("script-missing-revision", Severity.ERROR, "A revision file defines no revision id",
       needs=("scripts",))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.scripts is not None
    for rf in ctx.scripts.files:
        if rf.problem is not None or rf.revision:
            continue
        loc = ctx.location(rf, rf.lines.get("revision"))
        if "revision" in rf.unresolved:
            why = f"its revision is not a literal and importing the file failed ({rf.unresolved['revision']})"
        elif rf.declares_revision:
            why = "its revision is empty or not a string"
        else:
            why = "it has no `revision = ...` line"
        yield Hit(f"{loc.path}: {why}",
                  f"add `revision = \"<id>\"` and `down_revision = ...` to {loc.path}, or move it "
                  "out of the versions directory", loc)
