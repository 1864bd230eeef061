"""A SQLite batch rebuild of a table that other tables reference with ON DELETE CASCADE.

What it finds:
    On a SQLite target, `with op.batch_alter_table("users")` holding operations that make
    Alembic rebuild the table (anything but `add_column` and index changes, or
    `recreate="always"`), when an earlier revision created a foreign key to that table with
    `ondelete="CASCADE"` (or SET NULL / SET DEFAULT), in `create_table`, `add_column`,
    `create_foreign_key` or SQL, and foreign keys are enforced: env.py (or the project's
    database setup) runs `PRAGMA foreign_keys=ON`, or the revision does. Quiet when env.py
    turns them off around the run, when nothing turns them on (SQLite's default: off, and
    then DROP TABLE runs no ON DELETE action), and when the revision turns them off first
    (`PRAGMA foreign_keys=OFF` in an autocommit block).

Why it matters:
    The rebuild copies the rows to a new table and drops the old one. With foreign keys on,
    dropping the old table runs its ON DELETE actions: every child row is deleted (or set
    to NULL), silently, and the upgrade reports success.

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
from ._fixes import batch_block
from ._values import text_argument

_NO_REBUILD = ("create_index", "drop_index")
_FK_ON = re.compile(r"PRAGMA\s+foreign_keys\s*=\s*(ON|1|TRUE|YES)\b", re.IGNORECASE)
_FK_OFF = re.compile(r"PRAGMA\s+foreign_keys\s*=\s*(OFF|0|FALSE|NO)\b", re.IGNORECASE)


def _batches(ctx: RuleContext) -> Iterator[tuple[Operation, list[Operation]]]:
    """Each ``op.batch_alter_table`` call with the batch_op calls inside its block."""
    for index, op in enumerate(ctx.upgrade):
        if op.name != "batch_alter_table":
            continue
        block = batch_block(ctx.file, op)
        last = block[1] if block is not None else op.line
        inside = []
        for other in ctx.upgrade[index + 1:]:
            if other.name == "batch_alter_table" or not (op.line < other.line <= last):
                if other.line > last:
                    break
                continue
            if other.is_batch and \
                    key(other.batch_table or "") == key(ctx.table_of(op) or ""):
                inside.append(other)
        yield op, inside


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


def _enforced_at(ctx: RuleContext, batch: Operation) -> bool:
    """Whether SQLite enforces foreign keys when the batch runs: what env.py / the project
    say, then what this revision switched before the batch (a PRAGMA only takes effect
    outside a transaction, so in an autocommit block)."""
    enforced = ctx.facts.sqlite_fk == "on"
    for op in ctx.upgrade:
        if op is batch:
            break
        text = text_argument(op.get("sqltext")) if op.name == "execute" else None
        if text and op.in_autocommit:
            if _FK_OFF.search(text):
                enforced = False
            elif _FK_ON.search(text):
                enforced = True
    return enforced


@rule("batch-rebuild-with-foreign-keys", Severity.ERROR,
      "Batch rebuild of a table with ON DELETE CASCADE children", dialects=("sqlite",))
def run(ctx: RuleContext) -> Iterator[Hit]:
    for batch, ops in _batches(ctx):
        table = ctx.table_of(batch)
        if table is None or not _rebuilds(batch, ops) or not _enforced_at(ctx, batch):
            continue
        children = ctx.state_at(batch).cascading_children(table)
        if not children:
            continue
        names = sorted({f"{fk.table} (ON DELETE {fk.ondelete.upper() if fk.ondelete else ''})"
                        for fk in children})
        block = batch_block(ctx.file, batch)
        if block is None:
            continue
        start, end, lines = block
        fix = "\n".join([
            f"# in {ctx.revision}: foreign keys off around the rebuild (PRAGMA only works "
            "outside a transaction)",
            "with op.get_context().autocommit_block():",
            '    op.execute("PRAGMA foreign_keys=OFF")',
            *lines,
            "with op.get_context().autocommit_block():",
            '    op.execute("PRAGMA foreign_keys=ON")',
        ])
        yield ctx.hit(
            f"the batch operation rebuilds {table} (copy, drop, rename); dropping the old "
            f"{table} runs the ON DELETE actions of {', '.join(names)}: foreign keys are on, so "
            "their rows are deleted or nulled, silently", fix, batch,
            fix_at=("replace", start, end), table=table,
            children=sorted({fk.table for fk in children}))
