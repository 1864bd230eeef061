"""A revision that reads the live database, so `--sql` (offline mode) breaks.

What it finds:
    In upgrade() or downgrade() (and the module's helpers they call), what Alembic's
    offline connection cannot do: reading the result of `execute()` (`.fetchall()`,
    `.scalar()`, `.first()`, `.rowcount`, iterating over it), inspection (`sa.inspect(...)`,
    `Inspector`), reflection (`MetaData.reflect(...)`, `Table(..., autoload_with=...)`), an
    ORM `Session(bind=...)`, and connection calls that only a live connection has
    (`.commit()`, `.exec_driver_sql()`, `.engine.url`, `.connection`). Using `op.get_bind()`
    for its dialect (`.dialect.name`, `.engine.name`), to execute statements whose result
    is not read, or to create or drop types and tables (`Enum.create(bind)`,
    `metadata.create_all(bind)`) works offline: Alembic prints the SQL, and nothing is
    reported. Code that only runs online (under `if not context.is_offline_mode():`, after
    `if context.is_offline_mode(): return`, or the same with `as_sql`) is not reported.
    One finding per function, naming every such read.

Why it matters:
    `flask db upgrade --sql` (or `alembic upgrade --sql`) writes the SQL to a file for a
    DBA instead of running it. There is no database then: the offline connection returns
    no rows and cannot inspect anything, so the script generation stops with an
    AttributeError or NoInspectionAvailable at this revision, and no script can be
    produced for it or any later revision.

Example:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id FROM users")).fetchall()

Use instead:
    Write the change as SQL that runs the same everywhere:
    op.execute("UPDATE users SET phone = '' WHERE phone IS NULL")
    or say that this revision must run online, so `--sql` stops with a clear message:
    from alembic import context
    if context.is_offline_mode():
        raise RuntimeError("this revision reads the database: run it online")
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from . import Hit, RuleContext, rule
from ..model import Severity
from ..scripts.expressions import dotted_name, segment
from ._values import quote

_RESULT_READS = {"fetchall", "fetchone", "fetchmany", "scalar", "scalar_one",
                 "scalar_one_or_none", "scalars", "first", "one", "one_or_none", "all",
                 "mappings", "keys", "rowcount", "returned_defaults", "inserted_primary_key",
                 "lastrowid", "partitions", "tuples"}
_LIVE_ONLY = {"commit", "rollback", "exec_driver_sql", "connection", "begin_nested",
              "in_transaction", "begin", "close", "invalidate", "get_isolation_level",
              "execution_options", "raw_connection", "connect", "url"}
_INSPECT = {"inspect", "sa.inspect", "sqlalchemy.inspect", "Inspector.from_engine",
            "reflection.Inspector.from_engine", "sa.engine.reflection.Inspector.from_engine"}


def _is_bind_call(node: ast.AST) -> bool:
    name = dotted_name(node.func) if isinstance(node, ast.Call) else None
    return name in ("op.get_bind", "context.get_bind", "op.get_context().connection") or (
        isinstance(node, ast.Attribute) and node.attr in ("bind", "connection")
        and isinstance(node.value, ast.Call) and dotted_name(node.value.func) in (
            "op.get_context", "context.get_context", "op.get_context().migration_context"))


class _Scan:
    def __init__(self, ctx: RuleContext) -> None:
        self.ctx = ctx
        self.tree = ctx.file.tree
        assert self.tree is not None
        self.functions = {n.name: n for n in self.tree.body if isinstance(n, ast.FunctionDef)}
        self.binds: set[str] = set()
        for node in ast.walk(self.tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.withitem)):
                value = node.context_expr if isinstance(node, ast.withitem) else node.value
                targets = ([node.optional_vars] if isinstance(node, ast.withitem)
                           else node.targets if isinstance(node, ast.Assign) else [node.target])
                if value is not None and _is_bind_call(value):
                    self.binds.update(t.id for t in targets if isinstance(t, ast.Name))
        self._bind_parameters()
        self.parents = {id(c): p for p in ast.walk(self.tree) for c in ast.iter_child_nodes(p)}

    def _bind_parameters(self) -> None:
        """A helper's parameter that receives a connection: ``_migrate(conn)``."""
        for _ in range(3):
            for node in ast.walk(self.tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                        and node.func.id in self.functions):
                    continue
                params = [a.arg for a in self.functions[node.func.id].args.args]
                for param, arg in zip(params, node.args):
                    if self._is_bind(arg):
                        self.binds.add(param)
                for kw in node.keywords:
                    if kw.arg in params and self._is_bind(kw.value):
                        self.binds.add(kw.arg)

    def _is_bind(self, node: ast.AST) -> bool:
        return (isinstance(node, ast.Name) and node.id in self.binds) or _is_bind_call(node)

    def reads_from(self, function: str) -> dict[int, str]:
        """The live reads of a function and of the module helpers it calls from code that
        also runs offline (transitively)."""
        found: dict[int, str] = {}
        seen: set[str] = set()
        todo = [function]
        while todo:
            name = todo.pop()
            func = self.functions.get(name)
            if func is None or name in seen or (name != function
                                                and name in ("upgrade", "downgrade")):
                continue
            seen.add(name)
            skip = self.online_only(func)
            for line, what in self.reads(func, skip):
                found.setdefault(line, what)
            todo += [n.func.id for n in ast.walk(func) if isinstance(n, ast.Call)
                     and isinstance(n.func, ast.Name) and n.func.id in self.functions
                     and n.lineno not in skip]
        return found

    def online_only(self, func: ast.FunctionDef) -> set[int]:
        """Lines that only run online: the guarded branch of an is_offline_mode()/as_sql
        test, and what follows ``if <offline>: return``."""
        lines: set[int] = set()

        def offline_test(test: ast.AST) -> bool | None:
            """True: the test is true offline; False: true online; None: not about it."""
            if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
                inner = offline_test(test.operand)
                return None if inner is None else not inner
            text = segment(self.ctx.file.text, test) or ""
            return True if ("is_offline_mode" in text or "as_sql" in text) else None

        def cover(stmts: list[ast.stmt]) -> None:
            for s in stmts:
                lines.update(range(s.lineno, (s.end_lineno or s.lineno) + 1))

        for body_owner in ast.walk(func):
            for field in ("body", "orelse"):
                body = getattr(body_owner, field, None)
                if not isinstance(body, list):
                    continue
                for index, stmt in enumerate(body):
                    if not isinstance(stmt, ast.If):
                        continue
                    offline = offline_test(stmt.test)
                    if offline is None:
                        continue
                    cover(stmt.orelse if offline else stmt.body)
                    exits = stmt.body if offline else stmt.orelse
                    if exits and isinstance(exits[-1], (ast.Return, ast.Raise)):
                        cover(body[index + 1:])
        return lines

    def reads(self, func: ast.FunctionDef, skip: set[int]) -> Iterator[tuple[int, str]]:
        for node in ast.walk(func):
            line = getattr(node, "lineno", None)
            if line is None or line in skip:
                continue
            what = self._read(node, func)
            if what:
                yield line, what

    def _read(self, node: ast.AST, func: ast.FunctionDef) -> str | None:
        if isinstance(node, ast.Call):
            name = dotted_name(node.func) or ""
            if name in _INSPECT:
                return f"{name}(...)"
            if name.endswith(".reflect"):
                return f"{name}(...)"
            if any(k.arg in ("autoload_with", "autoload") for k in node.keywords):
                return f"{name}(..., autoload_with=...)"
            if name.rsplit(".", 1)[-1] in ("Session", "sessionmaker", "scoped_session") and (
                    any(self._is_bind(a) for a in node.args)
                    or any(k.arg == "bind" and self._is_bind(k.value) for k in node.keywords)):
                return f"{name}(bind=...)"
            if isinstance(node.func, ast.Attribute) and node.func.attr == "execute" \
                    and self._is_bind(node.func.value) and self._result_used(node, func):
                return f"the result of {dotted_name(node.func.value) or 'op.get_bind()'}" \
                       ".execute(...)"
        if isinstance(node, ast.Attribute) and self._is_bind(node.value) \
                and node.attr in _LIVE_ONLY:
            return f"{dotted_name(node.value) or 'op.get_bind()'}.{node.attr}"
        if isinstance(node, ast.Attribute) and node.attr in ("url", "raw_connection") \
                and isinstance(node.value, ast.Attribute) and node.value.attr == "engine" \
                and self._is_bind(node.value.value):
            return f"{dotted_name(node.value.value) or 'op.get_bind()'}.engine.{node.attr}"
        return None

    def _result_used(self, call: ast.Call, func: ast.FunctionDef) -> bool:
        parent = self.parents.get(id(call))
        if isinstance(parent, ast.Expr):
            return False
        if isinstance(parent, ast.Assign) and all(isinstance(t, ast.Name)
                                                  for t in parent.targets):
            names = {t.id for t in parent.targets}  # type: ignore[union-attr]
            return any(isinstance(n, ast.Name) and n.id in names
                       and isinstance(n.ctx, ast.Load) for n in ast.walk(func))
        if isinstance(parent, ast.Attribute) and parent.attr not in _RESULT_READS:
            return parent.attr not in ("close",)
        return True


