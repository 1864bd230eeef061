"""A table renamed in one step.

What it finds:
    `op.rename_table(...)` or `ALTER TABLE ... RENAME TO` in upgrade(), of a table the
    running release uses. Not reported when the old name keeps working: a view with the
    old name is created in the same upgrade(), or the name exists again once upgrade() is
    done (a rebuild: rename to `*_tmp`, re-create under the old name, copy the rows back,
    drop the copy); nor for a table created, or renamed into existence, by this same
    upgrade() (`t -> t_old -> t`).

Why it matters:
    The release still running queries the old name and fails (`relation "customers"
    does not exist`) from the commit until the new code is everywhere; deploying the code
    first fails the other way round.

Example:
    op.rename_table("customers", "clients")

Use instead:
    Rename and leave a view with the old name (on PostgreSQL and MySQL a simple view is
    updatable, so the old code keeps reading and writing; SQLite views are read-only),
    then drop the view in a later revision:
    op.rename_table("customers", "clients")
    op.execute("CREATE VIEW customers AS SELECT * FROM clients")
    # a later revision, after the code uses only clients:
    op.execute("DROP VIEW customers")
    When the same revision also renames columns of the table, the view maps them back:
    `SELECT id, full_name AS name, ... FROM clients`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._history import key
from ._quote import ident, qualified
from ._values import LATER, quote
from .drop_table import _renamed_here


def _view_kept(ctx: RuleContext, old: str, op: Operation) -> bool:
    """A view named like the old table is created after the rename."""
    at = ctx.position(op)
    pattern = (r"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:\w+\s+)*VIEW\s+(?:[\w$\"]+\.)?"
               rf"\"?{re.escape(old)}\"?\s")
    return any(step.position > at and step.statement is not None
               and re.match(pattern, step.statement.text, re.IGNORECASE)
               for step in ctx.flow.steps)


def _renamed_columns(ctx: RuleContext, old_table: str, new_table: str,
                     ops: list[Operation]) -> dict[str, str]:
    """old column -> new column, for the columns of the table ``ops`` rename."""
    found: dict[str, str] = {}
    for op in ops:
        new = op.kwargs.get("new_column_name") if op.name == "alter_column" else None
        table = key(ctx.table_of(op) or "")
        if isinstance(new, str) and table in (key(old_table), key(new_table)) \
                and isinstance(op.get("column_name"), str):
            found[op.get("column_name")] = new
        for s in ctx.sql(op):
            if s.table and key(s.table) in (key(old_table), key(new_table)):
                found.update({o: n for o, n in s.renamed() if o is not None})
    return found


def _fix(ctx: RuleContext, op: Operation, old: str, new: str, schema: str | None) -> str:
    d = ctx.dialect
    at = ctx.position(op)
    renames = _renamed_columns(ctx, old, new, ctx.upgrade[:at])  # the view must map back
    later = _renamed_columns(ctx, old, new, ctx.upgrade[at + 1:])
    source = qualified(new, schema, d)
    view = qualified(old, schema, d)
    columns = ctx.history.table(old)
    if renames and columns is not None and columns.columns:
        names = list(columns.columns)
        select = ", ".join(
            f"{ident(renames[c], d)} AS {ident(c, d)}" if c in renames else ident(c, d)
            for c in names)
    elif renames:
        select = ", ".join(["*"] + [f"{ident(n, d)} AS {ident(o, d)}"
                                    for o, n in renames.items()])
    else:
        select = "*"
    original = op.source.strip()
    note = ("# (a SQLite view is read-only: the old release can read through it, not write)"
            if d == "sqlite" else
            "# (a simple view is updatable: the old release keeps reading and writing)")
    if later and d != "postgresql":
        note += ("\n# (the columns renamed after this line break the view here: rename them "
                 "in a later revision)")
    return "\n".join([
        f"# revision {ctx.revision}: rename, and keep the old name working as a view until "
        "the old release is gone",
        note,
        original,
        f"op.execute({quote(f'CREATE VIEW {view} AS SELECT {select} FROM {source}')})",
        LATER,
        f"op.execute({quote(f'DROP VIEW {view}')})",
    ])


@rule("rename-table", Severity.WARNING, "Table renamed while running code uses the old name",
      online=True)
def run(ctx: RuleContext) -> Iterator[Hit]:
    found: list[tuple[Operation, str, str, str | None]] = []
    for op in ctx.upgrade:
        new = op.get("new_table_name")
        if op.name == "rename_table" and isinstance(new, str) and ctx.table_of(op):
            found.append((op, ctx.table_of(op) or "", new, op.schema))
        for s in ctx.sql(op):
            m = re.match(r"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?([\w$\"]+)\.", s.text,
                         re.IGNORECASE)
            found.extend((op, s.table or "", n, m.group(1).strip('"') if m else None)
                         for old, n in s.renamed() if old is None and s.table)
    for op, old, new, schema in found:
        if ctx.is_new_table(old, op) or _renamed_here(ctx, old, op) \
                or _view_kept(ctx, old, op) or ctx.after.table(old) is not None:
            continue
        yield ctx.hit(
            f"table {old} is renamed to {new}: the running release fails on the old name as "
            "soon as this commits, and new code deployed first fails on the new name",
            _fix(ctx, op, old, new, schema), op, table=old, new_table=new)
