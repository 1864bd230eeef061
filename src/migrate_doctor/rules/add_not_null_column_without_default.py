"""A NOT NULL column added to an existing table without a server default.

What it finds:
    `op.add_column(...)` (or `batch_op.add_column(...)`, or `ALTER TABLE ... ADD COLUMN ...
    NOT NULL` in `op.execute`) of a column with `nullable=False` (or `primary_key=True`) and
    no `server_default`, on a table that holds rows. A Python-side `default=` does not
    count: the database never sees it. Not reported when the table cannot hold rows yet:
    created by this revision, emptied just before (`DELETE FROM t`, `TRUNCATE t`), created
    by a revision dated at most 30 days earlier (both ship in one release), or said to be
    empty by the author ("no existing data", "table is empty", ...). A table created 31
    to 90 days earlier may still be empty where the revision ships: a warning. Not reported either
    for columns the database fills itself: an integer primary key (SERIAL /
    AUTO_INCREMENT), an `Identity()`, a `Computed()` column; on SQLite, an `Integer`
    primary key added by a batch that re-creates the table (`recreate="always"`, or another
    operation of the block that needs it): it is `INTEGER PRIMARY KEY`, the rowid, filled
    by the copy.
    In downgrade(), the same column re-added NOT NULL (autogenerate re-adds what upgrade()
    dropped) fails the rollback the same way: a warning.
    On MySQL the statement does not fail (MySQL fills in '' or 0): a warning there, and
    none when that implicit value is the column's own default (`default=False`, `0`, `''`)
    or when the same upgrade() then writes the column in every row (an UPDATE without
    WHERE, or row by row in a loop, also through an ORM Session).

Why it matters:
    The rows already in the table have no value for the new column. PostgreSQL and SQLite
    refuse (`column "phone" contains null values`, `Cannot add a NOT NULL column with
    default value NULL`) and the deploy stops half-way; MySQL quietly fills in `''` or `0`.
    It works on an empty development database and fails on production.

Example:
    op.add_column("users", sa.Column("phone_verified", sa.Boolean(), nullable=False))

Use instead:
    Give the existing rows a value with a constant server default (PostgreSQL 11+ adds it
    without rewriting the table, and inserts by the old code get it too):
    op.add_column("users", sa.Column("phone_verified", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    When no constant suits every row: add it nullable, fill it in batches, and make it NOT
    NULL in later revisions (on PostgreSQL through `CHECK (... IS NOT NULL) NOT VALID`,
    then `VALIDATE CONSTRAINT`, then `SET NOT NULL`; see set-not-null).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.expressions import Call, Name
from ..scripts.operations import Operation
from ._data import prose
from ._fixes import batch_block, header_lines, nested_in_block, recreate_always
from ._quote import ident, qualified
from ._values import (LATER, Code, call, column_name, column_type, foreign_keys, is_call,
                      is_not_null, quote, type_family, type_name, type_source)

RECENT_DAYS = 30
YOUNG_DAYS = 90  # a table this young may still be empty where it ships: a warning
_EMPTY_WORDS = re.compile(
    r"\bno (?:existing |real |production )?(?:data|rows|records|entries)\b|"
    r"\b(?:table|tables) (?:is|are) (?:still )?empty\b|\bempty (?:table|tables)\b|"
    r"\bnot (?:yet )?(?:released|in use|used yet)\b|\bunreleased\b|"
    r"\b(?:don't|do not|doesn't|does not) (?:yet )?(?:have |contain |hold )?any "
    r"(?:data|rows|records|entries)\b|"
    r"\bassumes? (?:the table is |there is |there are )?(?:empty|no )", re.IGNORECASE)
_FILLED_BY_DATABASE = {"Identity", "Computed", "Sequence", "FetchedValue"}
_SQL_FILLED = re.compile(r"\b(DEFAULT|GENERATED|IDENTITY|AUTO_INCREMENT|AUTOINCREMENT|SERIAL|"
                         r"BIGSERIAL|SMALLSERIAL)\b", re.IGNORECASE)


def _filled_by_database(ctx: RuleContext, column: Call, type_: Any) -> bool:
    """The database gives existing rows a value: a sequence/identity/computed column, or an
    integer primary key (SERIAL on PostgreSQL, AUTO_INCREMENT on MySQL)."""
    if any(is_call(arg, *_FILLED_BY_DATABASE) for arg in column.args):
        return True
    if any(is_call(v, *_FILLED_BY_DATABASE) for v in column.kwargs.values()):
        return True
    if column.kwargs.get("primary_key") is True and type_family(type_) == "integer" \
            and column.kwargs.get("autoincrement") is not False \
            and ctx.dialect in ("postgresql", "mysql", None):
        return True
    return False


def _sqlite_rowid(ctx: RuleContext, op: Operation, table: str | None, column: Call,
                  type_: Any, recreating: bool = True) -> bool:
    """SQLite, batch mode: an ``Integer`` primary key added while the batch re-creates the
    table is ``INTEGER PRIMARY KEY``, the alias of the rowid, which the copy of the rows
    fills. The batch re-creates the table when told to (``recreate="always"``, also
    through a name assigned per database) or when another operation of the block, run
    whatever the block's conditions, needs it (anything but add_column and indexes)."""
    if ctx.dialect != "sqlite" or not op.is_batch or column.kwargs.get("primary_key") is not True:
        return False
    if type_name(type_) not in ("Integer", "INTEGER") and not (
            isinstance(type_, Name) and type_.last in ("Integer", "INTEGER")):
        return False
    known = ctx.history.table(table)
    name = (column_name(column) or "").lower()
    if known is not None and known.primary_key and known.primary_key != (name,):
        return False  # a second key column: a composite key, no rowid alias
    if not recreating:
        return True  # a rowid alias, if the batch re-created the table
    recreate = _for_dialect(ctx, op.batch_kwargs.get("recreate", "auto"))
    if recreate == "always":
        return True
    if recreate == "never":
        return False
    block = batch_block(ctx.file, op)
    if block is None:
        return False
    start, end, _lines = block
    for other in ctx.upgrade:
        if other is op or not other.is_batch or not start <= other.line <= end:
            continue
        if other.name not in ("add_column", "create_index", "drop_index", "execute") \
                and not nested_in_block(ctx.file, start, end, other.line):
            return True
    return False