@rule("offline-incompatible", Severity.WARNING, "Revision reads the live database (breaks --sql)")
def run(ctx: RuleContext) -> Iterator[Hit]:
    text = ctx.file.text
    if ctx.file.tree is None or not any(word in text for word in (
            "get_bind", "inspect", "reflect", "autoload", "Session", "bind", "connection")):
        return
    scan = _Scan(ctx)
    for function in ("upgrade", "downgrade"):
        if function not in scan.functions:
            continue
        found = scan.reads_from(function)
        if not found:
            continue
        first = min(found)
        listing = "; ".join(f"{what} (line {line})" for line, what in sorted(found.items())[:4])
        more = f" and {len(found) - 4} more" if len(found) > 4 else ""
        body = ctx.function_body(function)
        message = (f"{ctx.revision} reads the database ({found[first]}, line {first}): run "
                   "it online, not with --sql")
        fix = "\n".join([
            f"# {function}() needs a live database: say so, so that --sql stops here with a "
            "clear message",
            "# (or, where it only checks that the schema is as the history says, skip the "
            "check offline:",
            "#  `if context.is_offline_mode() or <the check>:`)",
            "from alembic import context",
            "",
            "if context.is_offline_mode():",
            f"    raise RuntimeError({quote(message)})",
        ])
        yield ctx.hit(
            f"{function}() reads the live database: {listing}{more}; `upgrade --sql` "
            "(offline mode) has no database, so the script cannot be produced for this "
            "revision or any later one", fix, first,
            fix_at=("insert", body[0], 0) if body else None, function=function,
            lines=sorted(found))
