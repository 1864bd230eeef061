"""Constraints added by a revision's upgrade(), through Alembic or SQL, for the rules about
adding constraints to existing PostgreSQL tables."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..registry import Hit
from ..scripts.operations import Operation
from ._context import RuleContext
from ._history import key
from ._fixes import check_columns, mysql_fk_name, pg_default_name
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