def _recreate_fix(ctx: RuleContext, op: Operation, table: str, name: str) -> tuple[str, Any]:
    """The batch told to re-create the table: the new key is then the rowid, filled by the
    copy of the rows."""
    block = batch_block(ctx.file, op)
    assert block is not None
    start, end, body = block
    n = header_lines(body)
    head = recreate_always("\n".join(body[:n]))
    return "\n".join([
        f"# SQLite: re-create {table} in batch mode, so that {name} is INTEGER PRIMARY KEY, "
        "the rowid, which the copy of the rows fills",
        head, *body[n:]]), ("replace", start, end)


def _for_dialect(ctx: RuleContext, value: Any) -> Any:
    """A value as it is on the target: a name assigned ``"always" if <test of the
    database> else "auto"`` is decided for the dialect."""
    import ast as _ast

    from ._guards import _assignments, _evaluate

    if not isinstance(value, Name) or ctx.file.tree is None or ctx.dialect is None:
        return ctx.resolve(value)
    names = _assignments(ctx.file.tree)
    node = names.get(value.dotted)
    if isinstance(node, _ast.IfExp) and all(isinstance(b, _ast.Constant)
                                            for b in (node.body, node.orelse)):
        decided = _evaluate(node.test, ctx.dialect, names)
        if decided is not None:
            return (node.body if decided else node.orelse).value
    return ctx.resolve(value)


_MYSQL_IMPLICIT = {"boolean": (False, 0), "integer": (0,), "number": (0, 0.0), "text": ("",)}


def _implicit_is_intended(ctx: RuleContext, column: Call, type_: Any) -> bool:
    """MySQL: the column's own (Python-side) default is the very value MySQL gives the rows
    already there (``default=False`` on a boolean, ``0``, ``''``): nothing wrong is stored."""
    if ctx.dialect != "mysql" or "default" not in column.kwargs:
        return False
    default = column.kwargs["default"]
    allowed = _MYSQL_IMPLICIT.get(type_family(type_) or "", ())
    return any(default == v and type(default) is type(v) for v in allowed)


