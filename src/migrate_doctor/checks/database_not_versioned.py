"""The database has tables but no version table.

What it finds:
    Tables exist but alembic_version (or the configured version table) does not: the
    database was created with `db.create_all()`, by hand, or by another tool.

Why it matters:
    `flask db upgrade` would run every revision from the start and fail on the first
    table that already exists (`relation "..." already exists`).

Fix:
    Adopt it: confirm the schema matches a revision, then stamp it, never upgrade it.
    The steps, filled in with the project's head, are in the finding.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


@check("database-not-versioned", Severity.ERROR, "Tables exist but no version table",
       needs=("database",))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.db is not None
    if ctx.db.version_table_exists or not ctx.db.tables:
        return
    tables = ctx.db.tables
    shown = ", ".join(tables[:8]) + (f" and {len(tables) - 8} more" if len(tables) > 8 else "")
    heads = ctx.heads
    if heads:
        head = heads[0] if len(heads) == 1 else "heads"
        fix = (f"1. check the schema matches head: {ctx.cmd('check')} must report no new "
               f"operations\n"
               f"2. {ctx.cmd('stamp ' + head)}  (stamp, do not upgrade: the tables exist)\n"
               f"3. if it matches an older revision instead, stamp that one, then "
               f"{ctx.cmd('upgrade')}")
    else:
        fix = ("1. generate the baseline against an EMPTY database of the same engine, e.g. "
               "DATABASE_URL=sqlite:///baseline.db "
               f"{ctx.cmd('migrate -m baseline')} (only if the models are dialect-neutral)\n"
               f"2. {ctx.cmd('stamp head')} on this and every existing database")
    said, proven, evidence = ctx.matched(lambda r: ctx.cmd(f"stamp {r}"))
    if proven:
        fix = (f"{proven}  (stamp, do not upgrade: the replay proved the tables are that "
               "revision's)\nor: migrate-doctor adopt (checks again, then stamps)")
    yield Hit(f"the database has {len(tables)} table(s) ({shown}) but no "
              f"{ctx.project.version_table} table: upgrade would try to create them again"
              + said, fix, None, {"tables": tables, "heads": list(heads), **evidence})
