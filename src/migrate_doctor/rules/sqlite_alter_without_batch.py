"""An ALTER that SQLite cannot do, outside batch mode.

What it finds:
    On a SQLite target, `op.*` calls that SQLite's ALTER TABLE does not support, outside
    `with op.batch_alter_table(...)`: `alter_column` (type, nullability, default; a pure
    rename is fine from SQLite 3.25), `create_foreign_key`, `create_unique_constraint`,
    `create_check_constraint`, `create_primary_key`, `drop_constraint`, and `drop_column`
    when the SQLite library is older than 3.35. Also `ALTER TABLE ... ALTER COLUMN / ADD
    CONSTRAINT / DROP CONSTRAINT` in `op.execute`.

Why it matters:
    SQLite's ALTER TABLE can only add, rename and (from 3.35) drop columns. The upgrade
    fails: `near "ALTER": syntax error`, or Alembic's `No support for ALTER of constraints
    in SQLite dialect`. Batch mode rebuilds the table instead (create a new one, copy the
    rows, drop the old one, rename).

Example:
    op.alter_column("users", "phone", nullable=False)

Use instead:
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("phone", nullable=False)
    (and set `render_as_batch=True` in env.py's `context.configure(...)` so autogenerate
    writes batch operations.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import re

from . import Hit, RuleContext, rule
from . import _types
from ..model import Severity
from ..scripts.operations import SIGNATURES, Operation
from ._fixes import sql_target
from ._sql import Statement, split_top_level
from ._values import quote, render

_UNSUPPORTED = {"alter_column", "create_foreign_key", "create_unique_constraint",
                "create_check_constraint", "create_primary_key", "drop_constraint"}
_TABLE_PARAMS = ("table_name", "source_table")
_SQL = (r"ALTER\s+(?:COLUMN\s+)?\S+\s+(?:SET|DROP|TYPE)\b", r"ADD\s+CONSTRAINT\b",
        r"DROP\s+CONSTRAINT\b")


def _batch_call(op: Operation) -> str:
    """``op.alter_column("users", "phone", ...)`` as ``batch_op.alter_column("phone", ...)``."""
    sig = SIGNATURES.get(op.name, ())
    drop = next((sig.index(p) for p in _TABLE_PARAMS if p in sig), None)
    args: list[Any] = [a for i, a in enumerate(op.args) if i != drop]
    kwargs = {k: v for k, v in op.kwargs.items()
              if k not in _TABLE_PARAMS and k not in ("schema", "source_schema")}
    parts = [render(a) for a in args] + [f"{k}={render(v)}" for k, v in kwargs.items()]
    return f"batch_op.{op.name}({', '.join(parts)})"


def _unsupported(ctx: RuleContext, op: Operation) -> str | None:
    if op.is_batch or op.receiver != "op":
        return None
    if op.name == "alter_column":
        rename_only = set(op.kwargs) <= {"new_column_name", "existing_type", "existing_nullable",
                                         "existing_server_default", "schema"}
        if rename_only and not ctx.version_below(3, 25):
            return None
        return "alter a column"
    if op.name in _UNSUPPORTED:
        return "add or drop a constraint"
    if op.name == "drop_column" and ctx.version_below(3, 35):
        version = ".".join(map(str, ctx.server_version or ()))
        return f"drop a column before SQLite 3.35 (this is {version})"
    return None


_SA_TYPES = {"text": "sa.Text()", "int1": "sa.SmallInteger()", "int2": "sa.SmallInteger()",
             "int4": "sa.Integer()", "int8": "sa.BigInteger()", "float4": "sa.Float()",
             "float8": "sa.Float()", "boolean": "sa.Boolean()", "date": "sa.Date()",
             "json": "sa.JSON()", "jsonb": "sa.JSON()", "uuid": "sa.Uuid()",
             "binary": "sa.LargeBinary()", "time": "sa.Time()"}


def _sa_type(sql: str) -> str | None:
    t = _types.read_sql(sql)
    if t.kind == "varchar":
        return f"sa.String({t.length})" if t.length else "sa.String()"
    if t.kind == "char":
        return f"sa.CHAR({t.length})"
    if t.kind == "numeric":
        return f"sa.Numeric({t.precision}, {t.scale or 0})" if t.precision else "sa.Numeric()"
    if t.kind == "timestamp":
        return f"sa.DateTime(timezone={t.timezone})"
    return _SA_TYPES.get(t.kind)


def _names(text: str) -> list[str]:
    return [n.strip().strip('"`') for n in split_top_level(text, ",")]


def _batch_action(action: str) -> str | None:
    """One ALTER TABLE action as a batch_op call; None when it has no batch form."""
    a = action.strip()
    name = r'("[^"]+"|`[^`]+`|[\w$]+)'
    m = re.match(rf"(?:ALTER|MODIFY)\s+(?:COLUMN\s+)?{name}\s+(.*)$", a, re.I | re.S)
    if m:
        column, rest = m.group(1).strip('"`'), m.group(2).strip()
        if re.match(r"SET\s+NOT\s+NULL$", rest, re.I):
            return f"batch_op.alter_column({quote(column)}, nullable=False)"
        if re.match(r"DROP\s+NOT\s+NULL$", rest, re.I):
            return f"batch_op.alter_column({quote(column)}, nullable=True)"
        if re.match(r"DROP\s+DEFAULT$", rest, re.I):
            return f"batch_op.alter_column({quote(column)}, server_default=None)"
        d = re.match(r"SET\s+DEFAULT\s+(.+)$", rest, re.I | re.S)
        if d:
            return f"batch_op.alter_column({quote(column)}, server_default=sa.text({render(d.group(1))}))"
        t = re.match(r"(?:SET\s+DATA\s+)?TYPE\s+(.+?)(?:\s+USING\s+.*)?$", rest, re.I | re.S)
        if t and _sa_type(t.group(1)):
            return f"batch_op.alter_column({quote(column)}, type_={_sa_type(t.group(1))})"
        return None
    m = re.match(rf"ADD\s+CONSTRAINT\s+{name}\s+(UNIQUE|CHECK|FOREIGN\s+KEY)\s*(.*)$", a,
                 re.I | re.S)
    if m:
        cname, kind, body = m.group(1).strip('"`'), m.group(2).upper(), m.group(3).strip()
        if kind == "CHECK":
            inner = body[1:-1] if body.startswith("(") and body.endswith(")") else body
            return f"batch_op.create_check_constraint({quote(cname)}, {render(inner)})"
        cols = re.match(r"\(([^)]*)\)\s*(.*)$", body, re.S)
        if not cols:
            return None
        if kind == "UNIQUE":
            return f"batch_op.create_unique_constraint({quote(cname)}, {render(tuple(_names(cols.group(1))))})"
        ref = re.match(rf"REFERENCES\s+{name}\s*\(([^)]*)\)", cols.group(2).strip(), re.I)
        if ref:
            return (f"batch_op.create_foreign_key({quote(cname)}, {quote(ref.group(1).strip(chr(34)))}, "
                    f"{render(tuple(_names(cols.group(1))))}, {render(tuple(_names(ref.group(2))))})")
        return None
    m = re.match(rf"DROP\s+CONSTRAINT\s+(?:IF\s+EXISTS\s+)?{name}$", a, re.I)
    if m:
        return f"batch_op.drop_constraint({quote(m.group(1).strip(chr(34)))})"
    return None


def _sql_fix(ctx: RuleContext, op: Operation, statement: Statement) -> str:
    """The statement's actions in batch form; actions SQLite supports stay SQL."""
    schema, table = sql_target(statement)
    calls, kept, unknown = [], [], []
    for action in statement.actions:
        found = _batch_action(action)
        if found:
            calls.append(found)
        elif re.match(r"(ADD\s+(?:COLUMN\s+)?(?!CONSTRAINT)|RENAME\s)", action.strip(), re.I):
            kept.append(action)
        else:
            unknown.append(action)
    lines = [f"# in {op.function}() of {ctx.revision}:"]
    others = [s.text for s in ctx.sql(op) if s is not statement]
    if others:
        lines.append(f"op.execute({render(';'.join(others))})")
    head = statement.text[:len(statement.text) - len(", ".join(statement.actions))].strip() \
        if statement.text.endswith(", ".join(statement.actions)) else f"ALTER TABLE {table}"
    for action in kept:
        lines.append(f"op.execute({render(f'{head} {action}')})")
    extra = f", schema={quote(schema)}" if schema else ""
    lines.append(f"with op.batch_alter_table({quote(table or '<table>')}{extra}) as batch_op:")
    lines += [f"    {c}" for c in calls]
    for action in unknown:
        lines.append(f"    # no batch form for: {action}: write it as batch_op calls")
    if not calls:
        lines.append("    pass")
    return "\n".join(lines)


