"""Constraints added by a revision's upgrade(), through Alembic or SQL, for the rules about
adding constraints to existing PostgreSQL tables."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..registry import Hit
from ..scripts.operations import Operation
from ._context import RuleContext
from ._history import key
from ._fixes import (batch_block, check_columns, empty_body, mysql_fk_name, op_schema,
                     pg_default_name, ref, sql_target, without)
from ._quote import ident
from ._sql import Statement
from ._values import LATER, name_of, render

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
    statement: Statement | None = None
    body: str = ""  # SQL: what follows the kind (``(user_id) REFERENCES users (id)``)

    def validated_in_transaction(self, ctx: RuleContext) -> Operation | None:
        """A VALIDATE CONSTRAINT of this constraint later in the same transaction."""
        if self.name is None:
            return None
        at = ctx.position(self.op)
        for position, op in _validations(ctx).get(key(self.name), ()):
            if position >= at:
                return op
        return None

    @property
    def schema(self) -> str | None:
        if self.statement is not None:
            return sql_target(self.statement)[0]
        return op_schema(self.op)

    def columns(self) -> list[str]:
        if self.statement is None:
            if self.kind == "check":
                condition = self.op.get("condition")
                return check_columns(condition) if isinstance(condition, str) else []
            return columns_of(self.op)
        if self.kind == "check":
            return check_columns(self.body)
        m = re.match(r"\s*\(([^)]*)\)", self.body)
        return [c.strip().strip('"`') for c in m.group(1).split(",")] if m else []

    def referent(self) -> str | None:
        if self.statement is None:
            ref = self.op.get("referent_table")
            return ref if isinstance(ref, str) else None
        return self.statement.references(self.body)[0]


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
                    if kind in ("unique", "primary") and "USING INDEX" in _body.upper():
                        continue
                    yield Added(op, s.table, name, kind, not_valid, s.text, s, _body)


def unit_of(ctx: RuleContext, op: Operation) -> Any:
    """What one finding (and its fix) covers: the op, or its whole batch block."""
    if op.is_batch:
        block = batch_block(ctx.file, op)
        if block is not None:
            return ("batch", block[0])
    return id(op)


def constraint_name(ctx: RuleContext, added: Added, taken: set[str]) -> str:
    """The constraint's name; for an unnamed one, the name the database would give it."""
    if added.name:
        return added.name
    named = database_name(ctx, added.kind, added.table or "<table>", added.columns(),
                          added.referent(), added.body if added.kind == "check" else None,
                          taken)
    if named.name:
        return named.name
    prefix = {"foreignkey": "fk", "check": "ck", "unique": "uq", "primary": "pk"}[added.kind]
    return "_".join([prefix, added.table or "table", *added.columns()[:2]])


def validate_sql(ctx: RuleContext, table: str, schema: str | None, name: str) -> str:
    return f"ALTER TABLE {ref(table, schema, ctx.dialect)} VALIDATE CONSTRAINT " \
           f"{ident(name, ctx.dialect)}"


def _not_valid_statement(ctx: RuleContext, added: Added, name: str) -> str:
    """The SQL statement with NOT VALID (and a name when it had none)."""
    text = added.sql or ""
    if not added.name:
        text = re.sub(r"\bADD\s+(CHECK|FOREIGN\s+KEY)\b",
                      lambda m: f"ADD CONSTRAINT {ident(name, ctx.dialect)} {m.group(1)}",
                      text, count=1, flags=re.IGNORECASE)
    return text if added.not_valid else f"{text} NOT VALID"


def _with_not_valid(ctx: RuleContext, added: Added, name: str) -> str:
    op = added.op
    args = [name if i == 0 and a is None else a for i, a in enumerate(op.args)]
    kwargs = {k: name if k == "constraint_name" and v is None else v
              for k, v in op.kwargs.items() if k != "postgresql_not_valid"}
    params = [render(a) for a in args]
    params += [f"{k}={render(v)}" for k, v in kwargs.items()]
    return f"{op.receiver}.{op.name}({', '.join(params)}, postgresql_not_valid=True)"


def _autocommit_validate(sqls: list[str]) -> list[str]:
    return ["# commit what came before, then check the old rows: VALIDATE takes a lock that "
            "lets reads and writes go on",
            "with op.get_context().autocommit_block():",
            *[f"    op.execute({render(sql)})" for sql in sqls]]


