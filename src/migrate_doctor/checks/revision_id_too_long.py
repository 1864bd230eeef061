"""A revision id longer than the version table's column.

What it finds:
    A revision id of more than 32 characters (Alembic's default `version_num VARCHAR(32)`),
    or longer than the column the database actually has.

Why it matters:
    The upgrade runs, then fails when stamping: `value too long for type character
    varying(32)` on PostgreSQL, silently truncated on some MySQL modes, so the database
    then names a revision that does not exist.

Example:
    revision = "2024_01_15_add_customer_loyalty_points_table"

Fix:
    Rename the id to 32 characters or fewer (and update the down_revision that points at
    it), or widen version_num before the revision runs.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity

DEFAULT_LENGTH = 32


@check("revision-id-too-long", Severity.ERROR, "Revision id longer than version_num",
       needs=("scripts",))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.scripts is not None
    limit = DEFAULT_LENGTH
    if ctx.db is not None and ctx.db.version_num_length:
        limit = ctx.db.version_num_length
    for rf in ctx.scripts.readable:
        rev = rf.revision or ""
        if len(rev) > limit:
            loc = ctx.location(rf, rf.lines.get("revision"))
            yield Hit(
                f"revision id {rev!r} in {loc.path} has {len(rev)} characters; the version "
                f"table's version_num holds {limit}",
                f'use a shorter id, e.g. revision = "{rev[:12]}", and update every down_revision '
                f"that names {rev!r}; or widen the column first: "
                f"op.alter_column('{ctx.project.version_table}', 'version_num', "
                f"type_=sa.String({len(rev)}))",
                loc, {"revision": rev, "length": len(rev), "limit": limit})
