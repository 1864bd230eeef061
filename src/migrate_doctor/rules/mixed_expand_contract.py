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
    that runs only when an inspection finds it needed (a clean-up of drift). PostgreSQL's
    recipe for new enum values (`ALTER TYPE x RENAME TO x_old`, `CREATE TYPE x ...`, the
    columns altered to x, `DROP TYPE x_old`) keeps the type's name: the rename is no
    contract step and the columns' change is expand, unless the new type lacks values of
    the old one (both lists known). An enum turned into unbounded text is a widening; a key
    made again on a column the contract step changes belongs with it.

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
    steps), the second (its down_revision the first) the contract ones, with what they
    depend on (the constraint, default or sequence dropped to prepare them, what they free
    or make again, the old enum type dropped once its columns moved):
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
from ..scripts.phases import operation_phases, type_swaps, widens
from ._history import key as _key
from ._values import LATER, column_name, enum_name, name_of, quote, render
from .drop_column import behind_inspection, says_unused


_KEYS = {"create_primary_key", "create_unique_constraint", "create_index"}


def _swapped_types(ctx: RuleContext) -> dict[str, bool]:
    """The enum types this upgrade() swaps for a new one of the same name (PostgreSQL's
    recipe for changing an enum's values), each with whether values are taken away (both
    value lists known: the old from the history, the new from its CREATE TYPE)."""
    found: dict[str, bool] = {}
    restored: dict[str, tuple[str, ...]] = {}  # what downgrade() makes the type again
    for _op, st in ctx.executes("downgrade"):
        labels = st.enum_labels() if st.kind == "create_type" else None
        if labels is not None:
            restored.update({_key(n): labels for n in st.type_names()})
    for index, (old, _aside) in type_swaps(ctx.upgrade).items():
        # the values before: as the revision's own downgrade() restores them (true to the
        # revision graph, but it may be stale) and as the history (in upgrade order, where a
        # sibling branch may come first) has them; a value is taken away only when every
        # known account of the old type has it
        accounts = [set(v) for v in (restored.get(old),
                                     ctx.state_at(ctx.upgrade[index]).enum_labels.get(old)) if v]
        after = ctx.after.enum_labels.get(old)
        before = set.intersection(*accounts) if accounts else set()
        found[old] = bool(before and after is not None and before - set(after))
    return found


def _to_type(ctx: RuleContext, op: Operation) -> set[str]:
    """The enum types an op alters columns to (``ALTER COLUMN c TYPE x``, or alter_column
    with ``type_`` a named enum)."""
    names: set[str] = set()
    if op.name == "alter_column" and "type_" in op.kwargs:
        name = enum_name(ctx.resolve(op.kwargs["type_"]))
        if name:
            names.add(name.lower())
    for st in ctx.sql(op):
        for m in st.action_matches(r"ALTER\s+(?:COLUMN\s+)?\S+\s+(?:SET\s+DATA\s+)?TYPE\s+"
                                   r"(?:\w+\.)?\"?([\w$]+)\"?"):
            names.add(m.group(1).lower())
    return names


