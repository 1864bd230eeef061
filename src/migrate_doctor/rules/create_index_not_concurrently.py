"""An index created on an existing PostgreSQL table without CONCURRENTLY.

What it finds:
    `op.create_index(...)` (or `batch_op.create_index`, or `CREATE INDEX` in `op.execute`)
    on a table this revision did not create, without `postgresql_concurrently=True`.
    PostgreSQL only.

Why it matters:
    A plain CREATE INDEX holds a SHARE lock on the table until the index is built: every
    INSERT, UPDATE and DELETE waits, for minutes on a big table. CONCURRENTLY builds it
    while writes go on.

Example:
    op.create_index("ix_users_email", "users", ["email"])

Use instead:
    CREATE INDEX CONCURRENTLY cannot run in a transaction, so give it an autocommit block:
    with op.get_context().autocommit_block():
        op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)
    and in downgrade():
    with op.get_context().autocommit_block():
        op.drop_index("ix_users_email", table_name="users", postgresql_concurrently=True)
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.expressions import Call, Name
from ..scripts.operations import Operation
from ._fixes import batch_block, empty_body, op_schema, without
from ._values import Code, call, name_of, quote, render

_NOT_COPIED = ("index_name", "table_name", "columns", "postgresql_concurrently")
_INVALID = ("# if it fails (a duplicate, a timeout), drop the INVALID index it leaves "
            "before running it again")


def _create(ctx: RuleContext, op: Operation, table: str) -> str:
    """op.create_index(...) as written, with postgresql_concurrently=True (a batch_op
    call becomes an op call on the batch's table and schema)."""
    given = op.get("index_name")
    if isinstance(given, Call) and given.name == "f":
        code: object = Code(f"op.f({quote(name_of(given) or '')})")
    else:
        code = given
    columns = op.get("columns")
    extra = {k: v for k, v in op.kwargs.items() if k not in _NOT_COPIED}
    schema = op_schema(op)
    if op.is_batch and schema and "schema" not in extra:
        extra["schema"] = schema
    return call("op.create_index", code, table,
                columns if isinstance(columns, (tuple, str, Call, Name)) else Code("[...]"),
                **extra, postgresql_concurrently=True)


@rule("create-index-not-concurrently", Severity.WARNING,
      "Index created without CONCURRENTLY locks writes", dialects=("postgresql",), online=True)
def run(ctx: RuleContext) -> Iterator[Hit]:
    batches: dict[int, list[Operation]] = {}
    for op in ctx.upgrade:
        if op.name == "create_index" and op.kwargs.get("postgresql_concurrently") is not True:
            table = ctx.table_of(op)
            if ctx.is_new_table(table, op):
                continue
            if op.is_batch:
                block = batch_block(ctx.file, op)
                if block is not None:
                    batches.setdefault(block[0], []).append(op)
                    continue
            name = name_of(op.get("index_name"))
            create = _create(ctx, op, table or "<table>")
            fix = "\n".join(["with op.get_context().autocommit_block():", f"    {create}",
                             _INVALID, _downgrade_note(op, name, table)])
            yield _hit(ctx, op, table or "<table>", name, fix)
        statements = ctx.sql(op)
        plain = [s for s in statements if s.kind == "create_index" and not s.concurrently
                 and not ctx.is_new_table(s.table, op)]
        if plain:
            others = [s.text for s in statements if s not in plain]
            lines = [f"op.execute({render(';'.join(others))})"] if others else []
            lines.append("with op.get_context().autocommit_block():")
            for s in plain:
                sql = re.sub(r"\bINDEX\b", "INDEX CONCURRENTLY", s.text, count=1,
                             flags=re.IGNORECASE)
                lines.append(f"    op.execute({render(sql)})")
            lines.append(_INVALID)
            yield _hit(ctx, op, plain[0].table or "<table>", None, "\n".join(lines))
    for start, ops in batches.items():
        block = batch_block(ctx.file, ops[0])
        assert block is not None
        _, end, body = block
        kept = body
        for op in sorted({o.line: o for o in ops}.values(), key=lambda o: -o.line):
            kept = without(kept, op.line - start, op.end_line - start)
        if empty_body(kept):
            kept = []  # nothing else in the block
        table = ctx.table_of(ops[0]) or "<table>"
        creates = list(dict.fromkeys(_create(ctx, op, table) for op in ops))
        fix = "\n".join([*kept, "# after the block: the indexes, built while writes go on",
                         "with op.get_context().autocommit_block():",
                         *[f"    {c}" for c in creates], _INVALID,
                         *dict.fromkeys(_downgrade_note(op, name_of(op.get("index_name")), table)
                                        for op in ops)])
        for op in ops[:1]:
            names = ", ".join(n for n in (name_of(o.get("index_name")) for o in ops) if n)
            yield _hit(ctx, op, table, names or None, fix, ("replace", start, end))


def _downgrade_note(op: Operation, name: str | None, table: str | None) -> str:
    return (f"# and in downgrade(): op.drop_index({quote(name or '...')}, "
            f"table_name={quote(table or '...')}, postgresql_concurrently=True) in an "
            "autocommit block")


def _hit(ctx: RuleContext, op: Operation, table: str, name: str | None, fix: str,
         fix_at: tuple[str, int, int] | None = None) -> Hit:
    return ctx.hit(
        f"index {name + ' ' if name else ''}on {table} is built without CONCURRENTLY: "
        f"every write to {table} waits until the build ends",
        fix, op, fix_at=fix_at, table=table, index=name)