def filled_after(ctx: RuleContext, op: Operation, table: str | None, column: str) -> bool:
    """The same upgade() then gives every row of table.column its value: an UPDATE that
    sets it with no WHERE, or row by row in a loop (SQL, or a SQLAlchemy ``.update()
    .values(column=...)`` on the table, also run through an ORM Session or a helper the
    collector does not follow)."""
    if table is None:
        return False
    step = ctx.flow.filled_after(table, column, ctx.position(op))
    if step is not None and (not step.statement.has_where or ctx.in_loop(step.op)):
        return True
    return _fills_in_code(ctx, op, table, column)


def _fills_in_code(ctx: RuleContext, op: Operation, table: str, column: str) -> bool:
    import ast as _ast

    tree = ctx.file.tree
    if tree is None or "update" not in ctx.file.text.lower():
        return False
    down = ctx.file.function("downgrade")
    skip = range(down.lineno, (down.end_lineno or down.lineno) + 1) if down else range(0)
    loops = [(n.lineno, n.end_lineno or n.lineno) for n in _ast.walk(tree)
             if isinstance(n, (_ast.For, _ast.While, _ast.comprehension))
             and hasattr(n, "lineno")]
    sql = re.compile(rf"^\s*UPDATE\s+\W?{re.escape(table)}\W?\s+SET\b.*?\b{re.escape(column)}"
                     r"\W?\s*=", re.IGNORECASE | re.DOTALL)
    for node in _ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if line in skip or (op.line <= line <= op.end_line):
            continue
        in_loop = any(a <= line <= b for a, b in loops)
        if isinstance(node, _ast.Constant) and isinstance(node.value, str) \
                and sql.search(node.value) and (in_loop or not re.search(
                    r"\bWHERE\b", node.value, re.IGNORECASE)):
            return True
        if isinstance(node, _ast.Call) and isinstance(node.func, _ast.Attribute) \
                and node.func.attr == "values":
            source = _ast.get_source_segment(ctx.file.text, node) or ""
            m = re.match(r"\s*(?:(?:sa|sqlalchemy)\.)?update\(\s*(\w+)|\s*(\w+)\.update\(", source)
            var = (m.group(1) or m.group(2)) if m else None
            sets = {k.arg for k in node.keywords} | {
                k.value for a in node.args if isinstance(a, _ast.Dict) for k in a.keys
                if isinstance(k, _ast.Constant)}
            if var and ctx.table_name(var) and ctx.table_name(var).lower() == table.lower() \
                    and column in sets and (in_loop or not _where_after(ctx, node)):
                return True
    return False


def _where_after(ctx: RuleContext, node: Any) -> bool:
    """The ``.values(...)`` call is followed by ``.where(`` in its statement."""
    line = ctx.file.text.splitlines()[node.lineno - 1:(node.end_lineno or node.lineno) + 3]
    return ".where(" in "\n".join(line)


def says_empty(ctx: RuleContext) -> bool:
    return bool(_EMPTY_WORDS.search(prose(ctx)))


def table_age(ctx: RuleContext, table: str) -> int | None:
    """Days since the revision that created the table (by Create Date), in a history whose
    dates mean something (not a port where dozens of revisions share a day)."""
    days = ctx.days_since_created(table)
    if days is None or days < 0:
        return None
    mine = ctx.file.create_date
    same_day = sum(1 for d in ctx.history.dates.values() if d == mine)
    return days if same_day <= 5 else None


def recently_created(ctx: RuleContext, table: str) -> bool:
    """The table was created by a revision dated at most RECENT_DAYS before this one."""
    days = table_age(ctx, table)
    return days is not None and days <= RECENT_DAYS


def _cannot_hold_rows(ctx: RuleContext, table: str | None, op: Operation,
                      function: str) -> bool:
    if table is None:
        return False
    if function == "downgrade":
        if any(o.name == "create_table" and ctx.table_of(o) == table and o.line < op.line
               for o in ctx.downgrade):
            return True
    elif ctx.is_new_table(table, op) \
            or ctx.flow.emptied_before(table, ctx.position(op)) is not None:
        return True
    return recently_created(ctx, table) or says_empty(ctx)


