"""A column dropped while code may still use it.

What it finds:
    `op.drop_column(...)`, `batch_op.drop_column(...)` or `ALTER TABLE ... DROP COLUMN` in
    upgrade(), on a table this revision did not create. Not reported when the running
    release cannot be selecting the column:
    - the column was added by this same upgrade() (a temporary column);
    - another column takes its name in this upgrade() (re-added with a new type, or a new
      column renamed into it: the swap of a type change);
    - the table itself is dropped later in this upgrade() (drop-table's finding);
    - its name says it was put aside (`old_user_id`, `email_deprecated`, `notes_bak`);
    - an earlier revision shows it was retired: renamed aside while a new column took its
      name, or made nullable (the first step of retiring a column: the code stops writing
      it, a later revision drops it);
    - the author says the code no longer uses it ("unused", "no longer used",
      "deprecated", "obsolete", "removed from the model", ...), or the drop only runs
      when an inspection finds the column (a clean-up of drift, behind `if ... in
      inspector.get_columns(...)`).

    Whether the release running during the deploy still maps the column cannot be read
    from the revisions alone: the finding says what happens if it does.

Why it matters:
    Dropping is a contract step. The application servers still running the previous
    release select that column (SQLAlchemy names every mapped column in its queries), so
    they fail with `column "phone" does not exist` from the moment the migration commits
    until the new code is everywhere. The data is gone, and downgrade() cannot bring it
    back.

Example:
    op.drop_column("users", "phone")

Use instead:
    Stop using the column first: remove it from the model (or list it in
    `__mapper_args__ = {"exclude_properties": ["phone"]}`) and deploy that code. Then,
    in a later revision that runs after the deploy, say so and drop it:
    # users.phone is no longer used: the model lost it in the previous release
    op.drop_column("users", "phone")
"""

from __future__ import annotations

import ast
from functools import lru_cache
import re
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..scripts.expressions import segment
from ..model import Severity
from ..scripts.operations import Operation
from ._data import prose
from ._history import key
from ._values import LATER, call, quote

# the author's words that the running code does not use the column or table any more
UNUSED = re.compile(
    r"\bunused\b|\bno longer (?:used|needed|in use|mapped|read|referenced|required)\b|"
    r"\bnot (?:used|in use|mapped|referenced) (?:any ?more|anywhere|by)\b|\bnot used\b|"
    r"\bnever (?:used|mapped|read)\b|\bobsolete\b|\bdeprecated\b|\blong[- ]forgotten\b|"
    r"\bleft ?over\b|\brelics?\b|\bunmapped\b|\bdead (?:column|table|field)s?\b|"
    r"\bremoved (?:from (?:the )?(?:model|models|orm|code)|in (?:v?\d|[0-9a-f]{7,}|commit|"
    r"release|version))", re.IGNORECASE)
# a name that says it is kept aside: renamed out of the way when the code stopped using it
RETIRED_NAME = re.compile(r"^(?:old|deprecated|unused|obsolete|bak|backup)_|"
                          r"_(?:old|deprecated|unused|obsolete|bak|backup)$", re.IGNORECASE)
_INSPECTING = re.compile(r"\b(inspect|get_columns|has_column|column_exists|get_table_names|"
                         r"has_table|table_exists|get_indexes|has_index|get_foreign_keys|"
                         r"get_unique_constraints|"
                         r"get_check_constraints|get_pk_constraint|get_sequence_names)\b")


def says_unused(ctx: RuleContext) -> str | None:
    m = UNUSED.search(prose(ctx))
    return m.group(0) if m else None


def behind_inspection(ctx: RuleContext, op: Operation) -> bool:
    """The op only runs when an inspection of the live database says so (``if "x" in
    [c["name"] for c in inspector.get_columns("t")]:``, also through a variable holding
    the inspection): a clean-up of drift."""
    if ctx.file.tree is None:
        return False
    ranges = _inspection_ranges(ctx.file.tree, ctx.file.text)
    return any(start <= line <= end for line in (op.line, *op.via) for start, end in ranges)


@lru_cache(maxsize=64)
def _inspection_ranges(tree: ast.AST, text: str) -> tuple[tuple[int, int], ...]:
    """The statements of the file that run only behind an inspection (read once a file)."""
    if not _INSPECTING.search(text):
        return ()
    inspected = {t.id for node in ast.walk(tree) if isinstance(node, ast.Assign)
                 and _INSPECTING.search(segment(text, node.value) or "")
                 for t in node.targets if isinstance(t, ast.Name)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.If):
            continue
        test = node.test
        if not (_INSPECTING.search(segment(text, test) or "") or any(
                isinstance(n, ast.Name) and n.id in inspected for n in ast.walk(test))):
            continue
        found.extend((stmt.lineno, stmt.end_lineno or stmt.lineno) for stmt in node.body)
    return tuple(found)


