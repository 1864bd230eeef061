"""The database at head does not match the models.

What it finds:
    With the database at the head revision, Alembic's autogenerate comparison, run with
    the project's own settings (compare_type, compare_server_default, include_object,
    include_name, include_schemas, as env.py or Flask-Migrate pass them), finds
    differences between the live schema and the models: what the next
    `flask db migrate` / `alembic revision --autogenerate` would write. Differences
    that only a stricter comparison sees (server defaults the project does not compare,
    types when compare_type=False) are listed as info. Types and defaults are printed
    as SQL of the database's dialect.

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


def sql(value: Any, dialect: Any) -> str:
    """A type, server default or nullability as the database's SQL, never a Python repr."""
    from sqlalchemy.sql.elements import ClauseElement
    from sqlalchemy.types import TypeEngine

    if value is None:
        return "no default"
    if isinstance(value, bool):
        return "NULL" if value else "NOT NULL"
    if isinstance(value, TypeEngine):
        try:
            return value.compile(dialect=dialect)
        except Exception:  # noqa: BLE001 - a type this dialect cannot render
            return str(value)
    arg = getattr(value, "arg", value)  # DefaultClause / FetchedValue
    if isinstance(arg, str):
        return "'" + arg.replace("'", "''") + "'"
    if isinstance(arg, ClauseElement):
        try:
            return str(arg.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        except Exception:  # noqa: BLE001
            return str(getattr(arg, "text", arg))
    return str(arg)


def describe(diff: Any, dialect: Any = None) -> str:
    if isinstance(diff, list):  # modify_* diffs come grouped per column
        return "; ".join(describe(d, dialect) for d in diff)
    kind = diff[0]
    if kind in ("add_table", "remove_table"):
        return f"{kind.replace('_', ' ')} {diff[1].name}"
    if kind in ("add_column", "remove_column"):
        return f"{kind.replace('_', ' ')} {diff[2]}.{diff[3].name} {sql(diff[3].type, dialect)}"
    if kind in ("add_index", "remove_index"):
        idx = diff[1]
        return f"{kind.replace('_', ' ')} {idx.name} on {idx.table.name}"
    if kind in ("add_constraint", "remove_constraint", "add_fk", "remove_fk"):
        con = diff[1]
        return f"{kind.replace('_', ' ')} {con.name or '(unnamed)'} on {con.table.name}"
    if kind.startswith("modify_"):
        _, schema, table, column, _info, old, new = diff
        what = {"modify_default": "server default"}.get(
            kind, kind.removeprefix("modify_").replace("_", " "))
        return (f"{table}.{column}: {what} {sql(old, dialect)} in the database, "
                f"{sql(new, dialect)} in the models")
    return str(diff[:2])


@check("schema-drift", Severity.WARNING, "The database at head differs from the models",
       needs=("graph", "database", "models"))
def run(ctx: Context) -> Iterator[Hit]:
    assert ctx.db is not None and ctx.graph is not None
    if ctx.db.engine is None:  # a SQLite file that does not exist yet: nothing to compare
        return
    heads = set(ctx.graph.heads)
    if not heads or set(ctx.db.current) != heads:
        return
    dialect = ctx.db.engine.dialect
    settings = project_settings(ctx)
    strict = {**settings, "compare_type": True, "compare_server_default": True}
    lines = [describe(d, dialect) for d in _compare(ctx, settings)]
    extra = [line for line in (describe(d, dialect) for d in _compare(ctx, strict))
             if line not in lines] if strict != settings else []
    shown = {k: settings.get(k, False) for k in ("compare_type", "compare_server_default")}
    if lines:
        migrate = ctx.cmd('migrate -m "describe the change"')
        yield Hit(f"the database is at head but differs from the models in {len(lines)} way(s) "
                  "that autogenerate would write: " + "; ".join(lines),
                  f"if the models are right: {migrate} and review "
                  "the revision; if the database was changed by hand, undo that change or "
                  "capture it in a revision", None, {"differences": lines, "settings": shown})
    if extra:
        off = [k for k, v in shown.items() if not v]
        yield Hit(f"{len(extra)} more difference(s) this project's autogenerate does not compare "
                  f"({', '.join(off) or 'its include filters'}): " + "; ".join(extra),
                  "nothing is needed for migrations; to have autogenerate see them, pass "
                  + " and ".join(f"{k}=True" for k in off) + " to context.configure() in env.py"
                  if off else None, None, {"differences": extra, "settings": shown},
                  severity=Severity.INFO)


def project_settings(ctx: Context) -> dict[str, Any]:
    """The comparison options autogenerate uses for this project (Alembic's defaults for
    what the project does not set: compare_type on, compare_server_default off)."""
    args = ctx.project.configure_args
    opts: dict[str, Any] = {"compare_type": True, "compare_server_default": False}
    for key in ("compare_type", "compare_server_default", "include_object", "include_name",
                "include_schemas", "render_as_batch", "version_table", "version_table_schema"):
        if args.get(key) is not None:
            opts[key] = args[key]
    opts.setdefault("version_table", ctx.project.version_table)
    return opts


def _compare(ctx: Context, opts: dict[str, Any]) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    assert ctx.db is not None and ctx.db.engine is not None
    with ctx.db.engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts=opts)
        diffs = compare_metadata(mc, ctx.project.metadata())
        conn.rollback()
    return list(diffs)
