"""What a rule may look at: one revision file, the history before it, and the target."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..checks._context import display_path
from ..model import Location, Severity
from ..registry import Hit
from ..scripts.expressions import Call, Name, to_value
from ..scripts.operations import Operation
from ..scripts.revision_file import RevisionFile
from ._guards import skipped_lines
from ._history import History, key
from ._sql import Statement, statements_of

_TABLE_PARAMS = ("table_name", "source_table", "old_table_name")


@dataclass
class RuleContext:
    file: RevisionFile
    revision: str
    dialect: str | None  # Alembic's name: "postgresql", "mysql", "sqlite"; None = unknown
    server_version: tuple[int, ...] | None
    env_source: str
    history: History  # the schema as the revisions before this one left it

    # -- the revision ----------------------------------------------------------
    @cached_property
    def path(self) -> str:
        return display_path(self.file.path)

    @cached_property
    def upgrade(self) -> list[Operation]:
        """upgrade()'s operations, less those behind a dialect test the target fails."""
        return self._running("upgrade")

    @cached_property
    def downgrade(self) -> list[Operation]:
        return self._running("downgrade")

    def _running(self, function: str) -> list[Operation]:
        dead = skipped_lines(self.file.function(function), self.dialect)
        return [op for op in self.file.ops(function)
                if not any(start <= op.line <= end for start, end in dead)]

    @cached_property
    def assignments(self) -> dict[str, Any]:
        """Names assigned once anywhere in the file (``status = sa.Enum(..., name=...)``)."""
        found: dict[str, Any] = {}
        if self.file.tree is None:
            return found
        for node in ast.walk(self.file.tree):
            if (isinstance(node, ast.Assign) and len(node.targets) == 1
                    and isinstance(node.targets[0], ast.Name)):
                found[node.targets[0].id] = to_value(node.value, self.file.text)
        return found

    def resolve(self, value: Any) -> Any:
        """A Name assigned in this file, replaced by its value."""
        if isinstance(value, Name) and value.dotted in self.assignments:
            return self.assignments[value.dotted]
        return value

    def table_name(self, name: str) -> str | None:
        """The table a variable stands for: ``users = sa.table("users", ...)``."""
        value = self.resolve(Name(name))
        if isinstance(value, Call) and value.name in ("table", "Table"):
            first = value.arg(0)
            return first if isinstance(first, str) else None
        return None

    def table_of(self, op: Operation) -> str | None:
        """The op's table, also when it is a constant assigned in the file."""
        if op.table is not None:
            return op.table
        if op.is_batch:
            return None
        for param in _TABLE_PARAMS:
            value = self.resolve(op.get(param))
            if isinstance(value, str):
                return value
        return None

    def sql(self, op: Operation) -> list[Statement]:
        return statements_of(op, self.dialect, self.table_name)

    def executes(self, function: str = "upgrade") -> Iterator[tuple[Operation, Statement]]:
        for op in self.upgrade if function == "upgrade" else self.downgrade:
            for statement in self.sql(op):
                yield op, statement

    # -- the schema --------------------------------------------------------------
    def state_at(self, op: Operation | None) -> History:
        """The history plus this revision's upgrade() ops that come before ``op``
        (all of them when op is None)."""
        state = self.history.copy()
        for other in self.upgrade:
            if other is op:
                break
            state.apply(other, self.table_of(other), self.revision, self.sql(other), self.resolve)
        return state

    @cached_property
    def after(self) -> History:
        """The schema once this revision's upgrade() has run."""
        return self.state_at(None)

    def is_new_table(self, table: str | None, op: Operation) -> bool:
        """True when the table was created by this revision, before op: it has no rows."""
        if table is None:
            return False
        for other in self.upgrade:
            if other is op:
                return False
            if other.name == "create_table" and key(self.table_of(other) or "") == key(table):
                return True
            if any(s.kind == "create_table" and s.table == key(table) for s in self.sql(other)):
                return True
        return False

    def in_loop(self, op: Operation) -> bool:
        func = self.file.function(op.function)
        if func is None:
            return False
        return any(isinstance(node, (ast.For, ast.While, ast.AsyncFor))
                   and node.lineno < op.line <= (node.end_lineno or node.lineno)
                   for node in ast.walk(func))

    # -- the target --------------------------------------------------------------
    @property
    def postgresql(self) -> bool:
        return self.dialect == "postgresql"

    def version_below(self, *version: int) -> bool:
        """True only when the server version is known and lower than ``version``."""
        return self.server_version is not None and tuple(self.server_version) < version

    # -- output ------------------------------------------------------------------
    def location(self, at: Operation | int | None) -> Location:
        line = at.line if isinstance(at, Operation) else at
        end = at.end_line if isinstance(at, Operation) and at.end_line != at.line else None
        return Location(self.path, line, end)

    def hit(self, message: str, fix: str | None, at: Operation | int | None,
            severity: Severity | None = None, **evidence: Any) -> Hit:
        return Hit(message, fix, self.location(at),
                   {"revision": self.revision, **evidence}, severity)
