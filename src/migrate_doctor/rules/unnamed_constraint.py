"""A constraint created or dropped with no name.

What it finds:
    `op.create_foreign_key(None, ...)`, `op.create_unique_constraint(None, ...)`,
    `op.create_check_constraint(None, ...)`, `op.create_primary_key(None, ...)` and
    `op.drop_constraint(None, ...)` (also in batch mode): autogenerate writes these when the
    model's MetaData has no naming convention.

Why it matters:
    Each database then invents its own name (`orders_user_id_fkey` on PostgreSQL,
    `orders_ibfk_1` on MySQL, none on SQLite), so a later revision or this downgrade cannot
    drop it by a name that works everywhere, and `drop_constraint(None, ...)` fails
    outright: `Constraint must have a name`. Batch mode on SQLite cannot find it either.

Example:
    op.create_foreign_key(None, "orders", "users", ["user_id"], ["id"])

Use instead:
    op.create_foreign_key("fk_orders_user_id_users", "orders", "users", ["user_id"], ["id"])
    and give the models a naming convention so autogenerate names them:
    MetaData(naming_convention={
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", ...})
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.operations import Operation
from ._history import key
from ._values import render

_PREFIX = {"create_foreign_key": "fk", "create_unique_constraint": "uq",
           "create_check_constraint": "ck", "create_primary_key": "pk", "drop_constraint": ""}


def _columns(op: Operation) -> list[str]:
    value: Any = op.get("local_cols") if op.name == "create_foreign_key" else op.get("columns")
    return [c for c in value if isinstance(c, str)] if isinstance(value, tuple) else []


def suggested_name(ctx: RuleContext, op: Operation) -> str:
    table = ctx.table_of(op) or "<table>"
    if op.name == "drop_constraint":
        kind = op.get("type_")
        known = [c.name for c in ctx.after.constraints.values()
                 if c.table == key(table) and c.kind == kind]
        if len(known) == 1:  # the one constraint of that type the revisions made
            return known[0]
        prefix = {"foreignkey": "fk", "unique": "uq", "check": "ck", "primary": "pk"}.get(
            kind if isinstance(kind, str) else "", "<constraint>")
        return f"{prefix}_{table}_<columns>" if prefix != "pk" else f"pk_{table}"
    parts = [_PREFIX[op.name], table]
    if op.name != "create_primary_key":
        parts += _columns(op) or ["<columns>"]
    referent = op.get("referent_table")
    if op.name == "create_foreign_key" and isinstance(referent, str):
        parts.append(referent)
    return "_".join(parts)


@rule("unnamed-constraint", Severity.WARNING, "Constraint created or dropped without a name")
def run(ctx: RuleContext) -> Iterator[Hit]:
    for op in ctx.upgrade + ctx.downgrade:
        if op.name not in _PREFIX or op.get("constraint_name", "missing") is not None:
            continue
        name = suggested_name(ctx, op)
        table = ctx.table_of(op) or "<table>"
        args = [name if i == 0 else a for i, a in enumerate(op.args)]
        params = [render(a) for a in args] + [
            f"{k}={render(name if k == 'constraint_name' else v)}" for k, v in op.kwargs.items()]
        fix = "\n".join([
            f"{op.receiver}.{op.name}({', '.join(params)})",
            "# and name constraints in the models: MetaData(naming_convention={"
            '"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s", '
            '"uq": "uq_%(table_name)s_%(column_0_name)s", '
            '"ck": "ck_%(table_name)s_%(constraint_name)s", '
            '"pk": "pk_%(table_name)s", "ix": "ix_%(column_0_label)s"})',
        ])
        dropping = op.name == "drop_constraint"
        yield ctx.hit(
            (f"drop_constraint on {table} has no name: it fails ('Constraint must have a name')"
             if dropping else
             f"{op.name} on {table} has no name: each database invents its own, so no later "
             "revision can drop it by a name that works everywhere"),
            fix, op, Severity.ERROR if dropping else None, table=table, operation=op.name,
            function=op.function)
