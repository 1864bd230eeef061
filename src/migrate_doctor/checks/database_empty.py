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
    if ctx.db.missing_directory:
        from ..database.connect import parse_url, sqlite_path

        path = sqlite_path(parse_url(ctx.project.url or ""))
        folder = path.parent if path is not None else "its directory"
        yield Hit(f"the SQLite database {ctx.db.masked_url} does not exist, and neither does its "
                  f"directory {folder} (a relative path is taken from the directory the "
                  f"command runs in): {ctx.cmd('upgrade')} cannot create it there",
                  f"fix the path in the URL (an absolute path, e.g. sqlite:////srv/app/app.db), "
                  f"or create the directory: mkdir -p {folder}", None,
                  {"exists": False, "missing_directory": str(folder)},
                  severity=Severity.WARNING)
        return
    yield Hit(f"the database {ctx.db.masked_url} has no tables and no version table"
              + ("" if ctx.db.exists else " (the SQLite file does not exist yet)"),
              f"{ctx.cmd('upgrade')} to create the schema, or check that the URL is the one "
              "you meant", None, {"exists": ctx.db.exists})
