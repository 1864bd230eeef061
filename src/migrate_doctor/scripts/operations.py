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


class _Collector(ast.NodeVisitor):
    def __init__(self, function: str, text: Source) -> None:
        self.function = function
        self.text = text
        self.ops: list[Operation] = []
        self.batches: dict[str, tuple[str, dict[str, Any]]] = {}  # var -> (table, kwargs)
        self.binds: set[str] = set()  # variables holding op.get_bind()
        self.autocommit = 0

    def visit_With(self, node: ast.With) -> None:
        entered: list[str] = []
        auto = any(_autocommit(item) for item in node.items)
        for item in node.items:
            call = item.context_expr
            if isinstance(call, ast.Call) and dotted_name(call.func) in (
                "op.batch_alter_table", "op.batch_alter_table"
            ):
                self._record(call, "op")
                value = to_value(call, self.text)
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

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Call) and dotted_name(node.value.func) == "op.get_bind":
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.binds.add(target.id)
        self.generic_visit(node)

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

    def _record(self, node: ast.Call, receiver: str) -> None:
        assert isinstance(node.func, ast.Attribute)
        table, batch_kwargs = self.batches.get(receiver, (None, {}))
        self.ops.append(Operation(
            name=node.func.attr,
            function=self.function,
            line=node.lineno,
            end_line=node.end_lineno or node.lineno,
            receiver=receiver,
            args=tuple(to_value(a, self.text) for a in node.args
                       if not isinstance(a, ast.Starred)),
            kwargs={k.arg: to_value(k.value, self.text) for k in node.keywords if k.arg},
            batch_table=table,
            batch_kwargs=batch_kwargs,
            in_autocommit=self.autocommit > 0,
            source=self.text.segment(node),
        ))


def collect_operations(func: ast.FunctionDef, text: Source) -> list[Operation]:
    collector = _Collector(func.name, text)
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
