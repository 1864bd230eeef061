"""A downgrade that drops a table but leaves its PostgreSQL enum type behind.

What it finds:
    downgrade() drops a table that has a native enum column (`sa.Enum(..., name=...)` or
    `postgresql.ENUM`, created by this revision or an earlier one) and does not drop the
    type: no `op.execute("DROP TYPE ...")` and no `sa.Enum(name=...).drop(op.get_bind())`.
    Quiet for a type this file declares with `create_type=False` (created and dropped
    elsewhere) and for a type another table still uses after the downgrade (dropping it
    would fail). PostgreSQL only.

Why it matters:
    `op.create_table` creates the enum type, but `op.drop_table` does not drop it. After a
    downgrade the type stays, and the next upgrade fails with `type "order_status" already
    exists`: downgrade-then-upgrade (and every test that does it) is broken.

Example:
    def downgrade():
        op.drop_table("orders")  # orders.status is sa.Enum(..., name="order_status")

Use instead:
    def downgrade():
        op.drop_table("orders")
        op.execute("DROP TYPE IF EXISTS order_status")
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.expressions import Call, dotted_name, to_value
from ._history import key
from ._quote import ident
from ._values import enum_name, quote

ANY = "*"


def _not_created_here(ctx: RuleContext) -> set[str]:
    """Enum types this file declares with create_type=False: another revision owns them."""
    if "create_type" not in ctx.file.text or ctx.file.tree is None:
        return set()
    found = set()
    for node in ast.walk(ctx.file.tree):
        if isinstance(node, ast.Call):
            value = to_value(node, ctx.file.text)
            if isinstance(value, Call) and value.kwargs.get("create_type") is False:
                name = enum_name(value)
                if name:
                    found.add(key(name))
    return found


def _dropped_types(ctx: RuleContext) -> set[str]:
    names = {key(n) for _op, s in ctx.executes("downgrade") if s.kind == "drop_type"
             for n in s.type_names()}
    func = ctx.file.function("downgrade") if ".drop(" in ctx.file.text else None
    for node in ast.walk(func) if func is not None else ():
        # sa.Enum(name="x").drop(bind) / postgresql.ENUM(...).drop(bind) / status.drop(bind)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "drop":
            target = node.func.value
            value = ctx.resolve(to_value(target, ctx.file.text))
            name = enum_name(value)
            if name:
                names.add(key(name))
            elif dotted_name(target) and node.args:
                names.add(ANY)  # x.drop(bind) with x unknown: assume it drops the type
    return names


@rule("enum-type-left-behind", Severity.WARNING,
      "Downgrade drops a table but not its enum type", dialects=("postgresql",))
def run(ctx: RuleContext) -> Iterator[Hit]:
    drops = [op for op in ctx.downgrade if op.name == "drop_table"]
    if not drops:
        return
    known_before = [ctx.history.table(ctx.table_of(op)) for op in drops]
    if "enum" not in ctx.file.text.lower() and not any(t and t.enums for t in known_before):
        return  # no enum here and none on the dropped tables: skip replaying the history
    dropped = _dropped_types(ctx)
    if ANY in dropped:
        return
    gone = {key(ctx.table_of(op) or "") for op in drops}
    dropped_columns = {(key(ctx.table_of(op) or ""), key(op.get("column_name")))
                       for op in ctx.downgrade if op.name == "drop_column"
                       and isinstance(op.get("column_name"), str)}
    still_used = {key(e) for name, t in ctx.after.tables.items() if name not in gone
                  for column, c in t.columns.items() if (name, column) not in dropped_columns
                  for e in [enum_name(c.type)] if e}
    not_ours = _not_created_here(ctx)
    for op in drops:
        table = ctx.table_of(op)
        known = ctx.after.table(table)
        if known is None:
            continue
        left = sorted(e for e in known.enums if key(e) not in dropped
                      and key(e) not in still_used and key(e) not in not_ours)
        if not left:
            continue
        original = textwrap.dedent("\n".join(ctx.file.text.splitlines()[op.line - 1:op.end_line]))
        fix = "\n".join([original] + [
            f"op.execute({quote('DROP TYPE IF EXISTS ' + ident(e, 'postgresql'))})"
            for e in left])
        yield ctx.hit(
            f"downgrade() drops {table} but not its enum type{'s' if len(left) > 1 else ''} "
            f"{', '.join(left)}: the next upgrade fails with 'type \"{left[0]}\" already exists'",
            fix, op, table=table, enums=left)
