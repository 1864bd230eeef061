"""A column dropped and a similarly named one added to the same table: a rename that loses
the data.

What it finds:
    One upgrade() that drops a column of a table and adds a column to the same table whose
    name shares a word with it (`name` -> `full_name`, `pinned` -> `is_pinned`) and whose
    type is of the same family (text, integer, number, time, ...) or unknown. This is what
    `flask db migrate` / autogenerate writes for a renamed model attribute: it cannot tell
    a rename from a drop and an add. Drops and adds are paired one to one, most similar
    names first, never every drop with every add. The dropped column's type comes from the
    revision that created it, or from the `add_column` autogenerate wrote in downgrade().
    Not reported when the revision shows the values are taken care of: the dropped column
    is read before the drop (`UPDATE t SET new = f(old)`, `INSERT ... SELECT`,
    `t.update().values(new=t.c.old)`, rows read into a loop), the new column is filled
    (an UPDATE of it, a server default), it refers to a table this revision creates or
    replaces (its values cannot be the old ones), the table cannot hold rows yet
    (created or emptied just before, created by a revision at most 30 days older, or said
    to be empty), or the author says the dropped columns are no longer used. Same-name
    drops and re-adds are drop-and-re-add-column's.
    A warning, and opt-in: on real histories most such pairs are deliberate remodels, not
    renames (docs/precision.md).

Why it matters:
    If it is a rename, every value of the old column is thrown away and the new column
    starts empty (NULL): a silent data loss on production, which downgrade() cannot undo.

Example:
    op.add_column("users", sa.Column("full_name", sa.String(100), nullable=True))
    op.drop_column("users", "name")

Use instead:
    Keep the new column, copy the values (in batches) and drop the old one only once the
    deployed code no longer reads it, in a later revision:
    op.add_column("users", sa.Column("full_name", sa.String(100), nullable=True))
    # a later revision:
    op.execute("UPDATE users SET full_name = name WHERE full_name IS NULL")  # in batches
    op.drop_column("users", "name")
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from . import Hit, RuleContext, rule
from ..scripts.expressions import segment
from ..model import Severity
from ..scripts.operations import Operation
from ._data import batch_loop
from ._history import key
from ._quote import ident, qualified
from ._sql import from_text
from ._values import LATER, call, column_name, column_type, foreign_keys, is_call, quote, \
    type_family
from .add_not_null_column_without_default import recently_created, says_empty
from .drop_column import says_unused

# words that say nothing about what a column holds
_GENERIC = {"id", "at", "is", "has", "on", "by", "dt", "ts", "date", "time", "type", "flag",
            "count", "num", "no", "new", "old", "tmp", "temp", "value", "data", "key", "uuid",
            "enabled", "status", "state", "name"}


@dataclass
class Drop:
    op: Operation
    table: str
    column: str
    position: int


@dataclass
class Add:
    op: Operation
    table: str
    column: str
    type: Any
    definition: Any
    position: int


def words(name: str) -> set[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()
    return {w for w in re.split(r"[^a-z0-9]+", spaced) if w}


def similarity(old: str, new: str) -> float:
    """0 when the names share no meaningful word and neither contains the other; else the
    ratio of their spellings (1.0 for the same name)."""
    a, b = old.lower(), new.lower()
    shared = (words(a) & words(b)) - _GENERIC
    contained = (a in b or b in a) and min(len(a), len(b)) >= 4
    if not shared and not contained:
        return 0.0
    return max(SequenceMatcher(None, a, b).ratio(), 0.5)


def dropped_type(ctx: RuleContext, table: str, column: str) -> Any:
    known = ctx.history.column_type(table, column)
    if known is not None:
        return known
    for op in ctx.downgrade:  # autogenerate re-adds the dropped column in downgrade()
        col = ctx.resolve(op.get("column"))
        if op.name == "add_column" and key(ctx.table_of(op) or "") == key(table) \
                and key(column_name(col) or "") == key(column):
            return ctx.resolve(column_type(col))
    return None


def dropped_definition(ctx: RuleContext, table: str, column: str) -> Any:
    for op in ctx.downgrade:
        col = ctx.resolve(op.get("column"))
        if op.name == "add_column" and key(ctx.table_of(op) or "") == key(table) \
                and key(column_name(col) or "") == key(column):
            return col
    return None


def changes(ctx: RuleContext) -> tuple[list[Drop], list[Add]]:
    drops: list[Drop] = []
    adds: list[Add] = []
    for position, op in enumerate(ctx.upgrade):
        table = ctx.table_of(op)
        if table is not None and op.name == "drop_column" \
                and isinstance(op.get("column_name"), str):
            drops.append(Drop(op, table, op.get("column_name"), position))
        elif table is not None and op.name == "add_column":
            col = ctx.resolve(op.get("column"))
            if column_name(col):
                adds.append(Add(op, table, column_name(col) or "",
                                ctx.resolve(column_type(col)), col, position))
        for s in ctx.sql(op):
            if s.table and s.kind == "alter_table":
                drops += [Drop(op, s.table, c, position) for c in s.dropped_columns()]
                adds += [Add(op, s.table, c, None, None, position)
                         for c, _ in s.added_columns()]
    return drops, adds


def row_loops(ctx: RuleContext) -> list[str]:
    """The source of every loop of the revision's upgrade() (and its module's helpers) over
    values known only when it runs: rows of a query, a result, a session. Loops over
    literal lists, module constants holding them, range() and the like are not."""
    tree = ctx.file.tree
    if tree is None:
        return []
    literal = (ast.List, ast.Tuple, ast.Set, ast.Dict, ast.Constant)
    constants = {t.id for node in tree.body if isinstance(node, ast.Assign)
                 and isinstance(node.value, literal) for t in node.targets
                 if isinstance(t, ast.Name)}

    def known(node: ast.AST) -> bool:
        if isinstance(node, literal):
            return True
        if isinstance(node, ast.Name):
            return node.id in constants
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            return node.func.id in ("range", "zip", "enumerate", "sorted", "reversed") \
                and all(known(a) or isinstance(a, ast.Constant) for a in node.args)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            return node.func.attr in ("items", "keys", "values") and known(node.func.value)
        return False

    found: list[str] = []
    for func in tree.body:
        if not isinstance(func, ast.FunctionDef) or func.name == "downgrade":
            continue
        for node in ast.walk(func):
            if isinstance(node, (ast.For, ast.AsyncFor)) and not known(node.iter):
                found.append(segment(ctx.file.text, node) or "")
    return found


def values_kept(ctx: RuleContext, drop: Drop) -> bool:
    """The dropped column's values are read before the drop (copied or converted by SQL, or
    read in a loop over rows), or another column takes its name in this upgrade()."""
    if ctx.flow.copied_before(drop.table, drop.column, drop.position) is not None:
        return True
    if ctx.flow.renamed_into(drop.table, drop.column) is not None:
        return True  # a new column swapped into place under the old name
    pattern = re.compile(rf"(?<![\w$]){re.escape(drop.column)}(?![\w$])")
    return any(pattern.search(loop) for loop in row_loops(ctx))


def filled(ctx: RuleContext, add: Add) -> bool:
    """The new column does not start empty: a server default, or an UPDATE that sets it."""
    if is_call(add.definition) and add.definition.kwargs.get("server_default") is not None:
        return True
    return any(step.table == key(add.table) and step.writes(add.column)
               for step in ctx.flow.steps if step.position != add.position)


def referents(ctx: RuleContext, table: str, column: str, definition: Any) -> set[str]:
    """Tables ``table.column`` refers to: its sa.ForeignKey, or a create_foreign_key of this
    upgrade() on it."""
    found = {key(referent) for referent, _ in foreign_keys(definition)}
    for op in ctx.upgrade:
        if op.name != "create_foreign_key" or key(ctx.table_of(op) or "") != key(table):
            continue
        local = op.get("local_cols")
        referent = op.get("referent_table")
        if isinstance(local, tuple) and key(column) in {key(c) for c in local
                                                       if isinstance(c, str)} \
                and isinstance(referent, str):
            found.add(key(referent))
    return found


def old_referents(ctx: RuleContext, drop: Drop) -> set[str]:
    """Tables the dropped column referred to, as downgrade() re-creates it."""
    found = {key(r) for r, _ in foreign_keys(dropped_definition(ctx, drop.table, drop.column))}
    for op in ctx.downgrade:
        local = op.get("local_cols") if op.name == "create_foreign_key" else None
        if isinstance(local, tuple) and key(ctx.table_of(op) or "") == key(drop.table) \
                and key(drop.column) in {key(c) for c in local if isinstance(c, str)} \
                and isinstance(op.get("referent_table"), str):
            found.add(key(op.get("referent_table")))
    return found


def other_referent(ctx: RuleContext, drop: Drop, add: Add) -> bool:
    """The two columns refer to different tables (or the old one's table is dropped here):
    the old values are not keys of what the new column refers to."""
    old = old_referents(ctx, drop)
    new = referents(ctx, add.table, add.column, add.definition)
    dropped = {key(ctx.table_of(o) or "") for o in ctx.upgrade if o.name == "drop_table"}
    return bool(old & dropped) or bool(old and new and not old & new)


def refers_to_new_table(ctx: RuleContext, add: Add) -> bool:
    """The new column refers to a table this revision creates (or renames into place): its
    values cannot be the dropped column's."""
    created = {key(ctx.table_of(o) or "") for o in ctx.upgrade if o.name == "create_table"}
    created |= {key(o.get("new_table_name")) for o in ctx.upgrade
                if o.name == "rename_table" and isinstance(o.get("new_table_name"), str)}
    created |= {key(s.table) for o in ctx.upgrade for s in ctx.sql(o)
                if s.kind == "create_table" and s.table}
    return bool(referents(ctx, add.table, add.column, add.definition) & created)


def cannot_hold_rows(ctx: RuleContext, table: str, op: Operation) -> bool:
    return (ctx.is_new_table(table, op)
            or ctx.flow.emptied_before(table, ctx.position(op)) is not None
            or recently_created(ctx, table) or says_empty(ctx))


def pairs(ctx: RuleContext) -> Iterator[tuple[Drop, Add, float]]:
    """Drops and adds of one table paired one to one, most similar names first."""
    drops, adds = changes(ctx)
    if drops and says_unused(ctx):
        return  # the author says the dropped columns are no longer used: not renamed
    candidates: list[tuple[float, int, Drop, Add]] = []
    for i, drop in enumerate(drops):
        if values_kept(ctx, drop) or cannot_hold_rows(ctx, drop.table, drop.op):
            continue
        old_family = type_family(dropped_type(ctx, drop.table, drop.column))
        for add in adds:
            if key(add.table) != key(drop.table) or key(add.column) == key(drop.column):
                continue
            new_family = type_family(add.type)
            if old_family and new_family and old_family != new_family:
                continue
            if filled(ctx, add) or refers_to_new_table(ctx, add) \
                    or other_referent(ctx, drop, add):
                continue
            score = similarity(drop.column, add.column)
            if score > 0:
                candidates.append((score, -i, drop, add))
    used_drops: set[int] = set()
    used_adds: set[int] = set()
    for score, _, drop, add in sorted(candidates, key=lambda c: (-c[0], -c[1])):
        if id(drop) in used_drops or id(add) in used_adds:
            continue
        used_drops.add(id(drop))
        used_adds.add(id(add))
        yield drop, add, score


def _fix(ctx: RuleContext, drop: Drop, add: Add) -> str:
    """Drop nothing now; a later revision copies the values (in batches, only where the new
    column is still empty) and drops the old column."""
    d = ctx.dialect
    schema = drop.op.schema
    table = qualified(drop.table, schema, d)
    new, old = ident(add.column, d), ident(drop.column, d)
    statement = from_text(f"UPDATE {table} SET {new} = {old} WHERE {new} IS NULL")
    assert statement is not None
    drop_later = (
        f"with op.batch_alter_table({quote(drop.table)}"
        + (f", schema={quote(schema)}" if schema else "") + ") as batch_op:\n    "
        + call("batch_op.drop_column", drop.column)
        if d == "sqlite" else
        call("op.drop_column", drop.table, drop.column, **({"schema": schema} if schema else {})))
    return "\n".join([
        f"# {drop.table}.{add.column} replaces {drop.table}.{drop.column}: keep {drop.column} "
        "for now (the running release still reads it);",
        f"# a later revision copies its values into {add.column} and drops it. If "
        f"{add.column} is not {drop.column} renamed,",
        f"# and {drop.column}'s values may go, keep the drop and say so in a comment.",
        LATER,
        batch_loop(ctx, None, statement, drop.table, schema=schema),
        drop_later,
    ])


@rule("drop-add-looks-like-rename", Severity.WARNING,
      "Column dropped and a similarly named one added: a rename that loses the data",
      default=False)
def run(ctx: RuleContext) -> Iterator[Hit]:
    for drop, add, score in pairs(ctx):
        old_family = type_family(dropped_type(ctx, drop.table, drop.column))
        new_family = type_family(add.type)
        both = f" (both {old_family})" if old_family and old_family == new_family else ""
        yield ctx.hit(
            f"{drop.table}.{drop.column} is dropped and {drop.table}.{add.column} added{both},"
            f" and nothing copies the values: if {add.column} is {drop.column} renamed, every "
            f"value of {drop.column} is lost and {add.column} starts empty",
            _fix(ctx, drop, add), drop.op, table=drop.table, column=drop.column,
            new_column=add.column, add_line=add.op.line, similarity=round(score, 2))
