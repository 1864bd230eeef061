"""NOT NULL set on an existing column.

What it finds:
    `op.alter_column(..., nullable=False)` (or `ALTER TABLE ... ALTER COLUMN ... SET NOT
    NULL` in `op.execute`) on a column of a table this revision did not create. On
    PostgreSQL 12 and later it stays quiet when a validated `CHECK (col IS NOT NULL)` on
    that column exists before it (created `NOT VALID` and validated, in this revision or
    an earlier one): PostgreSQL then skips the scan. Quiet too when the column is already
    NOT NULL (a primary key, or created `nullable=False`): nothing is checked then. On
    PostgreSQL a column added earlier in the same upgrade() (nothing committed in between)
    is no such case: ADD COLUMN already holds the ACCESS EXCLUSIVE lock until the commit, so
    no other session wrote a row since and the scan takes no lock of its own (the cost is
    the backfill, which unbatched-data-migration reports). It is reported only when nothing
    fills it in between: every existing row is NULL and the upgrade fails; the fix adds it
    NOT NULL with a constant server default instead.

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
    with op.get_context().autocommit_block():  # commit; the validation takes a light lock
        op.execute("ALTER TABLE users VALIDATE CONSTRAINT users_phone_not_null")
    op.alter_column("users", "phone", nullable=False)  # PostgreSQL 12+: no scan
    op.drop_constraint("users_phone_not_null", "users", type_="check")
    (on PostgreSQL 11 keep the validated CHECK instead of SET NOT NULL; on SQLite and
    MySQL, fill the NULLs first, in batches).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._fixes import batch_block, batched, col, op_schema, pg_object_name, ref, sql_target
from ._quote import ident
from ._constraints import pg_guarded
from ._values import Code, call, column_name, quote, render, type_family


def _targets(ctx: RuleContext) -> Iterator[tuple[Operation, str | None, str | None, str]]:
    """(op, table, schema, column) of each SET NOT NULL."""
    for op in ctx.upgrade:
        if op.name == "alter_column" and op.kwargs.get("nullable") is False:
            column = op.get("column_name")
            if isinstance(column, str):
                yield op, ctx.table_of(op), op_schema(op), column
        for statement in ctx.sql(op):
            for column in statement.altered_columns(r"SET\s+NOT\s+NULL"):
                yield op, statement.table, sql_target(statement)[0], column


_ZERO = {"text": "''", "integer": "0", "number": "0", "boolean": "false",
         "time": "CURRENT_TIMESTAMP", "json": "'{}'"}


def _fill_value(ctx: RuleContext, op: Operation, table: str, column: str) -> str:
    """A value for the rows that have none: the column's server default, else the zero of
    its type (the fix says to edit it)."""
    for k in ("server_default", "existing_server_default"):
        default = op.kwargs.get(k)
        if isinstance(default, str):
            return "'" + default.replace("'", "''") + "'"
        text = getattr(default, "args", None)
        if text and isinstance(text[0], str) and getattr(default, "name", "") == "text":
            return text[0]
    type_ = op.kwargs.get("existing_type") or ctx.history.column_type(table, column)
    return _ZERO.get(type_family(ctx.resolve(type_)) or "", "''")


def check_name(table: str, column: str) -> str:
    return pg_object_name(table, column, "not_null")


def not_null_steps(ctx: RuleContext, table: str, schema: str | None, columns: list[str],
                   set_not_null: list[str]) -> list[str]:
    """PostgreSQL: columns proven NOT NULL without a scan under ACCESS EXCLUSIVE: a CHECK
    added NOT VALID, validated after a commit (a light lock), then ``set_not_null`` (the
    caller's lines, which use the CHECK and skip the scan from PostgreSQL 12), then the
    CHECK dropped. On PostgreSQL 11 the validated CHECK stays instead."""
    d = ctx.dialect
    target = ref(table, schema, d)
    extra = f", schema={quote(schema)}" if schema else ""
    checks = [(c, check_name(table, c)) for c in columns]
    lines = [f"# revision {ctx.revision}: the rule for new rows at once, without reading the "
             "table"]
    lines += [f"op.execute({render(f'ALTER TABLE {target} ADD CONSTRAINT {ident(k, d)} CHECK ({col(c, d)} IS NOT NULL) NOT VALID')})"
              for c, k in checks]
    lines.append("with op.get_context().autocommit_block():  # commit, then check the rows "
                 "under a light lock")
    lines += [f"    op.execute({render(f'ALTER TABLE {target} VALIDATE CONSTRAINT {ident(k, d)}')})"
              for _c, k in checks]
    if ctx.version_below(12):
        return lines + [
            f"# PostgreSQL {'.'.join(map(str, ctx.server_version or ()))}: SET NOT NULL would "
            "scan again; the validated CHECK keeps NULLs out. Set NOT NULL (and drop the "
            "CHECK) once on PostgreSQL 12 or later, where it skips the scan."]
    return lines + ["# PostgreSQL 12+: SET NOT NULL sees the validated CHECK and skips the scan",
                    *set_not_null,
                    *[f"op.drop_constraint({quote(k)}, {quote(table)}, type_=\"check\"{extra})"
                      for _c, k in checks]]


def fix_for(ctx: RuleContext, table: str, column: str | list[str], op: Operation | None = None,
            schema: str | None = None) -> tuple[str, tuple[str, int, int] | None]:
    """The fix of a SET NOT NULL on table.column(s) (the op that does it, when known; in
    batch mode the whole block)."""
    d = ctx.dialect
    columns = [column] if isinstance(column, str) else column
    original = _original(ctx, op) if op is not None else \
        [call("op.alter_column", table, c, nullable=False) for c in columns]
    block = batch_block(ctx.file, op) if op is not None and op.is_batch else None
    if block is not None:
        original = block[2]
    if d == "postgresql":
        lines = not_null_steps(ctx, table, schema, columns, original)
    else:
        lines = [f"# revision {ctx.revision}: deploy code that never writes NULL, then fill "
                 "the rows that have none (edit the value: the one they must take)"]
        for c in columns:
            value = _fill_value(ctx, op, table, c) if op is not None else "''"
            lines += batched(d, ref(table, schema, d), f"{col(c, d)} = {value}",
                             f"{col(c, d)} IS NULL")
        lines += original
    return "\n".join(lines), (("replace", block[0], block[1]) if block is not None else None)


def _original(ctx: RuleContext, op: Operation) -> list[str]:
    """The op's own lines, dedented: its other changes (type, default) are kept."""
    import textwrap

    lines = ctx.file.text.splitlines()[op.line - 1:op.end_line]
    return textwrap.dedent("\n".join(lines)).splitlines()


def _filled_before(ctx: RuleContext, op: Operation, table: str, column: str) -> bool:
    """An UPDATE earlier in upgrade() that writes the column (its NULL rows, every row, row
    by row in a loop, or the rows of complementary conditions: the author backfills it), or
    a DELETE of the rows where it IS NULL."""
    import re

    null_rows = re.compile(rf"\b{re.escape(column)}\W*\s+IS\s+NULL\b", re.IGNORECASE)
    for step in ctx.flow.before(ctx.position(op)):
        s = step.statement
        if s is None or (step.table or _reflected(ctx, s)) != table.lower():
            continue
        if step.writes(column):
            return True  # the author backfills the column before requiring it
        if s.kind == "delete" and null_rows.search(s.text):
            return True  # the rows without a value were deleted
    return _sql_literal_fills(ctx, op, table, column)


def _sql_literal_fills(ctx: RuleContext, op: Operation, table: str, column: str) -> bool:
    """A SQL string of the file, outside downgrade(), that sets the column
    (``"UPDATE t SET c = 0"`` run through an ORM Session, which the collector does not
    follow), written above the op."""
    import ast
    import re

    tree = ctx.file.tree
    if tree is None or "UPDATE" not in ctx.file.text.upper():
        return False
    down = ctx.file.function("downgrade")
    skip = range(down.lineno, (down.end_lineno or down.lineno) + 1) if down else range(0)
    name = rf"(?:\W?{re.escape(table)}\W?|\x00)"  # the table, or an f-string's {table}
    pattern = re.compile(rf"^\s*(?:UPDATE\s+(?:OR\s+\w+\s+)?{name}\s+SET\b.*?\b{re.escape(column)}"
                         rf"\W?\s*=|DELETE\s+FROM\s+{name}\s+WHERE\s+{re.escape(column)}\W?\s+IS\s+NULL)",
                         re.IGNORECASE | re.DOTALL)
    named = any(isinstance(n, ast.Constant) and n.value == table for n in ast.walk(tree))
    for node in ast.walk(tree):
        if getattr(node, "lineno", op.line) >= op.line or node.lineno in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        elif isinstance(node, ast.JoinedStr) and named:  # f"UPDATE {table} SET ..." in a loop
            text = "".join(v.value if isinstance(v, ast.Constant) else "\x00"
                           for v in node.values)
        else:
            continue
        if pattern.search(text):
            return True
    return False


def _reflected(ctx: RuleContext, s: Any) -> str | None:
    """The table of ``sa.update(T)`` where ``T = metadata.tables["name"]`` (reflected)."""
    import re

    m = re.match(r"\s*(?:sa\.|sqlalchemy\.)?(?:update|delete)\(\s*(\w+)|\s*(\w+)\.(?:update|delete)\(",
                 s.text) if s.python else None
    name = (m.group(1) or m.group(2)) if m else None
    if not name:
        return None
    found = re.search(rf"\b{re.escape(name)}\s*=\s*[\w.]*tables\[\s*[\"'](\w+)[\"']\s*\]",
                      ctx.file.text)
    return found.group(1).lower() if found else None


def added_here(ctx: RuleContext, op: Operation, table: str, column: str,
               depth: int = 0) -> Operation | None:
    """The op of this upgrade() that added table.column before ``op`` (add_column or SQL
    ADD COLUMN), also under another name it was then renamed from (the swap of a type
    change: new_status added, renamed to status), if there is one."""
    from ._history import key

    at = ctx.position(op)
    renamed = ctx.flow.renamed_into(table, column)
    if renamed is not None and renamed < at and depth < 3:
        source = ctx.upgrade[renamed].get("column_name")
        if isinstance(source, str):
            return added_here(ctx, ctx.upgrade[renamed], table, source, depth + 1)
    for step in ctx.flow.steps:
        if step.position >= at or step.table != key(table):
            continue
        if step.kind == "add_column" and step.position == ctx.flow.added_at(table, column):
            return step.op
        if step.statement is not None and key(column) in {
                key(c) for c, _d in step.statement.added_columns()}:
            return step.op
    return None


def committed_between(ctx: RuleContext, first: Operation, op: Operation) -> bool:
    """Something between the two ops commits (an autocommit_block(), a COMMIT): the lock
    the first took is gone."""
    for other in ctx.upgrade[ctx.position(first) + 1:ctx.position(op) + 1]:
        if other.in_autocommit:
            return True
        if any(s.kind == "other" and s.text.upper() in ("COMMIT", "END") for s in ctx.sql(other)):
            return True
    return False


def _add_not_null_fix(ctx: RuleContext, add: Operation, table: str,
                      column: str) -> tuple[str, tuple[str, int, int]] | None:
    """The column added NOT NULL with a constant server default in the first place (one
    catalog change on PostgreSQL 11+, the existing rows get the value); None when no
    constant suits its type or the add is not an add_column of its own."""
    from ._values import column_type, is_call
    from .add_not_null_column_without_default import _constant_default, _with_kwargs

    definition = ctx.resolve(add.get("column"))
    if add.name != "add_column" or not is_call(definition) or add.via:
        return None
    constant = _constant_default(ctx, definition, ctx.resolve(column_type(definition)))
    if constant is None or not isinstance(add.get("column"), type(definition)):
        return None
    kwargs = {k: v for k, v in add.kwargs.items() if k not in ("table_name", "column")}
    receiver = add.receiver if add.is_batch else "op"
    args = [] if add.is_batch else [table]
    line = call(f"{receiver}.add_column", *args, Code(_with_kwargs(
        definition.source, server_default=constant, nullable="False")), **kwargs)
    return "\n".join([
        f"# revision {ctx.revision}: {column} NOT NULL from the start, the rows already in "
        f"{table} get the server default (change it to the value they should hold)",
        line]), ("replace", add.line, add.end_line)


def _already_not_null(ctx: RuleContext, op: Operation, table: str, column: str) -> bool:
    t = ctx.state_at(op).table(table)
    known = t.columns.get(column.lower()) if t is not None else None
    return known is not None and known.nullable is False


@rule("set-not-null", Severity.WARNING, "NOT NULL set on an existing column", online=True)
def run(ctx: RuleContext) -> Iterator[Hit]:
    units: dict[Any, list[tuple[Operation, str, str | None, str]]] = {}
    for op, table, schema, column in list(_targets(ctx)):
        if ctx.is_new_table(table, op):
            continue
        table = table or "<table>"
        if _already_not_null(ctx, op, table, column):
            continue
        add = added_here(ctx, op, table, column) if ctx.postgresql else None
        if add is not None and not committed_between(ctx, add, op):
            # PostgreSQL: ADD COLUMN took the ACCESS EXCLUSIVE lock and holds it to the
            # commit: no other session wrote a row since, and the scan adds no lock. Only
            # an unfilled column is a problem: every row is NULL, the upgrade fails.
            names = {column} | {n for n in [column_name(ctx.resolve(add.get("column")))]
                                if n} if add.name == "add_column" else {column}
            if any(_filled_before(ctx, op, table, n) for n in names) \
                    or ctx.flow.emptied_before(table, ctx.position(op)) is not None:
                continue
            fixed = _add_not_null_fix(ctx, add, table, column)
            if fixed is not None:
                yield ctx.hit(
                    f"{table}.{column} is added in this upgrade() and set NOT NULL with "
                    "nothing filling it in between: every row already in "
                    f"{table} holds NULL, so the upgrade fails on a table with rows",
                    fixed[0], op, fix_at=fixed[1], table=table, column=column,
                    columns=[column])
            continue
        if ctx.postgresql and not ctx.version_below(12) and \
                ctx.state_at(op).not_null_check(table, column) is not None:
            continue
        if not ctx.postgresql and _filled_before(ctx, op, table, column):
            continue  # the NULLs were filled just before: only PostgreSQL's scan is left
        unit: Any = id(op)
        if op.is_batch:
            block = batch_block(ctx.file, op)
            unit = ("batch", block[0]) if block is not None else unit
        units.setdefault(unit, []).append((op, table, schema, column))
    where = {"postgresql": "PostgreSQL scans the whole table under an ACCESS EXCLUSIVE lock",
             "sqlite": "the batch rebuild copies every row"}.get(
        ctx.dialect or "", "the database scans (MySQL: copies) the whole table")
    extra = (" (on this PostgreSQL version a validated CHECK does not help: the "
             "scan is skipped from 12 on)" if ctx.postgresql and ctx.version_below(12) else "")
    for items in units.values():
        op, table, schema, _ = items[0]
        columns = list(dict.fromkeys(c for *_x, c in items))
        fix, fix_at = fix_for(ctx, table, columns, op, schema)
        fix = pg_guarded(ctx, fix, op, fix_at)
        shown = ", ".join(f"{table}.{c}" for c in columns)
        yield ctx.hit(
            f"{shown} {'is' if len(columns) == 1 else 'are'} set NOT NULL: {where} to prove "
            f"there is no NULL, and the upgrade fails if old code wrote one meanwhile{extra}",
            fix, op, fix_at=fix_at, table=table, column=columns[0], columns=columns)
