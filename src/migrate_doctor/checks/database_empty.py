"""The database has no tables and no version table.

What it finds:
    A database with nothing in it yet (or a SQLite file that does not exist yet).

Why it matters:
    Usually fine for a new environment; surprising when the command was meant to look
    at a populated database: a sign the URL points somewhere else.

Fix:
    flask db upgrade   to create the schema; or check the URL in `target-database`.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


@check("database-empty", Severity.INFO, "The database is empty", needs=("database",))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.db is not None
    if ctx.db.tables or ctx.db.version_table_exists:
        return
    yield Hit(f"the database {ctx.db.masked_url} has no tables and no version table"
              + ("" if ctx.db.exists else " (the SQLite file does not exist yet)"),
              f"{ctx.cmd('upgrade')} to create the schema, or check that the URL is the one "
              "you meant", None, {"exists": ctx.db.exists})
