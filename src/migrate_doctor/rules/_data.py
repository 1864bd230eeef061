"""UPDATE and DELETE statements of a revision's upgrade(), for the data-migration rules."""

from __future__ import annotations

from collections.abc import Iterator

from ..scripts.operations import Operation
from ._context import RuleContext
from ._sql import Statement
from ._values import render


def data_statements(ctx: RuleContext) -> Iterator[tuple[Operation, Statement, str]]:
    """``(op, statement, table)`` for UPDATE / DELETE on tables this revision did not create."""
    for op, s in ctx.executes("upgrade"):
        if s.kind in ("update", "delete") and not ctx.is_new_table(s.table, op):
            yield op, s, s.table or "<table>"


def batch_loop(ctx: RuleContext, s: Statement, table: str) -> str:
    """A loop that runs the statement in committed batches of 5000 rows."""
    if s.python:
        verb = "UPDATE {table} SET <column> = <value>" if s.kind == "update" else \
            "DELETE FROM {table}"
        sql = (verb.format(table=table) + f" WHERE id IN (SELECT id FROM {table} "
               "WHERE <rows not done yet> LIMIT 5000)")
    elif s.kind == "update":
        column = s.set_columns[0] if s.set_columns else "<column>"
        assignment = s.text[s.text.upper().find(" SET ") + 5:]
        where_at = assignment.upper().find(" WHERE ")
        condition = assignment[where_at + 7:] if where_at >= 0 else \
            f"{column} IS DISTINCT FROM <new value>"
        assignment = assignment[:where_at] if where_at >= 0 else assignment
        sql = (f"UPDATE {table} SET {assignment} WHERE {condition} LIMIT 5000"
               if ctx.dialect == "mysql" else
               f"UPDATE {table} SET {assignment} WHERE id IN (SELECT id FROM {table} "
               f"WHERE {condition} LIMIT 5000)")
    else:
        where_at = s.text.upper().find(" WHERE ")
        condition = s.text[where_at + 7:] if where_at >= 0 else "1 = 1"
        sql = (f"DELETE FROM {table} WHERE {condition} LIMIT 5000" if ctx.dialect == "mysql"
               else f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} "
               f"WHERE {condition} LIMIT 5000)")
    return "\n".join([
        f"# revision {ctx.revision}: commit each batch, so locks are short and progress is kept",
        "with op.get_context().autocommit_block():",
        "    conn = op.get_bind()",
        f"    while conn.execute(sa.text({render(sql)})).rowcount:",
        "        pass",
        "# (or run the backfill as a script after the deploy, outside the migration)",
    ])
