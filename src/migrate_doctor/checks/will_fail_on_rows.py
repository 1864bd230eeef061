"""A pending revision will fail on the rows already in the database.

What it finds:
    For each revision not yet applied, read-only queries against the live database test
    what the revision demands of the existing rows: NOT NULL added or set on a column that
    has NULLs (or a NOT NULL column without default added to a table with rows); a unique
    constraint or index over duplicate values; a foreign key over rows that point nowhere;
    a CHECK that rows break; a type change that values do not fit (too long, out of range,
    not convertible). The rows are counted and a few are named by primary key.

Why it matters:
    These revisions pass on a developer's empty database and in CI, and fail on
    production's rows, in the middle of the deploy: `column "phone" contains null
    values`, `could not create unique index`, `Data truncated for column`. On MySQL the
    steps before the failing one stay applied.

Example:
    op.alter_column("users", "phone", nullable=False)
    -- 3 rows of users have phone NULL (id = 4, 9, 12)

Fix:
    Clean the rows first (the query that shows them is in the finding), in a revision that
    runs before, or change the revision (a server default, NOT VALID and validate later, a
    wider type, a USING expression that handles them). `migrate-doctor apply` refuses to
    start while this finding stands.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity
from ..predict import ID, TITLE


@check(ID, Severity.ERROR, TITLE, needs=("graph", "database"))
def run(ctx: Context) -> Iterator[Hit]:
    from ..predict import predict
    from .role_cannot_migrate import pending

    assert ctx.db is not None
    if ctx.db.engine is None:
        return
    revs = pending(ctx)
    if not revs:
        return
    for f in predict(ctx, revs).findings:
        yield Hit(f.message, f.fix, f.location, f.evidence)