def _table_dropped_later(ctx: RuleContext, table: str, op: Operation) -> bool:
    return ctx.flow.later_drops.get(key(table), -1) > ctx.position(op)


def _name_survives(ctx: RuleContext, table: str, column: str, op: Operation) -> bool:
    """Another column holds the name once upgrade() is done (re-added or renamed into it)."""
    at = ctx.position(op)
    added = ctx.flow.added_at(table, column)
    renamed = ctx.flow.renamed_into(table, column)
    return (added is not None and added > at) or (renamed is not None and renamed > at) or \
        ctx.flow.sql_added_columns.get((key(table), key(column)), -1) > at


def temporary(ctx: RuleContext, table: str, column: str, op: Operation) -> bool:
    added = ctx.flow.added_at(table, column)
    return added is not None and added < ctx.position(op)


def _fix(ctx: RuleContext, op: Operation, table: str, column: str, sql: bool) -> str:
    schema = op.schema
    if ctx.dialect == "sqlite":
        drop = "\n".join([
            f"with op.batch_alter_table({quote(table)}"
            + (f", schema={quote(schema)}" if schema else "") + ") as batch_op:",
            "    " + call("batch_op.drop_column", column)])
    else:
        drop = call("op.drop_column", table, column, **({"schema": schema} if schema else {}))
    return "\n".join([
        f"# {table}.{column} goes in two steps: first deploy code without it (remove it from "
        "the model, or exclude it:",
        f'# __mapper_args__ = {{"exclude_properties": ["{column}"]}}), then drop it in a '
        f"revision after {ctx.revision}:",
        LATER,
        f"# {table}.{column} is no longer used: the deployed code does not map it any more",
        drop,
    ]) if not sql else "\n".join([
        f"# {table}.{column}: deploy code without it first; drop it in a revision after "
        f"{ctx.revision}, saying it is no longer used",
        LATER,
        f"# {table}.{column} is no longer used: the deployed code does not map it any more",
        drop,
    ])


def without_action(ctx: RuleContext, op: Operation, action: str) -> str | None:
    """``op.execute("ALTER TABLE t <actions>")`` without the actions matching ``action``
    (nothing when none is left); None when the op is not one such statement."""
    statements = ctx.sql(op)
    if len(statements) != 1 or statements[0].kind != "alter_table":
        return None
    s = statements[0]
    m = re.match(r"(ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?\S+)\s", s.text,
                 re.IGNORECASE)
    if m is None:
        return None
    keep = [a.strip() for a in s.actions if not re.match(action, a.strip(), re.IGNORECASE)]
    if not keep:
        return ""
    return f"op.execute({quote(m.group(1) + ' ' + ', '.join(keep))})"


@rule("drop-column", Severity.WARNING, "Column dropped while running code may still use it",
      online=True)
def run(ctx: RuleContext) -> Iterator[Hit]:
    found: list[tuple[Operation, str | None, str, bool]] = []
    for op in ctx.upgrade:
        if op.name == "drop_column" and isinstance(op.get("column_name"), str):
            found.append((op, ctx.table_of(op), op.get("column_name"), False))
        statements = ctx.sql(op)
        for s in statements:
            found.extend((op, s.table, column, len(statements) == 1
                          and len(s.actions) == 1) for column in s.dropped_columns())
    if found and says_unused(ctx):
        return
    for op, table, column, whole_op in found:
        if table is None:
            continue
        if RETIRED_NAME.search(column) or RETIRED_NAME.search(table):
            continue  # named as kept aside: the code stopped using it before
        if ctx.history.retired_how(table, column) or ctx.history.retired_how(table):
            continue  # an earlier revision put it aside or moved its data: retired before
        if ctx.is_new_table(table, op) or temporary(ctx, table, column, op) \
                or _name_survives(ctx, table, column, op) \
                or _table_dropped_later(ctx, table, op) or behind_inspection(ctx, op):
            continue
        is_sql = op.name == "execute"
        fix = _fix(ctx, op, table, column, is_sql)
        if is_sql and not whole_op:
            rest = without_action(ctx, op, r"DROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?"
                                           rf"\"?{re.escape(column)}\"?(?![\w$])")
            if rest is None:
                continue  # several statements: nothing to cut out safely
            first, _, later = fix.partition(LATER)
            fix = first + rest + "\n" + LATER + later
        yield ctx.hit(
            f"{table}.{column} is dropped: if the release running during the deploy still maps "
            "it, its queries fail (SQLAlchemy selects every mapped column) until the new code "
            "is deployed everywhere; and its data cannot be restored by downgrade()", fix, op,
            table=table, column=column)
