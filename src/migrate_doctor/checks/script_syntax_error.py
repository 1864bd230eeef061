"""A revision file that Python cannot parse.

What it finds:
    A file under versions/ with a syntax error (or that cannot be read as UTF-8).

Why it matters:
    Alembic imports every revision file for every command: one broken file stops
    `flask db upgrade`, `current`, `heads` and `migrate` alike.

Example:
    def upgrade(:

Fix:
    Correct the line named, or delete the file if it is a stray copy.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


@check("script-syntax-error", Severity.ERROR, "A revision file does not parse", needs=("scripts",))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.scripts is not None
    for rf in ctx.scripts.files:
        if rf.problem is not None:
            message, line = rf.problem
            loc = ctx.location(rf, line)
            yield Hit(f"{loc} {message}",
                      f"fix line {line} of {loc.path}" if line else f"fix or remove {loc.path}",
                      loc, {"error": message})