def _constant_default(ctx: RuleContext, column: Call, type_: Any) -> str | None:
    """A constant server default of the column's type, for the existing rows; None when no
    value is neutral (a foreign key, a UUID, an unknown type)."""
    if foreign_keys(column) or column.kwargs.get("primary_key") is True \
            or column.kwargs.get("unique") is True:
        return None
    family = type_family(type_)
    if family == "text":
        return 'sa.text("\'\'")'
    if family in ("integer", "number"):
        return 'sa.text("0")'
    if family == "boolean":
        return "sa.false()"
    if family == "json" and ctx.dialect != "mysql":
        return 'sa.text("\'{}\'")'
    if family == "time" and ctx.dialect != "sqlite":  # SQLite: no CURRENT_* in ADD COLUMN
        return {"Date": "sa.text(\"CURRENT_DATE\")", "DATE": "sa.text(\"CURRENT_DATE\")"}.get(
            type_name(type_) or "", "sa.func.now()" if type_name(type_) not in (
                "Time", "TIME") else None)
    if family == "enum" and isinstance(type_, Call) and type_.args \
            and isinstance(type_.args[0], str):
        return f"sa.text({quote(chr(39) + type_.args[0].replace(chr(39), chr(39) * 2) + chr(39))})"
    return None


def _with_kwargs(source: str, **changes: str | None) -> str:
    """``sa.Column(...)`` source with keyword arguments set (value: Python source) or removed
    (None), re-rendered as valid Python (comments dropped)."""
    node = ast.parse(source.strip(), mode="eval").body
    assert isinstance(node, ast.Call)
    keep = [k for k in node.keywords if k.arg not in changes]
    for name, value in changes.items():
        if value is not None:
            keep.append(ast.keyword(arg=name, value=ast.parse(value, mode="eval").body))
    node.keywords = keep
    return ast.unparse(node)


def _alter_args(ctx: RuleContext, table: str, schema: str | None, name: str,
                type_src: str | None, **kwargs: Any) -> str:
    extra: dict[str, Any] = {}
    if type_src:
        extra["existing_type"] = Code(type_src)
    if schema:
        extra["schema"] = schema
    return call("op.alter_column", table, name, **extra, **kwargs)


def _fix_column(ctx: RuleContext, op: Operation, table: str, column: Call, type_: Any) -> str:
    name = column_name(column) or "<column>"
    schema = op.schema
    type_src = type_source(type_, "") or None
    receiver = op.receiver if op.is_batch else "op"
    table_args = [] if op.is_batch else [table]
    kwargs = {k: v for k, v in op.kwargs.items() if k not in ("table_name", "column")}
    constant = _constant_default(ctx, column, type_)
    if constant is not None:
        add = call(f"{receiver}.add_column", *table_args,
                   Code(_with_kwargs(column.source, server_default=constant)), **kwargs)
        later = _alter_args(ctx, table, schema, name, type_src, existing_nullable=False,
                            server_default=None)
        if op.is_batch and ctx.dialect == "sqlite":
            later = "\n".join([
                f"with op.batch_alter_table({quote(table)}) as batch_op:",
                "    " + call("batch_op.alter_column", name, existing_type=Code(type_src)
                              if type_src else None, existing_nullable=False,
                              server_default=None).replace(", existing_type=None", ""),
            ])
        return "\n".join([
            f"# revision {ctx.revision}: the rows already in {table} get the server default; "
            "change it to the value they should hold",
            "# (a constant: PostgreSQL 11+ and MySQL 8 add the column without rewriting the "
            "table, and inserts by the running release get it too)",
            add,
            LATER,
            f"# optional, once the deployed code always writes {name}: drop the default",
            later,
        ])
    nullable = call(f"{receiver}.add_column", *table_args,
                    Code(_with_kwargs(column.source, nullable="True", primary_key=None)),
                    **kwargs)
    return "\n".join([
        f"# revision {ctx.revision}: add {name} as nullable: no constant suits every existing "
        "row, so fill them (in batches, see",
        "# unbatched-data-migration) with what each row should hold, e.g. UPDATE "
        f"{qualified(table, schema, ctx.dialect)} SET {ident(name, ctx.dialect)} = ... WHERE "
        f"{ident(name, ctx.dialect)} IS NULL",
        nullable,
        LATER,
        *_not_null_later(ctx, table, schema, name, type_src, op),
    ])


