"""``op.*`` and ``batch_op.*`` calls of a revision's upgrade() and downgrade(), as data."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from .cache import register
from .expressions import Call, Name, Source, dotted_name, to_value

# Positional parameters of Alembic's operations, so that an argument can be asked
# for by name whether it was passed by position or by keyword.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "add_column": ("table_name", "column"),
    "drop_column": ("table_name", "column_name"),
    "alter_column": ("table_name", "column_name"),
    "create_table": ("table_name",),
    "drop_table": ("table_name",),
    "rename_table": ("old_table_name", "new_table_name"),
    "create_index": ("index_name", "table_name", "columns"),
    "drop_index": ("index_name", "table_name"),
    "create_foreign_key": ("constraint_name", "source_table", "referent_table",
                           "local_cols", "remote_cols"),
    "create_unique_constraint": ("constraint_name", "table_name", "columns"),
    "create_check_constraint": ("constraint_name", "table_name", "condition"),
    "create_primary_key": ("constraint_name", "table_name", "columns"),
    "drop_constraint": ("constraint_name", "table_name", "type_"),
    "execute": ("sqltext",),
    "bulk_insert": ("table", "rows"),
    "batch_alter_table": ("table_name",),
    "create_table_comment": ("table_name", "comment"),
    "create_exclude_constraint": ("constraint_name", "table_name"),
}

# Inside ``with op.batch_alter_table("t") as batch_op:`` the table is implied.
BATCH_SIGNATURES: dict[str, tuple[str, ...]] = {
    "add_column": ("column",),
    "drop_column": ("column_name",),
    "alter_column": ("column_name",),
    "create_index": ("index_name", "columns"),
    "drop_index": ("index_name",),
    "create_foreign_key": ("constraint_name", "referent_table", "local_cols", "remote_cols"),
    "create_unique_constraint": ("constraint_name", "columns"),
    "create_check_constraint": ("constraint_name", "condition"),
    "create_primary_key": ("constraint_name", "columns"),
    "drop_constraint": ("constraint_name", "type_"),
    "execute": ("sqltext",),
}


@register
@dataclass(frozen=True)
class Operation:
    """One call such as ``op.add_column("users", sa.Column(...))``."""

    name: str  # "add_column", "execute", ...
    function: str  # "upgrade" or "downgrade"
    line: int
    end_line: int
    receiver: str  # "op", the batch variable, or the name a connection was bound to
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    batch_table: str | None = None  # set for batch_op.* calls
    batch_kwargs: dict[str, Any] = field(default_factory=dict)
    in_autocommit: bool = False
    source: str = ""
    in_loop: bool = False  # inside a loop over values known only at run time (rows, ...)
    via: tuple[int, ...] = ()  # lines of the calls that led here from upgrade()/downgrade()

    @property
    def is_batch(self) -> bool:
        return self.batch_table is not None

    def get(self, param: str, default: Any = None) -> Any:
        """An argument by its Alembic parameter name, positional or keyword."""
        if param in self.kwargs:
            return self.kwargs[param]
        sig = (BATCH_SIGNATURES if self.is_batch else SIGNATURES).get(self.name, ())
        if param in sig:
            index = sig.index(param)
            if index < len(self.args):
                return self.args[index]
        return default

    @property
    def table(self) -> str | None:
        """The table the operation acts on, where it names one as a literal."""
        if self.is_batch:
            return self.batch_table
        for param in ("table_name", "source_table", "old_table_name"):
            value = self.get(param)
            if isinstance(value, str):
                return value
        return None

    @property
    def column(self) -> Call | None:
        """The ``sa.Column(...)`` of add_column."""
        value = self.get("column")
        return value if isinstance(value, Call) else None

    @property
    def schema(self) -> str | None:
        value = self.kwargs.get("schema", self.batch_kwargs.get("schema"))
        return value if isinstance(value, str) else None


def _autocommit(item: ast.withitem) -> bool:
    name = dotted_name(item.context_expr.func) if isinstance(item.context_expr, ast.Call) else None
    return bool(name) and name.endswith("autocommit_block")


_MAX_UNROLL = 200  # items of a literal list a loop is unrolled over
_MAX_DEPTH = 6  # helper calls followed, one inside another


def _plain(value: Any) -> bool:
    """A value a name may stand for: a literal, or a tuple of them."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    return isinstance(value, tuple) and all(_plain(v) for v in value)