def phases(ctx: RuleContext) -> list[tuple[Operation, Phase]]:
    """upgrade()'s ops (as they run) with their phase; drops of what the author says is
    no longer used are not contract steps. Columns moved to an enum swapped for a new one
    of the same name are expand, unless the new type lacks values of the old (contract)."""
    unused = says_unused(ctx) is not None
    swapped = _swapped_types(ctx) if "type" in ctx.file.text.lower() else {}
    changed: set[tuple[str, str]] = set()  # (table, column) a contract step alters
    out = []
    renamed: set[str] = set()  # names only a contract step of this upgrade() creates
    views = {m.group(1).lower() for op in ctx.upgrade for st in ctx.sql(op)
             for m in [re.match(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:\w+\s+)*VIEW\s+"
                                r"(?:[\w$\"]+\.)?\"?([\w$]+)", st.text, re.IGNORECASE)] if m}
    pattern: re.Pattern[str] | None = None
    for op, phase in operation_phases(ctx.upgrade):
        if unused and phase is Phase.CONTRACT and op.name in ("drop_column", "drop_table"):
            phase = Phase.NONE
        if phase is Phase.CONTRACT and op.name in ("drop_column", "drop_table") and (
                ctx.history.retired_how(ctx.table_of(op))
                or (op.name == "drop_column" and isinstance(op.get("column_name"), str)
                    and ctx.history.retired_how(ctx.table_of(op), op.get("column_name")))):
            phase = Phase.NONE  # an earlier revision retired it (put aside, data moved)
        if phase is Phase.CONTRACT and behind_inspection(ctx, op):
            phase = Phase.NONE  # a clean-up of drift: only where the schema is not as expected
        if phase is Phase.CONTRACT and op.name == "alter_column" \
                and op.kwargs.get("type_") is not None and "existing_type" not in op.kwargs \
                and op.kwargs.get("nullable") is not False and op.get("new_column_name") is None \
                and widens(ctx.state_at(op).column_type(ctx.table_of(op), op.get("column_name")),
                           ctx.resolve(op.kwargs["type_"])):
            phase = Phase.EXPAND  # a widening, the old type read from the history
        if swapped and phase in (Phase.EXPAND, Phase.CONTRACT):
            types = _to_type(ctx, op) & set(swapped)
            if types:  # the type keeps its name: values gained (expand) or taken (contract)
                phase = Phase.CONTRACT if any(swapped[t] for t in types) else Phase.EXPAND
        if op.name == "rename_table" and (ctx.table_of(op) or "").lower() in views:
            phase = Phase.NONE  # the old name stays as a view: the running release works
        if op.name == "execute" and ctx.sql(op) and all(
                re.match(r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:\w+\s+)*VIEW\b", st.text, re.I)
                for st in ctx.sql(op)):
            phase = Phase.NONE  # a view: compatibility, not a schema step of its own
        if phase is Phase.EXPAND and pattern is not None and pattern.search(op.source):
            phase = Phase.NONE  # it needs the rename before it: part of the contract step
        if phase is Phase.EXPAND and changed and op.name in _KEYS and any(
                (_key(ctx.table_of(op) or ""), _key(c)) in changed
                for c in op.get("columns") or () if isinstance(c, str)):
            phase = Phase.NONE  # a key made again on a column the contract step changes
        if phase is Phase.CONTRACT and op.name == "alter_column" \
                and isinstance(op.get("column_name"), str):
            changed.add((_key(ctx.table_of(op) or ""), _key(op.get("column_name"))))
        if phase is Phase.CONTRACT:
            for value in (op.kwargs.get("new_column_name"), op.get("new_table_name")):
                if isinstance(value, str) and value not in renamed:
                    renamed.add(value)
                    pattern = re.compile("[\"'](?:" + "|".join(map(re.escape, sorted(renamed)))
                                         + ")[\"']")
        out.append((op, phase))
    return out


def _movable(ctx: RuleContext, contract: list[Operation]) -> bool:
    """Every contract op is a statement of upgrade() itself (not in a helper or a loop over
    tables), so its lines can move."""
    body = ctx.function_body("upgrade")
    return body is not None and all(not op.via and body[0] <= op.line <= body[1]
                                    and not _in_unrolled_loop(ctx, op) for op in contract)


def _in_unrolled_loop(ctx: RuleContext, op: Operation) -> bool:
    counts = ctx.__dict__.get("_ops_per_line")
    if counts is None:
        counts = ctx.__dict__["_ops_per_line"] = {}
        for other in ctx.upgrade:
            counts[other.line] = counts.get(other.line, 0) + 1
    return counts.get(op.line, 0) > 1


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