def _not_null_later(ctx: RuleContext, table: str, schema: str | None, name: str,
                    type_src: str | None, op: Operation) -> list[str]:
    """Making the filled column NOT NULL after the deploy without contradicting set-not-null
    (PostgreSQL: a CHECK NOT VALID now, validated and turned into NOT NULL later)."""
    if ctx.postgresql:
        check = f"{table}_{name}_not_null"[:63]
        target = qualified(table, schema, ctx.dialect)
        constraint, column = ident(check, ctx.dialect), ident(name, ctx.dialect)
        add = (f"ALTER TABLE {target} ADD CONSTRAINT {constraint} CHECK ({column} IS NOT NULL) "
               "NOT VALID")
        validate = f"ALTER TABLE {target} VALIDATE CONSTRAINT {constraint}"
        return [
            f"# once every row has a value and the code always writes {name}: a CHECK that "
            "new rows obey at once (no scan now)",
            f"op.execute({quote(add)})",
            "# and in a revision after that one (light lock, then no scan for SET NOT NULL):",
            f"#   op.execute({quote(validate)})",
            "#   " + _alter_args(ctx, table, schema, name, type_src, nullable=False),
            "#   " + call("op.drop_constraint", check, table, type_="check",
                          **({"schema": schema} if schema else {})),
        ]
    if ctx.dialect == "sqlite" or op.is_batch:
        return [
            f"# once every row has a value and the code always writes {name}:",
            f"with op.batch_alter_table({quote(table)}) as batch_op:",
            "    " + (call("batch_op.alter_column", name, existing_type=Code(type_src),
                           nullable=False) if type_src else
                      call("batch_op.alter_column", name, nullable=False)),
        ]
    return [f"# once every row has a value and the code always writes {name}:",
            _alter_args(ctx, table, schema, name, type_src, nullable=False)]


def _fix_sql(ctx: RuleContext, table: str, name: str, definition: str) -> str:
    d = ctx.dialect
    sql_type = re.split(r"\s+(?:NOT|NULL|CONSTRAINT|REFERENCES|CHECK|PRIMARY|UNIQUE|COLLATE)\b",
                        definition, maxsplit=1, flags=re.IGNORECASE)[0].strip()
    family = "text" if re.match(r"(?:text|varchar|character|char|citext)", sql_type, re.I) else \
        "number" if re.match(r"(?:int|bigint|smallint|numeric|decimal|real|double|float)",
                             sql_type, re.I) else \
        "boolean" if re.match(r"bool", sql_type, re.I) else None
    constant = {"text": "''", "number": "0", "boolean": "false"}.get(family or "")
    if constant is not None and "REFERENCES" not in definition.upper():
        rest = definition[len(sql_type):]
        rest = re.sub(r"\bNOT\s+NULL\b", f"NOT NULL DEFAULT {constant}", rest, count=1,
                      flags=re.IGNORECASE)
        sql = f"ALTER TABLE {table} ADD COLUMN {ident(name, d)} {sql_type}{rest}"
        return "\n".join([
            f"# revision {ctx.revision}: the rows already in {table} get the DEFAULT; change "
            "it to the value they should hold",
            f"op.execute({quote(sql)})",
        ])
    nullable = re.sub(r"\s*\bNOT\s+NULL\b", "", definition, count=1, flags=re.IGNORECASE)
    sql = f"ALTER TABLE {table} ADD COLUMN {ident(name, d)} {nullable}"
    return "\n".join([
        f"# revision {ctx.revision}: add {name} as nullable, then fill it (in batches) with "
        "what each row should hold,",
        "# and make it NOT NULL in later revisions (see set-not-null)",
        f"op.execute({quote(sql)})",
    ])


