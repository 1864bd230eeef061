"""A table dropped while code may still use it.

What it finds:
    `op.drop_table(...)` or `DROP TABLE` in upgrade(), for a table the running release
    may still query. Not reported when it cannot:
    - the table was created by this same upgrade(), or renamed into existence by it (the
      `*_tmp` copy of a rebuild);
    - the name exists again once upgrade() is done (a rebuild: rename or copy to a new
      table, drop, re-create under the old name; or a new table swapped into the name);
    - it is a migration tool's own bookkeeping (`migrate_version` of sqlalchemy-migrate), or
      its name says it was put aside (`old_sessions`, `users_backup`), or an earlier
      revision renamed it aside while a new table took its name;
    - the author says the code no longer uses it ("unused", "no longer needed",
      "deprecated", "obsolete", ...), or the drop only runs when an inspection finds the
      table.

Why it matters:
    Dropping is a contract step: the release still running queries the table and fails
    with `relation "sessions" does not exist` until the new code is deployed everywhere.
    The rows are gone for good; downgrade() can recreate the table, not its data. On
    PostgreSQL the drop also waits for an ACCESS EXCLUSIVE lock behind every open
    transaction that touched the table.

Example:
    op.drop_table("sessions")

Use instead:
    Remove the model (and every query of the table) and deploy that code. Then, in a later
    revision that runs after the deploy, with a backup or an archive copy if the rows
    matter, say so and drop it:
    # sessions is no longer used: the model went in the previous release
    op.drop_table("sessions")
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._history import key
from ._quote import qualified
from ._values import LATER, call, quote
from .drop_column import RETIRED_NAME, behind_inspection, says_unused

BOOKKEEPING = {"migrate_version", "south_migrationhistory", "alembic_version_old"}


def _renamed_here(ctx: RuleContext, table: str, op: Operation) -> bool:
    at = ctx.position(op)
    for position, other in enumerate(ctx.upgrade[:at]):
        new = other.get("new_table_name") if other.name == "rename_table" else None
        if isinstance(new, str) and key(new) == key(table):
            return True
        for s in ctx.sql(other):
            if any(old is None and key(n) == key(table) for old, n in s.renamed()):
                return True
    return False


def _rebuilt(ctx: RuleContext, table: str, op: Operation) -> bool:
    """The name is back once upgrade() is done (created again, or a new table renamed into
    it): the running release finds a table by that name."""
    return ctx.after.table(table) is not None


def _fix(ctx: RuleContext, tables: list[str], schema: str | None, sql: str | None) -> str:
    names = ", ".join(tables)
    lines = [
        f"# {'table ' + names + ' goes' if len(tables) == 1 else 'tables ' + names + ' go'} in "
        "two steps: first deploy code with no model and no query for it, then drop it",
        f"# in a revision after {ctx.revision} (keeping a copy of the rows if they may be "
        "needed):",
        LATER,
        f"# {names}: no longer used, the deployed code has no model or query for "
        f"{'it' if len(tables) == 1 else 'them'}",
    ]
    for table in tables:
        target = qualified(table, schema, ctx.dialect)
        archive = qualified(f"{table}_archive", schema, ctx.dialect)
        lines.append("# if the rows may be needed: "
                     f"op.execute({quote(f'CREATE TABLE {archive} AS SELECT * FROM {target}')})")
    if sql is not None:
        lines.append(f"op.execute({quote(sql)})")
    else:
        lines += [call("op.drop_table", t, **({"schema": schema} if schema else {}))
                  for t in tables]
    return "\n".join(lines)


@rule("drop-table", Severity.WARNING, "Table dropped while running code may still use it",
      online=True)
def run(ctx: RuleContext) -> Iterator[Hit]:
    found: list[tuple[Operation, list[str], str | None, str | None]] = []
    for op in ctx.upgrade:
        if op.name == "drop_table" and ctx.table_of(op):
            found.append((op, [ctx.table_of(op) or ""], op.schema, None))
        statements = ctx.sql(op)
        for s in statements:
            tables = s.dropped_tables()
            if not tables:
                continue
            m = re.match(r"DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?([\w$\"]+)\.", s.text, re.I)
            schema = m.group(1).strip('"') if m else None
            found.append((op, tables, schema, s.text if len(statements) == 1 else ""))
    if found and says_unused(ctx):
        return
    for op, tables, schema, sql in found:
        tables = [t for t in tables if key(t) not in BOOKKEEPING and not RETIRED_NAME.search(t)
                  and not ctx.history.retired_how(t)
                  and not (ctx.is_new_table(t, op) or _renamed_here(ctx, t, op)
                           or _rebuilt(ctx, t, op))]
        if not tables or behind_inspection(ctx, op):
            continue
        if sql == "":  # one of several statements of the op: the fix cannot cut it out
            fix = ("# drop these tables in a later revision, once the deployed code no longer "
                   "uses them\n" + op.source.strip())
        else:
            fix = _fix(ctx, tables, schema, sql)
        names = ", ".join(tables)
        yield ctx.hit(
            f"table{'s' if len(tables) > 1 else ''} {names} "
            f"{'is' if len(tables) == 1 else 'are'} dropped: if the release running during the "
            f"deploy still queries {'it' if len(tables) == 1 else 'them'}, it fails until the "
            "new code is deployed everywhere; and the rows are lost for good", fix, op,
            table=tables[0], tables=tables)
