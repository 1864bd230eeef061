"""A revision that changes the schema but cannot be downgraded.

What it finds:
    A revision whose upgrade() changes the schema (any `op.*` call other than a data
    statement) while downgrade() is missing or empty (`pass`, a docstring, `...`).
    A downgrade() that raises on purpose (`raise NotImplementedError(...)`) is a decision,
    and stays quiet.

Why it matters:
    `flask db downgrade` then does nothing and still moves the version table back: the
    database says it is at the previous revision while it keeps the new schema, and the
    next upgrade fails on objects that already exist. Rolling back a bad deploy becomes a
    manual repair.

Example:
    def upgrade():
        op.add_column("users", sa.Column("phone", sa.String(20)))

    def downgrade():
        pass

Use instead:
    def downgrade():
        op.drop_column("users", "phone")
    or, if the change truly cannot be undone, say so:
    def downgrade():
        raise NotImplementedError("irreversible: ...")
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._values import call, column_name

_NOT_SCHEMA = {"execute", "bulk_insert", "get_bind", "get_context", "batch_alter_table",
               "inline_literal", "f", "run_async", "invoke"}
_CONSTRAINT_TYPES = {"create_foreign_key": "foreignkey", "create_unique_constraint": "unique",
                     "create_check_constraint": "check", "create_primary_key": "primary"}


def inverse(ctx: RuleContext, op: Operation) -> str:
    """The downgrade() line that undoes one upgrade() op."""
    table = ctx.table_of(op) or "<table>"
    name = op.name
    if name == "create_table":
        return call("op.drop_table", table)
    if name == "add_column":
        column = column_name(ctx.resolve(op.get("column"))) or "<column>"
        return call("op.drop_column", table, column)
    if name == "create_index":
        return call("op.drop_index", op.get("index_name"), table_name=table)
    if name in _CONSTRAINT_TYPES:
        return call("op.drop_constraint", op.get("constraint_name"), table,
                    type_=_CONSTRAINT_TYPES[name])
    if name == "rename_table":
        return call("op.rename_table", op.get("new_table_name"), table)
    if name == "alter_column":
        column = op.get("column_name")
        kwargs: dict[str, Any] = {}
        if "new_column_name" in op.kwargs:
            return call("op.alter_column", table, op.kwargs["new_column_name"],
                        new_column_name=column)
        if "nullable" in op.kwargs:
            kwargs["nullable"] = not op.kwargs["nullable"]
        if "existing_type" in op.kwargs and "type_" in op.kwargs:
            kwargs["type_"] = op.kwargs["existing_type"]
        if "existing_server_default" in op.kwargs and "server_default" in op.kwargs:
            kwargs["server_default"] = op.kwargs["existing_server_default"]
        return call("op.alter_column", table, column, **kwargs) if kwargs else \
            f"# undo: {op.source.splitlines()[0]}"
    return f"# re-create what this removed: {op.source.splitlines()[0] if op.source else name}"


@rule("missing-downgrade", Severity.WARNING, "Schema change without a downgrade")
def run(ctx: RuleContext) -> Iterator[Hit]:
    if not ctx.file.downgrade_is_empty:
        return
    changes = [op for op in ctx.upgrade if op.name not in _NOT_SCHEMA]
    if not changes:
        return
    lines = ["def downgrade():"] + ["    " + inverse(ctx, op) for op in reversed(changes)]
    line = ctx.file.function_lines.get("downgrade")
    tables = sorted({t for t in (ctx.table_of(op) for op in changes) if t})
    yield ctx.hit(
        f"upgrade() changes the schema ({len(changes)} operation"
        f"{'s' if len(changes) > 1 else ''} on {', '.join(tables) or 'the schema'}) but "
        "downgrade() " + ("is empty" if line is not None else "is missing")
        + ": a downgrade would move the version table back and leave the schema as it is",
        "\n".join(lines), line or changes[0].line, tables=tables)
