"""Constraints added by a revision's upgrade(), through Alembic or SQL, for the rules about
adding constraints to existing PostgreSQL tables."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ..registry import Hit
from ..scripts.operations import Operation
from ._context import RuleContext
from ._history import key
from ._values import name_of, render

_OPS = {"create_foreign_key": "foreignkey", "create_check_constraint": "check",
        "create_unique_constraint": "unique", "create_primary_key": "primary"}


@dataclass(frozen=True)
class Added:
    op: Operation
    table: str | None
    name: str | None
    kind: str  # "foreignkey", "check", "unique", "primary", "exclude"
    not_valid: bool
    sql: str | None  # the statement, when added by op.execute

    def validated_in_transaction(self, ctx: RuleContext) -> Operation | None:
        """A VALIDATE CONSTRAINT of this constraint later in the same transaction."""
        if self.name is None:
            return None
        at = ctx.position(self.op)
        for position, op in _validations(ctx).get(key(self.name), ()):
            if position >= at:
                return op
        return None


def _validations(ctx: RuleContext) -> dict[str, list[tuple[int, Operation]]]:
    """Constraint name -> the upgrade() ops (outside autocommit blocks) that validate it,
    with their positions; read once per revision."""
    found = ctx.__dict__.get("_validations")
    if found is None:
        found = ctx.__dict__["_validations"] = {}
        for position, op in enumerate(ctx.upgrade):
            if op.in_autocommit:
                continue
            for s in ctx.sql(op):
                for name in s.validated_constraints():
                    found.setdefault(key(name), []).append((position, op))
    return found


def added_constraints(ctx: RuleContext, kind: str) -> Iterator[Added]:
    """Constraints of ``kind`` added to tables this revision did not create."""
    for op in ctx.upgrade:
        if _OPS.get(op.name) == kind:
            table = ctx.table_of(op)
            name = op.get("constraint_name")
            if not ctx.is_new_table(table, op):
                yield Added(op, table, name_of(name), kind,
                            op.kwargs.get("postgresql_not_valid") is True, None)
        for s in ctx.sql(op):
            for name, found, not_valid, _body in s.added_constraints():
                if found == kind and not ctx.is_new_table(s.table, op):
                    if kind == "unique" and "USING INDEX" in _body.upper():
                        continue
                    yield Added(op, s.table, name, kind, not_valid, s.text)


def not_valid_fix(ctx: RuleContext, added: Added, default_name: str) -> str:
    op, table = added.op, added.table or "<table>"
    name = added.name or default_name
    if added.sql is not None:
        sql = added.sql if added.not_valid else f"{added.sql} NOT VALID"
        first = f"op.execute({render(sql)})"
    else:
        args = [name if i == 0 and a is None else a for i, a in enumerate(op.args)]
        kwargs = {k: name if k == "constraint_name" and v is None else v
                  for k, v in op.kwargs.items() if k != "postgresql_not_valid"}
        params = [render(a) for a in args]
        params += [f"{k}={render(v)}" for k, v in kwargs.items()]
        first = f"{op.receiver}.{op.name}({', '.join(params)}, postgresql_not_valid=True)"
    return "\n".join([
        f"# revision {ctx.revision}: add it without checking the existing rows",
        first,
        "# a later revision (a separate transaction): check the old rows under a light lock",
        f'op.execute("ALTER TABLE {table} VALIDATE CONSTRAINT {name}")',
    ])


def validating_hits(ctx: RuleContext, kind: str, label: str, lock: str) -> Iterator[Hit]:
    for added in added_constraints(ctx, kind):
        table = added.table or "<table>"
        default = f"{'fk' if kind == 'foreignkey' else 'ck'}_{table}"
        fix = not_valid_fix(ctx, added, default)
        if not added.not_valid:
            yield ctx.hit(
                f"{label} {added.name or '(unnamed)'} on {table} checks every existing row "
                f"while holding {lock}", fix, added.op, table=table, constraint=added.name)
            continue
        validate = added.validated_in_transaction(ctx)
        if validate is not None:
            yield ctx.hit(
                f"{label} {added.name} on {table} is added NOT VALID but validated in the same "
                f"transaction: {lock} is still held during the scan, so NOT VALID gains "
                "nothing", fix, validate, table=table, constraint=added.name)
