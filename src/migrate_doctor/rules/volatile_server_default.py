"""A column with a volatile server default added to an existing table.

What it finds:
    `op.add_column(...)` on a table this revision did not create, whose `server_default`
    calls a volatile function: `random()`, `clock_timestamp()`, `gen_random_uuid()`,
    `uuid_generate_v4()`, `uuid()`, `nextval()`, ... (also `ADD COLUMN ... DEFAULT
    gen_random_uuid()` in SQL). `now()` / `CURRENT_TIMESTAMP` are stable within a
    transaction and stay quiet. On PostgreSQL older than 11 (when the server version is
    given) every server default counts.

Why it matters:
    PostgreSQL 11+ adds a column with a constant (or stable) default instantly, by storing
    the value once. A volatile default must be computed per row, so the whole table is
    rewritten under an ACCESS EXCLUSIVE lock; MySQL copies the table, and SQLite refuses
    a non-constant default in ADD COLUMN.

Example:
    op.add_column("users", sa.Column("token", sa.Uuid(),
                                     server_default=sa.text("gen_random_uuid()")))

Use instead:
    op.add_column("users", sa.Column("token", sa.Uuid(), nullable=True))
    op.alter_column("users", "token", server_default=sa.text("gen_random_uuid()"))  # new rows only
    op.execute("UPDATE users SET token = gen_random_uuid() WHERE token IS NULL")  # in batches
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.expressions import Call
from ._values import Code, call, column_name, column_type, render, type_source

VOLATILE = ("random", "clock_timestamp", "gen_random_uuid", "uuid_generate_v1",
            "uuid_generate_v4", "uuid", "uuidv4", "uuidv7", "rand", "timeofday", "nextval",
            "txid_current", "statement_timestamp")
_VOLATILE = re.compile(r"\b(" + "|".join(VOLATILE) + r")\s*\(", re.IGNORECASE)


def _default_sql(value: object) -> str | None:
    """The SQL of a server_default: sa.text("..."), sa.func.name(), or a literal."""
    if isinstance(value, Call):
        if value.name == "text" and isinstance(value.arg(0), str):
            return value.arg(0)
        if value.func.startswith(("sa.func.", "func.", "sqlalchemy.func.")):
            return f"{value.name}()"
        return value.source
    return None


@rule("volatile-server-default", Severity.WARNING,
      "Column added with a volatile default rewrites the table")
def run(ctx: RuleContext) -> Iterator[Hit]:
    old_pg = ctx.postgresql and ctx.version_below(11)
    for op in ctx.upgrade:
        table = ctx.table_of(op)
        # (column, default, SQLAlchemy type source or None, SQL type when added by SQL)
        found: list[tuple[str, str, str | None, str]] = []
        if op.name == "add_column":
            column = ctx.resolve(op.get("column"))
            default = column.kwargs.get("server_default") if isinstance(column, Call) else None
            sql = _default_sql(default) if default is not None else None
            if default is not None and (old_pg or (sql and _VOLATILE.search(sql))):
                found.append((column_name(column) or "<column>", sql or render(default),
                              type_source(ctx.resolve(column_type(column))), ""))
        for s in ctx.sql(op):
            for col, definition in s.added_columns():
                m = re.search(r"\bDEFAULT\s+(.*)$", definition, re.IGNORECASE)
                if m and (old_pg or _VOLATILE.search(m.group(1))):
                    table = s.table
                    found.append((col, m.group(1), None, definition[:m.start()].strip()))
        if not found or ctx.is_new_table(table, op):
            continue
        table = table or "<table>"
        for col, sql, type_, sql_type in found:
            if type_ is not None:
                add = call("op.add_column", table,
                           Code(f'sa.Column("{col}", {type_}, nullable=True)'))
            else:
                add = f"op.execute({render(f'ALTER TABLE {table} ADD COLUMN {col} {sql_type}')})"
            fix = "\n".join([
                add,
                "# the default for new rows only: no rewrite",
                call("op.alter_column", table, col, server_default=Code(f"sa.text({render(sql)})")),
                f'op.execute("UPDATE {table} SET {col} = {sql} WHERE {col} IS NULL")'
                "  # in batches on a big table",
            ])
            severity = Severity.ERROR if ctx.dialect == "sqlite" else None
            why = ("SQLite refuses a non-constant default in ADD COLUMN" if ctx.dialect == "sqlite"
                   else "every existing row gets its own value, so the whole table is rewritten "
                   "under an exclusive lock")
            yield ctx.hit(f"{table}.{col} is added with DEFAULT {sql}: {why}", fix, op, severity,
                          table=table, column=col, default=sql)
