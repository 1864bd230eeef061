"""The database is at head but does not match the models.

What it finds:
    With the database at the head revision, Alembic's autogenerate comparison (types and
    server defaults included) still finds differences between the live schema and the
    models. Each difference is listed.

Why it matters:
    Someone changed the schema by hand, a change was applied elsewhere, or a model change
    has no migration yet: the next `flask db migrate` picks it up silently, or the app
    fails on a column that is not there.

Fix:
    If the models are right: flask db migrate -m "..." and review the revision.
    If the database was changed by hand: undo it, or capture it in a revision.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import Context, Hit, check
from ..model import Severity


def describe(diff: Any) -> str:
    if isinstance(diff, list):  # modify_* diffs come grouped per column
        return "; ".join(describe(d) for d in diff)
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        return f"{kind.replace('_', ' ')} {diff[1].name}"
    if kind in ("add_column", "remove_column"):
        return f"{kind.replace('_', ' ')} {diff[2]}.{diff[3].name}"
    if kind in ("add_index", "remove_index"):
        idx = diff[1]
        return f"{kind.replace('_', ' ')} {idx.name} on {idx.table.name}"
    if kind in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        con = diff[1]
        return f"{kind.replace('_', ' ')} {con.name or '(unnamed)'} on {con.table.name}"
    if kind.startswith("modify_"):
        _, schema, table, column, _info, old, new = diff
        what = kind.removeprefix("modify_").replace("_", " ")
        return f"{table}.{column}: {what} {old!r} in the database, {new!r} in the models"
    return str(diff[:2])


@check("schema-drift", Severity.WARNING, "The database at head differs from the models",
       needs=("graph", "database", "models"))
def run(ctx: Context) -> Iterator[Hit]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    assert ctx.db is not None and ctx.graph is not None
    if ctx.db.engine is None:  # a SQLite file that does not exist yet: nothing to compare
        return
    heads = set(ctx.graph.heads)
    if not heads or set(ctx.db.current) != heads:
        return
    opts: dict[str, Any] = {"compare_type": True, "compare_server_default": True}
    for key in ("include_object", "include_name", "include_schemas", "render_as_batch",
                "version_table", "version_table_schema"):
        if ctx.project.configure_args.get(key) is not None:
            opts[key] = ctx.project.configure_args[key]
    opts.setdefault("version_table", ctx.project.version_table)
    with ctx.db.engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts=opts)
        diffs = compare_metadata(mc, ctx.project.metadata())
        conn.rollback()
    if not diffs:
        return
    lines = [describe(d) for d in diffs]
    migrate = ctx.cmd('migrate -m "describe the change"')
    yield Hit(f"the database is at head but differs from the models in {len(lines)} way(s): "
              + "; ".join(lines),
              f"if the models are right: {migrate} and review "
              "the revision; if the database was changed by hand, undo that change or capture "
              "it in a revision", None, {"differences": lines})
