"""A SQLite batch rebuild of a table that other tables reference with ON DELETE CASCADE.

What it finds:
    On a SQLite target, `with op.batch_alter_table("users")` holding operations that make
    Alembic rebuild the table (anything but `add_column` and index changes, or
    `recreate="always"`), when an earlier revision created a foreign key to that table with
    `ondelete="CASCADE"` (or SET NULL / SET DEFAULT), in `create_table`, `add_column`,
    `create_foreign_key` or SQL. Quiet when the revision turns foreign keys off first
    (`PRAGMA foreign_keys=OFF` in an autocommit block).

Why it matters:
    The rebuild copies the rows to a new table and drops the old one. With foreign keys on
    (Flask-SQLAlchemy apps and many env.py files turn them on), dropping the old table
    runs its ON DELETE actions: every child row is deleted (or set to NULL), silently,
    and the upgrade reports success.

Example:
    # orders.user_id = sa.ForeignKey("users.id", ondelete="CASCADE"), from an earlier revision
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("email", nullable=False)

Use instead:
    PRAGMA foreign_keys only changes outside a transaction, so:
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys=OFF")
    with op.batch_alter_table("users") as batch_op:
        batch_op.alter_column("email", nullable=False)
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys=ON")
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.expressions import Call
from ..scripts.operations import Operation
from ._history import key
from ._values import one_line, text_argument

_NO_REBUILD = ("create_index", "drop_index")
_FK_OFF = re.compile(r"PRAGMA\s+foreign_keys\s*=\s*(OFF|0|FALSE|NO)\b", re.IGNORECASE)


def _batches(ctx: RuleContext) -> Iterator[tuple[Operation, list[Operation]]]:
    """Each ``op.batch_alter_table`` call with the batch_op calls inside it."""
    current: tuple[Operation, list[Operation]] | None = None
    for op in ctx.upgrade:
        if op.name == "batch_alter_table":
            if current:
                yield current
            current = (op, [])
        elif current and op.is_batch and \
                key(op.batch_table or "") == key(ctx.table_of(current[0]) or ""):
            current[1].append(op)
        elif current and not op.is_batch:
            yield current
            current = None
    if current:
        yield current


def _rebuilds(batch: Operation, ops: list[Operation]) -> bool:
    if batch.kwargs.get("recreate") == "always":
        return True
    if batch.kwargs.get("recreate") == "never":
        return False
    for op in ops:
        if op.name == "add_column":
            column = op.get("column")
            default = column.kwargs.get("server_default") if isinstance(column, Call) else None
            if isinstance(default, Call):  # a SQL expression default needs the rebuild too
                return True
        elif op.name not in _NO_REBUILD and op.name != "execute":
            return True
    return False


def _fk_off_before(ctx: RuleContext, batch: Operation) -> bool:
    for op in ctx.upgrade:
        if op is batch:
            return False
        text = text_argument(op.get("sqltext")) if op.name == "execute" else None
        if text and op.in_autocommit and _FK_OFF.search(text):
            return True
    return False


@rule("batch-rebuild-with-foreign-keys", Severity.ERROR,
      "Batch rebuild of a table with ON DELETE CASCADE children", dialects=("sqlite",))
def run(ctx: RuleContext) -> Iterator[Hit]:
    for batch, ops in _batches(ctx):
        table = ctx.table_of(batch)
        if table is None or not _rebuilds(batch, ops) or _fk_off_before(ctx, batch):
            continue
        children = ctx.state_at(batch).cascading_children(table)
        if not children:
            continue
        names = sorted({f"{fk.table} (ON DELETE {fk.ondelete.upper() if fk.ondelete else ''})"
                        for fk in children})
        body = ["    " + one_line(op.source) for op in ops]
        fix = "\n".join([
            f"# in {ctx.revision}: foreign keys off around the rebuild (PRAGMA only works "
            "outside a transaction)",
            "with op.get_context().autocommit_block():",
            '    op.execute("PRAGMA foreign_keys=OFF")',
            f'with op.batch_alter_table("{table}") as batch_op:',
            *(body or ["    ..."]),
            "with op.get_context().autocommit_block():",
            '    op.execute("PRAGMA foreign_keys=ON")',
        ])
        yield ctx.hit(
            f"the batch operation rebuilds {table} (copy, drop, rename); dropping the old "
            f"{table} runs the ON DELETE actions of {', '.join(names)}: with foreign keys on, "
            "their rows are deleted or nulled, silently", fix, batch, table=table,
            children=sorted({fk.table for fk in children}))
