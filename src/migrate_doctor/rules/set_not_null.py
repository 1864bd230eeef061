"""NOT NULL set on an existing column.

What it finds:
    `op.alter_column(..., nullable=False)` (or `ALTER TABLE ... ALTER COLUMN ... SET NOT
    NULL` in `op.execute`) on a column of a table this revision did not create. On
    PostgreSQL 12 and later it stays quiet when a validated `CHECK (col IS NOT NULL)` on
    that column exists before it (created `NOT VALID` and validated, in this revision or
    an earlier one): PostgreSQL then skips the scan.

Why it matters:
    The database must read every row to prove there is no NULL. On PostgreSQL that full
    scan runs under an ACCESS EXCLUSIVE lock: no reads or writes on the table until it
    ends; MySQL copies the table. Any NULL left (for example written by the old code while
    the deploy runs) makes the upgrade fail.

Example:
    op.alter_column("users", "phone", nullable=False)

Use instead:
    op.execute("ALTER TABLE users ADD CONSTRAINT users_phone_not_null "
               "CHECK (phone IS NOT NULL) NOT VALID")
    # in a later revision (the validation takes only a light lock):
    op.execute("ALTER TABLE users VALIDATE CONSTRAINT users_phone_not_null")
    op.alter_column("users", "phone", nullable=False)
    op.drop_constraint("users_phone_not_null", "users", type_="check")
"""

from __future__ import annotations

from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._values import call


def _targets(ctx: RuleContext) -> Iterator[tuple[Operation, str | None, str]]:
    for op in ctx.upgrade:
        if op.name == "alter_column" and op.kwargs.get("nullable") is False:
            column = op.get("column_name")
            if isinstance(column, str):
                yield op, ctx.table_of(op), column
        for statement in ctx.sql(op):
            for column in statement.altered_columns(r"SET\s+NOT\s+NULL"):
                yield op, statement.table, column


def fix_for(ctx: RuleContext, table: str, column: str) -> str:
    if not ctx.postgresql:
        set_not_null = call("op.alter_column", table, column, nullable=False)
        if ctx.dialect == "sqlite":
            set_not_null = (f'with op.batch_alter_table("{table}") as batch_op:\n    '
                            + call("batch_op.alter_column", column, nullable=False))
        return "\n".join([
            f"# revision {ctx.revision}: deploy code that never writes NULL, then fill the gaps "
            "(in batches on a big table)",
            f'op.execute("UPDATE {table} SET {column} = <value> WHERE {column} IS NULL")',
            "# a later revision, once no NULL is left:",
            set_not_null,
        ])
    check = f"{table}_{column}_not_null"
    return "\n".join([
        f"# revision {ctx.revision}: add the rule without checking the rows (no long lock)",
        f'op.execute("ALTER TABLE {table} ADD CONSTRAINT {check} '
        f'CHECK ({column} IS NOT NULL) NOT VALID")',
        "# a later revision: validate (reads the table under a light lock), then set NOT NULL "
        "without a scan (PostgreSQL 12+)",
        f'op.execute("ALTER TABLE {table} VALIDATE CONSTRAINT {check}")',
        call("op.alter_column", table, column, nullable=False),
        call("op.drop_constraint", check, table, type_="check"),
    ])


@rule("set-not-null", Severity.WARNING, "NOT NULL set on an existing column")
def run(ctx: RuleContext) -> Iterator[Hit]:
    for op, table, column in _targets(ctx):
        if ctx.is_new_table(table, op):
            continue
        table = table or "<table>"
        if ctx.postgresql and not ctx.version_below(12) and \
                ctx.state_at(op).not_null_check(table, column) is not None:
            continue
        where = {"postgresql": "PostgreSQL scans the whole table under an ACCESS EXCLUSIVE lock",
                 "sqlite": "the batch rebuild copies every row"}.get(
            ctx.dialect or "", "the database scans (MySQL: copies) the whole table")
        extra = (" (on this PostgreSQL version a validated CHECK does not help: the "
                 "scan is skipped from 12 on)" if ctx.postgresql and ctx.version_below(12) else "")
        yield ctx.hit(
            f"{table}.{column} is set NOT NULL: {where} to prove there is no NULL, and the "
            f"upgrade fails if old code wrote one meanwhile{extra}",
            fix_for(ctx, table, column), op, table=table, column=column)