def not_valid_fix(ctx: RuleContext, op: Operation, items: list[Added]
                  ) -> tuple[str, tuple[str, int, int] | None]:
    """The op's constraints added NOT VALID (named as the database would name them), then
    validated after a commit, in an autocommit block, in the same revision."""
    taken: set[str] = set()
    names = []
    for added in items:
        name = constraint_name(ctx, added, taken)
        taken.add(name.lower())
        names.append(name)
    validates = [validate_sql(ctx, a.table or "<table>", a.schema, n)
                 for a, n in zip(items, names)]
    head = [f"# revision {ctx.revision}: add it without checking the existing rows (a brief "
            "lock)"]
    if items[0].sql is None:
        first = _with_not_valid(ctx, items[0], names[0])
        if op.is_batch:
            block = batch_block(ctx.file, op)
            if block is not None:  # every constraint of the block, bottom-up
                start, end, body = block
                pairs = sorted({a.op.line: (a, n) for a, n in zip(items, names)}.values(),
                               key=lambda p: -p[0].op.line)
                for a, n in pairs:
                    at, last = a.op.line - start, a.op.end_line - start
                    indent = body[at][:len(body[at]) - len(body[at].lstrip())]
                    body = body[:at] + [indent + _with_not_valid(ctx, a, n)] + body[last + 1:]
                return "\n".join(head + body + _autocommit_validate(validates)), \
                    ("replace", start, end)
        return "\n".join(head + [first] + _autocommit_validate(validates)), None
    statements = []
    done: set[int] = set()
    for s in ctx.sql(op):
        found = [(a, n) for a, n in zip(items, names) if a.statement is s]
        if found and id(s) not in done:
            done.add(id(s))
            text = s.text
            for a, n in found:
                text = _not_valid_statement(ctx, Added(a.op, a.table, a.name, a.kind,
                                                       a.not_valid, text, a.statement,
                                                       a.body), n)
            statements.append(text)
        else:
            statements.append(s.text)
    sql = ";\n".join(statements)
    return "\n".join(head + [f"op.execute({render(sql)})"]
                     + _autocommit_validate(validates)), None


def validate_fix(ctx: RuleContext, op: Operation) -> str:
    """A VALIDATE in the migration's transaction, moved into an autocommit block (the
    other statements of the op kept before it)."""
    others = [s.text for s in ctx.sql(op) if not s.validated_constraints()]
    validates = [s.text for s in ctx.sql(op) if s.validated_constraints()]
    lines = [f"op.execute({render(';'.join(others))})"] if others else []
    return "\n".join(lines + _autocommit_validate(validates))


def validating_hits(ctx: RuleContext, kind: str, label: str, lock: str) -> Iterator[Hit]:
    by_op: dict[Any, list[Added]] = {}
    for added in added_constraints(ctx, kind):
        if not added.not_valid:
            by_op.setdefault(unit_of(ctx, added.op), []).append(added)
            continue
        validate = added.validated_in_transaction(ctx)
        if validate is not None:
            table = added.table or "<table>"
            yield ctx.hit(
                f"{label} {added.name} on {table} is added NOT VALID but validated in the same "
                f"transaction: {lock} is still held during the scan, so NOT VALID gains "
                "nothing", pg_guarded(ctx, validate_fix(ctx, validate), validate), validate,
                table=table,
                constraint=added.name)
    for items in by_op.values():
        table = items[0].table or "<table>"
        names = ", ".join(a.name or "(unnamed)" for a in items)
        fix, fix_at = not_valid_fix(ctx, items[0].op, items)
        fix = pg_guarded(ctx, fix, items[0].op, fix_at)
        yield ctx.hit(
            f"{label} {names} on {table} checks every existing row while holding {lock}",
            fix, items[0].op, fix_at=fix_at, table=table,
            constraint=items[0].name)


# -- the names constraints get when the revision gives none -----------------------------
_OTHER_DIALECTS = re.compile(r"\b(sqlite|mysql|mariadb|postgres(?:ql)?|oracle|mssql)\b", re.IGNORECASE)


def several_databases(ctx: RuleContext) -> bool:
    """True when the project's revisions run on more than one database, or on one we do
    not know: env.py renders batch mode (SQLite) or names another database than the
    target, or a revision has an ``if`` on the database."""
    if ctx.dialect is None:
        return True
    env = ctx.facts.env_source
    if re.search(r"render_as_batch\s*=\s*True", env):
        return True
    aliases = {"postgres": "postgresql", "mariadb": "mysql"}
    named = {aliases.get(m.group(1).lower(), m.group(1).lower())
             for m in _OTHER_DIALECTS.finditer(_code(env))}
    if named - {ctx.dialect}:
        return True
    from ._guards import tests_dialect

    return ctx.history.dialect_tests > 0 or (
        "if " in ctx.file.text and tests_dialect(ctx.file.tree))


_READS_CONVENTION = re.compile(r"\w\.naming_convention\b|MetaData\([^)]*\bnaming_convention\s*=")
_CONVENTION_SEEN: dict[int, tuple[Any, bool]] = {}


