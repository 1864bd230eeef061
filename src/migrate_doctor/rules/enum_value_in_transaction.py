"""A value added to a PostgreSQL enum type and used in the same transaction.

What it finds:
    `ALTER TYPE ... ADD VALUE` in `op.execute` (upgrade or downgrade), outside
    `with op.get_context().autocommit_block():`, when
    - the server is known to be older than PostgreSQL 12 (an error: the statement itself
      fails in a transaction), or
    - a later step of the same function uses the new value (an UPDATE, INSERT, DEFAULT or
      CHECK that writes `'value'`), or
    - (reported at the later revision) a later revision uses a value an earlier revision
      added this way, and env.py does not set `transaction_per_migration=True`: Alembic
      then runs both in one transaction whenever they are applied together (a fresh
      database, a deploy that skipped a release).
    Adding a value nothing uses before the commit is fine from PostgreSQL 12 on, and stays
    quiet. PostgreSQL only.

Why it matters:
    Before PostgreSQL 12, `ALTER TYPE ... ADD VALUE cannot run inside a transaction block`:
    the upgrade fails. From 12 on it runs, but the new value cannot be used until the
    transaction commits: `unsafe use of new value "refunded" of enum type order_status`.

Example:
    op.execute("ALTER TYPE order_status ADD VALUE 'refunded'")
    op.execute("UPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL")

Use instead:
    with op.get_context().autocommit_block():
        op.execute("ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'refunded'")
    op.execute("UPDATE orders SET status = 'refunded' WHERE refunded_at IS NOT NULL")
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.expressions import Call
from ..scripts.operations import Operation
from ._history import key
from ._values import render

_VALUE = re.compile(r"\bADD\s+VALUE\s+(?:IF\s+NOT\s+EXISTS\s+)?'((?:[^']|'')*)'", re.IGNORECASE)


def _uses(ctx: RuleContext, op: Operation, value: str) -> bool:
    """True when the op writes or compares ``value`` as data (not an ALTER TYPE)."""
    sql_literal = "'" + value.replace("'", "''") + "'"
    for s in ctx.sql(op):
        if s.kind == "alter_type":
            continue
        if s.python:
            if re.search(rf"[\"']{re.escape(value)}[\"']", s.text):
                return True
        elif sql_literal in s.text:
            return True
    if op.name in ("add_column", "alter_column", "bulk_insert"):
        source = op.source
        column = ctx.resolve(op.get("column")) if op.name == "add_column" else None
        default = column.kwargs.get("server_default") if isinstance(column, Call) else \
            op.kwargs.get("server_default")
        if isinstance(default, str) and default == value:
            return True
        if isinstance(default, Call) and sql_literal in default.source:
            return True
        if op.name == "bulk_insert" and re.search(rf"[\"']{re.escape(value)}[\"']", source):
            return True
    return False


def _fix_add(function: str, revision: str, op: Operation, text: str) -> str:
    sql = text if re.search(r"\bIF\s+NOT\s+EXISTS\b", text, re.IGNORECASE) else \
        re.sub(r"\bADD\s+VALUE\b", "ADD VALUE IF NOT EXISTS", text, count=1, flags=re.IGNORECASE)
    return "\n".join([
        f"# in {function}() of {revision}: commit first and add the value on its own, so the "
        "steps after it can use it",
        "with op.get_context().autocommit_block():",
        f"    op.execute({render(sql)})",
    ])


@rule("enum-value-in-transaction", Severity.WARNING,
      "Enum value added and used in one transaction", dialects=("postgresql",))
def run(ctx: RuleContext) -> Iterator[Hit]:
    old = ctx.version_below(12)
    for function in ("upgrade", "downgrade"):
        ops = ctx.upgrade if function == "upgrade" else ctx.downgrade
        for index, op in enumerate(ops):
            if op.in_autocommit:
                continue
            for s in ctx.sql(op):
                enum = s.enum_value_added()
                m = _VALUE.search(s.text)
                if enum is None:
                    continue
                value = m.group(1).replace("''", "'") if m else None
                user = None
                if value is not None:
                    user = next((o for o in ops[index + 1:] if not o.in_autocommit
                                 and _uses(ctx, o, value)), None)
                if not old and user is None:
                    continue  # PostgreSQL 12+: nothing uses it before the commit
                others = [x.text for x in ctx.sql(op) if x is not s]
                fix = _fix_add(function, ctx.revision, op, s.text)
                if others:
                    fix = f"op.execute({render(';'.join(others))})\n" + fix
                if old:
                    why = ("this PostgreSQL version refuses it inside a transaction block, so "
                           f"the {function} fails")
                else:
                    why = (f"line {user.line} uses '{value}' in the same transaction, which "
                           f"PostgreSQL refuses until the value is committed ('unsafe use of "
                           f"new value')")
                yield ctx.hit(f"a value is added to enum type {enum} inside the migration's "
                              f"transaction: {why}", fix, op, Severity.ERROR if old else None,
                              enum=enum, function=function, value=value)
    if not ctx.facts.transaction_per_migration:
        yield from _later_use(ctx)


def _later_use(ctx: RuleContext) -> Iterator[Hit]:
    """This revision uses a value an earlier revision added inside its transaction."""
    pending = [v for v in ctx.history.enum_values.values()
               if not v.in_autocommit and v.revision != ctx.revision]
    if not pending:
        return
    for op in ctx.upgrade:
        if op.in_autocommit:
            continue
        tables = {key(t) for t in [ctx.table_of(op), *(s.table for s in ctx.sql(op))] if t}
        for added in pending:
            typed = {name for name, t in ctx.history.tables.items()
                     if added.type in {key(e) for e in t.enums}}
            if not (tables & typed) or not _uses(ctx, op, added.value):
                continue
            body = textwrap.dedent("\n".join(
                ctx.file.text.splitlines()[op.line - 1:op.end_line]))
            fix = "\n".join([
                f"# commit first, so that the value revision {added.revision} added is usable "
                "(or set transaction_per_migration=True in env.py's context.configure())",
                "with op.get_context().autocommit_block():",
                "    pass",
                body,
            ])
            yield ctx.hit(
                f"'{added.value}' was added to enum type {added.type} by revision "
                f"{added.revision} inside its transaction, and env.py does not set "
                "transaction_per_migration: when both revisions run in one upgrade (a new "
                "database, a deploy that skips a release) they share one transaction and this "
                "use fails ('unsafe use of new value')", fix, op, enum=added.type,
                value=added.value, added_by=added.revision)
            break
