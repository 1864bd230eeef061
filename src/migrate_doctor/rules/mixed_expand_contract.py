"""A revision that both expands and contracts the schema.

What it finds:
    One upgrade() that holds expand operations (create a table, add a column, an index, a
    constraint, relax a column, widen a type) and contract operations (drop or rename a
    column or table, set NOT NULL on an existing column, change a type in a way that is
    not a widening): its phase is `mixed`, and `migrate-doctor plan` cannot place it.
    An expand step that uses a name only a contract step creates (an index on a renamed
    column) belongs with it. Judged with the rest of the revision: a constraint or index
    dropped and created again
    is a replacement, and dropping a constraint or an index breaks no running code (both
    are neutral); a table renamed to `*_tmp` and created again, a temporary column or
    table, NOT NULL on a column added in the same revision and a widening are not
    contract steps; nor is dropping what the author says is no longer used, nor a step
    that runs only when an inspection finds it needed (a clean-up of drift).

Why it matters:
    A zero-downtime deploy runs expand steps before the new code ships and contract steps
    after the old code is gone. A mixed revision has no right moment: run before the deploy,
    its contract half breaks the running code; run after, the new code starts without its
    expand half.

Example:
    def upgrade():
        op.add_column("users", sa.Column("email_verified", sa.Boolean(), nullable=True))
        op.drop_column("users", "legacy_flag")

Use instead:
    Split it in two revisions: the first keeps the expand operations (and the data
    steps), the second (its down_revision the first) the contract ones:
    # revision 1 (before the deploy)
    op.add_column("users", sa.Column("email_verified", sa.Boolean(), nullable=True))
    # revision 2 (after the deploy)
    op.drop_column("users", "legacy_flag")
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Phase, Severity
from ..scripts.operations import Operation
from ..scripts.phases import operation_phases, widens
from ._values import LATER, quote, render
from .drop_column import behind_inspection, says_unused


def phases(ctx: RuleContext) -> list[tuple[Operation, Phase]]:
    """upgrade()'s ops (as they run) with their phase; drops of what the author says is
    no longer used are not contract steps."""
    unused = says_unused(ctx) is not None
    out = []
    renamed: set[str] = set()  # names only a contract step of this upgrade() creates
    views = {m.group(1).lower() for op in ctx.upgrade for st in ctx.sql(op)
             for m in [re.match(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:\w+\s+)*VIEW\s+"
                                r"(?:[\w$\"]+\.)?\"?([\w$]+)", st.text, re.IGNORECASE)] if m}
    for op, phase in operation_phases(ctx.upgrade):
        if unused and phase is Phase.CONTRACT and op.name in ("drop_column", "drop_table"):
            phase = Phase.NONE
        if phase is Phase.CONTRACT and behind_inspection(ctx, op):
            phase = Phase.NONE  # a clean-up of drift: only where the schema is not as expected
        if phase is Phase.CONTRACT and op.name == "alter_column" \
                and op.kwargs.get("type_") is not None and "existing_type" not in op.kwargs \
                and op.kwargs.get("nullable") is not False and op.get("new_column_name") is None \
                and widens(ctx.state_at(op).column_type(ctx.table_of(op), op.get("column_name")),
                           ctx.resolve(op.kwargs["type_"])):
            phase = Phase.EXPAND  # a widening, the old type read from the history
        if op.name == "rename_table" and (ctx.table_of(op) or "").lower() in views:
            phase = Phase.NONE  # the old name stays as a view: the running release works
        if op.name == "execute" and ctx.sql(op) and all(
                re.match(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:\w+\s+)*VIEW\b", st.text, re.I)
                for st in ctx.sql(op)):
            phase = Phase.NONE  # a view: compatibility, not a schema step of its own
        if phase is Phase.EXPAND and renamed and any(
                re.search(rf"[\"']{re.escape(n)}[\"']", op.source) for n in renamed):
            phase = Phase.NONE  # it needs the rename before it: part of the contract step
        if phase is Phase.CONTRACT:
            for value in (op.kwargs.get("new_column_name"), op.get("new_table_name")):
                if isinstance(value, str):
                    renamed.add(value)
        out.append((op, phase))
    return out


def _movable(ctx: RuleContext, contract: list[Operation]) -> bool:
    """Every contract op is a statement of upgrade() itself (not in a helper or a loop over
    tables), so its lines can move."""
    body = ctx.function_body("upgrade")
    return body is not None and all(not op.via and body[0] <= op.line <= body[1]
                                    and not _in_unrolled_loop(ctx, op) for op in contract)


def _in_unrolled_loop(ctx: RuleContext, op: Operation) -> bool:
    return sum(1 for other in ctx.upgrade if other.line == op.line) > 1


def _split(ctx: RuleContext, moved: list[Operation]) -> str:
    """upgrade()'s body without the moved ops (a batch block left empty gets `pass`), then
    LATER and the moved ops, each batch op in a block of its own table."""
    body = ctx.function_body("upgrade")
    assert body is not None
    lines = ctx.file.text.splitlines()
    gone = {n for op in moved for n in range(op.line, op.end_line + 1)}
    kept: list[str] = []
    for number in range(body[0], body[1] + 1):
        if number not in gone:
            kept.append(lines[number - 1])
    kept = _fill_empty_blocks(kept)
    # the body's own indentation (lines of a multi-line string may start further left)
    first_line = lines[body[0] - 1]
    indent = " " * (len(first_line) - len(first_line.lstrip()))
    first = [x[len(indent):] if x.startswith(indent) else x for x in kept] or ["pass"]
    later: list[str] = []
    for op in moved:
        source = _dedent(op.source)
        if op.is_batch:
            kwargs = "".join(f", {k}={render(v)}" for k, v in op.batch_kwargs.items())
            source = re.sub(rf"^{re.escape(op.receiver)}\.", "batch_op.", source)
            later += [f"with op.batch_alter_table({quote(op.batch_table or '')}{kwargs}) "
                      "as batch_op:"] + ["    " + x for x in source.splitlines()]
        else:
            later += source.splitlines()
    return "\n".join([
        f"# revision {ctx.revision}, split: the expand steps (and the data steps) run before "
        "the deploy,",
        *first,
        LATER,
        "# the contract steps, once the old release is gone:",
        *later,
    ])


def _dedent(source: str) -> str:
    lines = source.splitlines()
    if len(lines) < 2:
        return source.strip()
    rest = [x for x in lines[1:] if x.strip()]
    indent = min((len(x) - len(x.lstrip()) for x in rest), default=0)
    base = min(indent, 4)  # the continuation lines of a call, relative to its first line
    return "\n".join([lines[0].strip()] + [x[indent - base:] if x.strip() else ""
                                          for x in lines[1:]])


def _fill_empty_blocks(lines: list[str]) -> list[str]:
    """A line ending with ':' whose next line is not indented deeper gets a `pass`."""
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        if line.rstrip().endswith(":") and not line.lstrip().startswith("#"):
            depth = len(line) - len(line.lstrip())
            following = next((x for x in lines[i + 1:] if x.strip()), None)
            if following is None or len(following) - len(following.lstrip()) <= depth:
                out.append(" " * (depth + 4) + "pass")
    return out


def _dependents(ctx: RuleContext, ordered: list[tuple[Operation, Phase]],
                contract: list[Operation]) -> list[Operation]:
    """The contract ops, and the ops after them that use a name only they create (an index
    on a renamed column): those must move too."""
    moved: list[Operation] = []
    names: set[str] = set()
    contracting = {id(op) for op in contract}
    pattern: re.Pattern[str] | None = None
    for op, phase in ordered:
        if id(op) in contracting:
            moved.append(op)
            for key in ("new_column_name", "new_table_name"):
                value = op.get(key) if key == "new_table_name" else op.kwargs.get(key)
                if isinstance(value, str) and value not in names:
                    names.add(value)
                    pattern = re.compile("[\"'](?:" + "|".join(map(re.escape, names)) + ")[\"']")
        elif pattern is not None and pattern.search(op.source):
            moved.append(op)
    return moved


@rule("mixed-expand-contract", Severity.WARNING, "Revision both expands and contracts the schema",
      online=True)
def run(ctx: RuleContext) -> Iterator[Hit]:
    ordered = phases(ctx)
    expand = [op for op, phase in ordered if phase is Phase.EXPAND]
    contract = [op for op, phase in ordered if phase is Phase.CONTRACT]
    if not expand or not contract:
        return

    def listing(ops: list[Operation]) -> str:
        return ", ".join(f"{op.name} {ctx.table_of(op) or '?'} at line {op.line}" for op in ops)

    body = ctx.function_body("upgrade")
    if _movable(ctx, contract) and body is not None:
        fix, at = _split(ctx, _dependents(ctx, ordered, contract)), ("replace", body[0], body[1])
    else:
        fix = "\n".join([
            "# split this revision: keep the expand steps here, and move "
            + listing(contract) + " to a revision after the deploy",
            "# (they run in a helper or a loop, so the lines cannot be moved for you)"])
        at = None
    yield ctx.hit(
        f"upgrade() expands ({listing(expand)}) and contracts ({listing(contract)}): no deploy "
        "moment suits both halves; split it into an expand and a contract revision",
        fix, contract[0], fix_at=at, expand=[op.line for op in expand],
        contract=[op.line for op in contract])
