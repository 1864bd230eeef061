"""The models define tables but there is no revision yet.

What it finds:
    A migrations directory with no revision file, while the models (Flask-SQLAlchemy's
    `db.metadata`, env.py's `target_metadata`) define tables.

Why it matters:
    `upgrade` does nothing, so no table is ever created where the migrations run: the app
    fails with "no such table" / "relation does not exist" on a fresh database, and the
    first revision written later has to be generated against an empty database anyway.

Fix:
    flask db migrate -m "initial schema" (plain Alembic: alembic revision --autogenerate
    -m "initial schema"), review it, then flask db upgrade. A database that already has
    these tables is marked instead: flask db stamp head.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


@check("first-migration-missing", Severity.WARNING, "The first migration is missing",
       needs=("scripts", "models"))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.scripts is not None
    if ctx.scripts.files:
        return
    metadata = ctx.project.metadata()
    assert metadata is not None
    tables = sorted(t.name for t in metadata.tables.values())
    if not tables:
        return
    existing = sorted(set(tables) & set(ctx.db.tables)) if ctx.db is not None else []
    message = (f"there is no revision yet, but the models define {len(tables)} table(s) "
               f"({', '.join(tables[:8])}{', ...' if len(tables) > 8 else ''}): "
               f"{ctx.cmd('upgrade')} creates none of them")
    migrate = ctx.cmd('migrate -m "initial schema"')
    fix = f"{migrate}, review the revision, then {ctx.cmd('upgrade')}"
    if existing:
        message += f"; the database already has {', '.join(existing[:8])}"
        fix = (f"generate the first revision against an empty database of the same kind "
               f"({migrate} with the URL pointing at it), then "
               f"mark this database as having it: {ctx.cmd('stamp head')}")
    yield Hit(message, fix, None, {"tables": tables, "existing": existing})
