"""An UPDATE or DELETE with no WHERE clause, and nothing that says every row is meant.

What it finds:
    An UPDATE or DELETE in upgrade() (SQL in `op.execute` / `conn.execute(sa.text(...))`,
    or a `sa.update()` / `table.update().values(...)` / `sa.delete()` expression without
    `.where(...)`) that has no WHERE at all, on a table this revision did not create, when
    nothing in the revision shows that the whole table is meant. Not reported:
    - an UPDATE that only fills columns this upgrade() added (a backfill);
    - an UPDATE whose every new value is computed from the row itself (`SET c = lower(c)`,
      `SET a = NOT a`, `SET c = coalesce(c, '')`, `SET x = (SELECT ... WHERE y.k = t.k)`,
      `.values(new=t.c.old)`): a deliberate transformation of every row;
    - a DELETE of rows this upgrade() read or copied elsewhere first (`INSERT ... SELECT
      ... FROM t`, a SELECT read into a loop), or of a table it then drops or reshapes;
    - a statement the author describes as meant for every row: a comment on it or just
      above it, a SQL comment, or the revision's message ("all", "every", "clear",
      "reset", "obsolete", ...).
    Opt-in (select it by id), and a warning: on real histories nearly every whole-table
    statement is deliberate. On the development corpus (1,936 revisions) it found 24
    statements before these exemptions, none a forgotten WHERE, and one after, deliberate
    too (docs/precision.md). What it reports is a statement that overwrites existing
    values with one constant, or deletes rows, without a word of why: worth a look in a
    review, not a default verdict.

Why it matters:
    It touches every row of the table. A DELETE without WHERE empties the table on
    production; an UPDATE without WHERE overwrites every value the column had. Neither can
    be undone by downgrade(). When it is not deliberate, a WHERE was forgotten or lost
    while editing.

Example:
    op.execute("DELETE FROM sessions")

Use instead:
    Say which rows, and batch big changes (see unbatched-data-migration):
    op.execute("DELETE FROM sessions WHERE expires_at < now()")
    If the whole table really is meant, say so where the statement is:
    # every session is invalid with the new token format: delete all of them
    op.execute("DELETE FROM sessions")
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._data import assignments, data_statements, derives, intent, set_columns
from ._history import key
from ._sql import Statement
from ._values import column_name

_RESHAPE = ("drop_table", "drop_column", "add_column", "alter_column",
            "create_unique_constraint", "create_primary_key", "alter_table")


def _new_columns(ctx: RuleContext, table: str, position: int) -> set[str]:
    """Columns of ``table`` this upgrade() added (or renamed into place) before ``position``."""
    found: set[str] = set()
    for step in ctx.flow.before(position):
        if step.table != key(table):
            continue
        if step.kind == "add_column":
            name = column_name(ctx.resolve(step.op.get("column")))
            if name:
                found.add(key(name))
        elif step.statement is not None and step.kind == "alter_table":
            found.update(key(c) for c, _ in step.statement.added_columns())
            found.update(key(new) for old, new in step.statement.renamed() if old)
        elif step.kind == "alter_column":
            new = step.op.kwargs.get("new_column_name")
            if isinstance(new, str):
                found.add(key(new))
    return found


def _reshaped_after(ctx: RuleContext, table: str, position: int) -> bool:
    """This upgrade() drops or reshapes ``table`` after ``position`` (its rows cleared to make
    room for the new shape)."""
    return any(step.table == key(table) and step.kind in _RESHAPE
               for step in ctx.flow.after(position))


def _deliberate(ctx: RuleContext, op: Operation, s: Statement, table: str) -> bool:
    position = ctx.position(op)
    if s.kind == "update":
        assigned = assignments(s)
        columns = [key(c) for c in set_columns(s)]
        new = _new_columns(ctx, table, position)
        if columns and set(columns) <= new:
            return True  # a backfill of columns added just now: nothing is overwritten
        rest = [(c, rhs) for c, rhs in assigned if key(c) not in new]
        if rest and all(derives(rhs, s.python) for _, rhs in rest):
            return True  # every value computed from the row: a transformation
    else:
        if ctx.flow.read_before(table, position) is not None:
            return True  # the rows were read or copied elsewhere first
        if _reshaped_after(ctx, table, position):
            return True
    return intent(ctx, op) is not None


def _fix(ctx: RuleContext, op: Operation, s: Statement, table: str) -> str:
    original = op.source.strip().splitlines()
    if s.kind == "delete":
        what = f"delete every row of {table}"
        example = "expires_at < now()" if ctx.postgresql else "<condition>"
    else:
        columns = ", ".join(set_columns(s)) or "the columns"
        what = f"overwrite {columns} in every row of {table}"
        first = (set_columns(s) or ["<column>"])[0]
        example = f"{first} IS NULL"
    return "\n".join([
        f"# If only some rows are meant, add the WHERE that picks them (e.g. WHERE {example}).",
        "# If every row is meant, keep the statement and say so on the line above it:",
        f"# {what}: all of them on purpose, because <reason>",
        *original,
    ])


@rule("update-or-delete-without-where", Severity.WARNING,
      "UPDATE or DELETE with no WHERE and no sign that every row is meant", default=False)
def run(ctx: RuleContext) -> Iterator[Hit]:
    for op, s, table in data_statements(ctx):
        if s.has_where or _deliberate(ctx, op, s, table):
            continue
        if s.kind == "delete":
            what = f"deletes every row of {table}"
        else:
            columns = ", ".join(set_columns(s)) or "columns"
            what = f"overwrites {columns} in every row of {table} with one value"
        yield ctx.hit(
            f"{s.kind.upper()} with no WHERE {what}, and nothing in the revision says every "
            "row is meant; downgrade() cannot bring the old values back",
            _fix(ctx, op, s, table), op, table=table,
            sql=re.sub(r"\s+", " ", s.text)[:500])