def revisions_name_constraints(ctx: RuleContext) -> bool:
    """True when a revision of the project reads the models' naming convention
    (``orm.meta.naming_convention``) or builds a MetaData with one: the project's metadata
    names constraints, even where env.py does not show it."""
    files = ctx.files
    cached = _CONVENTION_SEEN.get(id(files))
    if cached is not None and cached[0] is files:
        return cached[1]
    found = any(_READS_CONVENTION.search(_code(f.text)) for f in files)
    if len(_CONVENTION_SEEN) > 8:
        _CONVENTION_SEEN.clear()
    _CONVENTION_SEEN[id(files)] = (files, found)
    return found


def _code(text: str) -> str:
    """Python source without its comments."""
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def naming_convention(ctx: RuleContext) -> dict[str, str] | None:
    """The naming convention env.py spells out as a literal dict, if it does."""
    found = ctx.__dict__.get("_naming_convention", False)
    if found is not False:
        return found  # type: ignore[no-any-return]
    found = None
    env = ctx.facts.env_source
    if "naming_convention" in env.lower():
        try:
            tree = ast.parse(env)
        except SyntaxError:
            tree = None
        for node in ast.walk(tree) if tree is not None else ():
            value = None
            if isinstance(node, ast.Assign) and any(
                    "naming_convention" in (t.id if isinstance(t, ast.Name) else
                                            t.attr if isinstance(t, ast.Attribute) else "").lower()
                    for t in node.targets):
                value = node.value
            elif isinstance(node, ast.keyword) and node.arg == "naming_convention":
                value = node.value
            if isinstance(value, ast.Dict):
                try:
                    literal = ast.literal_eval(value)
                except ValueError:
                    continue
                if isinstance(literal, dict):
                    found = {str(k): str(v) for k, v in literal.items()}
    ctx.__dict__["_naming_convention"] = found
    return found


_CONVENTION_KEY = {"foreignkey": "fk", "unique": "uq", "check": "ck", "primary": "pk"}


def convention_name(convention: dict[str, str], kind: str, table: str, columns: list[str],
                    referent: str | None) -> str | None:
    """The name SQLAlchemy builds from the convention (None when a token is unknown, or
    the template needs the constraint's own name)."""
    template = convention.get(_CONVENTION_KEY[kind])
    if template is None or "constraint_name" in template:
        return None
    values = {"table_name": table, "referred_table_name": referent or ""}
    if columns:
        values.update({"column_0_name": columns[0], "column_0_label": f"{table}_{columns[0]}",
                       "column_0N_name": "".join(columns), "column_0_N_name": "_".join(columns),
                       "column_0_key": columns[0]})
    try:
        return template % values
    except (KeyError, ValueError, TypeError):
        return None


@dataclass(frozen=True)
class Named:
    name: str | None  # None: the database gives it none we can know
    how: str  # "convention", "postgresql", "mysql", "sqlite", "unknown"


def database_name(ctx: RuleContext, kind: str, table: str, columns: list[str],
                  referent: str | None = None, condition: str | None = None,
                  taken: set[str] | None = None, mysql_number: int = 1) -> Named:
    """The name the constraint really gets when it is created without one: the naming
    convention's (env.py), else the one the target database generates."""
    if ctx.facts.names_constraints:
        convention = naming_convention(ctx)
        name = convention_name(convention, kind, table, columns, referent) if convention else None
        return Named(name, "convention")
    if ctx.dialect == "postgresql":
        cols = check_columns(condition) if kind == "check" and condition else columns
        return Named(pg_default_name(kind, table, cols, taken), "postgresql")
    if ctx.dialect == "mysql":
        if kind == "foreignkey":
            return Named(mysql_fk_name(table, mysql_number), "mysql")
        if kind == "unique" and columns:
            return Named(columns[0], "mysql")
        if kind == "check":
            return Named(f"{table}_chk_{mysql_number}", "mysql")
        if kind == "primary":
            return Named("PRIMARY", "mysql")
    if ctx.dialect == "sqlite":
        return Named(None, "sqlite")
    return Named(None, "unknown")


def columns_of(op: Operation) -> list[str]:
    value: Any = op.get("local_cols") if op.name == "create_foreign_key" else op.get("columns")
    if isinstance(value, str):
        return [value]
    return [c for c in value if isinstance(c, str)] if isinstance(value, tuple) else []


