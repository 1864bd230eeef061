"""The models the project migrates against are missing.

What it finds:
    The target metadata (Flask-SQLAlchemy's `db.metadata`, env.py's `target_metadata`) is
    empty, or lacks tables that the migrations create: the model modules are not imported
    when the app or env.py loads.

Why it matters:
    The next `flask db migrate` compares the database with models it cannot see and
    writes a revision that drops those tables.

Fix:
    Import the models where the app (or env.py) is created, e.g. `from . import models`
    inside `create_app()`, before `Migrate(app, db)`.
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Context, Hit, check
from ..model import Severity


def tables_at_head(ctx: Context) -> set[str]:
    """Tables the migrations leave behind, replaying create/drop/rename in upgrade order."""
    assert ctx.scripts is not None
    files = ctx.scripts.by_revision()
    order = ctx.graph.upgrade_order() if ctx.has("graph") and ctx.graph else list(files)
    tables: set[str] = set()
    for rev in order:
        rf = files.get(rev)
        if rf is None:
            continue
        for op in rf.ops("upgrade"):
            if op.name == "create_table" and op.table:
                tables.add(op.table)
            elif op.name == "drop_table" and op.table:
                tables.discard(op.table)
            elif op.name == "rename_table":
                old, new = op.get("old_table_name"), op.get("new_table_name")
                if isinstance(old, str) and isinstance(new, str):
                    tables.discard(old)
                    tables.add(new)
    return tables


@check("models-not-registered", Severity.ERROR, "The models are not registered",
       needs=("scripts", "models"))
def run(ctx: Context) -> Iterator[Hit]:
    metadata = ctx.project.metadata()
    assert metadata is not None
    where = ("create_app() (e.g. `from . import models`)" if ctx.project.kind == "flask"
             else "env.py, before target_metadata is set")
    model_tables = {t.name for t in metadata.tables.values()}
    created = tables_at_head(ctx)
    if not model_tables:
        yield Hit("the target metadata has no tables: the model modules are not imported, so "
                  "autogenerate would drop every table"
                  + (f" ({', '.join(sorted(created)[:8])})" if created else ""),
                  f"import the models in {where}", None, {"missing": sorted(created)})
        return
    missing = sorted(created - model_tables)
    if missing:
        yield Hit(f"the migrations create {', '.join(missing)} but the models do not define "
                  f"{'it' if len(missing) == 1 else 'them'}: the next autogenerate would drop "
                  f"{'it' if len(missing) == 1 else 'them'}",
                  f"import the module that defines {', '.join(missing)} in {where}; if the table "
                  "is meant to be unmanaged, exclude it with include_object in env.py",
                  None, {"missing": missing})