def _sql_columns(ctx: RuleContext, op: Operation) -> Iterator[tuple[str | None, str, str, str]]:
    """``ADD COLUMN c type NOT NULL`` without DEFAULT (or identity / generated) in SQL:
    (table, column, definition, table as written)."""
    for s in ctx.sql(op):
        m = re.match(r"ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?(\S+)", s.text,
                     re.IGNORECASE)
        written = m.group(1) if m else (s.table or "<table>")
        for column, definition in s.added_columns():
            if re.search(r"\bNOT\s+NULL\b", definition, re.IGNORECASE) and \
                    not _SQL_FILLED.search(definition):
                yield s.table, column, definition, written


def _hits(ctx: RuleContext, function: str) -> Iterator[Hit]:
    ops = ctx.upgrade if function == "upgrade" else ctx.downgrade
    for op in ops:
        if op.name == "add_column":
            column = ctx.resolve(op.get("column"))
            if not (is_call(column) and is_not_null(column)) \
                    or column.kwargs.get("server_default") is not None:
                continue
            table, type_ = ctx.table_of(op), ctx.resolve(column_type(column))
            if _filled_by_database(ctx, column, type_) \
                    or _cannot_hold_rows(ctx, table, op, function) \
                    or _sqlite_rowid(ctx, op, table, column, type_) \
                    or _implicit_is_intended(ctx, column, type_):
                continue
            name = column_name(column) or "<column>"
            if _sqlite_rowid(ctx, op, table, column, type_, recreating=False):
                fix, at = _recreate_fix(ctx, op, table or "<table>", name)
                yield ctx.hit(
                    f"{table}.{name} is added as an Integer primary key by a batch that does "
                    "not re-create the table: SQLite's ALTER TABLE cannot add a PRIMARY KEY "
                    f"column, so the upgrade fails (re-created, {name} would be the rowid, "
                    "filled by the copy)", fix, op, fix_at=at, table=table, column=name,
                    function=function)
                continue
            if ctx.dialect == "mysql" and function == "upgrade" \
                    and filled_after(ctx, op, table, name):
                continue  # MySQL's implicit value is overwritten at once, in every row
            fix = _fix_column(ctx, op, table or "<table>", column, type_)
            if function == "downgrade":  # no later revision for a rollback
                fix = fix.split("\n" + LATER)[0]
            yield _hit(ctx, op, function, table or "<table>", name, fix)
        for table, name, definition, written in _sql_columns(ctx, op):
            if _cannot_hold_rows(ctx, table, op, function):
                continue
            yield _hit(ctx, op, function, table or "<table>", name,
                       _fix_sql(ctx, written, name, definition))


def _hit(ctx: RuleContext, op: Operation, function: str, table: str, name: str,
         fix: str) -> Hit:
    if ctx.dialect == "mysql":
        return ctx.hit(
            f"{table}.{name} is added as NOT NULL without a server default"
            + (" in downgrade()" if function == "downgrade" else "")
            + f": MySQL gives the rows already in {table} an implicit '' / 0 / zero date, "
            "which the code may take for real values (PostgreSQL and SQLite refuse the "
            "statement)", fix, op, Severity.WARNING, table=table, column=name,
            function=function)
    if function == "downgrade":
        return ctx.hit(
            f"downgrade() re-adds {table}.{name} as NOT NULL without a server default: the "
            f"rollback fails on any non-empty {table} (`column contains null values`)",
            fix, op, Severity.WARNING, table=table, column=name, function=function)
    days = table_age(ctx, table)
    young = days is not None and days <= YOUNG_DAYS
    return ctx.hit(
        f"{table}.{name} is added as NOT NULL without a server default; the rows "
        f"already in {table} have no value for it, so the upgrade fails on any "
        f"non-empty {table}"
        + (f" ({table} was created {days} days before: if it holds rows where this ships)"
           if young else ""),
        fix, op, Severity.WARNING if young else None, table=table, column=name,
        function=function)


@rule("add-not-null-column-without-default", Severity.ERROR,
      "NOT NULL column added to an existing table without a server default")
def run(ctx: RuleContext) -> Iterator[Hit]:
    yield from _hits(ctx, "upgrade")
    yield from _hits(ctx, "downgrade")