def using_index_fix(ctx: RuleContext, op: Operation, items: list[Added]
                    ) -> tuple[str, tuple[str, int, int] | None]:
    """UNIQUE / PRIMARY KEY added by building the index concurrently (no write lock), then
    attaching it as the constraint (a brief lock, no scan): the op's other statements kept."""
    d = ctx.dialect
    taken: set[str] = set()
    steps: list[str] = []
    for added in items:
        name = constraint_name(ctx, added, taken)
        taken.add(name.lower())
        table = added.table or "<table>"
        schema = added.schema
        columns = added.columns()
        options = ""
        if added.statement is not None:
            m = re.search(r"\)\s*((?:NOT\s+)?DEFERRABLE.*)$", added.body, re.IGNORECASE)
            options = f" {m.group(1).strip()}" if m else ""
        else:
            if added.op.kwargs.get("deferrable") is True:
                options = " DEFERRABLE"
                initially = added.op.kwargs.get("initially")
                if isinstance(initially, str):
                    options += f" INITIALLY {initially.upper()}"
        extra = f", schema={render(schema)}" if schema else ""
        word = "PRIMARY KEY" if added.kind == "primary" else "UNIQUE"
        attach = (f"ALTER TABLE {ref(table, schema, d)} ADD CONSTRAINT {ident(name, d)} "
                  f"{word} USING INDEX {ident(name, d)}{options}")
        steps += [
            "with op.get_context().autocommit_block():",
            f"    op.create_index({render(name)}, {render(table)}, {render(tuple(columns))}, "
            f"unique=True{extra}, postgresql_concurrently=True)",
            f"op.execute({render(attach)})",
        ]
    head = [f"# revision {ctx.revision}: build the unique index without blocking writes (if it "
            "fails on duplicates, drop the INVALID index it leaves before trying again)"]
    tail = ["# then attach it as the constraint: a brief lock, no scan"]
    if items[0].statement is None and op.is_batch:
        block = batch_block(ctx.file, op)
        if block is not None:
            start, end, body = block
            for line in sorted({a.op.line: a for a in items}.values(), key=lambda a: -a.op.line):
                body = without(body, line.op.line - start, line.op.end_line - start)
            if empty_body(body):
                body = []  # nothing else in the block
            return "\n".join(head + body + _with_comment(steps, tail)), ("replace", start, end)
    if items[0].statement is not None:
        others = [s.text for s in ctx.sql(op) if not any(a.statement is s for a in items)]
        if others:
            head.append(f"op.execute({render(';'.join(others))})")
    return "\n".join(head + _with_comment(steps, tail)), None


def _with_comment(steps: list[str], tail: list[str]) -> list[str]:
    out: list[str] = []
    for line in steps:
        if line.startswith("op.execute("):
            out += tail
        out.append(line)
    return out


def pk_using_index(ctx: RuleContext, table: str, schema: str | None, columns: list[str]
                   ) -> list[str]:
    """A primary key added without a write lock: its unique index built concurrently, then
    attached (a brief lock; the columns must already be NOT NULL, or it scans)."""
    d = ctx.dialect
    name = pg_default_name("primary", table, [])
    extra = f", schema={render(schema)}" if schema else ""
    attach = (f"ALTER TABLE {ref(table, schema, d)} ADD CONSTRAINT {ident(name, d)} "
              f"PRIMARY KEY USING INDEX {ident(name, d)}")
    return [
        "# the primary key: its unique index built while writes go on, then attached",
        "with op.get_context().autocommit_block():",
        f"    op.create_index({render(name)}, {render(table)}, {render(tuple(columns))}, "
        f"unique=True{extra}, postgresql_concurrently=True)",
        f"op.execute({render(attach)})",
    ]


def pg_guarded(ctx: RuleContext, fix: str, at: Operation,
               fix_at: tuple[str, int, int] | None = None) -> str:
    """A PostgreSQL-only fix (NOT VALID, VALIDATE, USING INDEX, ctid batches) in a project
    that also runs on other databases: the fix under ``if dialect == "postgresql":``, the
    original lines under ``else:``. Unchanged for a PostgreSQL-only project, or when the op
    already sits behind a test only PostgreSQL passes."""
    import textwrap

    if ctx.dialect != "postgresql" or not several_databases(ctx) or _only_on_target(ctx, at):
        return fix
    first, sep, later = fix.partition(LATER)
    start, end = (fix_at[1], fix_at[2]) if fix_at and fix_at[0] == "replace" else \
        (at.line, at.end_line)
    original = textwrap.dedent("\n".join(_lines(ctx.file.text)[start - 1:end]))
    lines = ["if op.get_bind().dialect.name == \"postgresql\":",
             textwrap.indent(first.rstrip("\n"), "    "),
             "else:  # the other databases: as before",
             textwrap.indent(original, "    ")]
    return "\n".join(lines) + (f"\n{sep}{later}" if sep else "")


def _only_on_target(ctx: RuleContext, op: Operation) -> bool:
    return all(op.line in _skipped_set(ctx.file.tree, other) for other in ("mysql", "sqlite"))


@lru_cache(maxsize=256)
def _skipped_set(tree: Any, dialect: str) -> frozenset[int]:
    from ._guards import skipped_lines

    return frozenset(line for start, end in skipped_lines(tree, dialect)
                     for line in range(start, end + 1))


@lru_cache(maxsize=16)
def _lines(text: str) -> list[str]:
    return text.splitlines()
