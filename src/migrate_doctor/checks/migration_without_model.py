"""The migrations make something the models no longer have.

What it finds:
    Tables, columns, indexes or constraints the migrations create at head (replayed in a
    scratch database) that the models do not define, judged with the project's own
    autogenerate settings (`include_object` and friends).

Why it matters:
    The next `flask db migrate` writes a revision that drops them, data included, unless
    someone notices; or they are kept on purpose and should be excluded from autogenerate.

Example:
    a model class deleted, its table still created by the migrations

Fix:
    If they should go: write the revision that drops them (contract step, after the
    deploy). If they are kept on purpose (a table of another app): exclude them with
    `include_object` in env.py.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


@check("migration-without-model", Severity.WARNING,
       "The migrations make what the models no longer have", needs=("drift",),
       command="drift")
def run(ctx: Context) -> Iterator[Hit]:
    found = [text for kind, text in ctx.drift.model_diffs if kind == "remove"]
    if found:
        yield Hit(f"the schema the migrations make at head has {len(found)} thing(s) the "
                  "models do not: " + "; ".join(found),
                  "drop them in a revision that runs after the deploy, or keep them out of "
                  "autogenerate with include_object in env.py", None, {"differences": found})