@rule("sqlite-alter-without-batch", Severity.ERROR,
      "ALTER that SQLite cannot do, outside batch mode", dialects=("sqlite",))
def run(ctx: RuleContext) -> Iterator[Hit]:
    for op in ctx.upgrade + ctx.downgrade:
        why = _unsupported(ctx, op)
        statement = None
        if why is None:
            statement = next((s for s in ctx.sql(op) if s.kind == "alter_table" and any(
                s.find(p) for p in _SQL)), None)
            if statement is None:
                continue
            why = "alter a column or a constraint"
        table = (statement.table if statement else ctx.table_of(op)) or "<table>"
        fix_at = None
        if statement is not None:
            fix = _sql_fix(ctx, op, statement)
        elif op.name == "drop_constraint" and op.get("constraint_name", "x") is None:
            from .unnamed_constraint import sqlite_drop_fix

            found = sqlite_drop_fix(ctx, op, table)
            fix = found[0] if found else "\n".join([
                f"# in {op.function}() of {ctx.revision}: SQLite keeps no name for it; batch "
                "mode finds it through a naming convention (see unnamed-constraint)",
                _batch_block(op, table, _batch_call(op).replace(
                    "batch_op.drop_constraint(None", "batch_op.drop_constraint(\"<name>\""))])
            fix_at = found[1] if found else None
        else:
            fix = "\n".join([f"# in {op.function}() of {ctx.revision}:",
                             _batch_block(op, table, _batch_call(op))])
        yield ctx.hit(
            f"SQLite's ALTER TABLE cannot {why}: this {op.name} on {table} fails outside "
            "batch mode", fix, op, fix_at=fix_at, table=table, operation=op.name,
            function=op.function)


def _batch_block(op: Operation, table: str, body: str) -> str:
    schema = op.kwargs.get("schema", op.kwargs.get("source_schema"))
    extra = f", schema={quote(schema)}" if isinstance(schema, str) else ""
    return f"with op.batch_alter_table({quote(table)}{extra}) as batch_op:\n    {body}"
