"""A column added to an existing table with a default computed per row.

What it finds:
    `op.add_column(...)` on a table this revision did not create (also in batch mode, and
    `ADD COLUMN` in SQL) whose default is volatile, so every existing row needs its own
    value:
    - a `server_default` that calls `random()`, `clock_timestamp()`, `gen_random_uuid()`,
      `uuid_generate_v4()`, `uuid()`, `nextval()`, ... (`now()` / `CURRENT_TIMESTAMP` are
      stable within a transaction and stay quiet; on PostgreSQL older than 11, when the
      server version is given, every server default counts);
    - an auto-numbered column: `SERIAL` / `BIGSERIAL`, `GENERATED ... AS IDENTITY`,
      `sa.Identity()`, or an integer primary key column (`autoincrement` on, SQLAlchemy's
      default for one), which Alembic adds as `SERIAL NOT NULL`; MySQL `AUTO_INCREMENT`.
    With `deploy = "stopped"` (services stopped while the database migrates) only
    SQLite's refusal is reported: a rewrite nobody waits for only takes time.

Why it matters:
    PostgreSQL 11+ adds a column with a constant (or stable) default instantly, by storing
    the value once. A volatile default (a sequence's nextval() included) must be computed
    for every row, so the whole table is rewritten under an ACCESS EXCLUSIVE lock; MySQL
    copies the table. SQLite refuses a non-constant default (and a PRIMARY KEY column) in
    ADD COLUMN: the upgrade fails.

Example:
    op.add_column("users", sa.Column("token", sa.Uuid(),
                                     server_default=sa.text("gen_random_uuid()")))

Use instead:
    op.add_column("users", sa.Column("token", sa.Uuid(), nullable=True))  # instant
    op.alter_column("users", "token", server_default=sa.text("gen_random_uuid()"))  # new rows
    with op.get_context().autocommit_block():  # existing rows, in committed batches
        conn = op.get_bind()
        while conn.execute(sa.text(
            "UPDATE users SET token = gen_random_uuid() WHERE ctid = ANY(ARRAY("
            "SELECT ctid FROM users WHERE token IS NULL LIMIT 5000))")).rowcount:
            pass
    and, if the column must be NOT NULL, set-not-null's CHECK ... NOT VALID recipe; on
    SQLite, `op.batch_alter_table("users", recreate="always")` adds it while copying.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.expressions import Call, Name
from ..scripts.operations import Operation
from ._fixes import (batch_block, batched, col, header_lines, nested_in_block, op_schema,
                     pg_object_name, recreate_always, ref, sql_target)
from ._constraints import pg_guarded
from ._values import (call, column_name, column_type, is_call, quote, render, type_family,
                      type_source)

VOLATILE = ("random", "clock_timestamp", "gen_random_uuid", "uuid_generate_v1",
            "uuid_generate_v4", "uuid", "uuidv4", "uuidv7", "rand", "timeofday", "nextval",
            "txid_current", "statement_timestamp", "randomblob", "uuid_short", "newid")
_VOLATILE = re.compile(r"\b(" + "|".join(VOLATILE) + r")\s*\(", re.IGNORECASE)
_SERIAL = re.compile(r"^(small|big)?serial\b|\bGENERATED\s+(?:ALWAYS|BY\s+DEFAULT)\s+AS\s+"
                     r"IDENTITY\b|\bAUTO_INCREMENT\b", re.IGNORECASE)
_SERIAL_TYPES = {"small": "smallint", "big": "bigint", None: "integer"}


@dataclass
class Added:
    op: Operation
    table: str
    schema: str | None
    column: str
    default: str | None  # the SQL of the volatile default (None for auto-numbering)
    serial: bool  # auto-numbered (SERIAL, identity, autoincrement integer key)
    type_source: str | None  # the SQLAlchemy type, when added by op.add_column
    sql_type: str  # the SQL type, when added by SQL
    not_null: bool
    primary_key: bool


def _default_sql(value: object) -> str | None:
    """The SQL of a server_default: sa.text("..."), sa.func.name(), or a literal."""
    if isinstance(value, Call):
        if value.name == "text" and isinstance(value.arg(0), str):
            return value.arg(0)
        if value.func.startswith(("sa.func.", "func.", "sqlalchemy.func.")):
            return f"{value.name}()"
        return value.source
    return None


def _auto_numbered(column: Call, type_: Any) -> bool:
    """An integer column SQLAlchemy makes SERIAL / IDENTITY."""
    if any(is_call(a, "Identity") for a in column.args):
        return True
    if type_family(type_) != "integer":
        return False
    auto = column.kwargs.get("autoincrement", "auto")
    if auto is True:
        return True
    return column.kwargs.get("primary_key") is True and auto == "auto"


def _found(ctx: RuleContext, op: Operation, old_pg: bool) -> Iterator[Added]:
    table = ctx.table_of(op)
    if op.name == "add_column" and table:
        column = ctx.resolve(op.get("column"))
        if not isinstance(column, Call):
            return
        default = column.kwargs.get("server_default")
        sql = _default_sql(default) if default is not None else None
        type_ = ctx.resolve(column_type(column))
        pk = column.kwargs.get("primary_key") is True
        not_null = column.kwargs.get("nullable") is False or pk
        name = column_name(column) or "<column>"
        if default is not None and (old_pg or (sql and _VOLATILE.search(sql))):
            yield Added(op, table, op_schema(op), name, sql or render(default), False,
                        type_source(type_), "", not_null, pk)
        elif default is None and _auto_numbered(column, type_):
            yield Added(op, table, op_schema(op), name, None, True, type_source(type_), "",
                        True, pk)
    for s in ctx.sql(op):
        schema, target = sql_target(s)
        for name, definition in s.added_columns():
            m = re.search(r"\bDEFAULT\s+(.*?)(?:\s+(?:NOT\s+NULL|NULL|PRIMARY\s+KEY|UNIQUE)\b.*)?$",
                          definition, re.IGNORECASE | re.DOTALL)
            serial = _SERIAL.search(definition)
            pk = bool(re.search(r"\bPRIMARY\s+KEY\b", definition, re.IGNORECASE))
            not_null = pk or bool(re.search(r"\bNOT\s+NULL\b", definition, re.IGNORECASE))
            if serial:
                word = re.match(r"(small|big)?serial", definition.strip(), re.IGNORECASE)
                sql_type = _SERIAL_TYPES[word.group(1).lower() if word and word.group(1)
                                         else None] if word else definition.split()[0]
                yield Added(op, target or "<table>", schema, name, None, True, None, sql_type,
                            True, pk)
            elif m and (old_pg or _VOLATILE.search(m.group(1))):
                yield Added(op, target or "<table>", schema, name, m.group(1).strip(), False,
                            None, definition[:m.start()].strip(), not_null, pk)


@rule("volatile-server-default", Severity.WARNING,
      "Column added with a volatile default rewrites the table")
def run(ctx: RuleContext) -> Iterator[Hit]:
    old_pg = ctx.postgresql and ctx.version_below(11)
    for op in ctx.upgrade:
        for added in list(_found(ctx, op, old_pg)):
            if ctx.is_new_table(added.table, op):
                continue
            sqlite = ctx.dialect == "sqlite"
            if sqlite and op.is_batch and op.batch_kwargs.get("recreate") != "never":
                continue  # batch mode re-creates the table for such a column: it works
            if not sqlite and not ctx.online:
                continue  # services stopped: the rewrite only takes time (SQLite refuses)
            what = (f"{added.table}.{added.column} is added auto-numbered (SERIAL: its "
                    "default is a sequence's nextval())" if added.serial else
                    f"{added.table}.{added.column} is added with DEFAULT "
                    f"{' '.join((added.default or '').split())}")
            if sqlite:
                why = ("SQLite refuses a PRIMARY KEY column in ADD COLUMN" if added.primary_key
                       else "SQLite refuses a non-constant default in ADD COLUMN")
            elif ctx.dialect == "mysql":
                why = "MySQL copies the table to give every existing row its own value"
            else:
                why = ("every existing row gets its own value, so the whole table is rewritten "
                       "under an ACCESS EXCLUSIVE lock")
            fix, fix_at = _fix(ctx, added)
            fix = pg_guarded(ctx, fix, op, fix_at)
            yield ctx.hit(f"{what}: {why}", fix, op, Severity.ERROR if sqlite else None,
                          fix_at=fix_at, table=added.table, column=added.column,
                          default=added.default)


def _fix(ctx: RuleContext, added: Added) -> tuple[str, tuple[str, int, int] | None]:
    d = ctx.dialect
    op = added.op
    if d == "sqlite":
        return _sqlite_fix(ctx, added)
    target = ref(added.table, added.schema, d)
    c = col(added.column, d)
    schema_kw = f", schema={quote(added.schema)}" if added.schema else ""
    lines = [f"# revision {ctx.revision}: the column without a default first (instant), then "
             "the values"]
    if added.type_source is not None and op.name == "add_column":
        column = f"sa.Column({quote(added.column)}, {added.type_source}, nullable=True)"
        lines.append(f"{op.receiver}.add_column({column})" if op.is_batch else
                     f"op.add_column({quote(added.table)}, {column}{schema_kw})")
    else:
        sql_type = added.sql_type or "integer"
        lines.append(f"op.execute({render(f'ALTER TABLE {target} ADD COLUMN {c} {sql_type}')})")
    others = [s.text for s in ctx.sql(op)
              if not any(n == added.column for n, _d in s.added_columns())]
    if others:
        lines.insert(1, f"op.execute({render(';'.join(others))})")
    default = added.default
    if added.serial:
        sequence = pg_object_name(added.table, added.column, "seq")
        seq_ref = f"{added.schema}.{sequence}" if added.schema else sequence
        if d == "mysql":
            default = None
        else:
            lines.append(f"op.execute({render(f'CREATE SEQUENCE {ref(sequence, added.schema, d)} OWNED BY {target}.{c}')})")
            default = f"nextval('{seq_ref}')"
    if default is not None:
        lines.append("# the default for new rows only: no rewrite")
        lines.append(call("op.alter_column", added.table, added.column,
                          server_default=_code(f"sa.text({render(default)})"),
                          **({"schema": added.schema} if added.schema else {})))
        lines.append("# the existing rows, in committed batches")
        lines += batched(d, target, f"{c} = {default}", f"{c} IS NULL")
    elif d == "mysql":
        lines.append("# MySQL numbers rows only through AUTO_INCREMENT, which copies the "
                     "table: run this change with an online schema change tool (gh-ost, "
                     "pt-online-schema-change) on a big table")
    if added.not_null:
        set_nn = call("op.alter_column", added.table, added.column, nullable=False,
                      **({"schema": added.schema} if added.schema else {}))
        if d == "postgresql":
            from .set_not_null import not_null_steps

            lines += not_null_steps(ctx, added.table, added.schema, [added.column],
                                    [set_nn])[1:]
        else:
            lines.append(set_nn)
    if added.primary_key and d == "postgresql":
        from ._constraints import pk_using_index

        lines += pk_using_index(ctx, added.table, added.schema, [added.column])
    block = batch_block(ctx.file, op) if op.is_batch else None
    if block is not None:  # the steps after the column run once the batch block has run
        start, end, body = block
        at, last = op.line - start, op.end_line - start
        indent = body[at][:len(body[at]) - len(body[at].lstrip())]
        later = lines[2:]
        if nested_in_block(ctx.file, start, end, op.line):
            # the column is added only under a condition of the block: so are its steps
            flag = "added_" + re.sub(r"\W", "_", added.column).lower()
            body = ([f"{flag} = False"] + body[:at] + [indent + lines[1], indent + f"{flag} = True"]
                    + body[last + 1:])
            later = [f"if {flag}:  # only where the block added {added.column}"] + [
                "    " + x if x.strip() else x for x in later]
            return "\n".join([lines[0], *body, *later]), ("replace", start, end)
        body = body[:at] + [indent + lines[1]] + body[last + 1:]
        return "\n".join([lines[0], *body, *later]), ("replace", start, end)
    return "\n".join(lines), None


def _code(text: str) -> Any:
    from ._values import Code

    return Code(text)


def _sqlite_fix(ctx: RuleContext, added: Added) -> tuple[str, tuple[str, int, int] | None]:
    """SQLite: batch mode re-creates the table with the column, and copying the rows into it
    computes the default for each."""
    import textwrap

    op = added.op
    schema_kw = f", schema={quote(added.schema)}" if added.schema else ""
    if op.is_batch:
        block = batch_block(ctx.file, op)
        if block is not None:
            start, end, body = block
            n = header_lines(body)
            head = recreate_always("\n".join(body[:n]))
            return "\n".join(["# batch mode re-creates the table: copying the rows computes "
                              "the default for each", head, *body[n:]]), ("replace", start, end)
    source = textwrap.dedent("\n".join(ctx.file.text.splitlines()[op.line - 1:op.end_line]))
    column = ctx.resolve(op.get("column")) if op.name == "add_column" else None
    if not isinstance(column, Call) or not isinstance(op.get("column"), (Call, Name)):
        return ("# SQLite: add the column in batch mode with recreate=\"always\" "
                "(op.batch_alter_table(...)), which copies the rows into a new table\n"
                + source), None
    column_src = op.get("column").source if isinstance(op.get("column"), Call) else \
        render(op.get("column"))
    return "\n".join([
        "# batch mode re-creates the table: copying the rows computes the default for each",
        f"with op.batch_alter_table({quote(added.table)}{schema_kw}, recreate=\"always\") "
        "as batch_op:",
        f"    batch_op.add_column({column_src})",
    ]), None

