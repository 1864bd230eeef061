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

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import SIGNATURES, Operation
from ._values import render

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
    kwargs = {k: v for k, v in op.kwargs.items() if k not in _TABLE_PARAMS and k != "schema"}
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
        body = _batch_call(op) if statement is None else \
            "# batch_op.alter_column(...) / create_foreign_key(...): the same change in batch form"
        fix = "\n".join([
            f"# in {op.function}() of {ctx.revision}:",
            f'with op.batch_alter_table("{table}") as batch_op:',
            f"    {body}",
        ])
        yield ctx.hit(
            f"SQLite's ALTER TABLE cannot {why}: this {op.name} on {table} fails outside "
            "batch mode", fix, op, table=table, operation=op.name, function=op.function)
