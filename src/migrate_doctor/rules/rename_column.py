"""A column renamed in one step.

What it finds:
    `op.alter_column(..., new_column_name=...)` (also in batch mode) or `ALTER TABLE ...
    RENAME COLUMN` in upgrade(), of a column the running release uses. Not reported for
    a table created by this upgrade(), nor when the running release still finds a column
    under the name it knows: the renamed column was added by this same upgrade() (a
    temporary column swapped into place, `new_id` -> `id`), or another column takes the
    old name in this upgrade() (`state` -> `old_state` and a new `state`).

Why it matters:
    The release still running uses the old name and fails (`column "phone" does not
    exist`) from the commit until the new code is everywhere; the new code fails the same
    way if it is deployed first. There is no order of deploy and migrate that works.

Example:
    op.alter_column("users", "phone", new_column_name="phone_number")

Use instead:
    Expand, migrate, contract: add the new column, have the code write both and read the
    new one, backfill (in batches), then drop the old column in a later revision.
    op.add_column("users", sa.Column("phone_number", sa.String(20), nullable=True))
    op.execute("UPDATE users SET phone_number = phone WHERE phone_number IS NULL")
    # a later revision, after the code uses only phone_number:
    op.drop_column("users", "phone")
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._data import batch_loop
from ._history import key
from ._quote import ident, qualified
from ._sql import from_text
from ._values import LATER, Code, call, column_name, column_type, quote, type_source
from .drop_add_looks_like_rename import dropped_definition


def _old_name_survives(ctx: RuleContext, table: str, old: str, op: Operation) -> bool:
    """Another column takes the old name later in this upgrade() (re-added, or renamed in)."""
    return ctx.flow.name_taken.get((key(table), key(old)), -1) > ctx.position(op)


def _column_name(ctx: RuleContext, op: Operation) -> str | None:
    return column_name(ctx.resolve(op.get("column")))


def _type(ctx: RuleContext, op: Operation, table: str, old: str) -> Any:
    known = ctx.resolve(op.kwargs.get("existing_type")) or ctx.history.column_type(table, old)
    if known is None:
        definition = dropped_definition(ctx, table, old)
        if definition is not None:
            known = ctx.resolve(column_type(definition))
    return known


def _fix(ctx: RuleContext, op: Operation, table: str, old: str, new: str) -> str:
    d = ctx.dialect
    schema = op.schema
    type_ = _type(ctx, op, table, old)
    target = qualified(table, schema, d)
    kwargs = {"schema": schema} if schema else {}
    if type_ is not None:
        add = [call("op.add_column", table, Code(f"sa.Column({quote(new)}, "
                                                 f"{type_source(type_)}, nullable=True)"),
                    **kwargs)]
    elif ctx.postgresql:  # the type is read by the server: works with --sql too
        lookup = (f"SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                  f"WHERE attrelid = '{target}'::regclass AND attname = "
                  f"'{old.replace(chr(39), chr(39) * 2)}'")
        add = [f"# the type of {table}.{old} is not known here: the server copies it",
               "op.execute(" + quote(
                   f"DO $$ BEGIN EXECUTE format('ALTER TABLE {target} ADD COLUMN "
                   f"{ident(new, d)} %s', ({lookup})); END $$")
               + ")"]
    else:
        add = [f"# {table}.{old}'s type is not known here: read from the database",
               "from alembic import context",
               "if context.is_offline_mode():",
               "    raise NotImplementedError("
               + quote(f"write the type of {table}.{new} for --sql") + ")",
               "bind = op.get_bind()",
               f"column_type = next(c[\"type\"] for c in sa.inspect(bind).get_columns("
               f"{quote(table)}{', schema=' + quote(schema) if schema else ''}) "
               f"if c[\"name\"] == {quote(old)})",
               call("op.add_column", table,
                    Code(f"sa.Column({quote(new)}, column_type, nullable=True)"), **kwargs)]
    copy = from_text(f"UPDATE {target} SET {ident(new, d)} = {ident(old, d)} "
                     f"WHERE {ident(new, d)} IS NULL")
    assert copy is not None
    drop = (f"with op.batch_alter_table({quote(table)}"
            + (f", schema={quote(schema)}" if schema else "") + ") as batch_op:\n    "
            + call("batch_op.drop_column", old)) if d == "sqlite" else \
        call("op.drop_column", table, old, **kwargs)
    return "\n".join([
        f"# revision {ctx.revision}: add {new} next to {old}; deploy code that writes both "
        f"and reads {new}",
        *add,
        LATER,
        f"# once the deployed code writes {new}: copy what is missing (in batches), then drop "
        f"{old}, which is no longer used",
        batch_loop(ctx, None, copy, table, schema=schema),
        drop,
    ])


@rule("rename-column", Severity.WARNING, "Column renamed while running code uses the old name",
      online=True)
def run(ctx: RuleContext) -> Iterator[Hit]:
    found: list[tuple[Operation, str | None, str, str]] = []
    for op in ctx.upgrade:
        new = op.kwargs.get("new_column_name")
        if op.name == "alter_column" and isinstance(new, str) \
                and isinstance(op.get("column_name"), str):
            found.append((op, ctx.table_of(op), op.get("column_name"), new))
        for s in ctx.sql(op):
            found.extend((op, s.table, old, new) for old, new in s.renamed() if old is not None)
    for op, table, old, new in found:
        if table is None or ctx.is_new_table(table, op):
            continue
        added = ctx.flow.added_at(table, old)
        if added is not None and added < ctx.position(op):
            continue  # a column of this upgrade(): the running release never knew it
        if _old_name_survives(ctx, table, old, op):
            continue
        if ctx.history.retired_how(table, old):
            continue  # an earlier revision put it aside or moved its data: retired before
        yield ctx.hit(
            f"{table}.{old} is renamed to {new}: if the release running during the deploy "
            f"maps {old}, it fails on the old name as soon as this commits, and new code "
            "deployed first fails on the new name",
            _fix(ctx, op, table, old, new), op, table=table, column=old, new_column=new)