def _bind(target: ast.AST, value: Any, env: dict[str, Any]) -> bool:
    """Bind a for-loop (or assignment) target to a value; False when it does not fit."""
    if isinstance(target, ast.Name):
        env[target.id] = value
        return True
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, tuple) \
            and len(value) == len(target.elts):
        return all(_bind(t, v, env) for t, v in zip(target.elts, value))
    return False


def module_constants(tree: ast.Module, text: Source) -> dict[str, Any]:
    """Module-level names bound to literals (``TABLES = ["a", "b"]``, ``PREFIX = "app_"``,
    f-strings of those), in file order."""
    env: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        resolved = to_value(value, text, env)
        if isinstance(target, ast.Name):
            if _plain(resolved):
                env[target.id] = resolved
            else:
                env.pop(target.id, None)
    return env


class _Collector(ast.NodeVisitor):
    """Walks upgrade() or downgrade() the way it runs: into the module's helper functions
    it calls, once per item of a loop over a literal list, with the names it can know
    (module constants, a helper's arguments, loop variables, local literals) replaced by
    their values."""

    def __init__(self, function: str, text: Source, functions: dict[str, ast.FunctionDef],
                 env: dict[str, Any]) -> None:
        self.function = function
        self.text = text
        self.functions = functions
        self.env = dict(env)
        self.ops: list[Operation] = []
        self.batches: dict[str, tuple[str, dict[str, Any]]] = {}  # var -> (table, kwargs)
        self.binds: set[str] = set()  # variables holding op.get_bind()
        self.autocommit = 0
        self.loops = 0  # loops over run-time values around the current statement
        self.via: tuple[int, ...] = ()
        self.stack: list[str] = [function]

    def value(self, node: ast.AST) -> Any:
        return to_value(node, self.text, self.env)

    def visit_With(self, node: ast.With) -> None:
        entered: list[str] = []
        auto = any(_autocommit(item) for item in node.items)
        for item in node.items:
            call = item.context_expr
            if isinstance(call, ast.Call) and dotted_name(call.func) == "op.batch_alter_table":
                self._record(call, "op")
                value = self.value(call)
                table = value.arg(0, "table_name") if isinstance(value, Call) else None
                if isinstance(item.optional_vars, ast.Name):
                    var = item.optional_vars.id
                    kwargs = dict(value.kwargs) if isinstance(value, Call) else {}
                    self.batches[var] = (table if isinstance(table, str) else "?", kwargs)
                    entered.append(var)
            else:
                self.visit(call)
        self.autocommit += auto
        for stmt in node.body:
            self.visit(stmt)
        self.autocommit -= auto
        for var in entered:
            self.batches.pop(var, None)

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        items = self.value(node.iter)
        if isinstance(items, tuple) and 0 < len(items) <= _MAX_UNROLL and all(map(_plain, items)):
            saved = dict(self.env)
            for item in items:
                if not _bind(node.target, item, self.env):
                    break
                for stmt in node.body:
                    self.visit(stmt)
            else:
                self.env = saved
                for stmt in node.orelse:
                    self.visit(stmt)
                return
            self.env = saved
        self.visit(node.iter)
        self._forget(node.target)
        self.loops += 1
        for stmt in node.body:
            self.visit(stmt)
        self.loops -= 1
        for stmt in node.orelse:
            self.visit(stmt)

    visit_AsyncFor = visit_For

    def visit_While(self, node: ast.While) -> None:
        self.visit(node.test)
        self.loops += 1
        for stmt in node.body:
            self.visit(stmt)
        self.loops -= 1
        for stmt in node.orelse:
            self.visit(stmt)

    def _forget(self, target: ast.AST) -> None:
        for name in ast.walk(target):
            if isinstance(name, ast.Name):
                self.env.pop(name.id, None)

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Call) and dotted_name(node.value.func) == "op.get_bind":
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.binds.add(target.id)
        self.generic_visit(node)
        resolved = self.value(node.value)
        for target in node.targets:
            if not (_plain(resolved) and _bind(target, resolved, self.env)):
                self._forget(target)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name in self.stack:  # the entry function itself
            self.generic_visit(node)
        # a function defined inside upgrade() runs where it is called, like a module helper
        self.functions = {**self.functions, node.name: node}

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            receiver = dotted_name(func.value)
            if receiver == "op" or receiver in self.batches:
                self._record(node, receiver)
            elif func.attr == "execute" and receiver is not None and (
                receiver in self.binds or receiver.startswith("op.get_bind")
            ):
                self._record(node, receiver)
        self.generic_visit(node)
        if isinstance(func, ast.Name) and func.id in self.functions:
            self._inline(node, self.functions[func.id])

    def _inline(self, call: ast.Call, helper: ast.FunctionDef) -> None:
        """Collect what a helper function does, called from here with these arguments."""
        if helper.name in self.stack or len(self.stack) > _MAX_DEPTH:
            return
        env = dict(self.env)
        params = [a.arg for a in helper.args.posonlyargs + helper.args.args]
        defaults = helper.args.defaults
        for name, default in zip(params[len(params) - len(defaults):], defaults):
            env[name] = to_value(default, self.text, self.env)
        for name, arg in zip(params, call.args):
            env[name] = self.value(arg)
        for kw in call.keywords:
            if kw.arg:
                env[kw.arg] = self.value(kw.value)
        env = {k: v for k, v in env.items() if _plain(v)}
        saved = (self.env, self.via, self.batches, self.binds)
        self.env, self.via = env, self.via + (call.lineno,)
        self.batches, self.binds = dict(self.batches), set(self.binds)
        self.stack.append(helper.name)
        try:
            for stmt in helper.body:
                self.visit(stmt)
        finally:
            self.stack.pop()
            self.env, self.via, self.batches, self.binds = saved

    def _record(self, node: ast.Call, receiver: str) -> None:
        assert isinstance(node.func, ast.Attribute)
        table, batch_kwargs = self.batches.get(receiver, (None, {}))
        self.ops.append(Operation(
            name=node.func.attr,
            function=self.function,
            line=node.lineno,
            end_line=node.end_lineno or node.lineno,
            receiver=receiver,
            args=tuple(self.value(a) for a in node.args if not isinstance(a, ast.Starred)),
            kwargs={k.arg: self.value(k.value) for k in node.keywords if k.arg},
            batch_table=table,
            batch_kwargs=batch_kwargs,
            in_autocommit=self.autocommit > 0,
            source=self.text.segment(node),
            in_loop=self.loops > 0,
            via=self.via,
        ))


def collect_operations(func: ast.FunctionDef, text: Source,
                       module: ast.Module | None = None,
                       constants: dict[str, Any] | None = None) -> list[Operation]:
    """The operations ``func`` (upgrade or downgrade) runs, helpers and loops followed."""
    functions = {n.name: n for n in (module.body if module is not None else [])
                 if isinstance(n, ast.FunctionDef) and n.name not in ("upgrade", "downgrade")}
    collector = _Collector(func.name, text, functions, constants or {})
    for stmt in func.body:
        collector.visit(stmt)
    return collector.ops


def is_empty_body(func: ast.FunctionDef | None) -> bool:
    """True when a function does nothing: only ``pass``, ``...`` or a docstring."""
    if func is None:
        return True
    for stmt in func.body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue  # docstring or ``...``
        return False
    return True


__all__ = ["Operation", "Call", "Name", "collect_operations", "is_empty_body", "SIGNATURES"]