def _objects(ctx: RuleContext, op: Operation) -> set[tuple[str, ...]]:
    """What an op touches, for keeping dependent steps together when a revision is split:
    ("col", table, column), ("keys", table) for its constraints and indexes, ("table",
    table) for the table as a whole, ("type", name) for an enum type."""
    found: set[tuple[str, ...]] = set()
    table = _key(ctx.table_of(op) or "")
    if op.name in ("create_table", "drop_table", "rename_table"):
        found.add(("table", table))
        new = op.get("new_table_name")
        if isinstance(new, str):
            found.add(("table", _key(new)))
    for name in ("column_name", "new_column_name"):
        value = op.get(name) if name == "column_name" else op.kwargs.get(name)
        if isinstance(value, str) and table:
            found.add(("col", table, _key(value)))
    added = column_name(ctx.resolve(op.get("column"))) if op.name == "add_column" else None
    if added and table:
        found.add(("col", table, _key(added)))
    if op.name in ("create_index", "drop_index", "create_primary_key", "create_unique_constraint",
                   "create_foreign_key", "create_check_constraint", "drop_constraint") and table:
        found.add(("keys", table))
        for listed in (op.get("columns"), op.get("local_cols")):
            if isinstance(listed, tuple):
                found |= {("col", table, _key(c)) for c in listed if isinstance(c, str)}
    for name in _to_type(ctx, op):
        found.add(("type", name))
    for st in ctx.sql(op):
        t = _key(st.table or "")
        if st.kind in ("create_table", "drop_table") and t:
            found.add(("table", t))
        if st.kind in ("create_type", "drop_type"):
            found |= {("type", _key(n)) for n in st.type_names()}
        renamed = st.type_renamed() if st.kind == "alter_type" else None
        if renamed:
            found |= {("type", _key(renamed[0])), ("type", _key(renamed[1]))}
        if st.kind == "alter_table" and t:
            if st.dropped_constraints() or st.added_constraints():
                found.add(("keys", t))
            for c in [*st.dropped_columns(), *(c for c, _d in st.added_columns()),
                      *(c for pair in st.renamed() for c in pair if c)]:
                found.add(("col", t, _key(c)))
            for m in st.action_matches(r"ALTER\s+(?:COLUMN\s+)?(\"[^\"]+\"|[\w$]+)"):
                found.add(("col", t, _key(m.group(1).strip('"'))))
        if st.kind in ("create_index", "drop_index") and t:
            found.add(("keys", t))
        m = st.find(r"^DROP\s+SEQUENCE\s+(?:IF\s+EXISTS\s+)?(?:\w+\.)?([\w$]+)_seq\b")
        if m:  # <table>_<column>_seq: the column's default goes with it
            tail = _key(m.group(1))
            for name, known in ctx.history.tables.items():
                if tail.startswith(name + "_") and tail[len(name) + 1:] in known.columns:
                    found.add(("col", name, tail[len(name) + 1:]))
    return found


def _share(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> bool:
    if a & b:
        return True
    tables_a = {o[1] for o in a if o[0] == "table"}
    tables_b = {o[1] for o in b if o[0] == "table"}
    return any(o[0] in ("col", "keys") and o[1] in tables_a for o in b) or any(
        o[0] in ("col", "keys") and o[1] in tables_b for o in a)


def _dependents(ctx: RuleContext, ordered: list[tuple[Operation, Phase]],
                contract: list[Operation]) -> list[Operation]:
    """The ops that move to the later revision: the contract ops; the neutral steps before
    them that prepare them on the same objects (a constraint, index, default or sequence
    dropped first); and every op after the first moved one that touches what a moved op
    touches (a new primary key on a column whose type changed, a column added under a
    name a rename frees, an enum type dropped once its columns moved), in their order.
    The expand half then runs without them, and the contract half as it did."""
    objects = {id(op): _objects(ctx, op) for op, _phase in ordered}
    moving = {id(op) for op in contract}
    for index, (op, phase) in enumerate(ordered):
        if id(op) not in {id(c) for c in contract}:
            continue
        tables = {o[1] for o in objects[id(op)] if o[0] in ("col", "keys", "table")}
        for earlier, earlier_phase in ordered[:index]:  # preparations of this contract op
            if earlier_phase is Phase.NONE and (
                    _share(objects[id(earlier)], objects[id(op)])
                    or any(o[0] == "keys" and o[1] in tables for o in objects[id(earlier)])) \
                    and (earlier.name in ("drop_constraint", "drop_index") or any(
                        st.kind in ("alter_table", "drop_index", "other")
                        for st in ctx.sql(earlier))):
                moving.add(id(earlier))
    first = next(i for i, (op, _p) in enumerate(ordered) if id(op) in moving)
    moved: set[tuple[str, ...]] = set()
    for op, _phase in ordered[first:]:
        if id(op) in moving:
            moved |= objects[id(op)]
        elif _share(objects[id(op)], moved) or any(
                st.kind == "drop_type" for st in ctx.sql(op)):
            moving.add(id(op))
            moved |= objects[id(op)]
    return [op for op, _phase in ordered if id(op) in moving]


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
    moved = _dependents(ctx, ordered, contract)
    if _movable(ctx, moved) and body is not None:
        fix, at = _split(ctx, moved), ("replace", body[0], body[1])
    else:
        fix = "\n".join([
            "# split this revision: keep the expand steps here, and move "
            + listing(contract) + " to a revision after the deploy",
            "# (they run in a helper or a loop, so the lines cannot be moved for you)"])
        at = ("insert", contract[0].line, 0)  # a note: the code stays as it is
    yield ctx.hit(
        f"upgrade() expands ({listing(expand)}) and contracts ({listing(contract)}): no deploy "
        "moment suits both halves; split it into an expand and a contract revision",
        fix, contract[0], fix_at=at, expand=[op.line for op in expand],
        contract=[op.line for op in contract])
