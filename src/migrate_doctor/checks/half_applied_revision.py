"""A revision that ran only part of the way.

What it finds:
    On MySQL/MariaDB, where DDL commits as it runs, a revision that failed half-way leaves
    its first steps in place while the version table still names the revision before it.
    The migrations are replayed in a scratch database to the database's revision and to
    the next one; the live schema holding some of the next revision's changes and not the
    others is that half-run revision. The steps present and missing are listed (a table the
    revision creates and then alters counts column by column, index by index). Holding all
    of them while the version table names the revision before: the run stopped before it
    wrote the version table.

Why it matters:
    `upgrade` again fails on the first step (`Duplicate column name`, `Table ... already
    exists`); stamping the next revision would claim steps that never ran.

Example:
    ALTER TABLE books ADD COLUMN shelf ...   -- ran
    CREATE INDEX ix_books_x ON books (x)     -- failed: no column x

Fix:
    Never a blind upgrade. Either finish the missing steps by hand and stamp the revision,
    or reverse the steps that ran and fix the revision, then upgrade.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


@check("half-applied-revision", Severity.ERROR, "A revision ran only part of the way",
       needs=("graph", "database"))
def run(ctx: Context) -> Iterator[Hit]:
    from ..replay.half import half_applied

    assert ctx.db is not None and ctx.graph is not None
    if not ctx.replay_allowed or ctx.db.dialect not in ("mysql", "mariadb"):
        return  # DDL is transactional elsewhere: a failed revision leaves nothing behind
    current = tuple(ctx.db.current)
    if any(r not in ctx.graph.files for r in current):
        return
    pending = ctx.graph.upgrade_order("heads", current) if current else \
        ctx.graph.upgrade_order("heads")
    if not pending:
        return
    found = half_applied(ctx, current, pending[0])
    if found is None:
        return
    present, missing = found
    rev = pending[0]
    back = ctx.cmd(f"stamp {rev}")
    if not missing:  # every step ran; the run stopped before the version table was written
        yield Hit(f"revision {ctx.describe(rev)} ran all of its changes ({'; '.join(present[:5])}"
                  f") but the version table still says {', '.join(current) or 'base'}: the "
                  "run stopped before writing it, and upgrade would fail on what exists",
                  f"{back} (the schema is that revision's)", ctx.location(ctx.graph.files[rev]),
                  {"revision": rev, "present": present, "missing": []})
        return
    yield Hit(f"revision {ctx.describe(rev)} ran part of the way: the database holds "
              f"{len(present)} of its changes ({'; '.join(present[:5])}) but not "
              f"{len(missing)} ({'; '.join(missing[:5])}); the version table still says "
              f"{', '.join(current) or 'base'}",
              f"do not upgrade blindly. Either finish the missing steps by hand "
              f"({'; '.join(missing[:5])}) and then {back}, or undo the steps that ran "
              f"({'; '.join(present[:5])}), fix the revision, and upgrade",
              ctx.location(ctx.graph.files[rev]), {"revision": rev, "present": present,
                                                     "missing": missing})
