"""The version table's rows do not describe one consistent position.

What it finds:
    Rows that are ancestors of each other, more rows than the graph has heads, an empty
    version table beside populated tables, a version table without a version_num column,
    or rows with an empty id.

Why it matters:
    Alembic decides what to run from these rows; inconsistent rows make it re-run or skip
    revisions (`duplicate key value violates unique constraint "alembic_version_pkc"`
    after two upgrades at once, `Requested revision ... overlaps with other requested
    revisions`).

Fix:
    Find the revision the schema really matches, then set exactly that:
    flask db stamp --purge <revision>
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


@check("version-table-inconsistent", Severity.ERROR,
       "The version table's rows are inconsistent", needs=("database",))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.db is not None
    db = ctx.db
    if not db.version_table_exists:
        return
    vt = ctx.project.version_table
    purge = ctx.cmd("stamp --purge <revision>")
    for problem in db.version_table_problems:
        yield Hit(problem, f"check that {vt} is Alembic's version table (or configure "
                  f"version_table); then {purge}", None, {"rows": list(db.current)})
    rows = list(db.current)
    if not rows and db.tables and not db.version_table_problems:
        said, proven, evidence = ctx.matched(lambda r: ctx.cmd(f"stamp {r}"))
        yield Hit(f"{vt} is empty but the database has {len(db.tables)} table(s): the schema's "
                  "revision is unknown; upgrade would create existing tables again" + said,
                  proven or f"find the revision the schema matches (migrate-doctor drift "
                  f"compares), then {ctx.cmd('stamp <revision>')}",
                  None, {"rows": rows, "tables": db.tables, **evidence})
        return
    if len(set(rows)) != len(rows):
        yield Hit(f"{vt} holds the same revision more than once: {', '.join(rows)}",
                  purge, None, {"rows": rows})
    if not ctx.has("graph"):
        return
    assert ctx.graph is not None
    known = [r for r in dict.fromkeys(rows) if r in ctx.graph.files]
    overlapping = False
    for r in known if len(known) > 1 else ():
        below = ctx.graph.ancestors(r) - {r}
        for other in known:
            if other in below:
                overlapping = True
                yield Hit(f"{vt} holds {other} and {r}, but {other} is an ancestor of {r}: "
                          "a row should have been replaced, not added",
                          ctx.cmd(f"stamp --purge {r}") + " (if the schema matches it)",
                          None, {"rows": rows, "ancestor": other, "descendant": r})
    # rows no file defines are database-unknown-revision's; overlapping rows are said above
    if not overlapping and len(known) > max(1, len(ctx.graph.heads)):
        yield Hit(f"{vt} has {len(rows)} rows but the history has {len(ctx.graph.heads)} head(s): "
                  f"{', '.join(rows)}",
                  f"find the revision the schema matches, then {purge}", None,
                  {"rows": rows, "heads": list(ctx.graph.heads)})
