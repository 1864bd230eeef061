"""A revision that changes the schema with an empty downgrade().

What it finds:
    A revision whose upgrade() changes the schema (an `op.*` call that is not a data
    statement, or DDL in `op.execute`) while its downgrade() is empty (`pass`, a docstring,
    `...`). Steps that can run again unchanged are not counted: idempotent SQL (`IF NOT
    EXISTS`, `IF EXISTS`, `OR REPLACE`), temporary tables, an alter_column that sets a
    type, nullability or default, `ALTER TABLE ... VALIDATE CONSTRAINT` and settings
    (storage, statistics, owner, row security), an op that runs only when an inspection
    finds the schema as expected. A revision that changes no schema (a VALIDATE, `SET`,
    `ANALYZE`, a data fix) has nothing to undo: its empty downgrade() is a correct no-op. A downgrade() that raises on purpose (`raise NotImplementedError(...)`) is a
    decision and stays quiet, and so does a revision without downgrade() at all: Alembic
    then stops with AttributeError before it touches the version table.
    When no revision of the history has a working downgrade() (a forward-only history),
    this is one finding for the project, at its newest empty downgrade(), not one per
    revision.

Why it matters:
    Asked to downgrade, Alembic runs the empty downgrade(), which does nothing, and still
    moves alembic_version back: the database says it is at the previous revision while it
    keeps the new schema, and the next upgrade fails on objects that already exist.
    Rolling back a bad deploy becomes a manual repair.

Example:
    def upgrade():
        op.add_column("users", sa.Column("phone", sa.String(20)))

    def downgrade():
        pass

Use instead:
    def downgrade():
        op.drop_column("users", "phone")
    or, if the change truly cannot be undone, say so (Alembic then stops before moving the
    version):
    def downgrade():
        raise NotImplementedError("irreversible: ...")
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.expressions import Call, Name, segment
from ..scripts.operations import Operation, is_empty_body
from ..scripts.revision_file import RevisionFile
from ._sql import statements_of
from ._values import Code, call, column_name, quote, render, text_argument

_NOT_SCHEMA = {"execute", "bulk_insert", "get_bind", "get_context", "batch_alter_table",
               "inline_literal", "f", "run_async", "invoke"}
_DDL = {"alter_table", "create_index", "drop_index", "create_table", "drop_table",
        "create_type", "drop_type", "alter_type"}
_CONSTRAINT_TYPES = {"create_foreign_key": "foreignkey", "create_unique_constraint": "unique",
                     "create_check_constraint": "check", "create_primary_key": "primary"}
_PORTABLE_ROOTS = ("sa.", "sqlalchemy.", "postgresql.", "mysql.", "sqlite.", "op.")
_INSPECTING = re.compile(r"\b(inspect|get_columns|has_column|column_exists|get_table_names|"
                         r"has_table|table_exists|get_indexes|has_index|get_foreign_keys|"
                         r"get_unique_constraints|"
                         r"get_check_constraints|get_pk_constraint|get_sequence_names)\b")
# ALTER TABLE actions that can run again unchanged (nothing to undo, or undoing is not
# needed for the next upgrade to work): VALIDATE CONSTRAINT, storage and statistics
# settings, ownership, row security, triggers switched on or off, a type, default or
# nullability set again
_REPEATABLE_ACTION = (r"(?:(?:ENABLE|DISABLE)\s+(?:ALWAYS\s+|REPLICA\s+)?TRIGGER\b|"
                      r"VALIDATE\s+CONSTRAINT\b|SET\s*\(|RESET\s*\(|SET\s+(?:UN)?LOGGED\b|"
                      r"SET\s+(?:WITHOUT\s+CLUSTER|TABLESPACE|ACCESS\s+METHOD)\b|CLUSTER\s+ON\b|"
                      r"OWNER\s+TO\b|REPLICA\s+IDENTITY\b|"
                      r"(?:ENABLE|DISABLE|FORCE|NO\s+FORCE)\s+ROW\s+LEVEL\s+SECURITY\b|"
                      r"ALTER\s+(?:COLUMN\s+)?\S+\s+(?:(?:SET\s+DATA\s+)?TYPE\b|SET\s+DEFAULT\b|"
                      r"DROP\s+DEFAULT\b|SET\s+NOT\s+NULL\b|DROP\s+NOT\s+NULL\b|"
                      r"SET\s+(?:STATISTICS|STORAGE|COMPRESSION)\b|SET\s*\(|RESET\s*\())")
POLICY_MIN = 3  # revisions that change the schema before a history counts as forward-only


class NotInvertible(Exception):
    """An upgrade() op whose undoing cannot be written from the revision alone."""


def schema_changes(rf: RevisionFile, ops: list[Operation] | None = None) -> list[Operation]:
    """upgrade()'s operations that change the schema for good (DDL in op.execute included).
    Idempotent steps (`IF NOT EXISTS`, `IF EXISTS`, `OR REPLACE`, `if_not_exists=True`, an
    alter_column that sets a type, nullability or default, an op behind an inspection)
    and temporary tables are not: running the upgrade again after an empty downgrade
    cannot fail on them."""
    found = []
    guarded = _inspected_lines(rf)
    ops = ops if ops is not None else rf.ops("upgrade")
    rebuilt = {(op.table or "").lower() for i, op in enumerate(ops) if op.name == "drop_table"
               and any(o.name == "create_table" and o.table == op.table for o in ops[i + 1:])}
    for op in ops:
        if op.table and op.table.lower() in rebuilt and op.name in (
                "drop_table", "create_table", "create_index", "create_foreign_key",
                "create_unique_constraint", "create_check_constraint", "create_primary_key"):
            continue  # dropped and created again here: the upgrade can run again
        if op.name not in _NOT_SCHEMA:
            if op.kwargs.get("if_not_exists") is True or op.kwargs.get("if_exists") is True:
                continue
            if op.name == "alter_column" and op.kwargs.get("new_column_name") is None:
                continue  # a type, nullability or default set again: runs twice
            if op.line in guarded or any(line in guarded for line in op.via):
                continue  # only when an inspection finds the schema as expected
            found.append(op)
        elif op.name == "execute":
            raw = text_argument(op.get("sqltext")) or ""
            if re.match(r"\s*DO\b", raw, re.IGNORECASE) and re.search(
                    r"\bIF\s+(?:NOT\s+)?EXISTS\b", raw, re.IGNORECASE):
                continue  # a PL/pgSQL block that checks the catalog first
            statements = statements_of(op, None)
            temporary = {s.table for s in statements if s.kind == "create_table" and s.table
                         and re.search(r"\bTEMP(?:ORARY)?\b", s.text, re.IGNORECASE)}
            if any(s.kind in _DDL and s.table not in temporary
                   and not (s.kind == "alter_table" and s.actions and all(
                       re.match(_REPEATABLE_ACTION, a, re.IGNORECASE) for a in s.actions))
                   and not re.search(r"\bIF\s+(?:NOT\s+)?EXISTS\b|\bOR\s+REPLACE\b", s.text,
                                     re.IGNORECASE)
                   and not (s.kind == "drop_table" and set(s.dropped_tables()) <= temporary)
                   for s in statements):
                found.append(op)
    return found


def _inspected_lines(rf: RevisionFile) -> set[int]:
    """Lines that run only when an inspection of the live database says so (``if "t" in
    inspector.get_table_names():``): those ops can run again after an empty downgrade."""
    tree = rf.tree
    if tree is None or not _INSPECTING.search(rf.text):
        return set()
    def about_inspection(node: ast.AST, names: set[str]) -> bool:
        return bool(_INSPECTING.search(segment(rf.text, node) or "")) or any(
            isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))

    inspected: set[str] = set()
    for _ in range(3):  # names holding an inspection, or computed from one
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and about_inspection(node.value, inspected):
                inspected |= {t.id for t in node.targets if isinstance(t, ast.Name)}
            elif isinstance(node, (ast.For, ast.comprehension)) \
                    and about_inspection(node.iter, inspected):
                inspected |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    lines: set[int] = set()
    for node in ast.walk(tree):
        guarded = (node.test if isinstance(node, ast.If) else
                   node.iter if isinstance(node, ast.For) else None)
        if guarded is not None and about_inspection(guarded, inspected):
            for stmt in node.body:
                lines.update(range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1))
    return lines


def downgrade_state(rf: RevisionFile) -> str:
    """"working", "empty", "missing" or "raises"."""
    func = rf.function("downgrade")
    if func is None:
        return "missing"
    if is_empty_body(func):
        return "empty"
    if all(isinstance(s, (ast.Raise, ast.Pass)) or (isinstance(s, ast.Expr)
                                                   and isinstance(s.value, ast.Constant))
           for s in func.body):
        return "raises"
    return "working"


def _portable(value: Any, module_names: set[str]) -> bool:
    """A value that can be pasted into downgrade(): a literal, or an expression built from
    SQLAlchemy / dialect types and module-level names (not upgrade()'s locals)."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return True
    if isinstance(value, tuple):
        return all(_portable(v, module_names) for v in value)
    if isinstance(value, dict):
        return all(_portable(v, module_names) for v in value.values())
    if isinstance(value, Name):
        return value.dotted.startswith(_PORTABLE_ROOTS) or \
            value.dotted.split(".", 1)[0] in module_names
    if isinstance(value, Call):
        root = value.func.split(".", 1)[0]
        return (value.func.startswith(_PORTABLE_ROOTS) or root in module_names) and all(
            _portable(v, module_names) for v in (*value.args, *value.kwargs.values()))
    return False  # Unknown


def inverse(ctx: RuleContext, op: Operation, module_names: set[str]) -> str:
    """The downgrade() line that undoes one upgrade() op; NotInvertible when the revision
    alone cannot say how."""
    table = ctx.table_of(op)
    name = op.name
    if table is None:
        raise NotInvertible(f"{name} on a table known only when it runs")
    schema = {"schema": op.schema} if op.schema and not op.is_batch else {}
    batch = op.is_batch

    def batch_call(func: str, *args: Any, **kwargs: Any) -> str:
        if not batch:
            return call(f"op.{func}", table, *args, **schema, **kwargs)
        opts = ", ".join(f"{k}={render(v)}" for k, v in op.batch_kwargs.items()
                         if k in ("schema", "recreate", "table_kwargs")
                         and _portable(v, module_names))
        return (f"with op.batch_alter_table({quote(table)}{', ' + opts if opts else ''}) "
                f"as batch_op:\n    " + call(f"batch_op.{func}", *args, **kwargs))

    if name == "create_table":
        return call("op.drop_table", table, **schema)
    if name == "add_column":
        column = column_name(ctx.resolve(op.get("column")))
        if column is None:
            raise NotInvertible("add_column of a column known only when it runs")
        return batch_call("drop_column", column)
    if name == "create_index":
        index = op.get("index_name")
        if not isinstance(index, str) and not (isinstance(index, Call) and index.name == "f"):
            raise NotInvertible("create_index without a literal name")
        if batch:
            return batch_call("drop_index", index)
        return call("op.drop_index", index, table_name=table, **schema)
    if name in _CONSTRAINT_TYPES:
        constraint = op.get("constraint_name")
        if constraint is None or not _portable(constraint, module_names):
            raise NotInvertible(f"{name} without a name")
        if batch:
            return batch_call("drop_constraint", constraint, type_=_CONSTRAINT_TYPES[name])
        return call("op.drop_constraint", constraint, table, type_=_CONSTRAINT_TYPES[name],
                    **schema)
    if name == "rename_table":
        new = op.get("new_table_name")
        if not isinstance(new, str):
            raise NotInvertible("rename_table to a name known only when it runs")
        return call("op.rename_table", new, table, **schema)
    if name == "alter_column":
        column = op.get("column_name")
        if not isinstance(column, str):
            raise NotInvertible("alter_column of a column known only when it runs")
        kwargs: dict[str, Any] = {}
        new = op.kwargs.get("new_column_name")
        if isinstance(new, str):
            kwargs["new_column_name"] = column
            column = new
        if isinstance(op.kwargs.get("nullable"), bool):
            kwargs["nullable"] = not op.kwargs["nullable"]
        if "type_" in op.kwargs:
            if "existing_type" not in op.kwargs:
                raise NotInvertible(f"alter_column of {table}.{column}'s type without "
                                    "existing_type")
            kwargs["type_"] = op.kwargs["existing_type"]
            kwargs["existing_type"] = op.kwargs["type_"]
        elif "existing_type" in op.kwargs:
            kwargs["existing_type"] = op.kwargs["existing_type"]
        if "server_default" in op.kwargs:
            if "existing_server_default" not in op.kwargs:
                raise NotInvertible(f"alter_column of {table}.{column}'s default without "
                                    "existing_server_default")
            kwargs["server_default"] = op.kwargs["existing_server_default"]
        if not kwargs or not _portable(tuple(kwargs.values()), module_names):
            raise NotInvertible(f"alter_column of {table}.{column} with values known only "
                                "in upgrade()")
        return batch_call("alter_column", column, **kwargs)
    if name == "drop_column":
        column = op.get("column_name")
        known = ctx.history.table(table)
        col = known.columns.get(column.lower()) if known and isinstance(column, str) else None
        if col is None or col.type is None or not _portable(col.type, module_names):
            raise NotInvertible(f"drop_column {table}.{column}, whose type is not known here")
        # re-added nullable: the values are gone, and NOT NULL would fail on the rows
        return batch_call("add_column", Code(f"sa.Column({quote(column)}, "
                                             f"{render(col.type)}, nullable=True)"))
    if name == "drop_table":
        known = ctx.history.table(table)
        if known is None or not known.columns or any(
                c.type is None or not _portable(c.type, module_names)
                for c in known.columns.values()):
            raise NotInvertible(f"drop_table {table}, whose columns are not known here")
        columns = [f"sa.Column({quote(n)}, {render(c.type)}, nullable={c.nullable})"
                   for n, c in known.columns.items()]
        return ("# the table comes back empty, without its constraints and indexes\n"
                + call("op.create_table", table, *map(Code, columns), **schema))
    raise NotInvertible(f"{name} {table}")


def body_for(ctx: RuleContext, changes: list[Operation]) -> tuple[list[str], list[str]]:
    """downgrade()'s body: the inverse of each change, last first; and what cannot be
    inverted (then the body raises instead)."""
    tree = ctx.file.tree
    module_names = {t.id for node in (tree.body if tree else [])
                    if isinstance(node, (ast.Assign, ast.Import, ast.ImportFrom))
                    for t in (node.targets if isinstance(node, ast.Assign) else [])
                    if isinstance(t, ast.Name)}
    module_names |= {(a.asname or a.name).split(".")[0] for node in (tree.body if tree else [])
                     if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
    lines: list[str] = []
    missing: list[str] = []
    for op in reversed(changes):
        try:
            lines.append(inverse(ctx, op, module_names))
        except NotInvertible as exc:
            missing.append(f"{str(exc)} (line {op.line})")
    return lines, missing


def _policy(ctx: RuleContext) -> dict[str, int] | None:
    return _policy_of(ctx.files)


@lru_cache(maxsize=8)
def _policy_of(files: tuple[RevisionFile, ...]) -> dict[str, int] | None:
    """Counts of downgrade() states when no revision that changes the schema has a working
    downgrade() and at least one has an empty one; None otherwise."""
    counts = {"empty": 0, "missing": 0, "raises": 0}
    changing = 0
    for rf in files:
        if not schema_changes(rf):
            continue
        changing += 1
        state = downgrade_state(rf)
        if state == "working":
            return None
        counts[state] += 1
    if changing < POLICY_MIN or not counts["empty"]:
        return None
    return counts


@rule("missing-downgrade", Severity.WARNING, "Schema change with an empty downgrade")
def run(ctx: RuleContext) -> Iterator[Hit]:
    if downgrade_state(ctx.file) != "empty":
        return
    changes = schema_changes(ctx.file, ctx.upgrade)
    if not changes:
        return
    line = ctx.file.function_lines.get("downgrade")
    body = ctx.function_body("downgrade")
    at = ("replace", body[0], body[1]) if body else None
    policy = _policy(ctx)
    if policy is not None:
        newest = next((rf for rf in reversed(ctx.files) if downgrade_state(rf) == "empty"
                       and schema_changes(rf)), None)
        if newest is not None and newest is not ctx.file:
            return  # one finding for the project, at its newest empty downgrade()
        total = sum(policy.values())
        yield ctx.hit(
            f"no revision of this history has a working downgrade() ({policy['empty']} "
            f"empty, {policy['missing']} without one, {policy['raises']} raising, of {total} "
            "that change the schema): asked to downgrade, Alembic runs each empty "
            "downgrade(), which does nothing, and still moves alembic_version back, so the "
            "database claims an older revision while it keeps the newer schema and the next "
            "upgrade fails on objects that exist (where downgrade() is missing it stops with "
            "AttributeError instead). Make the forward-only policy explicit",
            "\n".join([
                "# forward-only history: make a downgrade stop before it moves the version;",
                "# put the same body in script.py.mako's downgrade() (and in the empty ones)",
                "raise NotImplementedError(" + quote(
                    f"{ctx.revision}: this project does not downgrade; restore a backup "
                    "instead") + ")"]),
            line, fix_at=at, empty=policy["empty"], missing=policy["missing"],
            raises=policy["raises"], project=True)
        return
    changing = {id(op) for op in changes}
    every = [op for op in ctx.upgrade if op.name not in _NOT_SCHEMA or id(op) in changing]
    lines, missing = body_for(ctx, every)
    if missing:
        fix = "\n".join(
            [f"# {m}: cannot be undone from this revision alone" for m in missing]
            + (["# what can be undone, last first:"] + [f"#   {x}" for x in
                                                          "\n".join(lines).splitlines()]
               if lines else [])
            + ["raise NotImplementedError(" + quote(
                f"{ctx.revision} cannot be downgraded automatically: undo it by hand") + ")"])
    else:
        fix = "\n".join(lines)
    tables = sorted({t for t in (ctx.table_of(op) for op in changes) if t})
    yield ctx.hit(
        f"upgrade() changes the schema ({len(changes)} operation"
        f"{'s' if len(changes) > 1 else ''} on {', '.join(tables) or 'the schema'}) but "
        "downgrade() is empty: a downgrade would move alembic_version back and leave the "
        "schema as it is, and the next upgrade fails on what already exists",
        fix, line or changes[0].line, fix_at=at, tables=tables)
