"""An UPDATE or DELETE with no WHERE clause.

What it finds:
    An UPDATE or DELETE in upgrade() (SQL in `op.execute` / `conn.execute(sa.text(...))`,
    or a `sa.update()` / `sa.delete()` expression without `.where(...)`) that has no WHERE
    at all, on a table this revision did not create. An UPDATE that only sets columns this
    same revision added (a backfill of a new column) is left to unbatched-data-migration.

Why it matters:
    It touches every row of the table. A DELETE without WHERE empties the table on
    production; an UPDATE without WHERE overwrites every value the column had. Neither can
    be undone by downgrade(). Usually a WHERE was forgotten or lost while editing.

Example:
    op.execute("DELETE FROM sessions")

Use instead:
    Say which rows, and batch big changes (see unbatched-data-migration):
    op.execute("DELETE FROM sessions WHERE expires_at < now()")
    If the whole table really must go, say it: op.execute("TRUNCATE sessions") (and
    ignore this rule on that line with a reason).
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.expressions import Call
from ._data import data_statements
from ._history import key
from ._values import column_name, render


def _added_here(ctx: RuleContext, table: str) -> set[str]:
    return {key(column_name(ctx.resolve(op.get("column"))) or "") for op in ctx.upgrade
            if op.name == "add_column" and isinstance(ctx.resolve(op.get("column")), Call)
            and key(ctx.table_of(op) or "") == key(table)}


@rule("update-or-delete-without-where", Severity.ERROR, "UPDATE or DELETE with no WHERE")
def run(ctx: RuleContext) -> Iterator[Hit]:
    for op, s, table in data_statements(ctx):
        if s.has_where:
            continue
        if s.kind == "update" and s.set_columns and \
                {key(c) for c in s.set_columns} <= _added_here(ctx, table):
            continue  # a backfill of columns added just now: nothing is overwritten
        if s.kind == "delete":
            what = f"deletes every row of {table}"
            fix = (f"op.execute({render(f'DELETE FROM {table} WHERE <which rows>')})\n"
                   f"# or, if {table} really must be emptied: "
                   f"op.execute({render(f'TRUNCATE {table}')})  "
                   "# migrate-doctor: ignore[update-or-delete-without-where] <reason>")
        else:
            column = s.set_columns[0] if s.set_columns else "<column>"
            what = f"overwrites {', '.join(s.set_columns) or 'columns'} in every row of {table}"
            at = s.text.upper().find(" SET ")
            set_part = s.text[at + 1:] if at >= 0 and not s.python else f"SET {column} = <value>"
            sql = f"UPDATE {table} {set_part} WHERE <which rows, e.g. {column} IS NULL>"
            fix = f"op.execute({render(sql)})"
        yield ctx.hit(f"{s.kind.upper()} with no WHERE {what}; downgrade() cannot bring the old "
                      "values back", fix, op, table=table, sql=s.text)
