"""Two files that declare the same revision id.

What it finds:
    The same `revision = "..."` in two or more files: usually a copied file, or a
    revision file renamed and the old one kept.

Why it matters:
    Alembic warns `Revision ... is present more than once` and keeps one of them; which
    one depends on file order, so the graph differs from machine to machine.

Fix:
    Delete the copy, or give one file a new id (`uuid.uuid4().hex[:12]`) and point the
    revisions that follow it at the id they mean.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ._context import display_path
from ..model import Severity


@check("duplicate-revision-id", Severity.ERROR, "Two files declare the same revision id",
       needs=("scripts",))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.scripts is not None
    for rev, files in ctx.scripts.duplicates().items():
        paths = [display_path(f.path) for f in files]
        yield Hit(f"revision {rev} is declared by {len(files)} files: {', '.join(paths)}",
                  f"delete the copy, or give {paths[-1]} a new revision id and update the "
                  "down_revision of the revisions that follow it",
                  ctx.location(files[-1], files[-1].lines.get("revision")),
                  {"revision": rev, "files": paths})
